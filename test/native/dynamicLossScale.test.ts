// mixed_float16's dynamic loss scaling in the fit loop, as Keras's LossScaleOptimizer does it: the
// loss is scaled by 2^15 before the gradients and they are unscaled before the optimizer; a step
// whose gradients are not finite is skipped (weights, slots and the optimizer's step count
// untouched) and halves the scale, never below 1; 2000 finite steps in a row double it. The
// overflows are forced with huge inputs, which overflow float32 gradients on the cpu backends too.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec, OptimizerSpec } from '../../common/model/engineSpec.js';
import type { BackendName, NativeAddon, NativeFitEvent } from '../../electron/host/addon.js';
import { classificationData, mlpSpec } from '../support/specs.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
const BACKENDS: BackendName[] = ['reference', 'cpu'];

/** y = x w for one input and one output, mean squared error against t. */
function scalarSpec(optimizer: OptimizerSpec): EngineModelSpec {
  return {
    inputs: [{ name: 'x', shape: [1] }],
    targets: [{ name: 't', shape: [1] }],
    params: [{ name: 'w', shape: [1, 1], init: 'zeros' }],
    nodes: [{ op: 'matmul', name: 'y', inputs: ['x', 'w'] }],
    outputs: ['y'],
    losses: [{ type: 'mean_squared_error', output: 'y', target: 't' }],
    metrics: [],
    optimizer,
    seed: 1,
    precision: 'mixed_float16',
  };
}

async function fit(model: ReturnType<typeof newModel>, x: Float32Array, y: Float32Array | Int32Array, batchSize: number, epochs = 1) {
  const events: NativeFitEvent[] = [];
  await model.fit({ x, y }, { epochs, batchSize, shuffle: false, prefetch: false }, (e) => events.push(...e));
  return { steps: events.filter((e) => e.type === 'step'), epochs: events.filter((e) => e.type === 'epoch') };
}

function newModel(spec: EngineModelSpec, backend: BackendName) {
  return new addon.Model(spec, { backend });
}

describe.each(BACKENDS)('mixed_float16 loss scaling on %s', (backend) => {
  it('skips a step whose gradients overflow, halves the scale at each such step down to one that fits, never below 1', async () => {
    // w = 1e-15, x = 1e25, t = 0: the loss is 1e20, its gradient 2e35, which times the scale
    // overflows float32 down to a scale of 2048 and fits at 1024.
    const model = newModel(scalarSpec({ type: 'sgd', learningRate: 1e-30 }), backend);
    model.setWeights({ w: Float32Array.of(1e-15) });
    const huge = await fit(model, new Float32Array(6).fill(1e25), new Float32Array(6), 1);
    expect(huge.steps.map((e) => e.skipped)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(huge.steps.map((e) => e.lossScale)).toEqual([16384, 8192, 4096, 2048, 1024, 1024]);
    const y = Math.fround(Math.fround(1e25) * Math.fround(1e-15));
    expect(huge.steps.map((e) => e.loss), 'the reported loss is unscaled').toEqual(new Array(6).fill(Math.fround(y * y)));
    expect(huge.epochs[0]).toMatchObject({ skipped: 5, lossScale: 1024 });
    expect(huge.steps.map((e) => e.step), 'skipped steps are steps').toEqual([1, 2, 3, 4, 5, 6]);
    expect(model.getWeights().w[0] / -2e5, 'the sixth step applies 1e-30 * 2e35').toBeCloseTo(1, 5);

    // x = 1e30: the gradient (2e45 * w) is not finite at any scale; the scale stops at 1.
    model.setWeights({ w: Float32Array.of(1e-15) });
    const hopeless = await fit(model, new Float32Array(12).fill(1e30), new Float32Array(12), 1);
    expect(hopeless.steps.every((e) => e.skipped === 1)).toBe(true);
    expect(hopeless.steps.map((e) => e.lossScale)).toEqual([512, 256, 128, 64, 32, 16, 8, 4, 2, 1, 1, 1]);
    expect(model.getWeights().w[0], 'weights untouched by skipped steps').toBe(Math.fround(1e-15));
    expect(model.iterations(), 'steps taken, the skipped ones included').toBe(18);
  });

  it('leaves no trace of a skipped batch: Adam\'s moments and step count, and the schedule, as if it had not been there', async () => {
    const spec: EngineModelSpec = {
      ...mlpSpec([12, 32, 16, 3], { type: 'adam', learningRate: 0.01, schedule: { type: 'exponential', decaySteps: 20, decayRate: 0.5 } }, 5),
      precision: 'mixed_float16',
    };
    const clean = classificationData(96, [12], 3, 11);
    // A first batch of 16 samples scaled by 3e35: its loss (about 2e35) is finite, its scaled
    // gradients (about 5e39) are not.
    const poison = classificationData(16, [12], 3, 12);
    const x = new Float32Array(poison.x.length + clean.x.length);
    x.set(poison.x.map((v) => v * 3e35));
    x.set(clean.x, poison.x.length);
    const y = Int32Array.from([...poison.y, ...clean.y]);

    const [poisoned, plain] = [newModel(spec, backend), newModel(spec, backend)];
    const [a, b] = [await fit(poisoned, x, y, 16, 3), await fit(plain, clean.x, clean.y, 16, 3)];
    expect(a.epochs.map((e) => [e.skipped, e.lossScale])).toEqual([[1, 16384], [1, 8192], [1, 4096]]);
    expect(b.epochs.map((e) => [e.skipped, e.lossScale])).toEqual([[0, 32768], [0, 32768], [0, 32768]]);
    const skippedLosses = a.steps.filter((e) => e.skipped === 1).map((e) => e.loss);
    expect(Math.min(...skippedLosses)).toBeGreaterThan(1e32);
    // The same updates in the same order, with the same learning rates: the same weights.
    const cleanSteps = a.steps.filter((e) => e.skipped === 0);
    expect(cleanSteps.map((e) => e.loss)).toEqual(b.steps.map((e) => e.loss));
    expect(cleanSteps.map((e) => e.learningRate)).toEqual(b.steps.map((e) => e.learningRate));
    const [wa, wb] = [poisoned.getWeights(), plain.getWeights()];
    for (const name of Object.keys(wb)) expect(wa[name], name).toEqual(wb[name]);
    expect(b.steps.at(-1)!.loss, 'and it learns').toBeLessThan(b.steps[0].loss * 0.8);
  });

  it('doubles the scale after 2000 finite steps in a row', async () => {
    const model = newModel(scalarSpec({ type: 'sgd', learningRate: 1e-3 }), backend);
    const n = 2001;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const { steps } = await fit(model, x, x.map((v) => 0.5 * v), 1);
    expect(steps.filter((e) => e.skipped !== 0)).toEqual([]);
    expect(steps.slice(1997, 2001).map((e) => e.lossScale)).toEqual([32768, 32768, 65536, 65536]);
    // A skip resets the count: 2000 more finite steps are needed for the next doubling.
    // x = 1e18 (w is about 0.5): a loss of 2.5e35, a gradient of 1e36 that overflows times 2^16.
    const more = await fit(model, Float32Array.of(1e18, ...x.slice(0, 1999)), Float32Array.of(0, ...x.slice(0, 1999).map((v) => 0.5 * v)), 1);
    expect(more.steps[0]).toMatchObject({ skipped: 1, lossScale: 32768 });
    expect(more.steps.at(-1)).toMatchObject({ skipped: 0, lossScale: 32768 });
  });
});
