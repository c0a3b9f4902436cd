// Smoothing of scalar series (common/metrics/smoothing.ts): the debiased EMA against vectors
// computed with TensorBoard's own formula (webapp/widgets/line_chart_v2/data_transformer.ts,
// classicSmoothing, ported line by line to Python), including its handling of non-finite values,
// constant series and out-of-range weights; and the centred moving average.
import { describe, expect, it } from 'vitest';
import { emaSmooth, movingAverage } from '../../../common/metrics/smoothing.js';

const close = (actual: Float64Array, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) expect(actual[i]).toBeNaN();
    else if (!Number.isFinite(e)) expect(actual[i]).toBe(e);
    else expect(actual[i]).toBeCloseTo(e, 12);
  });
};

describe('emaSmooth (TensorBoard\'s debiased EMA)', () => {
  it('matches TensorBoard on known vectors', () => {
    close(emaSmooth([1, 2, 3, 10], 0.6), [1.0, 1.625, 2.3265306122448983, 5.852941176470588]);
    close(emaSmooth([3, 1, 4, 1, 5, 9, 2, 6], 0.99), [3.0, 1.994974874371858, 2.6700447796370534, 2.2462184667085734, 2.8081006003717572, 3.8661859058277632, 3.5914828127328318, 3.9032435609988547]);
  });

  it('passes non-finite values through without counting them', () => {
    close(emaSmooth([5, NaN, 3, Infinity, 1, -2], 0.9), [5.0, NaN, 3.9473684210526314, Infinity, 2.859778597785978, 1.4466414655423083]);
  });

  it('returns a constant series unchanged (TensorBoard #786), but smooths an all-NaN one point by point', () => {
    close(emaSmooth([7, 7, 7], 0.9), [7, 7, 7]);
    close(emaSmooth([Infinity, Infinity], 0.5), [Infinity, Infinity]);
    close(emaSmooth([NaN, NaN], 0.5), [NaN, NaN]);
    expect(emaSmooth([], 0.6)).toEqual(new Float64Array(0));
  });

  it('clamps the weight to [0, 1]; a non-finite weight is 0; weight 1 gives zeros, as TensorBoard draws', () => {
    close(emaSmooth([0.5, 0.25, 0.125, 2], 0), [0.5, 0.25, 0.125, 2]);
    close(emaSmooth([0.5, 0.25, 0.125, 2], -3), [0.5, 0.25, 0.125, 2]);
    close(emaSmooth([0.5, 0.25, 0.125, 2], NaN), [0.5, 0.25, 0.125, 2]);
    close(emaSmooth([2, 4], 1), [0, 0]);
    close(emaSmooth([2, 4], 1.7), [0, 0]);
  });
});

describe('movingAverage (centred)', () => {
  it('averages a centred window, shorter at the ends', () => {
    close(movingAverage([1, 2, 3, 4, 5], 3), [1.5, 2, 3, 4, 4.5]);
    // An even window reaches one point further ahead than behind.
    close(movingAverage([1, 2, 3, 4], 2), [1.5, 2.5, 3.5, 4]);
    close(movingAverage([1, 2, 3], 1), [1, 2, 3]);
  });

  it('leaves non-finite values where they are and out of their neighbours\' means', () => {
    close(movingAverage([1, NaN, 3, 5], 3), [1, NaN, 4, 4]);
  });
});
