/** Pooling layers as TensorFlow ops; 1-D pooling runs over a one-row image, as in Keras. */
import type { Params } from '../../../model/layers/types.js';
import { ints, op, type LayerCtx, type LayerEmitter } from './LayerEmitter.js';

/** MaxPool or AvgPool over NHWC x; AvgPool's SAME windows average their valid cells only, as Keras. */
function pool(ctx: LayerCtx, type: 'MaxPool' | 'AvgPool', x: string, size: number[], strides: number[], padding: string): string {
  return op(ctx, type, type, [x], { ksize: { ints: [1, ...size, 1] }, strides: { ints: [1, ...strides, 1] }, padding: { s: padding === 'same' ? 'SAME' : 'VALID' } });
}

const strides = (p: Params) => (p.strides ?? p.pool_size) as number[];

function pool2d(type: 'MaxPool' | 'AvgPool'): LayerEmitter {
  return (ctx, [x]) => pool(ctx, type, x, ctx.params.pool_size as number[], strides(ctx.params), ctx.params.padding as string);
}

function pool1d(type: 'MaxPool' | 'AvgPool'): LayerEmitter {
  return (ctx, [x]) => {
    const image = op(ctx, 'ExpandDims', 'ExpandDims', [x, ints(ctx, 'ExpandDims/dim', 1)]);
    const y = pool(ctx, type, image, [1, ...(ctx.params.pool_size as number[])], [1, ...strides(ctx.params)], ctx.params.padding as string);
    return op(ctx, 'Squeeze', 'Squeeze', [y], { squeeze_dims: { ints: [1] } });
  };
}

function global(type: 'Mean' | 'Max', spatial: 1 | 2): LayerEmitter {
  return (ctx, [x]) => op(ctx, type, type, [x, ints(ctx, `${type}/reduction_indices`, spatial === 1 ? [1] : [1, 2])], ctx.params.keepdims ? { keep_dims: { b: true } } : {});
}

export const POOLING_EMITTERS: Record<string, LayerEmitter> = {
  MaxPooling1D: pool1d('MaxPool'),
  MaxPooling2D: pool2d('MaxPool'),
  AveragePooling1D: pool1d('AvgPool'),
  AveragePooling2D: pool2d('AvgPool'),
  GlobalAveragePooling1D: global('Mean', 1),
  GlobalAveragePooling2D: global('Mean', 2),
  GlobalMaxPooling1D: global('Max', 1),
  GlobalMaxPooling2D: global('Max', 2),
};
