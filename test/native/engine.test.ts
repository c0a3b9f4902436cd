// Tests of the native engine through its JS API (native/binding/addon.cpp).
// Needs the addon built: `npx node-gyp rebuild --directory native`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface LayerSpec { inputs: number; units: number; activation?: 'relu' | 'linear' }
interface StepRecord { step: number; epoch: number; loss: number }
interface FitOptions { x: Float32Array; y: Int32Array; epochs: number; batchSize: number; learningRate: number; shuffle?: boolean }
interface FitResult { loss: number; accuracy: number; steps: number; stopped: boolean }
interface Trainer {
  getWeights(): Float32Array[];
  setWeights(arrays: Float32Array[]): void;
  evaluate(x: Float32Array, y: Int32Array): Promise<{ loss: number; accuracy: number }>;
  gradients(x: Float32Array, y: Int32Array): Promise<{ loss: number; grads: Float32Array[] }>;
  fit(options: FitOptions, onSteps?: (steps: StepRecord[]) => void): Promise<FitResult>;
  stop(): void;
  isTraining(): boolean;
}
interface KilnNative {
  version(): string;
  Trainer: new (options: { layers: LayerSpec[]; seed?: number | bigint }) => Trainer;
}

const addonPath = fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as KilnNative;

const irisLayers: LayerSpec[] = [
  { inputs: 4, units: 16, activation: 'relu' },
  { inputs: 16, units: 3, activation: 'linear' },
];

// Iris with standardized features (mean 0, population std 1 per column).
function loadIris(): { x: Float32Array; y: Int32Array } {
  const text = readFileSync(new URL('../../assets/datasets/iris.csv', import.meta.url), 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  expect(lines[0]).toBe('sepal_length,sepal_width,petal_length,petal_width,species');
  const species = ['setosa', 'versicolor', 'virginica'];
  const rows = lines.slice(1).map((l) => l.split(','));
  expect(rows.length).toBe(150);
  const x = new Float32Array(rows.length * 4);
  const y = new Int32Array(rows.length);
  for (let c = 0; c < 4; c++) {
    const col = rows.map((r) => Number(r[c]));
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    const std = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
    col.forEach((v, i) => { x[i * 4 + c] = (v - mean) / std; });
  }
  rows.forEach((r, i) => {
    y[i] = species.indexOf(r[4]);
    expect(y[i]).toBeGreaterThanOrEqual(0);
  });
  return { x, y };
}

// mulberry32: a small seeded PRNG for test data.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('native engine', () => {
  it('reports its version', () => {
    expect(addon.version()).toMatch(/^kiln-native \d+\.\d+\.\d+ \(cpu\)$/);
  });

  it('trains a 4-16-3 MLP on Iris', async () => {
    const { x, y } = loadIris();
    const t = new addon.Trainer({ layers: irisLayers, seed: 1 });
    const initial = await t.evaluate(x, y);
    const epochs = 50;
    const delivered: StepRecord[] = [];
    let calls = 0;
    const result = await t.fit({ x, y, epochs, batchSize: 16, learningRate: 0.1, shuffle: true }, (steps) => {
      calls++;
      delivered.push(...steps);
    });
    const final = await t.evaluate(x, y);

    const expectedSteps = epochs * Math.ceil(150 / 16);
    expect(result.stopped).toBe(false);
    expect(result.steps).toBe(expectedSteps);
    expect(delivered.length).toBe(expectedSteps);
    expect(calls).toBeGreaterThan(0);
    delivered.forEach((s, i) => {
      expect(s.step).toBe(i + 1);
      expect(s.epoch).toBe(Math.floor(i / Math.ceil(150 / 16)));
      expect(Number.isFinite(s.loss)).toBe(true);
    });
    expect(final.loss).toBeLessThan(0.5 * initial.loss);
    expect(final.accuracy).toBeGreaterThan(0.9);
    expect(result.loss).toBeLessThan(0.5 * initial.loss);
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(t.isTraining()).toBe(false);
  });

  it('computes gradients that match central finite differences', async () => {
    const layers: LayerSpec[] = [{ inputs: 3, units: 4, activation: 'relu' }, { inputs: 4, units: 2, activation: 'linear' }];
    const t = new addon.Trainer({ layers, seed: 7 });
    const weights = t.getWeights();
    const [k0, b0] = weights;
    const eps = 1e-2;
    // Relu has a kink at 0. Perturbing one first-layer weight by eps moves a hidden
    // pre-activation by at most eps (|x| <= 1), so pick data whose pre-activations all stay
    // at least 5 * eps from 0; the loss is then smooth in every perturbed direction. Also ask
    // that every hidden unit be active on some row, so no gradient is trivially zero.
    let x = new Float32Array(15);
    let y = new Int32Array(5);
    let found = false;
    for (let seed = 1; seed < 1000 && !found; seed++) {
      const rand = prng(seed);
      x = Float32Array.from({ length: 15 }, () => 2 * rand() - 1);
      y = Int32Array.from({ length: 5 }, () => (rand() < 0.5 ? 0 : 1));
      let ok = true;
      const active = [false, false, false, false];
      for (let r = 0; r < 5; r++) {
        for (let j = 0; j < 4; j++) {
          let z = b0[j];
          for (let i = 0; i < 3; i++) z += x[r * 3 + i] * k0[i * 4 + j];
          if (Math.abs(z) < 5 * eps) ok = false;
          if (z > 0) active[j] = true;
        }
      }
      found = ok && active.every(Boolean) && y.includes(0) && y.includes(1);
    }
    expect(found).toBe(true);

    const analytic = await t.gradients(x, y);
    expect(analytic.grads.map((g) => g.length)).toEqual([12, 4, 8, 2]);
    expect((await t.evaluate(x, y)).loss).toBeCloseTo(analytic.loss, 6);

    let checked = 0;
    let largest = 0;
    for (let a = 0; a < weights.length; a++) {
      for (let k = 0; k < weights[a].length; k++) {
        const plus = weights.map((w) => w.slice());
        const minus = weights.map((w) => w.slice());
        plus[a][k] += eps;
        minus[a][k] -= eps;
        // Use the steps actually taken after rounding to float32.
        const h = plus[a][k] - minus[a][k];
        t.setWeights(plus);
        const lossPlus = (await t.evaluate(x, y)).loss;
        t.setWeights(minus);
        const lossMinus = (await t.evaluate(x, y)).loss;
        const numeric = (lossPlus - lossMinus) / h;
        const g = analytic.grads[a][k];
        expect(Math.abs(numeric - g), `weight array ${a}, entry ${k}: numeric ${numeric}, analytic ${g}`)
          .toBeLessThanOrEqual(1e-3 + 2e-2 * Math.abs(g));
        largest = Math.max(largest, Math.abs(g));
        checked++;
      }
    }
    expect(checked).toBe(12 + 4 + 8 + 2);
    expect(largest).toBeGreaterThan(1e-2);
    t.setWeights(weights);
    expect(t.getWeights()).toEqual(weights);
  });

  it('is reproducible from its seed', async () => {
    const { x, y } = loadIris();
    const a = new addon.Trainer({ layers: irisLayers, seed: 123 });
    const b = new addon.Trainer({ layers: irisLayers, seed: 123 });
    const c = new addon.Trainer({ layers: irisLayers, seed: 124 });
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(a.getWeights()[0]).not.toEqual(c.getWeights()[0]);
    expect(a.getWeights()[1].every((v) => v === 0)).toBe(true); // zero biases

    const options = { x, y, epochs: 5, batchSize: 16, learningRate: 0.05, shuffle: true };
    const ra = await a.fit(options);
    const rb = await b.fit(options);
    expect(ra.loss).toBe(rb.loss);
    expect(a.getWeights()).toEqual(b.getWeights());
    expect((await a.evaluate(x, y)).loss).toBe((await b.evaluate(x, y)).loss);
  });

  it('initializes kernels glorot_uniform from the documented splitmix64 stream', () => {
    // An independent implementation of native/src/rng.cpp + the trainer's init, so the same
    // seed is known to give the same weights on every platform.
    const mask = (1n << 64n) - 1n;
    let state = 2024n;
    const next = (): bigint => {
      state = (state + 0x9e3779b97f4a7c15n) & mask;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
      return z ^ (z >> 31n);
    };
    next(); // the first draw seeds the shuffle stream
    const layers: LayerSpec[] = [{ inputs: 5, units: 3, activation: 'relu' }, { inputs: 3, units: 2 }];
    const weights = new addon.Trainer({ layers, seed: 2024 }).getWeights();
    for (let l = 0; l < layers.length; l++) {
      const limit = Math.sqrt(6 / (layers[l].inputs + layers[l].units));
      const expected = Array.from({ length: layers[l].inputs * layers[l].units },
        () => Math.fround((2 * (Number(next() >> 11n) * 2 ** -53) - 1) * limit));
      expect(Array.from(weights[2 * l])).toEqual(expected);
      expect(Array.from(weights[2 * l + 1])).toEqual(new Array(layers[l].units).fill(0));
    }
    expect(new addon.Trainer({ layers, seed: 2024n }).getWeights()).toEqual(weights);
  });

  it('stops a running fit on request', async () => {
    const { x, y } = loadIris();
    const t = new addon.Trainer({ layers: irisLayers, seed: 3 });
    let delivered = 0;
    let trainingSeen = false;
    const result = await t.fit({ x, y, epochs: 100000, batchSize: 16, learningRate: 0.05, shuffle: true }, (steps) => {
      if (delivered === 0) {
        trainingSeen = t.isTraining();
        t.stop();
      }
      delivered += steps.length;
    });
    expect(trainingSeen).toBe(true);
    expect(result.stopped).toBe(true);
    expect(result.steps).toBeGreaterThan(0);
    expect(result.steps).toBeLessThan(100000 * 10);
    expect(delivered).toBe(result.steps);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(t.isTraining()).toBe(false);
    const after = await t.evaluate(x, y);
    expect(Number.isFinite(after.loss)).toBe(true);
    // The trainer is usable again, and the stop request does not leak into the next fit.
    const again = await t.fit({ x, y, epochs: 1, batchSize: 16, learningRate: 0.05 });
    expect(again).toMatchObject({ steps: 10, stopped: false });
  });

  it('rejects bad input with messages that name the problem', async () => {
    const { x, y } = loadIris();
    const make = (layers: LayerSpec[]) => () => new addon.Trainer({ layers, seed: 1 });
    expect(make([{ inputs: 4, units: 16, activation: 'relu' }, { inputs: 8, units: 3 }]))
      .toThrow("layers[1].inputs is 8 but layers[0].units is 16; each Dense layer's inputs must equal the previous layer's units");
    expect(make([{ inputs: 4, units: 0 }])).toThrow(RangeError);
    expect(make([{ inputs: 4, units: 0 }])).toThrow('layers[0].units is 0; it must be at least 1');
    expect(make([{ inputs: -1, units: 3 }])).toThrow('layers[0].inputs is -1');
    expect(make([])).toThrow('no layers');
    expect(make([{ inputs: 4, units: 3, activation: 'tanh' as 'relu' }])).toThrow("layers[0].activation 'tanh' is not supported");
    expect(make([{ inputs: 4.5, units: 3 }])).toThrow('layers[0].inputs must be a whole number');
    expect(make([{ inputs: '4' as unknown as number, units: 3 }])).toThrow(TypeError);
    expect(() => new addon.Trainer({ layers: irisLayers, seed: -1 })).toThrow(RangeError);
    expect(() => new addon.Trainer(undefined as unknown as { layers: LayerSpec[] })).toThrow(TypeError);

    const t = new addon.Trainer({ layers: irisLayers, seed: 1 });
    expect(() => t.evaluate(x.subarray(0, 10), y)).toThrow(RangeError);
    expect(() => t.evaluate(x.subarray(0, 10), y)).toThrow('x has 10 values, but y has 150 labels and the first Dense layer has 4 inputs');
    expect(() => t.evaluate(Array.from(x) as unknown as Float32Array, y)).toThrow(TypeError);
    expect(() => t.gradients(x, Float32Array.from(y) as unknown as Int32Array)).toThrow('y must be an Int32Array');
    const badY = y.slice();
    badY[12] = 5;
    expect(() => t.evaluate(x, badY)).toThrow('label 5 at row 12 is out of range: the last Dense layer has 3 units');
    expect(() => t.fit({ x, y: badY, epochs: 1, batchSize: 16, learningRate: 0.1 })).toThrow('label 5 at row 12');
    const nanX = x.slice();
    nanX[9] = NaN;
    expect(() => t.evaluate(nanX, y)).toThrow('non-finite value (NaN) at row 2, column 1');
    expect(() => t.fit({ x, y, epochs: 0, batchSize: 16, learningRate: 0.1 })).toThrow('options.epochs is 0');
    expect(() => t.fit({ x, y, epochs: 1, batchSize: 0, learningRate: 0.1 })).toThrow('options.batchSize is 0');
    expect(() => t.fit({ x, y, epochs: 1, batchSize: 16, learningRate: NaN })).toThrow('options.learningRate');
    expect(() => t.fit({ x, y, epochs: 1, batchSize: 16, learningRate: 0.1 }, 5 as unknown as () => void)).toThrow('onSteps must be a function');
    expect(() => t.setWeights(t.getWeights().slice(1))).toThrow('setWeights: expected 4 arrays');
    const short = t.getWeights();
    short[2] = new Float32Array(47);
    expect(() => t.setWeights(short)).toThrow('array 2, the layers[1] kernel (16 x 3), has 47 values; expected 48');

    // One job at a time per trainer.
    const running = t.fit({ x, y, epochs: 100000, batchSize: 16, learningRate: 0.01 }, () => t.stop());
    expect(t.isTraining()).toBe(true);
    await expect(t.fit({ x, y, epochs: 1, batchSize: 16, learningRate: 0.1 })).rejects.toThrow('trainer is busy');
    await expect(t.evaluate(x, y)).rejects.toThrow('trainer is busy');
    await expect(t.gradients(x, y)).rejects.toThrow('trainer is busy');
    expect(() => t.setWeights(t.getWeights())).toThrow('trainer is busy');
    expect((await running).stopped).toBe(true);

    // A throwing step callback stops the fit and rejects it with what was thrown.
    const boom = new Error('callback failed');
    await expect(t.fit({ x, y, epochs: 100000, batchSize: 16, learningRate: 0.01 }, () => { throw boom; })).rejects.toBe(boom);
    expect(t.isTraining()).toBe(false);
  });

  describe('process lifecycle', () => {
    // Each case runs in a child process so a crash or hang shows up as its exit status.
    const run = (script: string, args: string[] = []) => spawnSync(process.execPath, [...args, '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, KILN_ADDON: addonPath },
    });
    const prelude = `
      const addon = require(process.env.KILN_ADDON);
      const n = 64, x = new Float32Array(n * 4), y = new Int32Array(n);
      for (let i = 0; i < n; i++) { y[i] = i % 3; for (let j = 0; j < 4; j++) x[i * 4 + j] = Math.sin(i * 7 + j); }
      const layers = [{ inputs: 4, units: 16, activation: 'relu' }, { inputs: 16, units: 3 }];
    `;

    it('exits on its own after a fit finishes', () => {
      const r = run(`${prelude}
        new addon.Trainer({ layers, seed: 1 }).fit({ x, y, epochs: 20, batchSize: 8, learningRate: 0.1 }, () => {})
          .then((res) => console.log('done', res.steps));`);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('done 160');
    });

    it('survives process.exit during a fit', () => {
      const r = run(`${prelude}
        new addon.Trainer({ layers, seed: 1 }).fit({ x, y, epochs: 1e7, batchSize: 8, learningRate: 0.1 }, () => process.exit(3));`);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(3);
    });

    it('survives terminating a worker thread during a fit', () => {
      const r = run(`
        const { Worker } = require('node:worker_threads');
        const w = new Worker(${JSON.stringify(prelude)} + \`
          const { parentPort } = require('node:worker_threads');
          new addon.Trainer({ layers, seed: 1 }).fit({ x, y, epochs: 1e7, batchSize: 8, learningRate: 0.1 },
            () => parentPort.postMessage('step'));\`, { eval: true, env: process.env });
        w.once('message', () => w.terminate().then(() => console.log('terminated')));`);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('terminated');
    });

    it('keeps an unreferenced trainer alive until its fit settles', () => {
      const r = run(`${prelude}
        let p = new addon.Trainer({ layers, seed: 1 }).fit({ x, y, epochs: 300, batchSize: 8, learningRate: 0.1 }, () => global.gc());
        const timer = setInterval(() => global.gc(), 1);
        p.then((res) => { clearInterval(timer); console.log('done', res.steps); });
        p = null;`, ['--expose-gc']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('done 2400');
    });
  });
});
