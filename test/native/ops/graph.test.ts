import { describe, expect, it } from 'vitest';
import { addon } from './harness.js';

describe('graph building and the executor', () => {
  it('lists its ops, and every listed op is one the op table defines', () => {
    const ops = addon.ops();
    for (const op of ['matmul', 'bias_add', 'relu', 'add', 'reduce_sum', 'reshape', 'unary_grad']) expect(ops).toContain(op);
    expect(ops).not.toContain('input');
  });

  it('names the node for an unknown op, a dangling input and a bad attribute', () => {
    const g = new addon.Graph();
    g.input('x', [2, 3]);
    expect(() => g.op('frobnicate', 'f', ['x'])).toThrow("node 'f': unknown op 'frobnicate'");
    expect(() => g.op('relu', 'r', ['nope'])).toThrow("node 'r' (relu): input 0 is 'nope', which is not defined before it (a dangling input or a cycle)");
    expect(() => g.op('reduce_sum', 's', ['x'], { axes: [5] })).toThrow("node 's' (reduce_sum): axis 5 is out of range for rank 2");
    expect(() => g.op('relu', 'x', ['x'])).toThrow("node 'x' (relu): the name is already used by another value");
    expect(() => g.op('add', 'a', ['x'])).toThrow("node 'a' (add): takes 2 inputs, got 1");
  });

  it('plans memory ahead: a long chain reuses a few buffers', () => {
    const g = new addon.Graph();
    let v = g.input('x', [1000]);
    for (let i = 0; i < 12; i++) v = g.op(i % 2 ? 'tanh' : 'neg', `n${i}`, [v])[0];
    const plan = g.plan([v]);
    expect(plan.steps).toBe(12);
    expect(plan.naiveBytes).toBe(12 * 4000 + 12 * 32); // 4000 bytes, aligned to 64 each
    expect(plan.arenaBytes).toBeLessThanOrEqual(2 * 4032);
  });

  it('runs the same plan repeatedly with fresh feeds, and rejects wrong feeds clearly', async () => {
    const g = new addon.Graph();
    const x = g.input('x', [2, 2]);
    const w = g.param('w', [2, 2]);
    const y = g.op('matmul', 'y', [x, w])[0];
    const a = await g.run({ x: Float32Array.of(1, 0, 0, 1), w: Float32Array.of(1, 2, 3, 4) }, [y]);
    expect([...a[y]]).toEqual([1, 2, 3, 4]);
    const b = await g.run({ x: Float32Array.of(2, 0, 0, 2), w: Float32Array.of(1, 2, 3, 4) }, [y]);
    expect([...b[y]]).toEqual([2, 4, 6, 8]);
    await expect(g.run({ x: Float32Array.of(1, 0, 0, 1) }, [y])).rejects.toThrow("no data bound for 'w'");
    expect(() => g.run({ x: Float64Array.of(1, 0, 0, 1), w: Float32Array.of(1, 2, 3, 4) }, [y])).toThrow("feed 'x' must be a Float32Array");
    expect(() => g.run({ x: Float32Array.of(1, 0, 0), w: Float32Array.of(1, 2, 3, 4) }, [y])).toThrow("feed 'x' has 3 elements but shape [2, 2] needs 4");
    expect(() => g.run({ y: Float32Array.of(1, 0, 0, 1) }, [y])).toThrow("feed 'y' is not an input or param of the graph");
  });

  it('differentiates through fan-out, and does no gradient work for frozen weights', async () => {
    const g = new addon.Graph();
    const x = g.input('x', [3], 'float64');
    const w = g.param('w', [3], { dtype: 'float64' });
    const frozen = g.param('frozen', [3], { dtype: 'float64', trainable: false });
    // y = sum(w*x + w*w + frozen*x): w fans out three times.
    const wx = g.op('mul', 'wx', [w, x])[0];
    const ww = g.op('mul', 'ww', [w, w])[0];
    const fx = g.op('mul', 'fx', [frozen, x])[0];
    const s = g.op('add', 's', [g.op('add', 's1', [wx, ww])[0], fx])[0];
    const loss = g.op('reduce_sum', 'loss', [s])[0];
    const before = g.nodes().length;
    const [dw] = g.gradients(loss, [w]);
    const added = g.nodes().slice(before).map((n) => n.name);
    // frozen*x leads to no trainable weight: no gradient node is built for it.
    expect(added.filter((n) => n.startsWith('fx/') || n.includes('frozen'))).toEqual([]);
    expect(added.some((n) => n.startsWith('ww/grad'))).toBe(true);
    const out = await g.run({ x: Float64Array.of(1, 2, 3), w: Float64Array.of(4, 5, 6), frozen: Float64Array.of(7, 8, 9) }, [dw]);
    expect([...out[dw]]).toEqual([1 + 8, 2 + 10, 3 + 12]);
  });
});
