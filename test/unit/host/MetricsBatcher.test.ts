import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricPoint } from '../../../common/contract/index.js';
import { MetricsBatcher } from '../../../electron/host/MetricsBatcher.js';

afterEach(() => {
  vi.useRealTimers();
});

const point = (step: number): MetricPoint => ({ step, epoch: 0, loss: 1 / step });

describe('MetricsBatcher', () => {
  it('delivers every point, in order, in at most 20 batches a second', async () => {
    vi.useFakeTimers();
    const batches: { at: number; points: MetricPoint[] }[] = [];
    const batcher = new MetricsBatcher((points) => batches.push({ at: Date.now(), points }));
    // 5000 steps spread over one simulated second.
    for (let step = 1; step <= 5000; step++) {
      batcher.add([point(step)]);
      if (step % 5 === 0) vi.advanceTimersByTime(1);
    }
    const drained = batcher.drain();
    await vi.runAllTimersAsync();
    await drained;
    expect(batches.flatMap((b) => b.points).map((p) => p.step)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(batches.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < batches.length; i++) expect(batches[i].at - batches[i - 1].at).toBeGreaterThanOrEqual(50);
  });

  it('drain with nothing pending resolves at once', async () => {
    const batcher = new MetricsBatcher(() => {
      throw new Error('nothing to deliver');
    });
    await expect(batcher.drain()).resolves.toBeUndefined();
  });
});
