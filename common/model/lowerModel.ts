import { inferShapes, type ModelIssue } from './inferShapes.js';
import { formatShape, type ModelDoc } from './ModelDoc.js';

/** One dense layer of the engine's first-cut network (matmul + bias_add + activation). */
export interface EngineDense {
  inputs: number;
  units: number;
  activation: 'linear' | 'relu';
}

/** What the engine trains: dense layers whose last one yields logits for softmax cross-entropy. */
export interface EngineSpec {
  layers: EngineDense[];
}

export interface DatasetShape {
  name: string;
  features: number;
  classes: number;
}

export type LowerResult = { ok: true; spec: EngineSpec } | { ok: false; issues: ModelIssue[] };

/**
 * Validates the model against the dataset it will train on and lowers it to the engine's layers.
 * The final softmax is folded into the loss (softmax cross-entropy from logits), which is the same
 * maths as Keras's softmax output with sparse categorical cross-entropy.
 */
export function lowerModel(model: ModelDoc, data: DatasetShape): LowerResult {
  const report = inferShapes(model);
  const issues = [...report.issues];
  if (issues.length > 0) return { ok: false, issues };

  const [input, ...rest] = report.order;
  if (input.type === 'Input' && (input.params.shape.length !== 1 || input.params.shape[0] !== data.features)) {
    issues.push({
      layerId: input.id,
      message: `Input '${input.name}' has shape ${formatShape(input.params.shape)} but ${data.name} rows have ${data.features} features: set the shape to (${data.features},)`,
    });
  }
  if (rest.length === 0) {
    issues.push({ layerId: null, message: 'the model has no layers after its Input: add a Dense layer' });
    return { ok: false, issues };
  }

  const layers: EngineDense[] = [];
  let width = data.features;
  rest.forEach((layer, i) => {
    if (layer.type !== 'Dense') return;
    const last = i === rest.length - 1;
    const { units, activation } = layer.params;
    if (last && activation !== 'softmax') {
      issues.push({ layerId: layer.id, message: `Dense '${layer.name}' is the output layer of a classifier: set its activation to softmax` });
    }
    if (!last && activation === 'softmax') {
      issues.push({ layerId: layer.id, message: `Dense '${layer.name}' uses softmax but is not the output layer: use relu or linear` });
    }
    if (last && units !== data.classes) {
      issues.push({ layerId: layer.id, message: `Dense '${layer.name}' has ${units} units but ${data.name} has ${data.classes} classes: set units to ${data.classes}` });
    }
    if (!layer.params.use_bias) {
      issues.push({ layerId: layer.id, message: `Dense '${layer.name}' has use_bias off, which the engine does not support yet: turn it on` });
    }
    layers.push({ inputs: width, units, activation: activation === 'relu' ? 'relu' : 'linear' });
    width = units;
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec: { layers } };
}
