/**
 * The variables of a `.keras` archive's model.weights.h5, in Keras's layout: per layer, its
 * weights in get_weights() order (`vars/0`, `vars/1`, ...), float32 but for the int64 counters
 * Keras keeps; and a freshly compiled optimizer's state (its step count and learning rate), which
 * load_model restores when it compiles the model.
 */
import type { ModelAnalysis } from '../../model/analyzeModel.js';
import { kerasName } from '../../model/keras/toKerasCode.js';
import { formatShape } from '../../model/ModelDoc.js';
import type { TrainingConfig } from '../../model/trainingConfig.js';
import { learningRateOf, optimizerName } from './kerasCompileConfig.js';
import { kerasLayerOrder } from './kerasLayerOrder.js';

export interface KerasVariable {
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Weights Keras keeps as int64 (Normalization's sample count), by layer type. */
const INT64_WEIGHTS: Record<string, ReadonlySet<string>> = { Normalization: new Set(['count']) };

/**
 * Each layer's variables by its Keras name, in Keras's `model.layers` order (every layer, with or
 * without weights). Throws, naming the layer and weight, when a weight is missing or of the wrong size.
 */
export function kerasLayerVariables(analysis: ModelAnalysis, weights: Record<string, Float32Array>): Map<string, KerasVariable[]> {
  const out = new Map<string, KerasVariable[]>();
  for (const info of kerasLayerOrder(analysis)) {
    const label = `${info.layer.type} '${info.layer.name}'`;
    out.set(kerasName(info.layer.name), info.weights.map((w) => {
      const values = weights[`${info.layer.name}/${w.name}`];
      const size = w.shape.reduce((a, d) => a * d, 1);
      if (!values) throw new Error(`the weights have no ${w.name} for ${label}: it needs ${formatShape(w.shape)} values`);
      if (values.length !== size) throw new Error(`the weight ${w.name} of ${label} has ${values.length} values, but ${formatShape(w.shape)} needs ${size}`);
      const int64 = INT64_WEIGHTS[info.layer.type]?.has(w.name);
      return { shape: w.shape, data: int64 ? BigInt64Array.from(values, (v) => BigInt(Math.round(v))) : values };
    }));
  }
  return out;
}

/**
 * The state of the optimizer load_model compiles the model with, as it is before its first step:
 * the step count, the learning rate (unless a schedule sets it) and zeroed slots per trainable
 * weight, in the order Keras builds them (keras/src/optimizers: Adam interleaves momentum and
 * velocity per weight; RMSprop has all velocities, then momentums, then average gradients).
 */
export function kerasOptimizerVariables(training: TrainingConfig, analysis: ModelAnalysis): { name: string; variables: KerasVariable[] } {
  const spec = training.optimizer;
  const variables: KerasVariable[] = [{ shape: [], data: BigInt64Array.of(0n) }];
  if (!spec.schedule || spec.schedule.type === 'constant') variables.push({ shape: [], data: Float32Array.of(learningRateOf(spec)) });
  const trainable = kerasLayerOrder(analysis).flatMap((o) => o.weights.filter((w) => w.trainable));
  const zeros = (slots: number) => trainable.flatMap((w) => Array.from({ length: slots }, () => ({ shape: w.shape, data: new Float32Array(w.shape.reduce((a, d) => a * d, 1)) })));
  const momentum = spec.momentum ?? 0;
  if (spec.type === 'adam' || spec.type === 'adamw') variables.push(...zeros(2));
  else if (spec.type === 'sgd' && momentum !== 0) variables.push(...zeros(1));
  else if (spec.type === 'rmsprop') variables.push(...zeros(1), ...(momentum > 0 ? zeros(1) : []), ...(spec.centered ? zeros(1) : []));
  return { name: optimizerName(spec), variables };
}
