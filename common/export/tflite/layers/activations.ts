/** Activation layers with parameters: ReLU, LeakyReLU, ELU, PReLU and Softmax (Keras 3 semantics). */
import { elu } from '../activations.js';
import { binary, cast, greater, leakyRelu, prelu, softmax, transpose, unary, withConstant } from '../ops.js';
import type { Emitter } from './EmitContext.js';

export const ReLU: Emitter = (ctx) => {
  const { g } = ctx;
  const [x] = ctx.inputs;
  const max = ctx.p.max_value as number | null;
  const slope = ctx.p.negative_slope as number;
  const threshold = ctx.p.threshold as number;
  if (threshold === 0 && slope === 0 && (max === null || max === 6)) return unary(g, max === null ? 'RELU' : 'RELU6', x, ctx.name('relu'));
  if (threshold === 0 && max === null) return leakyRelu(g, x, slope, ctx.name('leaky_relu'));
  // As keras.activations.relu: the part above threshold, clipped at max_value, minus slope * relu(threshold - x).
  let y = threshold === 0
    ? unary(g, 'RELU', x, ctx.name('relu'))
    : binary(g, 'MUL', x, cast(g, greater(g, x, g.floats(ctx.name('threshold'), threshold), ctx.name('above')), 'FLOAT32', ctx.name('mask')), ctx.name('kept'));
  if (max !== null) y = withConstant(g, 'MINIMUM', y, max, ctx.name('clip'));
  if (slope === 0) return y;
  const below = threshold === 0 ? withConstant(g, 'MUL', x, -1, ctx.name('neg')) : binary(g, 'SUB', g.floats(ctx.name('threshold_below'), threshold), x, ctx.name('below'));
  const negative = withConstant(g, 'MUL', unary(g, 'RELU', below, ctx.name('negative_part')), slope, ctx.name('negative'));
  return binary(g, 'SUB', y, negative, ctx.name('sub'));
};

export const LeakyReLU: Emitter = (ctx) => leakyRelu(ctx.g, ctx.inputs[0], ctx.p.negative_slope as number, ctx.name('leaky_relu'));

export const ELU: Emitter = (ctx) => elu(ctx.g, ctx.inputs[0], ctx.p.alpha as number, ctx.name('elu'));

export const PReLU: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const alpha = ctx.g.floats(ctx.name('alpha'), ctx.weight('alpha'), ctx.info.weights[0].shape);
  return prelu(ctx.g, x, alpha, ctx.name('prelu'));
};

export const Softmax: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const rank = x.shape.length;
  const axis = (ctx.p.axis as number) < 0 ? (ctx.p.axis as number) + rank : (ctx.p.axis as number);
  if (axis === rank - 1) return softmax(ctx.g, x, ctx.name('softmax'));
  // SOFTMAX works on the last axis: swap the axis there and back (the swap is its own inverse).
  const perm = Array.from({ length: rank }, (_, i) => (i === axis ? rank - 1 : i === rank - 1 ? axis : i));
  const y = softmax(ctx.g, transpose(ctx.g, x, perm, ctx.name('to_last')), ctx.name('softmax'));
  return transpose(ctx.g, y, perm, ctx.name('from_last'));
};
