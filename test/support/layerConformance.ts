// Runs one catalogue layer in Kiln and in Keras on the same inputs and weights, for the layer
// conformance tests (test/conformance/layers*.test.ts).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { analyzeModel, lowerModel, type ModelDoc, type ParamValue } from '../../common/model/index.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import { prng } from './specs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;

export interface LayerCase {
  /** Keras class name and config (Keras's parameter names; Kiln reads the same). */
  type: string;
  params: Record<string, ParamValue>;
  /** Per-sample input shapes (several for merge layers). */
  inputs: number[][];
  /** int32 inputs (Embedding) get whole numbers in [0, intRange). */
  intRange?: number;
  batch?: number;
}

export interface LayerResult {
  kiln: { y: Float32Array; shape: (number | null)[]; params: number; weightShapes: number[][] };
  keras: { y: number[]; shape: number[]; params: number; weight_shapes: number[][] } | { error: string };
}

/** Builds each case in Kiln (Input(s) -> layer), predicts, and asks Keras for the same. */
export async function runLayerCases(cases: LayerCase[]): Promise<LayerResult[]> {
  const kiln: LayerResult['kiln'][] = [];
  const requests: object[] = [];
  for (const [k, c] of cases.entries()) {
    const batch = c.batch ?? 3;
    const doc: ModelDoc = {
      layers: [...c.inputs.map((shape, i) => ({ id: `in${i}`, name: `in${i}`, type: 'Input', params: (c.intRange !== undefined ? { shape, dtype: 'int32' } : { shape }) as Record<string, ParamValue> })), { id: 'layer', name: 'layer', type: c.type, params: c.params }],
      edges: c.inputs.map((_, i) => ({ from: `in${i}`, to: 'layer', index: i })),
    };
    const analysis = analyzeModel(doc);
    if (analysis.issues.length > 0) throw new Error(`${c.type} ${JSON.stringify(c.params)}: ${analysis.issues.map((i) => i.message).join('; ')}`);
    const lowered = lowerModel(doc, { loss: 'mean_squared_error', optimizer: { type: 'sgd' }, metrics: [], batchSize: batch, epochs: 1, validationSplit: 0, seed: 5 + k, callbacks: {} });
    if (!lowered.ok) throw new Error(`${c.type}: ${lowered.issues.map((i) => i.message).join('; ')}`);
    const model = new addon.Model(lowered.spec, { backend: 'cpu' });
    const rand = prng(100 + k);
    const int = c.intRange !== undefined;
    const xs = c.inputs.map((shape) => {
      const n = batch * shape.reduce((a, b) => a * b, 1);
      return int ? Int32Array.from({ length: n }, () => Math.floor(rand() * c.intRange!)) : Float32Array.from({ length: n }, () => rand() * 4 - 2);
    });
    const [y] = await model.predict({ x: xs }, { batchSize: batch });
    const weights = model.getWeights();
    const info = analysis.order.find((o) => o.layer.id === 'layer')!;
    const names = info.weights.map((w) => `layer/${w.name}`);
    kiln.push({ y, shape: info.shape, params: info.trainable + info.nonTrainable, weightShapes: info.weights.map((w) => w.shape) });
    requests.push({
      layer: { class_name: c.type, config: c.params },
      inputs: c.inputs.map((shape) => ({ shape, dtype: int ? 'int32' : 'float32' })),
      weights: names.map((n) => Array.from(weights[n])),
      x: xs.map((x) => Array.from(x)),
      batch,
    });
  }
  const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/keras_layers.py`], {
    input: JSON.stringify(requests),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
  });
  const keras = JSON.parse(out) as LayerResult['keras'][];
  return kiln.map((k, i) => ({ kiln: k, keras: keras[i] }));
}

/** Largest |a - b| / (|b| + 1e-3) over the outputs. */
export function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + 1e-3));
  return worst;
}
