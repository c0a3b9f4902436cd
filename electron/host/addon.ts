import { createRequire } from 'node:module';
import { paths } from './appRoot.js';

/** The native engine's JavaScript surface (native/binding/addon.cpp). */
export interface NativeLayer {
  inputs: number;
  units: number;
  activation: 'linear' | 'relu';
}

export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
}

export interface FitOptions {
  x: Float32Array;
  y: Int32Array;
  epochs: number;
  batchSize: number;
  learningRate: number;
  shuffle: boolean;
}

export interface FitResult {
  loss: number;
  accuracy: number;
  steps: number;
  stopped: boolean;
}

export interface NativeTrainer {
  getWeights(): Float32Array[];
  setWeights(weights: Float32Array[]): void;
  evaluate(x: Float32Array, y: Int32Array): Promise<{ loss: number; accuracy: number }>;
  gradients(x: Float32Array, y: Int32Array): Promise<{ loss: number; grads: Float32Array[] }>;
  /** Trains on a worker thread; `onSteps` receives every step's loss, in order, through a thread-safe function. */
  fit(options: FitOptions, onSteps: (steps: StepRecord[]) => void): Promise<FitResult>;
  stop(): void;
  isTraining(): boolean;
}

export interface NativeAddon {
  version(): string;
  Trainer: new (spec: { layers: NativeLayer[]; seed: number }) => NativeTrainer;
}

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  cached ??= createRequire(import.meta.url)(paths.addon) as NativeAddon;
  return cached;
}
