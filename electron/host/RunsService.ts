/**
 * The runs service (IRunsService): the runs of a logdir — the studio's, or one the user opens —
 * with their scalars smoothed and downsampled for drawing, histograms, confusion matrices and
 * misclassified samples, and the actions on a run. Reads go through a RunStore (the host-side
 * cache); resume goes through the engine's RunLauncher, as a new run in the studio's logdir.
 *
 * Every public method is an RPC method (the engine host serves them all); helpers live outside
 * the class.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  EngineErrorCode,
  type ConfusionMatrix,
  type HistogramSeries,
  type IRunsService,
  type Misclassified,
  type RunSummary,
  type ScalarQuery,
  type ScalarSeries,
  type XAxis,
} from '../../common/contract/index.js';
import type { ModelDoc, TrainingConfig } from '../../common/model/index.js';
import { ServiceError } from '../../common/rpc/index.js';
import type { LiveRuns } from './runs/LiveRuns.js';
import type { Emit, RunLauncher } from './runs/RunLauncher.js';
import { CONFUSION_JSON, MISCLASSIFIED_JSON, type ConfusionFile, type MisclassifiedFile } from './runs/runLayout.js';
import { runStatus } from './runs/runStatus.js';
import { scalarSeries, type EpochScale } from './runs/scalarSeries.js';
import { RunStore } from './runs/RunStore.js';
import { validationSamples } from './runs/validationSamples.js';
import { readRunWeights } from './training/readRun.js';
import type { RunFile, RunSplit } from './training/runFile.js';

/** Error codes of the runs service (besides the engine's UNKNOWN_RUN and RUN_ACTIVE). */
export const RunsErrorCode = {
  invalidRequest: 'INVALID_REQUEST',
  noLogdir: 'NO_LOGDIR',
  notKiln: 'NOT_A_KILN_RUN',
  cannotResume: 'CANNOT_RESUME',
} as const;

const AXES: XAxis[] = ['step', 'epoch', 'relative', 'wall'];
/** Misclassified samples sent with thumbnails. */
const MISCLASSIFIED_SHOWN = 48;

export interface RunsServiceOptions {
  /** Where the studio's runs go, and resumed runs start (the engine's launcher). */
  launcher: RunLauncher;
  live: LiveRuns;
  emit: Emit;
  /** The memory cap of loaded series, in bytes. */
  memoryBytes?: number;
}

export class RunsService implements IRunsService {
  private store: RunStore;
  private readonly views = new Map<string, { key: string; value: Misclassified }>();

  constructor(private readonly options: RunsServiceOptions) {
    this.store = newStore(options.launcher.logdir, options);
  }

  /** The logdir shown now, for the host's other services (a getter: not served over RPC). */
  get shownLogdir(): string {
    return this.store.logdir;
  }

  async logdir(): Promise<{ logdir: string }> {
    return { logdir: this.store.logdir };
  }

  async openLogdir(params: { logdir: string }): Promise<{ logdir: string; runs: RunSummary[] }> {
    const given = params?.logdir;
    if (typeof given !== 'string' || given.trim() === '') throw new ServiceError(RunsErrorCode.invalidRequest, 'give the folder to open (a TensorBoard logdir)');
    const logdir = resolve(given.trim());
    if (!isFolder(logdir)) throw new ServiceError(RunsErrorCode.noLogdir, `${logdir} is not a folder: choose the folder that holds your runs (what you pass to tensorboard --logdir)`);
    this.store = logdir === this.store.logdir ? this.store : newStore(logdir, this.options);
    this.views.clear();
    return { logdir, runs: this.store.list() };
  }

  async listRuns(): Promise<RunSummary[]> {
    if (!isFolder(this.store.logdir)) return [];  // the studio's logdir before its first run
    return this.store.list();
  }

  async scalars(query: ScalarQuery): Promise<ScalarSeries[]> {
    const q = checkQuery(query);
    const out: ScalarSeries[] = [];
    const since = new Map((q.since ?? []).map((c) => [seriesKey(c.run, c.split, c.tag), c]));
    for (const id of q.runs) {
      if (!known(this.store, id)) continue;  // deleted meanwhile: the next list says so
      const file = this.store.runFile(id);
      // Runs without steps per epoch map steps to epochs by their epoch_ tags' times: load one.
      const withEpochs = (split: RunSplit) => (q.xAxis === 'epoch' && !file?.stepsPerEpoch ? [...q.tags, ...this.store.tagNames(id, split).filter((t) => t.startsWith('epoch_')).slice(0, 1)] : q.tags);
      const splits = this.store.splits(id).map((split) => ({ split, columns: this.store.columns(id, split, withEpochs(split)) }));
      const start = q.xAxis === 'relative' ? this.store.startTime(id) : 0;
      const scale = q.xAxis === 'epoch' ? epochScale(file, splits) : null;
      for (const tag of q.tags) {
        for (const { split, columns } of splits) {
          const c = columns.get(tag);
          const series = c ? scalarSeries(id, tag, split, c, q, start, scale, since.get(seriesKey(id, split, tag))) : null;
          if (series) out.push(series);
        }
      }
    }
    return out;
  }

  async histograms(params: { run: string; tags?: string[] }): Promise<HistogramSeries[]> {
    const id = runId(this.store, params);
    const wanted = Array.isArray(params.tags) ? new Set(params.tags) : null;
    const out: HistogramSeries[] = [];
    for (const split of this.store.splits(id)) {
      for (const [tag, points] of this.store.extras(id, split)?.histograms ?? []) {
        if (wanted && !wanted.has(tag)) continue;
        out.push({
          run: id, tag,
          steps: points.map((p) => ({
            step: p.step,
            edges: p.buckets.length > 0 ? [p.buckets[0].left, ...p.buckets.map((b) => b.right)] : [],
            counts: p.buckets.map((b) => b.count),
          })),
        });
      }
    }
    return out;
  }

  async confusion(params: { run: string; epoch?: number }): Promise<ConfusionMatrix | null> {
    const id = runId(this.store, params);
    const file = readJson<ConfusionFile>(join(this.store.run(id).dir, CONFUSION_JSON));
    if (!file || file.epochs.length === 0) return null;
    const entry = params.epoch === undefined ? file.epochs.at(-1)! : file.epochs.find((e) => e.epoch === params.epoch);
    return entry ? { run: id, epoch: entry.epoch, classNames: file.classNames, counts: entry.counts } : null;
  }

  async misclassified(params: { run: string; epoch?: number }): Promise<Misclassified | null> {
    const id = runId(this.store, params);
    const dir = this.store.run(id).dir;
    const path = join(dir, MISCLASSIFIED_JSON);
    const file = readJson<MisclassifiedFile>(path);
    if (!file || (params.epoch !== undefined && params.epoch !== file.epoch)) return null;
    // Reading the data again costs: the views are kept until the file changes.
    const key = `${statSync(path).mtimeMs}`;
    const cached = this.views.get(id);
    if (cached?.key === key) return cached.value;
    const run = this.store.runFile(id)!;
    const shown = file.samples.slice(0, MISCLASSIFIED_SHOWN);
    let views;
    try {
      views = validationSamples(run, shown.map((s) => s.index));
    } catch (err) {
      throw new ServiceError(RunsErrorCode.invalidRequest, `cannot show the misclassified samples of run "${id}": ${(err as Error).message}`);
    }
    const name = (k: number) => file.classNames[k] ?? String(k);
    const value: Misclassified = {
      run: id, epoch: file.epoch,
      samples: shown.map((s, k) => ({ index: s.index, label: name(s.label), predicted: name(s.predicted), ...views[k] })),
    };
    this.views.set(id, { key, value });
    return value;
  }

  async renameRun(params: { run: string; name: string }): Promise<RunSummary> {
    const id = runId(this.store, params);
    const name = typeof params.name === 'string' ? params.name.trim() : '';
    if (name === '' || name.length > 200) throw new ServiceError(RunsErrorCode.invalidRequest, 'a run name must have 1 to 200 characters');
    return annotate(this.store, id, { displayName: name }, this.options.emit);
  }

  async setRunNotes(params: { run: string; notes: string }): Promise<RunSummary> {
    const id = runId(this.store, params);
    if (typeof params.notes !== 'string') throw new ServiceError(RunsErrorCode.invalidRequest, 'notes must be text');
    return annotate(this.store, id, { userNotes: params.notes }, this.options.emit);
  }

  async deleteRun(params: { run: string }): Promise<void> {
    const id = runId(this.store, params);
    if (id === '.') throw new ServiceError(RunsErrorCode.invalidRequest, 'this run is the opened folder itself: Kiln does not delete the logdir');
    const run = this.store.run(id);
    const file = this.store.runFile(id);
    if (this.options.live.get(run.dir) || (file && runStatus(file) === 'running')) {
      throw new ServiceError(EngineErrorCode.busy, `run "${id}" is training: stop it before deleting it`);
    }
    const nested = this.store.list().filter((r) => r.id.startsWith(`${id}/`));
    if (nested.length > 0) throw new ServiceError(RunsErrorCode.invalidRequest, `the folder of run "${id}" holds other runs (${nested.map((r) => r.id).join(', ')}): delete those first`);
    rmSync(run.dir, { recursive: true, force: true });
    this.store.forget(id);
    this.views.delete(id);
    this.options.emit('runs.didChange', { logdir: this.store.logdir });
  }

  async resumeRun(params: { run: string }): Promise<{ runId: string; run: string }> {
    const id = runId(this.store, params);
    const run = this.store.run(id);
    const file = this.store.runFile(id);
    if (!file) throw new ServiceError(RunsErrorCode.notKiln, `run "${id}" was not written by Kiln: it has no model or checkpoint to resume from`);
    const status = this.options.live.get(run.dir) ? 'running' : runStatus(file);
    if (status === 'running') throw new ServiceError(EngineErrorCode.busy, `run "${id}" is still training`);
    if (file.epochsDone >= file.epochs) throw new ServiceError(RunsErrorCode.cannotResume, `run "${id}" has trained all its ${file.epochs} epochs: duplicate it with more epochs instead`);
    const checkpoint = file.checkpoints.last;
    if (!checkpoint) throw new ServiceError(RunsErrorCode.cannotResume, `run "${id}" has no checkpoint to resume from (it stopped before its first one was written)`);
    if (!file.data) throw new ServiceError(RunsErrorCode.cannotResume, `run "${id}" does not record its data, so it cannot train on`);
    let weights;
    try {
      weights = readRunWeights(run.dir, checkpoint);
    } catch (err) {
      throw new ServiceError(RunsErrorCode.cannotResume, `cannot read the last checkpoint of run "${id}": ${(err as Error).message}`);
    }
    const started = this.options.launcher.launch({
      model: file.model,
      training: file.training,
      dataset: file.data,
      dataOptions: file.dataOptions ?? { seed: file.training.seed },
      ...(file.dataBaseDir ? { baseDir: file.dataBaseDir } : {}),
      initialWeights: weights,
      initialEpoch: file.epochsDone,
      initialStep: file.steps,
      resumedFrom: { run: id, checkpoint, epoch: file.epochsDone, step: file.steps },
      note: `Resumed from run "${id}" at epoch ${file.epochsDone} (checkpoint ${checkpoint}); the optimizer's state (its moments and step count) starts afresh.`,
    });
    return started;
  }

  async runConfig(params: { run: string }): Promise<{ model: ModelDoc; training: TrainingConfig; data?: string }> {
    const id = runId(this.store, params);
    const file = this.store.runFile(id);
    if (!file) throw new ServiceError(RunsErrorCode.notKiln, `run "${id}" was not written by Kiln: it has no model to put back in the editor`);
    return { model: file.model, training: file.training, ...(file.data ? { data: dataForEditor(file) } : {}) };
  }
}

/** Whether the store knows the run. */
function known(store: RunStore, id: string): boolean {
  try {
    store.run(id);
    return true;
  } catch {
    return false;
  }
}

/** The run id of a request, checked. */
function runId(store: RunStore, params: { run: string } | undefined): string {
  const id = params?.run;
  if (typeof id !== 'string' || !known(store, id)) throw new ServiceError(EngineErrorCode.unknownRun, `there is no run "${String(id)}" in ${store.logdir}`);
  return id;
}

function annotate(store: RunStore, id: string, patch: { displayName?: string; userNotes?: string }, emit: Emit): RunSummary {
  try {
    store.annotate(id, patch);
  } catch (err) {
    throw new ServiceError(EngineErrorCode.busy, (err as Error).message);
  }
  emit('runs.didChange', { logdir: store.logdir });
  return store.list().find((r) => r.id === id)!;
}

function newStore(logdir: string, options: RunsServiceOptions): RunStore {
  return new RunStore(logdir, { live: options.live, ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}) });
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The query with its defaults, or a ServiceError naming what is wrong. */
function checkQuery(q: ScalarQuery): ScalarQuery {
  const bad = (message: string): never => { throw new ServiceError(RunsErrorCode.invalidRequest, message); };
  if (typeof q !== 'object' || q === null) bad('scalars needs a query');
  if (!Array.isArray(q.runs) || !q.runs.every((r) => typeof r === 'string')) bad('query.runs must be a list of run ids');
  if (!Array.isArray(q.tags) || !q.tags.every((t) => typeof t === 'string')) bad('query.tags must be a list of tags');
  if (!AXES.includes(q.xAxis)) bad(`query.xAxis must be one of ${AXES.join(', ')}`);
  const smoothing = Number(q.smoothing ?? 0);
  if (!(smoothing >= 0 && smoothing < 1)) bad('query.smoothing must be from 0 up to (not including) 1');
  const width = Math.round(Number(q.width ?? 1000));
  if (!(width >= 2 && width <= 100_000)) bad('query.width must be 2 to 100000 points');
  const since = q.since ?? [];
  if (!Array.isArray(since) || !since.every((c) => typeof c === 'object' && c !== null && typeof c.run === 'string' && typeof c.tag === 'string' && typeof c.split === 'string')) {
    bad('query.since must be the cursors of earlier answers');
  }
  return { runs: q.runs, tags: q.tags, xAxis: q.xAxis, smoothing, smoothingKind: q.smoothingKind === 'moving-average' ? 'moving-average' : 'ema', width, since };
}

const seriesKey = (run: string, split: string, tag: string) => `${run}\u0000${split}\u0000${tag}`;

/** How the run's steps map to epochs (see scalarSeries.ts). */
function epochScale(file: RunFile | null, splits: { columns: Map<string, { wall: Float64Array; length: number }> }[]): EpochScale {
  if (file?.stepsPerEpoch) return { stepsPerEpoch: file.stepsPerEpoch };
  for (const { columns } of splits) {
    for (const [tag, c] of columns) if (tag.startsWith('epoch_')) return { epochEnds: c.wall.slice(0, c.length) };
  }
  return null;
}

/** The run's data spec as the editor takes it: a path relative to the run's base folder made absolute. */
function dataForEditor(file: RunFile): string {
  const data = file.data!;
  if (data.startsWith('sample:') || isAbsolute(data) || !file.dataBaseDir) return data;
  return join(file.dataBaseDir, data);
}
