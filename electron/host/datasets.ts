import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetInfo } from '../../common/contract/index.js';
import { parseCsv } from '../../common/formats/csv.js';
import { paths } from './appRoot.js';

/** A classification table in the engine's layout: row-major float32 features, int32 labels. */
export interface Dataset {
  info: DatasetInfo;
  x: Float32Array;
  y: Int32Array;
}

interface BuiltIn {
  id: string;
  name: string;
  file: string;
  label: string;
  source: string;
}

const BUILT_IN: BuiltIn[] = [
  {
    id: 'iris',
    name: 'Iris',
    file: 'iris.csv',
    label: 'species',
    source: 'Fisher (1936), UCI Machine Learning Repository, CC BY 4.0',
  },
];

const cache = new Map<string, Dataset>();

/**
 * Reads a CSV whose `label` column holds class names and every other column a number.
 * Features are standardised (zero mean, unit variance per column) so plain SGD trains well.
 */
export function loadCsvDataset(path: string, spec: Omit<BuiltIn, 'file'>): Dataset {
  const table = parseCsv(readFileSync(path, 'utf8'));
  const labelIndex = table.header.indexOf(spec.label);
  if (labelIndex < 0) throw new Error(`${path}: no column named "${spec.label}" in the header`);
  const featureCols = table.header.map((_, i) => i).filter((i) => i !== labelIndex);
  const classNames = [...new Set(table.rows.map((r) => r[labelIndex]))].sort();
  const n = table.rows.length;
  const f = featureCols.length;
  const x = new Float32Array(n * f);
  const y = new Int32Array(n);
  table.rows.forEach((row, r) => {
    featureCols.forEach((c, j) => {
      const value = Number(row[c]);
      if (row[c] === '' || !Number.isFinite(value)) {
        throw new Error(`${path}, line ${r + 2}: "${table.header[c]}" is "${row[c]}", not a number`);
      }
      x[r * f + j] = value;
    });
    y[r] = classNames.indexOf(row[labelIndex]);
  });
  standardise(x, n, f);
  return {
    info: { id: spec.id, name: spec.name, rows: n, features: f, classes: classNames.length, classNames, source: spec.source },
    x,
    y,
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

export function listDatasets(): DatasetInfo[] {
  return BUILT_IN.map((b) => getDataset(b.id)!.info);
}

/** A built-in dataset by id, loaded once; undefined for an unknown id. */
export function getDataset(id: string): Dataset | undefined {
  const spec = BUILT_IN.find((b) => b.id === id);
  if (!spec) return undefined;
  let data = cache.get(id);
  if (!data) {
    data = loadCsvDataset(join(paths.datasetsDir, spec.file), spec);
    cache.set(id, data);
  }
  return data;
}
