/**
 * Convolutions on NHWC tensors with OHWI filters: Conv2D (groups included) and Conv1D (as a
 * one-row image), DepthwiseConv2D, SeparableConv2D (depthwise then 1x1), Conv2DTranspose.
 */
import { Fused } from '../schema.js';
import { concat, conv2d, depthwiseConv2d, pad, reshape, shapeOf, slice, transposeConv, type Window } from '../ops.js';
import type { Tensor } from '../TfliteGraph.js';
import { dilateKernel, permute } from '../weights.js';
import { batched, bias, finishActivation, fusedActivation, type EmitContext, type Emitter } from './EmitContext.js';

const window = (ctx: EmitContext): Window => ({ strides: ctx.p.strides as number[], dilation: ctx.p.dilation_rate as number[], padding: ctx.p.padding as 'same' | 'valid' });

/** Keras's (kh, kw, in, out) kernel as an OHWI filter constant. */
function ohwi(ctx: EmitContext, weight: string, shape: number[]): Tensor {
  const [kh, kw, cin, cout] = shape;
  return ctx.g.constant(ctx.name(weight), permute(ctx.weight(weight), shape, [3, 0, 1, 2]), [cout, kh, kw, cin]);
}

export const Conv2D: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const filters = ctx.p.filters as number;
  const filter = ohwi(ctx, 'kernel', [...(ctx.p.kernel_size as number[]), x.shape[3] / (ctx.p.groups as number), filters]);
  const fused = fusedActivation(ctx);
  return finishActivation(ctx, conv2d(ctx.g, x, filter, bias(ctx, filters), window(ctx), fused, batched(ctx.info.shape), ctx.name('conv2d')), fused);
};

export const Conv1D: Emitter = (ctx) => {
  let [x] = ctx.inputs;
  const [k] = ctx.p.kernel_size as number[];
  const [dilation] = ctx.p.dilation_rate as number[];
  const filters = ctx.p.filters as number;
  let padding = ctx.p.padding as string;
  if (padding === 'causal') {
    // Keras pads (kernel_size - 1) * dilation_rate steps in front, then convolves 'valid'.
    x = pad(ctx.g, x, [[0, 0], [(k - 1) * dilation, 0], [0, 0]], ctx.name('causal_pad'));
    padding = 'valid';
  }
  const [, steps, channels] = x.shape;
  const image = reshape(ctx.g, x, [-1, 1, steps, channels], ctx.name('as_image'));
  // (k, in, out) -> OHWI with a height of 1.
  const cin = channels / (ctx.p.groups as number);
  const filter = ctx.g.constant(ctx.name('kernel'), permute(ctx.weight('kernel'), [k, cin, filters], [2, 0, 1]), [filters, 1, k, cin]);
  const out = batched(ctx.info.shape);
  const fused = fusedActivation(ctx);
  const w: Window = { strides: [1, (ctx.p.strides as number[])[0]], dilation: [1, dilation], padding: padding as 'same' | 'valid' };
  const y = conv2d(ctx.g, image, filter, bias(ctx, filters), w, fused, [-1, 1, out[1], filters], ctx.name('conv2d'));
  return finishActivation(ctx, reshape(ctx.g, y, out, ctx.name('as_steps')), fused);
};

/** Keras's (kh, kw, C, multiplier) kernel is already [1, kh, kw, C * multiplier] in memory. */
function depthwiseFilter(ctx: EmitContext, weight: string, channels: number): Tensor {
  const [kh, kw] = ctx.p.kernel_size as number[];
  return ctx.g.floats(ctx.name(weight), ctx.weight(weight), [1, kh, kw, channels * (ctx.p.depth_multiplier as number)]);
}

export const DepthwiseConv2D: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const out = batched(ctx.info.shape);
  const fused = fusedActivation(ctx);
  const y = depthwiseConv2d(ctx.g, x, depthwiseFilter(ctx, 'kernel', x.shape[3]), bias(ctx, out[3]), window(ctx), ctx.p.depth_multiplier as number, fused, out, ctx.name('depthwise'));
  return finishActivation(ctx, y, fused);
};

export const SeparableConv2D: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const out = batched(ctx.info.shape);
  const mult = ctx.p.depth_multiplier as number;
  const cm = x.shape[3] * mult;
  const zeros = ctx.g.floats(ctx.name('depthwise_bias'), new Float32Array(cm));
  const d = depthwiseConv2d(ctx.g, x, depthwiseFilter(ctx, 'depthwise_kernel', x.shape[3]), zeros, window(ctx), mult, Fused.NONE, [...out.slice(0, 3), cm], ctx.name('depthwise'));
  const filters = ctx.p.filters as number;
  const fused = fusedActivation(ctx);
  const pointwise: Window = { strides: [1, 1], dilation: [1, 1], padding: 'valid' };
  return finishActivation(ctx, conv2d(ctx.g, d, ohwi(ctx, 'pointwise_kernel', [1, 1, cm, filters]), bias(ctx, filters), pointwise, fused, out, ctx.name('pointwise')), fused);
};

export const Conv2DTranspose: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const out = batched(ctx.info.shape);
  const filters = ctx.p.filters as number;
  // Keras's (kh, kw, filters, in) kernel; TRANSPOSE_CONV has no dilation, so a dilated kernel is spread out with zeros.
  const kernel = dilateKernel(ctx.weight('kernel'), [...(ctx.p.kernel_size as number[]), filters, x.shape[3]], ctx.p.dilation_rate as number[]);
  const [kh, kw] = kernel.shape;
  const filter = ctx.g.constant(ctx.name('kernel'), permute(kernel.data, kernel.shape, [2, 0, 1, 3]), [filters, kh, kw, x.shape[3]]);
  // The output shape is an input of the operator: built at run time so the batch can change.
  const batch = slice(ctx.g, shapeOf(ctx.g, x, ctx.name('input_shape')), [0], [1], [], ctx.name('batch'));
  const outputShape = concat(ctx.g, [batch, ctx.g.ints(ctx.name('output_size'), out.slice(1))], 0, ctx.name('output_shape'));
  const w: Window = { strides: ctx.p.strides as number[], dilation: [1, 1], padding: ctx.p.padding as 'same' | 'valid' };
  return finishActivation(ctx, transposeConv(ctx.g, outputShape, filter, x, bias(ctx, filters), w, out, ctx.name('conv2d_transpose')), Fused.NONE);
};
