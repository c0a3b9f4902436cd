/**
 * Normalisation layers in inference form as TensorFlow arithmetic, with Keras 3's formulas
 * (tf.nn.batch_normalization and keras.ops.layer_normalization): any rank, any feature axis.
 */
import { featureAxis } from '../../../model/layers/normalization.js';
import { alongAxis, floats, ints, op, type LayerCtx, type LayerEmitter } from './LayerEmitter.js';

/**
 * x * inv + (beta - mean * inv) with inv = gamma * rsqrt(variance + epsilon): the per-channel
 * `mean` and `variance` already broadcast against x, gamma and beta where the layer has them.
 */
function normalize(ctx: LayerCtx, x: string, mean: string, variance: string, axis: number, rank: number, channels: number): string {
  const p = ctx.params;
  let inv = op(ctx, 'Rsqrt', 'Rsqrt', [op(ctx, 'AddV2', 'add', [variance, floats(ctx, 'epsilon', p.epsilon as number)])]);
  if (p.scale) inv = op(ctx, 'Mul', 'mul', [inv, alongAxis(ctx, ctx.weight('gamma'), axis, rank, channels, 'gamma')]);
  const shifted = op(ctx, 'Mul', 'mul_1', [mean, inv]);
  const offset = p.center ? op(ctx, 'Sub', 'sub', [alongAxis(ctx, ctx.weight('beta'), axis, rank, channels, 'beta'), shifted]) : op(ctx, 'Neg', 'Neg', [shifted]);
  return op(ctx, 'AddV2', 'add_1', [op(ctx, 'Mul', 'mul_2', [x, inv]), offset]);
}

function axisOf(ctx: LayerCtx): { axis: number; rank: number; channels: number } {
  const shape = ctx.inputShapes[0];
  const axis = featureAxis(shape, ctx.params.axis as number) as number;
  return { axis, rank: shape.length, channels: shape[axis] as number };
}

/** Inference: the moving statistics. */
export const BatchNormalization: LayerEmitter = (ctx, [x]) => {
  const { axis, rank, channels } = axisOf(ctx);
  const mean = alongAxis(ctx, ctx.weight('moving_mean'), axis, rank, channels, 'moving_mean');
  const variance = alongAxis(ctx, ctx.weight('moving_variance'), axis, rank, channels, 'moving_variance');
  return normalize(ctx, x, mean, variance, axis, rank, channels);
};

/** Each sample's own statistics over the feature axis (tf.nn.moments). */
export const LayerNormalization: LayerEmitter = (ctx, [x]) => {
  const { axis, rank, channels } = axisOf(ctx);
  const keep = { keep_dims: { b: true } };
  const mean = op(ctx, 'Mean', 'moments/mean', [x, ints(ctx, 'moments/mean/reduction_indices', [axis])], keep);
  const squares = op(ctx, 'SquaredDifference', 'moments/SquaredDifference', [x, mean]);
  const variance = op(ctx, 'Mean', 'moments/variance', [squares, ints(ctx, 'moments/variance/reduction_indices', [axis])], keep);
  return normalize(ctx, x, mean, variance, axis, rank, channels);
};
