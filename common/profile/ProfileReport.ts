/**
 * What the profiler measures and what it reports: the engine's per-op timings of a stretch of
 * training steps go in (OpTiming, MeasuredWindow); a ProfileReport comes out, plain data that
 * crosses the RPC boundary and is written as JSON, a Chrome trace and CSV.
 * Times are milliseconds per training step unless a name says otherwise.
 */

/** Where an op's time goes in a training step. */
export type ProfilePhase = 'forward' | 'loss' | 'metrics' | 'backward' | 'optimizer';

export const PROFILE_PHASES: readonly ProfilePhase[] = ['forward', 'loss', 'metrics', 'backward', 'optimizer'];

/** One row of the engine's profile (NativeModel.profile()): a step-graph node, nanoseconds summed over `calls` steps. */
export interface OpTiming {
  node: string;
  op: string;
  ns: number;
  calls: number;
}

/** A stretch of consecutive training steps profiled together. */
export interface MeasuredWindow {
  /** The window's first training step, from 1. */
  firstStep: number;
  steps: number;
  /** The engine's profile of these steps, in run order. */
  rows: OpTiming[];
  /** Seconds the steps waited for their batches, summed. */
  dataWaitSeconds: number;
  /** The steps' wall time as the engine measured it, summed. */
  wallSeconds: number;
  /** Mean training loss over the window's steps. */
  loss?: number;
}

/** The step split by where its time goes (ms per step); `other` is time outside ops and data wait (scheduling, reporting). */
export interface StepBreakdown {
  dataWait: number;
  forward: number;
  backward: number;
  optimizer: number;
  /** Loss and metrics together. */
  lossMetrics: number;
  other: number;
}

export interface WindowReport {
  firstStep: number;
  steps: number;
  stepMs: number;
  breakdown: StepBreakdown;
  loss?: number;
}

/** The layer an op comes from; null for ops of the model as a whole (loss, metrics, global clipping). */
export interface LayerRef {
  id: string;
  name: string;
  type: string;
}

/** The name under which ops that belong to no layer are listed. */
export const MODEL_ROW = '(model)';

export interface OpReport {
  /** The step-graph node ('+' joins fused nodes). */
  node: string;
  op: string;
  layerId: string | null;
  /** The layer's name, or MODEL_ROW. */
  layer: string;
  layerType: string | null;
  phase: ProfilePhase;
  /** Self time per step. */
  ms: number;
  /** Of the measured step time, 0..1. */
  share: number;
  calls: number;
  /** A layer's main compute (matmul, convolution) and its gradients: estimated FLOPs per step; null for other ops. */
  flops: number | null;
  gflops: number | null;
  /** Of the machine's measured peak, 0..1, when a peak is known. */
  ofPeak: number | null;
  /** Bytes read and written per step, estimated (each operand once, float32); null where unknown. */
  bytes: number | null;
}

export interface LayerReport {
  layerId: string | null;
  name: string;
  type: string | null;
  /** Self time per step by phase. */
  ms: Record<ProfilePhase, number>;
  totalMs: number;
  share: number;
  /** FLOPs per step of its main compute, forward and backward. */
  flops: number;
  gflops: number | null;
  params: number;
  /** Weights, float32. */
  paramBytes: number;
  /** The optimizer's slots for its trainable weights (Adam's m and v, momentum...). */
  optimizerBytes: number;
  /** Its output for the whole batch, kept for the backward pass. */
  activationBytes: number;
  ops: number;
}

export type FindingKind = 'hotspot' | 'data' | 'parameters' | 'roofline' | 'memory-bound' | 'optimizer' | 'overhead';

/** One observation in plain words, the largest first. */
export interface Finding {
  kind: FindingKind;
  severity: 'info' | 'warning';
  text: string;
  layerId?: string;
  /** The share of the step (or of the parameters) it is about, 0..1. */
  share: number;
}

/** The machine's float32 GEMM peak, measured by a short probe on the cpu backend. */
export interface PeakInfo {
  gflops: number;
  sizes: { size: number; gflops: number }[];
  threads: number;
  measuredAt: string;
  /** Read from the cache rather than measured now. */
  cached: boolean;
}

/** The same steps timed with profiling off and on. */
export interface OverheadInfo {
  offStepMs: number;
  onStepMs: number;
  /** (on - off) / off, in percent; may be slightly negative from noise. */
  percent: number;
  rounds: number;
}

export interface ProfileReport {
  format: 'kiln-profile';
  version: 1;
  createdAt: string;
  backend: string;
  batchSize: number;
  /** Steps profiled (warm-up excluded). */
  steps: number;
  /** Mean measured wall time of a step. */
  stepMs: number;
  /** Sum of the ops' self times per step. */
  opMs: number;
  breakdown: StepBreakdown;
  windows: WindowReport[];
  /** In run order. */
  ops: OpReport[];
  /** In the model's execution order, MODEL_ROW last when present. */
  layers: LayerReport[];
  findings: Finding[];
  memory: { paramBytes: number; optimizerBytes: number; activationBytes: number };
  peak?: PeakInfo;
  overhead?: OverheadInfo;
}
