/**
 * A dedicated profiling run: the model built as training builds it, a few warm-up steps (plans
 * compiled, caches warm; not reported), then N steps in windows with the engine's per-op timers
 * on. Each profiled window is paired with the same steps timed with profiling off, in alternating
 * order, so the report carries the profiler's own overhead. The roofline peak comes from the
 * cached GEMM probe; the timeline per thread is the last profiled step's, and memory is measured
 * over every profiled step.
 */
import type { ModelDoc, TrainingConfig } from '../../../common/model/index.js';
import { buildProfileReport, type MeasuredMemory, type MeasuredTimeline, type MeasuredWindow, type OverheadInfo, type PeakInfo, type ProfileReport } from '../../../common/profile/index.js';
import type { BackendName, MappedSamples, NativeData, NativeFitEvent } from '../addon.js';
import { backendLabel, chooseDevice } from '../training/device.js';
import { buildNativeModel, prepareData, TrainingError, type TrainingData } from '../training/runTraining.js';
import type { Weights } from '../training/weightsFile.js';
import { gpuPeak, machinePeak } from './peakProbe.js';

export interface ProfileRunOptions {
  model: ModelDoc;
  training: TrainingConfig;
  data: TrainingData;
  /** Steps profiled (default 50), in up to `windows` windows (default 10). */
  steps?: number;
  windows?: number;
  warmupSteps?: number;
  /** Also time the same steps with profiling off, for the overhead figure (default true). */
  overhead?: boolean;
  /** The machine's peak; measured (or read from the cache in `configDir`) when absent; false for none. */
  peak?: PeakInfo | false;
  configDir?: string;
  initialWeights?: Weights;
  backend?: BackendName;
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

export const DEFAULT_PROFILE_STEPS = 50;
const DEFAULT_WINDOWS = 10;
const DEFAULT_WARMUP = 5;

type Samples = Float32Array | Int32Array | MappedSamples;

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The first `count` samples of an array: a view in memory, a shorter range of a mapped file. */
function firstSamples(a: Samples, per: number, count: number): Samples {
  if (ArrayBuffer.isView(a)) return a.subarray(0, count * per);
  return { ...a, length: count * per };
}

interface TimedFit {
  steps: number;
  firstStep: number;
  wallSeconds: number;
  dataWaitSeconds: number;
  loss: number;
}

const secondsPerStep = (t: TimedFit) => t.wallSeconds / t.steps;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export async function profileRun(options: ProfileRunOptions): Promise<ProfileReport> {
  const steps = options.steps ?? DEFAULT_PROFILE_STEPS;
  if (!Number.isInteger(steps) || steps < 1) throw new TrainingError([`the number of steps to profile must be a whole number of at least 1, got ${steps}`]);
  // Where the training would run (the GPU when one is usable), unless the caller says.
  let backend = options.backend;
  let threads: number | undefined;
  if (!backend) {
    const device = chooseDevice(options.training);
    if ('error' in device) throw new TrainingError([device.error]);
    ({ backend, threads } = device);
  }
  const { model, spec, analysis } = buildNativeModel(options.model, options.training, options.initialWeights, backend, threads);
  const prepared = prepareData(options.data, spec, analysis, 'the profiling data');
  const probe = () => (backend === 'cuda' ? gpuPeak(spec.precision === 'mixed_bfloat16' ? 'bfloat16' : 'float32') : machinePeak({ configDir: options.configDir }));
  const peak = options.peak === false ? undefined : (options.peak ?? (await probe()));

  // Whole batches only, so that every profiled step runs the same compiled plan.
  const batch = Math.min(options.training.batchSize, prepared.count);
  const windowCount = Math.min(options.windows ?? DEFAULT_WINDOWS, steps);
  const perWindow = Math.ceil(steps / windowCount);
  const batches = Math.min(Math.floor(prepared.count / batch), perWindow);
  const epochs = Math.ceil(perWindow / batches);
  const x = (prepared.x as Samples[]).map((a, i) => firstSamples(a, elements(spec.inputs[i].shape), batches * batch));
  const y = (prepared.y as Samples[]).map((a, i) => firstSamples(a, elements(spec.targets[i].shape), batches * batch));
  const data: NativeData = { x, y };

  const withOverhead = options.overhead !== false;
  const total = 1 + windowCount * (withOverhead ? 2 : 1);
  let done = 0;
  const onAbort = () => model.stop();
  options.signal?.addEventListener('abort', onAbort);
  const fit = async (fits: number, profiling: boolean): Promise<TimedFit> => {
    model.setProfiling(profiling);  // also clears the timers
    const firstStep = model.iterations() + 1;
    const timed: TimedFit = { steps: 0, firstStep, wallSeconds: 0, dataWaitSeconds: 0, loss: 0 };
    const onEvents = (events: NativeFitEvent[]) => {
      for (const e of events) {
        if (e.type === 'epoch') {
          timed.wallSeconds += e.seconds;
          continue;
        }
        timed.steps++;
        timed.dataWaitSeconds += e.dataWait;
        timed.loss += e.loss;
      }
    };
    const result = await model.fit(data, { epochs: fits, batchSize: batch, shuffle: true }, onEvents);
    if (result.stopped || options.signal?.aborted) throw new TrainingError(['profiling was stopped']);
    timed.loss /= Math.max(1, timed.steps);
    options.onProgress?.(++done, total);
    return timed;
  };

  try {
    await fit(Math.ceil((options.warmupSteps ?? DEFAULT_WARMUP) / batches), false);
    const windows: MeasuredWindow[] = [];
    const off: number[] = [];
    const on: number[] = [];
    let memory: MeasuredMemory | undefined;
    let timeline: MeasuredTimeline | undefined;
    for (let w = 0; w < windowCount; w++) {
      // Alternate which goes first, so that drift in the machine's speed hits both alike.
      const offFirst = w % 2 === 0;
      if (withOverhead && offFirst) off.push(secondsPerStep(await fit(epochs, false)));
      const timed = await fit(epochs, true);
      windows.push({ firstStep: timed.firstStep, steps: timed.steps, rows: model.profile(), dataWaitSeconds: timed.dataWaitSeconds, wallSeconds: timed.wallSeconds, loss: timed.loss });
      // Each window starts its high-water marks afresh: the profile's are the highest.
      const measured = model.memory();
      memory = { ...measured, scratchBytes: Math.max(measured.scratchBytes, memory?.scratchBytes ?? 0), peakBytes: Math.max(measured.peakBytes, memory?.peakBytes ?? 0) };
      timeline = model.profileTimeline();
      on.push(secondsPerStep(timed));
      if (withOverhead && !offFirst) off.push(secondsPerStep(await fit(epochs, false)));
    }
    const overhead: OverheadInfo | undefined = off.length === 0 ? undefined : {
      offStepMs: median(off) * 1000, onStepMs: median(on) * 1000, percent: (median(on) / median(off) - 1) * 100, rounds: off.length,
    };
    return buildProfileReport({
      analysis, spec, batchSize: batch, windows, backend: backendLabel(backend), memory, timeline,
      ...(peak ? { peak } : {}), ...(overhead ? { overhead } : {}),
    });
  } finally {
    model.setProfiling(false);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
