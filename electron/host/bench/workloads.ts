/**
 * Kiln's side of the benchmark workloads W1-W5 (issue 3), measured on the native engine with the
 * cpu backend. Peers run the same shapes (bench/peers/workloads.py). Throughput is steady-state:
 * a warm-up run first, then the best of a few timed runs.
 */
import { cpus } from 'node:os';
import { defaultTrainingConfig, lowerModel, type EngineModelSpec, type LayerDoc, type ModelDoc } from '../../../common/model/index.js';
import { loadAddon, type NativeModel } from '../addon.js';

export interface WorkloadResult {
  name: WorkloadName;
  unit: 'samples/s' | 'us/step' | 'GFLOP/s';
  value: number;
}

export const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** What each workload measures (float32; peers run the same shapes). */
export const TITLES: Record<WorkloadName, string> = {
  W1: 'MLP 784-256-128-10, batch 128, Adam: training',
  W2: 'CNN Conv(32)-Pool-Conv(64)-Pool-Dense(128)-Dense(10) on 28x28x1, batch 64, Adam: training',
  W3: 'MLP 4-32-3, batch 16, Adam: time per training step',
  W4: 'GEMM 1024x1024x1024',
  W5: 'Conv2D 3x3 64->64 on 56x56, batch 32: forward + both gradients',
};

const REPEATS = 3;

function randomData(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

type LayerSpec = [type: string, params: LayerDoc['params']];

/** A chain of catalogue layers after an Input, lowered as the app lowers it (logits, Adam). */
function chain(inputShape: number[], layers: LayerSpec[]): EngineModelSpec {
  const doc: ModelDoc = { layers: [{ id: 'x', name: 'x', type: 'Input', params: { shape: inputShape } }], edges: [] };
  layers.forEach(([type, params], i) => {
    const id = `${type.toLowerCase()}_${i + 1}`;
    doc.edges.push({ from: doc.layers.at(-1)!.id, to: id });
    doc.layers.push({ id, name: id, type, params });
  });
  const lowered = lowerModel(doc, { ...defaultTrainingConfig(), loss: { type: 'sparse_categorical_crossentropy', fromLogits: true }, metrics: [], optimizer: { type: 'adam' }, seed: 1 });
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  return lowered.spec;
}

function mlp(sizes: number[]): EngineModelSpec {
  return chain([sizes[0]], sizes.slice(1).map((units, i): LayerSpec => ['Dense', { units, activation: i < sizes.length - 2 ? 'relu' : null }]));
}

/** W2's CNN: Conv2D(32,3,relu)-MaxPool-Conv2D(64,3,relu)-MaxPool-Flatten-Dense(128,relu)-Dense(10). */
function cnn(): EngineModelSpec {
  return chain([28, 28, 1], [
    ['Conv2D', { filters: 32, kernel_size: 3, activation: 'relu' }],
    ['MaxPooling2D', {}],
    ['Conv2D', { filters: 64, kernel_size: 3, activation: 'relu' }],
    ['MaxPooling2D', {}],
    ['Flatten', {}],
    ['Dense', { units: 128, activation: 'relu' }],
    ['Dense', { units: 10 }],
  ]);
}

/** Trains `batches` batches per epoch; returns the best seconds per step over the timed fits. */
async function secondsPerStep(model: NativeModel, sample: number, batch: number, batches: number, epochs: number): Promise<number> {
  const n = batch * batches;
  const data = { x: randomData(n * sample, 7), y: Int32Array.from({ length: n }, (_, i) => i % 10 % 3) };
  // Peers cycle over pre-made batches; Kiln reads them in the same order (no shuffling) for equal work.
  await model.fit(data, { epochs: 1, batchSize: batch, shuffle: false });
  let best = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    const result = await model.fit(data, { epochs, batchSize: batch, shuffle: false });
    best = Math.min(best, (performance.now() - start) / 1000 / result.steps);
  }
  return best;
}

async function training(name: WorkloadName, spec: EngineModelSpec, sample: number, batch: number, batches: number, epochs: number, unit: 'samples/s' | 'us/step'): Promise<WorkloadResult> {
  const model = new (loadAddon().Model)(spec);
  const s = await secondsPerStep(model, sample, batch, batches, epochs);
  return { name, unit, value: unit === 'samples/s' ? batch / s : s * 1e6 };
}

async function gemm(): Promise<WorkloadResult> {
  const n = 1024;
  const a = randomData(n * n, 1), b = randomData(n * n, 2), c = new Float32Array(n * n);
  const addon = loadAddon();
  const threads = { threads: cpus().length };
  for (let i = 0; i < 3; i++) await addon.gemm(false, false, n, n, n, 1, a, b, 0, c, threads);
  let best = Infinity;
  for (let r = 0; r < REPEATS * 2; r++) {
    const start = performance.now();
    for (let i = 0; i < 4; i++) await addon.gemm(false, false, n, n, n, 1, a, b, 0, c, threads);
    best = Math.min(best, (performance.now() - start) / 4000);
  }
  return { name: 'W4', unit: 'GFLOP/s', value: (2 * n ** 3) / best / 1e9 };
}

/** Forward convolution and both gradients (input and filter), timed without copies. */
async function convolution(): Promise<WorkloadResult> {
  const [batch, size, channels] = [32, 56, 64];
  const g = new (loadAddon().Graph)();
  g.input('x', [batch, size, size, channels]);
  g.input('k', [3, 3, channels, channels]);
  g.input('dy', [batch, size, size, channels]);
  const attrs = { strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 };
  g.op('conv2d', 'y', ['x', 'k'], attrs);
  g.op('conv2d_backprop_input', 'dx', ['dy', 'k'], { ...attrs, input_shape: [batch, size, size, channels] });
  g.op('conv2d_backprop_filter', 'dk', ['x', 'dy'], { ...attrs, filter_shape: [3, 3, channels, channels] });
  const feeds = { x: randomData(batch * size * size * channels, 1), k: randomData(9 * channels * channels, 2), dy: randomData(batch * size * size * channels, 3) };
  const seconds = await g.time(feeds, ['y', 'dx', 'dk'], { backend: 'cpu', runs: 3, repeats: REPEATS });
  const flops = 3 * 2 * batch * size * size * channels * 9 * channels;
  return { name: 'W5', unit: 'GFLOP/s', value: flops / seconds / 1e9 };
}

export async function runKilnWorkload(name: WorkloadName): Promise<WorkloadResult> {
  switch (name) {
    case 'W1':
      return training('W1', mlp([784, 256, 128, 10]), 784, 128, 60, 2, 'samples/s');
    case 'W2':
      return training('W2', cnn(), 784, 64, 20, 1, 'samples/s');
    case 'W3':
      return training('W3', mlp([4, 32, 3]), 4, 16, 60, 200, 'us/step');
    case 'W4':
      return gemm();
    case 'W5':
      return convolution();
  }
}
