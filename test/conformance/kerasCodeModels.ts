// Models for the generated-code conformance test (keras_code.test.ts): together they use every
// layer type of the catalogue, most with parameters away from Keras's defaults (tuples, pairs,
// None, regularizers, initializers), several inputs and outputs, odd layer names, and training
// settings that exercise each optimizer, schedule, loss form and callback.
import { defaultTrainingConfig, type EdgeDoc, type LayerDoc, type ModelDoc, type ParamValue, type TrainingConfig } from '../../common/model/index.js';

export interface CodeCase {
  name: string;
  model: ModelDoc;
  training: TrainingConfig;
}

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: `id_${name}`, name, type, params });

/** Layers read one after another, and extra edges (merges, branches) by layer name. */
function graph(layers: LayerDoc[], chains: string[][], outputs?: string[]): ModelDoc {
  const id = (name: string) => layers.find((l) => l.name === name)!.id;
  const edges: EdgeDoc[] = [];
  for (const chain of chains) {
    for (let i = 1; i < chain.length; i++) {
      // "merge:2" reads as input 2 of merge.
      const [to, index] = chain[i].split(':');
      edges.push({ from: id(chain[i - 1].split(':')[0]), to: id(to), ...(index !== undefined ? { index: Number(index) } : {}) });
    }
  }
  return { layers, edges, ...(outputs ? { outputs: outputs.map(id) } : {}) };
}

const chain = (layers: LayerDoc[]): string[] => layers.map((l) => l.name);

const denseStack = [
  layer('features', 'Input', { shape: [12] }),
  layer('hidden', 'Dense', { units: 8, activation: 'tanh', use_bias: false, kernel_initializer: 'he_normal', kernel_regularizer: { l2: 0.01 } }),
  layer('dropout', 'Dropout', { rate: 0.3, seed: 7 }),
  layer('gelu', 'Activation', { activation: 'gelu' }),
  layer('noise', 'GaussianNoise', { stddev: 0.1 }),
  layer('relu6', 'ReLU', { max_value: 6, negative_slope: 0.1, threshold: 0.5 }),
  layer('leaky', 'LeakyReLU', { negative_slope: 0.2 }),
  layer('elu', 'ELU', { alpha: 0.5 }),
  layer('prelu', 'PReLU', { alpha_initializer: 'random_normal', alpha_regularizer: { l1: 0.001 } }),
  layer('layer_norm', 'LayerNormalization', { epsilon: 1e-5, center: false }),
  layer('batch_norm', 'BatchNormalization', { momentum: 0.9, scale: false, beta_regularizer: { l1: 0.01, l2: 0.02 }, moving_variance_initializer: 'ones' }),
  layer('scores', 'Dense', { units: 3, bias_initializer: 'ones' }),
  layer('probabilities', 'Softmax', { axis: -1 }),
];

const sequence = [
  layer('steps', 'Input', { shape: [20, 4] }),
  layer('causal', 'Conv1D', { filters: 8, kernel_size: 3, padding: 'causal', dilation_rate: 2, activation: 'relu' }),
  layer('channel_drop', 'SpatialDropout1D', { rate: 0.2 }),
  layer('pad', 'ZeroPadding1D', { padding: [1, 2] }),
  layer('max1d', 'MaxPooling1D', { pool_size: 2 }),
  layer('avg1d', 'AveragePooling1D', { pool_size: 3, strides: 1, padding: 'same' }),
  layer('up1d', 'UpSampling1D', { size: 2 }),
  layer('grouped', 'Conv1D', { filters: 6, kernel_size: [2], groups: 2, use_bias: false }),
  layer('gmax1d', 'GlobalMaxPooling1D'),
  layer('gavg1d', 'GlobalAveragePooling1D', { keepdims: false }),
  layer('pooled', 'Concatenate'),
  layer('yes_no', 'Dense', { units: 1, activation: 'sigmoid' }),
];

const images = [
  layer('image', 'Input', { shape: [16, 16, 3] }),
  layer('flip', 'RandomFlip', { mode: 'horizontal', seed: 1 }),
  layer('shift', 'RandomTranslation', { height_factor: 0.1, width_factor: [-0.2, 0.1], fill_mode: 'constant' }),
  layer('turn', 'RandomRotation', { factor: 0.05, interpolation: 'nearest' }),
  layer('zoom', 'RandomZoom', { height_factor: [-0.2, 0.1] }),
  layer('brightness', 'RandomBrightness', { factor: 0.1, value_range: [0, 1] }),
  layer('contrast', 'RandomContrast', { factor: 0.2, value_range: [0, 1] }),
  layer('to_signed', 'Rescaling', { scale: 2, offset: -1 }),
  layer('stem', 'Conv2D', { filters: 8, kernel_size: [3, 3], strides: 2, padding: 'same', activation: 'swish', data_format: 'channels_last' }),
  layer('depthwise', 'DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, padding: 'same', depthwise_regularizer: { l2: 1e-4 } }),
  layer('separable', 'SeparableConv2D', { filters: 12, kernel_size: 3, pointwise_initializer: 'lecun_normal', activation: 'relu' }),
  layer('map_drop', 'SpatialDropout2D', { rate: 0.1 }),
  layer('upconv', 'Conv2DTranspose', { filters: 4, kernel_size: 3, strides: 2, padding: 'same' }),
  layer('pad2d', 'ZeroPadding2D', { padding: [[1, 0], [2, 1]] }),
  layer('crop', 'Cropping2D', { cropping: [[1, 1], [0, 2]] }),
  layer('up2d', 'UpSampling2D', { size: [2, 1] }),
  layer('max2d', 'MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same' }),
  layer('avg2d', 'AveragePooling2D', { pool_size: [2, 2] }),
  layer('gavg2d', 'GlobalAveragePooling2D', { keepdims: true }),
  layer('flat', 'Flatten'),
  layer('gmax2d', 'GlobalMaxPooling2D'),
  layer('both', 'Concatenate', { axis: 1 }),
  layer('logits', 'Dense', { units: 5 }),
];

const merges = [
  layer('left', 'Input', { shape: [6] }),
  layer('right', 'Input', { shape: [6] }),
  layer('left-proj', 'Dense', { units: 4 }),
  layer('class', 'Dense', { units: 4 }),
  layer('add', 'Add'),
  layer('subtract', 'Subtract'),
  layer('multiply', 'Multiply'),
  layer('average', 'Average'),
  layer('maximum', 'Maximum'),
  layer('minimum', 'Minimum'),
  layer('joined', 'Concatenate', { axis: 1 }),
  layer('repeat', 'RepeatVector', { n: 3 }),
  layer('swap', 'Permute', { dims: [2, 1] }),
  layer('reshape', 'Reshape', { target_shape: [2, -1] }),
  layer('flatten', 'Flatten'),
  layer('class_out', 'Dense', { units: 3, activation: 'softmax' }),
  layer('value_out', 'Dense', { units: 1 }),
];

const mixed = [
  layer('tokens', 'Input', { shape: [10], dtype: 'int32' }),
  layer('numbers', 'Input', { shape: [5] }),
  layer('embed', 'Embedding', { input_dim: 50, output_dim: 8, embeddings_initializer: 'normal', embeddings_regularizer: { l2: 0.001 } }),
  layer('mean_tokens', 'GlobalAveragePooling1D'),
  layer('adapted', 'Normalization'),
  layer('given', 'Normalization', { mean: [0, 1, 2, 3, 4], variance: [1, 1, 2, 2, 4] }),
  layer('undo', 'Normalization', { axis: null, mean: 0.5, variance: 2, invert: true }),
  layer('numbers_dense', 'Dense', { units: 8, activation: 'relu' }),
  layer('concat', 'Concatenate'),
  layer('estimate', 'Dense', { units: 1 }),
];

const base = defaultTrainingConfig();

export const CODE_CASES: CodeCase[] = [
  {
    name: 'dense_stack',
    model: graph(denseStack, [chain(denseStack)]),
    training: {
      ...base,
      loss: 'categorical_crossentropy',
      metrics: ['categorical_accuracy', 'mean_squared_error'],
      optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, clipnorm: 1, schedule: { type: 'exponential', decaySteps: 100, decayRate: 0.96, staircase: true } },
      callbacks: { earlyStopping: { monitor: 'val_loss', patience: 5, minDelta: 0.001, mode: 'min', restoreBestWeights: true } },
    },
  },
  {
    name: 'sequence',
    model: graph(sequence, [chain(sequence).slice(0, 9), ['grouped', 'gavg1d'], ['gmax1d', 'pooled:0'], ['gavg1d', 'pooled:1'], ['pooled', 'yes_no']]),
    training: {
      ...base,
      loss: 'binary_crossentropy',
      optimizer: { type: 'rmsprop', learningRate: 0.002, rho: 0.8, centered: true, momentum: 0.1 },
      validationSplit: 0.2,
      callbacks: { reduceLROnPlateau: { monitor: 'val_loss', factor: 0.5, patience: 2, minDelta: 1e-4, cooldown: 1, minLr: 1e-6 } },
    },
  },
  {
    name: 'images',
    model: graph(images, [chain(images).slice(0, 20), ['avg2d', 'gmax2d'], ['flat', 'both:0'], ['gmax2d', 'both:1'], ['both', 'logits']]),
    training: {
      ...base,
      loss: { type: 'sparse_categorical_crossentropy', fromLogits: true },
      optimizer: { type: 'adamw', learningRate: 0.001, weightDecay: 0.01, schedule: { type: 'cosine', decaySteps: 1000, alpha: 0.1, warmupSteps: 50, warmupTarget: 0.003 } },
      callbacks: { modelCheckpoint: { monitor: 'val_accuracy', saveBestOnly: true, mode: 'max' } },
    },
  },
  {
    name: 'merges',
    model: graph(
      merges,
      [
        ['left', 'left-proj'],
        ['right', 'class'],
        ['left-proj', 'add:0'], ['class', 'add:1'],
        ['left-proj', 'subtract:0'], ['class', 'subtract:1'],
        ['add', 'multiply:0'], ['subtract', 'multiply:1'],
        ['left-proj', 'average:0'], ['class', 'average:1'], ['multiply', 'average:2'],
        ['left-proj', 'maximum:0'], ['class', 'maximum:1'],
        ['average', 'minimum:0'], ['maximum', 'minimum:1'],
        ['minimum', 'joined:0'], ['add', 'joined:1'],
        ['joined', 'repeat', 'swap', 'reshape', 'flatten', 'class_out'],
        ['minimum', 'value_out'],
      ],
      ['class_out', 'value_out'],
    ),
    training: {
      ...base,
      loss: { class_out: 'sparse_categorical_crossentropy', value_out: { type: 'huber', delta: 2 } },
      metrics: ['accuracy', 'mean_absolute_error'],
      optimizer: { type: 'adam', beta1: 0.8, epsilon: 1e-6, globalClipnorm: 1, schedule: { type: 'piecewise', boundaries: [100, 200], values: [0.01, 0.005, 0.001] } },
    },
  },
  {
    name: 'mixed',
    model: graph(mixed, [['tokens', 'embed', 'mean_tokens', 'concat:0'], ['numbers', 'adapted', 'given', 'undo', 'numbers_dense', 'concat:1'], ['concat', 'estimate']]),
    training: {
      ...base,
      loss: 'mean_squared_error',
      metrics: ['mean_absolute_error', 'mean_squared_error'],
      optimizer: { type: 'sgd', schedule: { type: 'warmup', warmupSteps: 20, warmupTarget: 0.05 } },
      seed: 42,
    },
  },
];
