/** Regularisation layers that act only in training: SpatialDropout1D/2D and GaussianNoise. */
import { formatShape, type Shape } from '../ModelDoc.js';
import type { LayerDef, LowerCtx, Problem } from './types.js';

/** The layer's value in inference: its input, under the layer's name (as core Dropout does). */
function identityInInference(ctx: LowerCtx, x: string): void {
  ctx.node('reshape', 'infer', [x], { shape: [-1, ...(ctx.outputShape.slice(1) as number[])] }, { outputs: [ctx.layer.name], mode: 'infer' });
}

function spatialShape(x: Shape, rank: number, example: string): Shape | Problem {
  if (x.length !== rank) return { problem: `needs a rank-${rank} input ${example} but receives ${formatShape(x)}` };
  return x;
}

/**
 * Drops whole channels: one dropout mask per (sample, channel), shared along the other axes.
 * `keep` lists, per axis of the input, whether the mask varies along it.
 */
function lowerSpatialDropout(ctx: LowerCtx, x: string, rate: number, keep: boolean[]): string {
  if (rate === 0) return x;
  const name = ctx.layer.name;
  if (rate >= 1) {
    ctx.node('mul', 'train', [x, ctx.node('fill', 'zero', [], { shape: [], value: 0, dtype: 'float32' }, { mode: 'train' })], {}, { outputs: [name], mode: 'train' });
  } else {
    // A tensor of ones shaped [batch, 1.., C] (the batch size is only known when the graph is built).
    const rank = keep.length;
    const first = ctx.node('slice', 'first', [x], { begin: new Array<number>(rank).fill(0), size: keep.map((k) => (k ? -1 : 1)) }, { mode: 'train' });
    const zero = ctx.node('fill', 'zero', [], { shape: [], value: 0, dtype: 'float32' }, { mode: 'train' });
    const one = ctx.node('fill', 'one', [], { shape: [], value: 1, dtype: 'float32' }, { mode: 'train' });
    const ones = ctx.node('add', 'ones', [ctx.node('mul', 'zeros', [first, zero], {}, { mode: 'train' }), one], {}, { mode: 'train' });
    const scaled = ctx.node('dropout', 'mask', [ones], { rate }, { outputs: [`${name}/mask`, `${name}/kept`], mode: 'train' });
    ctx.node('mul', 'train', [x, scaled], {}, { outputs: [name], mode: 'train' });
  }
  identityInInference(ctx, x);
  return name;
}

const RATE = { kind: 'float', default: null, min: 0, max: 1 } as const;
const SEED = { kind: 'int', default: null, nullable: true, min: 0 } as const;

export const SpatialDropout1D: LayerDef = {
  type: 'SpatialDropout1D',
  category: 'Regularization',
  description: 'In training, zeroes whole channels of a sequence (a random fraction `rate` per sample) and scales the rest by 1 / (1 - rate).',
  params: { rate: RATE, seed: SEED },
  inputs: 1,
  shape: ([x]) => spatialShape(x, 3, '(batch, steps, channels)'),
  lower: (ctx, [x], p) => lowerSpatialDropout(ctx, x, p.rate as number, [true, false, true]),
};

export const SpatialDropout2D: LayerDef = {
  type: 'SpatialDropout2D',
  category: 'Regularization',
  description: 'In training, zeroes whole feature maps of an image (a random fraction `rate` per sample) and scales the rest by 1 / (1 - rate).',
  params: { rate: RATE, data_format: { kind: 'enum', default: null, nullable: true, options: ['channels_last', 'channels_first'] }, seed: SEED },
  inputs: 1,
  shape: ([x], p) => spatialShape(x, 4, p.data_format === 'channels_first' ? '(batch, channels, height, width)' : '(batch, height, width, channels)'),
  lower: (ctx, [x], p) => lowerSpatialDropout(ctx, x, p.rate as number, p.data_format === 'channels_first' ? [true, true, false, false] : [true, false, false, true]),
};

export const GaussianNoise: LayerDef = {
  type: 'GaussianNoise',
  category: 'Regularization',
  description: 'In training, adds zero-mean Gaussian noise with standard deviation `stddev` to every input; in inference, passes the input through.',
  params: { stddev: { kind: 'float', default: null, min: 0 }, seed: SEED },
  inputs: 1,
  shape: ([x]) => x,
  lower(ctx, [x], p) {
    if ((p.stddev as number) === 0) return x;
    const name = ctx.layer.name;
    ctx.node('gaussian_noise', 'train', [x], { stddev: p.stddev as number }, { outputs: [name], mode: 'train' });
    identityInInference(ctx, x);
    return name;
  },
};

export const REGULARIZATION_LAYERS = [SpatialDropout1D, SpatialDropout2D, GaussianNoise];
