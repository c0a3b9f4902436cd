/**
 * Starts and stops the studio's training runs, one at a time: reads the data, checks that it
 * fits the model, and trains with a run folder in the studio's logdir (so every studio run is a
 * TensorBoard run with run.json and checkpoints), streaming per-step metrics as engine events.
 * Both a new run (EngineService.startRun) and a resumed one (RunsService.resumeRun) start here.
 * The running run can be profiled for a window of steps while it trains (profileLive).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { EngineErrorCode, type EngineEvents, type RunEnd, type RunsEvents } from '../../../common/contract/index.js';
import { checkDataFitsModel } from '../../../common/data/checkLabels.js';
import { DataError } from '../../../common/data/dataset.js';
import { analyzeModel, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import type { PeakInfo, ProfileReport } from '../../../common/profile/index.js';
import { ServiceError } from '../../../common/rpc/index.js';
import { MetricsBatcher } from '../MetricsBatcher.js';
import { LiveProfiler } from '../profile/liveProfile.js';
import { DataSpecError, loadDataSpec, type DataOptions } from '../training/dataSpec.js';
import type { RunFile } from '../training/runFile.js';
import { runTraining, TrainingError } from '../training/runTraining.js';
import type { Weights } from '../training/weightsFile.js';
import type { LiveRuns } from './LiveRuns.js';

type Events = EngineEvents & RunsEvents;
export type Emit = <K extends keyof Events>(event: K, data: Events[K]) => void;

/** A data problem as the service's error: an unknown spec, or data that cannot be read or trained on. */
export function dataError(err: unknown): never {
  if (err instanceof DataSpecError) throw new ServiceError(EngineErrorCode.unknownDataset, err.message);
  if (err instanceof DataError) throw new ServiceError(EngineErrorCode.invalidData, err.message);
  throw err;
}

export interface LaunchRequest {
  model: ModelDoc;
  training: TrainingConfig;
  /** The data spec, read from `baseDir` (default: the launcher's) with these options. */
  dataset: string;
  dataOptions: DataOptions;
  baseDir?: string;
  /** Resuming: the weights, epochs and steps already trained, and where they come from. */
  initialWeights?: Weights;
  initialEpoch?: number;
  initialStep?: number;
  resumedFrom?: RunFile['resumedFrom'];
  /** A note for run.json (what a resume does not carry over). */
  note?: string;
}

export interface LauncherOptions {
  /** Where relative dataset paths start. */
  baseDir: string;
  /** Where run folders go. */
  logdir: string;
  live: LiveRuns;
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** "iris-20250101-120000" for sample:iris, "flowers-..." for a folder, "train-..." for train.csv. */
function runName(logdir: string, dataset: string, suffix = ''): string {
  const data = dataset.startsWith('sample:') ? dataset.slice('sample:'.length) : basename(dataset.replace(/[\\/]+$/, ''), extname(dataset));
  const base = `${data.replace(/[^A-Za-z0-9._-]+/g, '_') || 'run'}${suffix}-${timestamp()}`;
  let name = base;
  for (let k = 2; existsSync(join(logdir, name)); k++) name = `${base}-${k}`;
  return name;
}

export class RunLauncher {
  private active: { runId: string; run: string; controller: AbortController; profiler: LiveProfiler } | undefined;

  constructor(private readonly emit: Emit, readonly options: LauncherOptions) {}

  get logdir(): string { return this.options.logdir; }

  /** Throws when a run is training (one at a time). */
  assertIdle(): void {
    if (this.active) throw new ServiceError(EngineErrorCode.busy, 'A run is already training: stop it before starting another.');
  }

  /** Starts training, with the engine's run id and the run folder's id (its name in the logdir). */
  launch(request: LaunchRequest): { runId: string; run: string } {
    this.assertIdle();
    const { model } = request;
    const analysis = analyzeModel(model);
    if (analysis.issues.length > 0) {
      throw new ServiceError(EngineErrorCode.invalidModel, analysis.issues.map((i) => i.message).join('; '), { issues: analysis.issues });
    }
    const nameOf = (id: string) => model.layers.find((l) => l.id === id)!.name;
    const baseDir = request.baseDir ?? this.options.baseDir;
    let splits;
    try {
      splits = loadDataSpec(request.dataset, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, baseDir, request.dataOptions);
    } catch (err) {
      return dataError(err);
    }
    // Sources that split themselves (CSV, folders) have held validation out already; for the others
    // runTraining holds out the last samples, as Keras's fit(validation_split=...) does.
    const split = request.dataOptions.validationSplit ?? request.training.validationSplit;
    const training = { ...request.training, validationSplit: splits.validation ? 0 : split };
    const misfit = checkDataFitsModel(analysis, training, { ...splits.datasets.train, ...(splits.classNames ? { classNames: splits.classNames } : {}) });
    if (misfit.length > 0) throw new ServiceError(EngineErrorCode.invalidModel, misfit.join('; '), { issues: misfit.map((message) => ({ layerId: null, message })) });

    const runId = randomUUID();
    const name = runName(this.options.logdir, request.dataset, request.resumedFrom ? '-resumed' : '');
    const controller = new AbortController();
    const profiler = new LiveProfiler(name);
    this.active = { runId, run: name, controller, profiler };
    const batcher = new MetricsBatcher((points) => this.emit('run.didMetrics', { runId, points }));
    let steps = 0;
    const ended = runTraining({
      model, training, data: splits.train,
      ...(splits.validation ? { validation: splits.validation } : {}),
      ...(request.initialWeights ? { initialWeights: request.initialWeights } : {}),
      ...(request.initialEpoch ? { initialEpoch: request.initialEpoch } : {}),
      ...(request.initialStep ? { initialStep: request.initialStep } : {}),
      run: {
        logdir: this.options.logdir, name, data: request.dataset, dataBaseDir: baseDir, dataOptions: request.dataOptions,
        live: this.options.live,
        ...(splits.classNames ? { classNames: splits.classNames } : {}),
        ...(request.resumedFrom ? { resumedFrom: request.resumedFrom } : {}),
        ...(request.note ? { notes: [request.note] } : {}),
      },
      signal: controller.signal,
      profiler,
      onStep: (s) => {
        steps = s.globalStep;
        batcher.add([{ step: steps, epoch: s.epoch - 1, loss: s.batch.loss, dataWait: s.dataWait }]);
      },
    }).then(
      (r): RunEnd => ({
        runId, status: r.status, steps,
        ...(r.final?.loss !== undefined ? { loss: r.final.loss } : {}),
        ...(r.final?.accuracy !== undefined ? { accuracy: r.final.accuracy } : {}),
        ...(r.error ? { error: { code: 'ENGINE_ERROR', message: r.error } } : {}),
      }),
      (err: unknown): RunEnd => ({ runId, status: 'failed', error: { code: err instanceof TrainingError ? EngineErrorCode.invalidModel : 'ENGINE_ERROR', message: (err as Error).message } }),
    );
    void ended.then(async (end) => {
      profiler.detach();
      await batcher.drain();
      this.active = undefined;
      this.emit('run.didEnd', end);
      this.emit('runs.didChange', { logdir: this.options.logdir });
    });
    this.emit('runs.didChange', { logdir: this.options.logdir });
    return { runId, run: name };
  }

  /** Profiles the next `steps` steps of the training run whose folder is `run`, while it trains. */
  profileLive(run: string, steps: number, options: { peak?: PeakInfo } = {}): Promise<ProfileReport> {
    if (!this.active || this.active.run !== run) {
      throw new ServiceError(EngineErrorCode.unknownRun, `the run "${run}" is not training in this studio: only its running run can be profiled live`);
    }
    return this.active.profiler.profile(steps, options);
  }

  stop(runId: unknown): void {
    if (!this.active || this.active.runId !== runId) {
      throw new ServiceError(EngineErrorCode.unknownRun, `no run "${String(runId)}" is training`);
    }
    this.active.controller.abort();
  }
}
