/**
 * Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and the global poolings, with Keras 3's
 * parameters and defaults (channels_last only).
 */
import type { Shape } from '../ModelDoc.js';
import { DATA_FORMAT, channelsLast, needsRank, windowOutput } from './convolution.js';
import type { LayerDef, ParamSpec, Params } from './types.js';
import { perSample } from './types.js';

const known = (v: (number | null)[]): number => v.reduce<number>((a, d) => a * (d ?? 1), 1);

function makePool(kind: 'Max' | 'Average', spatial: 1 | 2): LayerDef {
  const type = `${kind}Pooling${spatial}D`;
  const op = `${kind === 'Max' ? 'max' : 'avg'}_pool${spatial}d`;
  // Keras 3: MaxPooling's pool_size defaults to 2 per axis; AveragePooling's must be given.
  const size: ParamSpec = { kind: 'tuple', default: kind === 'Max' ? new Array<number>(spatial).fill(2) : null, length: spatial };
  const strides = (p: Params) => (p.strides ?? p.pool_size) as number[];
  return {
    type,
    category: 'Pooling',
    description: `${kind === 'Max' ? 'The maximum' : 'The average'} over windows of \`pool_size\` ${spatial === 1 ? 'steps' : 'pixels'}, moved by \`strides\` (default: pool_size), per channel.`,
    params: {
      pool_size: size,
      strides: { kind: 'tuple', default: null, length: spatial, nullable: true },
      padding: { kind: 'enum', default: 'valid', options: ['valid', 'same'] },
      data_format: DATA_FORMAT,
    },
    inputs: 1,
    shape([x], p) {
      const bad = channelsLast(p) ?? needsRank(x, spatial, `${kind}Pooling${3 - spatial}D`);
      if (bad) return bad;
      const out = windowOutput(x, p.pool_size as number[], strides(p), new Array<number>(spatial).fill(1), p.padding as string, 'pool window');
      return 'problem' in out ? out : [null, ...out, x.at(-1) as number];
    },
    flops: (_, out, p) => perSample(out) * known(p.pool_size as number[]),
    lower(ctx, [x], p) {
      const s = strides(p);
      return ctx.node(op, '', [x], { pool_size: p.pool_size as number[], strides: s, padding: p.padding as string });
    },
  };
}

function makeGlobal(kind: 'Max' | 'Average', spatial: 1 | 2): LayerDef {
  const axes = spatial === 1 ? [1] : [1, 2];
  return {
    type: `Global${kind}Pooling${spatial}D`,
    category: 'Pooling',
    description: `The ${kind === 'Max' ? 'maximum' : 'mean'} of each channel over all ${spatial === 1 ? 'steps' : 'pixels'}: (batch, channels), or with keepdims the spatial axes kept as 1.`,
    params: { data_format: DATA_FORMAT, keepdims: { kind: 'bool', default: false } },
    inputs: 1,
    shape([x], p) {
      const bad = channelsLast(p) ?? needsRank(x, spatial, `Global${kind}Pooling${3 - spatial}D`);
      if (bad) return bad;
      return p.keepdims ? [null, ...axes.map(() => 1), x.at(-1) as number] : [null, x.at(-1) as number];
    },
    flops: ([x]: Shape[]) => perSample(x),
    lower: (ctx, [x], p) => ctx.node(kind === 'Max' ? 'reduce_max' : 'reduce_mean', '', [x], { axes, keepdims: p.keepdims as boolean }),
  };
}

export const MaxPooling1D = makePool('Max', 1);
export const MaxPooling2D = makePool('Max', 2);
export const AveragePooling1D = makePool('Average', 1);
export const AveragePooling2D = makePool('Average', 2);
export const GlobalAveragePooling1D = makeGlobal('Average', 1);
export const GlobalAveragePooling2D = makeGlobal('Average', 2);
export const GlobalMaxPooling1D = makeGlobal('Max', 1);
export const GlobalMaxPooling2D = makeGlobal('Max', 2);

export const POOLING_LAYERS: LayerDef[] = [MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D];
