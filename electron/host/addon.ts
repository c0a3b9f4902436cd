import { createRequire } from 'node:module';
import type { EngineAttr, EngineDtype, EngineModelSpec } from '../../common/model/engineSpec.js';
import type { MeasuredMemory, MeasuredTimeline, OpTiming } from '../../common/profile/ProfileReport.js';
import { paths } from './appRoot.js';

/** The native engine's JavaScript surface (native/binding/*_binding.cpp). */

/** Samples in a file the engine memory-maps (electron/host/data/npyFile.ts): `length` elements from byte `offset`. */
export interface MappedSamples {
  path: string;
  offset: number;
  length: number;
}

type Samples = Float32Array | Int32Array | Float64Array | MappedSamples;

/** One typed array (or mapped file) per model input (x) and per target (y), samples packed along the first axis. */
export interface NativeData {
  x: Samples | Samples[];
  y?: Samples | Samples[];
}

export interface NativeFitOptions {
  epochs?: number;
  batchSize?: number;
  /** Reshuffled each epoch from the model's seed (default true). */
  shuffle?: boolean;
  validation?: NativeData;
  /** Check mode: a NaN or Inf stops training with the name of the op that produced it. */
  check?: boolean;
  /** Gather batches on a worker thread (default: when a core is left over from the compute pool). */
  prefetch?: boolean;
}

/** One per training step and one per epoch end (epoch events carry means and validation figures). */
export interface NativeFitEvent {
  type: 'step' | 'epoch';
  epoch: number;
  step: number;
  loss: number;
  metrics: Record<string, number>;
  learningRate: number;
  /** Seconds the step (an epoch: all its steps) waited for its batch from the prefetching worker. */
  dataWait: number;
  /** A step's wall time since the previous step ended (data wait included), measured in the engine; an epoch's wall time. */
  seconds: number;
  valLoss?: number;
  valMetrics?: Record<string, number>;
  /** This step completed the window that profileSteps asked for: profileWindow() has it. */
  profileWindowDone?: true;
  /** mixed_float16 only: the loss scale after this step (epoch: at its end). */
  lossScale?: number;
  /** mixed_float16 only: 1 when this step's update was skipped, its gradients not finite, else 0 (epoch: how many were). */
  skipped?: number;
}

/** The steps that profileSteps profiled, with what the engine measured over them. */
export interface NativeProfileWindow {
  /** The engine's step count (NativeModel.iterations()) at the window's first step. */
  firstStep: number;
  steps: number;
  /** Summed over the steps, each from its wait for data to its loss being read. */
  wallSeconds: number;
  dataWaitSeconds: number;
  /** The steps' mean loss. */
  loss: number;
  rows: OpTiming[];
  /** The window's last step. */
  timeline: MeasuredTimeline;
  memory: MeasuredMemory;
}

export interface NativeModel {
  /** Trains on a worker thread; `onEvents` receives events in order, in batches. */
  fit(data: NativeData, options?: NativeFitOptions, onEvents?: (events: NativeFitEvent[]) => void): Promise<{ steps: number; epochs: number; stopped: boolean }>;
  evaluate(data: NativeData, options?: { batchSize?: number }): Promise<{ loss: number; metrics: Record<string, number> }>;
  predict(data: NativeData, options?: { batchSize?: number }): Promise<Float32Array[]>;
  getWeights(): Record<string, Float32Array>;
  setWeights(weights: Record<string, Float32Array>): void;
  stop(): void;
  pause(): void;
  resume(): void;
  /** Per-op timers on whole-batch training steps (clears what was gathered); not during fit. */
  setProfiling(on: boolean): void;
  profile(): OpTiming[];
  /** The last profiled step, per engine thread (step 0 and no spans when none was profiled). */
  profileTimeline(): MeasuredTimeline;
  /** Bytes held for training, measured over the profiled steps (peakBytes 0 when none was profiled). */
  memory(): MeasuredMemory;
  /** Profiles the next `steps` whole-batch training steps, then stops: may be called during fit. */
  profileSteps(steps: number): void;
  /** The last window profileSteps asked for, once its last step is done (may be called during fit). */
  profileWindow(): NativeProfileWindow | null;
  iterations(): number;
  /** The base learning rate from the next step on (Keras's ReduceLROnPlateau). */
  setLearningRate(lr: number): void;
  /**
   * d(loss)/d(weight) per trainable weight over the first batch of `data` (its first batchSize
   * samples, in order), as a training step computes them (dropout and batch statistics included,
   * before clipping), with nothing updated.
   */
  gradients(data: Required<NativeData>, options?: { batchSize?: number }): Promise<Record<string, Float32Array>>;
}

export type BackendName = 'cpu' | 'reference' | 'cuda';

/**
 * A compute device (native/binding/device_binding.cpp): the cpu always; the GPU through the CUDA
 * plugin, with `reason` (for the user) whenever it cannot be used.
 */
export type NativeDevice =
  | { backend: 'cpu'; available: true; threads: number }
  | { backend: 'cuda'; available: false; reason: string; plugin: string }
  | {
      backend: 'cuda';
      available: true;
      plugin: string;
      name: string;
      memoryBytes: number;
      computeCapability: string;
      /** CUDA versions as 13000 for 13.0. */
      driverVersion: number;
      runtimeVersion: number;
      /** Ops with a GPU kernel; a model using another fails to compile on 'cuda', naming the layer's node. */
      ops: string[];
    };

export interface NativeGpuUsage {
  /** Allocated by Kiln: arenas, weights, optimizer state, scratch. */
  kilnBytes: number;
  /** The cap set with setGpuMemoryLimit; 0 when memory grows as needed. */
  limitBytes: number;
  /** The whole device, every process. */
  freeBytes: number;
  totalBytes: number;
  /** Percent of the last sample period a kernel ran (NVML); -1 when unknown. */
  utilization: number;
}

/** The op-level graph API (native/binding/graph_binding.cpp), as far as the host uses it. */
export interface NativeGraph {
  input(name: string, shape: number[], dtype?: EngineDtype): string;
  op(op: string, name: string, inputs: string[], attrs?: Record<string, EngineAttr>): string[];
  /** Seconds per run of the plan for `fetch` (best of `repeats` rounds of `runs` runs), with no copies. */
  time(feeds: Record<string, Float32Array | Int32Array | Float64Array>, fetch: string[], options?: { backend?: BackendName; runs?: number; repeats?: number }): Promise<number>;
}

export interface NativeAddon {
  version(): string;
  /** The backends that can run here: 'reference', 'cpu', and 'cuda' when a GPU was found. */
  backends(): BackendName[];
  devices(): NativeDevice[];
  /** Seconds per m x k by k x n product on the GPU through the cuda backend's cuBLAS path (float32 accumulation). */
  cudaTimeGemm(options: { dtype: 'float32' | 'bfloat16'; m: number; n: number; k: number; repeats?: number }): Promise<number>;
  /** Caps what Kiln allocates on the GPU at `mib` MiB; 0 or null: grows as needed (throws without a GPU). */
  setGpuMemoryLimit(mib: number | null): void;
  /** The GPU's memory and load, or null without a usable GPU. */
  gpuUsage(): NativeGpuUsage | null;
  /** `threads`: the cpu backend's threads (default: one per core). */
  Model: new (spec: EngineModelSpec, options?: { backend?: BackendName; threads?: number }) => NativeModel;
  Graph: new () => NativeGraph;
  /** c = alpha op(a) op(b) + beta c, row-major float32, threaded. */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array, options?: { threads?: number }): Promise<void>;
}

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  cached ??= createRequire(import.meta.url)(paths.addon) as NativeAddon;
  return cached;
}
