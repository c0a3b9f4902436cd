/**
 * TensorFlow.js (@tensorflow/tfjs, its pure-JavaScript CPU backend) runs TF.js exports inside the
 * app for the parity report, loading them from disk as its file loaders do: model.json, then the
 * shards its weights manifest names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsumerInputs, ConsumerResult } from './pythonConsumer.js';

type Tf = typeof import('@tensorflow/tfjs');

/** The library, or why it is not there. */
export async function loadTfjs(): Promise<Tf | { missing: string }> {
  try {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    return tf;
  } catch (err) {
    return { missing: `@tensorflow/tfjs is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

export async function runTfjs(tf: Tf, modelJson: string, inputs: ConsumerInputs): Promise<ConsumerResult> {
  const dir = join(modelJson, '..');
  const model = await tf.loadLayersModel({
    async load() {
      const json = JSON.parse(readFileSync(modelJson, 'utf8')) as { format: string; generatedBy: string; convertedBy: string | null; modelTopology: object; weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[] };
      const bytes = Buffer.concat(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p)))));
      return {
        modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      };
    },
  });
  const xs = model.inputNames.map((name) => {
    const t = inputs[name] ?? Object.values(inputs)[model.inputNames.indexOf(name)];
    return tf.tensor(t.data, t.shape, t.dtype);
  });
  try {
    const out = model.predict(xs.length === 1 ? xs[0] : xs);
    const ys = Array.isArray(out) ? out : [out];
    const outputs: ConsumerResult['outputs'] = {};
    for (const [k, name] of model.outputNames.entries()) outputs[name.split('/')[0]] = { shape: ys[k].shape, data: Array.from(await ys[k].data()) };
    tf.dispose(ys);
    return { consumer: `@tensorflow/tfjs ${tf.version.tfjs} (tf.loadLayersModel, cpu)`, outputs };
  } finally {
    tf.dispose(xs);
    model.dispose();
  }
}
