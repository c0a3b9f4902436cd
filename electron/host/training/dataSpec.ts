/**
 * Dataset specs, as `--data` and a project's `data` field give them:
 *   sample:NAME   a built-in sample dataset (sample:iris)
 *   PATH.npz      Keras's layout: x_train, y_train and optionally x_test, y_test (np.savez). A model
 *                 with several inputs (outputs) reads x_train_<input name> (y_train_<output name>).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { NpyArray } from '../../../common/formats/npy.js';
import { parseNpz } from '../../../common/formats/npz.js';
import { getDataset, listDatasets } from '../datasets.js';
import type { TrainingData } from './runTraining.js';

export interface DataSplits {
  train: TrainingData;
  /** *_test arrays when the data has them. */
  test?: TrainingData;
  /** What was loaded, for messages: "sample:iris (150 samples)". */
  description: string;
}

/** A spec that is not one Kiln understands (a usage problem, not a file problem). */
export class DataSpecError extends Error {}

export function sampleNames(): string[] {
  return listDatasets().map((d) => `sample:${d.id}`);
}

/** Loads a dataset spec for a model with these input and output layer names; relative paths start at `baseDir`. */
export function loadDataSpec(spec: string, io: { inputs: string[]; outputs: string[] }, baseDir = process.cwd()): DataSplits {
  if (spec.startsWith('sample:')) {
    const name = spec.slice('sample:'.length);
    const data = getDataset(name);
    if (!data) throw new DataSpecError(`unknown sample dataset "${name}": available: ${sampleNames().join(', ')}`);
    const { rows, features } = data.info;
    return {
      train: { x: [{ shape: [rows, features], data: data.x }], y: [{ shape: [rows], data: data.y }] },
      description: `${spec} (${rows} samples)`,
    };
  }
  if (!spec.toLowerCase().endsWith('.npz')) {
    throw new DataSpecError(`cannot read data "${spec}": give a .npz file with x_train and y_train arrays (and x_test, y_test), or a sample dataset: ${sampleNames().join(', ')}`);
  }
  const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `the data file ${path} does not exist` : `cannot read the data file ${path}: ${e.message}`, { cause: err });
  }
  const arrays = parseNpz(bytes, path);
  const keys = [...arrays.keys()];
  const pick = (prefix: string, names: string[], required: boolean): NpyArray[] | undefined => {
    const found = names.length === 1 && arrays.has(prefix) ? [arrays.get(prefix)!] : names.map((n) => arrays.get(`${prefix}_${n}`));
    if (found.every((a) => a !== undefined)) return found as NpyArray[];
    if (!required && found.every((a) => a === undefined)) return undefined;
    const wanted = names.length === 1 ? `"${prefix}"` : names.map((n) => `"${prefix}_${n}"`).join(', ');
    throw new Error(`${path} has no ${wanted} array${names.length === 1 ? '' : 's'} (it has ${keys.map((k) => `"${k}"`).join(', ') || 'none'}): save it with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)`);
  };
  const xTrain = pick('x_train', io.inputs, true)!;
  const yTrain = pick('y_train', io.outputs, true)!;
  const xTest = pick('x_test', io.inputs, false);
  const yTest = pick('y_test', io.outputs, false);
  if ((xTest === undefined) !== (yTest === undefined)) throw new Error(`${path} has ${xTest ? 'x_test but no y_test' : 'y_test but no x_test'}: give both or neither`);
  const count = (a: NpyArray[]) => a[0].shape[0] ?? 1;
  return {
    train: { x: xTrain, y: yTrain },
    ...(xTest && yTest ? { test: { x: xTest, y: yTest } } : {}),
    description: `${spec} (${count(xTrain)} training${xTest ? ` and ${count(xTest)} test` : ''} samples)`,
  };
}
