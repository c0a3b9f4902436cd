import { describe, expect, it } from 'vitest';
import { addon, checkGradients, makeValues, runOp, type OpCase } from './harness.js';

/** x viewed as [outer, C, inner] around `axis`; returns the channel of each element. */
function channelOf(shape: number[], axis: number): number[] {
  const a = axis < 0 ? axis + shape.length : axis;
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const total = shape.reduce((p, d) => p * d, 1);
  return Array.from({ length: total }, (_, k) => Math.floor(k / inner) % shape[a]);
}

/** Batch statistics (biased variance) and y = gamma * (x - mean) / sqrt(var + eps) + beta. */
function batchNorm(x: number[], shape: number[], axis: number, gamma: number[], beta: number[], eps: number) {
  const ch = channelOf(shape, axis);
  const c = gamma.length;
  const n = x.length / c;
  const mean = new Array<number>(c).fill(0);
  const variance = new Array<number>(c).fill(0);
  x.forEach((v, k) => (mean[ch[k]] += v / n));
  x.forEach((v, k) => (variance[ch[k]] += (v - mean[ch[k]]) ** 2 / n));
  const y = x.map((v, k) => (gamma[ch[k]] * (v - mean[ch[k]])) / Math.sqrt(variance[ch[k]] + eps) + beta[ch[k]]);
  return { y, mean, variance };
}

function layerNorm(x: number[], d: number, gamma: number[], beta: number[], eps: number) {
  const rows = x.length / d;
  const y: number[] = [];
  const mean: number[] = [];
  const rstd: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * d, (r + 1) * d);
    const m = row.reduce((p, v) => p + v, 0) / d;
    const v = row.reduce((p, u) => p + (u - m) ** 2, 0) / d;
    mean.push(m);
    rstd.push(1 / Math.sqrt(v + eps));
    row.forEach((u, j) => y.push(((u - m) / Math.sqrt(v + eps)) * gamma[j] + beta[j]));
  }
  return { y, mean, rstd };
}

/** The documented dropout hash: kept when splitmix64(uint32(seed) * 2^32 + k) >> 11, over 2^53, is >= rate. */
function keptByHash(seed: number, k: number, rate: number): boolean {
  const m = (1n << 64n) - 1n;
  let z = ((BigInt(seed >>> 0) << 32n) + BigInt(k) + 0x9e3779b97f4a7c15n) & m;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & m;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & m;
  z ^= z >> 31n;
  return Number(z >> 11n) / 2 ** 53 >= rate;
}

/** Attributes without the ones left at their defaults. */
function attrsOf(a: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(a).filter((e): e is [string, number] => e[1] !== undefined));
}

function expectClose(actual: ArrayLike<number>, expected: number[], digits: number): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

describe('batch_norm_train', () => {
  const cases: { shape: number[]; axis?: number; epsilon?: number }[] = [
    { shape: [4, 3] },
    { shape: [2, 3, 2], epsilon: 0.01 },
    { shape: [2, 3, 2, 2], axis: 1 },
    { shape: [3, 2, 4], axis: -2 },
  ];

  it('normalises over every axis but the channel axis, with the biased batch variance', async () => {
    for (const { shape, axis, epsilon } of cases) {
      const a = axis ?? -1;
      const channels = shape[a < 0 ? a + shape.length : a];
      const c: OpCase = { op: 'batch_norm_train', inputs: [{ shape }, { shape: [channels] }, { shape: [channels] }], attrs: attrsOf({ axis, epsilon }) };
      const v = makeValues(c, 3);
      const want = batchNorm(v[0], shape, a, v[1], v[2], epsilon ?? 1e-3);
      for (const [dtype, digits] of [['float64', 12], ['float32', 5]] as const) {
        const { outputs, shapes } = await runOp(c, v, dtype);
        expect(shapes).toEqual([shape, [channels], [channels]]);
        expectClose(outputs[0], want.y, digits);
        expectClose(outputs[1], want.mean, digits);
        expectClose(outputs[2], want.variance, digits);
      }
    }
  });

  it('uses the population variance (divides by N, not N - 1)', async () => {
    const { outputs } = await runOp(
      { op: 'batch_norm_train', inputs: [{ shape: [4, 1] }, { shape: [1] }, { shape: [1] }] },
      [[1, 2, 3, 4], [1], [0]],
      'float64',
    );
    expect(outputs[1][0]).toBe(2.5);
    expect(outputs[2][0]).toBe(1.25);
    expect(outputs[0][0]).toBeCloseTo(-1.5 / Math.sqrt(1.25 + 1e-3), 12);
  });

  it('gradients w.r.t. x, gamma and beta match finite differences', async () => {
    for (const { shape, axis, epsilon } of cases) {
      const a = axis ?? -1;
      const channels = shape[a < 0 ? a + shape.length : a];
      await checkGradients({ op: 'batch_norm_train', inputs: [{ shape }, { shape: [channels] }, { shape: [channels] }], attrs: attrsOf({ axis, epsilon }) });
    }
  });

  it('names the node when gamma does not match the channel axis, or the axis is out of range', () => {
    const g = new addon.Graph();
    g.input('x', [8, 4, 3]);
    g.param('gamma', [4]);
    g.param('beta', [3]);
    expect(() => g.op('batch_norm_train', 'bn_1', ['x', 'gamma', 'beta'])).toThrow(
      "node 'bn_1' (batch_norm_train): gamma must have shape [3] to match axis -1 of x [8, 4, 3], got [4]",
    );
    expect(() => g.op('batch_norm_train', 'bn_1', ['x', 'beta', 'beta'], { axis: 3 })).toThrow(
      "node 'bn_1' (batch_norm_train): axis 3 is out of range for x of shape [8, 4, 3]",
    );
    expect(() => g.op('batch_norm_train', 'bn_1', ['x', 'beta', 'beta'], { epsilon: -1 })).toThrow(
      "node 'bn_1' (batch_norm_train): epsilon must not be negative, got -1",
    );
    expect(g.op('batch_norm_train', 'bn_1', ['x', 'gamma', 'gamma'], { axis: 1 })).toEqual(['bn_1:0', 'bn_1:1', 'bn_1:2']);
  });
});

describe('batch_norm_infer', () => {
  const movingVar = (c: number) => Array.from({ length: c }, (_, i) => 0.5 + 0.3 * i);

  it('normalises with the moving statistics', async () => {
    for (const { shape, axis } of [{ shape: [3, 4], axis: -1 }, { shape: [2, 3, 2, 2], axis: 1 }]) {
      const channels = shape[axis < 0 ? axis + shape.length : axis];
      const ch = channelOf(shape, axis);
      const c: OpCase = {
        op: 'batch_norm_infer',
        inputs: [{ shape }, { shape: [channels] }, { shape: [channels] }, { shape: [channels] }, { shape: [channels], values: movingVar(channels) }],
        attrs: { axis, epsilon: 0.01 },
      };
      const [x, gamma, beta, mm, mv] = makeValues(c, 5);
      const want = x.map((v, k) => (gamma[ch[k]] * (v - mm[ch[k]])) / Math.sqrt(mv[ch[k]] + 0.01) + beta[ch[k]]);
      expectClose((await runOp(c, [x, gamma, beta, mm, mv], 'float64')).outputs[0], want, 12);
      expectClose((await runOp(c, [x, gamma, beta, mm, mv], 'float32')).outputs[0], want, 5);
    }
  });

  it('gradients w.r.t. every input match finite differences', async () => {
    for (const { shape, axis } of [{ shape: [3, 4] }, { shape: [2, 3, 2, 2], axis: 1 }, { shape: [2, 2, 3], axis: 0 }]) {
      const a = axis ?? -1;
      const channels = shape[a < 0 ? a + shape.length : a];
      await checkGradients({
        op: 'batch_norm_infer',
        inputs: [{ shape }, { shape: [channels] }, { shape: [channels] }, { shape: [channels] }, { shape: [channels], values: movingVar(channels) }],
        attrs: attrsOf({ axis }),
      });
    }
  });

  it('names the node when a moving statistic has the wrong shape', () => {
    const g = new addon.Graph();
    g.input('x', [2, 5]);
    for (const n of ['gamma', 'beta', 'mean']) g.param(n, [5]);
    g.param('var', [2]);
    expect(() => g.op('batch_norm_infer', 'bn', ['x', 'gamma', 'beta', 'mean', 'var'])).toThrow(
      "node 'bn' (batch_norm_infer): moving_var must have shape [5] to match axis -1 of x [2, 5], got [2]",
    );
  });
});

describe('layer_norm', () => {
  const cases: { shape: number[]; epsilon?: number }[] = [{ shape: [3, 4] }, { shape: [2, 3, 5], epsilon: 1e-5 }, { shape: [6] }];

  it('normalises each row over the last axis and returns mean and rstd', async () => {
    for (const { shape, epsilon } of cases) {
      const d = shape[shape.length - 1];
      const c: OpCase = { op: 'layer_norm', inputs: [{ shape }, { shape: [d] }, { shape: [d] }], attrs: attrsOf({ epsilon }) };
      const v = makeValues(c, 9);
      const want = layerNorm(v[0], d, v[1], v[2], epsilon ?? 1e-3);
      for (const [dtype, digits] of [['float64', 12], ['float32', 5]] as const) {
        const { outputs, shapes } = await runOp(c, v, dtype);
        expect(shapes).toEqual([shape, shape.slice(0, -1), shape.slice(0, -1)]);
        expectClose(outputs[0], want.y, digits);
        expectClose(outputs[1], want.mean, digits);
        expectClose(outputs[2], want.rstd, digits);
      }
    }
  });

  it('gradients w.r.t. x, gamma and beta match finite differences', async () => {
    for (const { shape, epsilon } of cases) {
      const d = shape[shape.length - 1];
      await checkGradients({ op: 'layer_norm', inputs: [{ shape }, { shape: [d] }, { shape: [d] }], attrs: attrsOf({ epsilon }) });
    }
  });

  it('names the node when beta does not match the last axis', () => {
    const g = new addon.Graph();
    g.input('x', [4, 6]);
    g.param('gamma', [6]);
    g.param('beta', [4]);
    expect(() => g.op('layer_norm', 'ln', ['x', 'gamma', 'beta'])).toThrow(
      "node 'ln' (layer_norm): beta must have shape [6] to match the last axis of x [4, 6], got [4]",
    );
  });
});

describe('dropout', () => {
  const n = 10000;
  const ones = [new Array<number>(n).fill(1)];
  const run = (seed: number, rate: number, x: number[] = ones[0]) =>
    runOp({ op: 'dropout', inputs: [{ shape: [x.length] }, { shape: [], dtype: 'int32' }], attrs: { rate } }, [x, [seed]], 'float64');

  it('the mask is a pure function of the seed value: same seed, same mask; another seed, another mask', async () => {
    const a = await run(42, 0.3);
    const b = await run(42, 0.3);
    const c = await run(43, 0.3);
    expect([...a.outputs[1]]).toEqual([...b.outputs[1]]);
    const differ = a.outputs[1].filter((m, i) => m !== c.outputs[1][i]).length;
    expect(differ).toBeGreaterThan(n * 0.3);
  });

  it('keeps about 1 - rate of the elements and scales them by 1 / (1 - rate)', async () => {
    for (const rate of [0.1, 0.3, 0.5, 0.9]) {
      const { outputs } = await run(7, rate);
      const kept = outputs[1].filter((m) => m === 1).length;
      expect(outputs[1].every((m) => m === 0 || m === 1)).toBe(true);
      expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(0.02);
      outputs[0].forEach((y, i) => expect(y).toBe(outputs[1][i] / (1 - rate)));
    }
  });

  it('the mask follows the documented splitmix64 counter hash', async () => {
    for (const seed of [0, 12345, -7]) {
      const { outputs } = await run(seed, 0.4);
      for (let k = 0; k < 500; k++) expect(outputs[1][k] === 1).toBe(keptByHash(seed, k, 0.4));
    }
  });

  it('rate 0 is the identity', async () => {
    const x = makeValues({ op: '', inputs: [{ shape: [50] }] }, 3)[0];
    const { outputs } = await run(1, 0, x);
    expect([...outputs[0]]).toEqual(x);
    expect(outputs[1].every((m) => m === 1)).toBe(true);
  });

  it('the gradient is dy * mask / (1 - rate)', async () => {
    for (const rate of [0, 0.25, 0.6]) {
      await checkGradients({ op: 'dropout', inputs: [{ shape: [4, 5] }, { shape: [], dtype: 'int32', values: [99] }], attrs: { rate } });
    }
    const g = new addon.Graph();
    const x = g.param('x', [200], { dtype: 'float64' });
    const seed = g.input('seed', [], 'int32');
    const [y, mask] = g.op('dropout', 'drop', [x, seed], { rate: 0.25 });
    const w = g.input('w', [200], 'float64');
    const loss = g.op('reduce_sum', 'loss', [g.op('mul', 'yw', [y, w])[0]])[0];
    const [dx] = g.gradients(loss, [x]);
    const wv = Float64Array.from(makeValues({ op: '', inputs: [{ shape: [200] }] }, 4)[0]);
    const r = await g.run({ x: new Float64Array(200).fill(1), seed: Int32Array.of(5), w: wv }, [dx, mask]);
    r[mask].forEach((m, i) => expect(r[dx][i]).toBeCloseTo((wv[i] * m) / 0.75, 14));
  });

  it('names the node for a bad rate or a non-scalar seed', () => {
    const g = new addon.Graph();
    g.input('x', [3, 4]);
    g.input('seed', [], 'int32');
    g.input('seeds', [2], 'int32');
    expect(() => g.op('dropout', 'drop_1', ['x', 'seed'], { rate: 1 })).toThrow("node 'drop_1' (dropout): rate must be in [0, 1), got 1");
    expect(() => g.op('dropout', 'drop_1', ['x', 'seed'])).toThrow("node 'drop_1' (dropout): needs a rate attribute in [0, 1)");
    expect(() => g.op('dropout', 'drop_1', ['x', 'seeds'], { rate: 0.5 })).toThrow(
      "node 'drop_1' (dropout): seed must be an int32 scalar, got int32 [2]",
    );
  });
});

describe('gaussian_noise', () => {
  const n = 20000;
  const run = (seed: number, stddev: number, x: number[] = new Array<number>(n).fill(0)) =>
    runOp({ op: 'gaussian_noise', inputs: [{ shape: [x.length] }, { shape: [], dtype: 'int32' }], attrs: { stddev } }, [x, [seed]], 'float64');

  it('adds noise of the given spread that depends only on the seed', async () => {
    const a = Array.from((await run(3, 0.5)).outputs[0]);
    const b = Array.from((await run(3, 0.5)).outputs[0]);
    const c = Array.from((await run(4, 0.5)).outputs[0]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const mean = a.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.02);
    const tails = a.filter((v) => Math.abs(v) > 1).length / n; // beyond 2 standard deviations
    expect(Math.abs(tails - 0.0455)).toBeLessThan(0.006);
  });

  it('passes the gradient through unchanged', async () => {
    await checkGradients({ op: 'gaussian_noise', inputs: [{ shape: [3, 4] }, { shape: [], dtype: 'int32', values: [11] }], attrs: { stddev: 0.3 } });
  });

  it('names the node for a missing stddev', () => {
    const g = new addon.Graph();
    g.input('x', [3]);
    g.input('seed', [], 'int32');
    expect(() => g.op('gaussian_noise', 'noise', ['x', 'seed'])).toThrow("node 'noise' (gaussian_noise): needs a stddev attribute of at least 0");
  });
});
