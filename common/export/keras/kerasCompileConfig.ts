/**
 * Kiln's training settings as a Keras 3 `compile_config` (what `model.compile()` records and
 * `keras.models.load_model` compiles the model with): the optimizer with its settings and
 * learning-rate schedule, the loss per output, the metrics per output. The same settings as the
 * generated code's compile() (common/model/keras/kerasTrainingCode.ts), as data.
 */
import type { LearningRateSchedule, LossName, MetricName, OptimizerSpec } from '../../model/engineSpec.js';
import { lossFor, type LossConfig, type TrainingConfig } from '../../model/trainingConfig.js';
import { kerasObject, type Json, type JsonObject } from './kerasJson.js';

interface OptimizerDef {
  className: string;
  /** The name Keras gives an optimizer of this class. */
  name: string;
  learningRate: number;
  /** Keras's argument and default per OptimizerSpec setting. */
  settings: Partial<Record<keyof OptimizerSpec, [keras: string, fallback: number | boolean | null]>>;
}

const COMMON: OptimizerDef['settings'] = { weightDecay: ['weight_decay', null], clipnorm: ['clipnorm', null], globalClipnorm: ['global_clipnorm', null], clipvalue: ['clipvalue', null] };
const ADAM: OptimizerDef['settings'] = { beta1: ['beta_1', 0.9], beta2: ['beta_2', 0.999], epsilon: ['epsilon', 1e-7] };

const OPTIMIZERS: Record<OptimizerSpec['type'], OptimizerDef> = {
  sgd: { className: 'SGD', name: 'sgd', learningRate: 0.01, settings: { ...COMMON, momentum: ['momentum', 0], nesterov: ['nesterov', false] } },
  adam: { className: 'Adam', name: 'adam', learningRate: 0.001, settings: { ...COMMON, ...ADAM } },
  adamw: { className: 'AdamW', name: 'adamw', learningRate: 0.001, settings: { ...COMMON, weightDecay: ['weight_decay', 0.004], ...ADAM } },
  rmsprop: { className: 'RMSprop', name: 'rmsprop', learningRate: 0.001, settings: { ...COMMON, rho: ['rho', 0.9], momentum: ['momentum', 0], epsilon: ['epsilon', 1e-7], centered: ['centered', false] } },
};

/** Keras's settings of every optimizer that Kiln leaves at their defaults. */
const FIXED: JsonObject = { use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null };

/** The optimizer's initial learning rate, as Kiln trains with it. */
export function learningRateOf(spec: OptimizerSpec): number {
  return spec.learningRate ?? OPTIMIZERS[spec.type].learningRate;
}

/** Keras's name for the optimizer (its weights file group is named after it). */
export const optimizerName = (spec: OptimizerSpec): string => OPTIMIZERS[spec.type].name;

/** A keras.optimizers.schedules object starting at `lr`, or `lr` itself for a constant rate. */
function scheduleConfig(s: LearningRateSchedule | undefined, lr: number): Json {
  const schedule = (className: string, config: JsonObject) => kerasObject('keras.optimizers.schedules', className, config);
  switch (s?.type ?? 'constant') {
    case 'exponential':
      return schedule('ExponentialDecay', { initial_learning_rate: lr, decay_steps: s!.decaySteps ?? 0, decay_rate: s!.decayRate ?? 0, staircase: s!.staircase ?? false, name: 'ExponentialDecay' });
    case 'cosine':
      return schedule('CosineDecay', { initial_learning_rate: lr, decay_steps: s!.decaySteps ?? 0, alpha: s!.alpha ?? 0, name: 'CosineDecay', warmup_target: s!.warmupTarget ?? null, warmup_steps: s!.warmupSteps ?? 0 });
    case 'piecewise':
      return schedule('PiecewiseConstantDecay', { boundaries: s!.boundaries ?? [], values: s!.values ?? [], name: 'PiecewiseConstant' });
    case 'warmup':
      // Keras has no warm-up-only schedule; CosineDecay with alpha=1.0 warms up and then never decays.
      return schedule('CosineDecay', { initial_learning_rate: lr, decay_steps: 1, alpha: 1, name: 'CosineDecay', warmup_target: s!.warmupTarget ?? lr, warmup_steps: s!.warmupSteps ?? 0 });
    default:
      return lr;
  }
}

/** The optimizer as Keras serializes it. */
export function optimizerConfig(spec: OptimizerSpec): Json {
  const def = OPTIMIZERS[spec.type];
  const config: JsonObject = { name: def.name, learning_rate: scheduleConfig(spec.schedule, learningRateOf(spec)), ...FIXED };
  for (const [key, [keras, fallback]] of Object.entries(def.settings) as [keyof OptimizerSpec, [string, number | boolean | null]][]) {
    const value = spec[key] as number | boolean | undefined;
    // 0 turns weight decay and clipping off, which Keras says with None.
    config[keras] = value === undefined || (fallback === null && value === 0) ? fallback : value;
  }
  if (spec.type === 'adam' || spec.type === 'adamw') config.amsgrad = false;
  return kerasObject('keras.optimizers', def.className, config);
}

const LOSS_CLASSES: Record<LossName, [className: string, name: string]> = {
  sparse_categorical_crossentropy: ['SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'],
  categorical_crossentropy: ['CategoricalCrossentropy', 'categorical_crossentropy'],
  binary_crossentropy: ['BinaryCrossentropy', 'binary_crossentropy'],
  mean_squared_error: ['MeanSquaredError', 'mean_squared_error'],
  mean_absolute_error: ['MeanAbsoluteError', 'mean_absolute_error'],
  huber: ['Huber', 'huber_loss'],
};
const CROSSENTROPY = new Set<LossName>(['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy']);

/** A loss by name, or as its class where it has settings (from_logits, Huber's delta). */
function lossConfig(loss: LossConfig): Json {
  const fromLogits = loss.fromLogits === true && CROSSENTROPY.has(loss.type);
  const delta = loss.type === 'huber' ? loss.delta : undefined;
  if (!fromLogits && delta === undefined) return loss.type;
  const [className, name] = LOSS_CLASSES[loss.type];
  return kerasObject('keras.losses', className, { name, reduction: 'sum_over_batch_size', ...(fromLogits ? { from_logits: true } : {}), ...(delta !== undefined ? { delta } : {}) });
}

/** Whether Kiln computes `metric` for an output trained with `loss` (not metrics that compare class labels with scores). */
function metricApplies(metric: MetricName, loss: LossName): boolean {
  const sparse = loss === 'sparse_categorical_crossentropy';
  if (metric === 'sparse_categorical_accuracy') return sparse;
  if (metric === 'categorical_accuracy' || metric === 'mean_absolute_error' || metric === 'mean_squared_error') return !sparse;
  return true;
}

/** An output of the model: its name in Kiln (the training settings use it) and in Keras. */
export interface KerasOutput {
  name: string;
  keras: string;
}

/** The compile_config for a model with these outputs, in order. */
export function compileConfig(training: TrainingConfig, outputs: KerasOutput[]): JsonObject {
  const losses = outputs.map((o) => ({ ...o, loss: lossFor(training, o.name) })).filter((o): o is KerasOutput & { loss: LossConfig } => o.loss !== undefined);
  const metricsOf = (loss: LossConfig) => training.metrics.filter((m) => metricApplies(m, loss.type));
  const single = outputs.length === 1 && losses.length === 1;
  let metrics: Json = null;
  if (single && metricsOf(losses[0].loss).length > 0) metrics = metricsOf(losses[0].loss);
  else if (!single && training.metrics.length > 0) metrics = Object.fromEntries(losses.map((o) => [o.keras, metricsOf(o.loss)]));
  return {
    optimizer: optimizerConfig(training.optimizer),
    loss: single ? lossConfig(losses[0].loss) : Object.fromEntries(losses.map((o) => [o.keras, lossConfig(o.loss)])),
    loss_weights: null,
    metrics,
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}
