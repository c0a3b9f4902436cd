/**
 * One drawn series (ScalarSeries) from a tag's full-resolution columns: x in the chosen axis,
 * smoothing over every point, then raw and smoothed each downsampled to the chart's width with
 * their extremes and newest point kept.
 */
import type { ScalarQuery, ScalarSeries } from '../../../common/contract/index.js';
import { downsampleIndices, pick } from '../../../common/metrics/downsample.js';
import { emaSmooth, movingAverage } from '../../../common/metrics/smoothing.js';
import type { RunSplit } from '../training/runFile.js';
import type { ScalarColumns } from './EventsScanner.js';

/** How a run's steps map to epochs: Kiln's runs know their steps per epoch; others are inferred. */
export type EpochScale = { stepsPerEpoch: number } | { epochEnds: Float64Array } | null;

/**
 * x values on the epoch axis. epoch_* tags are written at step = epoch index, so they sit at the
 * epoch's end (index + 1). Other tags count steps: with steps per epoch known, x = step / that;
 * otherwise each point goes between the epoch ends it was written between (by wall time), spread
 * evenly; a run with no epoch_ tags has no epochs, and keeps its steps.
 */
function epochX(tag: string, c: ScalarColumns, scale: EpochScale): Float64Array {
  const n = c.length;
  const x = new Float64Array(n);
  if (tag.startsWith('epoch_')) {
    for (let i = 0; i < n; i++) x[i] = c.step[i] + 1;
  } else if (scale && 'stepsPerEpoch' in scale) {
    for (let i = 0; i < n; i++) x[i] = c.step[i] / scale.stepsPerEpoch;
  } else if (scale && scale.epochEnds.length > 0) {
    const ends = scale.epochEnds;
    // bounds[e]: the first point written after epoch e ended.
    const bounds = new Uint32Array(ends.length + 1);
    let i = 0;
    for (let e = 0; e < ends.length; e++) {
      while (i < n && c.wall[i] <= ends[e]) i++;
      bounds[e + 1] = i;
    }
    for (let e = 0; e <= ends.length; e++) {
      const from = bounds[e];
      const to = e < ends.length ? bounds[e + 1] : n;
      const per = e < ends.length ? to - from : Math.max(1, bounds[e] - bounds[e - 1] || to - from);
      for (let k = from; k < to; k++) x[k] = e + (k - from + 1) / per;
    }
  } else {
    x.set(c.step.subarray(0, n));
  }
  return x;
}

export function scalarSeries(run: string, tag: string, split: RunSplit, c: ScalarColumns, query: ScalarQuery, start: number, scale: EpochScale): ScalarSeries {
  const n = c.length;
  let x: Float64Array;
  switch (query.xAxis) {
    case 'epoch': x = epochX(tag, c, scale); break;
    case 'wall': x = c.wall.subarray(0, n); break;
    case 'relative': x = c.wall.subarray(0, n).map((w) => w - start); break;
    default: x = c.step.subarray(0, n);
  }
  const y = c.value.subarray(0, n);
  const s = query.smoothing;
  const smoothed = s <= 0 ? y : query.smoothingKind === 'moving-average' ? movingAverage(y, Math.round(s * 100)) : emaSmooth(y, s);
  const rawKept = downsampleIndices(y, query.width);
  const smoothKept = smoothed === y ? rawKept : downsampleIndices(smoothed, query.width);
  return {
    run, tag, split,
    count: n,
    downsampled: rawKept.length < n,
    raw: { x: pick(x, rawKept), y: pick(y, rawKept) },
    smoothed: { x: pick(x, smoothKept), y: pick(smoothed, smoothKept) },
    last: n > 0 ? { x: x[n - 1], y: y[n - 1], step: c.step[n - 1] } : null,
  };
}
