import { describe, expect, it } from 'vitest';
import { checkGradients, runOp } from './harness.js';

describe('reductions, broadcast_to, sum_to, argmax', () => {
  const x = [[1, 5, 3, 4, 2, 6]]; // shape [2, 3]

  it('reduce_sum / reduce_mean / reduce_max over axes, with and without keepdims', async () => {
    const sum = await runOp({ op: 'reduce_sum', inputs: [{ shape: [2, 3] }], attrs: { axes: [1] } }, x, 'float64');
    expect([...sum.outputs[0]]).toEqual([9, 12]);
    const mean = await runOp({ op: 'reduce_mean', inputs: [{ shape: [2, 3] }], attrs: { axes: [0], keepdims: true } }, x, 'float64');
    expect(mean.shapes[0]).toEqual([1, 3]);
    expect([...mean.outputs[0]]).toEqual([2.5, 3.5, 4.5]);
    const max = await runOp({ op: 'reduce_max', inputs: [{ shape: [2, 3] }] }, x, 'float64');
    expect(max.shapes[0]).toEqual([]);
    expect([...max.outputs[0]]).toEqual([6]);
  });

  it('gradients of reductions match finite differences', async () => {
    await checkGradients({ op: 'reduce_sum', inputs: [{ shape: [2, 3, 2] }], attrs: { axes: [0, 2] } });
    await checkGradients({ op: 'reduce_mean', inputs: [{ shape: [2, 3, 2] }], attrs: { axes: [-1], keepdims: true } });
    await checkGradients({ op: 'reduce_mean', inputs: [{ shape: [3, 4] }] });
    await checkGradients({ op: 'reduce_max', inputs: [{ shape: [3, 4] }], attrs: { axes: [1] } });
    await checkGradients({ op: 'broadcast_to', inputs: [{ shape: [3, 1] }], attrs: { shape: [2, 3, 4] } });
    await checkGradients({ op: 'sum_to', inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [3, 1] } });
  });

  it('argmax along an axis gives int32 indices', async () => {
    const r = await runOp({ op: 'argmax', inputs: [{ shape: [2, 3] }], attrs: { axis: -1 } }, x, 'float32');
    expect(r.outputs[0]).toBeInstanceOf(Int32Array);
    expect([...r.outputs[0]]).toEqual([1, 2]);
  });
});
