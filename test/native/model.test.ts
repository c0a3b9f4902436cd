// The engine's Model (native/src/exec/model.cpp) through its binding: fit / evaluate / predict,
// optimizers against Keras's update formulas computed here in float64, initializers, schedules,
// stop / pause / resume, errors, and process lifecycle.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec, OptimizerSpec } from '../../common/model/engineSpec.js';
import { defaultModel, defaultTrainingConfig, lowerModel } from '../../common/model/index.js';
import type { NativeAddon, NativeFitEvent } from '../../electron/host/addon.js';
import { classificationData, cnnSpec, mlpSpec } from '../support/specs.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;

/** y = x @ w (no bias), mean squared error against t: gradients are easy to write down. */
function linearSpec(optimizer: OptimizerSpec, extra: Partial<EngineModelSpec> = {}): EngineModelSpec {
  return {
    inputs: [{ name: 'x', shape: [3] }],
    targets: [{ name: 't', shape: [2] }],
    params: [{ name: 'w', shape: [3, 2], init: 'glorot_uniform' }],
    nodes: [{ op: 'matmul', name: 'y', inputs: ['x', 'w'] }],
    outputs: ['y'],
    losses: [{ type: 'mean_squared_error', output: 'y', target: 't' }],
    metrics: [],
    optimizer,
    seed: 3,
    ...extra,
  };
}

const N = 4;
const X = Float64Array.from({ length: N * 3 }, (_, i) => Math.sin(i * 1.3) * 2);
const T = Float64Array.from({ length: N * 2 }, (_, i) => Math.cos(i * 0.7));

/** dL/dw for L = mean((x w - t)^2) over the batch and both outputs. */
function gradient(w: number[]): number[] {
  const g = new Array<number>(6).fill(0);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < 2; j++) {
      let y = 0;
      for (let i = 0; i < 3; i++) y += X[n * 3 + i] * w[i * 2 + j];
      const d = (2 * (y - T[n * 2 + j])) / (N * 2);
      for (let i = 0; i < 3; i++) g[i * 2 + j] += d * X[n * 3 + i];
    }
  }
  return g;
}

/** Keras 3's update rules (keras/src/optimizers), element by element, in float64. */
function kerasSteps(o: Required<Pick<OptimizerSpec, 'type'>> & OptimizerSpec, w0: number[], steps: number, lrAt: (i: number) => number): number[] {
  const w = [...w0];
  const m = new Array<number>(6).fill(0), v = new Array<number>(6).fill(0), avg = new Array<number>(6).fill(0), mom = new Array<number>(6).fill(0);
  const wd = o.weightDecay ?? (o.type === 'adamw' ? 0.004 : 0);
  for (let it = 0; it < steps; it++) {
    let g = gradient(w);
    if (o.clipnorm) {
      const norm = Math.hypot(...g);
      g = g.map((x) => (x * o.clipnorm!) / Math.max(norm, o.clipnorm!));
    }
    if (o.clipvalue) g = g.map((x) => Math.min(Math.max(x, -o.clipvalue!), o.clipvalue!));
    const lr = lrAt(it);
    for (let k = 0; k < 6; k++) w[k] -= w[k] * wd * lr;
    for (let k = 0; k < 6; k++) {
      if (o.type === 'sgd') {
        const mu = o.momentum ?? 0;
        if (mu === 0) w[k] -= lr * g[k];
        else {
          m[k] = -g[k] * lr + m[k] * mu;
          w[k] += o.nesterov ? -g[k] * lr + m[k] * mu : m[k];
        }
      } else if (o.type === 'adam' || o.type === 'adamw') {
        const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = o.epsilon ?? 1e-7;
        const alpha = (lr * Math.sqrt(1 - b2 ** (it + 1))) / (1 - b1 ** (it + 1));
        m[k] += (g[k] - m[k]) * (1 - b1);
        v[k] += (g[k] * g[k] - v[k]) * (1 - b2);
        w[k] -= (m[k] * alpha) / (Math.sqrt(v[k]) + eps);
      } else {
        const rho = o.rho ?? 0.9, eps = o.epsilon ?? 1e-7, mu = o.momentum ?? 0;
        v[k] = rho * v[k] + (1 - rho) * g[k] * g[k];
        let denominator = v[k] + eps;
        if (o.centered) {
          avg[k] = rho * avg[k] + (1 - rho) * g[k];
          denominator = v[k] - avg[k] * avg[k] + eps;
        }
        const increment = (lr * g[k]) / Math.sqrt(denominator);
        if (mu > 0) {
          mom[k] = mu * mom[k] + increment;
          w[k] -= mom[k];
        } else w[k] -= increment;
      }
    }
  }
  return w;
}

async function trainLinear(optimizer: OptimizerSpec, steps: number) {
  const model = new addon.Model(linearSpec(optimizer), { backend: 'reference' });
  const w0 = Array.from(model.getWeights().w);
  const events: NativeFitEvent[] = [];
  await model.fit({ x: Float32Array.from(X), y: Float32Array.from(T) }, { epochs: steps, batchSize: N, shuffle: false }, (e) => events.push(...e));
  return { w0, w: Array.from(model.getWeights().w), events: events.filter((e) => e.type === 'step') };
}

function expectClose(actual: number[], expected: number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i]) / (Math.abs(expected[i]) + 1e-3)));
  expect(worst, `${actual} vs ${expected}`).toBeLessThan(tol);
}

describe('optimizers match Keras 3 update rules', () => {
  const cases: OptimizerSpec[] = [
    { type: 'sgd' },
    { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
    { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
    { type: 'adam' },
    { type: 'adam', learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-4 },
    { type: 'adamw', learningRate: 0.02 },
    { type: 'adamw', learningRate: 0.02, weightDecay: 0.1 },
    { type: 'rmsprop' },
    { type: 'rmsprop', learningRate: 0.01, momentum: 0.5, centered: true },
    { type: 'sgd', learningRate: 0.1, clipnorm: 0.05 },
    { type: 'adam', learningRate: 0.01, clipvalue: 0.02 },
  ];
  for (const o of cases) {
    it(JSON.stringify(o), async () => {
      const { w0, w } = await trainLinear(o, 5);
      const lr = o.learningRate ?? (o.type === 'sgd' ? 0.01 : 0.001);
      expectClose(w, kerasSteps(o, w0, 5, () => lr), 2e-4);
      expect(w).not.toEqual(w0);
    });
  }

  it('clips by the global norm over all weights', async () => {
    // One weight: the global norm is its own norm, so it matches clipnorm.
    const a = await trainLinear({ type: 'sgd', learningRate: 0.1, globalClipnorm: 0.05 }, 3);
    expectClose(a.w, kerasSteps({ type: 'sgd', clipnorm: 0.05 }, a.w0, 3, () => 0.1), 2e-4);
  });

  it('follows the learning-rate schedules as Keras defines them', async () => {
    const schedules: [OptimizerSpec['schedule'], (i: number) => number][] = [
      [{ type: 'exponential', decaySteps: 2, decayRate: 0.5 }, (i) => 0.1 * 0.5 ** (i / 2)],
      [{ type: 'exponential', decaySteps: 2, decayRate: 0.5, staircase: true }, (i) => 0.1 * 0.5 ** Math.floor(i / 2)],
      [{ type: 'cosine', decaySteps: 4, alpha: 0.1 }, (i) => 0.1 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(i, 4)) / 4)) + 0.1)],
      [{ type: 'cosine', decaySteps: 4, warmupSteps: 2, warmupTarget: 0.2 }, (i) => (i < 2 ? 0.1 + (0.1 * i) / 2 : 0.2 * 0.5 * (1 + Math.cos((Math.PI * Math.min(i - 2, 4)) / 4)))],
      [{ type: 'piecewise', boundaries: [1, 3], values: [0.1, 0.05, 0.01] }, (i) => (i <= 1 ? 0.1 : i <= 3 ? 0.05 : 0.01)],
      [{ type: 'warmup', warmupSteps: 3, warmupTarget: 0.3 }, (i) => (i < 3 ? 0.1 + (0.2 * i) / 3 : 0.3)],
    ];
    for (const [schedule, lrAt] of schedules) {
      const o: OptimizerSpec = { type: 'sgd', learningRate: 0.1, schedule };
      const { w0, w, events } = await trainLinear(o, 6);
      expectClose(events.map((e) => e.learningRate), [0, 1, 2, 3, 4, 5].map(lrAt), 1e-6);
      expectClose(w, kerasSteps(o as OptimizerSpec & { type: 'sgd' }, w0, 6, lrAt), 2e-4);
    }
  });

  it('adds L1 and L2 kernel regularization to the loss, as Keras does', async () => {
    const spec = linearSpec({ type: 'sgd' });
    spec.params[0] = { ...spec.params[0], l1: 0.01, l2: 0.02 };
    const model = new addon.Model(spec, { backend: 'reference' });
    const w = Array.from(model.getWeights().w);
    const { loss } = await model.evaluate({ x: Float32Array.from(X), y: Float32Array.from(T) }, { batchSize: N });
    let mse = 0;
    const g = gradient(w); // only to reuse the forward pass: recompute the loss directly below
    expect(g.length).toBe(6);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < 2; j++) {
        let y = 0;
        for (let i = 0; i < 3; i++) y += X[n * 3 + i] * w[i * 2 + j];
        mse += (y - T[n * 2 + j]) ** 2 / (N * 2);
      }
    }
    const penalty = 0.01 * w.reduce((a, b) => a + Math.abs(b), 0) + 0.02 * w.reduce((a, b) => a + b * b, 0);
    expect(loss).toBeCloseTo(mse + penalty, 5);
  });
});

describe('initializers', () => {
  // The documented stream: splitmix64 seeded with seed XOR FNV-1a-64(weight name).
  function stream(seed: bigint, name: string): () => number {
    let h = 0xcbf29ce484222325n;
    for (const c of Buffer.from(name)) h = ((h ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
    let state = seed ^ h;
    return () => {
      state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
      z ^= z >> 31n;
      return Number(z >> 11n) * 2 ** -53;
    };
  }

  it('draws glorot_uniform kernels from the documented stream, biases zero', () => {
    const weights = new addon.Model(mlpSpec([4, 16, 3], { type: 'sgd' }, 42)).getWeights();
    const next = stream(42n, 'dense_1/kernel');
    const limit = Math.sqrt(6 / (4 + 16));
    const expected = Array.from({ length: 64 }, () => Math.fround(-limit + 2 * limit * next()));
    expect(Array.from(weights['dense_1/kernel'])).toEqual(expected);
    expect(Array.from(weights['dense_1/bias'])).toEqual(new Array(16).fill(0));
  });

  it('gives he_normal its Keras spread and reproduces it from the seed', () => {
    const spec = mlpSpec([400, 300, 3], { type: 'sgd' }, 9);
    spec.params[0].init = 'he_normal';
    const w = new addon.Model(spec).getWeights()['dense_1/kernel'];
    const std = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 400) * 0.97);
    expect(std).toBeLessThan(Math.sqrt(2 / 400) * 1.03);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual((2 * Math.sqrt(2 / 400)) / 0.87962566103423978 + 1e-6);
    expect(new addon.Model(spec).getWeights()['dense_1/kernel']).toEqual(w);
  });

  it('rejects an unknown initializer, naming the weight', () => {
    const spec = mlpSpec([4, 3], { type: 'sgd' });
    spec.params[0].init = 'orthogonalish' as never;
    expect(() => new addon.Model(spec)).toThrow(/weight 'dense_1\/kernel': unknown initializer 'orthogonalish'/);
  });
});

describe('fit, evaluate, predict', () => {
  const iris = classificationData(150, [4], 3, 11);

  it('trains the default model to fit its data, reporting every step and epoch', async () => {
    const lowered = lowerModel(defaultModel(), { ...defaultTrainingConfig(), optimizer: { type: 'adam', learningRate: 0.01 }, seed: 5 });
    if (!lowered.ok) throw new Error('lowering failed');
    const model = new addon.Model(lowered.spec);
    const events: NativeFitEvent[] = [];
    const r = await model.fit({ x: iris.x, y: iris.y }, { epochs: 30, batchSize: 16, validation: { x: iris.x, y: iris.y } }, (e) => events.push(...e));
    expect(r).toEqual({ steps: 300, epochs: 30, stopped: false });
    const steps = events.filter((e) => e.type === 'step');
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(steps.map((e) => e.step)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(epochs).toHaveLength(30);
    const last = epochs[29];
    expect(last.metrics.accuracy).toBeGreaterThan(0.9);
    expect(last.valLoss).toBeLessThan(epochs[0].valLoss!);
    const ev = await model.evaluate({ x: iris.x, y: iris.y }, { batchSize: 64 });
    expect(ev.loss).toBeCloseTo(last.valLoss!, 5);
    expect(ev.metrics.accuracy).toBeCloseTo(last.valMetrics!.accuracy, 6);
    // predict gives softmax probabilities whose cross-entropy is the evaluated loss
    const [probs] = await model.predict({ x: iris.x }, { batchSize: 7 });
    let xent = 0;
    for (let i = 0; i < 150; i++) xent -= Math.log(probs[i * 3 + iris.y[i]]) / 150;
    expect(xent).toBeCloseTo(ev.loss, 4);
  });

  it('is reproducible from its seed, and shuffles differently with another', async () => {
    const run = async (seed: number) => {
      const m = new addon.Model(mlpSpec([4, 16, 3], { type: 'adam' }, seed));
      await m.fit({ x: iris.x, y: iris.y }, { epochs: 3, batchSize: 10 });
      return m.getWeights()['dense_2/kernel'];
    };
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('gives the same results on the cpu and reference backends', async () => {
    const spec = mlpSpec([4, 16, 3], { type: 'adam', learningRate: 0.01 }, 4);
    const [cpu, ref] = [new addon.Model(spec, { backend: 'cpu' }), new addon.Model(spec, { backend: 'reference' })];
    for (const m of [cpu, ref]) await m.fit({ x: iris.x, y: iris.y }, { epochs: 2, batchSize: 16 });
    const [wc, wr] = [cpu.getWeights()['dense_1/kernel'], ref.getWeights()['dense_1/kernel']];
    expectClose(Array.from(wc), Array.from(wr), 1e-3);
  });

  it('gives the same training with batches prefetched on a worker thread or gathered inline, and reports the wait', async () => {
    const run = async (prefetch: boolean) => {
      const m = new addon.Model(mlpSpec([4, 16, 3], { type: 'adam' }, 8));
      const events: NativeFitEvent[] = [];
      await m.fit({ x: iris.x, y: iris.y }, { epochs: 3, batchSize: 16, prefetch }, (e) => events.push(...e));
      return { w: m.getWeights()['dense_1/kernel'], events };
    };
    const [threaded, inline] = [await run(true), await run(false)];
    expect(threaded.w).toEqual(inline.w);
    for (const { events } of [threaded, inline]) {
      expect(events.every((e) => e.dataWait >= 0 && e.dataWait < 1)).toBe(true);
      const epoch = events.find((e) => e.type === 'epoch')!;
      const steps = events.filter((e) => e.type === 'step' && e.epoch === 0);
      expect(epoch.dataWait).toBeCloseTo(steps.reduce((a, e) => a + e.dataWait, 0), 9);
    }
    // Stopping mid-epoch ends the worker too (the fit settles).
    const m = new addon.Model(mlpSpec([4, 16, 3], { type: 'sgd' }));
    const r = await m.fit({ x: iris.x, y: iris.y }, { epochs: 1000, batchSize: 4, prefetch: true }, () => m.stop());
    expect(r.stopped).toBe(true);
  });

  it("times each step in the engine: its wall time since the previous step, the epoch's steps adding up to the epoch", async () => {
    // A CNN whose steps take milliseconds, so the per-step times are well above the clock's grain.
    const spec = cnnSpec({ input: [16, 16, 1], filters: 16, kernel: 3, pool: 2, classes: 4 }, { type: 'adam' });
    const data = classificationData(16 * 12, [16, 16, 1], 4, 2);
    const events: NativeFitEvent[] = [];
    await new addon.Model(spec).fit(data, { epochs: 2, batchSize: 16 }, (e) => events.push(...e));
    for (const epoch of [0, 1]) {
      const steps = events.filter((e) => e.type === 'step' && e.epoch === epoch);
      const end = events.find((e) => e.type === 'epoch' && e.epoch === epoch)!;
      expect(steps).toHaveLength(12);
      expect(steps.every((e) => e.seconds > 0 && e.seconds >= e.dataWait)).toBe(true);
      const sum = steps.reduce((a, e) => a + e.seconds, 0);
      expect(sum).toBeLessThanOrEqual(end.seconds);
      expect(sum).toBeGreaterThan(end.seconds * 0.9);
    }
  });

  it('takes a new learning rate between fits, as ReduceLROnPlateau does', async () => {
    const m = new addon.Model(mlpSpec([4, 8, 3], { type: 'sgd', learningRate: 0.1 }));
    const rates: number[] = [];
    await m.fit({ x: iris.x, y: iris.y }, { epochs: 1, batchSize: 50 }, (e) => rates.push(...e.map((x) => x.learningRate)));
    m.setLearningRate(0.025);
    await m.fit({ x: iris.x, y: iris.y }, { epochs: 1, batchSize: 50 }, (e) => rates.push(...e.map((x) => x.learningRate)));
    expect(rates.map((r) => Math.fround(r))).toEqual([0.1, 0.1, 0.1, 0.1, 0.025, 0.025, 0.025, 0.025].map(Math.fround));
    expect(() => m.setLearningRate(-1)).toThrow('the learning rate must be a positive number');
  });

  it('stops, pauses and resumes', async () => {
    const m = new addon.Model(mlpSpec([4, 16, 3], { type: 'sgd' }));
    let seen = 0;
    const r = await m.fit({ x: iris.x, y: iris.y }, { epochs: 100000, batchSize: 16 }, (e) => {
      seen += e.filter((ev) => ev.type === 'step').length;
      if (seen >= 50) m.stop();
    });
    expect(r.stopped).toBe(true);
    expect(r.steps).toBeGreaterThanOrEqual(50);
    expect(r.steps).toBeLessThan(100000);

    m.pause();
    const fit = m.fit({ x: iris.x, y: iris.y }, { epochs: 2, batchSize: 16 });
    const before = m.iterations();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(m.iterations()).toBe(before);
    m.resume();
    expect(await fit).toEqual({ steps: 20, epochs: 2, stopped: false });
  });

  it('stops with an error naming the step when the loss is not finite, and the op in check mode', async () => {
    const spec = mlpSpec([4, 16, 3], { type: 'sgd', learningRate: 1e30 });
    await expect(new addon.Model(spec).fit({ x: iris.x, y: iris.y }, { epochs: 5, batchSize: 16 })).rejects.toThrow(/the loss became (NaN|infinite) at epoch 1, step \d+/);
    await expect(new addon.Model(spec).fit({ x: iris.x, y: iris.y }, { epochs: 5, batchSize: 16, check: true }))
      .rejects.toThrow(/training stopped at epoch 1, step \d+: node '[^']+' \(\w+\) produced a non-finite value/);
  });

  it('rejects invalid graphs, naming the node and the reason', () => {
    const make = (change: (s: EngineModelSpec) => void) => {
      const s = mlpSpec([4, 16, 3], { type: 'sgd' });
      change(s);
      return () => new addon.Model(s);
    };
    expect(make((s) => { s.nodes[0].op = 'convolve'; })).toThrow("node 'dense_1/matmul' (convolve): unknown op 'convolve'");
    expect(make((s) => { s.params[0].shape = [5, 16]; })).toThrow(/node 'dense_1\/matmul' \(matmul\): .*\[1, 4\].*\[5, 16\]/);
    expect(make((s) => { s.nodes[0].inputs = ['nowhere', 'dense_1/kernel']; })).toThrow("'nowhere' is not defined before it (a dangling input or a cycle)");
    expect(make((s) => { s.nodes.reverse(); })).toThrow(/is not defined before it/);
    expect(make((s) => { s.optimizer = { type: 'adam', clipnorm: 1, clipvalue: 1 }; })).toThrow('only one of clipnorm, global_clipnorm and clipvalue');
    expect(make((s) => { s.losses[0].type = 'hinge' as never; })).toThrow("unknown loss 'hinge'");
    expect(() => new addon.Model(mlpSpec([4, 3], { type: 'sgd' }), { backend: 'tpu' as never })).toThrow("unknown backend 'tpu'");
  });

  it('rejects bad data with messages that name the problem', async () => {
    const m = new addon.Model(mlpSpec([4, 16, 3], { type: 'sgd' }));
    expect(() => m.fit({ x: iris.x.subarray(1), y: iris.y })).toThrow(/x for 'x' has 599 values, not a whole number of samples of shape \[4\]/);
    expect(() => m.fit({ x: iris.x, y: iris.y.subarray(1) })).toThrow("y for 'labels' has 149 samples but other arrays have 150");
    expect(() => m.fit({ x: iris.x, y: Float32Array.from(iris.y) })).toThrow("y for 'labels' must be a Int32Array");
    const bad = Int32Array.from(iris.y);
    bad[12] = 5;
    await expect(m.fit({ x: iris.x, y: bad }, { epochs: 1 })).rejects.toThrow("label 5 of sample 12 in 'labels' is not a class of 'dense_2/bias_add', which has 3");
    expect(() => m.fit({ x: iris.x, y: iris.y }, { epochs: 0 })).toThrow('options.epochs must be a whole number from 1');
    expect(() => m.fit({ x: iris.x, y: iris.y }, { batchSize: 1.5 })).toThrow('options.batchSize must be a whole number');
    const running = m.fit({ x: iris.x, y: iris.y }, { epochs: 100000 }, () => m.stop());
    expect(() => m.fit({ x: iris.x, y: iris.y })).toThrow('the model is busy');
    await running;
    const boom = new Error('boom');
    await expect(m.fit({ x: iris.x, y: iris.y }, { epochs: 100000 }, () => { throw boom; })).rejects.toBe(boom);
  });

  it('reports running out of memory as an error', async () => {
    expect(() => new addon.Model(mlpSpec([1_000_000, 1_000_000, 3], { type: 'sgd' }))).toThrow(/not enough memory for the model's weights: it needs \d+ MiB/);
    const m = new addon.Model(mlpSpec([4, 65536, 3], { type: 'sgd' }));
    const x = new Float32Array(4 << 20), y = new Int32Array(1 << 20);
    await expect(m.fit({ x, y }, { epochs: 1, batchSize: 1 << 20 })).rejects.toThrow(/not enough memory .* use a smaller batch size/);
  });

  it('updates batch-norm moving statistics with Keras momentum, and drops out only in training', async () => {
    const spec: EngineModelSpec = {
      inputs: [{ name: 'x', shape: [2] }],
      targets: [{ name: 't', shape: [2] }],
      params: [
        { name: 'bn/gamma', shape: [2], init: 'ones' }, { name: 'bn/beta', shape: [2], init: 'zeros' },
        { name: 'bn/moving_mean', shape: [2], init: 'zeros', trainable: false }, { name: 'bn/moving_variance', shape: [2], init: 'ones', trainable: false },
      ],
      nodes: [
        { op: 'batch_norm_train', name: 'bn/train', inputs: ['x', 'bn/gamma', 'bn/beta'], outputs: ['bn', 'bn/mean', 'bn/variance'], mode: 'train' },
        { op: 'batch_norm_infer', name: 'bn/infer', inputs: ['x', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance'], outputs: ['bn'], mode: 'infer' },
        { op: 'dropout', name: 'drop', inputs: ['bn'], attrs: { rate: 0.5 }, mode: 'train', outputs: ['out', 'drop/mask'] },
        { op: 'reshape', name: 'out', inputs: ['bn'], attrs: { shape: [-1, 2] }, mode: 'infer' },
      ],
      movingAverages: [{ var: 'bn/moving_mean', value: 'bn/mean', momentum: 0.99 }, { var: 'bn/moving_variance', value: 'bn/variance', momentum: 0.99 }],
      outputs: ['out'],
      losses: [{ type: 'mean_squared_error', output: 'out', target: 't' }],
      metrics: [],
      optimizer: { type: 'sgd', learningRate: 1e-9 },
      seed: 1,
    };
    const m = new addon.Model(spec, { backend: 'reference' });
    const x = Float32Array.from([1, 10, 3, 20, 5, 60, 7, 10]);
    await m.fit({ x, y: new Float32Array(8) }, { epochs: 1, batchSize: 4, shuffle: false });
    const w = m.getWeights();
    expect(w['bn/moving_mean'][0]).toBeCloseTo(0.01 * 4, 5);
    expect(w['bn/moving_mean'][1]).toBeCloseTo(0.01 * 25, 4);
    expect(w['bn/moving_variance'][0]).toBeCloseTo(0.99 + 0.01 * 5, 4); // biased variance of 1,3,5,7
    const [a] = await m.predict({ x }, { batchSize: 4 });
    const [b] = await m.predict({ x }, { batchSize: 4 });
    expect(a).toEqual(b); // inference: no dropout, moving statistics
    expect(a[0]).toBeCloseTo((1 - w['bn/moving_mean'][0]) / Math.sqrt(w['bn/moving_variance'][0] + 1e-3), 4);
  });
});

describe('process lifecycle', () => {
  // Each case runs in a child process so a crash or hang shows up as its exit status.
  const run = (script: string, args: string[] = []) => spawnSync(process.execPath, [...args, '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, KILN_ADDON: addonPath, KILN_SPEC: JSON.stringify(mlpSpec([4, 16, 3], { type: 'sgd', learningRate: 0.1 })) },
  });
  const prelude = `
    const addon = require(process.env.KILN_ADDON);
    const spec = JSON.parse(process.env.KILN_SPEC);
    const n = 64, x = new Float32Array(n * 4), y = new Int32Array(n);
    for (let i = 0; i < n; i++) { y[i] = i % 3; for (let j = 0; j < 4; j++) x[i * 4 + j] = Math.sin(i * 7 + j); }
  `;

  it('exits on its own after a fit finishes', () => {
    const r = run(`${prelude}
      new addon.Model(spec).fit({ x, y }, { epochs: 20, batchSize: 8 }, () => {}).then((res) => console.log('done', res.steps));`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('done 160');
  });

  it('survives process.exit during a fit', () => {
    const r = run(`${prelude}
      new addon.Model(spec).fit({ x, y }, { epochs: 1e6, batchSize: 8 }, () => process.exit(3));`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(3);
  });

  it('survives terminating a worker thread during a fit', () => {
    const r = run(`
      const { Worker } = require('node:worker_threads');
      const w = new Worker(${JSON.stringify(prelude)} + \`
        const { parentPort } = require('node:worker_threads');
        new addon.Model(spec).fit({ x, y }, { epochs: 1e6, batchSize: 8 }, () => parentPort.postMessage('step'));\`, { eval: true, env: process.env });
      w.once('message', () => w.terminate().then(() => console.log('terminated')));`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('terminated');
  });

  it('keeps an unreferenced model alive until its fit settles', () => {
    const r = run(`${prelude}
      let p = new addon.Model(spec).fit({ x, y }, { epochs: 300, batchSize: 8 }, () => global.gc());
      const timer = setInterval(() => global.gc(), 1);
      p.then((res) => { clearInterval(timer); console.log('done', res.steps); });
      p = null;`, ['--expose-gc']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('done 2400');
  });
});
