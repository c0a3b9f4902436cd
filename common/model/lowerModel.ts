import { inferShapes, type ModelIssue } from './inferShapes.js';
import type { EngineModelSpec, OptimizerSpec } from './engineSpec.js';
import { lowerDense } from './lowerLayers.js';
import { formatShape, type ModelDoc } from './ModelDoc.js';

export interface DatasetShape {
  name: string;
  features: number;
  classes: number;
}

export type LowerResult = { ok: true; spec: EngineModelSpec } | { ok: false; issues: ModelIssue[] };

export interface LowerOptions {
  optimizer: OptimizerSpec;
  seed: number;
}

/**
 * Validates the model against the dataset it will train on and lowers it to the engine's ops.
 * The loss reads the output layer's logits (softmax cross-entropy from logits): Keras does the
 * same when a softmax output meets sparse categorical cross-entropy.
 */
export function lowerModel(model: ModelDoc, data: DatasetShape, options: LowerOptions): LowerResult {
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

  const spec: EngineModelSpec = {
    inputs: [{ name: input.name, shape: [data.features] }],
    targets: [{ name: 'labels', shape: [], dtype: 'int32' }],
    params: [],
    nodes: [],
    outputs: [],
    losses: [],
    metrics: [],
    optimizer: options.optimizer,
    seed: options.seed,
  };
  let width = data.features;
  let x = input.name;
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
    const [y, logits] = lowerDense(spec, layer.name, x, width, { units, activation, useBias: layer.params.use_bias });
    if (last) {
      spec.outputs.push(y);
      spec.losses.push({ type: 'sparse_categorical_crossentropy', output: logits, target: 'labels', fromLogits: true });
      spec.metrics.push({ type: 'sparse_categorical_accuracy', name: 'accuracy', output: logits, target: 'labels' });
    }
    x = y;
    width = units;
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec };
}
