/**
 * How a model is trained: Keras's compile() and fit() arguments and callbacks, as stored in
 * project files and sent with a training request.
 */
import type { LossName, MetricName, OptimizerSpec } from './engineSpec.js';

export interface LossConfig {
  type: LossName;
  fromLogits?: boolean;
  /** Huber's delta. */
  delta?: number;
}

export interface EarlyStoppingConfig {
  monitor: string;
  patience: number;
  minDelta: number;
  mode: 'min' | 'max' | 'auto';
  restoreBestWeights: boolean;
}

export interface ModelCheckpointConfig {
  monitor: string;
  /** Keep only the best weights by `monitor` (plus always the last). */
  saveBestOnly: boolean;
  mode: 'min' | 'max' | 'auto';
}

export interface ReduceLROnPlateauConfig {
  monitor: string;
  factor: number;
  patience: number;
  minDelta: number;
  cooldown: number;
  minLr: number;
}

export const TRAINING_DEVICES = ['auto', 'cpu', 'gpu'] as const;
export type TrainingDevice = (typeof TRAINING_DEVICES)[number];
export const PRECISIONS = ['float32', 'mixed_bfloat16', 'mixed_float16'] as const;
/** The most CPU threads a training may ask for (the engine's limit too). */
export const MAX_CPU_THREADS = 256;
export type Precision = (typeof PRECISIONS)[number];

export interface TrainingConfig {
  /** One loss for every output, or one per output layer name. */
  loss: LossName | LossConfig | Record<string, LossName | LossConfig>;
  optimizer: OptimizerSpec;
  metrics: MetricName[];
  batchSize: number;
  epochs: number;
  /** Fraction of the training data held out for validation (the last samples, as Keras does). */
  validationSplit: number;
  seed: number;
  /** Where training runs: the GPU when one is usable ('auto', the default), the CPU, or the GPU only. */
  device?: TrainingDevice;
  /**
   * Keras's dtype policy: 'mixed_bfloat16' / 'mixed_float16' multiply in bfloat16 / float16 on the
   * GPU (float32 weights and results); 'mixed_float16' also scales the loss as Keras's LossScaleOptimizer.
   */
  precision?: Precision;
  /** Caps Kiln's GPU memory at this many MiB (TensorFlow's memory_limit); absent: grows as needed. */
  gpuMemoryLimitMiB?: number;
  /**
   * Threads a training on the CPU computes with (PyTorch's set_num_threads); absent: one per core.
   * Fewer leave cores to the rest of the machine, the studio's own dashboard included.
   */
  cpuThreads?: number;
  callbacks: {
    earlyStopping?: EarlyStoppingConfig;
    modelCheckpoint?: ModelCheckpointConfig;
    reduceLROnPlateau?: ReduceLROnPlateauConfig;
  };
}

export function defaultTrainingConfig(): TrainingConfig {
  return {
    loss: 'sparse_categorical_crossentropy',
    optimizer: { type: 'adam', learningRate: 0.001 },
    metrics: ['accuracy'],
    batchSize: 32,
    epochs: 10,
    validationSplit: 0,
    seed: 1,
    callbacks: {},
  };
}

/** The loss of one output, in normal form. */
export function lossFor(config: TrainingConfig, output: string): LossConfig | undefined {
  const l = config.loss;
  if (typeof l === 'string') return { type: l };
  if ('type' in l && typeof l.type === 'string') return l as LossConfig;
  const per = (l as Record<string, LossName | LossConfig>)[output];
  if (per === undefined) return undefined;
  return typeof per === 'string' ? { type: per } : per;
}
