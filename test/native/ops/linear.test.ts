import { describe, expect, it } from 'vitest';
import { addon, checkGradients, makeValues, runOp, type OpCase } from './harness.js';

function naiveMatmul(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const c = new Array(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

describe('matmul and bias_add', () => {
  it('matmul matches a naive product', async () => {
    const c: OpCase = { op: 'matmul', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }] };
    const v = makeValues(c, 5);
    const { outputs, shapes } = await runOp(c, v, 'float64');
    expect(shapes[0]).toEqual([3, 5]);
    naiveMatmul(v[0], v[1], 3, 4, 5).forEach((x, i) => expect(outputs[0][i]).toBeCloseTo(x, 12));
  });

  it('every transpose combination and batch broadcasting have correct gradients', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = ta ? [4, 3] : [3, 4];
      const b = tb ? [5, 4] : [4, 5];
      await checkGradients({ op: 'matmul', inputs: [{ shape: a }, { shape: b }], attrs: { transpose_a: ta, transpose_b: tb } });
    }
    await checkGradients({ op: 'matmul', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 2] }] });
    await checkGradients({ op: 'matmul', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }] });
  });

  it('bias_add adds per channel and sums the gradient over the batch', async () => {
    const { outputs } = await runOp({ op: 'bias_add', inputs: [{ shape: [2, 3] }, { shape: [3] }] }, [[1, 2, 3, 4, 5, 6], [10, 20, 30]], 'float64');
    expect([...outputs[0]]).toEqual([11, 22, 33, 14, 25, 36]);
    await checkGradients({ op: 'bias_add', inputs: [{ shape: [2, 2, 3] }, { shape: [3] }] });
  });

  it('names the node and the shapes when inner dimensions differ', () => {
    const g = new addon.Graph();
    g.input('a', [32, 784]);
    g.param('w', [100, 10]);
    expect(() => g.op('matmul', 'dense_1/matmul', ['a', 'w'])).toThrow("node 'dense_1/matmul' (matmul): inner dimensions differ: a is [32, 784], b is [100, 10]");
    // The failed node was not added: the graph is still usable.
    g.param('w2', [784, 10]);
    expect(g.op('matmul', 'dense_1/matmul', ['a', 'w2'])).toEqual(['dense_1/matmul']);
  });
});
