// Model.gradients (native/src/exec/model.cpp): d(loss)/d(weight) over a data set's first batch, as
// the training step computes them, with nothing updated. Checked against a formula, central finite
// differences of the evaluated loss (float64 sums of float32 losses), and the reference backend.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec } from '../../common/model/engineSpec.js';
import type { BackendName, NativeAddon } from '../../electron/host/addon.js';
import { lowerDense, type SpecDraft } from '../support/lowerLayers.js';
import { classificationData, mlpSpec } from '../support/specs.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;

/** y = x @ w, mean squared error: dL/dw = 2 x^T (x w - t) / (n * 2). */
const linear = (extra: Partial<EngineModelSpec['params'][number]> = {}): EngineModelSpec => ({
  inputs: [{ name: 'x', shape: [3] }],
  targets: [{ name: 't', shape: [2] }],
  params: [{ name: 'w', shape: [3, 2], init: 'glorot_uniform', ...extra }, { name: 'frozen', shape: [2], init: 'ones', trainable: false }],
  nodes: [{ op: 'matmul', name: 'xw', inputs: ['x', 'w'] }, { op: 'mul', name: 'y', inputs: ['xw', 'frozen'] }],
  outputs: ['y'],
  losses: [{ type: 'mean_squared_error', output: 'y', target: 't' }],
  metrics: [],
  optimizer: { type: 'adam', learningRate: 0.1 },
  seed: 3,
});
const X = Float32Array.from({ length: 6 * 3 }, (_, i) => Math.sin(i * 1.3) * 2);
const T = Float32Array.from({ length: 6 * 2 }, (_, i) => Math.cos(i * 0.7));

function linearGradient(w: Float32Array, n: number, l2 = 0): number[] {
  const g = Array.from(w, (v) => 2 * l2 * v);
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < 2; j++) {
      let y = 0;
      for (let i = 0; i < 3; i++) y += X[s * 3 + i] * w[i * 2 + j];
      for (let i = 0; i < 3; i++) g[i * 2 + j] += (2 * (y - T[s * 2 + j]) * X[s * 3 + i]) / (n * 2);
    }
  }
  return g;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs), 1e-6);
  const worst = Math.max(...Array.from(actual, (a, i) => Math.abs(a - expected[i]) / scale));
  expect(worst, `${what}: ${Array.from(actual)} vs ${Array.from(expected)}`).toBeLessThan(tol);
}

describe('Model.gradients', () => {
  it('gives d(loss)/d(w) of the first batch, regularization included, frozen weights left out', async () => {
    const m = new addon.Model(linear({ l2: 0.05 }), { backend: 'reference' });
    const w = m.getWeights().w;
    const g = await m.gradients({ x: X, y: T }, { batchSize: 4 });
    expect(Object.keys(g)).toEqual(['w']);
    expectClose(g.w, linearGradient(w, 4, 0.05), 1e-5, 'batch of 4');
    // A batch larger than the data is the whole data.
    expectClose((await m.gradients({ x: X, y: T }, { batchSize: 64 })).w, linearGradient(w, 6, 0.05), 1e-5, 'all 6');
  });

  it('updates nothing: weights, optimizer state and step count stay as they were', async () => {
    const spec = linear();
    const [a, b] = [new addon.Model(spec, { backend: 'cpu' }), new addon.Model(spec, { backend: 'cpu' })];
    const before = a.getWeights().w.slice();
    await a.gradients({ x: X, y: T }, { batchSize: 6 });
    expect(a.getWeights().w).toEqual(before);
    expect(a.iterations()).toBe(0);
    // Training afterwards goes exactly as it does without the call (Adam's moments untouched).
    for (const m of [a, b]) await m.fit({ x: X, y: T }, { epochs: 3, batchSize: 3, shuffle: false });
    await a.gradients({ x: X, y: T }, { batchSize: 6 });
    for (const m of [a, b]) await m.fit({ x: X, y: T }, { epochs: 2, batchSize: 3, shuffle: false });
    expect(a.getWeights().w).toEqual(b.getWeights().w);
    expect(a.iterations()).toBe(10);
  });

  it('matches central finite differences of the loss on a tanh network', async () => {
    const draft: SpecDraft = { params: [], nodes: [] };
    const [hidden] = lowerDense(draft, 'dense', 'x', 4, { units: 5, activation: 'tanh' });
    const [logits] = lowerDense(draft, 'dense_1', hidden, 5, { units: 3 });
    const spec: EngineModelSpec = {
      ...mlpSpec([4, 3], { type: 'sgd' }, 7), ...draft, outputs: [logits],
      losses: [{ type: 'sparse_categorical_crossentropy', output: logits, target: 'labels', fromLogits: true }], metrics: [],
    };
    const data = classificationData(8, [4], 3, 5);
    const m = new addon.Model(spec, { backend: 'reference' });
    const g = await m.gradients(data, { batchSize: 8 });
    expect(Object.keys(g).sort()).toEqual(['dense/bias', 'dense/kernel', 'dense_1/bias', 'dense_1/kernel']);
    const h = 1e-2;
    for (const [name, grad] of Object.entries(g)) {
      const w = m.getWeights()[name];
      const numeric: number[] = [];
      for (let k = 0; k < w.length; k++) {
        const at = async (d: number) => {
          const p = w.slice();
          p[k] += d;
          m.setWeights({ [name]: p });
          return (await m.evaluate(data, { batchSize: 8 })).loss;
        };
        numeric.push(((await at(h)) - (await at(-h))) / (2 * h));
      }
      m.setWeights({ [name]: w });
      expectClose(grad, numeric, 2e-3, name);
    }
  });

  it('gives the same gradients on every backend as on the reference, and the same twice', async () => {
    const spec = mlpSpec([4, 16, 3], { type: 'adam' }, 4);
    const data = classificationData(40, [4], 3, 2);
    // Two training steps first: on a GPU the second leaves the other set of batch buffers bound.
    const trained = async (backend: BackendName) => {
      const m = new addon.Model(spec, { backend });
      await m.fit(classificationData(32, [4], 3, 3), { epochs: 1, batchSize: 16, shuffle: false });
      return m;
    };
    const gr = await (await trained('reference')).gradients(data, { batchSize: 32 });
    for (const backend of addon.backends().filter((b) => b !== 'reference')) {
      const model = await trained(backend);
      const g = await model.gradients(data, { batchSize: 32 });
      for (const name of Object.keys(gr)) expectClose(g[name], gr[name], 1e-4, `${backend} ${name}`);
      expect(await model.gradients(data, { batchSize: 32 })).toEqual(g);
    }
  });

  it('gives the unscaled gradients under mixed_float16 (float16 products on the GPU)', async () => {
    const spec = mlpSpec([4, 16, 3], { type: 'adam' }, 4);
    const data = classificationData(40, [4], 3, 2);
    const plain = await new addon.Model(spec, { backend: 'cpu' }).gradients(data, { batchSize: 32 });
    for (const backend of addon.backends().filter((b) => b !== 'reference')) {
      const mixed = await new addon.Model({ ...spec, precision: 'mixed_float16' }, { backend }).gradients(data, { batchSize: 32 });
      for (const name of Object.keys(plain)) expectClose(mixed[name], plain[name], backend === 'cuda' ? 1e-2 : 1e-6, `${backend} ${name}`);
    }
  });

  it('rejects bad labels and a busy model, in the user\'s terms', async () => {
    const spec = mlpSpec([4, 3], { type: 'sgd' });
    const m = new addon.Model(spec);
    const data = classificationData(4, [4], 3, 1);
    const bad = data.y.slice();
    bad[1] = 7;
    await expect(m.gradients({ x: data.x, y: bad }, { batchSize: 4 })).rejects.toThrow("label 7 of sample 1 in 'labels' is not a class");
    // Only the first batch is read: a bad label after it does not matter.
    await expect(m.gradients({ x: data.x, y: bad }, { batchSize: 1 })).resolves.toBeDefined();
    expect(() => m.gradients({ x: data.x, y: data.y.subarray(1) })).toThrow("y for 'labels' has 3 samples but other arrays have 4");
    const running = m.fit(data, { epochs: 100000 }, () => m.stop());
    await expect(m.gradients(data)).rejects.toThrow('the model is busy');
    await running;
  });
});
