// Models for the export parity tests, beside the templates and kerasCodeModels.ts: the variants
// where an exporter can go wrong while the common case works (asymmetric 'same' padding, strides
// beyond the kernel, axes other than the last, every activation, merges that broadcast, float
// indices), and tfjs-compatible models that together use every layer TF.js can express.
import type { EdgeDoc, LayerDoc, ModelDoc, ParamValue } from '../../common/model/index.js';

export interface ExportCase {
  name: string;
  model: ModelDoc;
}

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });

/** Layers read one after another. */
function sequential(name: string, layers: LayerDoc[]): ExportCase {
  return { name, model: { layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].name, to: l.name })) } };
}

/** "a>b" links along `names`. */
const along = (...names: string[]) => names.slice(1).map((n, i) => `${names[i]}>${n}`);

/** Layers with explicit edges ("from>to" or "from>to:index"), outputs in order. */
function dag(name: string, layers: LayerDoc[], links: string[], outputs?: string[]): ExportCase {
  const edges: EdgeDoc[] = links.map((link) => {
    const [from, to] = link.split('>');
    const [target, index] = to.split(':');
    return { from, to: target, ...(index !== undefined ? { index: Number(index) } : {}) };
  });
  return { name, model: { layers, edges, ...(outputs ? { outputs } : {}) } };
}

const ACTIVATIONS = ['linear', 'elu', 'selu', 'softplus', 'softsign', 'hard_sigmoid', 'leaky_relu', 'exponential', 'log_softmax', 'silu', 'relu', 'sigmoid', 'tanh', 'gelu', 'softmax'];

/** Variants for ONNX: every layer of the catalogue can be written, so these go after the corners. */
export const ONNX_CASES: ExportCase[] = [
  sequential('padding_2d', [
    layer('image', 'Input', { shape: [8, 10, 3] }),
    layer('same_strided', 'Conv2D', { filters: 4, kernel_size: [3, 4], strides: 2, padding: 'same' }),
    layer('same_even', 'Conv2D', { filters: 4, kernel_size: 4, padding: 'same', dilation_rate: 2, activation: 'elu' }),
    layer('grouped', 'Conv2D', { filters: 6, kernel_size: 1, groups: 2 }),
    layer('max_same', 'MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same' }),
    layer('avg_same', 'AveragePooling2D', { pool_size: 2, strides: 1, padding: 'same' }),
    layer('wide_strides', 'Conv2DTranspose', { filters: 3, kernel_size: 2, strides: 3 }),
    layer('upconv_same', 'Conv2DTranspose', { filters: 2, kernel_size: [3, 4], strides: 2, padding: 'same', use_bias: false }),
    layer('depthwise', 'DepthwiseConv2D', { kernel_size: 3, strides: 2, depth_multiplier: 3, activation: 'relu' }),
    layer('separable', 'SeparableConv2D', { filters: 5, kernel_size: 2, padding: 'same', dilation_rate: 2, use_bias: false }),
    layer('pad_before_conv', 'ZeroPadding2D', { padding: 3 }),
    layer('padded_conv', 'Conv2D', { filters: 4, kernel_size: 2, padding: 'same' }),
    layer('pad_before_max', 'ZeroPadding2D', { padding: [[2, 1], [0, 3]] }),
    layer('padded_max', 'MaxPooling2D', { pool_size: 2 }),
    layer('pad_before_avg', 'ZeroPadding2D', { padding: 1 }),
    layer('padded_avg', 'AveragePooling2D', { pool_size: 2, padding: 'same' }),
    layer('flatten', 'Flatten'),
    layer('out', 'Dense', { units: 4 }),
  ]),
  sequential('padding_1d', [
    layer('steps', 'Input', { shape: [11, 3] }),
    layer('same_strided', 'Conv1D', { filters: 4, kernel_size: 4, strides: 2, padding: 'same' }),
    layer('dilated', 'Conv1D', { filters: 4, kernel_size: 2, dilation_rate: 3, padding: 'same' }),
    layer('pad', 'ZeroPadding1D', { padding: 2 }),
    layer('max_same', 'MaxPooling1D', { pool_size: 3, strides: 2, padding: 'same' }),
    layer('up', 'UpSampling1D', { size: 3 }),
    layer('avg', 'AveragePooling1D', { pool_size: 2, strides: 3 }),
    layer('gmax', 'GlobalMaxPooling1D', { keepdims: true }),
    layer('flatten', 'Flatten'),
  ]),
  dag('axes', [
    layer('x', 'Input', { shape: [4, 5] }),
    layer('bn_axis1', 'BatchNormalization', { axis: 1, center: false }),
    layer('ln_axis1', 'LayerNormalization', { axis: 1, scale: false }),
    layer('softmax_axis1', 'Softmax', { axis: 1 }),
    layer('norm_axis1', 'Normalization', { axis: 1 }),
    layer('norm_all', 'Normalization', { axis: null }),
    layer('norm_given', 'Normalization', { mean: [1, 2, 3, 4, 5], variance: [0.5, 1, 2, 4, 0.25] }),
    layer('per_channel', 'Rescaling', { scale: [1, 2, 3, 4, 5], offset: [0.5, 0, -0.5, 1, 0] }),
    layer('scaled_only', 'Rescaling', { scale: 0.5 }),
    layer('slope_only', 'ReLU', { negative_slope: 0.3 }),
    layer('capped', 'ReLU', { max_value: 1.5 }),
    layer('thresholded', 'ReLU', { threshold: 0.2 }),
    layer('prelu_shared', 'PReLU', { shared_axes: [1] }),
    layer('gavg_keep', 'GlobalAveragePooling1D', { keepdims: true }),
    layer('row', 'Input', { shape: [5] }),
    layer('broadcast_add', 'Add'),
    layer('broadcast_mul', 'Multiply'),
  ], [
    'x>bn_axis1', 'bn_axis1>ln_axis1', 'ln_axis1>softmax_axis1', 'softmax_axis1>norm_axis1', 'norm_axis1>norm_all', 'norm_all>norm_given', 'norm_given>per_channel', 'per_channel>scaled_only',
    'scaled_only>slope_only', 'slope_only>capped', 'capped>thresholded', 'thresholded>prelu_shared', 'prelu_shared>gavg_keep',
    'prelu_shared>broadcast_add:0', 'row>broadcast_add:1', 'broadcast_add>broadcast_mul:0', 'gavg_keep>broadcast_mul:1',
  ]),
  dag('activations', [
    layer('features', 'Input', { shape: [6] }),
    ...ACTIVATIONS.map((a) => layer(`dense_${a}`, 'Dense', { units: 4, activation: a })),
    ...ACTIVATIONS.map((a) => layer(`activation_${a}`, 'Activation', { activation: a })),
    layer('all', 'Concatenate'),
  ], [
    ...ACTIVATIONS.flatMap((a, i) => [`features>dense_${a}`, `dense_${a}>activation_${a}`, `activation_${a}>all:${i}`]),
  ]),
  sequential('float_indices', [
    layer('ids', 'Input', { shape: [3, 2] }),
    layer('abs', 'Activation', { activation: 'relu' }),
    layer('embed', 'Embedding', { input_dim: 4, output_dim: 3 }),
    layer('flatten', 'Flatten'),
  ]),
];

/** Models TF.js can load: together they use every layer the TF.js layers format can express. */
export const TFJS_CASES: ExportCase[] = [
  dag('tfjs_images', [
    layer('image', 'Input', { shape: [12, 12, 3] }),
    layer('flip', 'RandomFlip', { mode: 'horizontal' }),
    layer('shift', 'RandomTranslation', { height_factor: 0.1, width_factor: 0.1 }),
    layer('turn', 'RandomRotation', { factor: 0.05 }),
    layer('zoom', 'RandomZoom', { height_factor: 0.1 }),
    layer('brightness', 'RandomBrightness', { factor: 0.1 }),
    layer('contrast', 'RandomContrast', { factor: 0.1 }),
    layer('per_channel', 'Rescaling', { scale: [0.5, 1, 2], offset: 0.1 }),
    layer('stem', 'Conv2D', { filters: 6, kernel_size: 3, strides: 2, padding: 'same', activation: 'silu' }),
    layer('depthwise', 'DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, padding: 'same' }),
    layer('separable', 'SeparableConv2D', { filters: 8, kernel_size: 3, activation: 'relu' }),
    layer('map_drop', 'SpatialDropout2D', { rate: 0.1 }),
    layer('batch_norm', 'BatchNormalization', { momentum: 0.9, scale: false }),
    layer('upconv', 'Conv2DTranspose', { filters: 4, kernel_size: 3, strides: 2, padding: 'same' }),
    layer('pad', 'ZeroPadding2D', { padding: [[1, 0], [2, 1]] }),
    layer('crop', 'Cropping2D', { cropping: [[1, 1], [0, 2]] }),
    layer('up', 'UpSampling2D', { size: [2, 1] }),
    layer('max', 'MaxPooling2D', { pool_size: 3, strides: 2, padding: 'same' }),
    layer('avg', 'AveragePooling2D', { pool_size: 2, padding: 'same' }),
    layer('gavg', 'GlobalAveragePooling2D'),
    layer('gmax', 'GlobalMaxPooling2D'),
    layer('pooled', 'Concatenate'),
    layer('out', 'Dense', { units: 3, activation: 'softmax' }),
  ], [
    ...along('image', 'flip', 'shift', 'turn', 'zoom', 'brightness', 'contrast', 'per_channel', 'stem', 'depthwise', 'separable', 'map_drop', 'batch_norm', 'upconv', 'pad', 'crop', 'up', 'max', 'avg', 'gavg'),
    'avg>gmax', 'gavg>pooled:0', 'gmax>pooled:1', 'pooled>out',
  ]),
  dag('tfjs_sequence', [
    layer('steps', 'Input', { shape: [16, 4] }),
    layer('dilated', 'Conv1D', { filters: 6, kernel_size: 3, padding: 'same', dilation_rate: 2, activation: 'gelu' }),
    layer('channel_drop', 'SpatialDropout1D', { rate: 0.2 }),
    layer('max1d', 'MaxPooling1D', { pool_size: 2 }),
    layer('avg1d', 'AveragePooling1D', { pool_size: 3, strides: 1, padding: 'same' }),
    layer('conv', 'Conv1D', { filters: 4, kernel_size: 2, activation: 'tanh' }),
    layer('layer_norm', 'LayerNormalization', { epsilon: 1e-5 }),
    layer('gmax', 'GlobalMaxPooling1D'),
    layer('gavg', 'GlobalAveragePooling1D'),
    layer('pooled', 'Concatenate'),
    layer('yes_no', 'Dense', { units: 1, activation: 'sigmoid' }),
  ], ['steps>dilated', 'dilated>channel_drop', 'channel_drop>max1d', 'max1d>avg1d', 'avg1d>conv', 'conv>layer_norm', 'layer_norm>gmax', 'layer_norm>gavg', 'gmax>pooled:0', 'gavg>pooled:1', 'pooled>yes_no']),
  dag('tfjs_dense', [
    layer('features', 'Input', { shape: [8] }),
    layer('adapted', 'Normalization'),
    layer('given', 'Normalization', { mean: [0, 1, 2, 3, 4, 5, 6, 7], variance: 2 }),
    layer('undo', 'Normalization', { axis: null, mean: 0.5, variance: 2, invert: true }),
    layer('hidden', 'Dense', { units: 8, activation: 'selu' }),
    layer('dropout', 'Dropout', { rate: 0.3 }),
    layer('noise', 'GaussianNoise', { stddev: 0.1 }),
    layer('relu6', 'ReLU', { max_value: 6 }),
    layer('leaky', 'LeakyReLU', { negative_slope: 0.2 }),
    layer('slope', 'ReLU', { negative_slope: 0.1 }),
    layer('thresholded', 'ReLU', { threshold: 0.1 }),
    layer('elu', 'ELU'),
    layer('prelu', 'PReLU'),
    layer('leaky_activation', 'Activation', { activation: 'leaky_relu' }),
    layer('softplus', 'Dense', { units: 6, activation: 'softplus' }),
    layer('softsign', 'Activation', { activation: 'softsign' }),
    layer('elu_activation', 'Dense', { units: 6, activation: 'elu' }),
    layer('log_softmax', 'Activation', { activation: 'log_softmax' }),
    layer('scores', 'Dense', { units: 3, use_bias: false }),
    layer('probabilities', 'Softmax', { axis: -1 }),
  ], [
    'features>adapted', 'adapted>given', 'given>undo', 'undo>hidden', 'hidden>dropout', 'dropout>noise', 'noise>relu6', 'relu6>leaky', 'leaky>slope', 'slope>thresholded', 'thresholded>elu', 'elu>prelu',
    'prelu>leaky_activation', 'leaky_activation>softplus', 'softplus>softsign', 'softsign>elu_activation', 'elu_activation>log_softmax', 'log_softmax>scores', 'scores>probabilities',
  ]),
  dag('tfjs_merges', [
    layer('left', 'Input', { shape: [6] }),
    layer('right', 'Input', { shape: [6] }),
    layer('tokens', 'Input', { shape: [5], dtype: 'int32' }),
    layer('left_proj', 'Dense', { units: 4 }),
    layer('right_proj', 'Dense', { units: 4 }),
    layer('add', 'Add'),
    layer('multiply', 'Multiply'),
    layer('average', 'Average'),
    layer('maximum', 'Maximum'),
    layer('minimum', 'Minimum'),
    layer('embed', 'Embedding', { input_dim: 10, output_dim: 4 }),
    layer('mean_tokens', 'GlobalAveragePooling1D'),
    layer('joined', 'Concatenate', { axis: 1 }),
    layer('repeat', 'RepeatVector', { n: 3 }),
    layer('broadcast_add', 'Add'),
    layer('swap', 'Permute', { dims: [2, 1] }),
    layer('reshape', 'Reshape', { target_shape: [2, -1] }),
    layer('ln_axis1', 'LayerNormalization', { axis: 1, scale: false }),
    layer('flatten', 'Flatten'),
    layer('class_out', 'Dense', { units: 3, activation: 'softmax' }),
    layer('value_out', 'Dense', { units: 1 }),
  ], [
    'left>left_proj', 'right>right_proj', 'left_proj>add:0', 'right_proj>add:1', 'add>multiply:0', 'right_proj>multiply:1', 'left_proj>average:0', 'right_proj>average:1', 'multiply>average:2',
    'left_proj>maximum:0', 'average>maximum:1', 'maximum>minimum:0', 'add>minimum:1', 'tokens>embed', 'embed>mean_tokens',
    'minimum>joined:0', 'mean_tokens>joined:1', 'joined>repeat', 'repeat>broadcast_add:0', 'joined>broadcast_add:1', 'broadcast_add>swap', 'swap>reshape', 'reshape>ln_axis1', 'ln_axis1>flatten', 'flatten>class_out', 'minimum>value_out',
  ], ['class_out', 'value_out']),
];
