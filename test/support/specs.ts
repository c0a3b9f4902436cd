// Engine model specs for tests: the same lowering the app uses (common/model/lowerLayers.ts).
import type { EngineModelSpec, OptimizerSpec } from '../../common/model/engineSpec.js';
import { lowerConv2D, lowerDense, lowerFlatten, lowerMaxPooling2D, type SpecDraft } from './lowerLayers.js';

function classifier(draft: SpecDraft, input: { name: string; shape: number[] }, logits: string, optimizer: OptimizerSpec, seed: number): EngineModelSpec {
  return {
    inputs: [input],
    targets: [{ name: 'labels', shape: [], dtype: 'int32' }],
    ...draft,
    outputs: [logits],
    losses: [{ type: 'sparse_categorical_crossentropy', output: logits, target: 'labels', fromLogits: true }],
    metrics: [{ type: 'accuracy', output: logits, target: 'labels' }],
    optimizer,
    seed,
  };
}

/** Dense layers of the given widths, relu between, linear logits: Keras's `dense`, `dense_1`, ... */
export function mlpSpec(sizes: number[], optimizer: OptimizerSpec, seed = 1): EngineModelSpec {
  const draft: SpecDraft = { params: [], nodes: [] };
  let x = 'x';
  for (let i = 1; i < sizes.length; i++) {
    [x] = lowerDense(draft, `dense_${i}`, x, sizes[i - 1], { units: sizes[i], activation: i < sizes.length - 1 ? 'relu' : 'linear' });
  }
  return classifier(draft, { name: 'x', shape: [sizes[0]] }, x, optimizer, seed);
}

export interface CnnShape { input: [number, number, number]; filters: number; kernel: number; pool: number; classes: number }

/** Conv2D(relu, valid) - MaxPooling2D - Flatten - Dense(classes). */
export function cnnSpec(s: CnnShape, optimizer: OptimizerSpec, seed = 1): EngineModelSpec {
  const draft: SpecDraft = { params: [], nodes: [] };
  const [h, w, c] = s.input;
  let x = lowerConv2D(draft, 'conv', 'x', c, { filters: s.filters, kernelSize: [s.kernel, s.kernel], activation: 'relu' });
  x = lowerMaxPooling2D(draft, 'pool', x, [s.pool, s.pool]);
  const features = Math.floor((h - s.kernel + 1) / s.pool) * Math.floor((w - s.kernel + 1) / s.pool) * s.filters;
  x = lowerFlatten(draft, 'flatten', x, features);
  [x] = lowerDense(draft, 'dense', x, features, { units: s.classes });
  return classifier(draft, { name: 'x', shape: [...s.input] }, x, optimizer, seed);
}

/** mulberry32: a small seeded PRNG for test data, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n samples of `shape` whose label is decided by which third of the values is largest. */
export function classificationData(n: number, shape: number[], classes: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rand = prng(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(rand() * classes);
    for (let j = 0; j < per; j++) x[i * per + j] = rand() * 2 - 1 + (Math.floor((j * classes) / per) === y[i] ? 1.5 : 0);
  }
  return { x, y };
}
