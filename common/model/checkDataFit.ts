/** Checks that a classifier fits the tabular dataset it will train on, in the user's terms. */
import type { ModelAnalysis, ModelIssue } from './analyzeModel.js';
import { formatShape } from './ModelDoc.js';

export interface DatasetShape {
  name: string;
  features: number;
  classes: number;
}

export function checkDataFit(analysis: ModelAnalysis, data: DatasetShape): ModelIssue[] {
  const issues: ModelIssue[] = [];
  const info = (id: string) => analysis.order.find((o) => o.layer.id === id);
  if (analysis.inputs.length !== 1) {
    issues.push({ layerId: null, message: `${data.name} has one input table, but the model has ${analysis.inputs.length} Input layers: keep one` });
  }
  const input = info(analysis.inputs[0]);
  if (input && (input.shape.length !== 2 || input.shape[1] !== data.features)) {
    issues.push({ layerId: input.layer.id, message: `Input '${input.layer.name}' has shape ${formatShape(input.shape.slice(1))} but ${data.name} rows have ${data.features} features: set the shape to (${data.features},)` });
  }
  if (analysis.outputs.length !== 1) {
    issues.push({ layerId: null, message: `${data.name} has one label column, but the model has ${analysis.outputs.length} outputs: keep one` });
    return issues;
  }
  const out = info(analysis.outputs[0]);
  if (!out) return issues;
  const { layer } = out;
  if (out.shape.at(-1) !== data.classes) {
    const what = layer.type === 'Dense' ? `has ${String(out.shape.at(-1))} units` : `outputs ${formatShape(out.shape)}`;
    issues.push({ layerId: layer.id, message: `${layer.type} '${layer.name}' ${what} but ${data.name} has ${data.classes} classes: ${layer.type === 'Dense' ? `set units to ${data.classes}` : `end the model with ${data.classes} scores`}` });
  }
  const activation = layer.type === 'Softmax' ? 'softmax' : out.params.activation;
  if (activation !== 'softmax') {
    issues.push({ layerId: layer.id, message: `${layer.type} '${layer.name}' is the output layer of a classifier: set its activation to softmax` });
  }
  for (const o of analysis.order) {
    if (o.layer.id !== layer.id && o.params.activation === 'softmax') {
      issues.push({ layerId: o.layer.id, message: `${o.layer.type} '${o.layer.name}' uses softmax but is not the output layer: use relu or linear` });
    }
  }
  return issues;
}
