// Normalisation, regularisation, activation, merge, embedding and preprocessing layers against
// Keras 3: predict() within 1e-4 on the same inputs and weights, with the same output shape,
// weight shapes and parameter count; and, for what only happens in training (batch statistics,
// dropout of whole channels, Gaussian noise), the native Model's fit() against Keras's fit() or
// against Keras's formulas.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lowerModel, type ModelDoc, type ParamValue } from '../../common/model/index.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import { runLayerCases, worstRelative, type LayerCase } from '../support/layerConformance.js';
import { prng } from '../support/specs.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;
const missing = tensorflowMissing();

const RANDOM = { gamma_initializer: 'random_normal', beta_initializer: 'random_normal' };

const CASES: LayerCase[] = [
  // Normalisation (inference: moving statistics)
  { type: 'BatchNormalization', params: {}, inputs: [[6]] },
  { type: 'BatchNormalization', params: { ...RANDOM, moving_mean_initializer: 'random_normal' }, inputs: [[4, 5]] },
  { type: 'BatchNormalization', params: { center: false, scale: false, epsilon: 0.01, moving_mean_initializer: 'random_uniform' }, inputs: [[3, 3, 4]] },
  { type: 'BatchNormalization', params: { scale: false, beta_initializer: 'random_normal' }, inputs: [[5]] },
  { type: 'BatchNormalization', params: { axis: 1, ...RANDOM, moving_mean_initializer: 'random_normal' }, inputs: [[4, 3]] },
  { type: 'LayerNormalization', params: {}, inputs: [[8]] },
  { type: 'LayerNormalization', params: RANDOM, inputs: [[3, 6]] },
  { type: 'LayerNormalization', params: { center: false, gamma_initializer: 'random_normal' }, inputs: [[5]] },
  { type: 'LayerNormalization', params: { scale: false, epsilon: 1e-5, beta_initializer: 'random_normal' }, inputs: [[2, 3, 4]] },
  { type: 'LayerNormalization', params: { axis: 1, ...RANDOM }, inputs: [[4, 3]] },
  // Regularisation: identities in inference
  { type: 'SpatialDropout1D', params: { rate: 0.5 }, inputs: [[4, 3]] },
  { type: 'SpatialDropout2D', params: { rate: 0.3 }, inputs: [[3, 3, 2]] },
  { type: 'GaussianNoise', params: { stddev: 0.2 }, inputs: [[5]] },
  // Activations
  { type: 'ReLU', params: {}, inputs: [[7]] },
  { type: 'ReLU', params: { max_value: 1.5 }, inputs: [[7]] },
  { type: 'ReLU', params: { max_value: 6 }, inputs: [[7]], batch: 2 },
  { type: 'ReLU', params: { negative_slope: 0.1 }, inputs: [[7]] },
  { type: 'ReLU', params: { negative_slope: 0.2, max_value: 1 }, inputs: [[7]] },
  { type: 'ReLU', params: { threshold: 0.5 }, inputs: [[7]] },
  { type: 'ReLU', params: { threshold: 0.5, negative_slope: 0.1, max_value: 1.2 }, inputs: [[2, 5]] },
  { type: 'LeakyReLU', params: {}, inputs: [[6]] },
  { type: 'LeakyReLU', params: { negative_slope: 0.05 }, inputs: [[2, 3]] },
  { type: 'ELU', params: {}, inputs: [[6]] },
  { type: 'ELU', params: { alpha: 0.5 }, inputs: [[6]] },
  { type: 'PReLU', params: {}, inputs: [[5]] },
  { type: 'PReLU', params: { alpha_initializer: 'random_normal' }, inputs: [[4]] },
  { type: 'PReLU', params: { alpha_initializer: 'random_normal', shared_axes: [1, 2] }, inputs: [[3, 3, 2]] },
  { type: 'Softmax', params: {}, inputs: [[5]] },
  { type: 'Softmax', params: { axis: 1 }, inputs: [[3, 4]] },
  { type: 'Softmax', params: { axis: -2 }, inputs: [[2, 3, 4]] },
  // Embedding
  { type: 'Embedding', params: { input_dim: 10, output_dim: 4 }, inputs: [[5]], intRange: 10 },
  { type: 'Embedding', params: { input_dim: 7, output_dim: 3, embeddings_initializer: 'normal' }, inputs: [[2, 3]], intRange: 7 },
  { type: 'Embedding', params: { input_dim: 3, output_dim: 2, embeddings_initializer: 'glorot_uniform' }, inputs: [[1]], intRange: 3 },
  // Merges
  { type: 'Add', params: {}, inputs: [[4], [4]] },
  { type: 'Add', params: {}, inputs: [[2, 3], [2, 3], [2, 3]] },
  { type: 'Add', params: {}, inputs: [[2, 3], [1, 3]] },
  { type: 'Add', params: {}, inputs: [[3], [2, 3]] },
  { type: 'Subtract', params: {}, inputs: [[5], [5]] },
  { type: 'Multiply', params: {}, inputs: [[2, 2], [2, 2], [2, 2]] },
  { type: 'Average', params: {}, inputs: [[3], [3], [3]] },
  { type: 'Maximum', params: {}, inputs: [[4], [4]] },
  { type: 'Minimum', params: {}, inputs: [[2, 3], [2, 3]] },
  { type: 'Concatenate', params: {}, inputs: [[2, 3], [2, 4]] },
  { type: 'Concatenate', params: { axis: 1 }, inputs: [[2, 3], [4, 3], [1, 3]] },
  { type: 'Concatenate', params: { axis: -2 }, inputs: [[2, 2, 2], [2, 3, 2]] },
  // Preprocessing
  { type: 'Rescaling', params: { scale: 1 / 255 }, inputs: [[4]] },
  { type: 'Rescaling', params: { scale: 2, offset: -1 }, inputs: [[2, 2, 3]] },
  { type: 'Rescaling', params: { scale: [1, 2, 3], offset: [0.1, 0.2, 0.3] }, inputs: [[2, 3]] },
  { type: 'Normalization', params: { mean: 1, variance: 4 }, inputs: [[3]] },
  { type: 'Normalization', params: { mean: [1, 2, 3], variance: [1, 4, 9] }, inputs: [[2, 3]] },
  { type: 'Normalization', params: { axis: 1, mean: [0.5, -1], variance: [2, 3] }, inputs: [[2, 3]] },
  { type: 'Normalization', params: { axis: null, mean: 0.5, variance: 2 }, inputs: [[2, 3]] },
  { type: 'Normalization', params: { invert: true, mean: [1, -1], variance: [4, 0] }, inputs: [[2]] },
  { type: 'Normalization', params: {}, inputs: [[4]] },
];

interface FitCase {
  type: string;
  params: Record<string, ParamValue>;
  input: number[];
  batch: number;
  samples: number;
  epochs: number;
  lr: number;
}

/** Keras's fit() of Input -> layer with mean squared error and SGD, from given weights; its final weights. */
const KERAS_FIT = `
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras, numpy as np
c = json.load(sys.stdin)
layer = getattr(keras.layers, c["type"])(**c["params"])
model = keras.Sequential([keras.Input(tuple(c["input"])), layer])
model.set_weights([np.array(w, dtype="float32").reshape(v.shape) for w, v in zip(c["weights"], model.get_weights())])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=c["lr"]), loss="mean_squared_error")
x = np.array(c["x"], dtype="float32").reshape([c["samples"], *c["input"]])
y = np.array(c["y"], dtype="float32").reshape([c["samples"], *c["input"]])
model.fit(x, y, batch_size=c["batch"], epochs=c["epochs"], shuffle=False, verbose=0)
json.dump({"weights": [w.astype("float64").ravel().tolist() for w in model.get_weights()], "y": model.predict(x, verbose=0).astype("float64").ravel().tolist()}, sys.stdout)
`;

function layerModel(type: string, params: Record<string, ParamValue>, input: number[]): ModelDoc {
  return {
    layers: [{ id: 'in', name: 'in', type: 'Input', params: { shape: input } }, { id: 'layer', name: 'layer', type, params }],
    edges: [{ from: 'in', to: 'layer' }],
  };
}

function nativeModel(doc: ModelDoc, lr: number, batch: number) {
  const lowered = lowerModel(doc, { loss: 'mean_squared_error', optimizer: { type: 'sgd', learningRate: lr }, metrics: [], batchSize: batch, epochs: 1, validationSplit: 0, seed: 3, callbacks: {} });
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  return { model: new addon.Model(lowered.spec, { backend: 'cpu' }), names: lowered.spec.params.map((p) => p.name) };
}

/** Fits Input -> layer in Kiln and in Keras from the same weights and data; both final weights. */
async function fitBoth(c: FitCase) {
  const { model, names } = nativeModel(layerModel(c.type, c.params, c.input), c.lr, c.batch);
  const initial = model.getWeights();
  const rand = prng(7);
  const n = c.samples * c.input.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, () => rand() * 4 - 1);
  const y = Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const keras = JSON.parse(execFileSync(`${root}.venv/bin/python`, ['-c', KERAS_FIT], {
    input: JSON.stringify({ ...c, weights: names.map((name) => Array.from(initial[name])), x: Array.from(x), y: Array.from(y) }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
  })) as { weights: number[][]; y: number[] };
  await model.fit({ x, y }, { epochs: c.epochs, batchSize: c.batch, shuffle: false });
  const [predicted] = await model.predict({ x }, { batchSize: c.batch });
  const final = model.getWeights();
  return { names, kiln: names.map((name) => final[name]), keras: keras.weights, x, predicted, kerasY: keras.y };
}

/**
 * A probe for what a training-only layer does to its input: Input (all -1) -> PReLU (alpha, one per
 * element) -> layer, with mean squared error against zeros and SGD. The PReLU outputs -alpha, so
 * one step of plain SGD turns alpha into what the layer did to it (see each test).
 */
async function probe(type: string, params: Record<string, ParamValue>, input: number[], alphaInit: string, lr: number): Promise<Float32Array> {
  const doc: ModelDoc = {
    layers: [
      { id: 'in', name: 'in', type: 'Input', params: { shape: input } },
      { id: 'prelu', name: 'prelu', type: 'PReLU', params: { alpha_initializer: alphaInit } },
      { id: 'layer', name: 'layer', type, params },
    ],
    edges: [{ from: 'in', to: 'prelu' }, { from: 'prelu', to: 'layer' }],
  };
  const { model } = nativeModel(doc, lr, 1);
  const n = input.reduce((a, b) => a * b, 1);
  await model.fit({ x: new Float32Array(n).fill(-1), y: new Float32Array(n) }, { epochs: 1, batchSize: 1, shuffle: false });
  return model.getWeights()['prelu/alpha'];
}

describe.skipIf(missing !== null && !process.env.CI)(`normalisation, regularisation, activation, merge, embedding and preprocessing layers against Keras${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('match Keras on every case', async () => {
    const results = await runLayerCases(CASES);
    results.forEach(({ kiln, keras }, i) => {
      const label = `${CASES[i].type} ${JSON.stringify(CASES[i].params)} on ${JSON.stringify(CASES[i].inputs)}`;
      if ('error' in keras) throw new Error(`${label}: Keras says ${keras.error}`);
      expect(kiln.shape.slice(1), label).toEqual(keras.shape.slice(1));
      expect(kiln.weightShapes, label).toEqual(keras.weight_shapes);
      expect(kiln.params, label).toBe(keras.params);
      expect(worstRelative(kiln.y, keras.y), label).toBeLessThan(1e-4);
    });
  }, 120_000);

  it.each<FitCase>([
    { type: 'BatchNormalization', params: {}, input: [4], batch: 8, samples: 16, epochs: 2, lr: 0.1 },
    { type: 'BatchNormalization', params: { momentum: 0.9, center: false }, input: [3, 4], batch: 5, samples: 10, epochs: 2, lr: 0.1 },
    { type: 'BatchNormalization', params: { momentum: 0.8, scale: false, axis: 1 }, input: [3, 2], batch: 4, samples: 8, epochs: 2, lr: 0.1 },
    { type: 'LayerNormalization', params: {}, input: [5], batch: 4, samples: 8, epochs: 2, lr: 0.1 },
    { type: 'LayerNormalization', params: { axis: 1 }, input: [3, 2], batch: 4, samples: 8, epochs: 2, lr: 0.1 },
    { type: 'PReLU', params: { alpha_initializer: 'random_normal', shared_axes: [1] }, input: [3, 2], batch: 4, samples: 8, epochs: 2, lr: 0.1 },
  ])('$type $params trains as in Keras (weights and moving statistics)', async (c) => {
    const { names, kiln, keras, predicted, kerasY } = await fitBoth(c);
    names.forEach((name, i) => expect(worstRelative(kiln[i], keras[i]), `${name}: ${Array.from(kiln[i]).join(', ')} vs Keras ${keras[i].join(', ')}`).toBeLessThan(1e-4));
    expect(worstRelative(predicted, kerasY), 'predictions after training').toBeLessThan(1e-4);
  }, 60_000);

  it("updates BatchNormalization's moving statistics with Keras's momentum and the biased batch variance", async () => {
    const { model } = nativeModel(layerModel('BatchNormalization', { momentum: 0.9 }, [2]), 0.01, 4);
    const x = Float32Array.from([1, 10, 2, 20, 3, 30, 6, 60]);
    await model.fit({ x, y: new Float32Array(8) }, { epochs: 3, batchSize: 4, shuffle: false });
    const w = model.getWeights();
    // Three steps on the same batch: mean (3, 30), biased variance (3.5, 350).
    const f = 1 - 0.9 ** 3;
    expect(Array.from(w['layer/moving_mean'])).toEqual([expect.closeTo(f * 3, 5), expect.closeTo(f * 30, 4)]);
    expect(Array.from(w['layer/moving_variance'])).toEqual([expect.closeTo(0.9 ** 3 + f * 3.5, 5), expect.closeTo(0.9 ** 3 + f * 350, 3)]);
  });
});

describe('training-only layers in the native engine', () => {
  it.each([
    ['SpatialDropout1D', [40, 16], 0.5],
    ['SpatialDropout2D', [3, 5, 24], 0.25],
  ] as const)('%s drops whole channels in training and scales the rest by 1 / (1 - rate)', async (type, input, rate) => {
    // Kept elements give alpha 1 - lr * 2/n * s^2 with s = 1 / (1 - rate): lr = n / (2 s^2) makes it 0; dropped ones stay 1.
    const n = input.reduce((a, b) => a * b, 1);
    const alpha = await probe(type, { rate }, [...input], 'ones', (n / 2) * (1 - rate) ** 2);
    const channels = input.at(-1)!;
    const dropped: boolean[] = [];
    for (let c = 0; c < channels; c++) {
      const values = new Set(Array.from({ length: n / channels }, (_, k) => Math.round(alpha[k * channels + c] * 1e4) / 1e4));
      expect([...values].length, `channel ${c} is dropped everywhere or nowhere`).toBe(1);
      expect([0, 1]).toContain([...values][0]);
      dropped.push([...values][0] === 1);
    }
    const fraction = dropped.filter(Boolean).length / channels;
    expect(fraction).toBeGreaterThan(0);
    expect(fraction).toBeLessThan(1);
  });

  it('GaussianNoise adds noise with the given stddev in training only', async () => {
    // Gradient of mean((-alpha + e)^2) in alpha is (2/n)(alpha - e): lr = n/2 turns alpha into the noise e.
    const n = 4000;
    const noise = await probe('GaussianNoise', { stddev: 0.3 }, [n], 'ones', n / 2);
    const mean = noise.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeGreaterThan(0.28);
    expect(std).toBeLessThan(0.32);

    const { model } = nativeModel(layerModel('GaussianNoise', { stddev: 0.3 }, [5]), 0.1, 2);
    const x = Float32Array.from({ length: 10 }, (_, i) => i - 4);
    expect(Array.from((await model.predict({ x }))[0])).toEqual(Array.from(x));
  });
});
