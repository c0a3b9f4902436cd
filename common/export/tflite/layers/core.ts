/** Core layers: Dense, Activation, Embedding, and the layers that pass their input through at inference. */
import { activation } from '../activations.js';
import { cast, fullyConnected, gather } from '../ops.js';
import { permute } from '../weights.js';
import { bias, finishActivation, fusedActivation, type Emitter } from './EmitContext.js';

export const Dense: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  const units = ctx.p.units as number;
  const features = x.shape[1];
  // Keras's kernel is (in, units); FULLY_CONNECTED's weights are (units, in).
  const kernel = ctx.g.constant(ctx.name('kernel'), permute(ctx.weight('kernel'), [features, units], [1, 0]), [units, features]);
  const fused = fusedActivation(ctx);
  return finishActivation(ctx, fullyConnected(ctx.g, x, kernel, bias(ctx, units), fused, ctx.name('matmul')), fused);
};

export const Activation: Emitter = (ctx) => activation(ctx.g, ctx.inputs[0], ctx.p.activation as string | null, ctx.name(String(ctx.p.activation)));

export const Embedding: Emitter = (ctx) => {
  const [x] = ctx.inputs;
  // Keras casts float indices to int32 (truncating), as CAST does.
  const indices = x.dtype === 'INT32' ? x : cast(ctx.g, x, 'INT32', ctx.name('indices'));
  const table = ctx.g.floats(ctx.name('embeddings'), ctx.weight('embeddings'), [ctx.p.input_dim as number, ctx.p.output_dim as number]);
  return gather(ctx.g, table, indices, ctx.name('gather'));
};

/** Dropout, noise and augmentation act only in training: at inference the layer is its input. */
export const identity: Emitter = (ctx) => ctx.inputs[0];
