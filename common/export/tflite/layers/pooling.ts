/** Pooling: windows over NHWC images (1-D as one-row images) and global means and maxima. */
import { pool2d, reduce, reshape } from '../ops.js';
import { batched, type Emitter } from './EmitContext.js';

function pooling(op: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D', spatial: 1 | 2): Emitter {
  return (ctx) => {
    const [x] = ctx.inputs;
    const size = ctx.p.pool_size as number[];
    const strides = (ctx.p.strides ?? size) as number[];
    const padding = ctx.p.padding as 'same' | 'valid';
    const out = batched(ctx.info.shape);
    if (spatial === 2) return pool2d(ctx.g, op, x, size, { strides, dilation: [1, 1], padding }, out, ctx.name('pool'));
    const image = reshape(ctx.g, x, [-1, 1, ...x.shape.slice(1)], ctx.name('as_image'));
    const y = pool2d(ctx.g, op, image, [1, size[0]], { strides: [1, strides[0]], dilation: [1, 1], padding }, [-1, 1, ...out.slice(1)], ctx.name('pool'));
    return reshape(ctx.g, y, out, ctx.name('as_steps'));
  };
}

function global(op: 'MEAN' | 'REDUCE_MAX', spatial: 1 | 2): Emitter {
  return (ctx) => reduce(ctx.g, op, ctx.inputs[0], spatial === 1 ? [1] : [1, 2], ctx.p.keepdims as boolean, ctx.name('reduce'));
}

export const POOLING: Record<string, Emitter> = {
  MaxPooling1D: pooling('MAX_POOL_2D', 1),
  MaxPooling2D: pooling('MAX_POOL_2D', 2),
  AveragePooling1D: pooling('AVERAGE_POOL_2D', 1),
  AveragePooling2D: pooling('AVERAGE_POOL_2D', 2),
  GlobalAveragePooling1D: global('MEAN', 1),
  GlobalAveragePooling2D: global('MEAN', 2),
  GlobalMaxPooling1D: global('REDUCE_MAX', 1),
  GlobalMaxPooling2D: global('REDUCE_MAX', 2),
};
