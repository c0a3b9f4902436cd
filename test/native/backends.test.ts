// Cross-backend tests: every op with a float32 kernel of its own runs on every available backend
// (cpu here; cuda too where its plugin finds a GPU) and on the reference over the same inputs, and
// each result must match the reference's. Shapes are chosen to reach each kernel's paths: odd
// sizes, sizes past the GEMM's blocking, work large enough to be split over threads, every
// broadcasting fast path and the general fallback. A backend skips the ops it has no kernel for
// (the cuda plugin lists its ops in devices()).
import { describe, expect, it } from 'vitest';
import { addon, random, size, type NativeGraph } from './ops/harness.js';
import { UPDATE_CASES, updateGraph } from './ops/updateCases.js';

/** The backends compared with the reference, and the ops each one has its own kernels for. */
const TESTED = addon.backends().filter((b) => b !== 'reference');
const cudaOps = new Set(addon.devices().find((d) => d.backend === 'cuda')?.ops ?? []);
function supports(backend: string, ...ops: string[]): boolean {
  return backend !== 'cuda' || ops.every((op) => cudaOps.has(op));
}
/** Whether `backend` has a kernel for every op of the graph (inputs and params need none). */
function supportsGraph(backend: string, g: NativeGraph): boolean {
  return supports(backend, ...g.nodes().map((n) => n.op).filter((op) => op !== 'input' && op !== 'param'));
}

type Typed = Float32Array | Float64Array | Int32Array;
type Attrs = Record<string, unknown>;

interface Tolerance {
  /** Allowed error relative to |reference| per element, or to max |reference| with ofMax. */
  rel: number;
  ofMax?: boolean;
}

const EXACTISH: Tolerance = { rel: 1e-6 };
const GEMM: Tolerance = { rel: 1e-4, ofMax: true };
const SUMS: Tolerance = { rel: 1e-5, ofMax: true };

interface Input {
  shape: number[];
  /** int32 inputs are labels in [0, classes); floats are uniform in [-1, 1) unless given. */
  classes?: number;
  values?: (rand: () => number) => number;
}

function feedFor(input: Input, rand: () => number): Typed {
  const n = size(input.shape);
  if (input.classes !== undefined) return Int32Array.from({ length: n }, () => Math.floor(((rand() + 1) / 2) * input.classes!));
  return Float32Array.from({ length: n }, () => (input.values ? input.values(rand) : rand()));
}

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** Fails on the first element of `actual` (the backend's) out of tolerance of `expected` (the reference's). */
function expectClose(backend: string, what: string, actual: Typed, expected: Typed, tol: Tolerance): void {
  // A GPU's exp, log, erf and summation order differ from the CPU's: float32 agrees within 1e-4
  // there, and a value formed by cancellation of O(1) terms (gelu's gradient near its zero, a
  // cross-entropy near 0) carries their rounding: errors under 1e-6 x max |reference| are that.
  const cuda = backend === 'cuda';
  if (cuda) tol = { ...tol, rel: Math.max(tol.rel, 1e-4) };
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const scale = tol.ofMax ? maxAbs(expected) : 0;
  const floor = cuda ? 1e-6 * maxAbs(expected) : 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) expect.fail(`${what}[${i}]: ${backend} ${a}, reference ${e}`);
      continue;
    }
    const allowed = Math.max(tol.rel * (tol.ofMax ? scale : Math.abs(e)), floor);
    if (!(Math.abs(a - e) <= allowed)) expect.fail(`${what}[${i}]: ${backend} ${a}, reference ${e} (allowed error ${allowed})`);
  }
}

/** Runs the fetched values on the reference and on `backend` with the same feeds. */
async function runBoth(backend: string, g: NativeGraph, feeds: Record<string, Typed>, fetch: string[]): Promise<{ ref: Record<string, Typed>; got: Record<string, Typed> }> {
  const ref = await g.run(feeds, fetch, { backend: 'reference' });
  const got = await g.run(feeds, fetch, { backend });
  return { ref, got };
}

/**
 * Adds, before the nodes under test, intermediates of the given shapes filled with a marker value
 * and alive at the same time, so the arena places them as it will place the outputs under test
 * later: a kernel that leaves any element of its output unwritten (or accumulates into it) then
 * returns the marker instead of the reference's value.
 */
function addPoison(g: NativeGraph, shapes: number[][]): { feeds: Record<string, Typed>; fetch: string[] } {
  const feeds: Record<string, Typed> = {};
  const negs = shapes.map((shape, i) => {
    const p = g.input(`poison${i}`, shape);
    feeds[p] = new Float32Array(size(shape)).fill(-12345);
    return g.op('neg', `poison${i}_neg`, [p])[0];
  });
  const fetch = negs.map((n, i) => g.op('reduce_sum', `poison${i}_sum`, [n])[0]);
  return { feeds, fetch };
}

/** The shape of `op`'s first output on the given inputs. */
function outputShape(op: string, inputs: Input[], attrs?: Attrs): number[] {
  const g = new addon.Graph();
  const names = inputs.map((input, i) => g.input(`x${i}`, input.shape, input.classes !== undefined ? 'int32' : 'float32'));
  return g.shape(g.op(op, 'y', names, attrs)[0]);
}

interface OpCase {
  name: string;
  op: string;
  inputs: Input[];
  attrs?: Attrs;
  tol: Tolerance;
  /** Outputs that may be all zero (comparisons, empty products). */
  mayBeZero?: boolean;
}

async function compareOp(backend: string, c: OpCase, seed = 1): Promise<void> {
  const rand = random(seed);
  const g = new addon.Graph();
  const poison = addPoison(g, [outputShape(c.op, c.inputs, c.attrs)]);
  const names = c.inputs.map((input, i) => g.input(`x${i}`, input.shape, input.classes !== undefined ? 'int32' : 'float32'));
  const outs = g.op(c.op, 'y', names, c.attrs);
  const feeds: Record<string, Typed> = { ...poison.feeds };
  names.forEach((n, i) => (feeds[n] = feedFor(c.inputs[i], rand)));
  const { ref, got } = await runBoth(backend, g, feeds, [...outs, ...poison.fetch]);
  for (const o of outs) {
    if (!c.mayBeZero) expect(maxAbs(ref[o]), `${c.name}: the reference output is all zero`).toBeGreaterThan(0);
    expectClose(backend, `${c.name} ${o}`, got[o], ref[o], c.tol);
  }
}

const positive = (rand: () => number) => Math.abs(rand()) + 0.05;
const halves = (rand: () => number) => Math.round(rand() * 4) / 2; // ties and equal pairs

describe('backends', () => {
  it('lists the backends and rejects an unknown one with a TypeError', async () => {
    const cuda = addon.devices().find((d) => d.backend === 'cuda');
    expect(addon.backends()).toEqual(cuda?.available ? ['reference', 'cpu', 'cuda'] : ['reference', 'cpu']);
    const g = new addon.Graph();
    const x = g.input('x', [2]);
    const y = g.op('relu', 'y', [x])[0];
    const feeds = { x: Float32Array.from([-1, 2]) };
    expect(() => g.run(feeds, [y], { backend: 'gpu' as 'cpu' })).toThrow(TypeError);
    expect(() => g.run(feeds, [y], { backend: 'gpu' as 'cpu' })).toThrow("backend must be 'reference', 'cpu' or 'cuda', got 'gpu'");
    expect(() => g.run(feeds, [y], 'cpu' as unknown as { backend: 'cpu' })).toThrow('run options must be an object');
    expect([...(await g.run(feeds, [y]))[y]]).toEqual([0, 2]);
    expect([...(await g.run(feeds, [y], { backend: 'cpu' }))[y]]).toEqual([0, 2]);
  });

  it('runs the cpu kernels when asked: a long GEMM rounds differently from the naive loop', async () => {
    // Guards the tests below against comparing the reference with itself.
    const g = new addon.Graph();
    const a = g.input('a', [64, 1000]);
    const b = g.input('b', [1000, 64]);
    const c = g.op('matmul', 'c', [a, b])[0];
    const rand = random(3);
    const feeds = { a: feedFor({ shape: [64, 1000] }, rand), b: feedFor({ shape: [1000, 64] }, rand) };
    const { ref, got } = await runBoth('cpu', g, feeds, [c]);
    expectClose('cpu', 'c', got[c], ref[c], GEMM);
    expect(got[c].some((v, i) => v !== ref[c][i])).toBe(true);
  });
});

describe.each(TESTED)('%s backend: matmul and bias_add', (backend) => {
  const cases: OpCase[] = [
    { name: 'odd sizes', op: 'matmul', inputs: [{ shape: [7, 13] }, { shape: [13, 5] }], tol: GEMM },
    { name: 'past the GEMM blocks', op: 'matmul', inputs: [{ shape: [67, 129] }, { shape: [129, 257] }], tol: GEMM },
    { name: 'transpose_a', op: 'matmul', inputs: [{ shape: [129, 67] }, { shape: [129, 257] }], attrs: { transpose_a: true }, tol: GEMM },
    { name: 'transpose_b', op: 'matmul', inputs: [{ shape: [67, 129] }, { shape: [257, 129] }], attrs: { transpose_b: true }, tol: GEMM },
    { name: 'both transposed', op: 'matmul', inputs: [{ shape: [129, 67] }, { shape: [257, 129] }], attrs: { transpose_a: true, transpose_b: true }, tol: GEMM },
    { name: 'batched', op: 'matmul', inputs: [{ shape: [3, 17, 33] }, { shape: [3, 33, 9] }], tol: GEMM },
    { name: 'batched, transposed', op: 'matmul', inputs: [{ shape: [2, 2, 33, 17] }, { shape: [2, 2, 9, 33] }], attrs: { transpose_a: true, transpose_b: true }, tol: GEMM },
    { name: 'batched a, shared b', op: 'matmul', inputs: [{ shape: [4, 31, 20] }, { shape: [20, 19] }], tol: GEMM },
    { name: 'batched a transposed, shared b', op: 'matmul', inputs: [{ shape: [4, 20, 31] }, { shape: [20, 19] }], attrs: { transpose_a: true }, tol: GEMM },
    { name: 'shared a, batched b', op: 'matmul', inputs: [{ shape: [17, 33] }, { shape: [5, 33, 9] }], tol: GEMM },
    { name: 'shared a, batched b of unit batch dims', op: 'matmul', inputs: [{ shape: [1, 17, 33] }, { shape: [5, 33, 9] }], tol: GEMM },
    { name: 'broadcast batch dims', op: 'matmul', inputs: [{ shape: [2, 1, 7, 13] }, { shape: [1, 3, 13, 5] }], tol: GEMM },
    { name: 'broadcast batch dims, transposed', op: 'matmul', inputs: [{ shape: [3, 1, 13, 7] }, { shape: [4, 5, 13] }], attrs: { transpose_a: true, transpose_b: true }, tol: GEMM },
    { name: 'empty inner dimension', op: 'matmul', inputs: [{ shape: [3, 0] }, { shape: [0, 4] }], tol: GEMM, mayBeZero: true },
    { name: 'bias_add odd', op: 'bias_add', inputs: [{ shape: [7, 13, 5] }, { shape: [5] }], tol: EXACTISH },
    { name: 'bias_add large', op: 'bias_add', inputs: [{ shape: [301, 257] }, { shape: [257] }], tol: EXACTISH },
  ];
  it.each(cases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  it('a cached plan run twice gives fresh results', async () => {
    // The second run finds the first run's product in the arena: it must be overwritten.
    const g = new addon.Graph();
    const a = g.input('a', [67, 129]);
    const b = g.input('b', [129, 33]);
    const c = g.op('matmul', 'c', [a, b])[0];
    for (const seed of [1, 2]) {
      const rand = random(seed);
      const { ref, got } = await runBoth(backend, g, { a: feedFor({ shape: [67, 129] }, rand), b: feedFor({ shape: [129, 33] }, rand) }, [c]);
      expectClose(backend, `c (run ${seed})`, got[c], ref[c], GEMM);
    }
  });
});

describe.each(TESTED)('%s backend: elementwise', (backend) => {
  const unary: [string, Attrs?, Input['values']?][] = [
    ['relu'], ['leaky_relu', { alpha: 0.1 }], ['elu', { alpha: 0.7 }], ['selu'], ['gelu'], ['gelu', { approximate: 1 }],
    ['sigmoid'], ['hard_sigmoid', undefined, (r) => r() * 5], ['tanh'], ['softplus', undefined, (r) => r() * 30], ['softsign'],
    ['silu'], ['exp'], ['log', undefined, positive], ['sqrt', undefined, positive], ['square'], ['abs'], ['neg'],
    ['clip', { min: -0.5, max: 0.7 }], ['huber', { delta: 0.8 }],
  ];
  const unaryCases: OpCase[] = unary.flatMap(([op, attrs, values]) =>
    [[7, 13, 5], [3, 20011]].map((shape) => ({ name: `${op} ${JSON.stringify(attrs ?? {})} ${shape.join('x')}`, op, attrs, inputs: [{ shape, values }], tol: EXACTISH })),
  );
  it.each(unaryCases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  const gradCases: OpCase[] = unary.flatMap(([of, attrs, values]) =>
    [[7, 13, 5], [3, 20011]].map((shape) => ({
      name: `unary_grad of ${of} ${JSON.stringify(attrs ?? {})} ${shape.join('x')}`,
      op: 'unary_grad',
      attrs: { ...attrs, of },
      inputs: [{ shape, values }, { shape, values: of === 'sqrt' ? positive : undefined }, { shape }],
      tol: EXACTISH,
    })),
  );
  it.each(gradCases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  // [a, b]: same shape, every broadcast fast path either way round, and the general fallback.
  const shapes: [number[], number[]][] = [
    [[7, 13, 5], [7, 13, 5]],
    [[7, 13, 5], [5]],
    [[7, 13, 5], [13, 5]],
    [[7, 13, 5], []],
    [[7, 13, 5], [1, 1, 1]],
    [[7, 13, 5], [7, 13, 1]],
    [[7, 13, 5], [7, 1, 1]],
    [[7, 13, 5], [13, 1]],
    [[5], [7, 13, 5]],
    [[7, 1, 1], [7, 13, 5]],
    [[7, 1, 5], [1, 13, 1]],
    [[7, 13, 5], [7, 1, 5]],
    [[301, 257], [257]],
    [[301, 257], [301, 1]],
    [[1], [77003]],
    [[77003], [77003]],
  ];
  const binaryCases: OpCase[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'equal', 'greater', 'greater_equal'].flatMap((op) =>
    shapes.map(([a, b]) => {
      const values = ['maximum', 'minimum', 'equal', 'greater', 'greater_equal'].includes(op) ? halves : undefined;
      return {
        name: `${op} [${a}] [${b}]`,
        op,
        inputs: [{ shape: a, values }, { shape: b, values }],
        tol: { rel: 0 },
        mayBeZero: true,
      };
    }),
  );
  it.each(binaryCases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });
});

describe.each(TESTED)('%s backend: reductions', (backend) => {
  const reduceCases: OpCase[] = ['reduce_sum', 'reduce_mean'].flatMap((op) =>
    (
      [
        [[7, 13, 5], [0]],
        [[7, 13, 5], [0, 1]],
        [[7, 13, 5], [2]],
        [[7, 13, 5], [-1]],
        [[7, 13, 5], [1, 2]],
        [[7, 13, 5], [1]],
        [[7, 13, 5], []],
        [[7, 13, 5], [0, 2]],
        [[7, 1, 13, 5], [0, 2]],
        [[67, 129, 9], [0, 1]],
        [[301, 2011], [1]],
        [[3001, 301], [0]],
        [[9001, 33], [0]],
      ] as [number[], number[]][]
    ).flatMap(([shape, axes]) =>
      [0, 1].map((keepdims) => ({ name: `${op} [${shape}] axes [${axes}] keepdims ${keepdims}`, op, inputs: [{ shape }], attrs: { axes, keepdims }, tol: SUMS })),
    ),
  );
  it.each(reduceCases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  const sumToCases: OpCase[] = (
    [
      [[7, 13, 5], [5]],
      [[7, 13, 5], [13, 5]],
      [[7, 13, 5], [1, 5]],
      [[7, 13, 5], [7, 1, 1]],
      [[7, 13, 5], [7, 13, 1]],
      [[7, 13, 5], [1, 13, 1]],
      [[7, 13, 5], [7, 1, 5]],
      [[7, 13, 5], []],
      [[7, 13, 5], [7, 13, 5]],
      [[64, 9, 11, 67], [67]],
      [[3001, 301], [301]],
      [[64, 26, 26, 32], [32]],
    ] as [number[], number[]][]
  ).map(([from, to]) => ({ name: `sum_to [${from}] -> [${to}]`, op: 'sum_to', inputs: [{ shape: from }], attrs: { shape: to }, tol: SUMS }));
  it.each(sumToCases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });
});

describe.each(TESTED)('%s backend: empty tensors', (backend) => {
  const cases: OpCase[] = [
    { name: 'reduce_sum over an empty axis', op: 'reduce_sum', inputs: [{ shape: [0, 5] }], attrs: { axes: [0] }, tol: EXACTISH },
    { name: 'reduce_mean over an empty axis (NaN)', op: 'reduce_mean', inputs: [{ shape: [4, 0] }], attrs: { axes: [1] }, tol: EXACTISH },
    { name: 'sum_to from an empty batch', op: 'sum_to', inputs: [{ shape: [0, 5] }], attrs: { shape: [5] }, tol: EXACTISH },
    { name: 'conv2d_backprop_filter of an empty batch', op: 'conv2d_backprop_filter', inputs: [{ shape: [0, 5, 5, 2] }, { shape: [0, 5, 5, 3] }], attrs: { padding: 'same', filter_shape: [3, 3, 2, 3] }, tol: EXACTISH },
    { name: 'depthwise conv2d_backprop_filter of an empty batch', op: 'conv2d_backprop_filter', inputs: [{ shape: [0, 5, 5, 2] }, { shape: [0, 5, 5, 2] }], attrs: { padding: 'same', groups: 2, filter_shape: [3, 3, 1, 2] }, tol: EXACTISH },
  ];
  it.each(cases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, { ...c, mayBeZero: true });
  });
});

describe.each(TESTED)('%s backend: softmax family', (backend) => {
  const rowShapes = [[7, 13], [67, 129], [3, 5, 1001], [2000, 10]];
  const cases: OpCase[] = [
    ...rowShapes.flatMap((shape) =>
      ['softmax', 'log_softmax'].map((op) => ({ name: `${op} [${shape}]`, op, inputs: [{ shape, values: (r: () => number) => r() * 8 }], tol: { rel: 1e-6, ofMax: true } })),
    ),
    ...rowShapes.flatMap((shape) =>
      ['softmax_grad', 'log_softmax_grad'].map((op) => ({ name: `${op} [${shape}]`, op, inputs: [{ shape }, { shape }], tol: { rel: 1e-6, ofMax: true } })),
    ),
    ...[[7, 13], [67, 129], [2000, 10]].flatMap(([n, c]) => [
      { name: `sparse_softmax_xent [${n}, ${c}]`, op: 'sparse_softmax_xent', inputs: [{ shape: [n, c], values: (r: () => number) => r() * 8 }, { shape: [n], classes: c }], tol: EXACTISH },
      {
        name: `sparse_softmax_xent_grad [${n}, ${c}]`,
        op: 'sparse_softmax_xent_grad',
        inputs: [{ shape: [n, c], values: (r: () => number) => r() * 8 }, { shape: [n], classes: c }, { shape: [n] }],
        tol: { rel: 1e-6, ofMax: true },
      },
    ]),
  ];
  it.each(cases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  it('out-of-range labels give NaN rows on the backend and the reference', async (ctx) => {
    const g = new addon.Graph();
    const x = g.input('x', [3, 4]);
    const labels = g.input('labels', [3], 'int32');
    const dloss = g.input('dloss', [3]);
    const loss = g.op('sparse_softmax_xent', 'loss', [x, labels])[0];
    const dx = g.op('sparse_softmax_xent_grad', 'dx', [x, labels, dloss])[0];
    const feeds = { x: feedFor({ shape: [3, 4] }, random(4)), labels: Int32Array.from([1, 4, -1]), dloss: Float32Array.from([1, 1, 1]) };
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
    const { ref, got } = await runBoth(backend, g, feeds, [loss, dx]);
    expect(Number.isNaN(got[loss][0])).toBe(false);
    expect([...got[loss].slice(1)].every(Number.isNaN)).toBe(true);
    expect([...got[dx].slice(4)].every(Number.isNaN)).toBe(true);
    expectClose(backend, 'loss', got[loss], ref[loss], EXACTISH);
    expectClose(backend, 'dx', got[dx], ref[dx], EXACTISH);
  });
});

interface ConvCase {
  name: string;
  x: number[];
  k: number[];
  attrs: Attrs;
}

describe.each(TESTED)('%s backend: convolution', (backend) => {
  const conv2d: ConvCase[] = [
    { name: '3x3 valid', x: [2, 9, 11, 3], k: [3, 3, 3, 4], attrs: { padding: 'valid' } },
    { name: '3x3 same', x: [2, 9, 11, 3], k: [3, 3, 3, 4], attrs: { padding: 'same' } },
    { name: '3x3 stride 2 same', x: [2, 9, 11, 3], k: [3, 3, 3, 4], attrs: { padding: 'same', strides: [2, 2] } },
    { name: '4x4 stride 2 valid', x: [2, 10, 11, 3], k: [4, 4, 3, 5], attrs: { padding: 'valid', strides: [2, 2] } },
    { name: '2x3 strides 2x1 same', x: [3, 8, 7, 5], k: [2, 3, 5, 6], attrs: { padding: 'same', strides: [2, 1] } },
    { name: '3x3 dilation 2 same', x: [2, 9, 11, 3], k: [3, 3, 3, 4], attrs: { padding: 'same', dilations: [2, 2] } },
    { name: '3x3 dilation 2 valid', x: [2, 9, 11, 3], k: [3, 3, 3, 4], attrs: { padding: 'valid', dilations: [2, 2] } },
    { name: '1x1 pointwise', x: [2, 9, 11, 7], k: [1, 1, 7, 5], attrs: { padding: 'valid' } },
    { name: '1x1 stride 2', x: [2, 9, 11, 7], k: [1, 1, 7, 5], attrs: { padding: 'same', strides: [2, 2] } },
    { name: '1x1 pointwise, 2 groups', x: [2, 5, 6, 8], k: [1, 1, 4, 6], attrs: { padding: 'valid', groups: 2 } },
    { name: '3x3 2 groups', x: [2, 9, 11, 6], k: [3, 3, 3, 4], attrs: { padding: 'same', groups: 2 } },
    { name: 'depthwise 3x3 stride 2', x: [2, 9, 11, 6], k: [3, 3, 1, 6], attrs: { padding: 'same', strides: [2, 2], groups: 6 } },
    { name: 'depthwise 3x3 multiplier 2', x: [2, 9, 11, 6], k: [3, 3, 1, 12], attrs: { padding: 'valid', groups: 6 } },
    { name: 'depthwise 3x3 stride 2, 70 channels', x: [2, 6, 7, 70], k: [3, 3, 1, 70], attrs: { padding: 'same', strides: [2, 2], groups: 70 } },
    { name: 'depthwise 3x3 dilation 2, multiplier 3', x: [2, 9, 8, 5], k: [3, 3, 1, 15], attrs: { padding: 'same', dilations: [2, 2], groups: 5 } },
    { name: 'one input channel', x: [2, 9, 11, 1], k: [3, 3, 1, 8], attrs: { padding: 'same', strides: [2, 2] } },
    { name: '3x3 same, wide', x: [4, 17, 19, 16], k: [3, 3, 16, 32], attrs: { padding: 'same' } },
    { name: 'several image chunks', x: [6, 40, 40, 32], k: [3, 3, 32, 8], attrs: { padding: 'same' } },
    // The direct kernels' edges: partial filter panels, rows longer than a tile, runs of the window
    // longer than a tile, several bands per image, dilation along the width only.
    { name: '3x3 same, 24 filters, 30 wide', x: [2, 11, 30, 12], k: [3, 3, 12, 24], attrs: { padding: 'same' } },
    { name: '3x3 valid, 40 filters, several bands', x: [3, 45, 20, 7], k: [3, 3, 7, 40], attrs: { padding: 'valid' } },
    { name: '1x3 same, 48 channels, 33 filters', x: [2, 6, 9, 48], k: [1, 3, 48, 33], attrs: { padding: 'same' } },
    { name: '5x5 same, dilations 1x2', x: [2, 10, 12, 4], k: [5, 5, 4, 9], attrs: { padding: 'same', dilations: [1, 2] } },
    { name: '3x3 same, strides 1x2, 70 filters', x: [2, 9, 16, 5], k: [3, 3, 5, 70], attrs: { padding: 'same', strides: [1, 2] } },
  ];

  it.for(conv2d)('conv2d and both backprops: $name', async (c, ctx) => {
    const g = new addon.Graph();
    const poison = addPoison(g, [outputShape('conv2d', [{ shape: c.x }, { shape: c.k }], c.attrs), c.x, c.k]);
    const x = g.input('x', c.x);
    const k = g.input('k', c.k);
    const y = g.op('conv2d', 'y', [x, k], c.attrs)[0];
    const dy = g.input('dy', g.shape(y));
    const dx = g.op('conv2d_backprop_input', 'dx', [dy, k], { ...c.attrs, input_shape: c.x })[0];
    const dk = g.op('conv2d_backprop_filter', 'dk', [x, dy], { ...c.attrs, filter_shape: c.k })[0];
    const rand = random(5);
    const feeds = { ...poison.feeds, x: feedFor({ shape: c.x }, rand), k: feedFor({ shape: c.k }, rand), dy: feedFor({ shape: g.shape(y) }, rand) };
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
    const { ref, got } = await runBoth(backend, g, feeds, [y, dx, dk, ...poison.fetch]);
    for (const v of [y, dx, dk]) {
      expect(maxAbs(ref[v])).toBeGreaterThan(0);
      expectClose(backend, v, got[v], ref[v], GEMM);
    }
  });

  const conv1d: ConvCase[] = [
    { name: 'stride 2 same', x: [3, 29, 5], k: [3, 5, 7], attrs: { padding: 'same', stride: 2 } },
    { name: 'dilation 2 valid', x: [3, 29, 5], k: [3, 5, 7], attrs: { padding: 'valid', dilation: 2 } },
    { name: 'depthwise', x: [3, 29, 5], k: [3, 1, 10], attrs: { padding: 'same', groups: 5 } },
  ];

  it.for(conv1d)('conv1d and its gradients: $name', async (c, ctx) => {
    const g = new addon.Graph();
    const x = g.param('x', c.x);
    const k = g.param('k', c.k);
    const y = g.op('conv1d', 'y', [x, k], c.attrs)[0];
    const w = g.input('w', g.shape(y));
    const loss = g.op('reduce_sum', 'loss', [g.op('mul', 'yw', [y, w])[0]])[0];
    const grads = g.gradients(loss, [x, k]);
    const rand = random(6);
    const feeds = { x: feedFor({ shape: c.x }, rand), k: feedFor({ shape: c.k }, rand), w: feedFor({ shape: g.shape(y) }, rand) };
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
    const { ref, got } = await runBoth(backend, g, feeds, [y, ...grads]);
    for (const v of [y, ...grads]) expectClose(backend, v, got[v], ref[v], GEMM);
  });
});

describe.each(TESTED)('%s backend: pooling', (backend) => {
  const pools: ConvCase[] = [
    { name: '2x2 stride 2 valid', x: [2, 9, 11, 3], k: [], attrs: { pool_size: [2, 2], padding: 'valid' } },
    { name: '3x3 stride 2 same', x: [2, 9, 11, 3], k: [], attrs: { pool_size: [3, 3], strides: [2, 2], padding: 'same' } },
    { name: '3x2 strides 1x2 same', x: [2, 9, 11, 3], k: [], attrs: { pool_size: [3, 2], strides: [1, 2], padding: 'same' } },
    { name: '2x2 stride 1 valid (overlapping)', x: [3, 7, 6, 5], k: [], attrs: { pool_size: [2, 2], strides: [1, 1], padding: 'valid' } },
    { name: '3x3 stride 2 same, 70 channels', x: [2, 8, 8, 70], k: [], attrs: { pool_size: [3, 3], strides: [2, 2], padding: 'same' } },
    { name: 'large', x: [16, 32, 32, 24], k: [], attrs: { pool_size: [2, 2], padding: 'valid' } },
    // Windows that tile the input, cut by the edge ('same') or leaving it uncovered ('valid').
    { name: '2x2 stride 2 same, odd sizes', x: [2, 9, 11, 5], k: [], attrs: { pool_size: [2, 2], padding: 'same' } },
    { name: '3x3 stride 3 same, 70 channels', x: [2, 10, 11, 70], k: [], attrs: { pool_size: [3, 3], padding: 'same' } },
    { name: '3x2 strides 3x2 valid', x: [2, 11, 9, 6], k: [], attrs: { pool_size: [3, 2], padding: 'valid' } },
  ];

  it.for(pools)('max_pool2d, avg_pool2d and their gradients: $name', async (c, ctx) => {
    for (const values of [undefined, halves]) {
      const g = new addon.Graph();
      const pooled = outputShape('max_pool2d', [{ shape: c.x }], c.attrs);
      const poison = addPoison(g, [pooled, pooled, c.x, c.x]);
      const x = g.input('x', c.x);
      const ymax = g.op('max_pool2d', 'ymax', [x], c.attrs)[0];
      const yavg = g.op('avg_pool2d', 'yavg', [x], c.attrs)[0];
      const dy = g.input('dy', g.shape(ymax));
      const dxmax = g.op('max_pool2d_grad', 'dxmax', [x, ymax, dy], c.attrs)[0];
      const dxavg = g.op('avg_pool2d_grad', 'dxavg', [dy], { ...c.attrs, input_shape: c.x })[0];
      const rand = random(7);
      const feeds = { ...poison.feeds, x: feedFor({ shape: c.x, values }, rand), dy: feedFor({ shape: g.shape(ymax) }, rand) };
      if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
      const { ref, got } = await runBoth(backend, g, feeds, [ymax, yavg, dxmax, dxavg, ...poison.fetch]);
      for (const v of [ymax, yavg, dxmax, dxavg]) {
        expect(maxAbs(ref[v])).toBeGreaterThan(0);
        expectClose(backend, `${v}${values ? ' (ties)' : ''}`, got[v], ref[v], EXACTISH);
      }
    }
  });

  it.for([
    { pool_size: 3, strides: 2, padding: 'same' },
    { pool_size: 2, padding: 'valid' },
  ])('max_pool1d, avg_pool1d and their gradients: %o', async (attrs, ctx) => {
    const g = new addon.Graph();
    const x = g.param('x', [3, 17, 5]);
    const ymax = g.op('max_pool1d', 'ymax', [x], attrs)[0];
    const yavg = g.op('avg_pool1d', 'yavg', [x], attrs)[0];
    const w = g.input('w', g.shape(ymax));
    const loss = g.op('add', 'loss', [
      g.op('reduce_sum', 'lmax', [g.op('mul', 'mw', [ymax, w])[0]])[0],
      g.op('reduce_sum', 'lavg', [g.op('mul', 'aw', [yavg, w])[0]])[0],
    ])[0];
    const [dx] = g.gradients(loss, [x]);
    const rand = random(8);
    const feeds = { x: feedFor({ shape: [3, 17, 5] }, rand), w: feedFor({ shape: g.shape(ymax) }, rand) };
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
    const { ref, got } = await runBoth(backend, g, feeds, [ymax, yavg, dx]);
    for (const v of [ymax, yavg, dx]) expectClose(backend, v, got[v], ref[v], SUMS);
  });
});

/**
 * The op's first output y and the gradients of sum(y * w) with respect to its float inputs (as
 * trainable params; int32 inputs are fed), on `backend` and on the reference: the gradient ops
 * run as the autodiff composes them.
 */
async function compareGradients(backend: string, c: OpCase, ctx: { skip: (note: string) => void }, gradTol: Tolerance = SUMS): Promise<void> {
  const rand = random(11);
  const g = new addon.Graph();
  const names = c.inputs.map((input, i) => (input.classes !== undefined ? g.input(`x${i}`, input.shape, 'int32') : g.param(`x${i}`, input.shape)));
  const y = g.op(c.op, 'y', names, c.attrs)[0];
  const w = g.input('w', g.shape(y));
  const loss = g.op('reduce_sum', 'loss', [g.op('mul', 'yw', [y, w])[0]])[0];
  const wrt = names.filter((_, i) => c.inputs[i].classes === undefined);
  const grads = g.gradients(loss, wrt);
  const feeds: Record<string, Typed> = { w: feedFor({ shape: g.shape(y) }, rand) };
  names.forEach((n, i) => (feeds[n] = feedFor(c.inputs[i], rand)));
  if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
  const { ref, got } = await runBoth(backend, g, feeds, [y, ...grads]);
  expectClose(backend, `${c.name} y`, got[y], ref[y], c.tol);
  grads.forEach((d, i) => {
    if (ref[d].length > 0) expect(maxAbs(ref[d]), `${c.name}: d${wrt[i]} is all zero`).toBeGreaterThan(0);
    expectClose(backend, `${c.name} d${wrt[i]}`, got[d], ref[d], gradTol);
  });
}

const EXACT: Tolerance = { rel: 0 };
/** int32 values spread over most of the int32 range (casts, layout ops moving words). */
const WORDS = 2 ** 30;

describe.each(TESTED)('%s backend: layout ops', (backend) => {
  const layouts: [string, number[][], Attrs][] = [
    ['transpose', [[7, 13, 5]], { perm: [2, 0, 1] }],
    ['transpose', [[7, 13, 5]], { perm: [0, 2, 1] }],
    ['transpose', [[301, 257]], { perm: [1, 0] }],
    ['transpose', [[2, 3, 4, 5, 3]], { perm: [4, 2, 0, 3, 1] }],
    ['concat', [[7, 3, 5], [7, 11, 5]], { axis: 1 }],
    ['concat', [[7, 13, 5], [7, 13, 1], [7, 13, 2]], {}],
    ['concat', [[3, 13], [1, 13], [9, 13]], { axis: 0 }],
    ['concat', [[301, 0], [301, 257]], { axis: -1 }],
    ['slice', [[7, 13, 5]], { begin: [1, 2, 0], size: [5, -1, 3] }],
    ['slice', [[301, 257]], { begin: [100, 1], size: [-1, 255] }],
    ['slice', [[7, 13, 5]], { begin: [6, 12, 4], size: [1, 1, 1] }],
    ['pad', [[7, 13, 5]], { pads: [1, 2, 0, 3, 2, 0], value: -2 }],
    ['pad', [[301, 257]], { pads: [0, 0, 5, 6] }],
    ['pad', [[2, 5, 5, 3]], { pads: [0, 0, 1, 1, 1, 1, 0, 0] }],
  ];
  const cases: OpCase[] = layouts.flatMap(([op, shapes, attrs]) =>
    [undefined, WORDS].map((classes) => ({
      name: `${op} ${shapes.map((s) => `[${s}]`).join(' ')} ${JSON.stringify(attrs)}${classes ? ' int32' : ''}`,
      op,
      inputs: shapes.map((shape) => ({ shape, classes })),
      attrs,
      tol: EXACT,
    })),
  );
  it.each(cases.filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  it.for(cases.filter((c) => !c.inputs[0].classes))('gradient of $name', async (c, ctx) => {
    await compareGradients(backend, c, ctx, EXACT);
  });
});

describe.each(TESTED)('%s backend: gather, one_hot, argmax and cast', (backend) => {
  const gathers: [number[], number[], number][] = [
    [[7, 5], [13], 7],
    [[7, 5], [13], 10], // indices up to 9: rows past the table read zeros
    [[11], [3, 4], 11],
    [[5, 3, 2], [], 5],
    [[1000, 33], [64, 9], 1000],
  ];
  const gatherCases: OpCase[] = gathers.map(([params, indices, classes]) => ({
    name: `gather [${params}] by [${indices}] in [0, ${classes})`,
    op: 'gather',
    inputs: [{ shape: params }, { shape: indices, classes }],
    tol: EXACT,
  }));
  const gatherGradCases: OpCase[] = gathers.map(([params, indices, classes]) => ({
    name: `gather_grad [${params}] by [${indices}] in [0, ${classes})`,
    op: 'gather_grad',
    inputs: [{ shape: [...indices, ...params.slice(1)] }, { shape: indices, classes }],
    attrs: { rows: params[0] },
    tol: SUMS,
  }));
  const oneHotCases: OpCase[] = (
    [
      [[13], 7, 7, 'float32'],
      [[4, 9], 10, 12, 'int32'], // labels up to 11: all-zero rows
      [[2000], 10, 10, 'float64'],
      [[3, 5, 7], 33, 33, 'float32'],
    ] as [number[], number, number, string][]
  ).map(([shape, depth, classes, dtype]) => ({
    name: `one_hot [${shape}] depth ${depth} labels in [0, ${classes}) to ${dtype}`,
    op: 'one_hot',
    inputs: [{ shape, classes }],
    attrs: { depth, dtype },
    tol: EXACT,
  }));
  const nans = (r: () => number) => (r() > 0.7 ? NaN : r());
  const argmaxCases: OpCase[] = (
    [
      [[7, 13], -1],
      [[7, 13, 5], 1],
      [[7, 13, 5], 0],
      [[2000, 10], -1],
      [[3, 1001], 1],
      [[9], 0],
    ] as [number[], number][]
  ).flatMap(([shape, axis]) =>
    ([['', undefined], [' (ties)', halves], [' (NaNs)', nans]] as [string, Input['values']][]).map(([what, values]) => ({
      name: `argmax [${shape}] axis ${axis}${what}`,
      op: 'argmax',
      inputs: [{ shape, values }],
      attrs: { axis },
      tol: EXACT,
      mayBeZero: true,
    })),
  );
  const castCases: OpCase[] = [
    { name: 'cast float32 to int32 (truncation toward zero)', op: 'cast', inputs: [{ shape: [7, 13, 5], values: (r) => r() * 100 }], attrs: { dtype: 'int32' }, tol: EXACT },
    { name: 'cast float32 to float64', op: 'cast', inputs: [{ shape: [3, 20011] }], attrs: { dtype: 'float64' }, tol: EXACT },
    { name: 'cast float32 to float32', op: 'cast', inputs: [{ shape: [7, 13] }], attrs: { dtype: 'float32' }, tol: EXACT },
    { name: 'cast int32 to float32 (round to nearest even past 2^24)', op: 'cast', inputs: [{ shape: [3, 20011], classes: WORDS }], attrs: { dtype: 'float32' }, tol: EXACT },
    { name: 'cast int32 to int32', op: 'cast', inputs: [{ shape: [7, 13], classes: WORDS }], attrs: { dtype: 'int32' }, tol: EXACT },
  ];
  it.each([...gatherCases, ...gatherGradCases, ...oneHotCases, ...argmaxCases, ...castCases].filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  it.for(gatherCases)('gradient of $name', async (c, ctx) => {
    await compareGradients(backend, c, ctx, SUMS);
  });

  it('negative and past-the-end indices and labels: zero rows, dropped gradients, as the reference', async (ctx) => {
    const g = new addon.Graph();
    const params = g.input('params', [4, 3]);
    const indices = g.input('indices', [6], 'int32');
    const dy = g.input('dy', [6, 3]);
    const y = g.op('gather', 'y', [params, indices])[0];
    const dparams = g.op('gather_grad', 'dparams', [dy, indices], { rows: 4 })[0];
    const hot = g.op('one_hot', 'hot', [indices], { depth: 4 })[0];
    const feeds = { params: feedFor({ shape: [4, 3] }, random(12)), indices: Int32Array.from([2, -1, 4, 0, 2, -2147483648]), dy: feedFor({ shape: [6, 3] }, random(13)) };
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
    const { ref, got } = await runBoth(backend, g, feeds, [y, dparams, hot]);
    expect([...got[y].slice(3, 9)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...got[hot]]).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expectClose(backend, 'y', got[y], ref[y], EXACT);
    expectClose(backend, 'dparams', got[dparams], ref[dparams], SUMS);
  });
});

describe.each(TESTED)('%s backend: upsampling', (backend) => {
  const ups: [number[], number[] | undefined][] = [
    [[2, 3, 4, 5], [2, 3]],
    [[1, 5, 5, 70], undefined],
    [[3, 7, 2], [3]],
    [[4, 9, 1, 3], [1, 4]],
  ];
  const forward: OpCase[] = ups.map(([shape, size]) => ({ name: `upsample_nearest [${shape}] size ${size ?? 'default'}`, op: 'upsample_nearest', inputs: [{ shape }], attrs: size && { size }, tol: EXACT }));
  const grads: OpCase[] = ups.map(([shape, size]) => ({
    name: `upsample_nearest_grad of [${shape}] size ${size ?? 'default'}`,
    op: 'upsample_nearest_grad',
    inputs: [{ shape: outputShape('upsample_nearest', [{ shape }], size && { size }) }],
    attrs: size && { size },
    tol: EXACTISH,
  }));
  it.each([...forward, ...grads].filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  it.for(forward)('gradient of $name', async (c, ctx) => {
    await compareGradients(backend, c, ctx, EXACTISH);
  });
});

describe.each(TESTED)('%s backend: normalisation', (backend) => {
  const shifted = (r: () => number) => r() * 3 + 1;
  const STATS: Tolerance = { rel: 1e-5, ofMax: true };
  const batchShapes: [number[], number][] = [
    [[64, 10], -1],
    [[8, 9, 11, 6], -1],
    [[8, 6, 9, 11], 1],
    [[5, 7, 3], 0],
    [[3001, 7], 1],
    [[64, 26, 26, 32], 3],
  ];
  const channels = (shape: number[], axis: number) => shape.at(axis)!;
  const batchCases: OpCase[] = batchShapes.flatMap(([shape, axis]) => {
    const c = [channels(shape, axis)];
    return [
      { name: `batch_norm_train [${shape}] axis ${axis}`, op: 'batch_norm_train', inputs: [{ shape, values: shifted }, { shape: c }, { shape: c }], attrs: { axis }, tol: STATS },
      {
        name: `batch_norm_infer [${shape}] axis ${axis}`,
        op: 'batch_norm_infer',
        inputs: [{ shape, values: shifted }, { shape: c }, { shape: c }, { shape: c }, { shape: c, values: positive }],
        attrs: { axis, epsilon: 0.01 },
        tol: EXACTISH,
      },
      {
        name: `batch_norm_grad [${shape}] axis ${axis}`,
        op: 'batch_norm_grad',
        inputs: [{ shape, values: shifted }, { shape: c }, { shape: c, values: shifted }, { shape: c, values: positive }, { shape }],
        attrs: { axis },
        tol: STATS,
      },
    ];
  });
  const layerShapes = [[7, 13], [67, 129], [3, 5, 1001], [2000, 10], [4, 1]];
  const layerCases: OpCase[] = layerShapes.flatMap((shape) => {
    const d = [shape.at(-1)!];
    return [
      { name: `layer_norm [${shape}]`, op: 'layer_norm', inputs: [{ shape, values: shifted }, { shape: d }, { shape: d }], attrs: { epsilon: 1e-5 }, tol: STATS },
      {
        name: `layer_norm_grad [${shape}]`,
        op: 'layer_norm_grad',
        inputs: [{ shape, values: shifted }, { shape: d }, { shape: shape.slice(0, -1), values: shifted }, { shape: shape.slice(0, -1), values: positive }, { shape }],
        tol: STATS,
      },
    ];
  });
  it.each([...batchCases, ...layerCases].filter((c) => supports(backend, c.op)))('$name', async (c) => {
    await compareOp(backend, c);
  });

  // (Rows of one element normalise to beta: their gradients in x and gamma are zero.)
  const trained = [...batchCases, ...layerCases].filter((c) => (c.op === 'batch_norm_train' || c.op === 'layer_norm') && c.inputs[0].shape.at(-1)! > 1);
  it.for(trained)('gradient of $name', async (c, ctx) => {
    await compareGradients(backend, c, ctx, STATS);
  });
});

describe.each(TESTED)('%s backend: dropout and gaussian noise', (backend) => {
  // Negative seeds and the int32 extremes too: the streams key on the seed's 32 bits.
  const seeds = [0, 1, -7, 2147483647, -2147483648];
  const cases: OpCase[] = [
    ...[0.5, 0.1, 0].flatMap((rate) => [[7, 13, 5], [3, 20011]].map((shape) => ({ name: `dropout rate ${rate} [${shape}]`, op: 'dropout', inputs: [{ shape }], attrs: { rate }, tol: EXACTISH }))),
    ...[1, 0.05].flatMap((stddev) =>
      [[7, 13, 5], [3, 20011]].map((shape) => ({ name: `gaussian_noise stddev ${stddev} [${shape}]`, op: 'gaussian_noise', inputs: [{ shape }], attrs: { stddev }, tol: { rel: 1e-6, ofMax: true } })),
    ),
  ];

  it.for(cases)('$name: the same mask / noise for each seed as the reference', async (c, ctx) => {
    const g = new addon.Graph();
    const x = g.input('x', c.inputs[0].shape);
    const seed = g.input('seed', [], 'int32');
    const outs = g.op(c.op, 'y', [x, seed], c.attrs);
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for ${c.op}`);
    const xs = feedFor(c.inputs[0], random(14));
    for (const s of seeds) {
      const { ref, got } = await runBoth(backend, g, { x: xs, seed: Int32Array.of(s) }, outs);
      expectClose(backend, `${c.name} seed ${s} y`, got[outs[0]], ref[outs[0]], c.tol);
      if (c.op === 'dropout') expect([...got[outs[1]]], `${c.name} seed ${s} mask`).toEqual([...ref[outs[1]]]);
    }
  });

  it.for(cases.filter((c) => c.inputs[0].shape.length === 3))('gradient of $name', async (c, ctx) => {
    await compareGradients(backend, { ...c, inputs: [...c.inputs, { shape: [], classes: 2 ** 31 }] }, ctx, EXACTISH);
  });
});

describe.each(TESTED)('%s backend: image augmentation', (backend) => {
  const pixels = (r: () => number) => Math.floor((r() + 1) * 127.5);
  const shapes = [[4, 9, 11, 3], [2, 16, 16, 1], [3, 7, 5, 2]];
  const affine: Attrs[] = [
    { flip: 'horizontal_and_vertical' },
    { flip: 'horizontal', flip_rate: 1 },
    { rotation_lower: -0.3, rotation_upper: 0.3 },
    { rotation_lower: -0.2, rotation_upper: 0.1, fill_mode: 'wrap', interpolation: 'nearest' },
    { translate_height_lower: -0.4, translate_height_upper: 0.4, translate_width_lower: -0.3, translate_width_upper: 0.5, fill_mode: 'constant', fill_value: -3 },
    { translate_width_lower: 0.25, translate_width_upper: 0.25, fill_mode: 'nearest', interpolation: 'nearest' },
    { zoom_height_lower: -0.5, zoom_height_upper: 0.6, zoom_width_same: 1, flip: 'vertical' },
    { zoom_height_lower: -0.3, zoom_height_upper: 0.2, zoom_width_lower: 0.1, zoom_width_upper: 0.9, rotation_lower: 0.5, rotation_upper: 1.5, fill_mode: 'reflect' },
  ];
  const color: Attrs[] = [
    { brightness_lower: -0.3, brightness_upper: 0.3 },
    { contrast_lower: 0.2, contrast_upper: 1.8 },
    { brightness_lower: -0.5, brightness_upper: 0.5, contrast_lower: 0.5, contrast_upper: 1.5 },
    { contrast_lower: 0, contrast_upper: 3, value_min: -10, value_max: 300 },
  ];
  const cases: OpCase[] = [
    ...affine.flatMap((attrs) => shapes.map((shape) => ({ name: `random_affine [${shape}] ${JSON.stringify(attrs)}`, op: 'random_affine', inputs: [{ shape, values: pixels }], attrs, tol: { rel: 1e-6, ofMax: true } }))),
    ...color.flatMap((attrs) => [...shapes, [2, 33, 35, 1]].map((shape) => ({ name: `random_color [${shape}] ${JSON.stringify(attrs)}`, op: 'random_color', inputs: [{ shape, values: pixels }], attrs, tol: { rel: 1e-6, ofMax: true } }))),
  ];

  it.for(cases)('$name', async (c, ctx) => {
    const g = new addon.Graph();
    const x = g.input('x', c.inputs[0].shape);
    const seed = g.input('seed', [], 'int32');
    const y = g.op(c.op, 'y', [x, seed], c.attrs)[0];
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for ${c.op}`);
    const xs = feedFor(c.inputs[0], random(15));
    for (const s of [3, -5, 2147483647]) {
      const { ref, got } = await runBoth(backend, g, { x: xs, seed: Int32Array.of(s) }, [y]);
      expectClose(backend, `${c.name} seed ${s}`, got[y], ref[y], c.tol);
    }
  });
});

describe.each(TESTED)('%s backend: a training step', (backend) => {
  it('matmul -> bias_add -> relu -> matmul -> bias_add -> sparse_softmax_xent -> reduce_mean: loss and every gradient match', async (ctx) => {
    const [n, d, h, c] = [67, 33, 129, 10];
    const g = new addon.Graph();
    const x = g.param('x', [n, d]);
    const labels = g.input('labels', [n], 'int32');
    const w1 = g.param('w1', [d, h]);
    const b1 = g.param('b1', [h]);
    const w2 = g.param('w2', [h, c]);
    const b2 = g.param('b2', [c]);
    const hidden = g.op('relu', 'hidden', [g.op('bias_add', 'z1', [g.op('matmul', 'mm1', [x, w1])[0], b1])[0]])[0];
    const logits = g.op('bias_add', 'logits', [g.op('matmul', 'mm2', [hidden, w2])[0], b2])[0];
    const loss = g.op('reduce_mean', 'loss', [g.op('sparse_softmax_xent', 'xent', [logits, labels])[0]])[0];
    const grads = g.gradients(loss, [x, w1, b1, w2, b2]);
    const rand = random(9);
    const feeds: Record<string, Typed> = { labels: feedFor({ shape: [n], classes: c }, rand) };
    for (const [name, shape] of [[x, [n, d]], [w1, [d, h]], [b1, [h]], [w2, [h, c]], [b2, [c]]] as [string, number[]][]) {
      feeds[name] = feedFor({ shape }, rand);
    }
    if (!supportsGraph(backend, g)) return ctx.skip(`${backend} has no kernel for some op of this graph`);
    const { ref, got } = await runBoth(backend, g, feeds, [loss, ...grads]);
    expectClose(backend, 'loss', got[loss], ref[loss], { rel: 1e-5 });
    for (const v of grads) {
      expect(maxAbs(ref[v]), v).toBeGreaterThan(0);
      expectClose(backend, v, got[v], ref[v], GEMM);
    }
  });
});

describe.each(TESTED)('%s backend: loss scaling (mixed_float16)', (backend) => {
  // A step's gradients: many tensors (past the GPU kernel's 32 per launch), large ones (past one
  // block of threads), large finite values, and a bad value placed anywhere.
  const shapes = [[7, 13], [301, 257], [5], ...Array.from({ length: 37 }, (_, i) => [i + 1])];
  const flagCases: { name: string; bad?: [tensor: number, index: number, value: number] }[] = [
    { name: 'all finite' },
    { name: 'NaN deep in a large tensor', bad: [1, 60000, NaN] },
    { name: 'Inf at the end of the last tensor', bad: [shapes.length - 1, shapes.length - 4, Infinity] },
    { name: '-Inf in the 35th tensor (a second launch on the GPU)', bad: [34, 0, -Infinity] },
  ];
  it.each(flagCases.filter(() => supports(backend, 'any_non_finite')))('any_non_finite: $name', async (c) => {
    const g = new addon.Graph();
    const rand = random(5);
    const feeds: Record<string, Typed> = {};
    const names = shapes.map((shape, i) => {
      const name = g.input(`g${i}`, shape);
      feeds[name] = feedFor({ shape, values: (r) => r() * 1e30 }, rand);
      return name;
    });
    if (c.bad) feeds[names[c.bad[0]]][c.bad[1]] = c.bad[2];
    const [y] = g.op('any_non_finite', 'flag', names);
    const { ref, got } = await runBoth(backend, g, feeds, [y]);
    expect([...ref[y]]).toEqual([c.bad ? 1 : 0]);
    expect([...got[y]]).toEqual([...ref[y]]);
  });

  const updates = UPDATE_CASES.flatMap((c) => [0, 1].map((skip) => ({ ...c, skip, label: `${c.name}, skip ${skip}` })));
  it.each(updates.filter((c) => supports(backend, c.op)))('$label: var and slots after the update', async (c) => {
    const { g, feeds, state } = updateGraph(c, [301, 257], c.skip, random(9));
    const { ref, got } = await runBoth(backend, g, feeds, state);
    for (const s of state) {
      const untouched = got[s].every((v, i) => v === feeds[s][i]);
      expect(untouched, `${s} ${c.skip ? 'untouched' : 'updated'}`).toBe(c.skip === 1);
      expectClose(backend, `${c.label} ${s}`, got[s], ref[s], EXACTISH);
    }
  });
});
