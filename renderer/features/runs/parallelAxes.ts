import type { RunSummary } from '../../../common/contract/index.js';
import { cellValue, formatCell, type RunColumn } from './runColumns.js';

/** One vertical axis of the parallel-coordinates view: where each run's value sits, 0 (bottom) to 1 (top). */
export interface ParallelAxis {
  column: RunColumn;
  /** Labels along the axis at their positions. */
  ticks: { at: number; label: string }[];
  position(run: RunSummary): number | null;
}

/** The most axes drawn; beyond that the view gets unreadable. */
const MAX_AXES = 12;

function numericAxis(column: RunColumn, values: number[]): ParallelAxis {
  const min = Math.min(...values);
  const max = Math.max(...values);
  // Learning rates and the like spread over decades: a log axis keeps them apart.
  const log = min > 0 && max / min >= 100;
  const f = log ? Math.log10 : (v: number) => v;
  const span = f(max) - f(min);
  const at = (v: number) => (span === 0 ? 0.5 : (f(v) - f(min)) / span);
  return {
    column,
    ticks: min === max ? [{ at: 0.5, label: formatCell(min) }] : [{ at: 0, label: formatCell(min) }, { at: 1, label: formatCell(max) }],
    position: (run) => {
      const v = cellValue(run, column.id);
      return typeof v === 'number' && Number.isFinite(v) ? at(v) : null;
    },
  };
}

function categoricalAxis(column: RunColumn, labels: string[]): ParallelAxis {
  const sorted = [...new Set(labels)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const at = (label: string) => (sorted.length === 1 ? 0.5 : sorted.indexOf(label) / (sorted.length - 1));
  return {
    column,
    ticks: sorted.map((label) => ({ at: at(label), label })),
    position: (run) => {
      const v = cellValue(run, column.id);
      return v === undefined || v === null ? null : at(formatCell(v));
    },
  };
}

/** Axes for the hyperparameters that differ between the runs, then the metrics. */
export function parallelAxes(runs: readonly RunSummary[], columns: readonly RunColumn[]): ParallelAxis[] {
  const axes: ParallelAxis[] = [];
  for (const column of columns) {
    if (column.kind !== 'hparam' && column.kind !== 'metric') continue;
    const values = runs.map((r) => cellValue(r, column.id)).filter((v) => v !== undefined && v !== null);
    if (values.length === 0) continue;
    const labels = values.map(formatCell);
    if (column.kind === 'hparam' && runs.length > 1 && new Set(labels).size === 1 && values.length === runs.length) continue;
    axes.push(values.every((v) => typeof v === 'number') ? numericAxis(column, values as number[]) : categoricalAxis(column, labels));
  }
  return axes.slice(0, MAX_AXES);
}
