import { describe, expect, it, vi } from 'vitest';
import type { MetricPoint } from '../../../common/contract/index.js';
import { MetricsBuffer } from '../../../renderer/stores/metricsBuffer.js';

function points(from: number, count: number): MetricPoint[] {
  return Array.from({ length: count }, (_, i) => ({ step: from + i, epoch: Math.floor((from + i) / 10), loss: 1 / (1 + from + i) }));
}

/** A scheduler the test runs by hand, standing in for requestAnimationFrame. */
function manualFrames() {
  const queue: (() => void)[] = [];
  return {
    schedule: (callback: () => void) => void queue.push(callback),
    run() {
      const now = queue.splice(0);
      for (const callback of now) callback();
      return now.length;
    },
    get pending() {
      return queue.length;
    },
  };
}

describe('MetricsBuffer', () => {
  it('appends points in order and reports first, last and size', () => {
    const buffer = new MetricsBuffer(100);
    expect(buffer.size).toBe(0);
    expect(buffer.first()).toBeUndefined();
    expect(buffer.last()).toBeUndefined();
    buffer.append(points(0, 3));
    buffer.append(points(3, 2));
    expect(buffer.size).toBe(5);
    expect(buffer.total).toBe(5);
    expect(buffer.first()).toEqual({ step: 0, epoch: 0, loss: 1 });
    expect(buffer.last()).toEqual({ step: 4, epoch: 0, loss: 1 / 5 });
    expect(buffer.toArray().map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it('wraps around, keeping the newest points in order', () => {
    const buffer = new MetricsBuffer(4);
    buffer.append(points(0, 3));
    buffer.append(points(3, 3)); // 6 points into 4 slots
    expect(buffer.size).toBe(4);
    expect(buffer.total).toBe(6);
    expect(buffer.toArray().map((p) => p.step)).toEqual([2, 3, 4, 5]);
    expect(buffer.first()?.step).toBe(2);
    expect(buffer.last()?.step).toBe(5);
    expect(buffer.firstReceived()?.step).toBe(0); // the run's first point survives the wrap
    // A batch larger than the ring keeps its own last points.
    buffer.append(points(100, 9));
    expect(buffer.toArray().map((p) => p.step)).toEqual([105, 106, 107, 108]);
    expect(buffer.total).toBe(15);
  });

  it('clears', () => {
    const buffer = new MetricsBuffer(4);
    buffer.append(points(0, 6));
    const before = buffer.version;
    buffer.clear();
    expect(buffer.size).toBe(0);
    expect(buffer.total).toBe(0);
    expect(buffer.first()).toBeUndefined();
    expect(buffer.firstReceived()).toBeUndefined();
    expect(buffer.version).toBeGreaterThan(before);
    buffer.append(points(0, 1));
    expect(buffer.toArray()).toEqual([{ step: 0, epoch: 0, loss: 1 }]);
  });

  it('downsamples to at most the limit, keeping the first and last point', () => {
    const buffer = new MetricsBuffer(100_000);
    buffer.append(points(0, 10_000));
    const view = buffer.downsample(500);
    expect(view.length).toBeLessThanOrEqual(500);
    expect(view.length).toBeGreaterThan(400);
    expect(view[0]).toEqual(buffer.first());
    expect(view[view.length - 1]).toEqual(buffer.last());
    const steps = view.map((p) => p.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps); // still in step order
    // Small buffers come back whole.
    const small = new MetricsBuffer(10);
    small.append(points(0, 7));
    expect(small.downsample(500)).toEqual(small.toArray());
  });

  it('keeps spikes when downsampling', () => {
    const buffer = new MetricsBuffer(10_000);
    const data = points(0, 5000).map((p) => ({ ...p, loss: 0.5 }));
    data[2345] = { ...data[2345], loss: 99 };
    buffer.append(data);
    expect(buffer.downsample(100).some((p) => p.loss === 99)).toBe(true);
  });

  it('downsamples a wrapped ring with its real first and last point', () => {
    const buffer = new MetricsBuffer(1000);
    buffer.append(points(0, 2500));
    const view = buffer.downsample(50);
    expect(view.length).toBeLessThanOrEqual(50);
    expect(view[0].step).toBe(1500);
    expect(view[view.length - 1].step).toBe(2499);
  });

  it('chartView smooths like TensorBoard and samples the same points as downsample', () => {
    const buffer = new MetricsBuffer(10_000);
    buffer.append(points(0, 3000).map((p) => ({ ...p, loss: 2 })));
    const view = buffer.chartView(200, 0.6);
    expect(view.map(({ step, epoch, loss }) => ({ step, epoch, loss }))).toEqual(buffer.downsample(200));
    for (const p of view) expect(p.smoothed).toBeCloseTo(2, 10); // debiased: a constant stays constant
    const raw = new MetricsBuffer(10);
    raw.append([{ step: 1, epoch: 0, loss: 1 }, { step: 2, epoch: 0, loss: 0 }]);
    expect(raw.chartView(500, 0).map((p) => p.smoothed)).toEqual([1, 0]);
    const smoothed = raw.chartView(500, 0.5).map((p) => p.smoothed);
    expect(smoothed[0]).toBeCloseTo(1);
    expect(smoothed[1]).toBeCloseTo(0.25 / 0.75); // (0.5*0.5*1 + 0.5*0) / (1 - 0.25)
  });

  it('notifies subscribers once per frame, however many appends', () => {
    const frames = manualFrames();
    const buffer = new MetricsBuffer(100, frames.schedule);
    const listener = vi.fn();
    const unsubscribe = buffer.subscribe(listener);
    buffer.append(points(0, 1));
    buffer.append(points(1, 1));
    buffer.append(points(2, 1));
    expect(listener).not.toHaveBeenCalled();
    expect(frames.pending).toBe(1);
    frames.run();
    expect(listener).toHaveBeenCalledTimes(1);
    buffer.append(points(3, 1));
    frames.run();
    expect(listener).toHaveBeenCalledTimes(2);
    unsubscribe();
    buffer.append(points(4, 1));
    frames.run();
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('flush notifies now and cancels the pending frame notification', () => {
    const frames = manualFrames();
    const buffer = new MetricsBuffer(100, frames.schedule);
    const listener = vi.fn();
    buffer.subscribe(listener);
    buffer.append(points(0, 1));
    buffer.flush();
    expect(listener).toHaveBeenCalledTimes(1);
    frames.run();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('falls back to a timer where there is no requestAnimationFrame (Node)', async () => {
    expect((globalThis as { requestAnimationFrame?: unknown }).requestAnimationFrame).toBeUndefined();
    const buffer = new MetricsBuffer(100);
    const listener = vi.fn();
    buffer.subscribe(listener);
    buffer.append(points(0, 2));
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(1));
  });
});
