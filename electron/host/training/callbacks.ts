/**
 * Keras 3's training callbacks, acting between epochs on Keras-named logs (loss, accuracy,
 * val_loss, val_accuracy, learning_rate): EarlyStopping, ModelCheckpoint's best tracking and
 * ReduceLROnPlateau, with Keras's rules (keras/src/callbacks/*.py, Keras 3.15).
 */
import type { EarlyStoppingConfig, ModelCheckpointConfig, ReduceLROnPlateauConfig } from '../../../common/model/trainingConfig.js';
import type { Weights } from './weightsFile.js';

export type EpochLogs = Record<string, number>;
export type Direction = 'min' | 'max';

const MINIMISED = ['loss', 'mean_absolute_error', 'mean_squared_error', 'mae', 'mse', 'huber'];
const MAXIMISED = ['accuracy', 'acc', 'auc', 'precision', 'recall'];

/**
 * Which way `monitor` improves. `auto` infers it from the name as Keras does (loss down, accuracy
 * up); a name it cannot place is a problem, as in Keras ("pass mode 'min' or 'max'").
 */
export function monitorDirection(monitor: string, mode: 'auto' | 'min' | 'max', who: string): Direction | { problem: string } {
  if (mode !== 'auto') return mode;
  const name = monitor.replace(/^val_/, '');
  const matches = (list: string[]) => list.some((m) => name === m || name.endsWith(`_${m}`));
  if (matches(MINIMISED)) return 'min';
  if (matches(MAXIMISED)) return 'max';
  return { problem: `${who} monitors "${monitor}", and Kiln cannot tell whether it should go up or down: set its mode to "min" or "max"` };
}

/** Keras's MonitorCallback: an improvement beats the best by more than min_delta. */
class Monitor {
  best: number | undefined;

  constructor(readonly monitor: string, readonly direction: Direction, readonly minDelta = 0) {}

  isImprovement(current: number, reference = this.best): boolean {
    if (reference === undefined) return true;
    return this.direction === 'min' ? current + this.minDelta < reference : current - this.minDelta > reference;
  }
}

/** Stops training when `monitor` has not improved for `patience` epochs; can restore the best epoch's weights. */
export class EarlyStopping {
  private readonly m: Monitor;
  private wait = 0;
  bestEpoch = -1;
  stoppedEpoch = 0;
  private bestWeights: Weights | undefined;

  constructor(readonly config: EarlyStoppingConfig, direction: Direction) {
    this.m = new Monitor(config.monitor, direction, Math.abs(config.minDelta));
  }

  /** After epoch `epoch` (from 0): true to stop training. `weights` reads the model's weights. */
  onEpochEnd(epoch: number, logs: EpochLogs, weights: () => Weights): boolean {
    const current = logs[this.config.monitor];
    if (current === undefined) return false;
    if (this.config.restoreBestWeights && this.bestWeights === undefined) {
      this.bestWeights = weights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.m.isImprovement(current)) {
      this.m.best = current;
      this.bestEpoch = epoch;
      if (this.config.restoreBestWeights) this.bestWeights = weights();
      this.wait = 0;
      return false;
    }
    if (this.wait >= this.config.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      return true;
    }
    return false;
  }

  /** The weights to restore at the end of training (restore_best_weights), if any. */
  onTrainEnd(): { weights: Weights; epoch: number } | undefined {
    return this.config.restoreBestWeights && this.bestWeights ? { weights: this.bestWeights, epoch: this.bestEpoch } : undefined;
  }
}

/** ModelCheckpoint's choice of the best epoch by `monitor` (Kiln also always keeps the last weights). */
export class BestCheckpoint {
  private readonly m: Monitor;
  bestEpoch = -1;

  constructor(readonly config: Pick<ModelCheckpointConfig, 'monitor'>, direction: Direction) {
    this.m = new Monitor(config.monitor, direction);
  }

  get direction(): Direction {
    return this.m.direction;
  }

  get best(): number | undefined {
    return this.m.best;
  }

  /** True when this epoch is the best so far (save its weights). */
  onEpochEnd(epoch: number, logs: EpochLogs): boolean {
    const current = logs[this.config.monitor];
    if (current === undefined || !this.m.isImprovement(current)) return false;
    this.m.best = current;
    this.bestEpoch = epoch;
    return true;
  }
}

/** Multiplies the learning rate by `factor` when `monitor` has stalled for `patience` epochs. */
export class ReduceLROnPlateau {
  private readonly m: Monitor;
  private wait = 0;
  private cooldownCounter = 0;

  constructor(readonly config: ReduceLROnPlateauConfig, direction: Direction) {
    this.m = new Monitor(config.monitor, direction, Math.abs(config.minDelta));
  }

  /** After an epoch: the new learning rate, or undefined to keep `lr`. */
  onEpochEnd(logs: EpochLogs, lr: number): number | undefined {
    const current = logs[this.config.monitor];
    if (current === undefined) return undefined;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.m.isImprovement(current)) {
      this.m.best = current;
      this.wait = 0;
      return undefined;
    }
    if (this.cooldownCounter > 0) return undefined;
    this.wait += 1;
    if (this.wait < this.config.patience) return undefined;
    if (!(lr > Math.fround(this.config.minLr))) return undefined;
    this.cooldownCounter = this.config.cooldown;
    this.wait = 0;
    return Math.max(lr * this.config.factor, this.config.minLr);
  }
}
