// Kiln's EarlyStopping and ReduceLROnPlateau against Keras 3's on the same sequences of epoch logs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EarlyStopping, monitorDirection, ReduceLROnPlateau } from '../../electron/host/training/callbacks.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = tensorflowMissing();

const wobbly = [1.0, 0.8, 0.79, 0.795, 0.7, 0.71, 0.705, 0.702, 0.69, 0.7, 0.7, 0.7, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6];
const rising = [0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.69, 0.71, 0.71, 0.71];

interface Case {
  callback: 'EarlyStopping' | 'ReduceLROnPlateau';
  config: Record<string, unknown>;
  logs: Record<string, number>[];
  lr?: number;
}

const series = (monitor: string, values: number[]) => values.map((v) => ({ [monitor]: v, loss: 1 }));

const CASES: Case[] = [
  { callback: 'EarlyStopping', config: { monitor: 'val_loss', patience: 0 }, logs: series('val_loss', wobbly) },
  { callback: 'EarlyStopping', config: { monitor: 'val_loss', patience: 2 }, logs: series('val_loss', wobbly) },
  { callback: 'EarlyStopping', config: { monitor: 'val_loss', patience: 3, min_delta: 0.02 }, logs: series('val_loss', wobbly) },
  { callback: 'EarlyStopping', config: { monitor: 'val_accuracy', patience: 1, mode: 'max' }, logs: series('val_accuracy', rising) },
  { callback: 'EarlyStopping', config: { monitor: 'val_loss', patience: 2, mode: 'max' }, logs: series('val_loss', wobbly) },
  { callback: 'ReduceLROnPlateau', config: { monitor: 'val_loss', patience: 1, factor: 0.5 }, logs: series('val_loss', wobbly) },
  { callback: 'ReduceLROnPlateau', config: { monitor: 'val_loss', patience: 2, factor: 0.2, cooldown: 2, min_lr: 0.001, min_delta: 0.005 }, logs: series('val_loss', wobbly) },
  { callback: 'ReduceLROnPlateau', config: { monitor: 'val_loss', patience: 1, factor: 0.1, min_lr: 0.05 }, logs: series('val_loss', wobbly), lr: 0.2 },
];

function kiln(c: Case): { stops: boolean[]; lrs: number[] } {
  const cfg = c.config as Record<string, number | string | undefined>;
  const monitor = cfg.monitor as string;
  const mode = (cfg.mode as 'min' | 'max' | undefined) ?? 'auto';
  const direction = monitorDirection(monitor, mode, c.callback);
  if (typeof direction === 'object') throw new Error(direction.problem);
  const stops: boolean[] = [];
  const lrs: number[] = [];
  let lr = c.lr ?? 0.1;
  if (c.callback === 'EarlyStopping') {
    const cb = new EarlyStopping({ monitor, patience: Number(cfg.patience ?? 0), minDelta: Number(cfg.min_delta ?? 0), mode, restoreBestWeights: false }, direction);
    c.logs.forEach((logs, epoch) => { stops.push(cb.onEpochEnd(epoch, logs, () => ({}))); lrs.push(lr); });
  } else {
    const cb = new ReduceLROnPlateau({ monitor, patience: Number(cfg.patience ?? 10), factor: Number(cfg.factor ?? 0.1), minDelta: Number(cfg.min_delta ?? 1e-4), cooldown: Number(cfg.cooldown ?? 0), minLr: Number(cfg.min_lr ?? 0) }, direction);
    c.logs.forEach((logs) => { lr = cb.onEpochEnd(logs, lr) ?? lr; stops.push(false); lrs.push(lr); });
  }
  return { stops, lrs };
}

describe.skipIf(missing !== null && !process.env.CI)(`training callbacks against Keras${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('stop and reduce the learning rate at the same epochs as Keras', () => {
    const keras = JSON.parse(execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/keras_callbacks.py`], {
      input: JSON.stringify(CASES), encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' }, stdio: ['pipe', 'pipe', 'pipe'],
    })) as { stops: boolean[]; lrs: number[] }[];
    CASES.forEach((c, i) => {
      const ours = kiln(c);
      const label = `${c.callback} ${JSON.stringify(c.config)}`;
      // Keras keeps stepping after stop_training when fed more epochs; compare up to its first stop.
      const firstStop = keras[i].stops.indexOf(true);
      const upTo = firstStop < 0 ? c.logs.length : firstStop + 1;
      expect(ours.stops.slice(0, upTo), label).toEqual(keras[i].stops.slice(0, upTo));
      ours.lrs.forEach((lr, e) => expect(lr, `${label} epoch ${e + 1}`).toBeCloseTo(keras[i].lrs[e], 6));
    });
  }, 60_000);
});
