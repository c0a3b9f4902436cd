/**
 * One training run, as Keras's fit() does it: the model lowered and built on the native engine,
 * validation_split taken from the end of the data (before shuffling), Normalization layers adapted,
 * then one native fit call per epoch so that Keras's callbacks (EarlyStopping, ModelCheckpoint,
 * ReduceLROnPlateau) act between epochs. Optionally writes a run folder `<logdir>/<name>/` as it
 * trains (RunRecorder: event files TensorBoard reads, run.json, TensorFlow checkpoints last/best/
 * final, and for classifiers a validation confusion matrix per epoch).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMapped, type MappedValues } from '../../../common/data/dataset.js';
import { formatNpyShape, toFloat32, toInt32, type NpyData } from '../../../common/formats/npy.js';
import { adaptNormalization, lowerModel, type EngineModelSpec, type EngineTensor, type ModelAnalysis, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import { loadAddon, type BackendName, type NativeData, type NativeFitEvent, type NativeModel } from '../addon.js';
import { readMapped } from '../data/readSamples.js';
import type { LiveProfiler } from '../profile/liveProfile.js';
import type { LiveRuns } from '../runs/LiveRuns.js';
import { BestCheckpoint, EarlyStopping, monitorDirection, ReduceLROnPlateau, type EpochLogs } from './callbacks.js';
import { classifierOf, confusionOf } from './confusion.js';
import type { DataOptions } from './dataSpec.js';
import { dataFingerprint } from './fingerprint.js';
import { RUN_FILE_VERSION, type BestInfo, type RunFile } from './runFile.js';
import { RunRecorder } from './RunRecorder.js';
import { backendLabel, chooseDevice } from './device.js';
import type { Weights } from './weightsFile.js';

/**
 * An array of samples packed along the first axis, with its full shape when known (from a .npy);
 * with a shape, its values may stay in a file the engine maps (data larger than memory).
 */
export type DataArray = NpyData | { shape: number[]; data: NpyData | MappedValues };

/** One array per model input (x, in the model's input order) and per output (y, in output order). */
export interface TrainingData {
  x: DataArray[];
  y: DataArray[];
}

/** Problems found before training started (the model, the data, the settings), in the user's terms. */
export class TrainingError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface StepInfo {
  /** From 1. */
  epoch: number;
  epochs: number;
  /** Step within the epoch, from 1, of `steps`. */
  step: number;
  steps: number;
  /** Step counted over the run, from 1 (a resumed run counts on from its origin's steps). */
  globalStep: number;
  /** Samples in this step's batch. */
  samples: number;
  /** The step's wall time, measured in the engine: since the previous step ended, data wait included. */
  stepSeconds: number;
  /** Running means over the epoch so far, Keras's names (loss, accuracy, ...). */
  logs: EpochLogs;
  /** This step's own batch values (loss and metrics), for per-step charts. */
  batch: EpochLogs;
  seconds: number;
  /** Seconds the step waited for its batch. */
  dataWait: number;
}

export interface EpochInfo {
  /** From 1. */
  epoch: number;
  epochs: number;
  steps: number;
  /** loss, metrics, val_loss, val_<metric>, learning_rate: Keras's names. */
  logs: EpochLogs;
  seconds: number;
  /** Seconds the epoch's steps waited for their batches (the data pipeline's share of the time). */
  dataWait: number;
}

export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed';

export interface RunInfo {
  /** The folder that holds run folders (TensorBoard's logdir). */
  logdir: string;
  name: string;
  /** Where the model came from (a project file), for the record. */
  project?: string;
  /** The data spec, the folder relative paths in it start from, and the options it was read with: to read it again (misclassified samples, resume). */
  data?: string;
  dataBaseDir?: string;
  dataOptions?: DataOptions;
  classNames?: string[];
  /** Feeds the run's scalars to the dashboard as they are written. */
  live?: LiveRuns;
  /**
   * Validation samples predicted after each epoch for the confusion matrix (classifiers): the
   * first N, since predicting costs time every epoch (run.json's `confusion` records how much).
   * 0 turns it off; default: the KILN_CONFUSION_SAMPLES environment variable, else CONFUSION_SAMPLES.
   */
  confusionSamples?: number;
  /** The run this one resumes, recorded in run.json. */
  resumedFrom?: RunFile['resumedFrom'];
  /** Notes to record from the start (run.json's notes). */
  notes?: string[];
}

/**
 * Validation samples predicted per epoch for the confusion matrix, unless the run says otherwise:
 * a forward pass over N samples costs about N / (3 x training samples) of an epoch, so about 5%
 * of an epoch on 6,400 MNIST digits (measured: 20 to 60 ms an epoch for 1,600 digits with a small CNN).
 */
export const CONFUSION_SAMPLES = 1000;

function confusionSamplesSetting(): number {
  const n = Number(process.env.KILN_CONFUSION_SAMPLES);
  return process.env.KILN_CONFUSION_SAMPLES !== undefined && Number.isInteger(n) && n >= 0 ? n : CONFUSION_SAMPLES;
}

/** Misclassified samples kept per epoch. */
const MISCLASSIFIED_KEPT = 64;

export interface RunTrainingOptions {
  model: ModelDoc;
  training: TrainingConfig;
  data: TrainingData;
  /** Validation data; when absent, training.validationSplit holds out the last samples. */
  validation?: TrainingData;
  /** Evaluated once after training (Keras's evaluate on the test split). */
  test?: TrainingData;
  initialWeights?: Weights;
  /** Epochs already trained (Keras's initial_epoch): training runs epochs initialEpoch + 1 to training.epochs. */
  initialEpoch?: number;
  /** Steps already trained, so that step numbers go on from them. */
  initialStep?: number;
  /** Writes a run directory when given. */
  run?: RunInfo;
  onStep?(info: StepInfo): void;
  onEpoch?(info: EpochInfo): void;
  /** Warnings (Keras prints them): a monitor that is missing, a layer left unadapted, ... */
  onNote?(message: string): void;
  signal?: AbortSignal;
  backend?: BackendName;
  /** Profiles windows of steps while the run trains, when asked (the studio's "Profile 50 steps"). */
  profiler?: LiveProfiler;
}

export interface RunResult {
  status: Exclude<RunStatus, 'running'>;
  error?: string;
  epochsDone: number;
  history: (EpochLogs & { epoch: number })[];
  final?: EpochLogs;
  best?: BestInfo;
  /** EarlyStopping stopped training after this epoch (from 1). */
  stoppedEarly?: { epoch: number; restoredEpoch?: number };
  test?: EpochLogs;
  runDir?: string;
  notes: string[];
  /** The trained model, its spec and its final weights. */
  model: NativeModel;
  spec: EngineModelSpec;
  analysis: ModelAnalysis;
  weights: Weights;
}

/** Keras's default learning rate per optimizer. */
const DEFAULT_LR: Record<string, number> = { sgd: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001 };

/** Lowers a model and builds it on the engine, with `weights` (any subset) loaded. */
export function buildNativeModel(model: ModelDoc, training: TrainingConfig, weights?: Weights, backend?: BackendName, threads?: number): { model: NativeModel; spec: EngineModelSpec; analysis: ModelAnalysis } {
  const lowered = lowerModel(model, training);
  if (!lowered.ok) throw new TrainingError(lowered.issues.map((i) => i.message));
  let native: NativeModel;
  try {
    native = new (loadAddon().Model)(lowered.spec, backend ? { backend, ...(threads ? { threads } : {}) } : undefined);
  } catch (err) {
    throw new TrainingError([`the engine cannot build this model: ${(err as Error).message}`]);
  }
  if (weights) {
    try {
      native.setWeights(weights);
    } catch (err) {
      throw new TrainingError([`the weights do not fit the model: ${(err as Error).message}`]);
    }
  }
  return { model: native, spec: lowered.spec, analysis: lowered.analysis };
}

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const withoutOnes = (shape: number[]) => shape.filter((d) => d !== 1).join(',');

/** Values the engine takes: in memory, or in a file it maps. */
type EngineArray = Float32Array | Int32Array | MappedValues;

/** A file whose dtype is not the model's is converted in memory up to this size, refused above it. */
const CONVERT_LIMIT_BYTES = 1 << 30;

/** Engine-ready arrays for these tensors (inputs or targets), checked against their shapes. */
function prepareArrays(arrays: DataArray[], tensors: EngineTensor[], what: string, kind: 'input' | 'output', names: string[], note: (message: string) => void): { arrays: EngineArray[]; count: number } {
  if (arrays.length !== tensors.length) {
    throw new TrainingError([`${what} has ${arrays.length} ${kind === 'input' ? 'x' : 'y'} array${arrays.length === 1 ? '' : 's'} but the model has ${tensors.length} ${kind}${tensors.length === 1 ? '' : 's'} (${names.join(', ')})`]);
  }
  let count = -1;
  const out = arrays.map((a, i): EngineArray => {
    const t = tensors[i];
    const data = 'data' in a ? a.data : a;
    const shape = 'data' in a ? a.shape : undefined;
    const per = elements(t.shape);
    const label = `${what}: the ${kind === 'input' ? 'x' : 'y'} array for ${kind} '${names[i]}'`;
    if (shape && (shape.length === 0 || withoutOnes(shape.slice(1)) !== withoutOnes(t.shape))) {
      throw new TrainingError([`${label} has shape ${formatNpyShape(shape)} but the model needs (N, ${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}) for N samples`]);
    }
    if (per === 0 || data.length % per !== 0) {
      throw new TrainingError([`${label} has ${data.length} values, not a whole number of samples of shape ${formatNpyShape(t.shape)}`]);
    }
    const n = data.length / per;
    if (count >= 0 && n !== count) throw new TrainingError([`${label} has ${n} samples but the other arrays have ${count}`]);
    count = n;
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
    if (isMapped(data)) {
      if (data.dtype === dtype) return data;
      // The engine maps a file as the model's dtype: another one is converted in memory, if it fits.
      const file = basename(data.path);
      const fix = `save it with arr.astype('${dtype}') to stream it from disk`;
      if (data.length * 4 > CONVERT_LIMIT_BYTES) throw new TrainingError([`${label}: ${file} holds ${data.dtype} values but the model takes ${dtype}, and it is too large to convert in memory: ${fix}`]);
      note(`${label}: ${file} holds ${data.dtype} values but the model takes ${dtype}, so Kiln converted it in memory: ${fix}`);
      const values = readMapped(data, 0, data.length);
      return dtype === 'int32' ? toInt32(values, label) : toFloat32(values);
    }
    return dtype === 'int32' ? toInt32(data, label) : toFloat32(data);
  });
  if (count === 0) throw new TrainingError([`${what} has no samples`]);
  return { arrays: out, count };
}

interface Prepared {
  x: EngineArray[];
  y: EngineArray[];
  count: number;
}

function prepare(data: TrainingData, spec: EngineModelSpec, analysis: ModelAnalysis, what: string, note: (message: string) => void, withTargets = true): Prepared {
  const layerName = (id: string) => analysis.order.find((o) => o.layer.id === id)?.layer.name ?? id;
  const x = prepareArrays(data.x, spec.inputs, what, 'input', analysis.inputs.map(layerName), note);
  if (!withTargets) return { x: x.arrays, y: [], count: x.count };
  const y = prepareArrays(data.y, spec.targets, what, 'output', analysis.outputs.map(layerName), note);
  if (x.count !== y.count) throw new TrainingError([`${what} has ${x.count} samples of x but ${y.count} of y`]);
  return { x: x.arrays, y: y.arrays, count: x.count };
}

/** Samples [from, to) of an engine array: a view in memory, a narrower range of a mapped file. */
function sliceArray(a: EngineArray, per: number, from: number, to: number): EngineArray {
  if (!isMapped(a)) return a.subarray(from * per, to * per);
  return { ...a, offset: a.offset + from * per * 4, length: (to - from) * per };
}

function sliceSamples(p: Prepared, spec: EngineModelSpec, from: number, to: number): Prepared {
  return {
    x: p.x.map((a, i) => sliceArray(a, elements(spec.inputs[i].shape), from, to)),
    y: p.y.map((a, i) => sliceArray(a, elements(spec.targets[i].shape), from, to)),
    count: to - from,
  };
}

/** Elements [start, start + count) of an engine array, read from its file when mapped. */
const readValues = (a: EngineArray, start: number, count: number) => (isMapped(a) ? readMapped(a, start, count) : a.subarray(start, start + count));

/** Engine-ready data for evaluate/predict outside a run (the CLI's evaluate and predict). */
export function prepareData(data: TrainingData, spec: EngineModelSpec, analysis: ModelAnalysis, what: string, withTargets = true, onNote: (message: string) => void = () => {}): NativeData & { count: number } {
  const p = prepare(data, spec, analysis, what, onNote, withTargets);
  return withTargets ? { x: p.x, y: p.y, count: p.count } : { x: p.x, count: p.count };
}

/** Values per chunk when statistics or fingerprints read data (16 MiB of float32). */
const CHUNK_VALUES = 1 << 22;

/**
 * adaptNormalization over chunks of whole samples, merged with Chan et al.'s pairwise update, so
 * that inputs in a file are read a chunk at a time; data in memory goes the same way (one chunk
 * when small), so both give the same statistics.
 */
function adaptInChunks(x: EngineArray, count: number, shape: number[], axis: number | null): { mean: Float32Array; variance: Float32Array; count: number } {
  const per = elements(shape);
  const samples = Math.max(1, Math.floor(CHUNK_VALUES / per));
  let mean: Float64Array | undefined;
  let m2 = new Float64Array(0);
  let n = 0;
  for (let start = 0; start < count; start += samples) {
    const values = readValues(x, start * per, Math.min(samples, count - start) * per);
    const part = adaptNormalization(toFloat32(values), shape, axis);
    if (!mean) {
      mean = Float64Array.from(part.mean);
      m2 = Float64Array.from(part.variance, (v) => v * part.count);
      n = part.count;
      continue;
    }
    const total = n + part.count;
    for (let c = 0; c < mean.length; c++) {
      const delta = part.mean[c] - mean[c];
      mean[c] += (delta * part.count) / total;
      m2[c] += part.variance[c] * part.count + (delta * delta * n * part.count) / total;
    }
    n = total;
  }
  return { mean: Float32Array.from(mean!), variance: Float32Array.from(m2, (v) => v / n), count: n };
}

/**
 * Keras's Normalization.adapt() (the catalogue's adaptNormalization) for Normalization layers that
 * read a model input directly and have mean/variance weights (no mean and variance given).
 * Layers elsewhere in the graph are left as they are, with a note.
 */
function adaptNormalizationLayers(analysis: ModelAnalysis, spec: EngineModelSpec, train: Prepared, initial: Weights | undefined): { weights: Weights; notes: string[] } {
  const weights: Weights = {};
  const notes: string[] = [];
  const params = new Set(spec.params.map((p) => p.name));
  for (const info of analysis.order) {
    if (info.layer.type !== 'Normalization') continue;
    const name = info.layer.name;
    if (!params.has(`${name}/mean`) || !params.has(`${name}/variance`)) continue;  // mean and variance were given
    if (initial?.[`${name}/mean`] && initial[`${name}/variance`]) continue;  // already adapted (imported or saved weights)
    const inputIndex = analysis.inputs.indexOf(info.inputs[0]);
    if (inputIndex < 0) {
      notes.push(`Normalization '${name}' does not read a model input, so Kiln cannot adapt it to the data: give it a mean and variance, or place it right after an Input`);
      continue;
    }
    const stats = adaptInChunks(train.x[inputIndex], train.count, spec.inputs[inputIndex].shape, info.params.axis as number | null);
    weights[`${name}/mean`] = stats.mean;
    weights[`${name}/variance`] = stats.variance;
    if (params.has(`${name}/count`)) weights[`${name}/count`] = Float32Array.of(stats.count);
  }
  return { weights, notes };
}

/** Trains a model; resolves with the outcome (failures during training included), rejects with TrainingError before it starts. */
export async function runTraining(options: RunTrainingOptions): Promise<RunResult> {
  const { training, signal } = options;
  const notes: string[] = [];
  const note = (message: string) => {
    notes.push(message);
    options.onNote?.(message);
  };

  let backend = options.backend;
  let threads: number | undefined;
  if (!backend) {
    const device = chooseDevice(training);
    if ('error' in device) throw new TrainingError([device.error]);
    ({ backend, threads } = device);
    if (device.note) note(device.note);
  }
  const { model, spec, analysis } = buildNativeModel(options.model, training, options.initialWeights, backend, threads);
  const all = prepare(options.data, spec, analysis, 'the training data', note);
  let train = all;
  let validation: Prepared | undefined;
  if (options.validation) {
    validation = prepare(options.validation, spec, analysis, 'the validation data', note);
  } else if (training.validationSplit > 0) {
    // Keras: the last fraction of the samples, taken before any shuffling.
    const splitAt = Math.floor(all.count * (1 - training.validationSplit));
    if (splitAt === 0 || splitAt === all.count) {
      throw new TrainingError([`a validation split of ${training.validationSplit} of ${all.count} samples leaves ${splitAt === 0 ? 'no training' : 'no validation'} samples: choose a split between 0 and 1 that leaves some of each`]);
    }
    train = sliceSamples(all, spec, 0, splitAt);
    validation = sliceSamples(all, spec, splitAt, all.count);
  }
  const test = options.test ? prepare(options.test, spec, analysis, 'the test data', note) : undefined;

  // Callbacks: their monitors must be ones Kiln can rank.
  const available = new Set(['loss', ...spec.metrics.map((m) => m.name ?? m.type)]);
  for (const k of [...available]) if (validation) available.add(`val_${k}`);
  available.add('learning_rate');
  const problems: string[] = [];
  const direction = (monitor: string, mode: 'auto' | 'min' | 'max', who: string) => {
    const d = monitorDirection(monitor, mode, who);
    if (typeof d === 'object') {
      problems.push(d.problem);
      return 'min';
    }
    if (!available.has(monitor)) note(`${who} monitors "${monitor}", which is not available (available: ${[...available].join(', ')})${monitor.startsWith('val_') && !validation ? ': set a validation split or pass validation data' : ''}; it will do nothing`);
    return d;
  };
  const cbs = training.callbacks;
  const plateau = cbs.reduceLROnPlateau ? new ReduceLROnPlateau(cbs.reduceLROnPlateau, direction(cbs.reduceLROnPlateau.monitor, 'auto', 'ReduceLROnPlateau')) : undefined;
  const bestMonitor = cbs.modelCheckpoint?.monitor ?? cbs.earlyStopping?.monitor ?? (validation ? 'val_loss' : 'loss');
  const earlyDirection = cbs.earlyStopping ? direction(cbs.earlyStopping.monitor, cbs.earlyStopping.mode, 'EarlyStopping') : 'min';
  const early = cbs.earlyStopping ? new EarlyStopping(cbs.earlyStopping, earlyDirection) : undefined;
  const best = new BestCheckpoint({ monitor: bestMonitor }, cbs.modelCheckpoint ? direction(bestMonitor, cbs.modelCheckpoint.mode, 'ModelCheckpoint') : earlyDirection);
  if (problems.length > 0) throw new TrainingError(problems);
  if (plateau && typeof (model as Partial<NativeModel>).setLearningRate !== 'function') {
    note('ReduceLROnPlateau needs an engine that can change the learning rate during training, and this build cannot: rebuild the native engine (npm run build:native)');
  }

  const adapted = adaptNormalizationLayers(analysis, spec, train, options.initialWeights);
  adapted.notes.forEach(note);
  if (Object.keys(adapted.weights).length > 0) model.setWeights(adapted.weights);

  const batch = Math.min(training.batchSize, train.count);
  const stepsPerEpoch = Math.ceil(train.count / batch);
  const initialEpoch = options.initialEpoch ?? 0;
  const initialStep = options.initialStep ?? 0;
  options.profiler?.attach({ model, spec, analysis, batchSize: batch, backend: backendLabel(backend), stepOffset: initialStep });
  const classifier = validation ? classifierOf(spec) : null;
  const confusionSamples = Math.min(validation?.count ?? 0, options.run?.confusionSamples ?? confusionSamplesSetting());

  // The run folder.
  let recorder: RunRecorder | undefined;
  if (options.run) {
    const info = options.run;
    info.notes?.forEach(note);
    const runDir = join(info.logdir, info.name);
    if (existsSync(join(runDir, 'run.json'))) throw new TrainingError([`a run named "${info.name}" already exists in ${info.logdir}: choose another run name`]);
    const now = new Date().toISOString();
    const runFile: RunFile = {
      format: 'kiln-run', version: RUN_FILE_VERSION, name: info.name, status: 'running', createdAt: now, updatedAt: now,
      ...(info.project ? { project: info.project } : {}),
      ...(info.data ? { data: info.data } : {}),
      ...(info.dataBaseDir ? { dataBaseDir: info.dataBaseDir } : {}),
      ...(info.dataOptions ? { dataOptions: info.dataOptions } : {}),
      ...(info.classNames ? { classNames: info.classNames } : {}),
      model: options.model, training,
      samples: { train: train.count, validation: validation?.count ?? 0, ...(test ? { test: test.count } : {}) },
      dataFingerprint: dataFingerprint([
        ...all.x.map((data, i) => ({ name: spec.inputs[i].name, shape: [all.count, ...spec.inputs[i].shape], data })),
        ...all.y.map((data, i) => ({ name: spec.targets[i].name, shape: [all.count, ...spec.targets[i].shape], data })),
      ]),
      dataWaitSeconds: [], epochs: training.epochs, epochsDone: initialEpoch, steps: initialStep, stepsPerEpoch,
      ...(info.resumedFrom ? { resumedFrom: info.resumedFrom } : {}),
      history: [], checkpoints: {}, notes,
    };
    recorder = new RunRecorder(runDir, runFile, { shapes: new Map(spec.params.map((p) => [p.name, p.shape])), validation: validation !== undefined, ...(info.live ? { live: info.live } : {}) });
  }
  // Gradient histograms: over the training data's first batch, the same samples every epoch so
  // that epochs compare (one forward and backward pass of a batch per epoch).
  const first = recorder ? sliceSamples(train, spec, 0, batch) : undefined;
  let gradientBatch: Required<NativeData> | undefined = first ? { x: first.x, y: first.y } : undefined;
  // Checkpoints are written at most once a second (and at the end), so that short epochs do not
  // spend their time rewriting them; a crash loses at most that second.
  const CHECKPOINT_MS = 1000;
  let lastCheckpoint = -Infinity;
  let pendingBest: { epoch: number; weights: Weights } | undefined;
  let lastDirty = false;

  const history: (EpochLogs & { epoch: number })[] = [];
  let lr = training.optimizer.learningRate ?? DEFAULT_LR[training.optimizer.type] ?? 0.001;
  let status: RunResult['status'] = 'completed';
  let error: string | undefined;
  let stoppedEarly: RunResult['stoppedEarly'];
  let steps = initialStep;
  const onAbort = () => model.stop();
  signal?.addEventListener('abort', onAbort);

  try {
    for (let epoch = initialEpoch; epoch < training.epochs; epoch++) {
      if (signal?.aborted) {
        status = 'stopped';
        break;
      }
      const started = Date.now();
      let epochEvent: NativeFitEvent | undefined;
      let seen = 0;
      const sums = new Map<string, number>();
      const onEvents = (events: NativeFitEvent[]) => {
        const now = Date.now();
        for (const e of events) {
          if (e.type === 'epoch') {
            epochEvent = e;
            continue;
          }
          if (e.profileWindowDone) options.profiler?.windowDone();
          const step = seen + 1;
          const n = step <= Math.floor(train.count / batch) ? batch : train.count - batch * Math.floor(train.count / batch);
          seen = step;
          sums.set('', (sums.get('') ?? 0) + n);
          sums.set('loss', (sums.get('loss') ?? 0) + e.loss * n);
          for (const [k, v] of Object.entries(e.metrics)) sums.set(k, (sums.get(k) ?? 0) + v * n);
          if (options.onStep || recorder) {
            const total = sums.get('')!;
            const logs: EpochLogs = {};
            for (const [k, v] of sums) if (k !== '') logs[k] = v / total;
            const globalStep = steps + step;
            recorder?.step(globalStep, logs, n, e.seconds);
            options.onStep?.({
              epoch: epoch + 1, epochs: training.epochs, step, steps: stepsPerEpoch, globalStep, samples: n, stepSeconds: e.seconds,
              logs, batch: { loss: e.loss, ...e.metrics }, seconds: (now - started) / 1000, dataWait: e.dataWait,
            });
          }
        }
      };
      const result = await model.fit(
        { x: train.x, y: train.y },
        { epochs: 1, batchSize: batch, shuffle: true, ...(validation ? { validation: { x: validation.x, y: validation.y } } : {}) },
        onEvents,
      );
      steps += result.steps;
      if (result.stopped || !epochEvent) {
        status = 'stopped';
        break;
      }
      const ev = epochEvent as NativeFitEvent;
      const logs: EpochLogs = { loss: ev.loss, ...ev.metrics };
      if (ev.valLoss !== undefined) {
        logs.val_loss = ev.valLoss;
        for (const [k, v] of Object.entries(ev.valMetrics ?? {})) logs[`val_${k}`] = v;
      }
      logs.learning_rate = ev.learningRate;
      // mixed_float16's loss scaling, as Keras's LossScaleOptimizer does it silently: said when it skipped steps.
      if (ev.skipped) note(`Epoch ${epoch + 1}: ${ev.skipped} of ${result.steps} steps skipped, their float16 gradients not finite; loss scale now ${ev.lossScale}.`);
      const seconds = (Date.now() - started) / 1000;  // wall time, validation included, as Keras shows it
      history.push({ epoch: epoch + 1, ...logs });
      options.onEpoch?.({ epoch: epoch + 1, epochs: training.epochs, steps: stepsPerEpoch, logs, seconds, dataWait: ev.dataWait });

      let current: Weights | undefined;
      const weights = () => (current ??= model.getWeights());
      if (recorder) {
        recorder.file.dataWaitSeconds.push(ev.dataWait);
        recorder.epoch(epoch, steps, logs, ev.dataWait, weights());
        if (gradientBatch) {
          let gradients: Weights | undefined;
          try {
            gradients = await model.gradients(gradientBatch, { batchSize: batch });
          } catch (err) {
            note(`Epoch ${epoch + 1}: the engine could not compute the gradients for the histograms (${(err as Error).message}); training goes on without gradient histograms.`);
            gradientBatch = undefined;
          }
          if (gradients) recorder.gradients(epoch, gradients);
        }
        if (classifier && validation && confusionSamples > 0) {
          const t0 = performance.now();
          const part = sliceSamples(validation, spec, 0, confusionSamples);
          const [predicted] = await model.predict({ x: part.x }, { batchSize: batch });
          const targets = readValues(part.y[0], 0, confusionSamples * elements(spec.targets[0].shape));
          const matrix = confusionOf(classifier, predicted, targets, confusionSamples, MISCLASSIFIED_KEPT);
          const classes = matrix.counts.length;
          const names = options.run!.classNames?.length === classes ? options.run!.classNames! : Array.from({ length: classes }, (_, k) => String(k));
          recorder.classification(epoch + 1, names, matrix, { samples: confusionSamples, seconds: (performance.now() - t0) / 1000 });
        }
      }

      // Callbacks, in Keras's usual order: checkpoint, early stopping, learning rate.
      if (best.onEpochEnd(epoch, logs) && recorder) pendingBest = { epoch: epoch + 1, weights: weights() };
      lastDirty = true;
      const flush = recorder !== undefined && Date.now() - lastCheckpoint >= CHECKPOINT_MS;
      if (flush && recorder) {
        if (pendingBest) recorder.checkpoint('best', pendingBest.epoch, pendingBest.weights);
        recorder.checkpoint('last', epoch + 1, weights());
        pendingBest = undefined;
        lastDirty = false;
        lastCheckpoint = Date.now();
      }
      const stop = early?.onEpochEnd(epoch, logs, weights) ?? false;
      const newLr = plateau?.onEpochEnd(logs, lr);
      if (newLr !== undefined && typeof (model as Partial<NativeModel>).setLearningRate === 'function') {
        model.setLearningRate(newLr);
        note(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
        lr = newLr;
      }
      if (recorder) {
        const file = recorder.file;
        file.epochsDone = epoch + 1;
        file.steps = steps;
        file.history = history;
        file.final = logs;
        if (best.best !== undefined) file.best = { monitor: bestMonitor, mode: best.direction, value: best.best, epoch: best.bestEpoch + 1 };
        recorder.touch();
      }
      if (stop) {
        stoppedEarly = { epoch: epoch + 1 };
        break;
      }
    }
  } catch (err) {
    status = 'failed';
    error = (err as Error).message;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    options.profiler?.detach();
  }

  const epochsDone = initialEpoch + history.length;
  try {
    // What the throttle held back: the best epoch's weights, and the last epoch's (the model's, before any restore).
    if (recorder && pendingBest) recorder.checkpoint('best', pendingBest.epoch, pendingBest.weights);
    if (recorder && status !== 'failed' && (lastDirty || status === 'stopped' || history.length === 0)) recorder.checkpoint('last', epochsDone, model.getWeights());
  } catch (err) {
    status = 'failed';
    error = (err as Error).message;
  }

  // Keras runs on_train_end only when fit() returns: not after an interruption or a failure.
  const restore = status === 'completed' ? early?.onTrainEnd() : undefined;
  if (restore) {
    model.setWeights(restore.weights);
    if (stoppedEarly) stoppedEarly.restoredEpoch = restore.epoch + 1;
    note(`Restoring model weights from the end of the best epoch: ${restore.epoch + 1}.`);
  }
  const weights = model.getWeights();
  let testLogs: EpochLogs | undefined;
  if (status === 'completed' && test) {
    try {
      const r = await model.evaluate({ x: test.x, y: test.y }, { batchSize: training.batchSize });
      testLogs = { loss: r.loss, ...r.metrics };
    } catch (err) {
      status = 'failed';
      error = `evaluating on the test data: ${(err as Error).message}`;
    }
  }
  const bestInfo: BestInfo | undefined = best.best === undefined ? undefined : { monitor: bestMonitor, mode: best.direction, value: best.best, epoch: best.bestEpoch + 1 };
  if (recorder) {
    const file = recorder.file;
    try {
      // checkpoints.final: the weights the model holds after training (what evaluate and predict use).
      if (!restore) file.checkpoints.final = file.checkpoints.last;
      else if (file.checkpoints.best && restore.epoch === best.bestEpoch) file.checkpoints.final = file.checkpoints.best;
      else recorder.checkpoint('final', restore.epoch + 1, weights);
    } catch (err) {
      status = 'failed';
      error = (err as Error).message;
    }
    file.status = status;
    file.endedAt = new Date().toISOString();
    file.epochsDone = epochsDone;
    file.steps = steps;
    if (bestInfo) file.best = bestInfo;
    if (stoppedEarly) file.stoppedEarly = stoppedEarly;
    if (testLogs) file.test = testLogs;
    if (error) file.error = error;
    recorder.end();
  }
  const final = history.length > 0 ? Object.fromEntries(Object.entries(history.at(-1)!).filter(([k]) => k !== 'epoch')) : undefined;
  return {
    status, ...(error ? { error } : {}), epochsDone: history.length, history,
    ...(final ? { final } : {}),
    ...(bestInfo ? { best: bestInfo } : {}),
    ...(stoppedEarly ? { stoppedEarly } : {}),
    ...(testLogs ? { test: testLogs } : {}),
    ...(recorder ? { runDir: recorder.dir } : {}),
    notes, model, spec, analysis, weights,
  };
}
