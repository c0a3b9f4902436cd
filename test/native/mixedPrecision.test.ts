// Keras's mixed_bfloat16 and mixed_float16 policies: nodes marked precision = 'bfloat16' or
// 'float16' (the engine marks every matrix product and convolution, forward and gradient, of a
// model with that policy) multiply operands rounded to that type with float32 accumulation on a
// backend that has such kernels (cuda), and agree with the float32 reference within 1e-2 of the
// output's largest value. Backends without them (cpu, reference) compute in float32 and ignore the
// mark. mixed_float16 also scales the loss (test/native/dynamicLossScale.test.ts): on the cpu
// backends, where nothing overflows, it trains as float32 does.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec } from '../../common/model/engineSpec.js';
import type { BackendName, NativeAddon, NativeFitEvent } from '../../electron/host/addon.js';
import { lowerDense, type SpecDraft } from '../support/lowerLayers.js';
import { classificationData, cnnSpec, mlpSpec, prng } from '../support/specs.js';
import { random, size, type NativeGraph } from './ops/harness.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as Omit<NativeAddon, 'Graph'> & { Graph: new () => NativeGraph };
const hasCuda = addon.backends().includes('cuda');
const POLICIES = [
  { policy: 'mixed_bfloat16', precision: 'bfloat16' },
  { policy: 'mixed_float16', precision: 'float16' },
] as const;

/** max |got - ref| / max |ref|. */
function relativeError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(got[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

function feed(shape: number[], seed: number): Float32Array {
  const rand = random(seed);
  return Float32Array.from({ length: size(shape) }, rand);
}

/** Each fetched value on cuda against the reference: within 1e-2, and rounded (not float32's 1e-6). */
async function expectRounded(g: NativeGraph, feeds: Record<string, Float32Array>, fetch: string[]): Promise<void> {
  const ref = await g.run(feeds, fetch, { backend: 'reference' });
  const got = await g.run(feeds, fetch, { backend: 'cuda' });
  for (const v of fetch) {
    const err = relativeError(got[v], ref[v]);
    expect(err, `${v}: relative error`).toBeLessThanOrEqual(1e-2);
    expect(err, `${v}: the 16-bit path should round (a float32 product agrees within 1e-6)`).toBeGreaterThan(1e-6);
  }
}

for (const { policy, precision } of POLICIES) describe.skipIf(!hasCuda)(`${policy} on cuda: products against the float32 reference`, () => {
  const mark = { precision };
  const matmuls: { name: string; a: number[]; b: number[]; attrs?: Record<string, boolean> }[] = [
    { name: 'odd sizes', a: [7, 130], b: [130, 5] },
    { name: 'large', a: [256, 784], b: [784, 256] },
    { name: 'transposed', a: [129, 67], b: [257, 129], attrs: { transpose_a: true, transpose_b: true } },
    { name: 'batched', a: [3, 17, 65], b: [3, 65, 9] },
    { name: 'broadcast batch dims', a: [2, 1, 7, 33], b: [1, 3, 33, 5] },
  ];
  it.each(matmuls)('matmul $name', async (c) => {
    const g = new addon.Graph();
    const y = g.op('matmul', 'y', [g.input('a', c.a), g.input('b', c.b)], { ...c.attrs, ...mark })[0];
    await expectRounded(g, { a: feed(c.a, 1), b: feed(c.b, 2) }, [y]);
  });

  it('matmul -> bias_add -> relu (the fused epilogue)', async () => {
    const g = new addon.Graph();
    const z = g.op('matmul', 'z', [g.input('x', [64, 300]), g.input('w', [300, 40])], mark)[0];
    const y = g.op('relu', 'y', [g.op('bias_add', 'zb', [z, g.input('b', [40])])[0]])[0];
    await expectRounded(g, { x: feed([64, 300], 3), w: feed([300, 40], 4), b: feed([40], 5) }, [y]);
  });

  const convs: { name: string; x: number[]; k: number[]; attrs: Record<string, unknown> }[] = [
    { name: '3x3 same', x: [4, 17, 19, 16], k: [3, 3, 16, 32], attrs: { padding: 'same' } },
    { name: '3x3 stride 2 valid, 2 groups', x: [2, 15, 15, 8], k: [3, 3, 4, 12], attrs: { padding: 'valid', strides: [2, 2], groups: 2 } },
    { name: '1x1 pointwise', x: [2, 9, 11, 64], k: [1, 1, 64, 24], attrs: { padding: 'valid' } },
  ];
  it.each(convs)('conv2d and both backprops: $name', async (c) => {
    const g = new addon.Graph();
    const x = g.input('x', c.x);
    const k = g.input('k', c.k);
    const y = g.op('conv2d', 'y', [x, k], { ...c.attrs, ...mark })[0];
    const dy = g.input('dy', g.shape(y));
    const dx = g.op('conv2d_backprop_input', 'dx', [dy, k], { ...c.attrs, input_shape: c.x, ...mark })[0];
    const dk = g.op('conv2d_backprop_filter', 'dk', [x, dy], { ...c.attrs, filter_shape: c.k, ...mark })[0];
    await expectRounded(g, { x: feed(c.x, 6), k: feed(c.k, 7), dy: feed(g.shape(y), 8) }, [y, dx, dk]);
  });
});

describe('mixed_bfloat16 training', () => {
  const spec: EngineModelSpec = { ...mlpSpec([12, 32, 16, 3], { type: 'adam', learningRate: 0.01 }, 5), precision: 'mixed_bfloat16' };
  const data = classificationData(150, [12], 3, 11);

  async function train(s: EngineModelSpec, backend: BackendName) {
    const model = new addon.Model(s, { backend });
    const losses: number[] = [];
    await model.fit(data, { epochs: 3, batchSize: 32, shuffle: true, prefetch: false }, (e) => e.forEach((x) => x.type === 'step' && losses.push(x.loss)));
    return { losses, weights: model.getWeights() };
  }

  it('is float32 on the cpu backends, which have no bfloat16 kernels', async () => {
    const [mixed, plain] = [await train(spec, 'cpu'), await train({ ...spec, precision: 'float32' }, 'cpu')];
    expect(mixed.losses).toEqual(plain.losses);
  });

  it.skipIf(!hasCuda)('on cuda follows the float32 reference within bfloat16 rounding, and learns', async () => {
    const [mixed, ref] = [await train(spec, 'cuda'), await train({ ...spec, precision: 'float32' }, 'reference')];
    expect(relativeError(mixed.losses, ref.losses)).toBeLessThanOrEqual(5e-2);
    expect(relativeError(mixed.losses, ref.losses)).toBeGreaterThan(1e-6);
    expect(mixed.losses.at(-1)!).toBeLessThan(mixed.losses[0] * 0.8);
    const cnn: EngineModelSpec = { ...cnnSpec({ input: [10, 10, 2], filters: 6, kernel: 3, pool: 2, classes: 3 }, { type: 'adam', learningRate: 0.01 }, 8), precision: 'mixed_bfloat16' };
    const images = classificationData(70, [10, 10, 2], 3, 12);
    const model = new addon.Model(cnn, { backend: 'cuda' });
    const losses: number[] = [];
    await model.fit(images, { epochs: 4, batchSize: 16 }, (e) => e.forEach((x) => x.type === 'step' && losses.push(x.loss)));
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
  });

  it('refuses unknown policies', () => {
    expect(() => new addon.Model({ ...spec, precision: 'float16' as never })).toThrow("spec.precision must be 'float32', 'mixed_bfloat16' or 'mixed_float16' (got 'float16')");
  });
});

describe('mixed_float16 training', () => {
  const spec: EngineModelSpec = { ...mlpSpec([12, 32, 16, 3], { type: 'adam', learningRate: 0.01 }, 5), precision: 'mixed_float16' };
  const data = classificationData(150, [12], 3, 11);

  async function train(s: EngineModelSpec, backend: BackendName, d: { x: Float32Array; y: Float32Array | Int32Array } = data, epochs = 3) {
    const model = new addon.Model(s, { backend });
    const steps: NativeFitEvent[] = [];
    await model.fit(d, { epochs, batchSize: 32, shuffle: true, prefetch: false }, (e) => steps.push(...e.filter((x) => x.type === 'step')));
    return { losses: steps.map((e) => e.loss), steps, weights: model.getWeights() };
  }

  it.each(['cpu', 'reference'] as const)('on %s equals float32 training: the loss is scaled by 2^15 and the gradients unscaled exactly', async (backend) => {
    const [mixed, plain] = [await train(spec, backend), await train({ ...spec, precision: 'float32' }, backend)];
    expect(relativeError(mixed.losses, plain.losses)).toBeLessThanOrEqual(1e-6);
    for (const [name, w] of Object.entries(plain.weights)) expect(relativeError(mixed.weights[name], w), name).toBeLessThanOrEqual(1e-6);
    expect(mixed.steps.every((e) => e.lossScale === 32768 && e.skipped === 0)).toBe(true);
    expect(plain.steps[0]).not.toHaveProperty('lossScale');
    expect(plain.steps[0]).not.toHaveProperty('skipped');
  });

  it.skipIf(!hasCuda)('on cuda follows the float32 reference within float16 rounding, and learns', async () => {
    const [mixed, ref] = [await train(spec, 'cuda'), await train({ ...spec, precision: 'float32' }, 'reference')];
    expect(relativeError(mixed.losses, ref.losses)).toBeLessThanOrEqual(5e-2);
    expect(relativeError(mixed.losses, ref.losses)).toBeGreaterThan(1e-6);
    expect(mixed.losses.at(-1)!).toBeLessThan(mixed.losses[0] * 0.8);
  });

  it.skipIf(!hasCuda)('on cuda, a regression whose scaled gradients overflow float16 skips its first steps while the scale comes down, then learns', async () => {
    // Errors of 60 to 125 give output gradients of 2^15 * 2 * 125 / 32 = 2.6e5, past float16's 65504
    // in the next product's operands until the scale is 2^13: float32 products (the reference) never
    // overflow there.
    const draft: SpecDraft = { params: [], nodes: [] };
    const [hidden] = lowerDense(draft, 'dense', 'x', 8, { units: 16, activation: 'relu' });
    const [y] = lowerDense(draft, 'out', hidden, 16, { units: 1 });
    const regression: EngineModelSpec = {
      inputs: [{ name: 'x', shape: [8] }], targets: [{ name: 't', shape: [1] }], ...draft, outputs: [y],
      losses: [{ type: 'mean_squared_error', output: y, target: 't' }], metrics: [], optimizer: { type: 'adam', learningRate: 0.1 },
      seed: 2, precision: 'mixed_float16',
    };
    const rand = prng(4);
    const x = Float32Array.from({ length: 256 * 8 }, () => rand() * 2 - 1);
    const t = Float32Array.from({ length: 256 }, (_, i) => 80 + 30 * x[i * 8] - 15 * x[i * 8 + 3]);
    const [gpu, cpu] = [await train(regression, 'cuda', { x, y: t }, 40), await train(regression, 'reference', { x, y: t }, 40)];
    const first = gpu.steps.findIndex((e) => e.skipped === 0);  // the first step applied
    expect(first, 'steps skipped on cuda before one fits').toBeGreaterThan(0);
    expect(gpu.steps[first].lossScale).toBe(2 ** (15 - first));
    expect(cpu.steps.every((e) => e.skipped === 0 && e.lossScale === 32768), 'float32 products never overflow here').toBe(true);
    expect(gpu.losses.at(-1)!).toBeLessThan(gpu.losses[0] * 0.1);
  });
});
