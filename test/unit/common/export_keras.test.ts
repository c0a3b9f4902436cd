// The Keras export's pure half (common/export/keras): the config.json it writes, its JSON with
// floats kept as floats, the round trip through Kiln's own Keras import (fromKerasConfig), Keras's
// layer order, the weights file's variables, the compatibility check and train.py.
import { describe, expect, it } from 'vitest';
import { compatibility, kerasConfig, kerasJson, kerasLayerVariables, kerasOptimizerVariables, kerasTrainScript } from '../../../common/export/keras/index.js';
import { kerasLayerOrder } from '../../../common/export/keras/kerasLayerOrder.js';
import { analyzeModel, defaultTrainingConfig, layerDef, resolveParams, TEMPLATES, type LayerDoc, type ModelDoc, type OptimizerSpec, type ParamValue, type TrainingConfig } from '../../../common/model/index.js';
import { fromKerasConfig } from '../../../common/model/keras/fromKerasConfig.js';
import { CODE_CASES, type CodeCase } from '../../conformance/kerasCodeModels.js';

const CASES: CodeCase[] = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model, training: t.training })), ...CODE_CASES];
const caseNamed = (name: string) => CASES.find((c) => c.name === name)!;

type Entry = { class_name: string; name: string; config: Record<string, unknown>; build_config?: { input_shape: unknown }; inbound_nodes: { args: unknown[]; kwargs: object }[] };
type Root = { class_name: string; module: string; registered_name: string; config: { name: string; layers: Entry[]; input_layers: unknown; output_layers: unknown }; compile_config?: Record<string, unknown> };

/** The config as Keras reads it: through the JSON text. */
const written = (c: CodeCase): Root => JSON.parse(kerasJson(kerasConfig(c.model, { training: c.training, name: c.name }))) as Root;
const entry = (root: Root, name: string) => root.config.layers.find((l) => l.name === name)!;

describe('kerasConfig: Keras 3 serialized Functional model', () => {
  const root = written(caseNamed('merges'));

  it('has the Functional envelope, inputs and outputs as Keras writes them (one: a reference; several: a list)', () => {
    expect(root).toMatchObject({ module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional', build_config: { input_shape: null }, config: { name: 'merges', trainable: true } });
    expect(root.config.input_layers).toEqual([['left', 0, 0], ['right', 0, 0]]);
    expect(root.config.output_layers).toEqual([['class_out', 0, 0], ['value_out', 0, 0]]);
    const mlp = written(caseNamed('mlp'));
    expect(mlp.config.input_layers).toEqual(['input_layer', 0, 0]);
    expect(mlp.config.output_layers).toEqual(['dense_2', 0, 0]);
  });

  it('calls each layer on __keras_tensor__ arguments: one tensor, or a list of them for a merge layer', () => {
    const tensor = (name: string, shape: unknown[], dtype = 'float32') => ({ class_name: '__keras_tensor__', config: { shape, dtype, keras_history: [name, 0, 0] } });
    expect(entry(root, 'left')).toEqual({
      module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'left', inbound_nodes: [],
      config: { batch_shape: [null, 6], dtype: 'float32', sparse: false, ragged: false, name: 'left', optional: false },
    });
    expect(entry(root, 'left-proj').inbound_nodes).toEqual([{ args: [tensor('left', [null, 6])], kwargs: {} }]);
    expect(entry(root, 'average').inbound_nodes).toEqual([{ args: [[tensor('left-proj', [null, 4]), tensor('class', [null, 4]), tensor('multiply', [null, 4])]], kwargs: {} }]);
    expect(entry(root, 'average').build_config).toEqual({ input_shape: [[null, 4], [null, 4], [null, 4]] });
    expect(entry(root, 'repeat').build_config).toEqual({ input_shape: [null, 8] });
    const mixed = written(caseNamed('mixed'));
    expect(entry(mixed, 'tokens').config.dtype).toBe('int32');
    expect(entry(mixed, 'embed').inbound_nodes[0].args).toEqual([tensor('tokens', [null, 10], 'int32')]);
  });

  it('writes every parameter in Keras form: activations, initializers, regularizers, data formats, tuples', () => {
    const dense = written(caseNamed('dense_stack'));
    expect(entry(dense, 'hidden').config).toEqual({
      name: 'hidden', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      units: 8, activation: 'tanh', use_bias: false,
      kernel_initializer: { module: 'keras.initializers', class_name: 'HeNormal', config: { seed: null }, registered_name: null },
      bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
      kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null },
    });
    expect(entry(dense, 'scores').config.activation).toBe('linear');
    expect(entry(dense, 'batch_norm').config.beta_regularizer).toMatchObject({ class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 } });
    const images = written(caseNamed('images'));
    expect(entry(images, 'stem').config).toMatchObject({ kernel_size: [3, 3], strides: [2, 2], dilation_rate: [1, 1], data_format: 'channels_last' });
    expect(entry(images, 'pad2d').config.padding).toEqual([[1, 0], [2, 1]]);
    expect(entry(written(caseNamed('mixed')), 'embed').config.embeddings_initializer).toMatchObject({ class_name: 'RandomNormal', config: { seed: null, mean: 0, stddev: 0.05 } });
  });

  it("leaves out trainable and dtype where Keras's constructor refuses them (SpatialDropout1D/2D)", () => {
    expect(entry(written(caseNamed('sequence')), 'channel_drop').config).toEqual({ name: 'channel_drop', rate: 0.2, seed: null });
    expect(entry(written(caseNamed('images')), 'map_drop').config).toEqual({ name: 'map_drop', rate: 0.1, data_format: 'channels_last', seed: null });
  });

  it('writes the training settings as the compile_config', () => {
    expect(root.compile_config).toEqual({
      optimizer: {
        module: 'keras.optimizers', class_name: 'Adam', registered_name: null,
        config: {
          name: 'adam',
          learning_rate: { module: 'keras.optimizers.schedules', class_name: 'PiecewiseConstantDecay', config: { boundaries: [100, 200], values: [0.01, 0.005, 0.001], name: 'PiecewiseConstant' }, registered_name: null },
          use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null,
          weight_decay: null, clipnorm: null, global_clipnorm: 1, clipvalue: null, beta_1: 0.8, beta_2: 0.999, epsilon: 1e-6, amsgrad: false,
        },
      },
      loss: { class_out: 'sparse_categorical_crossentropy', value_out: { module: 'keras.losses', class_name: 'Huber', config: { name: 'huber_loss', reduction: 'sum_over_batch_size', delta: 2 }, registered_name: null } },
      loss_weights: null,
      // Kiln leaves out mean_absolute_error against class labels, and so does the config.
      metrics: { class_out: ['accuracy'], value_out: ['accuracy', 'mean_absolute_error'] },
      weighted_metrics: null,
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: false,
    });
    expect(written({ ...caseNamed('mlp'), training: undefined as unknown as TrainingConfig }).compile_config).toBeUndefined();
  });

  it("names layers as Keras must ('/' becomes '_')", () => {
    const model: ModelDoc = {
      layers: [{ id: 'i', name: 'in', type: 'Input', params: { shape: [3] } }, { id: 'd', name: 'block/dense', type: 'Dense', params: { units: 2 } }],
      edges: [{ from: 'i', to: 'd' }],
    };
    const root2 = JSON.parse(kerasJson(kerasConfig(model))) as Root;
    expect(root2.config.layers.map((l) => l.name)).toEqual(['in', 'block_dense']);
    expect(root2.config.output_layers).toEqual(['block_dense', 0, 0]);
  });
});

describe('kerasJson: floats stay floats', () => {
  it("writes whole numbers under float keys with a '.0' (Keras refuses an int momentum or learning rate), others as they are", () => {
    const text = kerasJson({ momentum: 0, learning_rate: 1, value_range: [0, 255], units: 16, kernel_size: [3, 3], epsilon: 1e-7, mean: null, big: 1e21, values: [[1, 2], 3] });
    expect(text).toBe('{"momentum":0.0,"learning_rate":1.0,"value_range":[0.0,255.0],"units":16,"kernel_size":[3,3],"epsilon":1e-7,"mean":null,"big":1e+21,"values":[[1.0,2.0],3.0]}');
  });

  it('writes floats of every optimizer and layer parameter as Python reads floats', () => {
    const sgd = kerasJson(kerasConfig(caseNamed('mixed').model, { training: caseNamed('mixed').training }));
    expect(sgd).toContain('"momentum":0.0');
    expect(kerasJson(kerasConfig(caseNamed('images').model))).toContain('"scale":2.0,"offset":-1.0');
  });
});

// ---- the round trip through fromKerasConfig ----

/** Keras's spellings of the same values: no activation, the initializer aliases, implicit channels_last. */
function canonical(key: string, v: ParamValue): ParamValue {
  if (key === 'activation') return v === 'linear' ? null : v;
  if (key === 'embeddings_initializer') return v === 'uniform' ? 'random_uniform' : v === 'normal' ? 'random_normal' : v;
  if (key === 'data_format') return v ?? 'channels_last';
  return v;
}

function resolved(layer: LayerDoc): Record<string, ParamValue> {
  const r = resolveParams(layerDef(layer.type)!, layer.params);
  if ('problems' in r) throw new Error(r.problems.join('; '));
  return Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, canonical(k, v)]));
}

function inputsByName(model: ModelDoc): Record<string, string[]> {
  const analysis = analyzeModel(model);
  const name = (id: string) => model.layers.find((l) => l.id === id)!.name;
  return Object.fromEntries(analysis.order.map((o) => [o.layer.name, o.inputs.map(name)]));
}

/** Keras's optimizer defaults, as fromKerasConfig reads them back. */
const KERAS_OPTIMIZERS: Record<OptimizerSpec['type'], OptimizerSpec> = {
  sgd: { type: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false },
  adam: { type: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  adamw: { type: 'adamw', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004 },
  rmsprop: { type: 'rmsprop', learningRate: 0.001, momentum: 0, epsilon: 1e-7, rho: 0.9, centered: false },
};

function expectedOptimizer(spec: OptimizerSpec): OptimizerSpec {
  const { schedule, ...rest } = spec;
  const out: OptimizerSpec = { ...KERAS_OPTIMIZERS[spec.type], ...rest };
  if (!schedule || schedule.type === 'constant') return out;
  if (schedule.type === 'warmup') return { ...out, schedule: { type: 'cosine', decaySteps: 1, alpha: 1, warmupTarget: schedule.warmupTarget, warmupSteps: schedule.warmupSteps } };
  if (schedule.type === 'piecewise') return { ...out, learningRate: schedule.values![0], schedule };
  return { ...out, schedule: { ...schedule, ...(schedule.type === 'cosine' ? { alpha: schedule.alpha ?? 0 } : {}) } };
}

describe('fromKerasConfig(kerasConfig(model)) gives the model back', () => {
  it.each(CASES.map((c) => c.name))('%s: the same layers, parameters, connections, outputs and training settings', (name) => {
    const c = caseNamed(name);
    const imported = fromKerasConfig(kerasJson(kerasConfig(c.model, { training: c.training, name })));
    expect(imported.issues).toEqual([]);
    const back = new Map(imported.model.layers.map((l) => [l.name, l]));
    expect([...back.keys()].sort()).toEqual(c.model.layers.map((l) => l.name).sort());
    for (const layer of c.model.layers) {
      expect(back.get(layer.name)!.type, layer.name).toBe(layer.type);
      expect(resolved(back.get(layer.name)!), `${layer.type} '${layer.name}'`).toEqual(resolved(layer));
    }
    expect(inputsByName(imported.model)).toEqual(inputsByName(c.model));
    const outputs = (m: ModelDoc) => analyzeModel(m).outputs.map((id) => m.layers.find((l) => l.id === id)!.name);
    expect(outputs(imported.model)).toEqual(outputs(c.model));
    expect(imported.training!.optimizer).toEqual(expectedOptimizer(c.training.optimizer));
    expect(imported.training!.loss).toEqual(c.training.loss);
  });
});

describe("kerasLayerOrder: Keras's model.layers order", () => {
  const names = (c: CodeCase) => kerasLayerOrder(analyzeModel(c.model)).map((o) => o.layer.name);

  it('orders by depth from the outputs, as Keras 3.15 saved these models built in Python', () => {
    expect(names(caseNamed('mixed'))).toEqual(['numbers', 'adapted', 'tokens', 'given', 'embed', 'undo', 'mean_tokens', 'numbers_dense', 'concat', 'estimate']);
    expect(names(caseNamed('resnet'))).toEqual([
      'input_layer', 'rescaling', 'conv2d', 'batch_normalization', 'activation', 'conv2d_1', 'batch_normalization_1', 'activation_1', 'conv2d_2', 'batch_normalization_2', 'add',
      'activation_2', 'conv2d_3', 'batch_normalization_3', 'activation_3', 'conv2d_4', 'conv2d_5', 'batch_normalization_4', 'batch_normalization_5', 'add_1', 'activation_4',
      'global_average_pooling2d', 'dense',
    ]);
  });

  it('places an input that is also an output by where the walk from the outputs reaches it, and leaves out layers no output depends on', () => {
    const model: ModelDoc = {
      layers: [
        { id: 'a', name: 'a', type: 'Input', params: { shape: [3] } },
        { id: 'b', name: 'b', type: 'Input', params: { shape: [3] } },
        { id: 'd', name: 'd', type: 'Dense', params: { units: 2 } },
        { id: 'side', name: 'side', type: 'Dense', params: { units: 2 } },
      ],
      edges: [{ from: 'a', to: 'd' }, { from: 'a', to: 'side' }],
      outputs: ['d', 'b'],
    };
    expect(kerasLayerOrder(analyzeModel(model)).map((o) => o.layer.name)).toEqual(['a', 'd', 'b']);
  });
});

describe('compatibility', () => {
  it('finds nothing in models Keras holds as they are', () => {
    for (const c of CASES) expect(compatibility(c.model), c.name).toEqual([]);
  });

  it("names layers whose Keras name another layer has, and layers Keras would leave out", () => {
    const model: ModelDoc = {
      layers: [
        { id: 'i', name: 'in', type: 'Input', params: { shape: [3] } },
        { id: 'x', name: 'a/b', type: 'Dense', params: { units: 2 } },
        { id: 'y', name: 'a_b', type: 'Dense', params: { units: 2 } },
        { id: 'z', name: 'unused', type: 'Dense', params: { units: 2 } },
      ],
      edges: [{ from: 'i', to: 'x' }, { from: 'x', to: 'y' }, { from: 'i', to: 'z' }],
      outputs: ['y'],
    };
    expect(compatibility(model)).toEqual([
      { layerId: 'x', layer: "Dense 'a/b'", reason: "Dense 'a/b' would be named 'a_b' in Keras, which refuses '/' in names, but layer 'a_b' is named so too: rename one of them" },
      { layerId: 'z', layer: "Dense 'unused'", reason: "Dense 'unused' does not lead to any output of the model, so a Keras model would leave it out: connect it to an output or delete it" },
    ]);
  });
});

describe('the variables of model.weights.h5', () => {
  const mixed = caseNamed('mixed');
  const analysis = analyzeModel(mixed.model);
  const weights = Object.fromEntries(analysis.order.flatMap((o) => o.weights.map((w) => [`${o.layer.name}/${w.name}`, new Float32Array(w.shape.reduce((a, d) => a * d, 1)).fill(3)])));

  it("lists every layer in Keras's order with its weights; Normalization's count as int64", () => {
    const vars = kerasLayerVariables(analysis, weights);
    expect([...vars.keys()]).toEqual(['numbers', 'adapted', 'tokens', 'given', 'embed', 'undo', 'mean_tokens', 'numbers_dense', 'concat', 'estimate']);
    expect(vars.get('adapted')!.map((v) => v.shape)).toEqual([[5], [5], []]);
    expect(vars.get('adapted')![2].data).toEqual(BigInt64Array.of(3n));
    expect(vars.get('embed')![0]).toEqual({ shape: [50, 8], data: weights['embed/embeddings'] });
    expect(vars.get('given')).toEqual([]);
  });

  it('names the layer and the weight when one is missing or of the wrong size', () => {
    const { 'estimate/bias': _bias, ...noBias } = weights;
    expect(() => kerasLayerVariables(analysis, noBias)).toThrow("the weights have no bias for Dense 'estimate': it needs (1,) values");
    expect(() => kerasLayerVariables(analysis, { ...weights, 'embed/embeddings': new Float32Array(7) })).toThrow("the weight embeddings of Embedding 'embed' has 7 values, but (50, 8) needs 400");
  });

  it("holds a freshly built optimizer's state: the step, the learning rate, zeroed slots in Keras's order", () => {
    const count = (training: Partial<TrainingConfig>, c = caseNamed('mlp')) => {
      const { name, variables } = kerasOptimizerVariables({ ...defaultTrainingConfig(), ...training }, analyzeModel(c.model));
      return { name, shapes: variables.map((v) => v.shape.join('x')) };
    };
    // mlp: three Dense layers, kernel and bias each.
    const slots = ['4x16', '16', '16x16', '16', '16x3', '3'];
    expect(count({ optimizer: { type: 'adam' } })).toEqual({ name: 'adam', shapes: ['', '', ...slots.flatMap((s) => [s, s])] });
    expect(count({ optimizer: { type: 'sgd' } })).toEqual({ name: 'sgd', shapes: ['', ''] });
    expect(count({ optimizer: { type: 'sgd', momentum: 0.9, schedule: { type: 'exponential', decaySteps: 10, decayRate: 0.5 } } })).toEqual({ name: 'sgd', shapes: ['', ...slots] });
    expect(count({ optimizer: { type: 'rmsprop', momentum: 0.5, centered: true } })).toEqual({ name: 'rmsprop', shapes: ['', '', ...slots, ...slots, ...slots] });
    const { variables } = kerasOptimizerVariables({ ...defaultTrainingConfig(), optimizer: { type: 'adamw', learningRate: 0.5 } }, analyzeModel(caseNamed('mlp').model));
    expect(variables[0].data).toEqual(BigInt64Array.of(0n));
    expect(variables[1].data).toEqual(Float32Array.of(0.5));
  });
});

describe('train.py', () => {
  const mlp = caseNamed('mlp');

  it('loads model.keras in a tf.distribute strategy scope, compiles it as in Kiln and fits it', () => {
    const script = kerasTrainScript(mlp.model, mlp.training, { data: { path: '/data/iris.npz', format: 'npz' } });
    expect(script).toContain('return tf.distribute.MultiWorkerMirroredStrategy()');
    expect(script).toContain('return tf.distribute.MirroredStrategy()');
    expect(script).toContain('with strategy.scope():\n    # Made in the scope, the model and its optimizer keep a copy of each variable on every replica.\n    model = keras.models.load_model(MODEL_PATH, compile=False)\n    model.compile(\n        optimizer=keras.optimizers.Adam(learning_rate=0.001),\n        loss="sparse_categorical_crossentropy",\n        metrics=["accuracy"],\n    )\n');
    expect(script).toContain('MODEL_PATH = os.path.join(HERE, "model.keras")');
    expect(script).toContain('DATA_PATH = "/data/iris.npz"');
    expect(script).toContain('BATCH_SIZE = 16\nEPOCHS = 100\n');
    expect(script).toContain('model.fit(x_train, y_train, batch_size=BATCH_SIZE * strategy.num_replicas_in_sync, epochs=EPOCHS, validation_split=VALIDATION_SPLIT)');
    expect(script).not.toContain('# model.fit(');
    expect(script).toContain('    x_train = arrays["x_train"].astype("float32")\n    y_train = arrays["y_train"]\n');
  });

  it('passes the callbacks of the training settings to fit()', () => {
    const dense = caseNamed('dense_stack');
    const script = kerasTrainScript(dense.model, dense.training);
    expect(script).toContain('callbacks = [\n    keras.callbacks.EarlyStopping(');
    expect(script).toContain('epochs=EPOCHS, validation_split=VALIDATION_SPLIT, callbacks=callbacks)');
    expect(script).toContain('    learning_rate = keras.optimizers.schedules.ExponentialDecay(');
  });

  it('reads each input and output of a .npz or .npy folder by name, as Kiln does', () => {
    const merges = caseNamed('merges');
    const script = kerasTrainScript(merges.model, merges.training, { data: { path: 'arrays', format: 'npy' } });
    expect(script).toContain('arrays = {name[:-4]: np.load(os.path.join(DATA_PATH, name)) for name in os.listdir(DATA_PATH) if name.endswith(".npy")}');
    expect(script).toContain('x_train = {"left": arrays["x_train_left"].astype("float32"), "right": arrays["x_train_right"].astype("float32")}');
    expect(script).toContain('y_train = {"class_out": arrays["y_train_class_out"], "value_out": arrays["y_train_value_out"]}');
    const mixed = kerasTrainScript(caseNamed('mixed').model, caseNamed('mixed').training, { data: { path: 'd.npz', format: 'npz' } });
    expect(mixed).toContain('"tokens": arrays["x_train_tokens"].astype("int32")');
  });

  it('reads a CSV table with the csv module and numpy, standardised with the statistics Kiln used', () => {
    const regression = caseNamed('regression');
    const script = kerasTrainScript(regression.model, regression.training, { data: { path: 'cars.csv', format: 'csv', target: 'mpg', standardize: { mean: [1, 2], std: [3, 4] } } });
    expect(script).toContain('import csv\nimport json\n');
    expect(script).toContain('    target = header.index("mpg")');
    expect(script).toContain('    x_train = (x_train - np.array([1, 2], dtype="float32")) / np.array([3, 4], dtype="float32")');
    expect(script).not.toContain('pandas');
  });

  it('reads an image folder with image_dataset_from_directory at the model input size, batched for all replicas', () => {
    const lenet = caseNamed('lenet5');
    const script = kerasTrainScript(lenet.model, lenet.training, { data: { path: '/digits', format: 'image-folder' } });
    expect(script).toContain('keras.utils.image_dataset_from_directory(directory, label_mode="int", color_mode="grayscale", image_size=(28, 28), batch_size=batch_size, seed=SEED, **split)');
    expect(script).toContain('train, validation = load_data(BATCH_SIZE * strategy.num_replicas_in_sync)\nmodel.fit(train, validation_data=validation, epochs=EPOCHS)');
  });

  it('leaves a TODO saying what to return when it cannot read the data', () => {
    const merges = caseNamed('merges');
    const script = kerasTrainScript(merges.model, merges.training, { data: { path: 'sample:iris', format: 'sample' } });
    expect(script).toContain('    # TODO: Kiln trained this model on its built-in sample "sample:iris", which is not a file this script can read.');
    expect(script).toContain('    # Return the inputs as a dict keyed by input name and the targets as a dict keyed by output name:');
    expect(script).toContain('    #   input "left": shape (samples, 6), float32');
    expect(script).toContain('    #   output "class_out": shape (samples,), class indices');
    expect(script).toContain('    #   output "value_out": shape (samples, 1), float32');
    expect(script).toContain('raise NotImplementedError(');
    expect(kerasTrainScript(mlp.model, mlp.training)).toContain('# TODO: Kiln does not know which data this model was trained on.');
  });
});
