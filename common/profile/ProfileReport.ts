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

/** One thread's work on an op in one training step (NativeModel.profileTimeline()). */
export interface ThreadSpan {
  /** 0: the thread that runs the step (a span per op); 1..: the compute pool's workers (their share of the op's parallel loops). */
  thread: number;
  node: string;
  op: string;
  /** From the step's start, which its wait for data opens. */
  startNs: number;
  endNs: number;
}

/** The last profiled step as the engine recorded it, per thread. */
export interface MeasuredTimeline {
  /** The training step, from 1. */
  step: number;
  stepNs: number;
  dataWaitNs: number;
  threads: number;
  spans: ThreadSpan[];
}

/** Bytes the engine held for training, measured over the profiled steps (NativeModel.memory()). */
export interface MeasuredMemory {
  /** The training step's planned arena: activations and gradients, buffers reused once dead. */
  arenaBytes: number;
  weightBytes: number;
  optimizerBytes: number;
  /** Kernels' per-thread scratch (patch matrices, packed GEMM panels): its high-water mark. */
  scratchBytes: number;
  /** The buffers batches are gathered into (two, so one fills while the other trains). */
  batchBytes: number;
  /** The arenas of every plan the model holds (the last short batch, validation), the step's included. */
  plansBytes: number;
  /** All of it held at once: its high-water mark. */
  peakBytes: number;
}

/** A stretch of consecutive training steps profiled together. */
export interface MeasuredWindow {
  /** The window's first training step, from 1. */
  firstStep: number;
  steps: number;
  /** Its last step, when the steps skipped some (a live profile times whole batches only); else firstStep + steps - 1. */
  lastStep?: number;
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
  lastStep?: number;
  stepMs: number;
  breakdown: StepBreakdown;
  loss?: number;
}

/** A thread's span of the timeline, attributed as its op is. */
export interface TimelineSpan extends ThreadSpan {
  layerId: string | null;
  phase: ProfilePhase;
}

export interface TimelineReport extends Omit<MeasuredTimeline, 'spans'> {
  spans: TimelineSpan[];
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
  /** Estimated from the layers (float32), and `measured` in the engine when it reported it. */
  memory: { paramBytes: number; optimizerBytes: number; activationBytes: number; measured?: MeasuredMemory };
  /** One profiled step per thread. */
  timeline?: TimelineReport;
  /** Profiled live: the training run (its folder in the studio's logdir) whose steps these are. */
  run?: string;
  peak?: PeakInfo;
  overhead?: OverheadInfo;
}
