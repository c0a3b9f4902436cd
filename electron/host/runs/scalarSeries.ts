/**
 * One drawn series (ScalarSeries) from a tag's full-resolution columns: x in the chosen axis,
 * smoothing over every point, then raw and smoothed each downsampled to the chart's width with
 * their extremes and newest point kept.
 *
 * A live run is polled several times a second, so an answer carries a cursor that the client
 * sends back: with it, a series that has no new point is left out, and one that grew is sent from
 * its newest downsampling bucket on (the buckets before it keep their points: downsample.ts), its
 * EMA carried on from the state the cursor holds. The pieces have the same bits as the whole
 * series computed at once. The centred moving average and epochs placed by wall time (both
 * change points already sent) get the whole series whenever it grew.
 */
import type { ScalarQuery, ScalarSeries, SeriesCursor } from '../../../common/contract/index.js';
import { bucketSize, keptIndices, pick } from '../../../common/metrics/downsample.js';
import { emaContinue, isConstant, movingAverage, type EmaState } from '../../../common/metrics/smoothing.js';
import type { RunSplit } from '../training/runFile.js';
import type { ScalarColumns } from './EventsScanner.js';

/** How a run's steps map to epochs: Kiln's runs know their steps per epoch; others are inferred. */
export type EpochScale = { stepsPerEpoch: number } | { epochEnds: Float64Array } | null;

/**
 * x values on the epoch axis, for points [from, n). epoch_* tags are written at step = epoch
 * index, so they sit at the epoch's end (index + 1). Other tags count steps: with steps per epoch
 * known, x = step / that; otherwise each point goes between the epoch ends it was written between
 * (by wall time), spread evenly; a run with no epoch_ tags has no epochs, and keeps its steps.
 */
function epochX(tag: string, c: ScalarColumns, scale: EpochScale, from: number): Float64Array {
  const n = c.length;
  const x = new Float64Array(n - from);
  if (tag.startsWith('epoch_')) {
    for (let i = from; i < n; i++) x[i - from] = c.step[i] + 1;
  } else if (scale && 'stepsPerEpoch' in scale) {
    for (let i = from; i < n; i++) x[i - from] = c.step[i] / scale.stepsPerEpoch;
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
      const lo = bounds[e];
      const to = e < ends.length ? bounds[e + 1] : n;
      const per = e < ends.length ? to - lo : Math.max(1, bounds[e] - bounds[e - 1] || to - lo);
      for (let k = Math.max(lo, from); k < to; k++) x[k - from] = e + (k - lo + 1) / per;
    }
  } else {
    x.set(c.step.subarray(from, n));
  }
  return x;
}

function xValues(tag: string, c: ScalarColumns, query: ScalarQuery, start: number, scale: EpochScale, from: number): ArrayLike<number> {
  switch (query.xAxis) {
    case 'epoch': return epochX(tag, c, scale, from);
    case 'wall': return c.wall.subarray(from, c.length);
    case 'relative': return c.wall.subarray(from, c.length).map((w) => w - start);
    default: return c.step.subarray(from, c.length);
  }
}

/** The settings a series was computed with: a cursor from other settings is not used. */
function settings(tag: string, query: ScalarQuery, start: number, scale: EpochScale): string {
  const epochs = query.xAxis !== 'epoch' || tag.startsWith('epoch_') || !scale ? '' : 'stepsPerEpoch' in scale ? `/${scale.stepsPerEpoch}` : `@${scale.epochEnds.length}`;
  return `${query.xAxis}${epochs} ${query.smoothingKind} ${query.smoothing} ${query.width} ${query.xAxis === 'relative' ? start : ''}`;
}

/** Whether new points leave the points before them as they were. */
function appendable(tag: string, query: ScalarQuery, scale: EpochScale): boolean {
  const movingWindow = query.smoothing > 0 && query.smoothingKind === 'moving-average';
  const byWallTime = query.xAxis === 'epoch' && !tag.startsWith('epoch_') && scale !== null && 'epochEnds' in scale;
  return !movingWindow && !byWallTime;
}

/** The cursor's resume point when it fits a series of `n` points downsampled in buckets of `bucket`. */
function resumeFrom(since: SeriesCursor | undefined, key: string, n: number, bucket: number): SeriesCursor['resume'] {
  const r = since?.query === key && since.count <= n ? since.resume : undefined;
  if (!r || r.bucket !== bucket || !Number.isInteger(r.from) || r.from < 0 || r.from >= n || r.from % bucket !== 0) return undefined;
  if (!Number.isInteger(r.raw) || !Number.isInteger(r.smoothed) || r.raw < 0 || r.smoothed < 0) return undefined;
  return r;
}

/**
 * The series of one tag; null when `since` shows the client already holds all of it. With a
 * fitting `since`, only the points from its resume index on, as an append.
 */
export function scalarSeries(run: string, tag: string, split: RunSplit, c: ScalarColumns, query: ScalarQuery, start: number, scale: EpochScale): ScalarSeries;
export function scalarSeries(run: string, tag: string, split: RunSplit, c: ScalarColumns, query: ScalarQuery, start: number, scale: EpochScale, since: SeriesCursor | undefined): ScalarSeries | null;
export function scalarSeries(run: string, tag: string, split: RunSplit, c: ScalarColumns, query: ScalarQuery, start: number, scale: EpochScale, since?: SeriesCursor): ScalarSeries | null {
  const n = c.length;
  const key = settings(tag, query, start, scale);
  if (since && since.query === key && since.count === n) return null;
  const y = c.value.subarray(0, n);
  const s = query.smoothing;
  const bucket = bucketSize(n, query.width);
  const canAppend = appendable(tag, query, scale);
  let resume = canAppend ? resumeFrom(since, key, n, bucket) : undefined;
  const ema = s > 0 && query.smoothingKind === 'ema';
  // A series that was constant is drawn unsmoothed: a new value that differs smooths all of it.
  if (ema && resume && (!resume.ema || (resume.ema.constant && !isConstant(y, resume.from, n, y[0])))) resume = undefined;
  const from = resume?.from ?? 0;
  const tail = n > 0 ? Math.floor((n - 1) / bucket) * bucket : 0;  // the newest bucket: where the next append starts

  const x = xValues(tag, c, query, start, scale, from);
  const window = y.subarray(from, n);
  let smoothed: ArrayLike<number> = window;
  let emaAtTail: { last: number; n: number; constant: boolean } | undefined;
  if (ema) {
    const constant = resume ? resume.ema!.constant : n === 0 || isConstant(y, 0, n, y[0]);
    const state: EmaState = resume && !constant ? { last: resume.ema!.last, n: resume.ema!.n } : { last: 0, n: 0 };
    if (!constant) {
      const out = new Float64Array(n - from);
      emaContinue(y, s, from, Math.max(from, tail), state, out);
      emaAtTail = { ...state, constant };
      emaContinue(y, s, Math.max(from, tail), n, state, out.subarray(Math.max(from, tail) - from));
      smoothed = out;
    } else {
      emaAtTail = { last: 0, n: 0, constant };
    }
  } else if (s > 0) {
    smoothed = movingAverage(y, Math.round(s * 100));
  }
  const rawKept = keptIndices(window, bucket, from, n);
  const smoothKept = smoothed === window ? rawKept : keptIndices(smoothed, bucket, from, n);
  const before = (kept: number[]) => {
    let k = 0;
    while (k < kept.length && kept[k] < tail) k++;
    return k;
  };
  const rawBefore = (resume?.raw ?? 0) + before(rawKept);
  const cursor: SeriesCursor = {
    run, tag, split, count: n, query: key,
    ...(canAppend && n > 0 ? { resume: { from: tail, bucket, raw: rawBefore, smoothed: (resume?.smoothed ?? 0) + before(smoothKept), ...(emaAtTail ? { ema: emaAtTail } : {}) } } : {}),
  };
  return {
    run, tag, split,
    count: n,
    downsampled: (resume?.raw ?? 0) + rawKept.length < n,
    raw: { x: pick(x, rawKept, from), y: pick(window, rawKept, from) },
    smoothed: { x: pick(x, smoothKept, from), y: pick(smoothed, smoothKept, from) },
    last: n > 0 ? { x: x[n - 1 - from], y: y[n - 1], step: c.step[n - 1] } : null,
    ...(resume ? { append: { raw: resume.raw, smoothed: resume.smoothed } } : {}),
    cursor,
  };
}
