/**
 * What Kiln understood of a dataset spec, for the studio's Data panel: formats, per-sample shapes,
 * class counts, split sizes, a table's columns and first rows, a few images with their labels.
 * Image folders are only indexed (and a few images decoded): a large folder is previewed in the
 * time it takes to list it, not to decode it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import type { DataChoices, DataSummary } from '../../../common/contract/index.js';
import { inspectCsv } from '../../../common/data/csvTable.js';
import { classCounts, DataError, elementCount, splitIndices, type DataTensor, type DatasetSplits } from '../../../common/data/dataset.js';
import { resizeBilinear, toChannels } from '../../../common/data/image.js';
import { sampleFile } from '../datasets.js';
import { decodeImage, IMAGE_EXTENSIONS, OTHER_IMAGE_EXTENSIONS } from './decodeImage.js';
import { indexClassFolders } from './folders.js';
import { readSamples } from './readSamples.js';
import { detectFormat, resolveDataSpec, DataSpecError, type DataOptions } from './resolveDataSpec.js';

/** Images shown in the preview grid. */
const PREVIEW_IMAGES = 24;
/** Table rows shown in the preview. */
const PREVIEW_ROWS = 8;
/** Thumbnails are at most this many pixels on a side. */
const THUMB = 64;

/** An 8-bit image (1 or 3 channels, values 0..255 or 0..1) as a PNG data URL. */
function pngDataUrl(values: ArrayLike<number>, height: number, width: number, channels: number, scale: number): string {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) png.data[p * 4 + c] = Math.max(0, Math.min(255, Math.round(values[p * channels + (channels === 1 ? 0 : c)] * scale)));
    png.data[p * 4 + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

/** Up to `max` sample indices, taking the classes in turn so that the grid shows each of them. */
function previewIndices(labels: ArrayLike<number> | undefined, count: number, max: number): number[] {
  if (!labels) return Array.from({ length: Math.min(count, max) }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < count && i < max * 50; i++) {
    const list = byClass.get(labels[i]) ?? [];
    if (list.length < max) list.push(i);
    byClass.set(labels[i], list);
  }
  const lists = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
  const out: number[] = [];
  for (let k = 0; out.length < max && lists.some((l) => k < l.length); k++) for (const l of lists) if (k < l.length && out.length < max) out.push(l[k]);
  return out;
}

/** True for per-sample shapes that look like images: (h, w), (h, w, 1) or (h, w, 3). */
const isImageShape = (shape: number[]) => (shape.length === 2 || (shape.length === 3 && (shape[2] === 1 || shape[2] === 3))) && shape[0] >= 4 && shape[1] >= 4;

function imagePreview(x: DataTensor, y: DataTensor | undefined, count: number, classNames: string[] | undefined): DataSummary['images'] {
  if (!isImageShape(x.shape)) return undefined;
  const [h, w] = x.shape;
  const channels = x.shape[2] ?? 1;
  const labels = y && y.data instanceof Int32Array && elementCount(y.shape) === 1 ? y.data : undefined;
  const picks = previewIndices(labels, count, PREVIEW_IMAGES);
  let max = 0;
  const samples = picks.map((i) => readSamples(x, i, 1));
  for (const s of samples) for (const v of s) max = Math.max(max, v);
  const scale = max <= 1.5 ? 255 : 1;
  return picks.map((i, k) => ({
    src: pngDataUrl(samples[k], h, w, channels, scale),
    label: labels ? (classNames?.[labels[i]] ?? String(labels[i])) : `#${i + 1}`,
  }));
}

/**
 * Split sizes: the source's own validation split, or else Keras's fit(validation_split=f), which
 * holds out the last samples (runTraining does the same).
 */
function heldOut(count: number, validation: number | undefined, split: number, test: number): DataSummary['splits'] {
  if (validation !== undefined || split <= 0) return { train: count, validation: validation ?? 0, test };
  const train = Math.floor(count * (1 - split));
  return { train, validation: count - train, test };
}

function summarise(spec: string, format: DataSummary['format'], s: DatasetSplits, choices: DataChoices): DataSummary {
  const train = s.train;
  const y = train.y[0];
  const classes = y && y.data instanceof Int32Array && elementCount(y.shape) === 1;
  const classNames = train.classNames ?? (classes ? Array.from({ length: Math.max(...(y.data as Int32Array)) + 1 }, (_, k) => String(k)) : []);
  return {
    spec, format,
    description: s.description,
    inputs: train.x.map((t) => ({ shape: t.shape, dtype: t.data instanceof Int32Array || ('dtype' in t.data && t.data.dtype === 'int32') ? 'int32' : 'float32' })),
    target: classes ? { kind: 'classes', classNames, counts: classCounts(y.data as Int32Array, classNames.length) } : { kind: 'values', shape: y?.shape ?? [] },
    splits: heldOut(train.count, s.validation?.count, choices.validationSplit ?? 0, s.test?.count ?? 0),
    notes: [...train.notes],
    ...(train.x.length === 1 ? { images: imagePreview(train.x[0], y, train.count, train.classNames) } : {}),
    choices,
  };
}

/** A CSV's columns and first rows as written, with the target column marked. */
function tableOf(path: string, target: string | undefined): NonNullable<DataSummary['table']> & { target: string } {
  const text = readFileSync(path, 'utf8');
  const { info, rows } = inspectCsv(path.toLowerCase().endsWith('.tsv') ? text.replace(/\t/g, ',') : text, target !== undefined ? { target } : {}, basename(path));
  return {
    columns: info.columns.map((c, j) => ({ name: c.name, type: c.type, role: j === info.target ? 'target' : 'feature', missing: c.missing })),
    head: rows.slice(0, PREVIEW_ROWS).map((r) => r.cells),
    rows: info.rows,
    target: info.columns[info.target].name,
  };
}

/** An image folder, indexed and split as training would, with a few images decoded. */
function inspectImageFolder(spec: string, path: string, choices: DataChoices): DataSummary {
  const hasTrain = existsSync(join(path, 'train')) && statSync(join(path, 'train')).isDirectory();
  const trainDir = hasTrain ? join(path, 'train') : path;
  const name = basename(path) + (hasTrain ? '/train' : '');
  const ix = indexClassFolders(trainDir, IMAGE_EXTENSIONS, OTHER_IMAGE_EXTENSIONS);
  if (ix.files.length === 0) throw new DataError(`${name} has no PNG or JPEG images in its class folders`);
  const [height, width] = choices.imageSize ?? [256, 256];
  const channels = choices.colorMode === 'grayscale' ? 1 : 3;
  const split = splitIndices(ix.files.length, choices.validationSplit ?? 0, 1337);
  const trainLabels = Int32Array.from(split.train, (i) => ix.labels[i]);
  const test = hasTrain && existsSync(join(path, 'test')) ? indexClassFolders(join(path, 'test'), IMAGE_EXTENSIONS).files.length : 0;
  // Thumbnails keep the aspect of the training size, at most THUMB pixels on a side.
  const f = Math.min(1, THUMB / Math.max(height, width));
  const [th, tw] = [Math.max(1, Math.round(height * f)), Math.max(1, Math.round(width * f))];
  const images: NonNullable<DataSummary['images']> = [];
  const notes: string[] = [];
  for (const k of previewIndices(trainLabels, trainLabels.length, PREVIEW_IMAGES)) {
    const file = ix.files[split.train[k]];
    try {
      const img = toChannels(decodeImage(readFileSync(file)), channels);
      images.push({ src: pngDataUrl(resizeBilinear(img, th, tw), th, tw, channels, 1), label: ix.classNames[trainLabels[k]] });
    } catch {
      notes.push(`${file.slice(trainDir.length + 1)} is not a readable image: training will skip it`);
    }
  }
  if (ix.ignored.length) notes.push(`${ix.ignored.length} BMP/GIF file${ix.ignored.length === 1 ? '' : 's'} will be left out: Kiln reads PNG and JPEG`);
  const validation = split.validation?.length ?? 0;
  return {
    spec, format: 'image-folder',
    description: `${name} (image folder: ${ix.files.length} files, ${ix.classNames.length} classes, ${height}x${width} ${channels === 1 ? 'grayscale' : 'RGB'})`,
    inputs: [{ shape: [height, width, channels], dtype: 'float32' }],
    target: { kind: 'classes', classNames: ix.classNames, counts: classCounts(trainLabels, ix.classNames.length) },
    splits: { train: trainLabels.length, validation, test },
    notes,
    images,
    choices: { imageSize: [height, width], colorMode: channels === 1 ? 'grayscale' : 'rgb', validationSplit: choices.validationSplit ?? 0 },
  };
}

/**
 * Reads `spec` as training would (relative paths from `baseDir`) and summarises it. Throws
 * DataSpecError for a spec Kiln does not understand and DataError for a problem with the data.
 */
export function inspectData(spec: string, choices: DataChoices = {}, baseDir = process.cwd()): DataSummary {
  const trimmed = spec.trim();
  if (trimmed === '') throw new DataSpecError('choose a dataset: a sample, or the path of a .csv or .npz file, IDX files, or a folder of class folders');
  const path = trimmed.startsWith('sample:') ? trimmed : isAbsolute(trimmed) ? trimmed : resolve(baseDir, trimmed);
  const format = detectFormat(path);
  if (format === 'image-folder') return inspectImageFolder(trimmed, path, choices);
  const options: DataOptions = { ...choices };
  if (format === 'csv') {
    const table = tableOf(path, choices.target);
    const summary = summarise(trimmed, 'csv', resolveDataSpec(trimmed, options, undefined, baseDir), { target: table.target, validationSplit: choices.validationSplit ?? 0 });
    return { ...summary, table: { columns: table.columns, head: table.head, rows: table.rows } };
  }
  const summary = summarise(trimmed, format ?? 'sample', resolveDataSpec(trimmed, options, undefined, baseDir), { validationSplit: choices.validationSplit ?? 0 });
  const sample = format === 'sample' ? sampleFile(trimmed.slice('sample:'.length)) : undefined;
  if (sample?.path.endsWith('.csv')) {
    const table = tableOf(sample.path, sample.target);
    return { ...summary, table: { columns: table.columns, head: table.head, rows: table.rows } };
  }
  return summary;
}
