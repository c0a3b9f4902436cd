/**
 * The training half of generated Keras code: `model.compile(...)` from a TrainingConfig (optimizer
 * with its non-default settings and learning-rate schedule, losses, metrics), the callbacks, and a
 * commented `model.fit(...)` with the batch size, epochs and validation split.
 */
import type { LearningRateSchedule, LossName, MetricName, OptimizerSpec } from '../engineSpec.js';
import { lossFor, type LossConfig, type TrainingConfig } from '../trainingConfig.js';
import { pyComment, pyFloat, pyNumber, pyString } from './pythonSyntax.js';

/** Names the training code assigns; layer variables must avoid them. */
export const TRAINING_NAMES: ReadonlySet<string> = new Set(['learning_rate', 'callbacks', 'x_train', 'y_train']);

const LOSS_CLASSES: Record<LossName, string> = {
  sparse_categorical_crossentropy: 'SparseCategoricalCrossentropy',
  categorical_crossentropy: 'CategoricalCrossentropy',
  binary_crossentropy: 'BinaryCrossentropy',
  mean_squared_error: 'MeanSquaredError',
  mean_absolute_error: 'MeanAbsoluteError',
  huber: 'Huber',
};
const CROSSENTROPY = new Set<LossName>(['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy']);

interface OptimizerDef {
  className: string;
  /** Keras's defaults, keyed by OptimizerSpec field; the Keras argument name beside each. */
  settings: Partial<Record<keyof OptimizerSpec, [keras: string, fallback: number | boolean | null]>>;
}

const COMMON: OptimizerDef['settings'] = { weightDecay: ['weight_decay', null], clipnorm: ['clipnorm', null], globalClipnorm: ['global_clipnorm', null], clipvalue: ['clipvalue', null] };
const ADAM: OptimizerDef['settings'] = { beta1: ['beta_1', 0.9], beta2: ['beta_2', 0.999], epsilon: ['epsilon', 1e-7] };

const OPTIMIZERS: Record<OptimizerSpec['type'], OptimizerDef & { learningRate: number }> = {
  sgd: { className: 'SGD', learningRate: 0.01, settings: { momentum: ['momentum', 0], nesterov: ['nesterov', false], ...COMMON } },
  adam: { className: 'Adam', learningRate: 0.001, settings: { ...ADAM, ...COMMON } },
  adamw: { className: 'AdamW', learningRate: 0.001, settings: { ...ADAM, ...COMMON, weightDecay: ['weight_decay', 0.004] } },
  rmsprop: { className: 'RMSprop', learningRate: 0.001, settings: { rho: ['rho', 0.9], momentum: ['momentum', 0], epsilon: ['epsilon', 1e-7], centered: ['centered', false], ...COMMON } },
};

/** OptimizerSpec fields that are not settings of the optimizer class. */
const NOT_SETTINGS = new Set<keyof OptimizerSpec>(['type', 'learningRate', 'schedule']);

const args = (pairs: [string, string][]): string => pairs.map(([k, v]) => `${k}=${v}`).join(', ');

/** A keras.optimizers.schedules.* expression starting at `lr` (for a constant rate, `lr` itself). */
function scheduleCode(s: LearningRateSchedule, lr: number): string {
  const lrArg: [string, string] = ['initial_learning_rate', pyFloat(lr)];
  switch (s.type) {
    case 'exponential':
      return `keras.optimizers.schedules.ExponentialDecay(${args([lrArg, ['decay_steps', pyNumber(s.decaySteps ?? 0)], ['decay_rate', pyFloat(s.decayRate ?? 0)], ...(s.staircase ? [['staircase', 'True'] as [string, string]] : [])])})`;
    case 'cosine': {
      const warmup: [string, string][] = s.warmupTarget !== undefined ? [['warmup_target', pyFloat(s.warmupTarget)], ['warmup_steps', pyNumber(s.warmupSteps ?? 0)]] : [];
      return `keras.optimizers.schedules.CosineDecay(${args([lrArg, ['decay_steps', pyNumber(s.decaySteps ?? 0)], ...(s.alpha ? [['alpha', pyFloat(s.alpha)] as [string, string]] : []), ...warmup])})`;
    }
    case 'piecewise':
      return `keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[${(s.boundaries ?? []).map((b) => pyNumber(b)).join(', ')}], values=[${(s.values ?? []).map(pyFloat).join(', ')}])`;
    case 'warmup':
      // Keras has no warm-up-only schedule; CosineDecay with alpha=1.0 warms up and then never decays.
      return `keras.optimizers.schedules.CosineDecay(${args([lrArg, ['decay_steps', '1'], ['alpha', '1.0'], ['warmup_target', pyFloat(s.warmupTarget ?? lr)], ['warmup_steps', pyNumber(s.warmupSteps ?? 0)]])})`;
    case 'constant':
      return pyFloat(lr);
  }
}

/** Lines defining `learning_rate` (a schedule) when there is one, and the optimizer expression. */
function optimizerCode(spec: OptimizerSpec, notes: string[]): { before: string[]; expr: string } {
  const def = OPTIMIZERS[spec.type];
  const lr = spec.learningRate ?? def.learningRate;
  const before: string[] = [];
  let lrCode = pyFloat(lr);
  if (spec.schedule && spec.schedule.type !== 'constant') {
    if (spec.schedule.type === 'warmup') before.push('# A linear warm-up to warmup_target, then constant: CosineDecay with alpha=1.0 never decays.');
    before.push(`learning_rate = ${scheduleCode(spec.schedule, lr)}`);
    lrCode = 'learning_rate';
  }
  const pairs: [string, string][] = [['learning_rate', lrCode]];
  for (const [key, value] of Object.entries(spec) as [keyof OptimizerSpec, unknown][]) {
    if (NOT_SETTINGS.has(key) || value === undefined) continue;
    const setting = def.settings[key];
    if (!setting) {
      notes.push(pyComment(`${key} ${String(value)} is not a setting of ${def.className}: left out (Kiln ignores it too)`));
      continue;
    }
    const [name, fallback] = setting;
    if (value === fallback || (fallback === null && value === 0)) continue;  // 0 turns weight decay and clipping off
    pairs.push([name, typeof value === 'boolean' ? (value ? 'True' : 'False') : pyFloat(value as number)]);
  }
  return { before, expr: `keras.optimizers.${def.className}(${args(pairs)})` };
}

function lossCode(loss: LossConfig, notes: string[]): string {
  const pairs: [string, string][] = [];
  if (loss.fromLogits) {
    if (CROSSENTROPY.has(loss.type)) pairs.push(['from_logits', 'True']);
    else notes.push(pyComment(`from_logits does not apply to ${loss.type}: left out`));
  }
  if (loss.delta !== undefined) {
    if (loss.type === 'huber') pairs.push(['delta', pyFloat(loss.delta)]);
    else notes.push(pyComment(`delta applies to the huber loss only, not ${loss.type}: left out`));
  }
  return pairs.length === 0 ? pyString(loss.type) : `keras.losses.${LOSS_CLASSES[loss.type]}(${args(pairs)})`;
}

/** Whether Kiln computes `metric` against an output trained with `loss` (it skips metrics that compare class labels with scores). */
function metricApplies(metric: MetricName, loss: LossName): boolean {
  const sparse = loss === 'sparse_categorical_crossentropy';
  if (metric === 'sparse_categorical_accuracy') return sparse;
  if (metric === 'categorical_accuracy' || metric === 'mean_absolute_error' || metric === 'mean_squared_error') return !sparse;
  return true;
}

/** An output of the model: its Kiln name (training settings name it) and its Keras name. */
export interface OutputName {
  name: string;
  keras: string;
}

/** `model.compile(...)` for the model's outputs, in order. */
function compileCode(training: TrainingConfig, outputs: OutputName[]): string[] {
  const notes: string[] = [];
  const { before, expr } = optimizerCode(training.optimizer, notes);
  const losses = outputs.map((o) => ({ ...o, loss: lossFor(training, o.name) }));
  for (const { name, loss } of losses) if (!loss) notes.push(pyComment(`The output '${name}' has no loss: choose one for it in the training settings`));
  const given = losses.filter((l): l is OutputName & { loss: LossConfig } => l.loss !== undefined);
  const single = outputs.length === 1 && given.length === 1;
  const lossArg = single ? lossCode(given[0].loss, notes) : `{${given.map(({ keras, loss }) => `${pyString(keras)}: ${lossCode(loss, notes)}`).join(', ')}}`;
  if (typeof training.loss === 'object' && !('type' in training.loss)) {
    for (const name of Object.keys(training.loss)) if (!outputs.some((o) => o.name === name)) notes.push(pyComment(`The loss for '${name}' is left out: '${name}' is not an output of the model`));
  }
  const metricsOf = (name: string, loss: LossConfig): string[] => {
    const kept = training.metrics.filter((m) => metricApplies(m, loss.type));
    for (const m of training.metrics) if (!kept.includes(m)) notes.push(pyComment(`${m} is left out for '${name}': its targets are class labels (Kiln leaves it out too)`));
    return kept.map(pyString);
  };
  const lines = ['model.compile(', `    optimizer=${expr},`, `    loss=${lossArg},`];
  if (single) {
    const metrics = metricsOf(given[0].name, given[0].loss);
    if (metrics.length > 0) lines.push(`    metrics=[${metrics.join(', ')}],`);
  } else if (training.metrics.length > 0) {
    lines.push(`    metrics={${given.map(({ name, keras, loss }) => `${pyString(keras)}: [${metricsOf(name, loss).join(', ')}]`).join(', ')}},`);
  }
  lines.push(')');
  return [...notes, ...before, ...lines];
}

function callbacksCode(c: TrainingConfig['callbacks']): string[] {
  const out: string[] = [];
  const mode = (m: string): [string, string][] => (m === 'auto' ? [] : [['mode', pyString(m)]]);
  const keep = (pairs: [string, string, boolean][]): [string, string][] => pairs.filter(([, , differs]) => differs).map(([k, v]) => [k, v]);
  if (c.earlyStopping) {
    const e = c.earlyStopping;
    out.push(`keras.callbacks.EarlyStopping(${args([['monitor', pyString(e.monitor)], ...keep([['patience', pyNumber(e.patience), e.patience !== 0], ['min_delta', pyFloat(e.minDelta), e.minDelta !== 0], ['restore_best_weights', 'True', e.restoreBestWeights]]), ...mode(e.mode)])})`);
  }
  if (c.modelCheckpoint) {
    const m = c.modelCheckpoint;
    out.push(`keras.callbacks.ModelCheckpoint(${args([['filepath', pyString('checkpoint.keras')], ['monitor', pyString(m.monitor)], ...keep([['save_best_only', 'True', m.saveBestOnly]]), ...mode(m.mode)])})`);
  }
  if (c.reduceLROnPlateau) {
    const r = c.reduceLROnPlateau;
    const pairs = keep([
      ['factor', pyFloat(r.factor), r.factor !== 0.1],
      ['patience', pyNumber(r.patience), r.patience !== 10],
      ['min_delta', pyFloat(r.minDelta), r.minDelta !== 1e-4],
      ['cooldown', pyNumber(r.cooldown), r.cooldown !== 0],
      ['min_lr', pyFloat(r.minLr), r.minLr !== 0],
    ]);
    out.push(`keras.callbacks.ReduceLROnPlateau(${args([['monitor', pyString(r.monitor)], ...pairs])})`);
  }
  return out;
}

/** The lines after the model: compile, callbacks and the commented fit call. */
export function trainingCode(training: TrainingConfig, outputs: OutputName[]): string[] {
  const lines = [...compileCode(training, outputs), ''];
  const callbacks = callbacksCode(training.callbacks);
  if (callbacks.length > 0) lines.push('callbacks = [', ...callbacks.map((c) => `    ${c},`), ']');
  const fit: [string, string][] = [['batch_size', pyNumber(training.batchSize)], ['epochs', pyNumber(training.epochs)]];
  if (training.validationSplit > 0) fit.push(['validation_split', pyFloat(training.validationSplit)]);
  if (callbacks.length > 0) fit.push(['callbacks', 'callbacks']);
  lines.push('# Train on your data: x_train holds the inputs, y_train the targets.', `# model.fit(x_train, y_train, ${args(fit)})`);
  return lines;
}

/** Seeds Keras's random numbers as the training settings seed Kiln's (the two draw different numbers). */
export function seedCode(training: TrainingConfig): string {
  return `keras.utils.set_random_seed(${pyNumber(training.seed)})`;
}
