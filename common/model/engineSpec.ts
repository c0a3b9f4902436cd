/**
 * The engine's model spec: a forward graph in the engine's primitive ops (native/include/kiln/ir.h)
 * with a symbolic batch dimension, its weights, losses, metrics and optimizer. `lowerModel` produces
 * it from the editor's layers; the engine host hands it to the native `Model`
 * (native/binding/model_spec_reader.cpp reads exactly these fields).
 */

export type EngineDtype = 'float32' | 'float64' | 'int32';

export interface EngineTensor {
  name: string;
  /** Per sample: the engine puts the batch dimension in front. */
  shape: number[];
  dtype?: EngineDtype;
}

export type InitializerName =
  | 'zeros' | 'ones' | 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal'
  | 'lecun_uniform' | 'lecun_normal' | 'random_uniform' | 'random_normal' | 'truncated_normal';

export type Initializer = InitializerName | { type: InitializerName | 'constant'; value?: number; minval?: number; maxval?: number; mean?: number; stddev?: number };

export interface EngineParam {
  name: string;
  shape: number[];
  trainable?: boolean;
  /** Keras's default for kernels: glorot_uniform. */
  init?: Initializer;
  /** Kernel regularizers: l1 * sum|w| + l2 * sum w^2 join the loss. */
  l1?: number;
  l2?: number;
}

export type EngineAttr = number | boolean | string | number[];

export interface EngineNode {
  op: string;
  name: string;
  inputs: string[];
  /** Names for the node's outputs (default: its name, or name:i for several). */
  outputs?: string[];
  attrs?: Record<string, EngineAttr>;
  /** Present only in the training graph or only in the inference graph. */
  mode?: 'train' | 'infer';
}

export type LossName =
  | 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'binary_crossentropy'
  | 'mean_squared_error' | 'mean_absolute_error' | 'huber';

export interface EngineLoss {
  type: LossName;
  output: string;
  target: string;
  fromLogits?: boolean;
  delta?: number;
  weight?: number;
}

export type MetricName =
  | 'accuracy' | 'sparse_categorical_accuracy' | 'categorical_accuracy' | 'binary_accuracy'
  | 'mean_absolute_error' | 'mean_squared_error';

export interface EngineMetric {
  type: MetricName;
  /** As reported (default: the type). */
  name?: string;
  output: string;
  target: string;
  threshold?: number;
}

export interface LearningRateSchedule {
  type: 'constant' | 'exponential' | 'cosine' | 'piecewise' | 'warmup';
  decaySteps?: number;
  decayRate?: number;
  staircase?: boolean;
  alpha?: number;
  warmupSteps?: number;
  warmupTarget?: number;
  boundaries?: number[];
  values?: number[];
}

/** Keras's optimizers and their parameters; absent fields take Keras's defaults. */
export interface OptimizerSpec {
  type: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  rho?: number;
  centered?: boolean;
  weightDecay?: number;
  clipnorm?: number;
  globalClipnorm?: number;
  clipvalue?: number;
  schedule?: LearningRateSchedule;
}

export interface EngineModelSpec {
  inputs: EngineTensor[];
  targets: EngineTensor[];
  params: EngineParam[];
  nodes: EngineNode[];
  movingAverages?: { var: string; value: string; momentum: number }[];
  outputs: string[];
  losses: EngineLoss[];
  metrics: EngineMetric[];
  optimizer: OptimizerSpec;
  seed: number;
  /**
   * Keras's dtype policy. 'mixed_bfloat16' / 'mixed_float16': on the GPU, matrix products and
   * convolutions (forward and gradients) take bfloat16 / float16 inputs with float32 accumulation;
   * weights, optimizer state and every other op stay float32. The cpu backends compute everything
   * in float32. 'mixed_float16' trains with dynamic loss scaling on every backend, as Keras's
   * LossScaleOptimizer (initial scale 2^15, halved when a step's gradients are not finite and that
   * step's update skipped, doubled after 2000 finite steps); its step events carry lossScale and skipped.
   */
  precision?: 'float32' | 'mixed_bfloat16' | 'mixed_float16';
}
