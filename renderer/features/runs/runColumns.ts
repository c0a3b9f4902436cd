import type { RunSummary } from '../../../common/contract/index.js';
import type { ParamValue } from '../../../common/model/index.js';
import type { RunSort } from '../../stores/runsStore.js';

export interface RunColumn {
  /** `name`, `status`, `hparam:KEY` or `metric:KEY`: the sort key. */
  id: string;
  label: string;
  kind: 'name' | 'status' | 'hparam' | 'metric';
}

export type CellValue = ParamValue | undefined;

/** The settings users compare first; the rest follow in name order. */
const FIRST_HPARAMS = ['optimizer', 'learning_rate', 'batch_size', 'epochs', 'loss', 'data'];

function rank(key: string): number {
  const i = FIRST_HPARAMS.indexOf(key);
  return i < 0 ? FIRST_HPARAMS.length : i;
}

/** One column per hyperparameter and per metric any of the runs has. */
export function tableColumns(runs: readonly RunSummary[]): RunColumn[] {
  const hparams = new Set<string>();
  const metrics = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.hparams)) hparams.add(k);
    for (const k of Object.keys(r.metrics)) metrics.add(k);
  }
  return [
    { id: 'name', label: 'run', kind: 'name' },
    { id: 'status', label: 'status', kind: 'status' },
    ...[...hparams].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((k): RunColumn => ({ id: `hparam:${k}`, label: k, kind: 'hparam' })),
    ...[...metrics].sort().map((k): RunColumn => ({ id: `metric:${k}`, label: k, kind: 'metric' })),
  ];
}

export function cellValue(run: RunSummary, column: string): CellValue {
  if (column === 'name') return run.name;
  if (column === 'status') return run.status;
  if (column.startsWith('hparam:')) return run.hparams[column.slice('hparam:'.length)];
  if (column.startsWith('metric:')) return run.metrics[column.slice('metric:'.length)];
  return undefined;
}

/** Numbers (and booleans) before text; text in natural order ("run 2" before "run 10"). */
function compareValues(a: ParamValue, b: ParamValue): number {
  const num = (v: ParamValue): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null);
  const x = num(a);
  const y = num(b);
  if (x !== null && y !== null) return x - y;
  if (x !== null) return -1;
  if (y !== null) return 1;
  return formatCell(a).localeCompare(formatCell(b), undefined, { numeric: true });
}

/** Runs in the table's order; runs without a value in the sort column go last either way. */
export function sortRuns(runs: readonly RunSummary[], sort: RunSort): RunSummary[] {
  const missing = (v: CellValue): boolean => v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));
  return [...runs].sort((p, q) => {
    const a = cellValue(p, sort.column);
    const b = cellValue(q, sort.column);
    if (missing(a) || missing(b)) return Number(missing(a)) - Number(missing(b));
    const order = compareValues(a as ParamValue, b as ParamValue);
    return sort.descending ? -order : order;
  });
}

export function formatCell(value: CellValue): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(2) : Number(value.toPrecision(4)).toString();
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
