import type { MetricPoint } from '../../common/contract/index.js';
import { scheduleFrame as defaultScheduleFrame, type ScheduleFrame } from './frameScheduler.js';

export const DEFAULT_METRICS_CAPACITY = 100_000;
/** The most points the chart draws. */
export const CHART_MAX_POINTS = 500;

interface Sample {
  indices: number[];
  spans: (readonly [number, number])[];
}

/** A point as the chart draws it: the raw loss and its smoothed value. */
export interface ChartPoint extends MetricPoint {
  smoothed: number;
}

/**
 * Per-step metrics of the current run, kept outside React in typed-array rings. Appends are
 * cheap; subscribers hear about them at most once per animation frame, batched. Components read
 * it with `useSyncExternalStore(buffer.subscribe, buffer.getVersion)`.
 */
export class MetricsBuffer {
  readonly capacity: number;
  private readonly steps: Float64Array;
  private readonly epochs: Float64Array;
  private readonly losses: Float64Array;
  /** Index of the oldest point. */
  private head = 0;
  private count = 0;
  private received = 0;
  private firstPoint: MetricPoint | undefined;
  private versionCounter = 0;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;
  private sampleCache: { version: number; max: number; sample: Sample } | undefined;

  constructor(capacity = DEFAULT_METRICS_CAPACITY, private readonly scheduleFrame: ScheduleFrame = defaultScheduleFrame) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive whole number, got ${capacity}`);
    this.capacity = capacity;
    this.steps = new Float64Array(capacity);
    this.epochs = new Float64Array(capacity);
    this.losses = new Float64Array(capacity);
  }

  /** Points held now (at most `capacity`; the oldest go first). */
  get size(): number {
    return this.count;
  }

  /** Points appended since the last clear, including those the ring has dropped. */
  get total(): number {
    return this.received;
  }

  /** Changes on every append and clear. */
  get version(): number {
    return this.versionCounter;
  }

  /** Stable function for useSyncExternalStore's getSnapshot. */
  readonly getVersion = (): number => this.versionCounter;

  /** Stable function for useSyncExternalStore's subscribe. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  append(points: readonly MetricPoint[]): void {
    if (points.length === 0) return;
    const cap = this.capacity;
    // Only the last `capacity` points of a huge batch can survive.
    const start = Math.max(0, points.length - cap);
    for (let i = start; i < points.length; i++) {
      const p = points[i];
      const slot = (this.head + this.count) % cap;
      this.steps[slot] = p.step;
      this.epochs[slot] = p.epoch;
      this.losses[slot] = p.loss;
      if (this.count < cap) this.count++;
      else this.head = (this.head + 1) % cap;
    }
    this.firstPoint ??= { step: points[0].step, epoch: points[0].epoch, loss: points[0].loss };
    this.received += points.length;
    this.changed();
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.received = 0;
    this.firstPoint = undefined;
    this.changed();
  }

  /** The i-th point held, oldest first. */
  at(i: number): MetricPoint | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    const slot = (this.head + i) % this.capacity;
    return { step: this.steps[slot], epoch: this.epochs[slot], loss: this.losses[slot] };
  }

  /** The oldest point held (after a wrap-around, not the run's first: see `firstReceived`). */
  first(): MetricPoint | undefined {
    return this.at(0);
  }

  /** The first point appended since the last clear, even if the ring has dropped it since. */
  firstReceived(): MetricPoint | undefined {
    return this.firstPoint;
  }

  last(): MetricPoint | undefined {
    return this.at(this.count - 1);
  }

  /** Every point held, oldest first (for export and tests; the chart uses `downsample`). */
  toArray(): MetricPoint[] {
    const out: MetricPoint[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i)!);
    return out;
  }

  /**
   * At most `maxPoints` points for drawing: everything when it fits, else the first and last
   * point plus the lowest and highest loss of each of equal buckets in between (in step order),
   * so spikes stay visible. Cached per version.
   */
  downsample(maxPoints = CHART_MAX_POINTS): MetricPoint[] {
    return this.sampleIndices(maxPoints).map((i) => this.at(i)!);
  }

  /**
   * The chart's data: the downsampled points, each with the loss smoothed over every point held
   * (TensorBoard's debiased exponential moving average; `smoothing` 0 is none, 0.99 is heavy).
   * Where a drawn point stands for a bucket of points, its smoothed value is the bucket's mean,
   * so the smoothed curve does not inherit the spikes that min/max sampling keeps in the raw one.
   */
  chartView(maxPoints = CHART_MAX_POINTS, smoothing = 0): ChartPoint[] {
    const { indices, spans } = this.sample(maxPoints);
    const w = Math.min(Math.max(smoothing, 0), 0.999);
    const n = this.count;
    const smoothed = new Float64Array(n);
    let last = 0;
    let accumulated = 0;
    for (let i = 0; i < n; i++) {
      const loss = this.losses[(this.head + i) % this.capacity];
      if (Number.isFinite(loss) && w > 0) {
        last = last * w + (1 - w) * loss;
        accumulated++;
        smoothed[i] = last / (1 - Math.pow(w, accumulated));
      } else {
        smoothed[i] = loss;
      }
    }
    return indices.map((index, k) => {
      const [from, to] = spans[k];
      let sum = 0;
      for (let i = from; i < to; i++) sum += smoothed[i];
      const slot = (this.head + index) % this.capacity;
      return { step: this.steps[slot], epoch: this.epochs[slot], loss: this.losses[slot], smoothed: to - from === 1 ? smoothed[from] : sum / (to - from) };
    });
  }

  /** Tells subscribers now instead of on the next frame (e.g. when a run ends). */
  flush(): void {
    this.notifyScheduled = false;
    for (const listener of [...this.listeners]) listener();
  }

  /** Indices (oldest first) of the points `downsample` keeps; cached per version. */
  private sampleIndices(maxPoints: number): number[] {
    return this.sample(maxPoints).indices;
  }

  /** The kept indices and, for each, the span `[from, to)` of points it stands for. */
  private sample(maxPoints: number): Sample {
    const max = Math.max(2, Math.floor(maxPoints));
    const cached = this.sampleCache;
    if (cached && cached.version === this.versionCounter && cached.max === max) return cached.sample;
    const sample = this.computeSample(max);
    this.sampleCache = { version: this.versionCounter, max, sample };
    return sample;
  }

  private computeSample(max: number): Sample {
    const n = this.count;
    if (n <= max) {
      const indices = Array.from({ length: n }, (_, i) => i);
      return { indices, spans: indices.map((i) => [i, i + 1] as const) };
    }
    const indices: number[] = [0];
    const spans: (readonly [number, number])[] = [[0, 1]];
    const inner = n - 2; // points strictly between the first and the last
    const buckets = Math.max(1, Math.floor((max - 2) / 2));
    for (let b = 0; b < buckets; b++) {
      const from = 1 + Math.floor((b * inner) / buckets);
      const to = 1 + Math.floor(((b + 1) * inner) / buckets); // exclusive
      if (to <= from) continue;
      let minI = from;
      let maxI = from;
      for (let i = from; i < to; i++) {
        const loss = this.losses[(this.head + i) % this.capacity];
        if (loss < this.losses[(this.head + minI) % this.capacity]) minI = i;
        if (loss > this.losses[(this.head + maxI) % this.capacity]) maxI = i;
      }
      const a = Math.min(minI, maxI);
      const z = Math.max(minI, maxI);
      indices.push(a);
      spans.push([from, to]);
      if (z !== a) {
        indices.push(z);
        spans.push([from, to]);
      }
    }
    indices.push(n - 1);
    spans.push([n - 1, n]);
    return { indices, spans };
  }

  private changed(): void {
    this.versionCounter++;
    if (this.notifyScheduled || this.listeners.size === 0) return;
    this.notifyScheduled = true;
    this.scheduleFrame(() => {
      if (this.notifyScheduled) this.flush();
    });
  }
}
