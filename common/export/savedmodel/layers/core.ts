/** Core layers as TensorFlow ops: Dense, Activation, Flatten, Embedding. */
import { activation } from './activations.js';
import { dims, identity, ints, op, reshape, type LayerEmitter } from './LayerEmitter.js';

export const Dense: LayerEmitter = (ctx, [x]) => {
  let y = op(ctx, 'MatMul', 'MatMul', [x, ctx.weight('kernel')]);
  if (ctx.params.use_bias) y = op(ctx, 'BiasAdd', 'BiasAdd', [y, ctx.weight('bias')]);
  return activation(ctx, y, ctx.params.activation as string | null);
};

export const Activation: LayerEmitter = (ctx, inputs) => {
  const y = activation(ctx, inputs[0], ctx.params.activation as string | null);
  return y === inputs[0] ? identity(ctx, inputs) : y;
};

export const Flatten: LayerEmitter = (ctx, [x]) => reshape(ctx, x, dims(ctx.outputShape));

/** A lookup in the embeddings by index; Keras casts float indices to int32 (truncating). */
export const Embedding: LayerEmitter = (ctx, [x]) => {
  const indices = ctx.inputDtypes[0] === 'int32' ? x : op(ctx, 'Cast', 'Cast', [x], { SrcT: { type: 'float32' }, DstT: { type: 'int32' } });
  return op(ctx, 'GatherV2', 'GatherV2', [ctx.weight('embeddings'), indices, ints(ctx, 'GatherV2/axis', 0)], {
    Tparams: { type: 'float32' }, Tindices: { type: 'int32' }, Taxis: { type: 'int32' },
  });
};
