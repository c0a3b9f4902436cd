import { METRICS_MAX_HZ, type MetricPoint } from '../../common/contract/index.js';

/**
 * Collects per-step metrics from the engine and hands them on in batches, at most
 * METRICS_MAX_HZ times a second, so a fast run cannot flood the renderer.
 */
export class MetricsBatcher {
  private pending: MetricPoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private readonly intervalMs = 1000 / METRICS_MAX_HZ;

  constructor(private readonly deliver: (points: MetricPoint[]) => void) {}

  add(points: MetricPoint[]): void {
    for (const p of points) this.pending.push(p);
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Resolves once everything added so far is delivered, keeping to the rate limit. */
  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now());
    await new Promise((resolve) => setTimeout(resolve, wait));
    this.flush();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    this.lastFlush = Date.now();
    this.deliver(points);
  }
}
