// Kiln's side of the export parity tests (export_onnx.test.ts, export_tfjs.test.ts): builds a
// model in the native engine, gives it weights in which everything matters, and predicts a fixed
// batch, which the exported artefact, run by its real consumer, must reproduce.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { analyzeModel, defaultTrainingConfig, lowerModel, type ModelAnalysis, type ModelDoc } from '../../common/model/index.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import { prng } from '../support/specs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;

export interface Tensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface KilnRun {
  analysis: ModelAnalysis;
  weights: Record<string, Float32Array>;
  inputs: Tensor[];
  outputs: Tensor[];
}

/**
 * Weights as the engine initialises them, except those that start constant (biases, gamma and
 * beta, moving statistics, PReLU's alpha, adapted means and variances), which get random values:
 * an exporter that dropped or misplaced them would otherwise go unnoticed. Variances stay positive.
 */
function everyWeightMatters(weights: Record<string, Float32Array>, rand: () => number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(weights).map(([name, w]) => {
    if (!w.every((v) => v === w[0])) return [name, w];
    const variance = name.endsWith('variance');
    return [name, w.map((v) => (variance ? 0.5 + rand() : v + rand() - 0.5))];
  }));
}

/** Runs `model` in Kiln on a fixed random batch; int32 inputs draw indices below every Embedding's input_dim. */
export async function runInKiln(model: ModelDoc, seed: number, batch = 3): Promise<KilnRun> {
  const analysis = analyzeModel(model);
  if (analysis.issues.length > 0) throw new Error(analysis.issues.map((i) => i.message).join('; '));
  const names = (ids: string[]) => ids.map((id) => model.layers.find((l) => l.id === id)!.name);
  const loss = Object.fromEntries(names(analysis.outputs).map((o) => [o, 'mean_squared_error' as const]));
  const lowered = lowerModel(model, { ...defaultTrainingConfig(), loss, metrics: [], batchSize: batch });
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  const native = new addon.Model(lowered.spec, { backend: 'cpu' });
  const rand = prng(seed);
  const weights = everyWeightMatters(native.getWeights(), rand);
  native.setWeights(weights);

  const vocabulary = Math.min(10, ...analysis.order.filter((o) => o.layer.type === 'Embedding').map((o) => o.params.input_dim as number));
  const inputs: Tensor[] = lowered.spec.inputs.map((input) => {
    const shape = [batch, ...input.shape];
    const n = shape.reduce((a, b) => a * b, 1);
    return input.dtype === 'int32'
      ? { name: input.name, shape, dtype: 'int32', data: Int32Array.from({ length: n }, () => Math.floor(rand() * vocabulary)) }
      : { name: input.name, shape, dtype: 'float32', data: Float32Array.from({ length: n }, () => rand() * 4 - 2) };
  });
  const ys = await native.predict({ x: inputs.map((x) => x.data) }, { batchSize: batch });
  const outputs: Tensor[] = analysis.outputs.map((id, i) => {
    const info = analysis.order.find((o) => o.layer.id === id)!;
    return { name: info.layer.name, shape: [batch, ...(info.shape.slice(1) as number[])], dtype: 'float32', data: ys[i] };
  });
  return { analysis, weights, inputs, outputs };
}

/** Largest |a - b| and largest |a - b| / (|b| + 1e-3) (float32 values near 0 are compared absolutely). */
export function differences(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / (Math.abs(b[i]) + 1e-3));
  }
  return { abs, rel };
}
