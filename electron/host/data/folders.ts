/**
 * Class folders, the layout of Keras's image_dataset_from_directory and
 * text_dataset_from_directory: DIR/<class>/.../<file>, class names the sorted subfolder names,
 * files listed as Keras lists them (folders walked in sorted path order, files sorted), then
 * shuffled with NumPy's RandomState(seed) and the last int(validation_split * N) held out, so
 * that a seed gives the same split of files as in Keras.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { checkTrainable, DataError, splitIndices, takeSamples, type Dataset, type DatasetSplits } from '../../../common/data/dataset.js';
import { TextVectorizer } from '../../../common/data/text.js';
import { IMAGE_EXTENSIONS, OTHER_IMAGE_EXTENSIONS } from './decodeImage.js';
import { cachedImages } from './imageCache.js';

export interface ImageFolderOptions {
  /** [height, width]; Keras's default (256, 256). */
  imageSize?: [number, number];
  colorMode?: 'rgb' | 'grayscale';
  validationSplit?: number;
  /** Keras's shuffle seed; default 1337 when splitting. */
  seed?: number;
}

export interface TextFolderOptions {
  maxTokens?: number;
  sequenceLength?: number;
  validationSplit?: number;
  seed?: number;
}

const hidden = (name: string) => name.startsWith('.');

/** The class subfolders of `dir`, sorted ('.'-names left out). */
export function classFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !hidden(e.name) && (e.isDirectory() || (e.isSymbolicLink() && statSync(join(dir, e.name)).isDirectory())))
    .map((e) => e.name)
    .sort();
}

/** Every file under `dir` (recursively), in Keras's order: folders by sorted path, files sorted. */
function walkFiles(dir: string): string[] {
  const folders: string[] = [];
  const visit = (d: string) => {
    folders.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) visit(join(d, e.name));
  };
  visit(dir);
  folders.sort();
  const out: string[] = [];
  for (const d of folders) {
    const files = readdirSync(d, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
    for (const f of files) out.push(join(d, f));
  }
  return out;
}

export interface IndexedFiles {
  files: string[];
  labels: Int32Array;
  classNames: string[];
  /** Files with a format Keras reads but Kiln does not, and other files left out. */
  ignored: string[];
}

/** Keras's index_directory (labels inferred), before shuffling. */
export function indexClassFolders(dir: string, extensions: string[], also: string[] = []): IndexedFiles {
  const classNames = classFolders(dir);
  const files: string[] = [];
  const labels: number[] = [];
  const ignored: string[] = [];
  classNames.forEach((name, k) => {
    for (const f of walkFiles(join(dir, name))) {
      const ext = extname(f).toLowerCase();
      if (extensions.includes(ext)) {
        files.push(f);
        labels.push(k);
      } else if (also.includes(ext)) {
        ignored.push(relative(dir, f));
      }
    }
  });
  return { files, labels: Int32Array.from(labels), classNames, ignored };
}

function listSome(names: string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** Shuffle + split of an index, as Keras does before reading any file. */
function splitIndex(ix: IndexedFiles, validationSplit: number, seed: number): { train: number[]; validation?: number[] } {
  // Keras shuffles the file list (with the seed) whether or not it splits; without a split the
  // order does not matter for training (the pipeline shuffles every epoch), so the files keep it.
  if (!validationSplit) return { train: Array.from(ix.files.keys()) };
  const s = splitIndices(ix.files.length, validationSplit, seed);
  return { train: Array.from(s.train), ...(s.validation ? { validation: Array.from(s.validation) } : {}) };
}

/**
 * Reads an image folder: images float32 0..255 of shape [h, w, channels], decoded by the worker
 * pool into the folder's decode cache (imageCache.ts), which the engine maps; labels int32 class
 * indices, in memory.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}, name = basename(dir)): DatasetSplits {
  const [height, width] = options.imageSize ?? [256, 256];
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) throw new DataError(`an image size must be two whole numbers above 0, got ${height}x${width}`);
  const channels = options.colorMode === 'grayscale' ? 1 : 3;
  const ix = indexClassFolders(dir, IMAGE_EXTENSIONS, OTHER_IMAGE_EXTENSIONS);
  if (ix.classNames.length === 0) throw new DataError(`${name} has no class subfolders: put each class's images in a folder of its own (${name}/cats/..., ${name}/dogs/...)`);
  if (ix.files.length === 0) throw new DataError(`${name} has no PNG or JPEG images in its class folders (${listSome(ix.classNames)})`);
  const validationSplit = options.validationSplit ?? 0;
  const seed = options.seed ?? 1337;
  const split = splitIndex(ix, validationSplit, seed);

  // Training images then validation images, so that each split is one range of the cache file.
  const order = [...split.train, ...(split.validation ?? [])];
  const cache = cachedImages(resolve(dir), order.map((i) => ix.files[i]), { height, width, channels }, validationSplit ? `split ${validationSplit}, seed ${seed}` : 'no split', name);
  const skippedAt = new Set(cache.skipped);
  const per = height * width * channels;
  let offset = cache.offset;
  const part = (from: number, to: number): Dataset => {
    const labels: number[] = [];
    for (let p = from; p < to; p++) if (!skippedAt.has(p)) labels.push(ix.labels[order[p]]);
    const x = { path: cache.path, offset, length: labels.length * per, dtype: 'float32' as const };
    offset += labels.length * per * 4;
    return { x: [{ shape: [height, width, channels], data: x }], y: [{ shape: [], data: Int32Array.from(labels) }], count: labels.length, classNames: ix.classNames, notes: [] };
  };
  const train = part(0, split.train.length);
  const validation = split.validation ? part(split.train.length, order.length) : undefined;
  const skipped = cache.skipped.map((p) => relative(dir, ix.files[order[p]]));
  const notes: string[] = [];
  if (skipped.length) notes.push(`skipped ${skipped.length} unreadable image${skipped.length === 1 ? '' : 's'}: ${listSome(skipped)}`);
  if (ix.ignored.length) notes.push(`left out ${ix.ignored.length} BMP/GIF file${ix.ignored.length === 1 ? '' : 's'}, which Kiln does not read: ${listSome(ix.ignored)}`);
  train.notes = notes;
  checkTrainable(train, name);
  if (validation && validation.count === 0) throw new DataError(`${name}: no validation images are left after skipping unreadable ones: choose a larger validation split`);
  return {
    train,
    ...(validation ? { validation } : {}),
    description: `${name} (image folder: ${ix.files.length} files, ${ix.classNames.length} classes, ${height}x${width} ${channels === 1 ? 'grayscale' : 'RGB'}${skipped.length ? `, ${skipped.length} unreadable skipped` : ''})`,
  };
}

/** Reads a text folder (IMDB layout): .txt files per class, vectorized with a vocabulary learned on the training split. */
export function loadTextFolder(dir: string, options: TextFolderOptions = {}, name = basename(dir), testDir?: string): DatasetSplits {
  const ix = indexClassFolders(dir, ['.txt']);
  if (ix.classNames.length === 0) throw new DataError(`${name} has no class subfolders: put each class's .txt files in a folder of its own (${name}/pos/..., ${name}/neg/...)`);
  if (ix.files.length === 0) throw new DataError(`${name} has no .txt files in its class folders (${listSome(ix.classNames)})`);
  const split = splitIndex(ix, options.validationSplit ?? 0, options.seed ?? 1337);
  const skipped: string[] = [];
  const texts: string[] = ix.files.map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      skipped.push(relative(dir, f));
      return '';
    }
  });
  const vectorizer = TextVectorizer.adapt(split.train.map((i) => texts[i]), { ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}), ...(options.sequenceLength !== undefined ? { sequenceLength: options.sequenceLength } : {}) });
  const L = vectorizer.sequenceLength;
  const all: Dataset = { x: [{ shape: [L], data: vectorizer.encodeAll(texts) }], y: [{ shape: [], data: ix.labels }], count: ix.files.length, classNames: ix.classNames, notes: [] };
  const train = takeSamples(all, split.train);
  const validation = split.validation ? takeSamples(all, split.validation) : undefined;
  train.notes = skipped.length ? [`could not read ${skipped.length} file${skipped.length === 1 ? '' : 's'} (used as empty texts): ${listSome(skipped)}`] : [];
  checkTrainable(train, name);
  let test: Dataset | undefined;
  if (testDir) {
    const tix = indexClassFolders(testDir, ['.txt']);
    const map = tix.classNames.map((c) => ix.classNames.indexOf(c));
    const extra = tix.classNames.filter((_, k) => map[k] < 0);
    if (extra.length) throw new DataError(`${testDir} has classes the training folder does not (${listSome(extra)}): give both the same class folders`);
    test = { x: [{ shape: [L], data: vectorizer.encodeAll(tix.files.map((f) => readFileSync(f, 'utf8'))) }], y: [{ shape: [], data: Int32Array.from(tix.labels, (l) => map[l]) }], count: tix.files.length, classNames: ix.classNames, notes: [] };
  }
  return {
    train,
    ...(validation ? { validation } : {}),
    ...(test ? { test } : {}),
    description: `${name} (text folder: ${ix.files.length} files, ${ix.classNames.length} classes, ${vectorizer.vocabulary.length} tokens, sequences of ${L})`,
    preprocessing: { vocabulary: vectorizer.vocabulary, sequenceLength: L },
  };
}
