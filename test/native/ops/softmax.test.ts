import { describe, expect, it } from 'vitest';
import { addon, checkGradients, makeValues, random, runOp, type NativeGraph, type OpCase } from './harness.js';

const EPSILON = 1e-7; // keras.config.epsilon()

function rows(values: number[], n: number): number[][] {
  return Array.from({ length: values.length / n }, (_, r) => values.slice(r * n, (r + 1) * n));
}

function softmaxRow(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function logSumExp(x: number[]): number {
  const m = Math.max(...x);
  return m + Math.log(x.reduce((a, v) => a + Math.exp(v - m), 0));
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

/**
 * Central finite differences for a whole graph: build(g, params) returns a scalar loss over
 * float64 params fed with the given values; the analytic gradients must match.
 */
async function checkGraphGradients(
  params: { shape: number[]; values: number[] }[],
  build: (g: NativeGraph, names: string[]) => string,
  extraFeeds: Record<string, Int32Array | Float64Array> = {},
  eps = 1e-6,
): Promise<void> {
  const g = new addon.Graph();
  const names = params.map((p, i) => g.param(`p${i}`, p.shape, { dtype: 'float64' }));
  const loss = build(g, names);
  expect(g.shape(loss)).toEqual([]);
  const grads = g.gradients(loss, names);
  const feedsFor = (vals: number[][]) => {
    const feeds: Record<string, Int32Array | Float64Array> = { ...extraFeeds };
    names.forEach((n, i) => (feeds[n] = Float64Array.from(vals[i])));
    return feeds;
  };
  const values = params.map((p) => p.values);
  const analytic = await g.run(feedsFor(values), grads);
  for (let i = 0; i < params.length; i++) {
    for (let k = 0; k < values[i].length; k++) {
      const plus = values.map((v) => [...v]);
      const minus = values.map((v) => [...v]);
      plus[i][k] += eps;
      minus[i][k] -= eps;
      const numeric = ((await g.run(feedsFor(plus), [loss]))[loss][0] - (await g.run(feedsFor(minus), [loss]))[loss][0]) / (2 * eps);
      const got = analytic[grads[i]][k];
      if (Math.abs(got - numeric) > 1e-6 + 1e-5 * Math.abs(numeric)) {
        expect.fail(`d/dp${i}[${k}] is ${got} but finite differences give ${numeric}`);
      }
    }
  }
}

function scalarOne(g: NativeGraph, name: string, like: string): string {
  return g.op('fill', name, [], { shape: [], value: 1, dtype: g.dtype(like) })[0];
}

describe('softmax and log_softmax', () => {
  it('normalise over the last axis, in float32 and float64', async () => {
    const c: OpCase = { op: 'softmax', inputs: [{ shape: [2, 3, 4] }] };
    const x = makeValues(c, 5);
    const expected = rows(x[0], 4).flatMap(softmaxRow);
    const logExpected = rows(x[0], 4).flatMap((r) => r.map((v) => v - logSumExp(r)));
    expectClose((await runOp(c, x, 'float64')).outputs[0], expected);
    expectClose((await runOp(c, x, 'float32')).outputs[0], expected, 6);
    expectClose((await runOp({ ...c, op: 'log_softmax' }, x, 'float64')).outputs[0], logExpected);
    expectClose((await runOp({ ...c, op: 'log_softmax' }, x, 'float32')).outputs[0], logExpected, 5);
  });

  it('are numerically stable for large logits', async () => {
    const x = [[1000, 1001, 1002, -1000, -1001, -1002]];
    const sm = await runOp({ op: 'softmax', inputs: [{ shape: [2, 3] }] }, x, 'float32');
    expectClose(sm.outputs[0], [...softmaxRow([0, 1, 2]), ...softmaxRow([2, 1, 0])], 6);
    const lsm = await runOp({ op: 'log_softmax', inputs: [{ shape: [2, 3] }] }, x, 'float32');
    const l = [0, 1, 2].map((v) => v - logSumExp([0, 1, 2]));
    expectClose(lsm.outputs[0], [...l, ...[...l].reverse()], 5);
  });

  it('have gradients matching finite differences on several shapes', async () => {
    for (const shape of [[5], [3, 4], [2, 3, 4], [4, 1]]) {
      await checkGradients({ op: 'softmax', inputs: [{ shape }] });
      await checkGradients({ op: 'log_softmax', inputs: [{ shape }] });
    }
  });

  it('softmax_grad and log_softmax_grad compute TF\'s formulas and are differentiable themselves', async () => {
    const y = [0.2, 0.3, 0.5, 0.1, 0.6, 0.3];
    const dy = [1, -2, 0.5, 3, 0, -1];
    const sg = await runOp({ op: 'softmax_grad', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] }, [y, dy], 'float64');
    const expected = rows(y, 3).flatMap((yr, r) => {
      const dr = dy.slice(r * 3, r * 3 + 3);
      const dot = yr.reduce((a, v, j) => a + v * dr[j], 0);
      return yr.map((v, j) => v * (dr[j] - dot));
    });
    expectClose(sg.outputs[0], expected);
    const logY = y.map(Math.log);
    const lg = await runOp({ op: 'log_softmax_grad', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] }, [logY, dy], 'float64');
    const logExpected = rows(y, 3).flatMap((yr, r) => {
      const dr = dy.slice(r * 3, r * 3 + 3);
      const sum = dr.reduce((a, b) => a + b, 0);
      return yr.map((v, j) => dr[j] - v * sum);
    });
    expectClose(lg.outputs[0], logExpected);
    for (const shape of [[4], [2, 3], [2, 2, 3]]) {
      await checkGradients({ op: 'softmax_grad', inputs: [{ shape }, { shape }] });
      await checkGradients({ op: 'log_softmax_grad', inputs: [{ shape }, { shape }] });
    }
  });

  it('reject scalars and mismatched grad inputs, naming the node', () => {
    const g = new addon.Graph();
    g.input('s', []);
    g.input('a', [2, 3]);
    g.input('b', [3, 2]);
    g.input('i', [2, 3], 'int32');
    expect(() => g.op('softmax', 'head/softmax', ['s'])).toThrow(
      "node 'head/softmax' (softmax): needs an input of rank 1 or more (it works over the last axis), got a scalar",
    );
    expect(() => g.op('log_softmax', 'head/log_softmax', ['i'])).toThrow("node 'head/log_softmax' (log_softmax): needs a float input, got int32");
    expect(() => g.op('softmax_grad', 'sg', ['a', 'b'])).toThrow("node 'sg' (softmax_grad): y and dy must have one shape, got [2, 3] and [3, 2]");
  });
});

describe('sparse_softmax_xent', () => {
  const logits = [0.5, -1, 2, 0.3, 1.5, 0.2, -0.7, 0.9, -2, 0.1, 0.4, 3];
  const labels = [2, 0, 3];

  it('gives the per-sample loss -log softmax(logits)[label]', async () => {
    const c: OpCase = { op: 'sparse_softmax_xent', inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32' }] };
    const expected = rows(logits, 4).map((r, i) => logSumExp(r) - r[labels[i]]);
    const r64 = await runOp(c, [logits, labels], 'float64');
    expect(r64.shapes[0]).toEqual([3]);
    expectClose(r64.outputs[0], expected);
    const r32 = await runOp(c, [logits.map((v) => v + 500), labels], 'float32');
    expectClose(r32.outputs[0], expected, 4);
  });

  it('has gradients matching finite differences, and labels get none', async () => {
    await checkGradients({ op: 'sparse_softmax_xent', inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32', values: labels }] });
    await checkGradients({ op: 'sparse_softmax_xent', inputs: [{ shape: [2, 2, 3] }, { shape: [2, 2], dtype: 'int32', values: [0, 2, 1, 1] }] });
    await checkGradients({ op: 'sparse_softmax_xent', inputs: [{ shape: [5, 1] }, { shape: [5], dtype: 'int32', values: [0, 0, 0, 0, 0] }] });
  });

  it('sparse_softmax_xent_grad is (softmax - one_hot) * dloss and differentiable in logits and dloss', async () => {
    const dloss = [0.5, -2, 1.5];
    const c: OpCase = {
      op: 'sparse_softmax_xent_grad',
      inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32' }, { shape: [3] }],
    };
    const r = await runOp(c, [logits, labels, dloss], 'float64');
    const expected = rows(logits, 4).flatMap((row, i) => softmaxRow(row).map((p, j) => (p - (j === labels[i] ? 1 : 0)) * dloss[i]));
    expectClose(r.outputs[0], expected);
    await checkGradients({ ...c, inputs: [c.inputs[0], { ...c.inputs[1], values: labels }, c.inputs[2]] });
    await checkGradients({
      op: 'sparse_softmax_xent_grad',
      inputs: [{ shape: [2, 2, 3] }, { shape: [2, 2], dtype: 'int32', values: [1, 0, 2, 2] }, { shape: [2, 2] }],
    });
  });

  it('gives NaN loss and gradient rows for out-of-range labels without reading out of bounds', async () => {
    const bad = [2, -1, 4];
    const c: OpCase = { op: 'sparse_softmax_xent', inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32' }] };
    const loss = (await runOp(c, [logits, bad], 'float32')).outputs[0];
    expect(loss[0]).toBeCloseTo(logSumExp(logits.slice(0, 4)) - logits[2], 5);
    expect(Number.isNaN(loss[1]) && Number.isNaN(loss[2])).toBe(true);
    const grad = (
      await runOp(
        { op: 'sparse_softmax_xent_grad', inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int32' }, { shape: [3] }] },
        [logits, bad, [1, 1, 1]],
        'float64',
      )
    ).outputs[0];
    expect([...grad.slice(4)].every(Number.isNaN)).toBe(true);
    expectClose(grad.slice(0, 4), softmaxRow(logits.slice(0, 4)).map((p, j) => p - (j === 2 ? 1 : 0)));
  });

  it('rejects float labels and mismatched shapes, naming the node', () => {
    const g = new addon.Graph();
    g.input('logits', [32, 10]);
    g.input('flabels', [32]);
    g.input('labels', [16], 'int32');
    g.input('labels2', [32, 1], 'int32');
    expect(() => g.op('sparse_softmax_xent', 'loss', ['logits', 'flabels'])).toThrow(
      "node 'loss' (sparse_softmax_xent): labels must be int32 class indices, got float32",
    );
    expect(() => g.op('sparse_softmax_xent', 'loss', ['logits', 'labels'])).toThrow(
      "node 'loss' (sparse_softmax_xent): labels must have the shape of the logits without the class axis: logits are [32, 10], so labels should be [32], got [16]",
    );
    expect(() => g.op('sparse_softmax_xent', 'loss', ['logits', 'labels2'])).toThrow('labels should be [32], got [32, 1]');
  });
});

describe('sigmoid_xent', () => {
  it('is binary cross-entropy from logits in TF\'s stable form', async () => {
    const x = [-3, -0.5, 0, 0.7, 2.5, 100, -100, 40];
    const z = [0, 1, 0.5, 0.2, 1, 0, 1, 1];
    const r = await runOp({ op: 'sigmoid_xent', inputs: [{ shape: [2, 4] }, { shape: [2, 4] }] }, [x, z], 'float64');
    const expected = x.map((v, i) => {
      if (Math.abs(v) > 30) return Math.max(v, 0) - v * z[i]; // where log(sigmoid) would underflow
      return -z[i] * Math.log(sigmoid(v)) - (1 - z[i]) * Math.log(1 - sigmoid(v));
    });
    expectClose(r.outputs[0], expected, 10);
    const r32 = await runOp({ op: 'sigmoid_xent', inputs: [{ shape: [8] }, { shape: [8] }] }, [x, z], 'float32');
    expectClose(r32.outputs[0], expected, 4);
  });

  it('has gradients for logits and targets', async () => {
    await checkGradients({ op: 'sigmoid_xent', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }] });
    await checkGradients({ op: 'sigmoid_xent', inputs: [{ shape: [5] }, { shape: [5] }] });
    await checkGradients({ op: 'sigmoid_xent', inputs: [{ shape: [2, 1, 3] }, { shape: [2, 1, 3], values: [0, 1, 1, 0, 0.3, 1] }] });
  });

  it('rejects logits and targets of different shapes, naming the node', () => {
    const g = new addon.Graph();
    g.input('x', [4, 1]);
    g.input('z', [4]);
    expect(() => g.op('sigmoid_xent', 'bce', ['x', 'z'])).toThrow("node 'bce' (sigmoid_xent): logits and targets must have one shape, got [4, 1] and [4]");
  });
});

describe('one_hot', () => {
  it('encodes labels along a new last axis; out-of-range labels give zero rows', async () => {
    const r = await runOp({ op: 'one_hot', inputs: [{ shape: [2, 2], dtype: 'int32' }], attrs: { depth: 3 } }, [[0, 2, -1, 3]]);
    expect(r.shapes[0]).toEqual([2, 2, 3]);
    expect(r.outputs[0]).toBeInstanceOf(Float32Array);
    expect([...r.outputs[0]]).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('takes dtype by name or as the enum value', async () => {
    const c = (dtype: unknown): OpCase => ({ op: 'one_hot', inputs: [{ shape: [2], dtype: 'int32' }], attrs: { depth: 2, dtype } });
    const f64 = await runOp(c('float64'), [[1, 0]]);
    expect(f64.outputs[0]).toBeInstanceOf(Float64Array);
    expect([...f64.outputs[0]]).toEqual([0, 1, 1, 0]);
    expect((await runOp(c(1), [[1, 0]])).outputs[0]).toBeInstanceOf(Float64Array);
    const i32 = await runOp(c('int32'), [[0, 1]]);
    expect(i32.outputs[0]).toBeInstanceOf(Int32Array);
    expect([...i32.outputs[0]]).toEqual([1, 0, 0, 1]);
  });

  it('rejects a missing depth and float labels, naming the node', () => {
    const g = new addon.Graph();
    g.input('labels', [8], 'int32');
    g.input('flabels', [8]);
    expect(() => g.op('one_hot', 'onehot', ['labels'])).toThrow("node 'onehot' (one_hot): needs attribute 'depth' (the number of classes, at least 1)");
    expect(() => g.op('one_hot', 'onehot', ['flabels'], { depth: 3 })).toThrow("node 'onehot' (one_hot): labels must be int32 class indices, got float32");
    expect(() => g.op('one_hot', 'onehot', ['labels'], { depth: 3, dtype: 4 })).toThrow('dtype must be float32, float64 or int32');
  });
});

describe("Keras's losses and metrics composed from the IR", () => {
  const rand = random(42);
  const uniform = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + ((rand() + 1) / 2) * (hi - lo));

  // keras.losses.categorical_crossentropy(from_logits=False), averaged over the batch.
  function categoricalCrossentropy(g: NativeGraph, yTrue: string, yPred: string): string {
    const sum = g.op('reduce_sum', 'cce/sum', [yPred], { axes: [-1], keepdims: true })[0];
    const p = g.op('div', 'cce/normalise', [yPred, sum])[0];
    const clipped = g.op('clip', 'cce/clip', [p], { min: EPSILON, max: 1 - EPSILON })[0];
    const ll = g.op('mul', 'cce/ll', [yTrue, g.op('log', 'cce/log', [clipped])[0]])[0];
    const perSample = g.op('neg', 'cce/neg', [g.op('reduce_sum', 'cce/per_sample', [ll], { axes: [-1] })[0]])[0];
    return g.op('reduce_mean', 'cce', [perSample])[0];
  }

  function categoricalByHand(yTrue: number[], yPred: number[], classes: number): number {
    const losses = rows(yPred, classes).map((row, r) => {
      const s = row.reduce((a, b) => a + b, 0);
      return -row.reduce((acc, v, j) => acc + yTrue[r * classes + j] * Math.log(Math.min(Math.max(v / s, EPSILON), 1 - EPSILON)), 0);
    });
    return losses.reduce((a, b) => a + b, 0) / losses.length;
  }

  // keras.losses.binary_crossentropy(from_logits=False): mean over the last axis, then the batch.
  function binaryCrossentropy(g: NativeGraph, yTrue: string, yPred: string): string {
    const p = g.op('clip', 'bce/clip', [yPred], { min: EPSILON, max: 1 - EPSILON })[0];
    const one = scalarOne(g, 'bce/one', yPred);
    const pos = g.op('mul', 'bce/pos', [yTrue, g.op('log', 'bce/log_p', [p])[0]])[0];
    const oneMinusP = g.op('sub', 'bce/one_minus_p', [one, p])[0];
    const neg = g.op('mul', 'bce/negative', [g.op('sub', 'bce/one_minus_t', [one, yTrue])[0], g.op('log', 'bce/log_1mp', [oneMinusP])[0]])[0];
    const bce = g.op('neg', 'bce/neg', [g.op('add', 'bce/sum', [pos, neg])[0]])[0];
    return g.op('reduce_mean', 'bce', [g.op('reduce_mean', 'bce/per_sample', [bce], { axes: [-1] })[0]])[0];
  }

  // In float32 the clip bounds round (1 - 1e-7 becomes 1 - 2^-23), as they do in Keras.
  function binaryByHand(yTrue: number[], yPred: number[], n: number, round: (x: number) => number = (x) => x): number {
    const terms = yPred.map((v, i) => {
      const p = Math.min(Math.max(v, round(EPSILON)), round(1 - EPSILON));
      return -(yTrue[i] * Math.log(p) + (1 - yTrue[i]) * Math.log(1 - p));
    });
    return rows(terms, n).reduce((acc, r) => acc + r.reduce((a, b) => a + b, 0) / n, 0) / (terms.length / n);
  }

  // MSE, MAE and Huber: an elementwise op of (y_pred - y_true), mean over the last axis, then the batch.
  function regression(g: NativeGraph, yTrue: string, yPred: string, op: string, attrs?: Record<string, unknown>): string {
    const d = g.op('sub', `${op}/error`, [yPred, yTrue])[0];
    const e = g.op(op, `${op}/elementwise`, [d], attrs)[0];
    return g.op('reduce_mean', `${op}/loss`, [g.op('reduce_mean', `${op}/per_sample`, [e], { axes: [-1] })[0]])[0];
  }

  const huberByHand = (d: number, delta: number) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * Math.abs(d) - 0.5 * delta * delta);

  async function forward(
    params: { shape: number[]; values: number[] }[],
    build: (g: NativeGraph, names: string[]) => string,
    dtype: 'float32' | 'float64' = 'float64',
  ): Promise<number> {
    const g = new addon.Graph();
    const names = params.map((p, i) => g.input(`p${i}`, p.shape, dtype));
    const loss = build(g, names);
    const feeds: Record<string, Float32Array | Float64Array> = {};
    names.forEach((n, i) => (feeds[n] = dtype === 'float64' ? Float64Array.from(params[i].values) : Float32Array.from(params[i].values)));
    return (await g.run(feeds, [loss]))[loss][0];
  }

  it('categorical cross-entropy from probabilities: normalise, clip to epsilon, -sum(y log p)', async () => {
    // Unnormalised probabilities, soft targets, and a zero probability that the clip must catch.
    const yPred = [0.2, 0.5, 0.3, 0, 0.4, 0.6, 0.1, 0.1, 0.8, 0.9, 0.05, 0.05];
    const yTrue = [0, 1, 0, 1, 0, 0, 0.2, 0.3, 0.5, 1, 0, 0];
    const params = [{ shape: [4, 3], values: yTrue }, { shape: [4, 3], values: yPred }];
    const build = (g: NativeGraph, [t, p]: string[]) => categoricalCrossentropy(g, t, p);
    const expected = categoricalByHand(yTrue, yPred, 3);
    expect(expected).toBeGreaterThan(-Math.log(EPSILON) / 4); // the clipped zero dominates
    expect(await forward(params, build)).toBeCloseTo(expected, 10);
    expect(await forward(params, build, 'float32')).toBeCloseTo(expected, 4);
    // Gradients away from the clip bounds, for predictions and targets.
    await checkGraphGradients([{ shape: [3, 4], values: uniform(12, 0, 1) }, { shape: [3, 4], values: uniform(12, 0.1, 1) }], build);
  });

  it('categorical cross-entropy from logits: log_softmax and one_hot agree with sparse_softmax_xent', async () => {
    const labels = Int32Array.from([3, 0, 2]);
    const logits = uniform(12, -2, 2);
    const dense = (g: NativeGraph, [x]: string[]) => {
      const labelsIn = g.input('labels', [3], 'int32');
      const oneHot = g.op('one_hot', 'one_hot', [labelsIn], { depth: 4, dtype: 'float64' })[0];
      const ll = g.op('mul', 'll', [oneHot, g.op('log_softmax', 'log_softmax', [x])[0]])[0];
      return g.op('neg', 'loss', [g.op('reduce_mean', 'mean', [g.op('reduce_sum', 'sum', [ll], { axes: [-1] })[0]])[0]])[0];
    };
    const sparse = (g: NativeGraph, [x]: string[]) => {
      const labelsIn = g.input('labels', [3], 'int32');
      return g.op('reduce_mean', 'loss', [g.op('sparse_softmax_xent', 'xent', [x, labelsIn])[0]])[0];
    };
    const expected = rows(logits, 4).reduce((acc, r, i) => acc + logSumExp(r) - r[labels[i]], 0) / 3;
    for (const build of [dense, sparse]) {
      const g = new addon.Graph();
      const x = g.input('x', [3, 4], 'float64');
      const loss = build(g, [x]);
      expect((await g.run({ x: Float64Array.from(logits), labels }, [loss]))[loss][0]).toBeCloseTo(expected, 12);
      await checkGraphGradients([{ shape: [3, 4], values: logits }], build, { labels });
    }
  });

  it('binary cross-entropy from probabilities clips with epsilon', async () => {
    const yPred = [0, 0.3, 0.9, 1, 0.5, 0.05];
    const yTrue = [1, 0, 1, 0, 0.5, 1];
    const params = [{ shape: [2, 3], values: yTrue }, { shape: [2, 3], values: yPred }];
    const build = (g: NativeGraph, [t, p]: string[]) => binaryCrossentropy(g, t, p);
    const expected = binaryByHand(yTrue, yPred, 3);
    expect(await forward(params, build)).toBeCloseTo(expected, 10);
    expect(await forward(params, build, 'float32')).toBeCloseTo(binaryByHand(yTrue, yPred, 3, Math.fround), 5);
    await checkGraphGradients([{ shape: [3, 2], values: uniform(6, 0, 1) }, { shape: [3, 2], values: uniform(6, 0.05, 0.95) }], build);
  });

  it('mean squared error, mean absolute error and Huber', async () => {
    const yTrue = [0.5, -1, 2, 0, 1.5, -0.5, 3, 1];
    const yPred = [0.7, 0.5, 1, -2.5, 1.45, 0.3, 0.5, 1.2];
    const diffs = yPred.map((v, i) => v - yTrue[i]);
    const meanOfRows = (terms: number[]) => rows(terms, 4).reduce((acc, r) => acc + r.reduce((a, b) => a + b, 0) / 4, 0) / 2;
    const cases: { op: string; attrs?: Record<string, unknown>; f: (d: number) => number }[] = [
      { op: 'square', f: (d) => d * d },
      { op: 'abs', f: Math.abs },
      { op: 'huber', f: (d) => huberByHand(d, 1) }, // keras.losses.Huber's default delta
      { op: 'huber', attrs: { delta: 0.5 }, f: (d) => huberByHand(d, 0.5) },
    ];
    for (const { op, attrs, f } of cases) {
      const build = (g: NativeGraph, [t, p]: string[]) => regression(g, t, p, op, attrs);
      const params = [{ shape: [2, 4], values: yTrue }, { shape: [2, 4], values: yPred }];
      expect(await forward(params, build)).toBeCloseTo(meanOfRows(diffs.map(f)), 12);
      // The differences above stay away from the kinks (0 and +-delta).
      await checkGraphGradients(params, build);
    }
  });

  it('sparse categorical accuracy: argmax, cast, equal, reduce_mean', async () => {
    const yPred = [0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.2, 0.6, 0.3, 0.3, 0.4, 0.9, 0.05, 0.05];
    const labels = [1, 2, 2, 0, 0];
    const g = new addon.Graph();
    const p = g.input('y_pred', [5, 3]);
    const t = g.input('y_true', [5], 'int32');
    const predicted = g.op('cast', 'predicted', [g.op('argmax', 'argmax', [p], { axis: -1 })[0]], { dtype: 'float32' })[0];
    const truth = g.op('cast', 'truth', [t], { dtype: 'float32' })[0];
    const acc = g.op('reduce_mean', 'accuracy', [g.op('equal', 'hits', [predicted, truth])[0]])[0];
    const result = (await g.run({ y_pred: Float32Array.from(yPred), y_true: Int32Array.from(labels) }, [acc]))[acc][0];
    const argmax = rows(yPred, 3).map((r) => r.indexOf(Math.max(...r)));
    expect(result).toBeCloseTo(argmax.filter((a, i) => a === labels[i]).length / labels.length, 7);
    expect(result).toBeCloseTo(0.6, 7);
  });
});

