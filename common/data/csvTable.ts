/**
 * CSV tables for training: RFC 4180 cells (quotes, "" escapes, quoted line breaks), header
 * detection, column types (numeric or categorical), a target column (default: the last),
 * categorical features one-hot or as an index, missing values dropped or filled, numeric features
 * standardised with the training split's statistics. A malformed row is reported with its line.
 */
import { checkTrainable, DataError, splitIndices, type Dataset, type DatasetSplits, type InMemoryTensor } from './dataset.js';

export interface CsvOptions {
  /** Target column name (or 0-based index as a string when the file has no header); default: the last column. */
  target?: string;
  /** true / false force it; default: detected. */
  header?: boolean;
  /** 'class': class indices (sparse labels); 'number': a regression target; default: class for text, number for numbers. */
  targetType?: 'class' | 'number';
  /** Categorical features: one column per category (default) or the category's index. */
  categorical?: 'onehot' | 'index';
  /** Rows with a missing feature: dropped (default), or the cell filled with the training split's mean (numbers) / mode (categories), or with a constant. */
  missing?: 'drop' | 'mean' | 'mode' | 'constant';
  fillValue?: number | string;
  /** Standardise numeric features with the training split's mean and std (default true). */
  standardize?: boolean;
  /** Fraction held out for validation after a seeded shuffle (Keras's directory loaders' way); default 0. */
  validationSplit?: number;
  seed?: number;
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);
const isMissing = (cell: string) => MISSING.has(cell.toLowerCase());
const isNumber = (cell: string) => cell !== '' && Number.isFinite(Number(cell));

/** Splits CSV text into rows of cells with the line each row starts on. Quoted cells may span lines. */
export function splitCsvRows(text: string, source = 'the CSV file'): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let wasQuoted = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') { cell += '"'; i++; } else quoted = false;
        } else {
          if (c === '\n') line++;
          cell += c;
        }
      } else if (c === '"' && cell.trim() === '' && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
        cell = '';
      } else if (c === ',') {
        cells.push(wasQuoted ? cell : cell.trim());
        cell = '';
        wasQuoted = false;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        i++;
        line++;
        break;
      } else if (wasQuoted) {
        if (c.trim() !== '') throw new DataError(`${source}, line ${line}: text after a closing quote in cell ${cells.length + 1}`);
      } else {
        cell += c;
      }
    }
    if (quoted) throw new DataError(`${source}, line ${start}: a quoted cell is not closed`);
    cells.push(wasQuoted ? cell : cell.trim());
    if (!(cells.length === 1 && cells[0] === '' && !wasQuoted)) rows.push({ line: start, cells });
  }
  return rows;
}

export interface CsvColumn {
  name: string;
  type: 'numeric' | 'categorical';
  /** Sorted category names (categorical columns). */
  categories?: string[];
  missing: number;
}

export interface CsvInfo {
  header: boolean;
  columns: CsvColumn[];
  target: number;
  rows: number;
}

/** What Kiln understands of a table, before loading it: header, column types, target. */
export function inspectCsv(text: string, options: Pick<CsvOptions, 'header' | 'target'> = {}, source = 'the CSV file'): { info: CsvInfo; rows: { line: number; cells: string[] }[] } {
  const all = splitCsvRows(text, source);
  if (all.length === 0) throw new DataError(`${source} is empty`);
  const width = all[0].cells.length;
  for (const r of all) {
    if (r.cells.length !== width) throw new DataError(`${source}, line ${r.line}: ${r.cells.length} cells where the first row has ${width}: fix or remove this row`);
  }
  // A header: no cell of the first row is a number, and some column below it holds numbers or
  // the first row's words do not appear again in their columns.
  let header = options.header;
  if (header === undefined) {
    const first = all[0].cells;
    const rest = all.slice(1, 201);
    header = first.every((c) => !isNumber(c) && c !== '') &&
      (rest.length === 0 || first.some((c, j) => rest.some((r) => isNumber(r.cells[j])) || !rest.some((r) => r.cells[j] === c)));
  }
  const names = header ? all[0].cells.map((c, j) => c || `column_${j + 1}`) : all[0].cells.map((_, j) => `column_${j + 1}`);
  const rows = header ? all.slice(1) : all;
  const columns: CsvColumn[] = names.map((name, j) => {
    let missing = 0;
    let numeric = true;
    for (const r of rows) {
      const c = r.cells[j];
      if (isMissing(c)) missing++;
      else if (!isNumber(c)) numeric = false;
    }
    if (numeric && missing === rows.length) numeric = false;
    const col: CsvColumn = { name, type: numeric ? 'numeric' : 'categorical', missing };
    if (!numeric) col.categories = [...new Set(rows.map((r) => r.cells[j]).filter((c) => !isMissing(c)))].sort();
    return col;
  });
  let target = width - 1;
  if (options.target !== undefined) {
    target = names.indexOf(options.target);
    if (target < 0 && /^\d+$/.test(options.target) && Number(options.target) < width) target = Number(options.target);
    if (target < 0) throw new DataError(`${source} has no column "${options.target}": its columns are ${names.map((n) => `"${n}"`).join(', ')}`);
  }
  if (width < 2) throw new DataError(`${source} has a single column: it needs at least one feature column and a target column`);
  return { info: { header, columns, target, rows: rows.length }, rows };
}

/** Parses CSV text into training (and validation) data. */
export function loadCsv(text: string, options: CsvOptions = {}, source = 'the CSV file'): DatasetSplits {
  const { info, rows: allRows } = inspectCsv(text, options, source);
  const { columns, target } = info;
  const notes: string[] = [];
  const targetCol = columns[target];
  const featureIdx = columns.map((_, j) => j).filter((j) => j !== target);

  // Rows without a target cannot be used at all.
  let rows = allRows.filter((r) => !isMissing(r.cells[target]));
  if (rows.length < allRows.length) notes.push(`dropped ${allRows.length - rows.length} row${allRows.length - rows.length === 1 ? '' : 's'} with no "${targetCol.name}" (first at line ${allRows.find((r) => isMissing(r.cells[target]))!.line})`);
  const missing = options.missing ?? 'drop';
  if (missing === 'drop') {
    const kept = rows.filter((r) => featureIdx.every((j) => !isMissing(r.cells[j])));
    if (kept.length < rows.length) {
      const first = rows.find((r) => featureIdx.some((j) => isMissing(r.cells[j])))!;
      notes.push(`dropped ${rows.length - kept.length} row${rows.length - kept.length === 1 ? '' : 's'} with missing values (first at line ${first.line}); fill them instead with missing: mean, mode or constant`);
    }
    rows = kept;
  }
  if (rows.length === 0) throw new DataError(`${source} has no usable rows${notes.length ? ` (${notes.join('; ')})` : ''}`);

  // Split first, so that fills and standardisation use the training rows only.
  const seed = options.seed ?? 1337;
  const split = splitIndices(rows.length, options.validationSplit ?? 0, seed, (options.validationSplit ?? 0) > 0);
  const trainRows = Array.from(split.train, (i) => rows[i]);
  const valRows = split.validation ? Array.from(split.validation, (i) => rows[i]) : undefined;

  // Fill values from the training rows.
  const fill = new Map<number, string>();
  if (missing !== 'drop') {
    for (const j of featureIdx) {
      if (columns[j].missing === 0) continue;
      const present = trainRows.map((r) => r.cells[j]).filter((c) => !isMissing(c));
      let value: string;
      if (missing === 'constant') {
        value = String(options.fillValue ?? (columns[j].type === 'numeric' ? 0 : 'missing'));
      } else if (columns[j].type === 'numeric' && missing === 'mean') {
        value = String(present.reduce((a, c) => a + Number(c), 0) / Math.max(present.length, 1));
      } else {
        const counts = new Map<string, number>();
        for (const c of present) counts.set(c, (counts.get(c) ?? 0) + 1);
        value = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '0';
      }
      if (columns[j].type === 'numeric' && !isNumber(value)) throw new DataError(`${source}: cannot fill the numeric column "${columns[j].name}" with "${value}": give a number`);
      fill.set(j, value);
      // A new category for the fill of a text column: after the ones the data has.
      if (columns[j].type === 'categorical' && !columns[j].categories!.includes(value)) columns[j].categories!.push(value);
      notes.push(`filled ${columns[j].missing} missing "${columns[j].name}" value${columns[j].missing === 1 ? '' : 's'} with ${missing === 'constant' ? '' : `the ${missing === 'mean' && columns[j].type === 'numeric' ? 'mean' : 'mode'} `}${value}`);
    }
  }
  const cell = (r: { cells: string[] }, j: number) => (isMissing(r.cells[j]) ? fill.get(j)! : r.cells[j]);

  // Feature layout: numeric → 1 column, categorical → one per category (or 1 index column).
  const onehot = (options.categorical ?? 'onehot') === 'onehot';
  const featureNames: string[] = [];
  const layout = featureIdx.map((j) => {
    const col = columns[j];
    const offset = featureNames.length;
    if (col.type === 'categorical' && onehot) for (const c of col.categories!) featureNames.push(`${col.name}=${c}`);
    else featureNames.push(col.name);
    return { j, col, offset };
  });
  const width = featureNames.length;

  // Target.
  const targetType = options.targetType ?? (targetCol.type === 'numeric' ? 'number' : 'class');
  let classNames: string[] | undefined;
  let classIndex = (_t: string) => -1;
  if (targetType === 'class') {
    const values = [...new Set(rows.map((r) => r.cells[target]))];
    const ints = values.every((v) => /^\d+$/.test(v));
    // Integer labels from 0 keep their meaning (label k is class k); other values become indices
    // in sorted order (numeric order for numbers).
    if (ints && values.some((v) => Number(v) === 0)) {
      const max = Math.max(...values.map(Number));
      classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
    } else {
      classNames = ints ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
    }
    const index = new Map(classNames.map((c, i) => [ints ? String(Number(c)) : c, i]));
    classIndex = (t: string) => index.get(ints ? String(Number(t)) : t) ?? -1;
  } else if (targetCol.type !== 'numeric') {
    throw new DataError(`${source}: the target column "${targetCol.name}" holds text (e.g. "${targetCol.categories![0]}"), not numbers: it can only be a class label`);
  }

  const build = (part: typeof rows): Dataset & { x: InMemoryTensor[] } => {
    const x = new Float32Array(part.length * width);
    const y = targetType === 'class' ? new Int32Array(part.length) : new Float32Array(part.length);
    part.forEach((r, i) => {
      for (const { j, col, offset } of layout) {
        const c = cell(r, j);
        if (col.type === 'numeric') {
          x[i * width + offset] = Number(c);
        } else {
          const k = col.categories!.indexOf(c);
          if (onehot) {
            if (k >= 0) x[i * width + offset + k] = 1;
          } else {
            x[i * width + offset] = k;
          }
        }
      }
      const t = r.cells[target];
      y[i] = targetType === 'class' ? classIndex(t) : Number(t);
      if (targetType === 'number' && !isNumber(t)) throw new DataError(`${source}, line ${r.line}: the target "${targetCol.name}" is "${t}", not a number`);
    });
    return { x: [{ shape: [width], data: x }], y: [{ shape: [], data: y }], count: part.length, featureNames, ...(classNames ? { classNames } : {}), notes: [] };
  };
  const train = build(trainRows);
  const validation = valRows ? build(valRows) : undefined;
  train.notes = notes;

  // Standardisation with the training split's statistics (numeric columns only).
  let preprocessing: DatasetSplits['preprocessing'];
  if (options.standardize ?? true) {
    const mean = new Array<number>(width).fill(0);
    const std = new Array<number>(width).fill(1);
    const n = train.count;
    for (const { col, offset } of layout) {
      if (col.type !== 'numeric') continue;
      const x = train.x[0].data;
      let m = 0;
      for (let i = 0; i < n; i++) m += x[i * width + offset];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[i * width + offset] - m) ** 2;
      mean[offset] = m;
      std[offset] = Math.sqrt(v / n) || 1;
    }
    for (const ds of [train, validation]) {
      if (!ds) continue;
      const x = ds.x[0].data;
      for (let i = 0; i < ds.count; i++) for (let f = 0; f < width; f++) x[i * width + f] = (x[i * width + f] - mean[f]) / std[f];
    }
    preprocessing = { standardize: { mean, std } };
  }
  if (targetType === 'class') checkTrainable(train, source);
  else if (train.count === 0) checkTrainable(train, source);
  const kinds = layout.map(({ col }) => col.type === 'numeric' ? 'numeric' : `categorical (${col.categories!.length}, ${onehot ? 'one-hot' : 'index'})`);
  const numeric = kinds.filter((k) => k === 'numeric').length;
  return {
    train,
    ...(validation ? { validation } : {}),
    description: `${source} (CSV: ${featureIdx.length} feature columns${numeric < featureIdx.length ? `, ${featureIdx.length - numeric} categorical` : ''} → ${width} features, target "${targetCol.name}"${classNames ? ` with ${classNames.length} classes` : ''})`,
    ...(preprocessing ? { preprocessing } : {}),
  };
}
