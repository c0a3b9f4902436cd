/**
 * Dataset specs, as `--data` and a project's `data` field give them (electron/host/data/
 * resolveDataSpec.ts reads them all):
 *   sample:NAME   a built-in sample dataset (sample:iris)
 *   PATH.npz      Keras's layout: x_train, y_train and optionally x_test, y_test (np.savez). A model
 *                 with several inputs (outputs) reads x_train_<input name> (y_train_<output name>).
 *   PATH.csv, IDX files, image folders, text folders, a folder of x_train.npy/y_train.npy
 * with the options --target COLUMN, --image-size HxW, --color-mode rgb|grayscale,
 * --validation-split F, --max-tokens N, --sequence-length N.
 */
import type { DatasetSplits, Dataset, Preprocessing } from '../../../common/data/dataset.js';
import { DataError } from '../../../common/data/dataset.js';
import { DataSpecError, resolveDataSpec, sampleNames, type DataOptions } from '../data/resolveDataSpec.js';
import type { TrainingData } from './runTraining.js';

export { DataSpecError, sampleNames, type DataOptions };

export interface DataSplits {
  train: TrainingData;
  /** Held out by the source itself (CSV, image and text folders with a validation split). */
  validation?: TrainingData;
  /** *_test arrays when the data has them. */
  test?: TrainingData;
  /** What was loaded, for messages: "sample:iris (150 samples)". */
  description: string;
  /** What the loader did that the user should know (skipped images, dropped rows). */
  notes: string[];
  classNames?: string[];
  featureNames?: string[];
  preprocessing?: Preprocessing;
  /** The datasets themselves (per-sample shapes, labels), for checks such as checkDataFitsModel. */
  datasets: DatasetSplits;
}

/** The engine's layout: each array with its full shape (samples first). */
export function toTrainingData(ds: Dataset): TrainingData {
  const full = (t: Dataset['x'][number]) => ({ shape: [ds.count, ...t.shape], data: t.data });
  return { x: ds.x.map(full), y: ds.y.map(full) };
}

/** Loads a dataset spec for a model with these input and output layer names; relative paths start at `baseDir`. */
export function loadDataSpec(spec: string, io: { inputs: string[]; outputs: string[] }, baseDir = process.cwd(), options: DataOptions = {}): DataSplits {
  const s = resolveDataSpec(spec, options, io, baseDir);
  return {
    train: toTrainingData(s.train),
    ...(s.validation ? { validation: toTrainingData(s.validation) } : {}),
    ...(s.test ? { test: toTrainingData(s.test) } : {}),
    description: s.description,
    notes: s.train.notes,
    ...(s.train.classNames ? { classNames: s.train.classNames } : {}),
    ...(s.train.featureNames ? { featureNames: s.train.featureNames } : {}),
    ...(s.preprocessing ? { preprocessing: s.preprocessing } : {}),
    datasets: s,
  };
}

/** parseArgs options of the data flags, for commands that take --data. */
export const DATA_FLAGS = {
  target: { type: 'string' },
  'image-size': { type: 'string' },
  'color-mode': { type: 'string' },
  'validation-split': { type: 'string' },
  'max-tokens': { type: 'string' },
  'sequence-length': { type: 'string' },
} as const;

export const DATA_FLAGS_USAGE = `  --target COLUMN    CSV: the column to predict (default: the last)
  --image-size HxW   image folders: resize to H x W pixels (default 256x256)
  --color-mode MODE  image folders: rgb (default) or grayscale
  --validation-split F  fraction of the data held out for validation (CSV, image and text
                     folders: after a shuffle with --seed, as Keras's image_dataset_from_directory)
  --max-tokens N     text folders: vocabulary size, padding and [UNK] included
  --sequence-length N  text folders: tokens per text (padded or truncated)`;

/** DataOptions from the data flags; throws DataSpecError (a usage problem) for a malformed value. */
export function dataOptionsFromFlags(values: Record<string, string | boolean | undefined>, seed?: number): DataOptions {
  const options: DataOptions = {};
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (str('target') !== undefined) options.target = str('target');
  const size = str('image-size');
  if (size !== undefined) {
    const m = /^(\d+)\s*[xX×,]\s*(\d+)$/.exec(size.trim()) ?? /^(\d+)$/.exec(size.trim());
    const h = m ? Number(m[1]) : NaN;
    const w = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(h > 0 && w > 0)) throw new DataSpecError(`--image-size must be HxW in pixels, such as 180x180, got "${size}"`);
    options.imageSize = [h, w];
  }
  const mode = str('color-mode');
  if (mode !== undefined) {
    if (mode !== 'rgb' && mode !== 'grayscale') throw new DataSpecError(`--color-mode must be rgb or grayscale, got "${mode}"`);
    options.colorMode = mode;
  }
  const split = str('validation-split');
  if (split !== undefined) {
    const f = Number(split);
    if (!(f >= 0 && f < 1) || split.trim() === '') throw new DataSpecError(`--validation-split must be a fraction from 0 up to (not including) 1, such as 0.2, got "${split}"`);
    options.validationSplit = f;
  }
  for (const [flag, key] of [['max-tokens', 'maxTokens'], ['sequence-length', 'sequenceLength']] as const) {
    const v = str(flag);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new DataSpecError(`--${flag} must be a whole number of at least 1, got "${v}"`);
    options[key] = n;
  }
  if (seed !== undefined) options.seed = seed;
  return options;
}

/** True for errors that are about the user's data (shown without a stack). */
export function isDataError(err: unknown): err is Error {
  return err instanceof DataError || err instanceof DataSpecError;
}
