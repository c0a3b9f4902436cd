/** Reshaping layers as TensorFlow ops; nearest-neighbour upsampling is Keras's repeat, done by Tile. */
import { dims, ints, op, reshape, type LayerCtx, type LayerEmitter } from './LayerEmitter.js';

export const Reshape: LayerEmitter = (ctx, [x]) => reshape(ctx, x, dims(ctx.outputShape));

export const Permute: LayerEmitter = (ctx, [x]) => op(ctx, 'Transpose', 'transpose', [x, ints(ctx, 'transpose/perm', [0, ...(ctx.params.dims as number[])])]);

export const RepeatVector: LayerEmitter = (ctx, [x]) => {
  const row = op(ctx, 'ExpandDims', 'ExpandDims', [x, ints(ctx, 'ExpandDims/dim', 1)]);
  return op(ctx, 'Tile', 'Tile', [row, ints(ctx, 'Tile/multiples', [1, ctx.params.n as number, 1])]);
};

/** Zeros around the spatial axes: pairs (before, after) per axis. */
function zeroPad(ctx: LayerCtx, x: string, pairs: number[][]): string {
  const paddings = [[0, 0], ...pairs, [0, 0]];
  return op(ctx, 'Pad', 'Pad', [x, ints(ctx, 'Pad/paddings', paddings.flat(), [paddings.length, 2])]);
}

export const ZeroPadding1D: LayerEmitter = (ctx, [x]) => zeroPad(ctx, x, [ctx.params.padding as number[]]);
export const ZeroPadding2D: LayerEmitter = (ctx, [x]) => zeroPad(ctx, x, ctx.params.padding as number[][]);

export const Cropping2D: LayerEmitter = (ctx, [x]) => {
  const [[top], [left]] = ctx.params.cropping as number[][];
  const [h, w] = dims(ctx.outputShape);
  return op(ctx, 'Slice', 'Slice', [x, ints(ctx, 'Slice/begin', [0, top, left, 0]), ints(ctx, 'Slice/size', [-1, h, w, -1])], { Index: { type: 'int32' } });
};

/**
 * Each of the given axes repeated `sizes` times, as keras.ops.repeat: a size-1 axis after each,
 * tiled, then merged back.
 */
function repeatAxes(ctx: LayerCtx, x: string, sizes: number[]): string {
  const [channels, ...spatialRev] = dims(ctx.inputShapes[0]).reverse();
  const spatial = spatialRev.reverse();
  const expanded = reshape(ctx, x, [...spatial.flatMap((d) => [d, 1]), channels], 'Reshape');
  const tiled = op(ctx, 'Tile', 'Tile', [expanded, ints(ctx, 'Tile/multiples', [1, ...sizes.flatMap((s) => [1, s]), 1])]);
  return reshape(ctx, tiled, dims(ctx.outputShape), 'Reshape_1');
}

export const UpSampling1D: LayerEmitter = (ctx, [x]) => repeatAxes(ctx, x, [ctx.params.size as number]);
export const UpSampling2D: LayerEmitter = (ctx, [x]) => repeatAxes(ctx, x, ctx.params.size as number[]);
