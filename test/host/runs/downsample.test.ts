// Downsampling for drawing (common/metrics/downsample.ts, runs/scalarSeries.ts): every bucket's
// extremes and the newest point are kept, non-finite values are never dropped, and a series that
// was downsampled says so; a live series polled with cursors and merged by the client
// (common/metrics/mergeSeries.ts) is, after every poll, exactly the series computed whole.
import { describe, expect, it } from 'vitest';
import type { ScalarQuery, ScalarSeries } from '../../../common/contract/index.js';
import { bucketSize, downsampleIndices, pick } from '../../../common/metrics/downsample.js';
import { mergeSeries } from '../../../common/metrics/mergeSeries.js';
import { ScalarColumns } from '../../../electron/host/runs/EventsScanner.js';
import { scalarSeries, type EpochScale } from '../../../electron/host/runs/scalarSeries.js';
import { prng } from '../../support/specs.js';

describe('downsampleIndices', () => {
  it('keeps everything when the series fits', () => {
    expect([...downsampleIndices([3, 1, 2], 10)]).toEqual([0, 1, 2]);
  });

  it('keeps the first point, the newest, and each bucket\'s minimum and maximum in order', () => {
    const y = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50));
    y[1234] = 100;   // a spike
    y[8765] = -100;  // a dip
    const kept = downsampleIndices(y, 500);
    expect(kept.length).toBeLessThanOrEqual(500);
    expect(kept.length).toBeGreaterThan(400);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(y.length - 1);
    expect([...kept]).toContain(1234);
    expect([...kept]).toContain(8765);
    for (let k = 1; k < kept.length; k++) expect(kept[k]).toBeGreaterThan(kept[k - 1]);
    const values = pick(y, kept);
    expect(Math.max(...values)).toBe(100);
    expect(Math.min(...values)).toBe(-100);
  });

  it('cuts buckets of a size that changes seldom as a series grows, at most 5/4 of the smallest that fits', () => {
    expect(bucketSize(100, 100)).toBe(1);
    const sizes = Array.from({ length: 20_000 }, (_, n) => bucketSize(n + 101, 100));
    expect(new Set(sizes).size).toBeLessThan(40);
    for (let n = 101; n <= 20_100; n++) {
      const size = sizes[n - 101];
      expect(2 * Math.ceil(n / size) + 2).toBeLessThanOrEqual(100);
      expect(size).toBeLessThanOrEqual(1.25 * Math.ceil(n / 49));
    }
  });

  it('keeps non-finite values', () => {
    const y = Array.from({ length: 1000 }, (_, i) => i);
    y[500] = NaN;
    expect(pick(y, downsampleIndices(y, 20)).some(Number.isNaN)).toBe(true);
  });
});

describe('scalarSeries', () => {
  const columns = (n: number) => {
    const c = new ScalarColumns();
    for (let i = 1; i <= n; i++) c.push(i, 1000 + i / 10, i % 7 === 0 ? 10 : 1 / i);
    return c;
  };
  const query: ScalarQuery = { runs: ['r'], tags: ['batch_loss'], xAxis: 'step', smoothing: 0.6, smoothingKind: 'ema', width: 100 };

  it('marks a downsampled series, keeps its newest point, and smooths before downsampling', () => {
    const s = scalarSeries('r', 'batch_loss', 'train', columns(5000), query, 1000, null);
    expect(s.count).toBe(5000);
    expect(s.downsampled).toBe(true);
    expect(s.raw.x.length).toBeLessThanOrEqual(100);
    expect(s.raw.x.at(-1)).toBe(5000);
    expect(s.last).toEqual({ x: 5000, y: 1 / 5000, step: 5000 });
    expect(s.smoothed.x.at(-1)).toBe(5000);
    expect(Math.max(...s.raw.y)).toBe(10);
  });

  it('does not mark a series that fits, and gives x per axis', () => {
    const c = columns(10);
    expect(scalarSeries('r', 'batch_loss', 'train', c, query, 1000, null).downsampled).toBe(false);
    expect(scalarSeries('r', 'batch_loss', 'train', c, { ...query, xAxis: 'relative' }, 1000, null).raw.x[0]).toBeCloseTo(0.1, 9);
    expect(scalarSeries('r', 'batch_loss', 'train', c, { ...query, xAxis: 'wall' }, 1000, null).raw.x[0]).toBeCloseTo(1000.1, 9);
    expect(scalarSeries('r', 'batch_loss', 'train', c, { ...query, xAxis: 'epoch' }, 1000, { stepsPerEpoch: 4 }).raw.x.slice(0, 4)).toEqual([0.25, 0.5, 0.75, 1]);
    // epoch_ tags sit at their epoch's end.
    expect(scalarSeries('r', 'epoch_loss', 'train', c, { ...query, xAxis: 'epoch' }, 1000, { stepsPerEpoch: 4 }).raw.x.slice(0, 2)).toEqual([2, 3]);
    // Without steps per epoch: between the epoch ends, by wall time.
    const byTime = scalarSeries('r', 'batch_loss', 'train', c, { ...query, xAxis: 'epoch' }, 1000, { epochEnds: Float64Array.of(1000.5, 1000.8) });
    expect(byTime.raw.x).toEqual([0.2, 0.4, 0.6, 0.8, 1, 1 + 1 / 3, 1 + 2 / 3, 2, 2 + 1 / 3, 2 + 2 / 3]);
  });
});

describe('scalarSeries: a live series polled with cursors', () => {
  /** Grows a series in uneven pieces; after each, the client's merged copy must equal the whole series. */
  function follow(query: ScalarQuery, tag: string, scale: EpochScale) {
    const rand = prng(7);
    const c = new ScalarColumns();
    let held: ScalarSeries | undefined;
    const answers = { appends: 0, whole: 0, unchanged: 0, pointsSent: 0 };
    for (let step = 1; step <= 6000;) {
      const grow = rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 40);
      for (let k = 0; k < grow; k++, step++) {
        // Constant for a while (drawn unsmoothed), then noisy, with a NaN now and then.
        const v = step < 40 ? 2 : step % 997 === 0 ? NaN : Math.exp(-step / 2000) + rand() * 0.3;
        c.push(step, 1000 + step / 10, Math.fround(v));
      }
      const answer = scalarSeries('r', tag, 'train', c, query, 1000, scale, held?.cursor);
      if (!answer) answers.unchanged++;
      else {
        answers[answer.append ? 'appends' : 'whole']++;
        answers.pointsSent += answer.raw.x.length;
        held = mergeSeries(held, answer);
      }
      const { cursor: _c, ...whole } = scalarSeries('r', tag, 'train', c, query, 1000, scale);
      const { cursor: _h, ...mine } = held!;
      expect(mine, `after step ${step - 1}`).toEqual(whole);
    }
    return answers;
  }
  const ema: ScalarQuery = { runs: ['r'], tags: ['batch_loss'], xAxis: 'step', smoothing: 0.6, smoothingKind: 'ema', width: 120 };

  it('sends only the newest bucket on, with the EMA carried on, for the same bits as the whole series', () => {
    const answers = follow(ema, 'batch_loss', null);
    expect(answers.unchanged).toBeGreaterThan(0);
    expect(answers.appends).toBeGreaterThan(answers.whole * 5);
    // Far fewer points than whole answers would have sent (about 120 each).
    expect(answers.pointsSent / (answers.appends + answers.whole)).toBeLessThan(30);
  });

  it('follows every axis and no smoothing the same way', () => {
    for (const xAxis of ['wall', 'relative', 'epoch'] as const) {
      expect(follow({ ...ema, xAxis, smoothing: 0, width: 64 }, 'batch_loss', { stepsPerEpoch: 50 }).appends, xAxis).toBeGreaterThan(0);
    }
    expect(follow({ ...ema, xAxis: 'epoch' }, 'epoch_loss', null).appends).toBeGreaterThan(0);
  });

  it('sends the whole series when points already sent change: a moving average, epochs placed by wall time', () => {
    expect(follow({ ...ema, smoothingKind: 'moving-average', smoothing: 0.1 }, 'batch_loss', null).appends).toBe(0);
    const ends = { epochEnds: Float64Array.from({ length: 30 }, (_, e) => 1000 + (e + 1) * 20) };
    expect(follow({ ...ema, xAxis: 'epoch' }, 'batch_loss', ends).appends).toBe(0);
  });

  it('answers in full to a cursor from other settings', () => {
    const c = new ScalarColumns();
    for (let i = 1; i <= 500; i++) c.push(i, i, 1 / i);
    const first = scalarSeries('r', 'batch_loss', 'train', c, ema, 0, null);
    expect(scalarSeries('r', 'batch_loss', 'train', c, ema, 0, null, first.cursor)).toBeNull();
    const other = scalarSeries('r', 'batch_loss', 'train', c, { ...ema, smoothing: 0.9 }, 0, null, first.cursor)!;
    expect(other.append).toBeUndefined();
    expect(other.raw.x.length).toBe(first.raw.x.length);
  });
});
