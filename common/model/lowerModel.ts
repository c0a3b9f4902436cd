/**
 * Lowers a checked model and its training configuration to the engine's model spec. Layers lower
 * themselves (common/model/layers); this adds the model's inputs, one target and loss per
 * output, the metrics and the optimizer. A softmax (sigmoid) output under a categorical (binary)
 * cross-entropy gives the loss its logits, as Keras does.
 */
import { analyzeModel, type ModelAnalysis, type ModelIssue } from './analyzeModel.js';
import type { EngineLoss, EngineModelSpec, EngineNode, MetricName } from './engineSpec.js';
import { ACTIVATIONS, type LowerCtx } from './layers/index.js';
import { formatShape, type ModelDoc } from './ModelDoc.js';
import { lossFor, type TrainingConfig } from './trainingConfig.js';

export type LowerResult = { ok: true; spec: EngineModelSpec; analysis: ModelAnalysis } | { ok: false; issues: ModelIssue[] };

const CATEGORICAL = new Set(['sparse_categorical_crossentropy', 'categorical_crossentropy']);

/**
 * The metric a name means for one output, as Keras's compile resolves it: "accuracy" is binary
 * for a single score, sparse categorical against integer labels, else categorical. Null when the
 * metric does not apply to this output's targets.
 */
function resolveMetric(m: MetricName, sparse: boolean, outShape: number[]): MetricName | null {
  if (m === 'accuracy') return outShape.at(-1) === 1 ? 'binary_accuracy' : sparse ? 'sparse_categorical_accuracy' : 'categorical_accuracy';
  if (m === 'sparse_categorical_accuracy') return sparse ? m : null;
  if (m === 'categorical_accuracy' || m === 'mean_absolute_error' || m === 'mean_squared_error') return sparse ? null : m;
  return m;
}

export function lowerModel(model: ModelDoc, config: TrainingConfig): LowerResult {
  const analysis = analyzeModel(model);
  const issues = [...analysis.issues];
  if (issues.length > 0) return { ok: false, issues };

  const spec: EngineModelSpec = { inputs: [], targets: [], params: [], nodes: [], movingAverages: [], outputs: [], losses: [], metrics: [], optimizer: config.optimizer, seed: config.seed };
  if (config.precision && config.precision !== 'float32') spec.precision = config.precision;
  const valueOf = new Map<string, string>();  // layer id -> its output value
  const activationOf = new Map<string, { pre: string; activation: string }>();  // value -> what made it

  for (const info of analysis.order) {
    const { layer, def, params } = info;
    if (def.inputs === 0) {
      spec.inputs.push({ name: layer.name, shape: info.shape.slice(1) as number[], ...(params.dtype === 'int32' ? { dtype: 'int32' as const } : {}) });
      valueOf.set(layer.id, layer.name);
      continue;
    }
    for (const w of info.weights) spec.params.push({ name: `${layer.name}/${w.name}`, shape: w.shape, trainable: w.trainable, init: w.init, l1: w.l1, l2: w.l2 });
    const node = (op: string, suffix: string, inputs: string[], attrs?: EngineNode['attrs'], extra?: Pick<EngineNode, 'outputs' | 'mode'>) => {
      const name = suffix === '' ? layer.name : `${layer.name}/${suffix}`;
      spec.nodes.push({ op, name, inputs, ...(attrs ? { attrs } : {}), ...extra });
      return extra?.outputs?.[0] ?? name;
    };
    const ctx: LowerCtx = {
      layer,
      inputShapes: info.inputs.map((i) => analysis.shapes.get(i)!),
      outputShape: info.shape,
      node,
      weight: (name) => `${layer.name}/${name}`,
      movingAverage: (weight, value, momentum) => spec.movingAverages!.push({ var: `${layer.name}/${weight}`, value, momentum }),
      activation(x, activation, suffix) {
        const op = activation === null ? null : ACTIVATIONS.get(activation);
        if (!op) return x;
        const y = node(op, suffix ?? activation!, [x]);
        activationOf.set(y, { pre: x, activation: activation! });
        return y;
      },
    };
    valueOf.set(layer.id, def.lower(ctx, info.inputs.map((i) => valueOf.get(i)!), params));
  }

  const metrics: MetricName[] = config.metrics;
  for (const id of analysis.outputs) {
    const info = analysis.order.find((o) => o.layer.id === id)!;
    const name = info.layer.name;
    const value = valueOf.get(id)!;
    spec.outputs.push(value);
    const loss = lossFor(config, name);
    if (!loss) {
      issues.push({ layerId: id, message: `the output ${info.layer.type} '${name}' has no loss: choose one for it in the training settings` });
      continue;
    }
    const sparse = loss.type === 'sparse_categorical_crossentropy';
    const outShape = info.shape.slice(1) as number[];
    if (sparse && (outShape.length === 0 || outShape.at(-1)! < 2)) {
      issues.push({ layerId: id, message: `${info.layer.type} '${name}' outputs ${formatShape(info.shape)}, but sparse categorical cross-entropy needs one score per class (at least 2) on the last axis` });
      continue;
    }
    const target = `${name}/target`;
    spec.targets.push(sparse ? { name: target, shape: outShape.slice(0, -1), dtype: 'int32' } : { name: target, shape: outShape });
    const made = activationOf.get(value);
    const folds = !loss.fromLogits && made && ((CATEGORICAL.has(loss.type) && made.activation === 'softmax') || (loss.type === 'binary_crossentropy' && made.activation === 'sigmoid'));
    const engineLoss: EngineLoss = { type: loss.type, output: folds ? made.pre : value, target, fromLogits: folds || loss.fromLogits };
    if (loss.delta !== undefined) engineLoss.delta = loss.delta;
    spec.losses.push(engineLoss);
    for (const m of metrics) {
      const type = resolveMetric(m, sparse, outShape);
      if (!type) continue;  // e.g. MAE against class labels: Keras would compare labels with scores
      const multi = analysis.outputs.length > 1;
      const accuracy = type.endsWith('accuracy');
      spec.metrics.push({ type, name: multi ? `${name}_${m}` : m, output: accuracy && folds && type !== 'binary_accuracy' ? made.pre : value, target });
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec, analysis };
}
