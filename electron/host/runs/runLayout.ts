/**
 * The files of a Kiln run folder, laid out as Keras's TensorBoard callback lays out a logdir so
 * that TensorBoard itself overlays train and validation:
 *
 *   run.json                      what was trained, how it went (training/runFile.ts)
 *   events.out.tfevents.*         the hparams plugin's session start and end (HParams dashboard)
 *   train/events.out.tfevents.*   batch_* per step, epoch_* per epoch, weight histograms
 *   validation/events.out...      epoch_* per epoch, evaluation_*_vs_iterations
 *   checkpoints/{last,best,final}/  TensorFlow checkpoints (ckpt-<epoch>.index/.data-*, checkpoint)
 *   confusion.json                the validation confusion matrix per epoch (classifiers)
 *   misclassified.json            the last epoch's misclassified validation samples
 */
export const RUN_JSON = 'run.json';
export const CONFUSION_JSON = 'confusion.json';
export const MISCLASSIFIED_JSON = 'misclassified.json';
export const CHECKPOINTS = 'checkpoints';
/** Rename and notes of runs that have no run.json (other writers' runs). */
export const FOREIGN_META_JSON = '.kiln-run.json';

export interface ConfusionFile {
  classNames: string[];
  /** One matrix per epoch (from 1), counts[true][predicted]. */
  epochs: { epoch: number; counts: number[][] }[];
}

export interface MisclassifiedFile {
  epoch: number;
  classNames: string[];
  /** Indices into the validation set, with the true and predicted class. */
  samples: { index: number; label: number; predicted: number }[];
}
