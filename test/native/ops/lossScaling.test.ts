// The ops of mixed_float16's dynamic loss scaling, on the reference backend: any_non_finite (the
// flag that a step's gradients overflowed) and the optimizer updates' optional skip input, which
// leaves the weight and its slots untouched when it is nonzero.
import { describe, expect, it } from 'vitest';
import { addon, type Dtype } from './harness.js';
import { UPDATE_CASES, updateGraph } from './updateCases.js';

type Floats = Float32Array | Float64Array;

function floats(dtype: Dtype, values: number[]): Floats {
  return dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}

/** any_non_finite over tensors of the given values. */
async function flag(tensors: number[][], dtype: Dtype = 'float32'): Promise<Floats> {
  const g = new addon.Graph();
  const names = tensors.map((t, i) => g.input(`x${i}`, [t.length], dtype));
  const [y] = g.op('any_non_finite', 'flag', names);
  expect(g.shape(y)).toEqual([]);
  expect(g.dtype(y)).toBe(dtype);
  const feeds = Object.fromEntries(names.map((n, i) => [n, floats(dtype, tensors[i])]));
  return (await g.run(feeds, [y]))[y] as Floats;
}

describe('any_non_finite', () => {
  it('is 0 when every element of every input is finite, large or tiny ones included', async () => {
    expect([...(await flag([[1, -2, 3], [3.4e38, -3.4e38, 1e-45], [0]]))]).toEqual([0]);
    expect([...(await flag([[1.7e308, -5e-324]], 'float64'))]).toEqual([0]);
  });

  it('is 1 when any element of any input is NaN, Inf or -Inf', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      expect([...(await flag([[1, 2], [3, 4, bad], [5]]))], String(bad)).toEqual([1]);
      expect([...(await flag([[bad]], 'float64'))], `${bad} float64`).toEqual([1]);
    }
    expect([...(await flag([[NaN, Infinity], [-Infinity]]))]).toEqual([1]);
  });

  it('takes float tensors of one dtype, of any shapes', () => {
    const g = new addon.Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', []);
    expect(g.shape(g.op('any_non_finite', 'ok', [a, b])[0])).toEqual([]);
    expect(() => g.op('any_non_finite', 'labels', [g.input('i', [2], 'int32')])).toThrow("node 'labels' (any_non_finite): needs float inputs, got int32");
    expect(() => g.op('any_non_finite', 'mixed', [a, g.input('d', [2], 'float64')])).toThrow('inputs have different dtypes: float32 and float64');
    expect(() => g.op('any_non_finite', 'none', [])).toThrow("node 'none' (any_non_finite): takes at least 1 inputs, got 0");
  });
});

describe('the optimizer updates skip when their skip input is nonzero', () => {
  it.each(UPDATE_CASES)('$name', async (c) => {
    const run = async (skip: number | undefined) => {
      const { g, feeds, state } = updateGraph(c, [5, 3], skip, rand());
      const after = await g.run(feeds, state);
      return { before: state.map((s) => [...feeds[s]]), after: state.map((s) => [...after[s]]) };
    };
    const skipped = await run(1);
    expect(skipped.after, 'skip 1: var and slots as they were').toEqual(skipped.before);
    const [plain, zero] = [await run(undefined), await run(0)];
    expect(zero.after, 'skip 0: as without a skip input').toEqual(plain.after);
    expect(plain.after[0], 'the update changes var').not.toEqual(plain.before[0]);
  });

  it('checks that skip is a scalar', () => {
    const g = new addon.Graph();
    const [v, grad, lr] = [g.input('v', [4]), g.input('g', [4]), g.input('lr', [])];
    expect(() => g.op('apply_sgd', 'u', [v, grad, lr, g.input('skip', [2])])).toThrow("node 'u' (apply_sgd): skip must be a scalar, got [2]");
    expect(() => g.op('apply_sgd', 'w', [v, grad, lr, g.input('s', []), g.input('t', [])])).toThrow('without momentum takes (var, grad, lr) and an optional skip');
  });
});

/** A fixed stream, so each run of a case sees the same values. */
function rand(): () => number {
  let s = 12345;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
