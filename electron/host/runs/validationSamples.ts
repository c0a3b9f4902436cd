/**
 * A Kiln run's validation samples, read again from its data spec (run.json keeps the spec, the
 * folder it was read from and the options), drawn for the misclassified grid: images as small
 * PNG thumbnails, tables as their feature values (unstandardised), texts as their words.
 * The validation set is the one training used: the source's own validation split, or the last
 * fraction of the training samples (Keras's validation_split).
 */
import { PNG } from 'pngjs';
import { elementCount, type Dataset, type Preprocessing } from '../../../common/data/dataset.js';
import { resizeBilinear } from '../../../common/data/image.js';
import { analyzeModel } from '../../../common/model/index.js';
import { readSamples } from '../data/readSamples.js';
import { loadDataSpec } from '../training/dataSpec.js';
import type { RunFile } from '../training/runFile.js';

/** Thumbnails are at most this many pixels on a side. */
const THUMB = 64;
/** Table cells shown per row. */
const MAX_CELLS = 16;

export interface SampleView {
  image?: string;
  row?: string[];
}

/** Views of validation samples `indices`; throws (in the user's terms) when the data cannot be read again. */
export function validationSamples(run: RunFile, indices: number[]): SampleView[] {
  if (!run.data) throw new Error(`run "${run.name}" does not record its data, so its samples cannot be shown`);
  const analysis = analyzeModel(run.model);
  const nameOf = (id: string) => run.model.layers.find((l) => l.id === id)?.name ?? id;
  const splits = loadDataSpec(run.data, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, run.dataBaseDir, run.dataOptions ?? {});
  const source = splits.datasets.validation ?? splits.datasets.train;
  // Keras's validation_split: the last samples, taken before shuffling (runTraining does the same).
  const offset = splits.datasets.validation ? 0 : Math.floor(source.count * (1 - run.training.validationSplit));
  return indices.map((i) => view(source, offset + i, splits.preprocessing));
}

function view(ds: Dataset, index: number, pre: Preprocessing | undefined): SampleView {
  if (index < 0 || index >= ds.count || ds.x.length === 0) return {};
  const x = ds.x[0];
  const values = readSamples(x, index, 1);
  const shape = x.shape;
  const image = shape.length >= 2 && shape.length <= 3 && (shape[2] ?? 1) !== 2 && (shape[2] ?? 1) <= 3 && shape[0] >= 4 && shape[1] >= 4;
  if (image) return { image: thumbnail(values, shape[0], shape[1], shape[2] ?? 1) };
  if (pre?.vocabulary) {
    const words = Array.from(values, (t) => pre.vocabulary![t] ?? '').filter((w) => w !== '');
    return { row: [words.join(' ')] };
  }
  const std = pre?.standardize;
  const cells = Array.from(values.subarray(0, Math.min(values.length, MAX_CELLS)), (v, j) => formatNumber(std ? v * std.std[j] + std.mean[j] : v));
  const names = ds.featureNames;
  return { row: names && names.length === elementCount(shape) ? cells.map((c, j) => `${names[j]}: ${c}`) : cells };
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** A PNG data URL of an image (values 0..1 or 0..255), shrunk to at most THUMB pixels on a side. */
function thumbnail(values: ArrayLike<number>, height: number, width: number, channels: number): string {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const scale = max <= 1.5 ? 255 : 1;
  const bytes = new Uint8Array(height * width * channels);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(values[i] * scale)));
  const f = Math.min(1, THUMB / Math.max(height, width));
  const [h, w] = [Math.max(1, Math.round(height * f)), Math.max(1, Math.round(width * f))];
  const pixels = resizeBilinear({ width, height, channels, data: bytes }, h, w);
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) {
    for (let c = 0; c < 3; c++) png.data[p * 4 + c] = Math.round(pixels[p * channels + (channels === 1 ? 0 : c)]);
    png.data[p * 4 + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}
