// Training parity with Keras 3 (tensorflow-cpu 2.21): an MLP and a small CNN, from the same initial
// weights and the same batch order (no shuffling), trained 3 epochs with SGD and with Adam. Kiln's
// per-epoch loss tracks Keras's, and its final weights end within 1e-3 (relative) of Keras's.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec, OptimizerSpec } from '../../common/model/engineSpec.js';
import type { NativeAddon, NativeFitEvent } from '../../electron/host/addon.js';
import { classificationData, cnnSpec, mlpSpec, type CnnShape } from '../support/specs.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;
const missing = tensorflowMissing();
const EPOCHS = 3;
const BATCH = 16;
const SAMPLES = 40; // two full batches and a short one each epoch

interface KerasResult { loss: number[]; accuracy: number[]; weights: number[][]; shapes: number[][] }

function kerasFit(request: object): KerasResult {
  const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/keras_fit.py`], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
  });
  return JSON.parse(out) as KerasResult;
}

/** Relative difference of two tensors: ||a - b|| / ||b||. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

async function compare(spec: EngineModelSpec, model: object, sampleShape: number[], optimizer: OptimizerSpec) {
  const kiln = new addon.Model(spec);
  const initial = kiln.getWeights();
  const data = classificationData(SAMPLES, sampleShape, 3, 21);
  const keras = kerasFit({
    ...model,
    weights: spec.params.map((p) => Array.from(initial[p.name])),
    x: Array.from(data.x),
    x_shape: [SAMPLES, ...sampleShape],
    y: Array.from(data.y),
    optimizer: { type: optimizer.type, learning_rate: optimizer.learningRate, ...(optimizer.momentum ? { momentum: optimizer.momentum } : {}) },
    epochs: EPOCHS,
    batch_size: BATCH,
  });
  const epochs: NativeFitEvent[] = [];
  await kiln.fit({ x: data.x, y: data.y }, { epochs: EPOCHS, batchSize: BATCH, shuffle: false }, (e) => epochs.push(...e.filter((x) => x.type === 'epoch')));
  expect(epochs.map((e) => e.loss)).toHaveLength(EPOCHS);
  epochs.forEach((e, i) => {
    expect(Math.abs(e.loss - keras.loss[i]) / keras.loss[i], `epoch ${i + 1} loss ${e.loss} vs Keras ${keras.loss[i]}`).toBeLessThan(1e-4);
    expect(e.metrics.accuracy).toBeCloseTo(keras.accuracy[i], 6);
  });
  const final = kiln.getWeights();
  spec.params.forEach((p, i) => {
    expect(keras.shapes[i]).toEqual(p.shape);
    expect(relative(final[p.name], keras.weights[i]), `${p.name} vs Keras`).toBeLessThan(1e-3);
    expect(relative(final[p.name], initial[p.name]), `${p.name} moved`).toBeGreaterThan(1e-3);
  });
}

const OPTIMIZERS: OptimizerSpec[] = [
  { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
  { type: 'adam', learningRate: 0.01 },
];

describe.skipIf(missing !== null && !process.env.CI)(`training parity with Keras${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const optimizer of OPTIMIZERS) {
    it(`MLP 6-16-8-3 with ${optimizer.type}`, async () => {
      const spec = mlpSpec([6, 16, 8, 3], optimizer, 5);
      await compare(spec, { model: 'mlp', layers: { input: 6, units: [16, 8, 3] } }, [6], optimizer);
    }, 60_000);

    it(`CNN Conv2D(4, 3)-MaxPool(2)-Dense(3) on 8x8x1 with ${optimizer.type}`, async () => {
      const shape: CnnShape = { input: [8, 8, 1], filters: 4, kernel: 3, pool: 2, classes: 3 };
      const spec = cnnSpec(shape, optimizer, 6);
      await compare(spec, { model: 'cnn', layers: shape }, [8, 8, 1], optimizer);
    }, 60_000);
  }
});
