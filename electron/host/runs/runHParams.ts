/**
 * A run's hyperparameters, flattened to the scalar values TensorBoard's HParams dashboard and
 * Kiln's hyperparameter table show in columns, with Keras's argument names: optimizer,
 * learning_rate, batch_size, epochs, loss, metrics, data, the optimizer's own settings, the
 * callbacks' key settings, and the model's size.
 */
import { analyzeModel, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';

const DEFAULT_LR: Record<string, number> = { sgd: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001 };

/** Optimizer fields to Keras's argument names. */
const OPTIMIZER_KEYS: [string, string][] = [
  ['momentum', 'momentum'], ['nesterov', 'nesterov'], ['beta1', 'beta_1'], ['beta2', 'beta_2'], ['epsilon', 'epsilon'],
  ['rho', 'rho'], ['centered', 'centered'], ['weightDecay', 'weight_decay'], ['clipnorm', 'clipnorm'],
  ['globalClipnorm', 'global_clipnorm'], ['clipvalue', 'clipvalue'],
];

export function runHParams(run: { model: ModelDoc; training: TrainingConfig; data?: string }): Record<string, number | string | boolean> {
  const t = run.training;
  const out: Record<string, number | string | boolean> = {
    optimizer: t.optimizer.type,
    learning_rate: t.optimizer.learningRate ?? DEFAULT_LR[t.optimizer.type] ?? 0.001,
    batch_size: t.batchSize,
    epochs: t.epochs,
    loss: typeof t.loss === 'string' ? t.loss : 'type' in t.loss && typeof t.loss.type === 'string' ? t.loss.type : JSON.stringify(t.loss),
    metrics: t.metrics.join(','),
    validation_split: t.validationSplit,
    seed: t.seed,
  };
  if (run.data !== undefined) out.data = run.data;
  const optimizer = t.optimizer as unknown as Record<string, unknown>;
  for (const [field, name] of OPTIMIZER_KEYS) {
    const v = optimizer[field];
    if (typeof v === 'number' || typeof v === 'boolean') out[name] = v;
  }
  if (t.optimizer.schedule) out.lr_schedule = JSON.stringify(t.optimizer.schedule);
  const cb = t.callbacks;
  if (cb.earlyStopping) out.early_stopping_patience = cb.earlyStopping.patience;
  if (cb.reduceLROnPlateau) out.reduce_lr_factor = cb.reduceLROnPlateau.factor;
  const analysis = analyzeModel(run.model);
  out.layers = run.model.layers.length;
  if (analysis.issues.length === 0) out.parameters = analysis.order.reduce((n, l) => n + l.trainable + l.nonTrainable, 0);
  return out;
}
