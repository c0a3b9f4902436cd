import type { DataSummary } from '../../../common/contract/index.js';
import type { LossName, TrainingConfig } from '../../../common/model/index.js';

const CLASSIFICATION: readonly LossName[] = ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy'];

/**
 * The training settings for newly chosen data: a classification loss for class labels and a
 * regression loss for numbers, switched (with its usual metric) only when the current one cannot
 * train on the data; returns what changed, for the user, or null.
 */
export function fitLossToData(training: TrainingConfig, summary: DataSummary): { training: TrainingConfig; note: string } | null {
  if (typeof training.loss === 'object' && !('type' in training.loss)) return null;  // one loss per output: the user's
  const loss = typeof training.loss === 'string' ? training.loss : (training.loss as { type: LossName }).type;
  const classes = summary.target.kind === 'classes';
  if (classes === CLASSIFICATION.includes(loss)) return null;
  const next: TrainingConfig = classes
    ? { ...training, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }
    : { ...training, loss: 'mean_squared_error', metrics: ['mean_absolute_error'] };
  return { training: next, note: `${summary.spec} has ${classes ? 'class labels' : 'numeric targets'}: the loss is now ${next.loss as string}.` };
}
