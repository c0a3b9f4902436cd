/**
 * Min/max-preserving downsampling of a series for drawing: the points are cut into equal runs
 * (buckets) and each bucket keeps its lowest and highest point, in order, so spikes and dips
 * survive at any zoom; the first and the newest point are always kept. A non-finite value (a NaN
 * loss) is kept too, once per bucket, so that it is never hidden. Returns the kept indices;
 * fewer than the series' length means the chart must say it is downsampled.
 */

/** Indices of the points to draw from `y`: about `maxPoints` of them (all when the series is shorter). */
export function downsampleIndices(y: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = y.length;
  const budget = Math.max(2, Math.floor(maxPoints));
  if (n <= budget) return Uint32Array.from({ length: n }, (_, i) => i);
  const inner = n - 2;
  const buckets = Math.max(1, Math.floor((budget - 2) / 2));
  const out: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    let lo = -1, hi = -1, odd = -1;
    for (let i = from; i < to; i++) {
      const v = y[i];
      if (!Number.isFinite(v)) {
        if (odd < 0) odd = i;
      } else {
        if (lo < 0 || v < y[lo]) lo = i;
        if (hi < 0 || v > y[hi]) hi = i;
      }
    }
    const kept = [lo, hi, odd].filter((i) => i >= 0).sort((a, b2) => a - b2);
    for (let k = 0; k < kept.length; k++) if (k === 0 || kept[k] !== kept[k - 1]) out.push(kept[k]);
  }
  out.push(n - 1);
  return Uint32Array.from(out);
}

/** `values` at `indices`, as a plain array (what crosses the RPC boundary as JSON). */
export function pick(values: ArrayLike<number>, indices: ArrayLike<number>): number[] {
  const out = new Array<number>(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = values[indices[k]];
  return out;
}
