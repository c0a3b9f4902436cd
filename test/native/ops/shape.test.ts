import { describe, expect, it } from 'vitest';
import { addon, checkGradients, makeValues, runOp, size, type Dtype, type OpCase } from './harness.js';

/** Every coordinate of a shape in row-major order. */
function coordsOf(shape: number[]): number[][] {
  let all: number[][] = [[]];
  for (const d of shape) all = all.flatMap((c) => Array.from({ length: d }, (_, k) => [...c, k]));
  return all;
}

function offsetOf(shape: number[], coords: number[]): number {
  return coords.reduce((acc, c, d) => acc * shape[d] + c, 0);
}

function naiveTranspose(x: number[], shape: number[], perm: number[]): number[] {
  return coordsOf(perm.map((p) => shape[p])).map((c) => {
    const src: number[] = [];
    perm.forEach((p, d) => (src[p] = c[d]));
    return x[offsetOf(shape, src)];
  });
}

function naiveConcat(xs: number[][], shapes: number[][], axis: number): number[] {
  const out = [...shapes[0]];
  out[axis] = shapes.reduce((n, s) => n + s[axis], 0);
  return coordsOf(out).map((c) => {
    let k = c[axis];
    let i = 0;
    while (k >= shapes[i][axis]) k -= shapes[i++][axis];
    const src = [...c];
    src[axis] = k;
    return xs[i][offsetOf(shapes[i], src)];
  });
}

const ints = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

function expectBuildError(build: (g: InstanceType<typeof addon.Graph>) => void, message: string): void {
  const g = new addon.Graph();
  expect(() => build(g)).toThrow(message);
}

describe('reshape', () => {
  it('infers the -1 dimension and keeps the values in order', async () => {
    const x = ints(24);
    const { outputs, shapes } = await runOp({ op: 'reshape', inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [4, -1] } }, [x], 'float64');
    expect(shapes[0]).toEqual([4, 6]);
    expect([...outputs[0]]).toEqual(x);
    const flat = await runOp({ op: 'reshape', inputs: [{ shape: [2, 3, 4], dtype: 'int32' }], attrs: { shape: [-1] } }, [x]);
    expect(flat.shapes[0]).toEqual([24]);
    expect([...flat.outputs[0]]).toEqual(x);
  });

  it('has the gradient of a reshape back', async () => {
    await checkGradients({ op: 'reshape', inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [4, -1] } });
    await checkGradients({ op: 'reshape', inputs: [{ shape: [6, 4] }], attrs: { shape: [2, 3, 2, 2] } });
    await checkGradients({ op: 'reshape', inputs: [{ shape: [1, 5] }], attrs: { shape: [5] } });
  });

  it('names the node when the shape does not fit', () => {
    const bad = (shape: number[], message: string): void =>
      expectBuildError((g) => {
        g.input('x', [2, 3, 4]);
        g.op('reshape', 'flatten_1/reshape', ['x'], { shape });
      }, `node 'flatten_1/reshape' (reshape): ${message}`);
    bad([5, -1], 'cannot reshape [2, 3, 4] to [5, -1]');
    bad([5, 5], 'cannot reshape [2, 3, 4] (24 elements) to [5, 5]');
    bad([-1, -1], 'shape [-1, -1] has more than one -1');
    bad([-2, 12], 'shape [-2, 12] has a negative dimension');
  });
});

describe('transpose', () => {
  const cases: [number[], number[]][] = [
    [[3, 5], [1, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [1, 2, 0]],
    [[2, 3, 1, 2], [0, 3, 1, 2]],
  ];

  it('permutes axes in float32, float64 and int32', async () => {
    for (const [shape, perm] of cases) {
      const x = ints(size(shape), -7);
      for (const dtype of ['float32', 'float64', 'int32'] as Dtype[]) {
        const { outputs, shapes } = await runOp({ op: 'transpose', inputs: [{ shape }], attrs: { perm } }, [x], dtype);
        expect(shapes[0]).toEqual(perm.map((p) => shape[p]));
        expect([...outputs[0]]).toEqual(naiveTranspose(x, shape, perm));
      }
    }
    const { outputs } = await runOp({ op: 'transpose', inputs: [{ shape: [2, 3] }], attrs: { perm: [1, 0] } }, [[1, 2, 3, 4, 5, 6]]);
    expect([...outputs[0]]).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('has the gradient of a transpose by the inverse perm', async () => {
    for (const [shape, perm] of cases) await checkGradients({ op: 'transpose', inputs: [{ shape }], attrs: { perm } });
  });

  it('names the node when perm is not a permutation', () => {
    const bad = (perm: number[], message: string): void =>
      expectBuildError((g) => {
        g.input('x', [2, 3, 4]);
        g.op('transpose', 'permute_1', ['x'], { perm });
      }, `node 'permute_1' (transpose): ${message}`);
    bad([0, 0, 1], 'perm [0, 0, 1] is not a permutation of the axes of [2, 3, 4]');
    bad([0, 1, 3], 'perm [0, 1, 3] is not a permutation of the axes of [2, 3, 4]');
    bad([1, 0], 'perm [1, 0] must list every axis of [2, 3, 4] once');
  });
});

describe('concat', () => {
  it('joins any number of inputs along an axis, negative axes included', async () => {
    const shapes = [[2, 1, 3], [2, 2, 3], [2, 3, 3]];
    const c: OpCase = { op: 'concat', inputs: shapes.map((shape) => ({ shape })), attrs: { axis: 1 } };
    const v = makeValues(c, 11);
    const { outputs, shapes: out } = await runOp(c, v, 'float64');
    expect(out[0]).toEqual([2, 6, 3]);
    expect([...outputs[0]]).toEqual(naiveConcat(v, shapes, 1));

    const last = await runOp({ op: 'concat', inputs: [{ shape: [2, 2] }, { shape: [2, 1] }], attrs: { axis: -1 } }, [[1, 2, 3, 4], [5, 6]], 'int32');
    expect(last.shapes[0]).toEqual([2, 3]);
    expect([...last.outputs[0]]).toEqual([1, 2, 5, 3, 4, 6]);
    const first = await runOp({ op: 'concat', inputs: [{ shape: [1, 2] }, { shape: [2, 2] }], attrs: { axis: 0 } }, [[1, 2], [3, 4, 5, 6]]);
    expect([...first.outputs[0]]).toEqual([1, 2, 3, 4, 5, 6]);
    const one = await runOp({ op: 'concat', inputs: [{ shape: [3] }] }, [[7, 8, 9]]);
    expect([...one.outputs[0]]).toEqual([7, 8, 9]);
  });

  it('sends each input its slice of the gradient', async () => {
    await checkGradients({ op: 'concat', inputs: [{ shape: [2, 1, 3] }, { shape: [2, 2, 3] }, { shape: [2, 3, 3] }], attrs: { axis: 1 } });
    await checkGradients({ op: 'concat', inputs: [{ shape: [3, 2] }, { shape: [3, 4] }], attrs: { axis: -1 } });
    await checkGradients({ op: 'concat', inputs: [{ shape: [1, 2] }, { shape: [2, 2] }], attrs: { axis: 0 } });
    await checkGradients({ op: 'concat', inputs: [{ shape: [2, 2] }] });
  });

  it('names the node when the inputs do not line up', () => {
    const bad = (shapes: number[][], axis: number, message: string, dtype: Dtype = 'float32'): void =>
      expectBuildError((g) => {
        const names = shapes.map((s, i) => g.input(`x${i}`, s, i === 1 ? dtype : 'float32'));
        g.op('concat', 'concatenate_1', names, { axis });
      }, `node 'concatenate_1' (concat): ${message}`);
    bad([[2, 3], [3, 3]], 1, 'input 1 has shape [3, 3], which does not match input 0 [2, 3] on every axis but 1');
    bad([[2, 3], [2, 3, 1]], 0, 'input 1 has shape [2, 3, 1], which does not match input 0 [2, 3] on every axis but 0');
    bad([[2, 3], [2, 3]], 2, 'axis 2 is out of range for rank 2');
    bad([[2, 3], [2, 3]], 0, 'inputs have different dtypes: float32 and int32', 'int32');
    bad([[], []], 0, 'cannot concatenate scalars');
    bad([], 0, 'takes at least 1 inputs, got 0');
  });
});

describe('slice', () => {
  it('takes begin and size, -1 meaning to the end', async () => {
    const shape = [3, 4, 5];
    const x = ints(60);
    for (const dtype of ['float32', 'float64', 'int32'] as Dtype[]) {
      const { outputs, shapes } = await runOp({ op: 'slice', inputs: [{ shape }], attrs: { begin: [1, 0, 2], size: [2, -1, 2] } }, [x], dtype);
      expect(shapes[0]).toEqual([2, 4, 2]);
      const expected = coordsOf([2, 4, 2]).map(([i, j, k]) => x[offsetOf(shape, [i + 1, j, k + 2])]);
      expect([...outputs[0]]).toEqual(expected);
    }
    const row = await runOp({ op: 'slice', inputs: [{ shape: [2, 3] }], attrs: { begin: [1, 1], size: [-1, -1] } }, [[1, 2, 3, 4, 5, 6]]);
    expect([...row.outputs[0]]).toEqual([5, 6]);
    const empty = await runOp({ op: 'slice', inputs: [{ shape: [2, 3] }], attrs: { begin: [0, 3], size: [2, -1] } }, [[1, 2, 3, 4, 5, 6]]);
    expect(empty.shapes[0]).toEqual([2, 0]);
  });

  it('has the gradient of dy padded with zeros', async () => {
    await checkGradients({ op: 'slice', inputs: [{ shape: [3, 4, 5] }], attrs: { begin: [1, 0, 2], size: [2, -1, 2] } });
    await checkGradients({ op: 'slice', inputs: [{ shape: [4, 3] }], attrs: { begin: [0, 1], size: [4, 1] } });
    await checkGradients({ op: 'slice', inputs: [{ shape: [5] }], attrs: { begin: [2], size: [-1] } });
  });

  it('names the node when the slice does not fit', () => {
    const bad = (attrs: Record<string, unknown>, message: string): void =>
      expectBuildError((g) => {
        g.input('x', [2, 3]);
        g.op('slice', 'crop_1', ['x'], attrs);
      }, `node 'crop_1' (slice): ${message}`);
    bad({ begin: [0, 2], size: [1, 2] }, 'begin [0, 2] and size [1, 2] do not fit inside [2, 3] on axis 1');
    bad({ begin: [-1, 0], size: [1, 2] }, 'begin [-1, 0] and size [1, 2] do not fit inside [2, 3] on axis 0');
    bad({ begin: [3, 0], size: [-1, 2] }, 'begin [3, 0] and size [-1, 2] do not fit inside [2, 3] on axis 0');
    bad({ begin: [0], size: [1] }, 'begin [0] and size [1] must have one entry per axis of [2, 3]');
    bad({ begin: [0, 0] }, 'needs begin and size');
  });
});

describe('pad', () => {
  it('pads each axis before and after with a constant', async () => {
    const { outputs, shapes } = await runOp({ op: 'pad', inputs: [{ shape: [2, 2] }], attrs: { pads: [1, 0, 0, 2] } }, [[1, 2, 3, 4]], 'float64');
    expect(shapes[0]).toEqual([3, 4]);
    expect([...outputs[0]]).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
    const ints32 = await runOp({ op: 'pad', inputs: [{ shape: [3] }], attrs: { pads: [2, 1], value: -5 } }, [[7, 8, 9]], 'int32');
    expect([...ints32.outputs[0]]).toEqual([-5, -5, 7, 8, 9, -5]);
    const f32 = await runOp({ op: 'pad', inputs: [{ shape: [1, 1] }], attrs: { pads: [0, 1, 1, 0], value: 0.5 } }, [[3]]);
    expect([...f32.outputs[0]]).toEqual([0.5, 3, 0.5, 0.5]);

    const shape = [2, 3, 2];
    const pads = [1, 1, 0, 2, 2, 0];
    const x = ints(12, 1);
    const big = await runOp({ op: 'pad', inputs: [{ shape }], attrs: { pads, value: -1 } }, [x]);
    expect(big.shapes[0]).toEqual([4, 5, 4]);
    const expected = coordsOf([4, 5, 4]).map((c) => {
      const src = c.map((k, d) => k - pads[2 * d]);
      return src.every((k, d) => k >= 0 && k < shape[d]) ? x[offsetOf(shape, src)] : -1;
    });
    expect([...big.outputs[0]]).toEqual(expected);
  });

  it('has the gradient of a slice of dy', async () => {
    await checkGradients({ op: 'pad', inputs: [{ shape: [2, 3, 2] }], attrs: { pads: [1, 1, 0, 2, 2, 0] } });
    await checkGradients({ op: 'pad', inputs: [{ shape: [3, 2] }], attrs: { pads: [0, 0, 1, 1], value: 2.5 } });
    await checkGradients({ op: 'pad', inputs: [{ shape: [4] }], attrs: { pads: [3, 0] } });
  });

  it('names the node when pads are wrong', () => {
    const bad = (attrs: Record<string, unknown>, message: string, dtype: Dtype = 'float32'): void =>
      expectBuildError((g) => {
        g.input('x', [2, 3], dtype);
        g.op('pad', 'zero_padding_1', ['x'], attrs);
      }, `node 'zero_padding_1' (pad): ${message}`);
    bad({ pads: [1, 1] }, 'pads [1, 1] must have 2 entries (before, after) per axis of [2, 3]');
    bad({ pads: [1, 1, -1, 0] }, 'pads [1, 1, -1, 0] must not be negative');
    bad({ pads: [0, 0, 0, 0], value: 0.5 }, 'value must be a whole number for an int32 input', 'int32');
    bad({}, 'needs pads');
  });
});

describe('gather and gather_grad', () => {
  const params = ints(15).map((v) => v / 4 - 1); // [5, 3]
  const row = (k: number): number[] => params.slice(3 * k, 3 * k + 3);

  it('looks rows up by index, like an Embedding', async () => {
    for (const dtype of ['float32', 'float64'] as Dtype[]) {
      const indices = [4, 0, 2, 2];
      const { outputs, shapes } = await runOp({ op: 'gather', inputs: [{ shape: [5, 3] }, { shape: [2, 2], dtype: 'int32' }] }, [params, indices], dtype);
      expect(shapes[0]).toEqual([2, 2, 3]);
      expectClose(outputs[0], indices.flatMap(row), 6);
    }
    const flat = await runOp({ op: 'gather', inputs: [{ shape: [4] }, { shape: [3], dtype: 'int32' }] }, [[10, 20, 30, 40], [3, 3, 1]], 'float64');
    expect(flat.shapes[0]).toEqual([3]);
    expect([...flat.outputs[0]]).toEqual([40, 40, 20]);
    const scalar = await runOp({ op: 'gather', inputs: [{ shape: [5, 3] }, { shape: [], dtype: 'int32' }] }, [params, [1]], 'float64');
    expect(scalar.shapes[0]).toEqual([3]);
    expect([...scalar.outputs[0]]).toEqual(row(1));
  });

  it('writes zeros for out-of-range indices and never reads outside params', async () => {
    const indices = [1, -1, 5, 2147483647, -2147483648, 3];
    const { outputs } = await runOp({ op: 'gather', inputs: [{ shape: [5, 3] }, { shape: [6], dtype: 'int32' }] }, [params, indices], 'float64');
    expect([...outputs[0]]).toEqual([...row(1), ...new Array(12).fill(0), ...row(3)]);
    const grad = await runOp(
      { op: 'gather_grad', inputs: [{ shape: [3, 2] }, { shape: [3], dtype: 'int32' }], attrs: { rows: 2 } },
      [[1, 2, 3, 4, 5, 6], [-1, 2, 1]],
      'float64',
    );
    expect([...grad.outputs[0]]).toEqual([0, 0, 5, 6]);
  });

  it('gather_grad scatter-adds dy rows, repeated indices accumulating', async () => {
    for (const dtype of ['float32', 'float64'] as Dtype[]) {
      const dy = [1, 2, 3, 4, 5, 6, 7, 8];
      const { outputs, shapes } = await runOp(
        { op: 'gather_grad', inputs: [{ shape: [2, 2, 2] }, { shape: [2, 2], dtype: 'int32' }], attrs: { rows: 4 } },
        [dy, [3, 0, 3, 3]],
        dtype,
      );
      expect(shapes[0]).toEqual([4, 2]);
      expect([...outputs[0]]).toEqual([3, 4, 0, 0, 0, 0, 1 + 5 + 7, 2 + 6 + 8]);
    }
  });

  it('has the gradient of a scatter-add into the params rows', async () => {
    await checkGradients({ op: 'gather', inputs: [{ shape: [5, 3] }, { shape: [2, 3], dtype: 'int32', values: [4, 0, 2, 2, 4, 4] }] });
    await checkGradients({ op: 'gather', inputs: [{ shape: [4] }, { shape: [5], dtype: 'int32', values: [3, 1, 3, 9, -1] }] });
    await checkGradients({ op: 'gather', inputs: [{ shape: [3, 2, 2] }, { shape: [2], dtype: 'int32', values: [2, 0] }] });
    await checkGradients({
      op: 'gather_grad',
      inputs: [{ shape: [4, 2] }, { shape: [4], dtype: 'int32', values: [1, 1, 0, 7] }],
      attrs: { rows: 3 },
    });
  });

  it('names the node on bad dtypes and shapes', () => {
    const gather = (paramsShape: number[], paramsDtype: Dtype, indicesDtype: Dtype, message: string): void =>
      expectBuildError((g) => {
        g.param('table', paramsShape, { dtype: paramsDtype });
        g.input('ids', [4], indicesDtype);
        g.op('gather', 'embedding_1', ['table', 'ids']);
      }, `node 'embedding_1' (gather): ${message}`);
    gather([10, 8], 'float32', 'float32', 'needs int32 indices, got float32');
    gather([10, 8], 'int32', 'int32', 'needs float params, got int32');
    gather([], 'float32', 'int32', 'params must have rank 1 or more (rows first), got a scalar');
    const grad = (dyShape: number[], attrs: Record<string, unknown>, message: string): void =>
      expectBuildError((g) => {
        g.input('dy', dyShape);
        g.input('ids', [4, 2], 'int32');
        g.op('gather_grad', 'embedding_1/grad', ['dy', 'ids'], attrs);
      }, `node 'embedding_1/grad' (gather_grad): ${message}`);
    grad([4, 2, 8], {}, 'needs rows (the number of rows of params)');
    grad([4, 3, 8], { rows: 10 }, "dy [4, 3, 8] must start with the indices' shape [4, 2]");
  });
});
