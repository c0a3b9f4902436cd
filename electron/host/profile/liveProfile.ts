/**
 * Profiling a window of N steps of a run while it trains: the engine turns its timers on at the
 * next whole-batch step and off after N of them (NativeModel.profileSteps, safe during fit, so
 * training never pauses for it); the step that completes the window says so in its fit event,
 * and the report is built from what the engine gathered over those steps: per-op times, the last
 * step per thread, and measured memory. There is no overhead figure: the same steps cannot also
 * run with the timers off.
 */
import type { ModelAnalysis } from '../../../common/model/analyzeModel.js';
import type { EngineModelSpec } from '../../../common/model/engineSpec.js';
import { buildProfileReport, type PeakInfo, type ProfileReport } from '../../../common/profile/index.js';
import type { NativeModel } from '../addon.js';

/** The run's model as runTraining built it. */
export interface LiveTarget {
  model: NativeModel;
  spec: EngineModelSpec;
  analysis: ModelAnalysis;
  batchSize: number;
  backend: string;
  /** Steps the run had trained before this model's first (a resumed run): engine steps count from 0. */
  stepOffset: number;
}

interface Pending {
  steps: number;
  peak?: PeakInfo;
  resolve(report: ProfileReport): void;
  reject(error: Error): void;
}

/** Thrown for a request the run cannot answer (one already profiling, the run over). */
export class LiveProfileError extends Error {}

export class LiveProfiler {
  private target: LiveTarget | undefined;
  private pending: Pending | undefined;
  private ended: string | undefined;

  /** `run`: the run's folder, recorded in the report. */
  constructor(private readonly run?: string) {}

  /** Profiles the next `steps` whole-batch steps; resolves when the last of them is done. */
  profile(steps: number, options: { peak?: PeakInfo } = {}): Promise<ProfileReport> {
    if (this.ended !== undefined) return Promise.reject(new LiveProfileError(this.ended));
    if (this.pending) return Promise.reject(new LiveProfileError('this run is already being profiled: wait for that profile to finish'));
    return new Promise<ProfileReport>((resolve, reject) => {
      this.pending = { steps, resolve, reject, ...(options.peak ? { peak: options.peak } : {}) };
      this.target?.model.profileSteps(steps);
    });
  }

  /** runTraining: the run's model is built (a request made before starts now). */
  attach(target: LiveTarget): void {
    this.target = target;
    if (this.pending) target.model.profileSteps(this.pending.steps);
  }

  /** runTraining: a step event said the window is complete. */
  windowDone(): void {
    const pending = this.pending;
    const target = this.target;
    if (!pending || !target) return;
    this.pending = undefined;
    const w = target.model.profileWindow();
    if (!w) {
      pending.reject(new Error('the engine reported a finished profile but has none'));
      return;
    }
    try {
      const offset = target.stepOffset;
      pending.resolve(buildProfileReport({
        analysis: target.analysis, spec: target.spec, batchSize: target.batchSize, backend: target.backend,
        windows: [{
          firstStep: w.firstStep + offset, lastStep: w.timeline.step + offset, steps: w.steps, rows: w.rows,
          dataWaitSeconds: w.dataWaitSeconds, wallSeconds: w.wallSeconds, loss: w.loss,
        }],
        memory: w.memory, timeline: { ...w.timeline, step: w.timeline.step + offset },
        ...(this.run !== undefined ? { run: this.run } : {}),
        ...(pending.peak ? { peak: pending.peak } : {}),
      }));
    } catch (err) {
      pending.reject(err as Error);
    }
  }

  /** The run ended: a profile still waiting for steps fails, and later requests are refused. */
  detach(): void {
    this.ended ??= 'the run is no longer training: profile a running run';
    this.target = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new LiveProfileError(`the run ended before ${pending.steps} steps could be profiled: profile fewer steps, or a longer run`));
  }
}
