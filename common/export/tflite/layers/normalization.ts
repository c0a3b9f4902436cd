/**
 * Normalisation in inference form: BatchNormalization folded into a per-channel MUL and ADD,
 * LayerNormalization from MEAN and RSQRT, and the preprocessing layers Normalization and
 * Rescaling with their statistics and factors baked in as constants.
 */
import { binary, reduce, unary, withConstant } from '../ops.js';
import type { Tensor } from '../TfliteGraph.js';
import type { EmitContext, Emitter } from './EmitContext.js';

/** Keras's backend.epsilon(): Normalization divides by max(sqrt(variance), this). */
const NORMALIZATION_EPSILON = 1e-7;

const axisIndex = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** The shape of per-channel constants for channels on `axis`: they broadcast from the right. */
const channelShape = (channels: number, axis: number, rank: number): number[] => [channels, ...new Array<number>(rank - 1 - axis).fill(1)];

/** A weight, or `fill` per channel when the layer has none (scale or center off). */
const weightOr = (ctx: EmitContext, present: boolean, weight: string, channels: number, fill: number): Float32Array => (present ? ctx.weight(weight) : new Float32Array(channels).fill(fill));

export const BatchNormalization: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const rank = x.shape.length;
  const axis = axisIndex(ctx.p.axis as number, rank);
  const c = x.shape[axis];
  const gamma = weightOr(ctx, ctx.p.scale as boolean, 'gamma', c, 1);
  const beta = weightOr(ctx, ctx.p.center as boolean, 'beta', c, 0);
  const mean = ctx.weight('moving_mean');
  const variance = ctx.weight('moving_variance');
  // gamma * (x - mean) / sqrt(variance + epsilon) + beta = x * scale + shift, folded in double precision.
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + (ctx.p.epsilon as number));
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  const shape = channelShape(c, axis, rank);
  return withConstant(ctx.g, 'ADD', withConstant(ctx.g, 'MUL', x, scale, ctx.name('scale'), shape), shift, ctx.name('shift'), shape);
};

export const LayerNormalization: Emitter = (ctx) => {
  const { g } = ctx;
  const [x] = ctx.inputs;
  const rank = x.shape.length;
  const axis = axisIndex(ctx.p.axis as number, rank);
  const c = x.shape[axis];
  const mean = reduce(g, 'MEAN', x, [axis], true, ctx.name('mean'));
  const centered = binary(g, 'SUB', x, mean, ctx.name('centered'));
  const variance = reduce(g, 'MEAN', binary(g, 'MUL', centered, centered, ctx.name('squared')), [axis], true, ctx.name('variance'));
  const inverse = unary(g, 'RSQRT', withConstant(g, 'ADD', variance, ctx.p.epsilon as number, ctx.name('variance_epsilon')), ctx.name('rsqrt'));
  let y = binary(g, 'MUL', centered, inverse, ctx.name('normalized'));
  const shape = channelShape(c, axis, rank);
  if (ctx.p.scale) y = withConstant(g, 'MUL', y, ctx.weight('gamma'), ctx.name('gamma'), shape);
  if (ctx.p.center) y = withConstant(g, 'ADD', y, ctx.weight('beta'), ctx.name('beta'), shape);
  return y;
};

/** One number for a one-element list, as Keras treats it. */
const one = (v: number | number[]): number | number[] => (Array.isArray(v) && v.length === 1 ? v[0] : v);

/** x op a constant that is one number, or one per channel on `axis` (null: one for everything). */
function perChannel(ctx: EmitContext, op: 'ADD' | 'SUB' | 'MUL' | 'DIV', x: Tensor, values: number | ArrayLike<number>, axis: number | null, suffix: string): Tensor {
  if (typeof values === 'number' || values.length === 1) return withConstant(ctx.g, op, x, typeof values === 'number' ? values : values[0], ctx.name(suffix));
  const a = axis ?? x.shape.length - 1;
  return withConstant(ctx.g, op, x, values, ctx.name(suffix), channelShape(values.length, a, x.shape.length));
}

export const Normalization: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const axis = ctx.p.axis === null ? null : axisIndex(ctx.p.axis as number, x.shape.length);
  const given = ctx.p.mean !== null;
  const mean = given ? one(ctx.p.mean as number | number[]) : ctx.weight('mean');
  const variance = given ? one(ctx.p.variance as number | number[]) : ctx.weight('variance');
  const std = typeof variance === 'number' ? Math.max(Math.sqrt(variance), NORMALIZATION_EPSILON) : Array.from(variance, (v) => Math.max(Math.sqrt(v), NORMALIZATION_EPSILON));
  if (ctx.p.invert) {
    const scaled = perChannel(ctx, 'MUL', x, std, axis, 'scaled');
    return perChannel(ctx, 'ADD', scaled, mean, axis, 'shifted');
  }
  return perChannel(ctx, 'DIV', perChannel(ctx, 'SUB', x, mean, axis, 'centered'), std, axis, 'normalized');
};

export const Rescaling: Emitter = (ctx) => {
  const scale = one(ctx.p.scale as number | number[]);
  const offset = one(ctx.p.offset as number | number[]);
  let y = ctx.inputs[0];
  if (scale !== 1) y = perChannel(ctx, 'MUL', y, scale, null, 'scaled');
  if (offset !== 0) y = perChannel(ctx, 'ADD', y, offset, null, 'shifted');
  return y;
};
