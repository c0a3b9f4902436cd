/** Keras-style training output: a live progress bar on a terminal, one line per epoch elsewhere. */
import type { EpochInfo, StepInfo } from '../training/runTraining.js';
import { formatLogs } from './shared.js';

const WIDTH = 20;

function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${s}s`;
}

function perStep(seconds: number, steps: number): string {
  const t = seconds / Math.max(steps, 1);
  if (t >= 1) return `${t.toFixed(0)}s/step`;
  if (t >= 1e-3) return `${(t * 1e3).toFixed(0)}ms/step`;
  return `${(t * 1e6).toFixed(0)}us/step`;
}

export class ProgressPrinter {
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream, private readonly live: boolean) {}

  private bar(step: number, steps: number): string {
    const done = Math.floor((WIDTH * step) / steps);
    return `${'━'.repeat(done)}\x1b[2m${'━'.repeat(WIDTH - done)}\x1b[0m`;
  }

  step(s: StepInfo): void {
    if (!this.live) return;
    if (s.step === 1) this.out.write(`Epoch ${s.epoch}/${s.epochs}\n`);
    const now = Date.now();
    if (now - this.lastDraw < 50 && s.step < s.steps) return;
    this.lastDraw = now;
    const eta = (s.seconds / s.step) * (s.steps - s.step);
    const line = `${String(s.step).padStart(String(s.steps).length)}/${s.steps} ${this.bar(s.step, s.steps)} ${formatEta(eta)} ${perStep(s.seconds, s.step)} - ${formatLogs(s.logs)}`;
    this.out.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  epoch(e: EpochInfo): void {
    const logs = formatLogs(e.logs);
    if (this.live) {
      this.out.write(`\r${e.steps}/${e.steps} ${this.bar(e.steps, e.steps)} ${formatEta(e.seconds)} ${perStep(e.seconds, e.steps)} - ${logs}\x1b[K\n`);
      this.drawn = false;
    } else {
      this.out.write(`Epoch ${e.epoch}/${e.epochs}\n${e.steps}/${e.steps} - ${formatEta(e.seconds)} - ${perStep(e.seconds, e.steps)} - ${logs}\n`);
    }
  }

  /** Ends a half-drawn bar (before a note or after an interruption). */
  breakLine(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
