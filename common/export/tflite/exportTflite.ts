/**
 * Exports a model and its trained weights as a TensorFlow Lite flatbuffer (float32, schema
 * version 3): one subgraph of NHWC tensors in the model's execution order, weights as constant
 * buffers in TensorFlow Lite's layouts, a dynamic batch axis (1 in the file, -1 in
 * shape_signature), and a 'serving_default' signature named after the model's Input and output
 * layers, so `interpreter.get_signature_runner()` works.
 */
import type { ModelAnalysis } from '../../model/analyzeModel.js';
import { formatShape, type ModelDoc } from '../../model/ModelDoc.js';
import { compatibility } from './compatibility.js';
import { EMITTERS, type EmitContext } from './layers/index.js';
import { batched } from './layers/EmitContext.js';
import { cast, reshape } from './ops.js';
import { TfliteGraph, type Tensor } from './TfliteGraph.js';
import { writeModel } from './writeModel.js';

export const TFLITE_FILE = 'model.tflite';

export function exportTflite(model: ModelDoc, analysis: ModelAnalysis, weights: Record<string, Float32Array>): Map<string, Uint8Array> {
  if (analysis.issues.length > 0) throw new Error(`the model has problems to fix before it can be exported: ${analysis.issues.map((i) => i.message).join('; ')}`);
  const unsupported = compatibility(model, analysis);
  if (unsupported.length > 0) throw new Error(`TensorFlow Lite cannot express every layer of this model: ${unsupported.map((u) => u.reason).join('; ')}`);

  const g = new TfliteGraph();
  const values = new Map<string, Tensor>();
  const inputs: { name: string; tensor: Tensor }[] = [];
  for (const info of analysis.order) {
    const { layer } = info;
    if (info.def.inputs === 0) {
      const tensor = g.tensor(layer.name, batched(info.shape), info.params.dtype === 'int32' ? 'INT32' : 'FLOAT32');
      values.set(layer.id, tensor);
      inputs.push({ name: layer.name, tensor });
      continue;
    }
    const describe = `${layer.type} '${layer.name}'`;
    const first = g.size;
    // Only an Embedding reads indices; other layers compute in float32, as Keras casts int inputs.
    const ins = info.inputs.map((id, i) => {
      const t = values.get(id)!;
      return t.dtype === 'INT32' && layer.type !== 'Embedding' ? cast(g, t, 'FLOAT32', `${layer.name}/input_${i + 1}_float`) : t;
    });
    const ctx: EmitContext = {
      g,
      info,
      p: info.params,
      inputs: ins,
      name: (suffix) => `${layer.name}/${suffix}`,
      weight(name) {
        const spec = info.weights.find((w) => w.name === name);
        const data = weights[`${layer.name}/${name}`];
        const size = spec?.shape.reduce((a, d) => a * d, 1);
        if (!spec || !data) throw new Error(`${describe} has no trained ${name}${spec ? ` of shape ${formatShape(spec.shape)}` : ''} among the weights: export from a checkpoint or project that holds this model's weights`);
        if (data.length !== size) throw new Error(`${describe}'s ${name} has ${data.length} values, but its shape ${formatShape(spec.shape)} needs ${size}: the weights are from a different model`);
        return data;
      },
    };
    const out = EMITTERS.get(layer.type)!(ctx);
    if (out.id >= first) g.rename(out, layer.name);
    values.set(layer.id, out);
  }

  // A signature output must be a tensor of its own: copy one that is a model input or another output.
  const taken = new Set(inputs.map((i) => i.tensor.id));
  const outputs = analysis.outputs.map((id) => {
    const name = analysis.order.find((o) => o.layer.id === id)!.layer.name;
    let tensor = values.get(id)!;
    if (taken.has(tensor.id)) tensor = reshape(g, tensor, tensor.shape, name);
    taken.add(tensor.id);
    return { name, tensor };
  });
  return new Map([[TFLITE_FILE, writeModel(g.model({ key: 'serving_default', inputs, outputs }))]]);
}
