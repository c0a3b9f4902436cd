/** Embedding: a trainable lookup table from whole-number indices to vectors. */
import type { Initializer } from '../engineSpec.js';
import { formatShape } from '../ModelDoc.js';
import type { LayerDef } from './types.js';

/** Keras's initializer names, with its aliases 'uniform' and 'normal' (RandomUniform / RandomNormal, ±0.05 / stddev 0.05). */
const EMBEDDING_INITIALIZERS = ['uniform', 'normal', 'random_uniform', 'random_normal', 'truncated_normal', 'zeros', 'ones', 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal'] as const;

function engineInit(name: string): Initializer {
  if (name === 'uniform') return 'random_uniform';
  if (name === 'normal') return 'random_normal';
  return name as Initializer;
}

export const Embedding: LayerDef = {
  type: 'Embedding',
  category: 'Core',
  description: 'Looks up one trainable vector of output_dim numbers per index in [0, input_dim): int inputs of any shape gain a last axis.',
  params: {
    input_dim: { kind: 'int', default: null, min: 1, max: 1 << 24 },
    output_dim: { kind: 'int', default: null, min: 1, max: 1 << 20 },
    embeddings_initializer: { kind: 'enum', default: 'uniform', options: EMBEDDING_INITIALIZERS },
    embeddings_regularizer: { kind: 'regularizer', default: null },
    mask_zero: { kind: 'bool', default: false },
  },
  inputs: 1,
  shape([x], p) {
    if (p.mask_zero) return { problem: 'has mask_zero on, but Kiln does not support masking yet: turn it off (index 0 is then an ordinary index)' };
    if (x.length < 1) return { problem: `needs an input of indices but receives ${formatShape(x)}` };
    return [...x, p.output_dim as number];
  },
  weights(_, p) {
    const reg = p.embeddings_regularizer as { l1?: number; l2?: number } | null;
    return [{ name: 'embeddings', shape: [p.input_dim as number, p.output_dim as number], trainable: true, init: engineInit(p.embeddings_initializer as string), l1: reg?.l1, l2: reg?.l2 }];
  },
  flops: () => 0,
  lower(ctx, [x]) {
    // Keras casts non-integer indices to int32; a cast of int32 indices is a copy.
    const indices = ctx.node('cast', 'indices', [x], { dtype: 'int32' });
    return ctx.node('gather', '', [ctx.weight('embeddings'), indices]);
  },
};

export const EMBEDDING_LAYERS = [Embedding];
