// Downsampling for drawing (common/metrics/downsample.ts, runs/scalarSeries.ts): every bucket's
// extremes and the newest point are kept, non-finite values are never dropped, and a series that
// was downsampled says so.
import { describe, expect, it } from 'vitest';
import type { ScalarQuery } from '../../../common/contract/index.js';
import { downsampleIndices, pick } from '../../../common/metrics/downsample.js';
import { ScalarColumns } from '../../../electron/host/runs/EventsScanner.js';
import { scalarSeries } from '../../../electron/host/runs/scalarSeries.js';

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
