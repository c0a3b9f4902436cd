import { describe, expect, it } from 'vitest';
import { addon, checkGradients, makeValues, runOp, size, type OpCase } from './harness.js';

// ---- independent naive definitions (TensorFlow semantics) ----

interface Geometry {
  out: number;
  before: number;
}

/** TF: "same" gives ceil(in / stride) outputs, pad_total split with the odd unit after. */
function geometry(input: number, k: number, stride: number, dilation: number, padding: string): Geometry {
  const span = (k - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((input - span) / stride) + 1, before: 0 };
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + span - input, 0);
  return { out, before: Math.floor(total / 2) };
}

interface ConvAttrs {
  strides?: number[];
  dilations?: number[];
  padding?: string;
  groups?: number;
}

/** Convolution over an explicitly zero-padded copy of x. x NHWC, k HWIO. */
function naiveConv2d(x: number[], xs: number[], k: number[], ks: number[], a: ConvAttrs): { y: number[]; shape: number[] } {
  const [N, H, W, C] = xs;
  const [KH, KW, CG, F] = ks;
  const [sh, sw] = a.strides ?? [1, 1];
  const [dh, dw] = a.dilations ?? [1, 1];
  const groups = a.groups ?? 1;
  const gh = geometry(H, KH, sh, dh, a.padding ?? 'valid');
  const gw = geometry(W, KW, sw, dw, a.padding ?? 'valid');
  const PH = Math.max(H + 2 * KH * dh, (gh.out - 1) * sh + (KH - 1) * dh + 1);
  const PW = Math.max(W + 2 * KW * dw, (gw.out - 1) * sw + (KW - 1) * dw + 1);
  const padded = new Array(N * PH * PW * C).fill(0);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) padded[((n * PH + h + gh.before) * PW + w + gw.before) * C + c] = x[((n * H + h) * W + w) * C + c];
  const fPerGroup = F / groups;
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < gh.out; oh++)
      for (let ow = 0; ow < gw.out; ow++)
        for (let f = 0; f < F; f++) {
          const group = Math.floor(f / fPerGroup);
          let sum = 0;
          for (let i = 0; i < KH; i++)
            for (let j = 0; j < KW; j++)
              for (let c = 0; c < CG; c++) {
                const xv = padded[((n * PH + oh * sh + i * dh) * PW + ow * sw + j * dw) * C + group * CG + c];
                sum += xv * k[((i * KW + j) * CG + c) * F + f];
              }
          y.push(sum);
        }
  return { y, shape: [N, gh.out, gw.out, F] };
}

/** Pools the in-bounds values of each window (padding never takes part). */
function naivePool(x: number[], xs: number[], kind: 'max' | 'avg', size: number[], strides: number[], padding: string): { y: number[]; shape: number[] } {
  const [N, H, W, C] = xs;
  const gh = geometry(H, size[0], strides[0], 1, padding);
  const gw = geometry(W, size[1], strides[1], 1, padding);
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < gh.out; oh++)
      for (let ow = 0; ow < gw.out; ow++)
        for (let c = 0; c < C; c++) {
          const vals: number[] = [];
          for (let i = 0; i < size[0]; i++)
            for (let j = 0; j < size[1]; j++) {
              const h = oh * strides[0] - gh.before + i;
              const w = ow * strides[1] - gw.before + j;
              if (h >= 0 && h < H && w >= 0 && w < W) vals.push(x[((n * H + h) * W + w) * C + c]);
            }
          y.push(kind === 'max' ? Math.max(...vals) : vals.reduce((s, v) => s + v, 0) / vals.length);
        }
  return { y, shape: [N, gh.out, gw.out, C] };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

// ---- convolution ----

const CONV2D_CASES: { name: string; x: number[]; k: number[]; attrs: ConvAttrs }[] = [
  { name: 'valid', x: [2, 5, 5, 3], k: [3, 3, 3, 4], attrs: {} },
  { name: 'same', x: [2, 5, 5, 3], k: [3, 3, 3, 4], attrs: { padding: 'same' } },
  { name: 'stride 2 + same', x: [2, 5, 5, 3], k: [3, 3, 3, 4], attrs: { strides: [2, 2], padding: 'same' } },
  { name: 'stride 2 + same, even kernel and input', x: [1, 6, 6, 2], k: [2, 2, 2, 3], attrs: { strides: [2, 2], padding: 'same' } },
  { name: 'stride 2 + valid, uneven', x: [2, 6, 7, 2], k: [3, 2, 2, 2], attrs: { strides: [2, 2] } },
  { name: 'strides [2, 1] + same, 4x4 kernel', x: [1, 5, 6, 2], k: [4, 4, 2, 2], attrs: { strides: [2, 1], padding: 'same' } },
  { name: 'dilation 2 + same', x: [2, 7, 7, 2], k: [3, 3, 2, 3], attrs: { dilations: [2, 2], padding: 'same' } },
  { name: 'dilation 2 + valid', x: [1, 7, 6, 2], k: [3, 2, 2, 2], attrs: { dilations: [2, 2] } },
  { name: 'dilation 2 + stride 2 + same', x: [1, 8, 7, 2], k: [3, 3, 2, 2], attrs: { strides: [2, 2], dilations: [2, 2], padding: 'same' } },
  { name: 'groups 2', x: [2, 5, 5, 4], k: [3, 3, 2, 6], attrs: { groups: 2, padding: 'same' } },
  { name: 'depthwise (groups = C, multiplier 2) + stride 2 + same', x: [2, 5, 5, 3], k: [3, 3, 1, 6], attrs: { groups: 3, strides: [2, 2], padding: 'same' } },
  { name: 'depthwise + dilation 2', x: [1, 6, 6, 2], k: [2, 2, 1, 2], attrs: { groups: 2, dilations: [2, 2], padding: 'same' } },
];

describe('conv2d', () => {
  it('matches a hand-computed sum, with TF "same" padding putting the extra row and column after', async () => {
    const x = [[1, 2, 3, 4, 5, 6, 7, 8, 9]];
    const c = (padding: string): OpCase => ({ op: 'conv2d', inputs: [{ shape: [1, 3, 3, 1] }, { shape: [2, 2, 1, 1] }], attrs: { padding } });
    const valid = await runOp(c('valid'), [...x, [1, 1, 1, 1]], 'float64');
    expect(valid.shapes[0]).toEqual([1, 2, 2, 1]);
    expect([...valid.outputs[0]]).toEqual([12, 16, 24, 28]);
    const same = await runOp(c('same'), [...x, [1, 1, 1, 1]], 'float64');
    expect(same.shapes[0]).toEqual([1, 3, 3, 1]);
    expect([...same.outputs[0]]).toEqual([12, 16, 9, 24, 28, 15, 15, 17, 9]);
  });

  for (const t of CONV2D_CASES) {
    it(`matches a naive convolution: ${t.name}`, async () => {
      const c: OpCase = { op: 'conv2d', inputs: [{ shape: t.x }, { shape: t.k }], attrs: { ...t.attrs } };
      const v = makeValues(c, 11);
      const want = naiveConv2d(v[0], t.x, v[1], t.k, t.attrs);
      const r64 = await runOp(c, v, 'float64');
      expect(r64.shapes[0]).toEqual(want.shape);
      expectClose(r64.outputs[0], want.y);
      const r32 = await runOp(c, v, 'float32');
      expectClose(r32.outputs[0], want.y, 4);
    });
  }

  it('backprop ops are the adjoints of conv2d: <conv(x, k), dy> = <x, dx> = <k, dk>', async () => {
    for (const t of CONV2D_CASES) {
      const c: OpCase = { op: 'conv2d', inputs: [{ shape: t.x }, { shape: t.k }] };
      const [x, k] = makeValues(c, 5);
      const { y, shape } = naiveConv2d(x, t.x, k, t.k, t.attrs);
      const dy = makeValues({ op: '', inputs: [{ shape }] }, 6)[0];
      const dx = await runOp({ op: 'conv2d_backprop_input', inputs: [{ shape }, { shape: t.k }], attrs: { ...t.attrs, input_shape: t.x } }, [dy, k], 'float64');
      expect(dx.shapes[0]).toEqual(t.x);
      const dk = await runOp({ op: 'conv2d_backprop_filter', inputs: [{ shape: t.x }, { shape }], attrs: { ...t.attrs, filter_shape: t.k } }, [x, dy], 'float64');
      expect(dk.shapes[0]).toEqual(t.k);
      expect(dot(x, dx.outputs[0])).toBeCloseTo(dot(y, dy), 10);
      expect(dot(k, dk.outputs[0])).toBeCloseTo(dot(y, dy), 10);
    }
  });

  it('gradients match finite differences', async () => {
    const cases: [number[], number[], ConvAttrs][] = [
      [[2, 5, 5, 2], [3, 3, 2, 3], {}],
      [[2, 5, 5, 2], [3, 3, 2, 2], { strides: [2, 2], padding: 'same' }],
      [[1, 6, 5, 2], [2, 2, 2, 2], { strides: [2, 2], padding: 'same' }],
      [[1, 5, 5, 2], [2, 2, 2, 2], { dilations: [2, 2], padding: 'same' }],
      [[2, 5, 5, 4], [3, 3, 2, 2], { groups: 2, padding: 'same' }],
      [[2, 5, 5, 3], [3, 3, 1, 6], { groups: 3, strides: [2, 2], padding: 'same' }],
    ];
    for (const [x, k, attrs] of cases) await checkGradients({ op: 'conv2d', inputs: [{ shape: x }, { shape: k }], attrs: { ...attrs } });
  });

  it('gradients of the backprop ops match finite differences', async () => {
    const cases: [number[], number[], ConvAttrs][] = [
      [[2, 5, 5, 2], [3, 3, 2, 2], { strides: [2, 2], padding: 'same' }],
      [[1, 5, 5, 4], [2, 2, 2, 2], { groups: 2, dilations: [2, 2] }],
    ];
    for (const [x, k, attrs] of cases) {
      const y = naiveConv2d(new Array(size(x)).fill(0), x, new Array(size(k)).fill(0), k, attrs).shape;
      await checkGradients({ op: 'conv2d_backprop_input', inputs: [{ shape: y }, { shape: k }], attrs: { ...attrs, input_shape: x } });
      await checkGradients({ op: 'conv2d_backprop_filter', inputs: [{ shape: x }, { shape: y }], attrs: { ...attrs, filter_shape: k } });
    }
  });

  it('names the node and the shapes when channels, groups or sizes do not fit', () => {
    const g = new addon.Graph();
    g.input('x', [8, 28, 28, 3]);
    g.param('k', [3, 3, 4, 8]);
    expect(() => g.op('conv2d', 'conv2d_1/conv', ['x', 'k'])).toThrow(
      "node 'conv2d_1/conv' (conv2d): input has 3 channels but the kernel expects 4 (kernel shape [3, 3, 4, 8])",
    );
    g.param('kg', [3, 3, 2, 8]);
    expect(() => g.op('conv2d', 'grouped', ['x', 'kg'], { groups: 2 })).toThrow(
      "node 'grouped' (conv2d): input has 3 channels but the kernel expects 4 (2 per group x 2 groups) (kernel shape [3, 3, 2, 8])",
    );
    g.param('k1', [3, 3, 1, 4]);
    expect(() => g.op('conv2d', 'dw', ['x', 'k1'], { groups: 3 })).toThrow("node 'dw' (conv2d): the kernel's 4 filters cannot be split into 3 groups");
    g.param('big', [15, 15, 3, 8]);
    expect(() => g.op('conv2d', 'too_big', ['x', 'big'], { dilations: [2, 2] })).toThrow(
      'node \'too_big\' (conv2d): the input is 28x28 but the kernel spans 29x29 with padding "valid"',
    );
    g.input('flat', [8, 784]);
    expect(() => g.op('conv2d', 'flat_conv', ['flat', 'k'])).toThrow("node 'flat_conv' (conv2d): input must be 4-D [batch, height, width, channels], got [8, 784]");
    g.param('k3', [3, 3, 3, 8]);
    expect(() => g.op('conv2d', 'pad', ['x', 'k3'], { padding: 'full' })).toThrow('node \'pad\' (conv2d): padding must be "same" or "valid", got "full"');
    expect(() => g.op('conv2d', 'strides', ['x', 'k3'], { strides: [2, 2, 2] })).toThrow("node 'strides' (conv2d): 'strides' needs 2 values, got [2, 2, 2]");
    expect(g.op('conv2d', 'ok', ['x', 'k3'], { strides: 2, padding: 'same' })).toEqual(['ok']);
    expect(g.shape('ok')).toEqual([8, 14, 14, 8]);
    g.input('dy', [8, 13, 13, 8]);
    expect(() => g.op('conv2d_backprop_input', 'bp', ['dy', 'k3'], { strides: [2, 2], padding: 'same', input_shape: [8, 28, 28, 3] })).toThrow(
      "node 'bp' (conv2d_backprop_input): dy is [8, 13, 13, 8] but convolving an input of [8, 28, 28, 3] with a kernel of [3, 3, 3, 8] gives [8, 14, 14, 8]",
    );
  });
});

describe('conv1d', () => {
  const cases: { name: string; x: number[]; k: number[]; attrs: { stride?: number; dilation?: number; padding?: string; groups?: number } }[] = [
    { name: 'valid', x: [2, 7, 3], k: [3, 3, 4], attrs: {} },
    { name: 'stride 2 + same', x: [2, 7, 3], k: [3, 3, 2], attrs: { stride: 2, padding: 'same' } },
    { name: 'dilation 2 + same, even kernel', x: [2, 8, 2], k: [2, 2, 3], attrs: { dilation: 2, padding: 'same' } },
    { name: 'groups 2', x: [1, 6, 4], k: [3, 2, 4], attrs: { groups: 2, padding: 'same' } },
    { name: 'depthwise + stride 2', x: [2, 7, 3], k: [2, 1, 3], attrs: { groups: 3, stride: 2 } },
  ];
  for (const t of cases) {
    it(`matches a naive convolution and finite differences: ${t.name}`, async () => {
      const c: OpCase = { op: 'conv1d', inputs: [{ shape: t.x }, { shape: t.k }], attrs: { ...t.attrs } };
      const v = makeValues(c, 13);
      const want = naiveConv2d(v[0], [t.x[0], 1, t.x[1], t.x[2]], v[1], [1, ...t.k], {
        strides: [1, t.attrs.stride ?? 1],
        dilations: [1, t.attrs.dilation ?? 1],
        padding: t.attrs.padding,
        groups: t.attrs.groups,
      });
      const r = await runOp(c, v, 'float64');
      expect(r.shapes[0]).toEqual([want.shape[0], want.shape[2], want.shape[3]]);
      expectClose(r.outputs[0], want.y);
      await checkGradients(c);
    });
  }

  it('names the node when the input is not 3-D', () => {
    const g = new addon.Graph();
    g.input('x', [8, 28, 28, 3]);
    g.param('k', [3, 3, 8]);
    expect(() => g.op('conv1d', 'conv1d_1/conv', ['x', 'k'])).toThrow("node 'conv1d_1/conv' (conv1d): input must be 3-D [batch, width, channels], got [8, 28, 28, 3]");
  });
});

// ---- pooling ----

describe('max_pool2d / avg_pool2d and their 1-D forms', () => {
  it('1-D "same" pooling leaves the padding out of the max and the average (hand-computed)', async () => {
    const x = [[1, 2, 3, 4, 5, 6]];
    const attrs = { pool_size: 3, strides: 2, padding: 'same' };
    const max = await runOp({ op: 'max_pool1d', inputs: [{ shape: [1, 6, 1] }], attrs }, x, 'float64');
    expect(max.shapes[0]).toEqual([1, 3, 1]);
    expect([...max.outputs[0]]).toEqual([3, 5, 6]);
    const avg = await runOp({ op: 'avg_pool1d', inputs: [{ shape: [1, 6, 1] }], attrs }, x, 'float64');
    expect([...avg.outputs[0]]).toEqual([2, 4, 5.5]);
    // Strides default to the pool size.
    const def = await runOp({ op: 'avg_pool1d', inputs: [{ shape: [1, 6, 1] }], attrs: { pool_size: [2] } }, x, 'float64');
    expect([...def.outputs[0]]).toEqual([1.5, 3.5, 5.5]);
  });

  const cases: { name: string; x: number[]; size: number[]; strides?: number[]; padding: string }[] = [
    { name: '2x2 valid (default strides)', x: [2, 5, 5, 3], size: [2, 2], padding: 'valid' },
    { name: '2x2 same (default strides)', x: [2, 5, 5, 3], size: [2, 2], padding: 'same' },
    { name: '3x3 stride 2 same', x: [2, 5, 5, 2], size: [3, 3], strides: [2, 2], padding: 'same' },
    { name: '3x3 stride 1 same', x: [1, 4, 5, 2], size: [3, 3], strides: [1, 1], padding: 'same' },
    { name: '2x3 strides [1, 2] valid', x: [2, 5, 6, 2], size: [2, 3], strides: [1, 2], padding: 'valid' },
    { name: '2x2 stride 3 same', x: [1, 7, 7, 2], size: [2, 2], strides: [3, 3], padding: 'same' },
  ];
  for (const kind of ['max', 'avg'] as const) {
    for (const t of cases) {
      it(`${kind}_pool2d matches a naive pool and finite differences: ${t.name}`, async () => {
        const attrs = { pool_size: t.size, ...(t.strides ? { strides: t.strides } : {}), padding: t.padding };
        const c: OpCase = { op: `${kind}_pool2d`, inputs: [{ shape: t.x }], attrs };
        const v = makeValues(c, 17);
        const want = naivePool(v[0], t.x, kind, t.size, t.strides ?? t.size, t.padding);
        const r = await runOp(c, v, 'float64');
        expect(r.shapes[0]).toEqual(want.shape);
        expectClose(r.outputs[0], want.y);
        const r32 = await runOp(c, v, 'float32');
        expectClose(r32.outputs[0], want.y, 5);
        await checkGradients(c);
      });
    }
    it(`${kind}_pool1d matches the naive pool with a height of 1 and finite differences`, async () => {
      for (const [attrs, strides] of [
        [{ pool_size: 2, padding: 'valid' }, 2],
        [{ pool_size: 3, strides: 2, padding: 'same' }, 2],
        [{ pool_size: [2], strides: [1], padding: 'same' }, 1],
      ] as const) {
        const p = typeof attrs.pool_size === 'number' ? attrs.pool_size : attrs.pool_size[0];
        const c: OpCase = { op: `${kind}_pool1d`, inputs: [{ shape: [2, 7, 3] }], attrs: { ...attrs } };
        const v = makeValues(c, 19);
        const want = naivePool(v[0], [2, 1, 7, 3], kind, [1, p], [1, strides], attrs.padding);
        const r = await runOp(c, v, 'float64');
        expect(r.shapes[0]).toEqual([2, want.shape[2], 3]);
        expectClose(r.outputs[0], want.y);
        await checkGradients(c);
      }
    });
  }

  it('max_pool2d_grad sends each window to its first maximum, as TF', async () => {
    // Overlapping windows over equal values: window 0 picks element 0, window 1 picks element 1.
    const c: OpCase = {
      op: 'max_pool2d_grad',
      inputs: [{ shape: [1, 1, 3, 1] }, { shape: [1, 1, 2, 1] }, { shape: [1, 1, 2, 1] }],
      attrs: { pool_size: [1, 2], strides: [1, 1] },
    };
    const r = await runOp(c, [[5, 5, 5], [5, 5], [1, 2]], 'float64');
    expect([...r.outputs[0]]).toEqual([1, 2, 0]);
    const square = await runOp(
      { op: 'max_pool2d_grad', inputs: [{ shape: [1, 2, 2, 1] }, { shape: [1, 1, 1, 1] }, { shape: [1, 1, 1, 1] }], attrs: { pool_size: [2, 2] } },
      [[1, 3, 3, 3], [3], [7]],
      'float64',
    );
    expect([...square.outputs[0]]).toEqual([0, 7, 0, 0]);
  });

  it('avg_pool2d_grad spreads dy over the in-bounds elements and has its own gradient', async () => {
    const attrs = { pool_size: [3, 3], strides: [2, 2], padding: 'same', input_shape: [2, 5, 5, 2] };
    const dy = makeValues({ op: '', inputs: [{ shape: [2, 3, 3, 2] }] }, 3)[0];
    const x = makeValues({ op: '', inputs: [{ shape: [2, 5, 5, 2] }] }, 4)[0];
    const dx = await runOp({ op: 'avg_pool2d_grad', inputs: [{ shape: [2, 3, 3, 2] }], attrs }, [dy], 'float64');
    expect(dot(x, dx.outputs[0])).toBeCloseTo(dot(naivePool(x, [2, 5, 5, 2], 'avg', [3, 3], [2, 2], 'same').y, dy), 10);
    await checkGradients({ op: 'avg_pool2d_grad', inputs: [{ shape: [2, 3, 3, 2] }], attrs });
  });

  it('names the node when the window does not fit or an attribute is wrong', () => {
    const g = new addon.Graph();
    g.input('x', [8, 3, 3, 16]);
    expect(() => g.op('max_pool2d', 'pool_1', ['x'], { pool_size: [4, 4] })).toThrow(
      'node \'pool_1\' (max_pool2d): the input is 3x3 but the pool window is 4x4 with padding "valid"',
    );
    expect(() => g.op('avg_pool2d', 'pool_2', ['x'], { pool_size: [2, 0] })).toThrow("node 'pool_2' (avg_pool2d): 'pool_size' must be positive, got [2, 0]");
    expect(g.op('max_pool2d', 'pool_3', ['x'], { pool_size: [4, 4], padding: 'same' })).toEqual(['pool_3']);
    expect(g.shape('pool_3')).toEqual([8, 1, 1, 16]);
    expect(() => g.op('max_pool1d', 'pool_4', ['x'])).toThrow("node 'pool_4' (max_pool1d): input must be 3-D [batch, width, channels], got [8, 3, 3, 16]");
  });
});

// ---- upsampling ----

describe('upsample_nearest', () => {
  it('repeats each pixel into a block (2-D and 1-D)', async () => {
    const r2 = await runOp({ op: 'upsample_nearest', inputs: [{ shape: [1, 2, 2, 1] }], attrs: { size: [2, 3] } }, [[1, 2, 3, 4]], 'float64');
    expect(r2.shapes[0]).toEqual([1, 4, 6, 1]);
    expect([...r2.outputs[0]]).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4]);
    const r1 = await runOp({ op: 'upsample_nearest', inputs: [{ shape: [1, 3, 2] }], attrs: { size: [2] } }, [[1, 2, 3, 4, 5, 6]], 'float32');
    expect(r1.shapes[0]).toEqual([1, 6, 2]);
    expect([...r1.outputs[0]]).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6]);
  });

  it('upsample_nearest_grad sums each block', async () => {
    const dy = Array.from({ length: 24 }, (_, i) => i);
    const r = await runOp({ op: 'upsample_nearest_grad', inputs: [{ shape: [1, 4, 6, 1] }], attrs: { size: [2, 3] } }, [dy], 'float64');
    expect(r.shapes[0]).toEqual([1, 2, 2, 1]);
    // Block (0, 0) holds rows 0-1, columns 0-2: 0+1+2 + 6+7+8.
    expect([...r.outputs[0]]).toEqual([24, 42, 96, 114]);
  });

  it('gradients match finite differences', async () => {
    await checkGradients({ op: 'upsample_nearest', inputs: [{ shape: [2, 3, 2, 2] }], attrs: { size: [2, 3] } });
    await checkGradients({ op: 'upsample_nearest', inputs: [{ shape: [2, 3, 2] }], attrs: { size: [3] } });
    await checkGradients({ op: 'upsample_nearest', inputs: [{ shape: [1, 2, 2, 3] }] });
    await checkGradients({ op: 'upsample_nearest_grad', inputs: [{ shape: [2, 4, 6, 2] }], attrs: { size: [2, 3] } });
    await checkGradients({ op: 'upsample_nearest_grad', inputs: [{ shape: [2, 6, 2] }], attrs: { size: [2] } });
  });

  it('names the node when the factors do not fit', () => {
    const g = new addon.Graph();
    g.input('x', [8, 7, 7, 3]);
    expect(() => g.op('upsample_nearest', 'up_1', ['x'], { size: [2] })).toThrow("node 'up_1' (upsample_nearest): 'size' needs 2 values, got [2]");
    expect(() => g.op('upsample_nearest_grad', 'up_2', ['x'], { size: [2, 2] })).toThrow(
      "node 'up_2' (upsample_nearest_grad): dy [8, 7, 7, 3] is not a whole number of 2x2 blocks",
    );
  });
});
