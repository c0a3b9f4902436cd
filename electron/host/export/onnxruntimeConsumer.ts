/**
 * onnxruntime-node (an optional dependency: npm may have left it out) runs ONNX exports inside
 * the app, with no Python, for the parity report.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ConsumerInputs, ConsumerResult } from './pythonConsumer.js';

interface OrtTensor { dims: readonly number[]; data: ArrayLike<number> }
interface Ort {
  Tensor: new (type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array): Promise<{ outputNames: readonly string[]; run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }> };
  env: { versions?: { common?: string } };
}

/** The module, or why it is not there. */
export function loadOnnxruntime(): Ort | { missing: string } {
  try {
    return createRequire(import.meta.url)('onnxruntime-node') as Ort;
  } catch (err) {
    return { missing: `onnxruntime-node is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

export async function runOnnxruntime(ort: Ort, path: string, inputs: ConsumerInputs): Promise<ConsumerResult> {
  const session = await ort.InferenceSession.create(readFileSync(path));
  const feeds: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] = new ort.Tensor(t.dtype, t.dtype === 'int32' ? Int32Array.from(t.data) : Float32Array.from(t.data), t.shape);
  }
  const out = await session.run(feeds);
  return {
    consumer: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(),
    outputs: Object.fromEntries(session.outputNames.map((n) => [n, { shape: [...out[n].dims], data: Array.from(out[n].data) }])),
  };
}
