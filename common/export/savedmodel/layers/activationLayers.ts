/** Activation layers with parameters as TensorFlow ops, following Keras 3's activations. */
import { floats, ints, op, type LayerEmitter } from './LayerEmitter.js';

/**
 * keras.activations.relu(x, negative_slope, max_value, threshold): the positive part (above the
 * threshold, capped at max_value) minus negative_slope * relu(threshold - x).
 */
export const ReLU: LayerEmitter = (ctx, [x]) => {
  const slope = ctx.params.negative_slope as number;
  const max = ctx.params.max_value as number | null;
  const threshold = ctx.params.threshold as number;
  if (threshold === 0 && max === null) return slope === 0 ? op(ctx, 'Relu', 'Relu', [x]) : op(ctx, 'LeakyRelu', 'LeakyRelu', [x], { alpha: { f: slope } });
  const t = threshold === 0 ? null : floats(ctx, 'threshold', threshold);
  let y: string;
  if (t !== null) {
    const above = op(ctx, 'Cast', 'Cast', [op(ctx, 'Greater', 'Greater', [x, t])], { SrcT: { type: 'bool' }, DstT: { type: 'float32' } });
    y = op(ctx, 'Mul', 'mul', [x, above]);
  } else {
    const relu = max === 6 ? 'Relu6' : 'Relu';  // Keras's shortcut for relu capped at 6
    y = op(ctx, relu, relu, [x]);
  }
  if (max !== null && !(t === null && max === 6)) y = op(ctx, 'ClipByValue', 'clip_by_value', [y, floats(ctx, 'clip_by_value/min', 0), floats(ctx, 'clip_by_value/max', max)]);
  if (slope === 0) return y;
  const below = op(ctx, 'Neg', 'Neg', [x]);
  const negative = op(ctx, 'Relu', 'negative_part', [t === null ? below : op(ctx, 'AddV2', 'add', [below, t])]);
  return op(ctx, 'Sub', 'sub', [y, op(ctx, 'Mul', 'mul_1', [floats(ctx, 'negative_slope', slope), negative])]);
};

export const LeakyReLU: LayerEmitter = (ctx, [x]) => op(ctx, 'LeakyRelu', 'LeakyRelu', [x], { alpha: { f: ctx.params.negative_slope as number } });

/** Keras's TensorFlow backend: tf.nn.elu, and where(x > 0, elu, alpha * elu) for another alpha. */
export const ELU: LayerEmitter = (ctx, [x]) => {
  const alpha = ctx.params.alpha as number;
  const elu = op(ctx, 'Elu', 'Elu', [x]);
  if (alpha === 1) return elu;
  const positive = op(ctx, 'Greater', 'Greater', [x, floats(ctx, 'zero', 0)]);
  return op(ctx, 'SelectV2', 'SelectV2', [positive, elu, op(ctx, 'Mul', 'mul', [floats(ctx, 'alpha', alpha), elu])]);
};

/** relu(x) - alpha * relu(-x), alpha broadcast along the shared axes. */
export const PReLU: LayerEmitter = (ctx, [x]) => {
  const negative = op(ctx, 'Relu', 'Relu_1', [op(ctx, 'Neg', 'Neg', [x])]);
  return op(ctx, 'Sub', 'sub', [op(ctx, 'Relu', 'Relu', [x]), op(ctx, 'Mul', 'mul', [ctx.weight('alpha'), negative])]);
};

/** Softmax runs over the last axis in TensorFlow: another axis is swapped there and back. */
export const Softmax: LayerEmitter = (ctx, [x]) => {
  const rank = ctx.inputShapes[0].length;
  const given = ctx.params.axis as number;
  const axis = given < 0 ? given + rank : given;
  if (axis === rank - 1) return op(ctx, 'Softmax', 'Softmax', [x]);
  const perm = Array.from({ length: rank }, (_, i) => (i === axis ? rank - 1 : i === rank - 1 ? axis : i));
  // Swapping two axes is its own inverse.
  const moved = op(ctx, 'Transpose', 'transpose', [x, ints(ctx, 'transpose/perm', perm)]);
  const y = op(ctx, 'Softmax', 'Softmax', [moved]);
  return op(ctx, 'Transpose', 'transpose_1', [y, ints(ctx, 'transpose_1/perm', perm)]);
};
