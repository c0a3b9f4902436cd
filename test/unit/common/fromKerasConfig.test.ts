// fromKerasConfig on hand-written Keras 3 and Keras 2 configs: the graph, parameters, compile
// config, and an issue naming the layer for everything Kiln cannot represent.
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../../common/model/index.js';
import { fromKerasConfig, initializerName, regularizerValue } from '../../../common/model/keras/fromKerasConfig.js';

const init = (class_name: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name, config, registered_name: null });
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

function dense(name: string, units: number, extra: Record<string, unknown> = {}) {
  return {
    module: 'keras.layers',
    class_name: 'Dense',
    config: {
      name, trainable: true, dtype: policy, units, activation: 'relu', use_bias: true,
      kernel_initializer: init('GlorotUniform', { seed: null }), bias_initializer: init('Zeros'),
      kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, quantization_config: null,
      ...extra,
    },
    registered_name: null,
  };
}

const input = (name: string, shape: (number | null)[]) => ({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name, optional: false }, registered_name: null });

function sequential(layers: object[], extra: Record<string, unknown> = {}) {
  return { module: 'keras', class_name: 'Sequential', config: { name: 'sequential', trainable: true, dtype: policy, layers }, registered_name: null, ...extra };
}

const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, 0] } });
const call = (...layers: string[]) => [{ args: layers.length === 1 ? [tensor(layers[0])] : [layers.map(tensor)], kwargs: {} }];

describe('fromKerasConfig', () => {
  it('converts a Keras 3 Sequential model', () => {
    const { model, issues, training } = fromKerasConfig(sequential([input('x', [4]), dense('d1', 8, { kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 } } }), dense('d2', 3, { activation: 'softmax' })]));
    expect(issues).toEqual([]);
    expect(training).toBeUndefined();
    expect(model.layers.map((l) => [l.id, l.type])).toEqual([['x', 'Input'], ['d1', 'Dense'], ['d2', 'Dense']]);
    expect(model.layers[0].params).toEqual({ shape: [4] });
    expect(model.layers[1].params).toEqual({ units: 8, activation: 'relu', use_bias: true, kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros', kernel_regularizer: { l2: 0.01 } });
    expect(model.edges).toEqual([{ from: 'x', to: 'd1' }, { from: 'd1', to: 'd2' }]);
    expect(model.outputs).toEqual(['d2']);
    expect(analyzeModel(model).issues).toEqual([]);
  });

  it('takes a Sequential model\'s input from its build config or first layer', () => {
    const built = fromKerasConfig(sequential([dense('dense', 2)], { build_config: { input_shape: [null, 5] } }));
    expect(built.model.layers[0]).toEqual({ id: 'input_layer', name: 'input_layer', type: 'Input', params: { shape: [5] } });
    // Keras 2: batch_input_shape on the first layer, class_name/config only.
    const keras2 = fromKerasConfig({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'input_layer', units: 2, batch_input_shape: [null, 3], activation: 'linear' } }] } });
    expect(keras2.issues).toEqual([]);
    expect(keras2.model.layers[0]).toMatchObject({ id: 'input_layer_1', params: { shape: [3] } });
    expect(keras2.model.layers[1]).toMatchObject({ id: 'input_layer', params: { units: 2, activation: 'linear' } });
    const none = fromKerasConfig(sequential([dense('dense', 2)]));
    expect(none.issues[0].message).toMatch(/Input 'input_layer' has no shape/);
  });

  it('converts a Keras 3 Functional model with merges, several inputs and outputs', () => {
    const config = {
      module: 'keras.src.models.functional', class_name: 'Functional', registered_name: null,
      config: {
        name: 'f', trainable: true,
        layers: [
          { ...input('b', [4]), name: 'b', inbound_nodes: [] },
          { ...input('a', [4]), name: 'a', inbound_nodes: [] },
          { ...dense('da', 4), name: 'da', inbound_nodes: call('a') },
          { module: 'keras.layers', class_name: 'Add', config: { name: 'sum', trainable: true, dtype: policy }, name: 'sum', inbound_nodes: call('da', 'b') },
          { module: 'keras.layers', class_name: 'Concatenate', config: { name: 'cat', trainable: true, dtype: policy, axis: -1 }, name: 'cat', inbound_nodes: call('b', 'sum', 'da') },
        ],
        input_layers: [['a', 0, 0], ['b', 0, 0]],
        output_layers: [['cat', 0, 0], ['sum', 0, 0]],
      },
    };
    const { model, issues } = fromKerasConfig(config);
    expect(issues).toEqual([]);
    expect(model.layers.map((l) => l.id)).toEqual(['a', 'b', 'da', 'sum', 'cat']);
    expect(model.edges).toEqual([
      { from: 'a', to: 'da' },
      { from: 'da', to: 'sum', index: 0 }, { from: 'b', to: 'sum', index: 1 },
      { from: 'b', to: 'cat', index: 0 }, { from: 'sum', to: 'cat', index: 1 }, { from: 'da', to: 'cat', index: 2 },
    ]);
    expect(model.outputs).toEqual(['cat', 'sum']);
    const analysis = analyzeModel(model);
    expect(analysis.issues).toEqual([]);
    expect(analysis.shapes.get('cat')).toEqual([null, 12]);
  });

  it('reads Keras 2 Functional inbound nodes', () => {
    const config = {
      class_name: 'Functional',
      config: {
        name: 'model',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 6], dtype: 'float32', name: 'input_1' }, name: 'input_1', inbound_nodes: [] },
          { class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'linear', kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } } }, name: 'dense', inbound_nodes: [[['input_1', 0, 0, {}]]] },
          { class_name: 'Dense', config: { name: 'dense_1', units: 2, activation: 'linear' }, name: 'dense_1', inbound_nodes: [[['input_1', 0, 0, {}]]] },
          { class_name: 'Concatenate', config: { name: 'concatenate', axis: -1 }, name: 'concatenate', inbound_nodes: [[['dense', 0, 0, {}], ['dense_1', 0, 0, {}]]] },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['concatenate', 0, 0]],
      },
      keras_version: '2.15.0',
      backend: 'tensorflow',
    };
    const { model, issues } = fromKerasConfig(config);
    expect(issues).toEqual([]);
    expect(model.layers[0]).toEqual({ id: 'input_1', name: 'input_1', type: 'Input', params: { shape: [6] } });
    expect(model.layers[1].params.kernel_initializer).toBe('glorot_uniform');
    expect(model.edges).toEqual([{ from: 'input_1', to: 'dense' }, { from: 'input_1', to: 'dense_1' }, { from: 'dense', to: 'concatenate', index: 0 }, { from: 'dense_1', to: 'concatenate', index: 1 }]);
    expect(analyzeModel(model).issues).toEqual([]);
  });

  it('reports a layer type that is not in the catalogue, and keeps the layer', () => {
    const lambda = { module: 'keras.layers', class_name: 'Lambda', config: { name: 'fn', trainable: true, function: { class_name: '__lambda__', config: { code: '...' } } }, registered_name: null };
    const { model, issues } = fromKerasConfig(sequential([input('x', [4]), lambda, dense('d', 2)]));
    expect(issues).toEqual([{ layerId: 'fn', message: expect.stringMatching(/^Lambda 'fn' is not in Kiln's layer catalogue/) }]);
    expect(model.layers.map((l) => l.type)).toEqual(['Input', 'Lambda', 'Dense']);
  });

  it('reports constraints, channels_first, mask_zero and other settings Kiln cannot represent', () => {
    const conv = { module: 'keras.layers', class_name: 'Conv2D', config: { name: 'conv', trainable: true, filters: 4, kernel_size: [3, 3], data_format: 'channels_first', activation: 'linear', kernel_constraint: null } };
    const embed = { module: 'keras.layers', class_name: 'Embedding', config: { name: 'emb', input_dim: 10, output_dim: 4, mask_zero: true, embeddings_constraint: null } };
    const { model, issues } = fromKerasConfig(sequential([
      input('x', [4]),
      dense('d', 2, { kernel_constraint: { module: 'keras.constraints', class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } }, bias_regularizer: { class_name: 'L1', config: { l1: 0.1 } }, trainable: false }),
      conv,
      embed,
    ]));
    const byLayer = (id: string) => issues.filter((i) => i.layerId === id).map((i) => i.message);
    expect(byLayer('d')).toEqual([
      expect.stringMatching(/^Dense 'd' is frozen \(trainable=False\)/),
      expect.stringMatching(/^Dense 'd' has a bias_regularizer L1\(l1=0\.1\), which Kiln's Dense does not support/),
      expect.stringMatching(/^Dense 'd' has a kernel_constraint MaxNorm\(max_value=2, axis=0\), which Kiln does not support/),
    ]);
    expect(byLayer('conv')).toEqual([expect.stringMatching(/^Conv2D 'conv' has data_format 'channels_first', which Kiln does not support/)]);
    expect(byLayer('emb')).toEqual([expect.stringMatching(/^Embedding 'emb' has mask_zero=True, which Kiln does not support/)]);
    const d = model.layers.find((l) => l.id === 'd')!;
    expect(d.params).not.toHaveProperty('kernel_constraint');
    expect(d.params).not.toHaveProperty('bias_regularizer');
  });

  it('reports nested models, shared layers and variable-size inputs', () => {
    const inner = { module: 'keras', class_name: 'Sequential', config: { name: 'inner', layers: [] }, name: 'inner', inbound_nodes: call('x') };
    const shared = { ...dense('shared', 4), name: 'shared', inbound_nodes: [...call('x'), ...call('inner')] };
    const { issues } = fromKerasConfig({
      class_name: 'Functional',
      config: { name: 'f', layers: [{ ...input('x', [null, 4]), name: 'x', inbound_nodes: [] }, inner, shared], input_layers: ['x', 0, 0], output_layers: ['shared', 0, 0] },
    });
    expect(issues.map((i) => [i.layerId, i.message.split(':')[0]])).toEqual([
      ['x', "Input 'x' has a variable-size axis in its shape [null,null,4]"],
      ['inner', "Sequential 'inner' is a nested model, which Kiln cannot import"],
      ['shared', "Dense 'shared' is shared"],
    ]);
  });

  it('reports a model that is not Sequential or Functional', () => {
    expect(fromKerasConfig({ class_name: 'MyModel', config: { name: 'm' } }).issues[0].message).toMatch(/the model is a MyModel, which Kiln cannot import/);
    expect(fromKerasConfig({ foo: 1 }).issues[0].message).toMatch(/not a Keras model config/);
    expect(fromKerasConfig('{').issues[0].message).toMatch(/not valid JSON/);
  });

  it('maps initializers and regularizers to Kiln\'s names', () => {
    expect(initializerName(init('HeNormal', { seed: 3 }))).toEqual({ name: 'he_normal' });
    expect(initializerName(init('RandomUniform', { minval: -0.05, maxval: 0.05, seed: null }))).toEqual({ name: 'random_uniform' });
    expect(initializerName(init('RandomUniform', { minval: -1, maxval: 1, seed: null }))).toEqual({ problem: 'RandomUniform(minval=-1, maxval=1)' });
    expect(initializerName(init('VarianceScaling', { scale: 2, mode: 'fan_in', distribution: 'uniform' }))).toEqual({ name: 'he_uniform' });
    expect(initializerName('uniform')).toEqual({ name: 'random_uniform' });
    expect(initializerName(init('Orthogonal', { gain: 1 }))).toHaveProperty('problem');
    expect(regularizerValue({ class_name: 'L1L2', config: { l1: 0.0, l2: 0.02 } })).toEqual({ value: { l2: 0.02 } });
    expect(regularizerValue({ class_name: 'L1', config: { l1: 0.1 } })).toEqual({ value: { l1: 0.1 } });
    expect(regularizerValue({ class_name: 'OrthogonalRegularizer', config: { factor: 0.01 } })).toHaveProperty('problem');

    const { model, issues } = fromKerasConfig(sequential([input('x', [4]), dense('d', 2, { kernel_initializer: init('RandomNormal', { mean: 1, stddev: 2 }), bias_initializer: init('Ones') })]));
    expect(issues).toEqual([{ layerId: 'd', message: expect.stringMatching(/^Dense 'd' has kernel_initializer RandomNormal\(mean=1, stddev=2\), which Kiln has no equivalent for: Kiln uses glorot_uniform/) }]);
    expect(model.layers[1].params).toMatchObject({ bias_initializer: 'ones' });
    expect(model.layers[1].params).not.toHaveProperty('kernel_initializer');
  });

  it('converts the compile config', () => {
    const compile_config = {
      optimizer: { module: 'keras.optimizers', class_name: 'RMSprop', config: { name: 'rmsprop', learning_rate: { class_name: 'CosineDecay', config: { initial_learning_rate: 0.1, decay_steps: 1000, alpha: 0.1, warmup_target: null, warmup_steps: 0 } }, rho: 0.8, momentum: 0.5, epsilon: 1e-7, centered: true, clipnorm: 1.0, weight_decay: null, use_ema: true } },
      loss: { module: 'keras.losses', class_name: 'Huber', config: { name: 'huber_loss', reduction: 'sum_over_batch_size', delta: 2.0 } },
      loss_weights: null,
      metrics: ['mae', { class_name: 'MeanSquaredError', config: { name: 'mse' } }, 'auc'],
      weighted_metrics: null,
    };
    const { training, issues } = fromKerasConfig(sequential([input('x', [4]), dense('d', 1)], { compile_config }));
    expect(training).toEqual({
      optimizer: { type: 'rmsprop', learningRate: 0.1, schedule: { type: 'cosine', decaySteps: 1000, alpha: 0.1 }, rho: 0.8, momentum: 0.5, epsilon: 1e-7, centered: true, clipnorm: 1 },
      loss: { type: 'huber', delta: 2 },
      metrics: ['mean_absolute_error', 'mean_squared_error'],
    });
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/use_ema/),
      expect.stringMatching(/the metric auc is not one Kiln has/),
    ]);
  });

  it('maps a list of losses to the outputs in order, and rounds float32 learning rates', () => {
    const config = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [{ ...input('x', [4]), name: 'x', inbound_nodes: [] }, { ...dense('p', 3), name: 'p', inbound_nodes: call('x') }, { ...dense('q', 1), name: 'q', inbound_nodes: call('x') }],
        input_layers: ['x', 0, 0],
        output_layers: [['p', 0, 0], ['q', 0, 0]],
      },
      compile_config: { optimizer: { class_name: 'Adam', config: { learning_rate: 0.0003000000142492354, beta_1: 0.9 } }, loss: ['categorical_crossentropy', 'binary_crossentropy'], metrics: [['accuracy'], ['binary_accuracy']] },
    };
    const { training, issues } = fromKerasConfig(config);
    expect(issues).toEqual([]);
    expect(training).toEqual({ optimizer: { type: 'adam', learningRate: 0.0003, beta1: 0.9 }, loss: { p: 'categorical_crossentropy', q: 'binary_crossentropy' }, metrics: ['accuracy', 'binary_accuracy'] });
  });
});
