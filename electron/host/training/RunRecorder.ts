/**
 * Writes a training run's folder as it trains (layout: runs/runLayout.ts): event files with the
 * tags Keras 3's TensorBoard callback writes with update_freq='batch' and histogram_freq=1 —
 * batch_<metric> per step (the epoch's running means, as Keras logs them), epoch_<metric> and
 * epoch_learning_rate per epoch in train/, epoch_<metric> and evaluation_<metric>_vs_iterations in
 * validation/, a histogram per weight per epoch (tag `<layer>/<weight>`) and of its gradient over
 * the training data's first batch (`<layer>/<weight>_grad`, TF1 Keras's write_grads tag) — plus Kiln's own
 * batch_samples_per_second, batch_step_seconds and epoch_data_wait_seconds; the hparams plugin's
 * session start and end; run.json; TensorFlow checkpoints; confusion matrices.
 *
 * Events are appended to the files every second by a timer (and run.json rewritten when it
 * changed), so a crash loses at most that second; every scalar also goes to the live run (when
 * given) that the dashboard reads while the run trains.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SessionEndStatus } from '../../../common/formats/tfevents/index.js';
import { gradientTag } from '../../../common/metrics/histogramTags.js';
import { EventsFile } from '../runs/eventsFile.js';
import type { LiveRun, LiveRuns } from '../runs/LiveRuns.js';
import { runHParams } from '../runs/runHParams.js';
import { CHECKPOINTS, CONFUSION_JSON, MISCLASSIFIED_JSON, RUN_JSON, type ConfusionFile, type MisclassifiedFile } from '../runs/runLayout.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import type { EpochLogs } from './callbacks.js';
import type { Confusion } from './confusion.js';
import type { RunFile, RunSplit } from './runFile.js';
import { writeTfCheckpoint } from './tfCheckpoint.js';
import type { Weights } from './weightsFile.js';

export const FLUSH_MS = 1000;

export interface RecorderOptions {
  /** The shapes of the model's weights (checkpoints need them). */
  shapes: Map<string, number[]>;
  live?: LiveRuns;
  /** Whether the run has validation data (a validation/ folder). */
  validation: boolean;
}

export class RunRecorder {
  private readonly root: EventsFile;
  private readonly train: EventsFile;
  private readonly validation: EventsFile | undefined;
  private readonly live: LiveRun | undefined;
  private readonly tags = new Map<string, Set<RunSplit>>();
  private readonly timer: NodeJS.Timeout;
  private confusion: ConfusionFile | undefined;
  private dirty = true;
  /** A write the timer could not do (a full disk): the next call from training throws it. */
  private failure: Error | undefined;

  /** Creates `dir` (which must not hold a run) with `file` as its run.json. */
  constructor(readonly dir: string, readonly file: RunFile, private readonly options: RecorderOptions) {
    mkdirSync(join(dir, CHECKPOINTS), { recursive: true });
    file.pid = process.pid;
    file.host = hostname();
    file.has = { histograms: false, confusion: false, misclassified: false };
    this.writeRunFile();
    const start = Date.now() / 1000;
    this.root = EventsFile.create(dir);
    this.root.events.hparams({ kind: 'sessionStart', sessionStart: { hparams: runHParams(file), startTimeSecs: start } });
    this.root.flush();
    this.train = EventsFile.create(join(dir, 'train'));
    this.validation = options.validation ? EventsFile.create(join(dir, 'validation')) : undefined;
    this.live = options.live?.start(dir, start);
    if (this.live) {
      this.live.annotate = (patch) => {
        Object.assign(this.file, patch);
        this.writeRunFile();
      };
    }
    this.timer = setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        this.failure ??= err as Error;
      }
    }, FLUSH_MS);
    this.timer.unref();
  }

  /** One training step: the epoch's running means so far, and the step's size and time. */
  step(globalStep: number, logs: EpochLogs, samples: number, stepSeconds: number): void {
    this.check();
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) values[`batch_${k}`] = v;
    values.batch_samples_per_second = samples / stepSeconds;
    values.batch_step_seconds = stepSeconds;
    this.scalars('train', globalStep, values);
    this.file.steps = globalStep;
    this.dirty = true;
  }

  /**
   * One epoch's end (`epoch` from 0, TensorBoard's step for epoch_* tags): Keras's logs split
   * into train and validation, the data wait, and each weight's histogram.
   */
  epoch(epoch: number, globalStep: number, logs: EpochLogs, dataWait: number, weights: Weights): void {
    this.check();
    const train: Record<string, number> = {};
    const validation: Record<string, number> = {};
    const evaluation: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) {
      if (k.startsWith('val_')) {
        validation[`epoch_${k.slice(4)}`] = v;
        evaluation[`evaluation_${k.slice(4)}_vs_iterations`] = v;
      } else {
        train[`epoch_${k}`] = v;
      }
    }
    train.epoch_data_wait_seconds = dataWait;
    this.scalars('train', epoch, train);
    if (this.validation && Object.keys(validation).length > 0) {
      this.scalars('validation', epoch, validation);
      this.scalars('validation', globalStep, evaluation);
    }
    for (const [name, values] of Object.entries(weights)) this.train.events.histogram(name, values, epoch);
    if (Object.keys(weights).length > 0) this.file.has!.histograms = true;
    this.dirty = true;
  }

  /** The gradient of each trainable weight at the end of `epoch` (from 0), as a histogram beside the weight's. */
  gradients(epoch: number, gradients: Weights): void {
    this.check();
    for (const [name, values] of Object.entries(gradients)) this.train.events.histogram(gradientTag(name), values, epoch);
    if (Object.keys(gradients).length > 0) this.file.has!.histograms = true;
    this.dirty = true;
  }

  /** The validation confusion matrix of `epoch` (from 1) and its misclassified samples, with what it cost. */
  classification(epoch: number, classNames: string[], result: Confusion, cost: { samples: number; seconds: number }): void {
    this.check();
    this.confusion ??= { classNames, epochs: [] };
    this.confusion.epochs.push({ epoch, counts: result.counts });
    writeFileAtomic(join(this.dir, CONFUSION_JSON), JSON.stringify(this.confusion));
    const wrong: MisclassifiedFile = { epoch, classNames, samples: result.misclassified };
    writeFileAtomic(join(this.dir, MISCLASSIFIED_JSON), JSON.stringify(wrong));
    this.file.has!.confusion = true;
    this.file.has!.misclassified = true;
    this.file.confusion ??= { samples: cost.samples, seconds: [] };
    this.file.confusion.seconds.push(cost.seconds);
    this.dirty = true;
  }

  /** Writes `weights` as the `which` checkpoint of `epoch` (from 1); returns its prefix, relative to the run. */
  checkpoint(which: 'last' | 'best' | 'final', epoch: number, weights: Weights): string {
    this.check();
    writeTfCheckpoint(join(this.dir, CHECKPOINTS, which), epoch, weights, this.options.shapes, { keep: 1 });
    const prefix = `${CHECKPOINTS}/${which}/ckpt-${epoch}`;
    this.file.checkpoints[which] = prefix;
    this.dirty = true;
    return prefix;
  }

  /** run.json changed (the caller updated `file`). */
  touch(): void {
    this.dirty = true;
  }

  /** Appends buffered events to the files, and rewrites run.json if it changed. */
  flush(): void {
    this.train.flush();
    this.validation?.flush();
    if (this.dirty) this.writeRunFile();
  }

  /** The run's end: the hparams session end, the files flushed and closed, the live run gone. */
  end(): void {
    clearInterval(this.timer);
    const status = this.file.status === 'completed' || this.file.status === 'stopped' ? SessionEndStatus.SUCCESS : SessionEndStatus.FAILURE;
    try {
      this.root.events.hparams({ kind: 'sessionEnd', sessionEnd: { status, endTimeSecs: Date.now() / 1000 } });
      for (const f of [this.root, this.train, this.validation]) f?.close();
      this.writeRunFile();
    } finally {
      this.options.live?.end(this.dir);
    }
  }

  private scalars(split: RunSplit, step: number, values: Record<string, number>): void {
    const file = split === 'validation' ? this.validation! : this.train;
    const wall = Date.now() / 1000;
    file.events.scalars(step, values, wall);
    for (const [tag, v] of Object.entries(values)) {
      this.live?.add(split, tag, step, wall, v);
      let splits = this.tags.get(tag);
      if (!splits) this.tags.set(tag, (splits = new Set()));
      if (!splits.has(split)) {
        splits.add(split);
        this.file.tags = [...this.tags].map(([t, s]) => ({ tag: t, splits: [...s].sort() })).sort((a, b) => (a.tag < b.tag ? -1 : 1));
      }
    }
  }

  private writeRunFile(): void {
    this.file.updatedAt = new Date().toISOString();
    writeFileAtomic(join(this.dir, RUN_JSON), `${JSON.stringify(this.file, null, 2)}\n`);
    this.dirty = false;
  }

  private check(): void {
    if (this.failure) throw new Error(`cannot write the run's files in ${this.dir}: ${this.failure.message}`);
  }
}
