/**
 * Kiln's ONNX export: the model in inference form as one `model.onnx` (IR 8, opset 17), with
 * Keras's semantics and channels-last values, weights as initializers, graph inputs and outputs
 * named after the model's Input and output layers, and a symbolic batch dimension ('batch').
 */
import type { LayerInfo, ModelAnalysis } from '../../model/analyzeModel.js';
import type { ModelDoc, Shape } from '../../model/ModelDoc.js';
import { ACTIVATION_NODES } from './activationNodes.js';
import { CONV_NODES } from './convNodes.js';
import { CORE_NODES } from './coreNodes.js';
import { NORMALIZATION_NODES } from './normalizationNodes.js';
import { LayerScope, OnnxGraph, type Emit } from './OnnxGraph.js';
import { DataType, encodeModel, type OnnxValueInfo } from './onnxProto.js';
import { RESHAPE_NODES } from './reshapeNodes.js';
import type { CompatibilityIssue } from '../compatibility.js';

export const ONNX_FILE = 'model.onnx';
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

const EMITTERS: Record<string, Emit> = { ...CORE_NODES, ...ACTIVATION_NODES, ...CONV_NODES, ...NORMALIZATION_NODES, ...RESHAPE_NODES };

/** Layers of the model that ONNX export cannot write (none of the catalogue's). */
export function compatibility(model: ModelDoc): CompatibilityIssue[] {
  return model.layers
    .filter((l) => l.type !== 'Input' && !(l.type in EMITTERS))
    .map((l) => ({ layerId: l.id, layer: `${l.type} '${l.name}'`, reason: `${l.type} '${l.name}': ONNX export has no mapping for ${l.type} layers yet` }));
}

/** Ids of the layers the model's outputs depend on (a layer whose result no output reads is left out). */
function feedingOutputs(analysis: ModelAnalysis): Set<string> {
  const inputsOf = new Map(analysis.order.map((o) => [o.layer.id, o.inputs]));
  const needed = new Set<string>();
  const stack = [...analysis.outputs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    stack.push(...(inputsOf.get(id) ?? []));
  }
  return needed;
}

const isInt = (info: LayerInfo) => info.layer.type === 'Input' && info.params.dtype === 'int32';

function valueInfo(name: string, shape: Shape, int: boolean): OnnxValueInfo {
  return { name, type: int ? DataType.INT32 : DataType.FLOAT, shape: shape.map((d, i) => (i === 0 ? 'batch' : d)) };
}

/**
 * `model.onnx` for a checked model and its weights (`<layer>/<weight>`, Keras's layout). Throws,
 * naming the layer, when the model has problems or a weight is missing or of the wrong size.
 */
export function exportOnnx(model: ModelDoc, analysis: ModelAnalysis, weights: Record<string, Float32Array>): Map<string, Uint8Array> {
  const problems = [...analysis.issues.map((i) => i.message), ...compatibility(model).map((c) => c.reason)];
  if (problems.length > 0) throw new Error(`cannot export to ONNX: ${problems.join('; ')}`);

  const graph = new OnnxGraph();
  const infos = new Map(analysis.order.map((o) => [o.layer.id, o]));
  const valueOf = new Map<string, string>();
  const inputs: OnnxValueInfo[] = [];
  const needed = feedingOutputs(analysis);
  for (const info of analysis.order) {
    const { layer } = info;
    if (layer.type === 'Input') {
      inputs.push(valueInfo(graph.claim(layer.name), info.shape, isInt(info)));
      valueOf.set(layer.id, layer.name);
      continue;
    }
    if (!needed.has(layer.id)) continue;
    const scope = new LayerScope(graph, info, info.inputs.map((id) => infos.get(id)!), weights);
    const y = EMITTERS[layer.type](scope, info.inputs.map((id) => valueOf.get(id)!), info.params);
    valueOf.set(layer.id, graph.finish(y, layer.name));
  }
  const outputs = analysis.outputs.map((id) => {
    const info = infos.get(id)!;
    return valueInfo(valueOf.get(id)!, info.shape, isInt(info));
  });
  const bytes = encodeModel({ name: 'kiln_model', nodes: graph.nodes, initializers: graph.initializers, inputs, outputs }, { irVersion: ONNX_IR_VERSION, opset: ONNX_OPSET, producerName: 'Kiln' });
  return new Map([[ONNX_FILE, bytes]]);
}
