/**
 * The dataset every source produces (CSV, IDX, image folders, text folders, .npz, samples): one
 * array per model input (x) and per output (y), samples packed along the first axis, each with its
 * per-sample shape. Class labels are Int32Array class indices, with classNames when known;
 * regression targets and features are Float32Array; token sequences are Int32Array.
 * Inputs may stay on disk (MappedValues: a .npy folder's x arrays, an image folder's decode cache)
 * so that data larger than memory trains; labels and targets are always in memory.
 */
import { shuffledIndices } from './random.js';

export type DataValues = Float32Array | Int32Array;

/** Values in a file that the engine memory-maps: `length` little-endian elements from byte `offset`. */
export interface MappedValues {
  path: string;
  offset: number;
  length: number;
  dtype: 'float32' | 'int32';
}

export interface DataTensor {
  /** Shape of one sample (no batch axis): [28, 28], [180, 180, 3], [] for a scalar label. */
  shape: number[];
  /** count * product(shape) values, row-major, in memory or in a file. */
  data: DataValues | MappedValues;
}

/** A tensor held in memory: every label and target array, and inputs that sources build in memory. */
export interface InMemoryTensor extends DataTensor {
  data: DataValues;
}

export const isMapped = (data: ArrayBufferView | MappedValues): data is MappedValues => !ArrayBuffer.isView(data);

export interface Dataset {
  x: DataTensor[];
  y: InMemoryTensor[];
  count: number;
  /** Names of the classes, by class index, when y[0] holds class indices. */
  classNames?: string[];
  /** Names of the feature columns of x[0] (after one-hot expansion), for tables. */
  featureNames?: string[];
  /** What the loader did that the user should know: skipped files, dropped rows, fills. */
  notes: string[];
}

/** Train / validation / test parts of one dataset, as a source loads them. */
export interface DatasetSplits {
  train: Dataset;
  validation?: Dataset;
  test?: Dataset;
  /** For messages: "flowers/ (image folder, 3 classes: 120 training, 30 validation samples)". */
  description: string;
  /** Preprocessing fitted on the training split, to apply again at prediction time. */
  preprocessing?: Preprocessing;
}

export interface Preprocessing {
  /** Per-feature standardisation of x[0] (CSV): (x - mean) / std. */
  standardize?: { mean: number[]; std: number[] };
  /** The vectorizer's vocabulary (text): index 0 = '' (padding), 1 = '[UNK]'. */
  vocabulary?: string[];
  sequenceLength?: number;
}

/** A problem with the user's data, in their terms (which file, which line, what to change). */
export class DataError extends Error {}

export const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The samples at `indices`, in that order. Mapped inputs can only be taken as one ascending run (a split's range). */
export function takeSamples(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const take = <T extends DataTensor>(t: T): T => {
    const per = elementCount(t.shape);
    if (isMapped(t.data)) {
      const from = indices.length > 0 ? indices[0] : 0;
      for (let i = 1; i < indices.length; i++) if (indices[i] !== from + i) throw new Error('takeSamples: samples in a file can only be taken as one contiguous range');
      return { ...t, data: { ...t.data, offset: t.data.offset + from * per * 4, length: indices.length * per } };
    }
    const out = new (t.data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(indices.length * per);
    for (let i = 0; i < indices.length; i++) out.set(t.data.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
    return { ...t, data: out };
  };
  return { ...ds, x: ds.x.map(take), y: ds.y.map(take), count: indices.length, notes: [...ds.notes] };
}

/**
 * Keras's validation split for directories: the samples shuffled with RandomState(seed), then the
 * last int(validationSplit * count) held out. `shuffle` false keeps the order (the last samples).
 */
export function splitIndices(count: number, validationSplit: number, seed: number, shuffle = true): { train: Int32Array; validation?: Int32Array } {
  if (!(validationSplit >= 0 && validationSplit < 1)) throw new DataError(`a validation split must be at least 0 and below 1, got ${validationSplit}`);
  const order = shuffle ? shuffledIndices(count, seed) : Int32Array.from({ length: count }, (_, i) => i);
  const nVal = Math.floor(validationSplit * count);
  if (nVal === 0) {
    if (validationSplit > 0) throw new DataError(`a validation split of ${validationSplit} of ${count} samples holds out no samples: choose a larger split or give more data`);
    return { train: order };
  }
  if (nVal === count) throw new DataError(`a validation split of ${validationSplit} of ${count} samples leaves no training samples`);
  return { train: order.subarray(0, count - nVal), validation: order.subarray(count - nVal) };
}

/** Counts per class of an Int32Array of class indices. */
export function classCounts(labels: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) if (l >= 0 && l < classes) counts[l]++;
  return counts;
}

/**
 * Refuses data that cannot be trained on: no samples, or (for class labels) a single class.
 * `what` names it: "flowers/", "data.csv".
 */
export function checkTrainable(ds: Dataset, what: string): void {
  if (ds.count === 0) throw new DataError(`${what} has no samples${ds.notes.length ? ` (${ds.notes.join('; ')})` : ''}: give it some data`);
  const y = ds.y[0];
  if (!y || !(y.data instanceof Int32Array) || elementCount(y.shape) !== 1) return;
  const seen = new Set<number>();
  for (const v of y.data) {
    seen.add(v);
    if (seen.size > 1) return;
  }
  const only = [...seen][0];
  const name = ds.classNames?.[only] ?? String(only);
  throw new DataError(`${what} has only one class ("${name}", ${ds.count} samples): a classifier needs examples of at least two classes`);
}

/** Describes sizes for messages: "120 training, 30 validation and 50 test samples". */
export function describeSizes(s: Pick<DatasetSplits, 'train' | 'validation' | 'test'>): string {
  if (!s.validation && !s.test) return `${s.train.count} samples`;
  const parts = [`${s.train.count} training`];
  if (s.validation) parts.push(`${s.validation.count} validation`);
  if (s.test) parts.push(`${s.test.count} test`);
  return `${parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0]} samples`;
}
