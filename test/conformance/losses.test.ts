// Every loss and metric the engine offers against Keras 3's own (keras.losses / keras.metrics on
// tensorflow-cpu 2.21): the engine's evaluate() on a fixed batch gives Keras's reduced loss within
// rtol 1e-5, and the same metric value.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineLoss, EngineMetric, EngineModelSpec } from '../../common/model/engineSpec.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import { prng } from '../support/specs.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;
const missing = tensorflowMissing();
const [N, C] = [6, 4];

interface Case {
  kiln: Omit<EngineLoss, 'output' | 'target'>;
  metric: EngineMetric['type'];
  keras: { loss: string; kwargs?: Record<string, unknown>; metric: string };
  sparse?: boolean;
  /** How predictions and targets are made from uniform noise. */
  pred: 'logits' | 'probabilities' | 'sigmoid' | 'values';
  target: 'labels' | 'soft' | 'binary' | 'values';
}

const CASES: Case[] = [
  { kiln: { type: 'sparse_categorical_crossentropy', fromLogits: true }, metric: 'accuracy', keras: { loss: 'SparseCategoricalCrossentropy', kwargs: { from_logits: true }, metric: 'sparse_categorical_accuracy' }, sparse: true, pred: 'logits', target: 'labels' },
  { kiln: { type: 'sparse_categorical_crossentropy' }, metric: 'sparse_categorical_accuracy', keras: { loss: 'SparseCategoricalCrossentropy', metric: 'sparse_categorical_accuracy' }, sparse: true, pred: 'probabilities', target: 'labels' },
  { kiln: { type: 'categorical_crossentropy', fromLogits: true }, metric: 'accuracy', keras: { loss: 'CategoricalCrossentropy', kwargs: { from_logits: true }, metric: 'categorical_accuracy' }, pred: 'logits', target: 'soft' },
  { kiln: { type: 'categorical_crossentropy' }, metric: 'categorical_accuracy', keras: { loss: 'CategoricalCrossentropy', metric: 'categorical_accuracy' }, pred: 'probabilities', target: 'soft' },
  { kiln: { type: 'binary_crossentropy', fromLogits: true }, metric: 'accuracy', keras: { loss: 'BinaryCrossentropy', kwargs: { from_logits: true }, metric: 'binary_accuracy' }, pred: 'logits', target: 'binary' },
  { kiln: { type: 'binary_crossentropy' }, metric: 'binary_accuracy', keras: { loss: 'BinaryCrossentropy', metric: 'binary_accuracy' }, pred: 'sigmoid', target: 'binary' },
  { kiln: { type: 'mean_squared_error' }, metric: 'mean_absolute_error', keras: { loss: 'MeanSquaredError', metric: 'mean_absolute_error' }, pred: 'values', target: 'values' },
  { kiln: { type: 'mean_absolute_error' }, metric: 'mean_squared_error', keras: { loss: 'MeanAbsoluteError', metric: 'mean_squared_error' }, pred: 'values', target: 'values' },
  { kiln: { type: 'huber', delta: 0.5 }, metric: 'mean_absolute_error', keras: { loss: 'Huber', kwargs: { delta: 0.5 }, metric: 'mean_absolute_error' }, pred: 'values', target: 'values' },
];

function makeData(c: Case, seed: number): { pred: number[]; target: number[] } {
  const r = prng(seed);
  const pred: number[] = [];
  const target: number[] = [];
  for (let i = 0; i < N; i++) {
    const row = Array.from({ length: C }, () => r() * 4 - 2);
    if (c.pred === 'probabilities') {
      const e = row.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      pred.push(...e.map((v) => (v / s) * 0.9)); // not quite normalised: Keras renormalises
    } else if (c.pred === 'sigmoid') pred.push(...row.map((v) => 1 / (1 + Math.exp(-v))));
    else pred.push(...row);
    if (c.target === 'labels') target.push(Math.floor(r() * C));
    else if (c.target === 'soft') {
      const t = Array.from({ length: C }, () => r());
      const s = t.reduce((a, b) => a + b, 0);
      target.push(...t.map((v) => v / s));
    } else if (c.target === 'binary') target.push(...Array.from({ length: C }, () => (r() < 0.5 ? 0 : 1)));
    else target.push(...Array.from({ length: C }, () => r() * 4 - 2));
  }
  return { pred, target };
}

function spec(c: Case): EngineModelSpec {
  return {
    inputs: [{ name: 'p', shape: [C] }],
    targets: [{ name: 't', shape: c.sparse ? [] : [C], dtype: c.sparse ? 'int32' : 'float32' }],
    params: [],
    nodes: [{ op: 'reshape', name: 'out', inputs: ['p'], attrs: { shape: [-1, C] } }],
    outputs: ['out'],
    losses: [{ ...c.kiln, output: 'out', target: 't' }],
    metrics: [{ type: c.metric, name: 'm', output: 'out', target: 't' }],
    optimizer: { type: 'sgd' },
    seed: 0,
  };
}

describe.skipIf(missing !== null && !process.env.CI)(`losses and metrics against Keras${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('gives Keras\'s loss and metric for every loss type', async () => {
    const data = CASES.map((c, i) => makeData(c, 100 + i));
    const keras = JSON.parse(execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/keras_losses.py`], {
      input: JSON.stringify(CASES.map((c, i) => ({
        ...c.keras, sparse: c.sparse, y_true: data[i].target, y_true_shape: c.sparse ? [N] : [N, C], y_pred: data[i].pred, y_pred_shape: [N, C],
      }))),
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    })) as { loss: number; metric: number }[];
    for (const [i, c] of CASES.entries()) {
      const model = new addon.Model(spec(c), { backend: 'reference' });
      const y = c.sparse ? Int32Array.from(data[i].target) : Float32Array.from(data[i].target);
      const got = await model.evaluate({ x: Float32Array.from(data[i].pred), y }, { batchSize: N });
      const label = `${c.kiln.type}${c.kiln.fromLogits ? ' from logits' : ''}`;
      expect(Math.abs(got.loss - keras[i].loss) / Math.abs(keras[i].loss), `${label}: ${got.loss} vs Keras ${keras[i].loss}`).toBeLessThan(1e-5);
      expect(got.metrics.m, `${label}: ${c.metric}`).toBeCloseTo(keras[i].metric, 5);
    }
  }, 60_000);
});
