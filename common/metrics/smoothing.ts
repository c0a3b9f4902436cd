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
  if (out.length === 0) return out;
  const w = Number.isFinite(weight) ? Math.max(0, Math.min(weight, 1)) : 0;
  const first = out[0];
  let constant = true;
  for (let i = 0; i < out.length && constant; i++) constant = out[i] == first;  // false from the start for a NaN
  if (constant) return out;
  let last = 0;
  let n = 0;
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (!Number.isFinite(v)) continue;
    last = last * w + (1 - w) * v;
    n++;
    out[i] = last / (w === 1 ? 1 : 1 - Math.pow(w, n));
  }
  return out;
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
