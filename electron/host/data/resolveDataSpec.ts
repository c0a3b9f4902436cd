/**
 * The dataset spec, everywhere a dataset is named (the CLI's --data, a project's "data"):
 *   sample:NAME        a built-in sample (electron/host/datasets.ts)
 *   FILE.csv           a table; the target column is --target (default: the last)
 *   FILE.npz           Keras's layout: x_train, y_train, optionally x_test, y_test
 *   DIR with x_train.npy, y_train.npy (x_test.npy, y_test.npy): the same, as separate .npy files
 *   IDX files          a folder with train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz]
 *                      (and t10k-*), or one images file whose labels file sits beside it
 *   image folder       DIR/<class>/*.png|jpg (image_dataset_from_directory)
 *   text folder        DIR/<class>/*.txt (text_dataset_from_directory, IMDB layout)
 * A folder with train/ (and test/) class folders inside reads them as the training and test data.
 * The format comes from the extension or the folder's layout.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError, describeSizes, type DataTensor, type Dataset, type DatasetSplits, type InMemoryTensor, type MappedValues } from '../../../common/data/dataset.js';
import { loadCsv, type CsvOptions } from '../../../common/data/csvTable.js';
import { idxDataset, parseIdx } from '../../../common/data/idx.js';
import { parseNpy, type NpyArray } from '../../../common/formats/npy.js';
import { parseNpz } from '../../../common/formats/npz.js';
import { getDataset, listDatasets } from '../datasets.js';
import { IMAGE_EXTENSIONS, OTHER_IMAGE_EXTENSIONS } from './decodeImage.js';
import { npyFile, readNpyHeader, streamableDtype } from './npyFile.js';
import { classFolders, loadImageFolder, loadTextFolder } from './folders.js';

export interface DataOptions {
  /** CSV: the target column (default: the last). */
  target?: string;
  /** Image folders: [height, width] (default 256x256, as Keras). */
  imageSize?: [number, number];
  colorMode?: 'rgb' | 'grayscale';
  /** CSV, image and text folders: the fraction held out for validation after a seeded shuffle. */
  validationSplit?: number;
  seed?: number;
  /** Text folders: vocabulary size (with padding and [UNK]) and sequence length. */
  maxTokens?: number;
  sequenceLength?: number;
  /** CSV details. */
  missing?: CsvOptions['missing'];
  fillValue?: CsvOptions['fillValue'];
  categorical?: CsvOptions['categorical'];
  targetType?: CsvOptions['targetType'];
  standardize?: boolean;
}

export type DataFormat = 'sample' | 'csv' | 'npz' | 'npy' | 'idx' | 'image-folder' | 'text-folder';

/** A spec that is not one Kiln understands (a usage problem, not a file problem). */
export class DataSpecError extends Error {}

export function sampleNames(): string[] {
  return listDatasets().map((d) => `sample:${d.id}`);
}

const IDX_FILE = /-idx\d-ubyte(\.gz)?$/i;

function readBytes(path: string): Buffer {
  try {
    const bytes = readFileSync(path);
    if (path.toLowerCase().endsWith('.gz')) {
      try {
        return gunzipSync(bytes);
      } catch (err) {
        throw new DataError(`${path} is not a readable gzip file (${(err as Error).message})`);
      }
    }
    return bytes;
  } catch (err) {
    if (err instanceof DataError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new DataError(e.code === 'ENOENT' ? `the data file ${path} does not exist` : `cannot read the data file ${path}: ${e.message}`);
  }
}

/** What a folder's children look like, to tell an image folder from a text folder. */
function folderKind(dir: string): 'image-folder' | 'text-folder' | undefined {
  let images = 0;
  let texts = 0;
  const look = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (images + texts > 200) return;
      if (e.isDirectory() && depth < 2) look(join(d, e.name), depth + 1);
      const ext = extname(e.name).toLowerCase();
      if (IMAGE_EXTENSIONS.includes(ext) || OTHER_IMAGE_EXTENSIONS.includes(ext)) images++;
      else if (ext === '.txt') texts++;
    }
  };
  for (const c of classFolders(dir)) look(join(dir, c), 0);
  if (images === 0 && texts === 0) return undefined;
  return images >= texts ? 'image-folder' : 'text-folder';
}

/** Recognises a path's format from its extension or folder layout; undefined when it is none Kiln reads. */
export function detectFormat(path: string): DataFormat | undefined {
  if (path.startsWith('sample:')) return 'sample';
  if (!existsSync(path)) return undefined;
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    if (names.includes('x_train.npy') && names.includes('y_train.npy')) return 'npy';
    if (names.some((n) => IDX_FILE.test(n) && /images/i.test(n))) return 'idx';
    const inner = names.includes('train') && statSync(join(path, 'train')).isDirectory() ? join(path, 'train') : path;
    return folderKind(inner);
  }
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  if (lower.endsWith('.npz')) return 'npz';
  if (IDX_FILE.test(lower)) return 'idx';
  return undefined;
}

type MappedArray = MappedValues & { shape: number[] };

const toTensor = (a: NpyArray): InMemoryTensor => ({
  shape: a.shape.slice(1),
  data: a.data instanceof Float64Array ? Float32Array.from(a.data) : a.data,
});

const mappedTensor = ({ shape, path, offset, length, dtype }: MappedArray): DataTensor => ({ shape: shape.slice(1), data: { path, offset, length, dtype } });

/** Keras's array layout; `mapped` holds x arrays that stay in their files (a .npy folder's). */
function arraysDataset(arrays: Map<string, NpyArray>, path: string, io: { inputs: string[]; outputs: string[] }, hint: string, mapped = new Map<string, MappedArray>()): DatasetSplits {
  const keys = [...arrays.keys(), ...mapped.keys()];
  const pick = <T extends { shape: number[] }>(from: Map<string, T>, prefix: string, names: string[], required: boolean): T[] | undefined => {
    const found = names.length <= 1 && from.has(prefix) ? [from.get(prefix)!] : names.map((n) => from.get(`${prefix}_${n}`));
    if (found.length > 0 && found.every((a) => a !== undefined)) return found as T[];
    if (!required && found.every((a) => a === undefined)) return undefined;
    const wanted = names.length <= 1 ? `"${prefix}"` : names.map((n) => `"${prefix}_${n}"`).join(', ');
    throw new DataError(`${path} has no ${wanted} array${names.length <= 1 ? '' : 's'} (it has ${keys.map((k) => `"${k}"`).join(', ') || 'none'}): ${hint}`);
  };
  const xs = new Map<string, NpyArray | MappedArray>([...arrays, ...mapped]);
  const part = (x: (NpyArray | MappedArray)[], y: NpyArray[], what: string): Dataset => {
    const count = x[0].shape[0] ?? 1;
    for (const a of [...x, ...y]) {
      if ((a.shape[0] ?? 1) !== count) throw new DataError(`${path}: the ${what} arrays have different numbers of samples (${count} and ${a.shape[0] ?? 1})`);
    }
    return { x: x.map((a) => ('path' in a ? mappedTensor(a) : toTensor(a))), y: y.map(toTensor), count, notes: [] };
  };
  const xTrain = pick(xs, 'x_train', io.inputs, true)!;
  const yTrain = pick(arrays, 'y_train', io.outputs, true)!;
  const xTest = pick(xs, 'x_test', io.inputs, false);
  const yTest = pick(arrays, 'y_test', io.outputs, false);
  if ((xTest === undefined) !== (yTest === undefined)) throw new DataError(`${path} has ${xTest ? 'x_test but no y_test' : 'y_test but no x_test'}: give both or neither`);
  const train = part(xTrain, yTrain, 'training');
  const test = xTest && yTest ? part(xTest, yTest, 'test') : undefined;
  return { train, ...(test ? { test } : {}), description: '' };
}

/**
 * A folder of .npy files. x arrays of float32 or int32 stay in their files (the engine maps them),
 * so inputs larger than memory train; other dtypes (uint8 pixels, float64) and the labels and
 * targets are read into memory.
 */
function loadNpyFolder(path: string, io: { inputs: string[]; outputs: string[] }): DatasetSplits {
  const arrays = new Map<string, NpyArray>();
  const mapped = new Map<string, MappedArray>();
  const notes: string[] = [];
  for (const n of readdirSync(path)) {
    if (!n.endsWith('.npy')) continue;
    const file = join(path, n);
    const header = n.startsWith('x_') ? readNpyHeader(file) : undefined;
    if (header && streamableDtype(header)) {
      mapped.set(n.slice(0, -4), npyFile(file, header));
      continue;
    }
    if (header) notes.push(`${n} holds ${header.dtype} values, so Kiln reads it into memory: save it with arr.astype('float32') to stream it from disk instead`);
    arrays.set(n.slice(0, -4), parseNpy(readBytes(file), file));
  }
  const splits = arraysDataset(arrays, path, io, 'save x_train.npy, y_train.npy (and x_test.npy, y_test.npy) with np.save', mapped);
  splits.train.notes.push(...notes);
  return splits;
}

function loadIdx(path: string): DatasetSplits {
  let dir = path;
  let trainImages: string | undefined;
  let testImages: string | undefined;
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path).filter((n) => IDX_FILE.test(n) && /images/i.test(n)).sort();
    trainImages = names.find((n) => /^train/i.test(n)) ?? names.find((n) => !/^(t10k|test)/i.test(n));
    testImages = names.find((n) => /^(t10k|test)/i.test(n));
    if (!trainImages) throw new DataError(`${path} has IDX test images but no training images (train-images-idx3-ubyte)`);
  } else {
    dir = dirname(path);
    trainImages = basename(path);
    if (!/images/i.test(trainImages)) throw new DataError(`${path} looks like a labels file: give the images file (…-images-idx3-ubyte), Kiln finds its labels beside it`);
  }
  const pair = (images: string): Dataset => {
    const stem = images.replace(/\.gz$/i, '').replace(/images/i, 'labels').replace(/idx\d/i, 'idx1');
    const labels = [stem, `${stem}.gz`].find((n) => existsSync(join(dir, n)));
    if (!labels) throw new DataError(`no labels file for ${join(dir, images)}: expected ${join(dir, stem)} (or .gz) beside it`);
    const ip = join(dir, images);
    const lp = join(dir, labels);
    return idxDataset(parseIdx(readBytes(ip), ip), parseIdx(readBytes(lp), lp), { images: ip, labels: lp });
  };
  const train = pair(trainImages);
  const test = testImages ? pair(testImages) : undefined;
  return { train, ...(test ? { test } : {}), description: '' };
}

/** Reads a class-folder layout, with train/ and test/ subfolders when it has them. */
function loadFolders(path: string, kind: 'image-folder' | 'text-folder', options: DataOptions): DatasetSplits {
  const hasTrain = existsSync(join(path, 'train')) && statSync(join(path, 'train')).isDirectory();
  const trainDir = hasTrain ? join(path, 'train') : path;
  const testDir = hasTrain && existsSync(join(path, 'test')) ? join(path, 'test') : undefined;
  const name = basename(path) + (hasTrain ? '/train' : '');
  if (kind === 'text-folder') {
    return loadTextFolder(trainDir, {
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(options.sequenceLength !== undefined ? { sequenceLength: options.sequenceLength } : {}),
      ...(options.validationSplit !== undefined ? { validationSplit: options.validationSplit } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    }, name, testDir);
  }
  const imageOptions = {
    ...(options.imageSize ? { imageSize: options.imageSize } : {}),
    ...(options.colorMode ? { colorMode: options.colorMode } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const splits = loadImageFolder(trainDir, { ...imageOptions, ...(options.validationSplit !== undefined ? { validationSplit: options.validationSplit } : {}) }, name);
  if (testDir) {
    const test = loadImageFolder(testDir, imageOptions, `${basename(path)}/test`).train;
    const classNames = splits.train.classNames!;
    const map = test.classNames!.map((c) => classNames.indexOf(c));
    const extra = test.classNames!.filter((_, k) => map[k] < 0);
    if (extra.length) throw new DataError(`${testDir} has classes the training folder does not (${extra.join(', ')}): give both the same class folders`);
    const y = test.y[0].data as Int32Array;
    for (let i = 0; i < y.length; i++) y[i] = map[y[i]];
    test.classNames = classNames;
    splits.test = test;
  }
  return splits;
}

/** A built-in sample through electron/host/datasets.ts. */
function loadSampleSplits(name: string): DatasetSplits {
  const data = getDataset(name);
  if (!data) throw new DataSpecError(`unknown sample dataset "${name}": available: ${sampleNames().join(', ')}`);
  const info = data.info as typeof data.info & { shape?: number[] };
  const extra = data as typeof data & { yShape?: number[]; test?: { x: Float32Array; y: Int32Array | Float32Array } };
  const xShape = info.shape ?? [info.features];
  const yShape = extra.yShape ?? [];
  const part = (x: Float32Array, y: Int32Array | Float32Array, count: number): Dataset => ({
    x: [{ shape: xShape, data: x }],
    y: [{ shape: yShape, data: y }],
    count,
    ...(info.classNames && info.classNames.length > 0 ? { classNames: info.classNames } : {}),
    notes: [],
  });
  const train = part(data.x, data.y, info.rows);
  const per = yShape.reduce((a, b) => a * b, 1);
  const test = extra.test ? part(extra.test.x, extra.test.y, extra.test.y.length / per) : undefined;
  return { train, ...(test ? { test } : {}), description: '' };
}

/**
 * Loads a dataset spec. `io` names the model's inputs and outputs (for .npz files with several);
 * relative paths start at `baseDir`. Throws DataSpecError for a spec Kiln does not understand and
 * DataError for a problem with the data itself.
 */
export function resolveDataSpec(spec: string, options: DataOptions = {}, io: { inputs: string[]; outputs: string[] } = { inputs: [], outputs: [] }, baseDir = process.cwd()): DatasetSplits {
  let splits: DatasetSplits;
  if (spec.startsWith('sample:')) {
    splits = loadSampleSplits(spec.slice('sample:'.length));
  } else {
    const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
    const lower = spec.toLowerCase();
    const known = lower.endsWith('.csv') || lower.endsWith('.tsv') || lower.endsWith('.npz') || IDX_FILE.test(lower);
    if (!existsSync(path)) {
      if (known) throw new DataError(`the data file ${path} does not exist`);
      throw new DataSpecError(`cannot read data "${spec}": ${path} does not exist. Give a .csv or .npz file, IDX files, a folder of class folders (images or .txt), or a sample dataset: ${sampleNames().join(', ')}`);
    }
    const format = detectFormat(path);
    switch (format) {
      case 'csv': {
        const text = readBytes(path).toString('utf8');
        const csvText = lower.endsWith('.tsv') ? text.replace(/\t/g, ',') : text;
        const { target, validationSplit, seed, missing, fillValue, categorical, targetType, standardize } = options;
        const o: CsvOptions = { target, validationSplit, seed, missing, fillValue, categorical, targetType, standardize };
        for (const k of Object.keys(o) as (keyof CsvOptions)[]) if (o[k] === undefined) delete o[k];
        splits = loadCsv(csvText, o, spec);
        break;
      }
      case 'npz':
        splits = arraysDataset(parseNpz(readBytes(path), path), path, io, 'save it with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)');
        break;
      case 'npy':
        splits = loadNpyFolder(path, io);
        break;
      case 'idx':
        splits = loadIdx(path);
        break;
      case 'image-folder':
      case 'text-folder':
        splits = loadFolders(path, format, options);
        break;
      default:
        throw new DataSpecError(`cannot read data "${spec}": Kiln reads .csv and .npz files, IDX files (…-images-idx3-ubyte[.gz]), folders of class folders holding PNG/JPEG images or .txt files, and sample datasets: ${sampleNames().join(', ')}`);
    }
  }
  if (!splits.description) splits.description = `${spec} (${describeSizes(splits)})`;
  else splits.description = `${splits.description}: ${describeSizes(splits)}`;
  return splits;
}
