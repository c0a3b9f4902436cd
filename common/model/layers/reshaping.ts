/**
 * Reshaping layers: Reshape, Permute, RepeatVector, ZeroPadding1D/2D, Cropping2D, UpSampling1D/2D,
 * with Keras 3's parameters and defaults (channels_last only). Flatten is in core.ts.
 */
import { formatShape, type Shape } from '../ModelDoc.js';
import { DATA_FORMAT, channelsLast, needsRank } from './convolution.js';
import type { LayerDef } from './types.js';

const fmt = (dims: number[]): string => formatShape(dims);

export const Reshape: LayerDef = {
  type: 'Reshape',
  category: 'Reshape',
  description: 'Reshapes each sample to `target_shape` (row-major order; one axis may be -1, inferred from the others).',
  params: { target_shape: { kind: 'ints', default: null, allowMinusOne: true } },
  inputs: 1,
  shape([x], p) {
    const target = p.target_shape as number[];
    if (x.slice(1).some((d) => d === null)) return [null, ...target.map((d) => (d === -1 ? null : d))];
    const size = x.slice(1).reduce<number>((a, d) => a * (d as number), 1);
    const fixed = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    if (target.includes(-1)) {
      if (size % fixed !== 0) return { problem: `cannot reshape its input ${formatShape(x)} (${size} values per sample) to ${fmt(target)}: ${size} is not a multiple of ${fixed}, the product of the other axes` };
      return [null, ...target.map((d) => (d === -1 ? size / fixed : d))];
    }
    if (fixed !== size) return { problem: `cannot reshape its input ${formatShape(x)} (${size} values per sample) to ${fmt(target)} (${fixed} values): choose a target_shape whose sizes multiply to ${size}, or put -1 on one axis` };
    return [null, ...target];
  },
  lower: (ctx, [x]) => ctx.node('reshape', '', [x], { shape: [-1, ...(ctx.outputShape.slice(1) as number[])] }),
};

export const Permute: LayerDef = {
  type: 'Permute',
  category: 'Reshape',
  description: 'Reorders the axes of each sample: dims lists the input axes (1-based, batch excluded) in their new order.',
  params: { dims: { kind: 'ints', default: null } },
  inputs: 1,
  shape([x], p) {
    const perm = p.dims as number[];
    const rank = x.length - 1;
    const sorted = [...perm].sort((a, b) => a - b);
    if (!sorted.every((d, i) => d === i + 1)) return { problem: `has dims ${fmt(perm)}, which is not a reordering of the axes 1 to ${perm.length}: list each axis once, counting from 1 (the batch axis is not counted)` };
    if (perm.length !== rank) return { problem: `has dims ${fmt(perm)} for ${perm.length} axes but its input ${formatShape(x)} has ${rank} besides the batch: list each of them once` };
    return [null, ...perm.map((d) => x[d])];
  },
  lower: (ctx, [x], p) => ctx.node('transpose', '', [x], { perm: [0, ...(p.dims as number[])] }),
};

export const RepeatVector: LayerDef = {
  type: 'RepeatVector',
  category: 'Reshape',
  description: 'Repeats each (features,) vector n times: (batch, features) -> (batch, n, features).',
  params: { n: { kind: 'int', default: null, min: 1, max: 1 << 20 } },
  inputs: 1,
  shape([x], p) {
    if (x.length !== 2) return { problem: `needs a 2-D input (batch, features) but receives ${formatShape(x)}${x.length > 2 ? ': add a Flatten before it' : ''}` };
    return [null, p.n as number, x[1]];
  },
  lower(ctx, [x], p) {
    const f = ctx.inputShapes[0][1] as number;
    const one = ctx.node('reshape', 'expand', [x], { shape: [-1, 1, f] });
    return ctx.node('broadcast_to', '', [one], { shape: [-1, p.n as number, f] });
  },
};

/** Pads (before, after) per spatial axis with zeros; pairs as [[top, bottom], [left, right]]. */
function padShape(x: Shape, pairs: number[][]): Shape {
  return [null, ...pairs.map(([a, b], i) => (x[1 + i] === null ? null : (x[1 + i] as number) + a + b)), x.at(-1) as number];
}

export const ZeroPadding1D: LayerDef = {
  type: 'ZeroPadding1D',
  category: 'Reshape',
  description: 'Adds zeros before and after the steps axis: padding is one number, or (before, after).',
  // Keras: an int, or a (left, right) tuple.
  params: { padding: { kind: 'tuple', default: [1, 1], length: 2, min: 0 }, data_format: DATA_FORMAT },
  inputs: 1,
  shape([x], p) {
    const bad = channelsLast(p) ?? needsRank(x, 1, 'ZeroPadding2D');
    return bad ?? padShape(x, [p.padding as number[]]);
  },
  lower(ctx, [x], p) {
    const [a, b] = p.padding as number[];
    return ctx.node('pad', '', [x], { pads: [0, 0, a, b, 0, 0] });
  },
};

export const ZeroPadding2D: LayerDef = {
  type: 'ZeroPadding2D',
  category: 'Reshape',
  description: 'Adds rows and columns of zeros around images: one number, (rows, columns), or ((top, bottom), (left, right)).',
  params: { padding: { kind: 'pairs', default: [[1, 1], [1, 1]], length: 2, min: 0 }, data_format: DATA_FORMAT },
  inputs: 1,
  shape([x], p) {
    const bad = channelsLast(p) ?? needsRank(x, 2, 'ZeroPadding1D');
    return bad ?? padShape(x, p.padding as number[][]);
  },
  lower(ctx, [x], p) {
    const [[t, b], [l, r]] = p.padding as number[][];
    return ctx.node('pad', '', [x], { pads: [0, 0, t, b, l, r, 0, 0] });
  },
};

export const Cropping2D: LayerDef = {
  type: 'Cropping2D',
  category: 'Reshape',
  description: 'Removes rows and columns at the edges of images: one number, (rows, columns), or ((top, bottom), (left, right)).',
  params: { cropping: { kind: 'pairs', default: [[0, 0], [0, 0]], length: 2, min: 0 }, data_format: DATA_FORMAT },
  inputs: 1,
  shape([x], p) {
    const bad = channelsLast(p) ?? needsRank(x, 2);
    if (bad) return bad;
    const pairs = p.cropping as number[][];
    const out: Shape = [null];
    for (const [i, axis] of ['height', 'width'].entries()) {
      const d = x[1 + i];
      const [a, b] = pairs[i];
      if (d !== null && a + b >= d) return { problem: `crops ${a} + ${b} from an input ${axis} of ${d} in ${formatShape(x)}, which leaves nothing: crop less than ${d} in all` };
      out.push(d === null ? null : d - a - b);
    }
    return [...out, x[3]];
  },
  lower(ctx, [x], p) {
    const [[t], [l]] = p.cropping as number[][];
    const [, h, w] = ctx.outputShape as number[];
    return ctx.node('slice', '', [x], { begin: [0, t, l, 0], size: [-1, h, w, -1] });
  },
};

export const UpSampling1D: LayerDef = {
  type: 'UpSampling1D',
  category: 'Reshape',
  description: 'Repeats each step `size` times along the steps axis.',
  params: { size: { kind: 'int', default: 2, min: 1, max: 1 << 12 } },
  inputs: 1,
  shape([x], p) {
    const bad = needsRank(x, 1, 'UpSampling2D');
    return bad ?? [null, x[1] === null ? null : (x[1] as number) * (p.size as number), x[2]];
  },
  lower: (ctx, [x], p) => ctx.node('upsample_nearest', '', [x], { size: [p.size as number] }),
};

export const UpSampling2D: LayerDef = {
  type: 'UpSampling2D',
  category: 'Reshape',
  description: 'Repeats each row and column of images `size` times (nearest-neighbour upsampling).',
  params: {
    size: { kind: 'tuple', default: [2, 2], length: 2 },
    data_format: DATA_FORMAT,
    interpolation: { kind: 'enum', default: 'nearest', options: ['nearest', 'bilinear', 'bicubic', 'lanczos3', 'lanczos5'] },
  },
  inputs: 1,
  shape([x], p) {
    const bad = channelsLast(p) ?? needsRank(x, 2, 'UpSampling1D');
    if (bad) return bad;
    if (p.interpolation !== 'nearest') return { problem: `has interpolation '${p.interpolation as string}', which Kiln does not support yet: set interpolation to 'nearest' (a Conv2D after it can learn the smoothing)` };
    const [sh, sw] = p.size as number[];
    return [null, x[1] === null ? null : (x[1] as number) * sh, x[2] === null ? null : (x[2] as number) * sw, x[3]];
  },
  lower: (ctx, [x], p) => ctx.node('upsample_nearest', '', [x], { size: p.size as number[] }),
};

export const RESHAPING_LAYERS: LayerDef[] = [Reshape, Permute, RepeatVector, ZeroPadding1D, ZeroPadding2D, Cropping2D, UpSampling1D, UpSampling2D];
