/**
 * The confusion matrix of a classifier on its validation samples, and the samples it got wrong:
 * what the dashboard's classification view shows per epoch. A model is a classifier here when it
 * has one output trained with a cross-entropy loss: sparse (class indices), categorical (one-hot)
 * or binary (one unit, 0/1 targets). The predicted class is the argmax of the output (softmax
 * probabilities and logits agree on it), or for a binary output the side of 0.5 (0 for logits).
 */
import type { EngineModelSpec } from '../../../common/model/index.js';

export interface Classifier {
  kind: 'sparse' | 'onehot' | 'binary';
  classes: number;
  fromLogits: boolean;
}

export interface Confusion {
  /** counts[true][predicted]. */
  counts: number[][];
  /** The first wrong samples (validation indices), up to the limit given. */
  misclassified: { index: number; label: number; predicted: number }[];
}

/** How to read the model as a classifier, or null when it is not one. */
export function classifierOf(spec: EngineModelSpec): Classifier | null {
  if (spec.outputs.length !== 1 || spec.losses.length !== 1 || spec.targets.length !== 1) return null;
  const loss = spec.losses[0];
  const target = spec.targets[0].shape;
  const perTarget = target.reduce((a, b) => a * b, 1);
  const fromLogits = loss.fromLogits === true;
  if (loss.type === 'sparse_categorical_crossentropy' && perTarget === 1) return { kind: 'sparse', classes: 0, fromLogits };
  if (loss.type === 'categorical_crossentropy' && target.length === 1 && perTarget >= 2) return { kind: 'onehot', classes: perTarget, fromLogits };
  if (loss.type === 'binary_crossentropy' && perTarget === 1) return { kind: 'binary', classes: 2, fromLogits };
  return null;
}

/**
 * `predictions`: the output for `count` samples, row by row; `targets`: their targets as the
 * model was trained on them. A sparse classifier's class count is the output's width.
 */
export function confusionOf(c: Classifier, predictions: Float32Array, targets: ArrayLike<number>, count: number, maxMisclassified: number): Confusion {
  const width = predictions.length / count;
  const classes = c.kind === 'binary' ? 2 : c.kind === 'sparse' ? width : c.classes;
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const misclassified: Confusion['misclassified'] = [];
  const threshold = c.fromLogits ? 0 : 0.5;
  for (let i = 0; i < count; i++) {
    let label: number, predicted: number;
    if (c.kind === 'binary') {
      label = targets[i] >= 0.5 ? 1 : 0;
      predicted = predictions[i] > threshold ? 1 : 0;
    } else {
      label = c.kind === 'sparse' ? targets[i] : argmax(targets, i * classes, classes);
      predicted = argmax(predictions, i * width, width);
    }
    if (!(label >= 0 && label < classes)) continue;  // a label the output cannot predict: checked before training
    counts[label][predicted]++;
    if (label !== predicted && misclassified.length < maxMisclassified) misclassified.push({ index: i, label, predicted });
  }
  return { counts, misclassified };
}

function argmax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (values[from + k] > values[from + best]) best = k;
  return best;
}
