/**
 * Smoothing of a scalar series, computed over every point (never over a downsampled series, whose
 * smoothing would depend on the sampling: tensorflow/tensorboard#6829).
 *
 * `emaSmooth` is TensorBoard's debiased exponential moving average, exactly as its frontend
 * computes it (webapp/widgets/line_chart_v2/data_transformer.ts, classicSmoothing):
 * - the weight is clamped to [0, 1], a non-finite weight is 0;
 * - a series whose values are all equal (`==`, so NaNs never are) is returned unchanged;
 * - non-finite values pass through and are not counted;
 * - otherwise last = last * w + (1 - w) * y, divided by 1 - w^n (n: finite values so far), or by
 *   1 when w = 1 (which makes every point 0, as TensorBoard draws it).
 *
 * `movingAverage` is a centred moving average over `window` points, shorter at the ends; like
 * the EMA, non-finite values pass through and are left out of their neighbours' means.
 */

export function emaSmooth(y: ArrayLike<number>, weight: number): Float64Array {
  const out = Float64Array.from(y);
  if (out.length === 0 || isConstant(y, 0, y.length, y[0])) return out;
  emaContinue(y, weight, 0, y.length, { last: 0, n: 0 }, out);
  return out;
}

/** The EMA's running value and the finite values counted so far. */
export interface EmaState {
  last: number;
  n: number;
}

/**
 * emaSmooth's loop over y[from, to), going on from `state` (which it advances): out[i - from] gets
 * point i's smoothed value, the same bits emaSmooth gives it, so a growing series can be smoothed
 * a piece at a time. (The constant-series rule is the caller's: see isConstant.)
 */
export function emaContinue(y: ArrayLike<number>, weight: number, from: number, to: number, state: EmaState, out: Float64Array): void {
  const w = Number.isFinite(weight) ? Math.max(0, Math.min(weight, 1)) : 0;
  for (let i = from; i < to; i++) {
    const v = y[i];
    out[i - from] = v;
    if (!Number.isFinite(v)) continue;
    state.last = state.last * w + (1 - w) * v;
    state.n++;
    out[i - from] = state.last / (w === 1 ? 1 : 1 - Math.pow(w, state.n));
  }
}

/** Whether y[from, to) all equal `first` (`==`, so a NaN never does): emaSmooth leaves such a series as it is. */
export function isConstant(y: ArrayLike<number>, from: number, to: number, first: number): boolean {
  for (let i = from; i < to; i++) if (!(y[i] == first)) return false;
  return true;
}

/** Centred moving average over `window` points (1 or less: a copy). */
export function movingAverage(y: ArrayLike<number>, window: number): Float64Array {
  const n = y.length;
  const out = Float64Array.from(y);
  const size = Math.floor(window);
  if (size <= 1 || n === 0) return out;
  // Prefix sums over the finite values, so each mean costs O(1).
  const sum = new Float64Array(n + 1);
  const count = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    const finite = Number.isFinite(v);
    sum[i + 1] = sum[i] + (finite ? v : 0);
    count[i + 1] = count[i] + (finite ? 1 : 0);
  }
  const before = Math.floor((size - 1) / 2);
  const after = size - 1 - before;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) continue;
    const lo = Math.max(0, i - before);
    const hi = Math.min(n, i + after + 1);
    out[i] = (sum[hi] - sum[lo]) / (count[hi] - count[lo]);
  }
  return out;
}
