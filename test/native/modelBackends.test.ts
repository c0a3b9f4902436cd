// Whole training on every available backend (cpu here; cuda too where its plugin finds a GPU)
// against the reference backend: the same spec, seed and batches must give the same losses,
// weights, evaluation and predictions within float32 rounding. On a device backend this covers
// what the op suite cannot: weights and optimizer state kept in device memory across steps,
// batches uploaded per step, a short last batch (its own plan), and reading weights back.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec, OptimizerSpec } from '../../common/model/engineSpec.js';
import type { BackendName, NativeAddon, NativeFitEvent } from '../../electron/host/addon.js';
import { classificationData, cnnSpec, mlpSpec } from '../support/specs.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
const BACKENDS = addon.backends().filter((b) => b !== 'reference');

/** Fails at the first value further than `rel` x max |expected| from the expected one. */
function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= rel * scale)) expect.fail(`${what}[${i}]: ${actual[i]}, reference ${expected[i]} (max |reference| ${scale})`);
  }
}

interface Case {
  name: string;
  spec: EngineModelSpec;
  shape: number[];
  /** Samples: not a multiple of the batch, so the last batch is short. */
  samples: number;
  batch: number;
}

const adam: OptimizerSpec = { type: 'adam', learningRate: 0.01 };
const CASES: Case[] = [
  { name: 'MLP with Adam', spec: mlpSpec([12, 32, 16, 3], adam, 5), shape: [12], samples: 150, batch: 32 },
  { name: 'MLP with SGD + Nesterov momentum', spec: mlpSpec([12, 24, 3], { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true }, 6), shape: [12], samples: 100, batch: 16 },
  { name: 'MLP with RMSprop', spec: mlpSpec([12, 24, 3], { type: 'rmsprop', learningRate: 0.005 }, 7), shape: [12], samples: 100, batch: 16 },
  { name: 'CNN with Adam', spec: cnnSpec({ input: [10, 10, 2], filters: 6, kernel: 3, pool: 2, classes: 3 }, adam, 8), shape: [10, 10, 2], samples: 70, batch: 16 },
];

/** Two epochs of training, then evaluation and prediction, on one backend. */
async function train(c: Case, backend: string) {
  const data = classificationData(c.samples, c.shape, 3, 11);
  const model = new addon.Model(c.spec, { backend: backend as BackendName });
  const events: NativeFitEvent[] = [];
  await model.fit(data, { epochs: 2, batchSize: c.batch, shuffle: true, prefetch: false }, (e) => events.push(...e));
  const steps = events.filter((e) => e.type === 'step');
  return {
    losses: steps.map((e) => e.loss),
    accuracy: steps.map((e) => Object.values(e.metrics)[0]),
    weights: model.getWeights(),
    evaluation: await model.evaluate(data, { batchSize: c.batch }),
    predictions: (await model.predict({ x: data.x }, { batchSize: c.batch }))[0],
  };
}

describe.each(BACKENDS)('training on the %s backend, against the reference', (backend) => {
  it.each(CASES)('$name: losses, weights, evaluation and predictions', async (c) => {
    const [got, ref] = [await train(c, backend), await train(c, 'reference')];
    expectClose('step losses', got.losses, ref.losses, 1e-3);
    // A sample whose two largest logits tie within rounding may count differently: one per batch at most.
    got.accuracy.forEach((a, i) => expect(Math.abs(a - ref.accuracy[i]), `step ${i + 1} accuracy`).toBeLessThanOrEqual(1 / c.batch + 1e-6));
    for (const [name, w] of Object.entries(ref.weights)) expectClose(name, got.weights[name], w, 1e-3);
    expectClose('evaluation loss', [got.evaluation.loss], [ref.evaluation.loss], 1e-3);
    expectClose('predictions', got.predictions, ref.predictions, 1e-3);
  });

  it('keeps training from where it was after the weights are read and replaced', async () => {
    const c = CASES[0];
    const data = classificationData(c.samples, c.shape, 3, 12);
    const model = new addon.Model(c.spec, { backend: backend as BackendName });
    await model.fit(data, { epochs: 1, batchSize: c.batch });
    const trained = model.getWeights();
    const fresh = new addon.Model(c.spec, { backend: backend as BackendName });
    fresh.setWeights(trained);
    const [a, b] = [await model.predict({ x: data.x }, { batchSize: c.batch }), await fresh.predict({ x: data.x }, { batchSize: c.batch })];
    expectClose('predictions after setWeights', b[0], a[0], 1e-6);
    const before = (await model.evaluate(data, { batchSize: c.batch })).loss;
    await model.fit(data, { epochs: 3, batchSize: c.batch });
    expect((await model.evaluate(data, { batchSize: c.batch })).loss).toBeLessThan(before);
  });
});
