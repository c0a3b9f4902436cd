/**
 * Writes a trained model as a TensorFlow SavedModel, TF1-style, without TensorFlow: a GraphDef of
 * plain TensorFlow ops (one name scope per layer, Keras's inference semantics), the weights as
 * resource variables restored from a TensorBundle by a Saver, and a `serving_default` signature
 * keyed by the model's Input and output layer names. The files sit in a numbered version folder,
 * as TensorFlow Serving expects: `1/saved_model.pb`, `1/variables/variables.{index,data-...}`.
 */
import { writeTensorBundle, type NumericTensor } from '../../formats/tensorBundle/index.js';
import type { ModelAnalysis } from '../../model/analyzeModel.js';
import { formatShape, type ModelDoc } from '../../model/ModelDoc.js';
import { GraphBuilder } from './GraphBuilder.js';
import { ACTIVATION_NAMES } from './layers/activations.js';
import { EMITTERS, INDEX_LAYERS, type LayerCtx } from './layers/index.js';
import { encodeSavedModel, type TensorInfo } from './savedModelProto.js';
import { addSaver, addVariable, type Variable } from './variables.js';
import type { CompatibilityIssue } from '../compatibility.js';

export interface SavedModelOptions {
  /** The version folder's number (TF Serving serves the highest); default 1. */
  version?: number;
}

/** An export refused: what is wrong with the model or its weights, and how to fix it. */
export class SavedModelExportError extends Error {}

/**
 * TensorFlow 2.12's GraphDef version: every op and attr written here exists there (most long
 * before), and newer TensorFlow and TF Serving read graphs of older versions.
 */
const PRODUCER = 1395;

/** The layers of `model` this format cannot express (none of Kiln's catalogue). */
export function compatibility(model: ModelDoc): CompatibilityIssue[] {
  const issues: CompatibilityIssue[] = [];
  for (const layer of model.layers) {
    const describe = `${layer.type} '${layer.name}'`;
    if (layer.type !== 'Input' && !EMITTERS.has(layer.type)) {
      issues.push({ layerId: layer.id, layer: describe, reason: `${describe} has no TensorFlow equivalent in Kiln's SavedModel export: replace it with a layer from Kiln's catalogue` });
    }
    const act = layer.params?.activation;
    if (typeof act === 'string' && !ACTIVATION_NAMES.has(act)) {
      issues.push({ layerId: layer.id, layer: describe, reason: `${describe} has activation '${act}', which Kiln's SavedModel export cannot write: choose one of ${[...ACTIVATION_NAMES].join(', ')}` });
    }
  }
  return issues;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The SavedModel's files, by path relative to the export root (`<version>/saved_model.pb`, ...).
 * `weights`: the trained values keyed `<layer name>/<weight name>`, as Model.getWeights gives them.
 */
export function exportSavedModel(model: ModelDoc, analysis: ModelAnalysis, weights: Record<string, Float32Array>, options: SavedModelOptions = {}): Map<string, Uint8Array> {
  if (analysis.issues.length > 0) throw new SavedModelExportError(`the model has problems to fix before it can be exported: ${analysis.issues.map((i) => i.message).join('; ')}`);
  const blocked = compatibility(model);
  if (blocked.length > 0) throw new SavedModelExportError(blocked.map((b) => b.reason).join('; '));
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 0) throw new SavedModelExportError(`the version folder must be a whole number (TF Serving serves the highest), got ${version}`);

  const g = new GraphBuilder();
  const scopes = new Map(analysis.order.map((info) => [info.layer.id, g.scope(info.layer.name)]));
  const values = new Map<string, { tensor: string; dtype: 'float32' | 'int32' }>();
  const variables: Variable[] = [];
  const tensors: NumericTensor[] = [];
  const inputs: TensorInfo[] = [];
  const batchFirst = (shape: (number | null)[]) => shape.map((d) => d ?? -1);

  for (const info of analysis.order) {
    const { layer } = info;
    const scope = scopes.get(layer.id)!;
    if (info.def.inputs === 0) {
      const dtype = info.params.dtype === 'int32' ? 'int32' : 'float32';
      const placeholder = g.add('Placeholder', scope, [], { dtype: { type: dtype }, shape: { shape: batchFirst(info.shape) } });
      values.set(layer.id, { tensor: placeholder, dtype });
      inputs.push({ key: layer.name, tensor: `${placeholder}:0`, dtype, shape: batchFirst(info.shape) });
      continue;
    }
    const reads = new Map<string, string>();
    for (const w of info.weights) {
      const key = `${layer.name}/${w.name}`;
      const data = weights[key];
      if (!data) throw new SavedModelExportError(`${layer.type} '${layer.name}' has no value for its weight ${w.name} ${formatShape(w.shape)} ('${key}'): export from a trained run or a project that holds weights`);
      if (data.length !== count(w.shape)) throw new SavedModelExportError(`the weight '${key}' holds ${data.length} values, but ${layer.type} '${layer.name}' needs ${formatShape(w.shape)} (${count(w.shape)}): the weights are from another version of the model`);
      const variable = addVariable(g, `${scope}/${w.name}`, w.shape, w.trainable);
      variables.push(variable);
      tensors.push({ name: variable.name, dtype: 'float32', shape: w.shape, data });
      reads.set(w.name, variable.read);
    }
    const takesIndices = INDEX_LAYERS.has(layer.type);
    const ins = info.inputs.map((id, i) => {
      const v = values.get(id)!;
      if (v.dtype === 'float32' || takesIndices) return v;
      // Keras computes float layers in float32 whatever their input's dtype.
      const cast = g.add('Cast', `${scope}/Cast_input${i}`, [v.tensor], { SrcT: { type: 'int32' }, DstT: { type: 'float32' } });
      return { tensor: cast, dtype: 'float32' as const };
    });
    const ctx: LayerCtx = {
      g,
      layer,
      scope,
      params: info.params,
      inputShapes: info.inputs.map((id) => analysis.shapes.get(id)!),
      outputShape: info.shape,
      inputDtypes: ins.map((v) => v.dtype),
      weight(name) {
        const read = reads.get(name);
        if (!read) throw new Error(`${layer.type} '${layer.name}' has no weight ${name}`);
        return read;
      },
    };
    values.set(layer.id, { tensor: EMITTERS.get(layer.type)!(ctx, ins.map((v) => v.tensor)), dtype: 'float32' });
  }

  // Each output gets a node of the layer's own name, so its tensor reads `<layer>:0`.
  const outputs: TensorInfo[] = analysis.outputs.map((id) => {
    const info = analysis.order.find((o) => o.layer.id === id)!;
    const scope = scopes.get(id)!;
    const v = values.get(id)!;
    const node = g.add('Identity', g.has(scope) ? `${scope}/Identity` : scope, [v.tensor], { T: { type: v.dtype } });
    return { key: info.layer.name, tensor: `${node}:0`, dtype: v.dtype, shape: batchFirst(info.shape) };
  });

  const saver = variables.length > 0 ? addSaver(g, g.scope('save'), variables) : undefined;
  const dir = String(version);
  const files = new Map<string, Uint8Array>();
  files.set(`${dir}/saved_model.pb`, encodeSavedModel({
    nodes: g.nodes,
    producer: PRODUCER,
    signature: { name: 'serving_default', method: 'tensorflow/serving/predict', inputs, outputs },
    saver,
    variables,
  }));
  // The loaders restore variables/ only with a saver, and need a saver only with variables.
  if (saver) {
    const bundle = writeTensorBundle(tensors);
    files.set(`${dir}/variables/variables.index`, bundle.index);
    files.set(`${dir}/variables/variables.data-00000-of-00001`, bundle.data);
  }
  return files;
}
