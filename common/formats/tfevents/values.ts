/**
 * Summary values in the forms TensorFlow 2 writes them (the summary_v2.py of each TensorBoard plugin), so
 * that TensorBoard, and any tool that reads TF2 logs, shows Kiln's runs as it shows Keras's:
 * - scalar: a rank-0 float32 tensor, plugin "scalars" (float32: TensorBoard's fast loader
 *   rejects any other scalar dtype);
 * - histogram: a float64 tensor of shape [k, 3], rows (left edge, right edge, count), plugin
 *   "histograms", bucketed as summary_v2.histogram_pb does;
 * - text: a rank-0 string tensor, plugin "text" (markdown).
 */
import { encodeUtf8 } from '../protobuf.js';
import type { SummaryValue } from './summary.js';
import { DataType } from './tensor.js';

export const SCALARS_PLUGIN = 'scalars';
export const HISTOGRAMS_PLUGIN = 'histograms';
export const TEXT_PLUGIN = 'text';
export const DEFAULT_BUCKET_COUNT = 30;

export interface HistogramBucket {
  left: number;
  right: number;
  count: number;
}

export function scalarValue(tag: string, value: number): SummaryValue {
  return { tag, metadata: { pluginName: SCALARS_PLUGIN }, tensor: { dtype: DataType.FLOAT, shape: [], values: [value] } };
}

/**
 * Equal-width buckets between the data's min and max (all in the last bucket when they are
 * equal). Non-finite values are left out: a histogram has no bucket for them.
 */
export function histogramBuckets(data: ArrayLike<number>, bucketCount = DEFAULT_BUCKET_COUNT): HistogramBucket[] {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x)) continue;
    n++;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (n === 0 || bucketCount === 0) return Array.from({ length: bucketCount }, () => ({ left: 0, right: 0, count: 0 }));
  const counts = new Float64Array(bucketCount);
  const width = (max - min) / bucketCount;
  if (width === 0) counts[bucketCount - 1] = n;
  else {
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (Number.isFinite(x)) counts[Math.min(Math.floor((x - min) / width), bucketCount - 1)]++;
    }
  }
  return Array.from(counts, (count, i) => ({
    left: width === 0 ? min : min + i * width,
    right: width === 0 ? min : i === bucketCount - 1 ? max : min + (i + 1) * width,
    count,
  }));
}

/** A histogram of `data`, or of buckets already counted. */
export function histogramValue(tag: string, data: ArrayLike<number> | HistogramBucket[], bucketCount = DEFAULT_BUCKET_COUNT): SummaryValue {
  const buckets = isBuckets(data) ? data : histogramBuckets(data, bucketCount);
  return {
    tag,
    metadata: { pluginName: HISTOGRAMS_PLUGIN },
    tensor: { dtype: DataType.DOUBLE, shape: [buckets.length, 3], values: buckets.flatMap((b) => [b.left, b.right, b.count]) },
  };
}

function isBuckets(data: ArrayLike<number> | HistogramBucket[]): data is HistogramBucket[] {
  return data.length > 0 && typeof data[0] === 'object';
}

export function textValue(tag: string, text: string): SummaryValue {
  return { tag, metadata: { pluginName: TEXT_PLUGIN }, tensor: { dtype: DataType.STRING, shape: [], values: [], strings: [encodeUtf8(text)] } };
}
