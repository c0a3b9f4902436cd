import { describe, expect, it } from 'vitest';
import { defaultTrainingConfig, templateById, toKerasCode, type LayerDoc, type ModelDoc, type ParamValue, type TrainingConfig } from '../../../common/model/index.js';

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });
const chain = (...layers: LayerDoc[]): ModelDoc => ({ layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) });
const lines = (code: string) => code.split('\n');

describe('toKerasCode', () => {
  it('writes the MLP template as a readable functional-API script with compile() and a commented fit()', () => {
    const t = templateById('mlp')!;
    expect(toKerasCode(t.model, t.training, { name: 'iris' })).toBe(`# Keras 3 code for this model, written by Kiln.
import keras
from keras import layers

keras.utils.set_random_seed(1)

input_layer = keras.Input(shape=(4,), name="input_layer")
dense = layers.Dense(units=16, activation="relu", name="dense")(input_layer)
dense_1 = layers.Dense(units=16, activation="relu", name="dense_1")(dense)
dense_2 = layers.Dense(units=3, activation="softmax", name="dense_2")(dense_1)

model = keras.Model(inputs=input_layer, outputs=dense_2, name="iris")

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

# Train on your data: x_train holds the inputs, y_train the targets.
# model.fit(x_train, y_train, batch_size=16, epochs=100)
`);
  });

  it('writes only parameters that differ from Keras defaults, as Python literals in the form given', () => {
    const code = toKerasCode(chain(
      layer('image', 'Input', { shape: [8, 8, 1] }),
      layer('conv', 'Conv2D', { filters: 4, kernel_size: 3, strides: [1, 1], padding: 'valid', use_bias: false, kernel_regularizer: { l1: 0.01, l2: 0.02 } }),
      layer('pad', 'ZeroPadding2D', { padding: [[1, 0], [0, 2]] }),
      layer('pool', 'MaxPooling2D', { pool_size: [2, 2], strides: null }),
      layer('norm', 'BatchNormalization', { momentum: 0.9, epsilon: 0.001 }),
      layer('scale', 'Rescaling', { scale: 1 / 255, offset: 0 }),
      layer('relu', 'ReLU', { max_value: 6 }),
      layer('act', 'Activation', { activation: 'linear' }),
      layer('flat', 'Flatten'),
      layer('out', 'Dense', { units: 2, kernel_regularizer: { l2: 0.001 }, kernel_initializer: 'he_uniform' }),
    ));
    expect(lines(code).filter((l) => l.includes(' = '))).toEqual([
      'image = keras.Input(shape=(8, 8, 1), name="image")',
      'conv = layers.Conv2D(filters=4, kernel_size=3, use_bias=False, kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.02), name="conv")(image)',
      'pad = layers.ZeroPadding2D(padding=((1, 0), (0, 2)), name="pad")(conv)',
      'pool = layers.MaxPooling2D(name="pool")(pad)',
      'norm = layers.BatchNormalization(momentum=0.9, name="norm")(pool)',
      'scale = layers.Rescaling(scale=1 / 255, name="scale")(norm)',
      'relu = layers.ReLU(max_value=6.0, name="relu")(scale)',
      'act = layers.Activation(activation="linear", name="act")(relu)',
      'flat = layers.Flatten(name="flat")(act)',
      'out = layers.Dense(units=2, kernel_initializer="he_uniform", kernel_regularizer=keras.regularizers.L2(0.001), name="out")(flat)',
      'model = keras.Model(inputs=image, outputs=out, name="model")',
    ]);
  });

  it('derives unique Python names from layer names and keeps Keras names free of "/"', () => {
    const model: ModelDoc = {
      layers: [layer('in', 'Input', { shape: [3] }), layer('2nd dense', 'Dense', { units: 2 }), layer('a b', 'Dense', { units: 2 }), layer('a_b', 'Dense', { units: 2 }), layer('model', 'Add'), layer('block/out', 'Dense', { units: 1 })],
      edges: [{ from: 'in', to: '2nd dense' }, { from: '2nd dense', to: 'a b' }, { from: '2nd dense', to: 'a_b' }, { from: 'a b', to: 'model', index: 0 }, { from: 'a_b', to: 'model', index: 1 }, { from: 'model', to: 'block/out' }],
    };
    const code = lines(toKerasCode(model));
    expect(code).toContain('in_ = keras.Input(shape=(3,), name="in")');
    expect(code).toContain('layer_2nd_dense = layers.Dense(units=2, name="2nd dense")(in_)');
    expect(code).toContain('a_b = layers.Dense(units=2, name="a b")(layer_2nd_dense)');
    expect(code).toContain('a_b_2 = layers.Dense(units=2, name="a_b")(layer_2nd_dense)');
    expect(code).toContain('model_ = layers.Add(name="model")([a_b, a_b_2])');
    expect(code).toContain("# Keras does not allow '/' in a layer name: 'block/out' is named 'block_out' here");
    expect(code).toContain('block_out = layers.Dense(units=1, name="block_out")(model_)');
  });

  it('orders layers so each follows its inputs, keeping document order where it can', () => {
    const model: ModelDoc = {
      layers: [layer('out', 'Dense', { units: 1 }), layer('x', 'Input', { shape: [2] }), layer('hidden', 'Dense', { units: 3 })],
      edges: [{ from: 'hidden', to: 'out' }, { from: 'x', to: 'hidden' }],
    };
    expect(lines(toKerasCode(model)).filter((l) => / = (keras\.Input|layers\.)/.test(l)).map((l) => l.split(' = ')[0])).toEqual(['x', 'hidden', 'out']);
  });

  it('never throws on a broken model: it lists the problems and says what it left out', () => {
    const model: ModelDoc = {
      layers: [layer('x', 'Input', { shape: [4] }), layer('odd', 'Densely', { units: 2 }), layer('after', 'Dense', { units: 1 }), layer('lonely', 'Dense', { units: 1 }), layer('a', 'Dense', { units: 2, unit: 3 }), layer('b', 'Dense', { units: 2 })],
      edges: [{ from: 'x', to: 'odd' }, { from: 'odd', to: 'after' }, { from: 'a', to: 'b' }, { from: 'b', to: 'a' }],
    };
    const code = toKerasCode(model, defaultTrainingConfig());
    expect(code).toContain('# Kiln finds problems in this model; Keras will likely refuse it too:');
    expect(code).toContain('# - layer \'odd\' has type "Densely", which Kiln does not know: replace it with a supported layer');
    expect(code).toContain("# Densely 'odd' is not a layer type Kiln knows: left out");
    expect(code).toContain("# Dense 'after' reads 'odd', which is left out: left out");
    expect(code).toContain("# Dense 'lonely' is not connected to an input: left out");
    expect(code).toContain("# Dense 'a' is part of a cycle (or reads one): left out");
    expect(code).toContain('model = keras.Model(inputs=x, outputs=[], name="model")');
    expect(toKerasCode(chain(layer('x', 'Input', { shape: [4] }), layer('a', 'Dense', { units: 2, unit: 3 })))).toContain('# unit=3 is not a parameter of Dense in Kiln: left out');
    // A line break in a name stays inside the string literal and out of the comments.
    const broken = lines(toKerasCode(chain(layer('x', 'Input', { shape: [4] }), layer('two\nlines', 'Densely'))));
    expect(broken).toContain("# Densely 'two lines' is not a layer type Kiln knows: left out");
  });

  it('writes the optimizer, schedule, losses, metrics and callbacks, and says what Keras cannot take', () => {
    const model: ModelDoc = {
      layers: [layer('x', 'Input', { shape: [4] }), layer('adapt', 'Normalization'), layer('label', 'Dense', { units: 3, activation: 'softmax' }), layer('amount', 'Dense', { units: 1 })],
      edges: [{ from: 'x', to: 'adapt' }, { from: 'adapt', to: 'label' }, { from: 'adapt', to: 'amount' }],
    };
    const training: TrainingConfig = {
      ...defaultTrainingConfig(),
      loss: { label: { type: 'sparse_categorical_crossentropy', fromLogits: true }, amount: { type: 'mean_squared_error', delta: 2 }, gone: 'huber' },
      metrics: ['accuracy', 'mean_absolute_error'],
      optimizer: { type: 'adam', learningRate: 0.01, momentum: 0.9, clipvalue: 0.5, schedule: { type: 'exponential', decaySteps: 10, decayRate: 0.5 } },
      validationSplit: 0.25,
      seed: 3,
      callbacks: { earlyStopping: { monitor: 'val_loss', patience: 0, minDelta: 0, mode: 'auto', restoreBestWeights: false } },
    };
    const code = toKerasCode(model, training);
    expect(code).toContain('keras.utils.set_random_seed(3)');
    expect(code).toContain('# Adapt it to the training data before training: model.get_layer("adapt").adapt(x_train)');
    expect(code).toContain('# momentum 0.9 is not a setting of Adam: left out (Kiln ignores it too)');
    expect(code).toContain('# delta applies to the huber loss only, not mean_squared_error: left out');
    expect(code).toContain("# The loss for 'gone' is left out: 'gone' is not an output of the model");
    expect(code).toContain("# mean_absolute_error is left out for 'label': its targets are class labels (Kiln leaves it out too)");
    expect(code).toContain(`learning_rate = keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=0.01, decay_steps=10, decay_rate=0.5)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipvalue=0.5),
    loss={"label": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "amount": "mean_squared_error"},
    metrics={"label": ["accuracy"], "amount": ["accuracy", "mean_absolute_error"]},
)

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss"),
]
# Train on your data: x_train holds the inputs, y_train the targets.
# model.fit(x_train, y_train, batch_size=32, epochs=10, validation_split=0.25, callbacks=callbacks)
`);
  });

  it('is deterministic', () => {
    const t = templateById('resnet')!;
    expect(toKerasCode(t.model, t.training)).toBe(toKerasCode(structuredClone(t.model), structuredClone(t.training)));
  });
});
