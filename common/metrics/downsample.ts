/**
 * Min/max-preserving downsampling of a series for drawing: the points are cut into buckets of
 * `size` consecutive points (bucket k holds indices k*size to (k+1)*size - 1) and each bucket
 * keeps its lowest and highest point, in order, so spikes and dips survive at any zoom; the first
 * and the newest point are always kept. A non-finite value (a NaN loss) is kept too, once per
 * bucket, so that it is never hidden. Fewer kept points than the series' length means the chart
 * must say it is downsampled.
 *
 * Bucket sizes come from a ladder (1 to 7, then 4, 5, 6 or 7 times a power of two) rather than
 * from n / budget: as a live series grows, its size stays the same for a while, so every bucket
 * but the newest keeps the same points, and a client can be sent only the newest bucket and what
 * follows it (scalarSeries.ts). The ladder keeps at least 4/5 of the budget's resolution.
 */

/** The bucket size for `n` points drawn with at most about `maxPoints` (1: every point is kept). */
export function bucketSize(n: number, maxPoints: number): number {
  const budget = Math.max(2, Math.floor(maxPoints));
  if (n <= budget) return 1;
  // Each bucket keeps up to two points, plus the first and the newest.
  const needed = Math.ceil(n / Math.max(1, Math.floor((budget - 2) / 2)));
  let unit = 1;
  while (unit * 8 <= needed) unit *= 2;
  return Math.ceil(needed / unit) * unit;
}

/**
 * Indices kept from the buckets of `size` that start at `from` (a multiple of `size`) in a series
 * of `n` points; `y[i - from]` is point i's value. Ascending, absolute indices.
 */
export function keptIndices(y: ArrayLike<number>, size: number, from: number, n: number): number[] {
  const out: number[] = [];
  if (size <= 1) {
    for (let i = from; i < n; i++) out.push(i);
    return out;
  }
  for (let start = from; start < n; start += size) {
    const end = Math.min(n, start + size);
    let lo = -1, hi = -1, odd = -1;
    for (let i = start; i < end; i++) {
      const v = y[i - from];
      if (!Number.isFinite(v)) {
        if (odd < 0) odd = i;
      } else {
        if (lo < 0 || v < y[lo - from]) lo = i;
        if (hi < 0 || v > y[hi - from]) hi = i;
      }
    }
    const kept = [lo, hi, odd];
    if (start === 0) kept.push(0);
    if (end === n) kept.push(n - 1);
    kept.sort((a, b) => a - b);
    for (let k = 0; k < kept.length; k++) if (kept[k] >= 0 && kept[k] !== kept[k - 1]) out.push(kept[k]);
  }
  return out;
}

/** Indices of the points to draw from `y`: at most about `maxPoints` of them (all when the series is shorter). */
export function downsampleIndices(y: ArrayLike<number>, maxPoints: number): Uint32Array {
  return Uint32Array.from(keptIndices(y, bucketSize(y.length, maxPoints), 0, y.length));
}

/** `values` at `indices` (minus `offset`), as a plain array (what crosses the RPC boundary as JSON). */
export function pick(values: ArrayLike<number>, indices: ArrayLike<number>, offset = 0): number[] {
  const out = new Array<number>(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = values[indices[k] - offset];
  return out;
}
