/**
 * Kiln's TF.js export: the layers format that tf.loadLayersModel reads. `model.json` holds the
 * model as a Keras 2 functional-model config (class_name 'Model', layers with inbound_nodes, as
 * tfjs-layers saves it) and a weights manifest; the weights are float32 little-endian in one
 * shard, `group1-shard1of1.bin`, named `<layer>/<weight>` as tfjs-layers names its variables.
 */
import { analyzeModel, type LayerInfo, type ModelAnalysis } from '../../model/analyzeModel.js';
import { formatShape, type ModelDoc } from '../../model/ModelDoc.js';
import { encodeUtf8 } from '../../formats/protobuf.js';
import { TFJS_LAYERS, type TfjsLayer, type TfjsWeight } from './tfjsLayers.js';
import type { CompatibilityIssue } from '../compatibility.js';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_SHARD_FILE = 'group1-shard1of1.bin';

/** tfjs-layers' rule for layer and variable names. */
const TFJS_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

function convert(info: LayerInfo): TfjsLayer | { problem: string } {
  if (!TFJS_NAME.test(info.layer.name)) return { problem: "TF.js accepts layer names of letters, digits, '-', '_', '.' and '/' that start with a letter or digit: rename it" };
  if (info.layer.type === 'Input') return { className: 'InputLayer', config: { batch_input_shape: info.shape, dtype: info.params.dtype, sparse: false }, weights: () => [] };
  const to = TFJS_LAYERS[info.layer.type];
  return to ? to(info) : { problem: `TF.js export has no mapping for ${info.layer.type} layers yet` };
}

/** The layers the model's outputs depend on, in execution order: a Keras functional model holds only those. */
function exported(analysis: ModelAnalysis): LayerInfo[] {
  const byId = new Map(analysis.order.map((o) => [o.layer.id, o]));
  const needed = new Set<string>();
  const stack = [...analysis.outputs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    stack.push(...(byId.get(id)?.inputs ?? []));
  }
  return analysis.order.filter((o) => needed.has(o.layer.id));
}

function issues(analysis: ModelAnalysis): CompatibilityIssue[] {
  return exported(analysis).flatMap((info) => {
    const c = convert(info);
    const layer = `${info.layer.type} '${info.layer.name}'`;
    return 'problem' in c ? [{ layerId: info.layer.id, layer, reason: `${layer}: ${c.problem}` }] : [];
  });
}

/** Layers of the model that TF.js cannot run, and why (layers whose shapes cannot be inferred are left to the model's own check). */
export function compatibility(model: ModelDoc): CompatibilityIssue[] {
  return issues(analyzeModel(model));
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * `model.json` and its weight shard for a checked model and its weights (`<layer>/<weight>`,
 * Keras's layout). Throws, naming the layer, when the model has problems, TF.js cannot run one
 * of its layers, or a weight is missing or of the wrong size.
 */
export function exportTfjs(model: ModelDoc, analysis: ModelAnalysis, weights: Record<string, Float32Array>): Map<string, Uint8Array> {
  const problems = [...analysis.issues.map((i) => i.message), ...issues(analysis).map((c) => c.reason)];
  if (problems.length > 0) throw new Error(`cannot export to TF.js: ${problems.join('; ')}`);

  const order = exported(analysis);
  const names = new Map(order.map((o) => [o.layer.id, o.layer.name]));
  const layers: object[] = [];
  const manifest: TfjsWeight[] = [];
  for (const info of order) {
    const { layer } = info;
    const c = convert(info) as TfjsLayer;
    const source = (name: string) => {
      const spec = info.weights.find((w) => w.name === name)!;
      const key = `${layer.name}/${name}`;
      const data = weights[key];
      const what = `${layer.type} '${layer.name}'`;
      if (!data) throw new Error(`the weights to export have no ${key} for ${what} (shape ${formatShape(spec.shape)}): export from a checkpoint of this model`);
      if (data.length !== count(spec.shape)) throw new Error(`the weight ${key} of ${what} holds ${data.length} values, but the model needs shape ${formatShape(spec.shape)} (${count(spec.shape)} values): export from a checkpoint of this model`);
      return { data, shape: spec.shape };
    };
    manifest.push(...c.weights(source));
    layers.push({
      class_name: c.className,
      config: { name: layer.name, trainable: true, ...(c.className === 'InputLayer' ? {} : { dtype: 'float32' }), ...c.config },
      name: layer.name,
      inbound_nodes: info.inputs.length === 0 ? [] : [info.inputs.map((id) => [names.get(id), 0, 0, {}])],
    });
  }
  const ends = (ids: string[]) => ids.map((id) => [names.get(id), 0, 0]);
  const topology = {
    class_name: 'Model',
    config: { name: 'model', layers, input_layers: ends(analysis.inputs.filter((id) => names.has(id))), output_layers: ends(analysis.outputs) },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'Kiln',
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [TFJS_SHARD_FILE], weights: manifest.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  const shard = new Float32Array(manifest.reduce((n, w) => n + w.data.length, 0));
  let at = 0;
  for (const w of manifest) {
    shard.set(w.data, at);
    at += w.data.length;
  }
  // Float32Array's bytes are little-endian on every platform Kiln runs on, as the shard format requires.
  return new Map([
    [TFJS_MODEL_FILE, encodeUtf8(JSON.stringify(modelJson))],
    [TFJS_SHARD_FILE, new Uint8Array(shard.buffer)],
  ]);
}
