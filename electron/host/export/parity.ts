/**
 * The parity report: an export run by its real consumer on a fixed batch, against Kiln's own
 * predictions for the same batch: the largest absolute and relative difference per output.
 * Written beside the export as parity.json; the consumers that could not run say why.
 */
import type { ModelAnalysis } from '../../../common/model/index.js';
import type { NativeModel } from '../addon.js';
import { loadOnnxruntime, runOnnxruntime } from './onnxruntimeConsumer.js';
import { loadTfjs, runTfjs } from './tfjsConsumer.js';
import { findPython, PYTHON_MODULE, runPythonConsumer, type ConsumerInputs, type ConsumerResult } from './pythonConsumer.js';

export interface ParityOutput {
  name: string;
  maxAbsDiff: number;
  /** max |a - b| / max(|b|, 1e-6) over the batch, b being Kiln's value. */
  maxRelDiff: number;
}

export interface ParityCheck {
  consumer: string;
  ran: boolean;
  /** Why it did not run, or how it failed. */
  reason?: string;
  outputs?: ParityOutput[];
  /** Every output within the tolerance. */
  ok?: boolean;
}

export interface ParityReport {
  format: string;
  batch: number;
  tolerance: number;
  /** Where the batch came from: "the run's validation data", "random inputs (seed 1)". */
  data: string;
  checks: ParityCheck[];
}

/** One packed array per model input, `count` samples. */
export interface ParityBatch {
  inputs: (Float32Array | Int32Array)[];
  count: number;
  data: string;
}

export const PARITY_TOLERANCE = 1e-4;

export function compare(name: string, kiln: Float32Array, other: ArrayLike<number>): ParityOutput {
  if (other.length !== kiln.length) throw new Error(`output ${name} has ${other.length} values, Kiln's has ${kiln.length}`);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < kiln.length; i++) {
    const d = Math.abs(other[i] - kiln[i]);
    if (!(d <= abs)) abs = d;  // NaN counts as the largest difference
    const r = d / Math.max(Math.abs(kiln[i]), 1e-6);
    if (!(r <= rel)) rel = r;
  }
  return { name, maxAbsDiff: abs, maxRelDiff: rel };
}

/**
 * Runs the export at `path` through the consumers of `format` that are present, on `batch`, and
 * compares each output (by the model's output layer names, in order) with Kiln's predictions.
 */
export async function checkParity(format: string, path: string, native: NativeModel, analysis: ModelAnalysis, batch: ParityBatch): Promise<ParityReport> {
  const nameOf = (id: string) => analysis.order.find((o) => o.layer.id === id)?.layer.name ?? id;
  const kiln = await native.predict({ x: batch.inputs }, { batchSize: Math.max(1, batch.count) });
  const inputs: ConsumerInputs = {};
  analysis.inputs.forEach((id, k) => {
    const shape = (analysis.shapes.get(id) ?? []).slice(1) as number[];
    inputs[nameOf(id)] = { shape: [batch.count, ...shape], dtype: batch.inputs[k] instanceof Int32Array ? 'int32' : 'float32', data: Array.from(batch.inputs[k]) };
  });
  const names = analysis.outputs.map(nameOf);
  const judge = (result: ConsumerResult): ParityCheck => {
    // Consumers name outputs after the layers; a single output may come under another name.
    const values = names.map((n, k) => result.outputs[n] ?? (names.length === 1 ? Object.values(result.outputs)[0] : undefined) ?? Object.values(result.outputs)[k]);
    const outputs = names.map((n, k) => compare(n, kiln[k], values[k]?.data ?? []));
    return { consumer: result.consumer, ran: true, outputs, ok: outputs.every((o) => o.maxRelDiff <= PARITY_TOLERANCE || o.maxAbsDiff <= PARITY_TOLERANCE) };
  };
  const attempt = async (consumer: string, run: () => Promise<ConsumerResult> | ConsumerResult): Promise<ParityCheck> => {
    try {
      return judge(await run());
    } catch (err) {
      return { consumer, ran: true, ok: false, reason: (err as Error).message };
    }
  };
  const checks: ParityCheck[] = [];
  if (format === 'onnx') {
    const ort = loadOnnxruntime();
    checks.push('missing' in ort ? { consumer: 'onnxruntime-node', ran: false, reason: ort.missing } : await attempt('onnxruntime-node', () => runOnnxruntime(ort, path, inputs)));
  }
  if (format === 'tfjs') {
    const tf = await loadTfjs();
    checks.push('missing' in tf ? { consumer: '@tensorflow/tfjs', ran: false, reason: tf.missing } : await attempt('@tensorflow/tfjs', () => runTfjs(tf, path, inputs)));
  }
  const module = PYTHON_MODULE[format];
  if (module) {
    const found = findPython(module);
    checks.push('missing' in found ? { consumer: `Python ${module}`, ran: false, reason: found.missing } : await attempt(`Python ${module}`, () => runPythonConsumer(found.python, format, path, inputs)));
  }
  return { format, batch: batch.count, tolerance: PARITY_TOLERANCE, data: batch.data, checks };
}
