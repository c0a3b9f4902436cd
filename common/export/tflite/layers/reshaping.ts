/** Reshaping layers: Flatten, Reshape, Permute, RepeatVector, padding, cropping and upsampling. */
import { pad, reshape, resizeNearest, slice, tile, transpose } from '../ops.js';
import { batched, type Emitter } from './EmitContext.js';

export const Flatten: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  return x.shape.length === 2 ? x : reshape(ctx.g, x, batched(ctx.info.shape), ctx.name('reshape'));
};

export const Reshape: Emitter = (ctx) => reshape(ctx.g, ctx.inputs[0], batched(ctx.info.shape), ctx.name('reshape'));

export const Permute: Emitter = (ctx) => transpose(ctx.g, ctx.inputs[0], [0, ...(ctx.p.dims as number[])], ctx.name('transpose'));

export const RepeatVector: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const row = reshape(ctx.g, x, [-1, 1, x.shape[1]], ctx.name('expand'));
  return tile(ctx.g, row, [1, ctx.p.n as number, 1], ctx.name('tile'));
};

export const ZeroPadding1D: Emitter = (ctx) => {
  const [a, b] = ctx.p.padding as number[];
  return pad(ctx.g, ctx.inputs[0], [[0, 0], [a, b], [0, 0]], ctx.name('pad'));
};

export const ZeroPadding2D: Emitter = (ctx) => {
  const [[t, b], [l, r]] = ctx.p.padding as number[][];
  return pad(ctx.g, ctx.inputs[0], [[0, 0], [t, b], [l, r], [0, 0]], ctx.name('pad'));
};

export const Cropping2D: Emitter = (ctx) => {
  const [[t], [l]] = ctx.p.cropping as number[][];
  const [, h, w] = ctx.info.shape as number[];
  return slice(ctx.g, ctx.inputs[0], [0, t, l, 0], [0, t + h, l + w, 0], [0, 3], ctx.name('crop'));
};

export const UpSampling1D: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const out = batched(ctx.info.shape);
  const image = reshape(ctx.g, x, [-1, 1, ...x.shape.slice(1)], ctx.name('as_image'));
  return reshape(ctx.g, resizeNearest(ctx.g, image, [1, out[1]], ctx.name('resize')), out, ctx.name('as_steps'));
};

export const UpSampling2D: Emitter = (ctx) => {
  const [, h, w] = ctx.info.shape as number[];
  return resizeNearest(ctx.g, ctx.inputs[0], [h, w], ctx.name('resize'));
};
