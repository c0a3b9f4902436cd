/**
 * Image augmentation layers (Keras 3's RandomFlip, RandomTranslation, RandomRotation, RandomZoom,
 * RandomBrightness, RandomContrast): in training each sample gets its own random transform from the
 * engine's seeded ops random_affine / random_color (a fresh seed per step); in inference they pass
 * the input through. Factors follow Keras: a number f means [-f, f], a pair (lo, hi) that range.
 */
import { formatShape, type ParamValue, type Shape } from '../ModelDoc.js';
import type { LayerDef, LowerCtx, ParamSpec, Params, Problem } from './types.js';

const SEED = { kind: 'int', default: null, nullable: true, min: 0 } as const;
const DATA_FORMAT = { kind: 'enum', default: null, nullable: true, options: ['channels_last', 'channels_first'] } as const;
const FILL_MODE = { kind: 'enum', default: 'reflect', options: ['reflect', 'wrap', 'constant', 'nearest'] } as const;
const INTERPOLATION = { kind: 'enum', default: 'bilinear', options: ['bilinear', 'nearest'] } as const;
const FACTOR = { kind: 'floats', default: null } as const;
const VALUE_RANGE: ParamSpec = { kind: 'floats', default: [0, 255] };

type Range = [number, number];

/**
 * A Keras factor as (lower, upper): a number f gives (-|f|, |f|), a pair is sorted. Each number
 * must lie in [min, max] (`openMin`: above min), as Keras checks.
 */
function factorRange(name: string, v: ParamValue, min: number, max: number, openMin = false): Range | Problem {
  const inRange = (d: number) => (openMin ? d > min : d >= min) && d <= max;
  const bounds = `${openMin ? 'above' : 'from'} ${min} ${openMin ? 'and at most' : 'to'} ${max}`;
  if (typeof v === 'number') {
    if (!inRange(v) || !inRange(-Math.abs(v))) return { problem: `${name} must be a number ${bounds} (it means the range [-${name}, ${name}]) or a pair (lower, upper), got ${v}` };
    return [-Math.abs(v), Math.abs(v)];
  }
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number' && inRange(d))) {
    const [a, b] = v as number[];
    return a <= b ? [a, b] : [b, a];
  }
  return { problem: `${name} must be a number or a pair (lower, upper) of numbers ${bounds}, got ${JSON.stringify(v)}` };
}

function valueRange(v: ParamValue): Range | Problem {
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number') && v[0] !== v[1]) {
    const [a, b] = v as number[];
    return a < b ? [a, b] : [b, a];
  }
  return { problem: `value_range must be a pair (low, high) of different numbers, got ${JSON.stringify(v)}` };
}

function isRange(r: Range | Problem): r is Range {
  return Array.isArray(r);
}

/** The engine attributes of a layer's transform, or the problem with its parameters. */
type Attrs = Record<string, number | string>;

function imageShape(x: Shape, p: Params, attrs: (p: Params) => Attrs | Problem): Shape | Problem {
  if (p.data_format === 'channels_first') return { problem: 'supports only data_format channels_last (batch, height, width, channels)' };
  if (x.length !== 4) return { problem: `needs images: a rank-4 input (batch, height, width, channels) but receives ${formatShape(x)}` };
  const a = attrs(p);
  return 'problem' in a ? (a as Problem) : x;
}

/** Training: the random op under the layer's name; inference: the input itself (as Dropout). */
function lowerAugment(ctx: LowerCtx, x: string, op: string, attrs: Attrs): string {
  const name = ctx.layer.name;
  ctx.node(op, 'train', [x], attrs, { outputs: [name], mode: 'train' });
  ctx.node('reshape', 'infer', [x], { shape: [-1, ...(ctx.outputShape.slice(1) as number[])] }, { outputs: [name], mode: 'infer' });
  return name;
}

function augmentLayer(type: string, description: string, params: Record<string, ParamSpec>, op: string, attrs: (p: Params) => Attrs | Problem): LayerDef {
  return {
    type,
    category: 'Preprocessing',
    description,
    params,
    inputs: 1,
    shape: ([x], p) => imageShape(x, p, attrs),
    lower(ctx, [x], p) {
      const a = attrs(p);
      if ('problem' in a) throw new Error(`${type} '${ctx.layer.name}' ${String(a.problem)}`);
      return lowerAugment(ctx, x, op, a);
    },
  };
}

/** Attributes from named ranges, or the first problem. */
function ranges(entries: [string, Range | Problem][], rest: Attrs): Attrs | Problem {
  const out: Attrs = {};
  for (const [base, r] of entries) {
    if (!isRange(r)) return r;
    out[`${base}_lower`] = r[0];
    out[`${base}_upper`] = r[1];
  }
  return { ...out, ...rest };
}

const fillAttrs = (p: Params): Attrs => ({ fill_mode: p.fill_mode as string, interpolation: p.interpolation as string, fill_value: p.fill_value as number });

export const RandomFlip = augmentLayer(
  'RandomFlip',
  'In training, flips each image left-right and/or upside down with probability 0.5 (horizontal_and_vertical flips both axes together); in inference, passes it through.',
  { mode: { kind: 'enum', default: 'horizontal_and_vertical', options: ['horizontal', 'vertical', 'horizontal_and_vertical'] }, seed: SEED, data_format: DATA_FORMAT },
  'random_affine',
  (p) => ({ flip: p.mode as string, flip_rate: 0.5 }),
);

export const RandomTranslation = augmentLayer(
  'RandomTranslation',
  'In training, shifts each image by a random fraction of its height and width (factors in [-1, 1]), filling the uncovered area by fill_mode.',
  { height_factor: FACTOR, width_factor: FACTOR, fill_mode: FILL_MODE, interpolation: INTERPOLATION, seed: SEED, fill_value: { kind: 'float', default: 0 }, data_format: DATA_FORMAT },
  'random_affine',
  (p) =>
    ranges(
      [
        ['translate_height', factorRange('height_factor', p.height_factor, -1, 1)],
        ['translate_width', factorRange('width_factor', p.width_factor, -1, 1)],
      ],
      fillAttrs(p),
    ),
);

export const RandomRotation = augmentLayer(
  'RandomRotation',
  'In training, rotates each image about its centre by a random angle, factor being a fraction of a full turn (positive: counter-clockwise), filling by fill_mode.',
  { factor: FACTOR, fill_mode: FILL_MODE, interpolation: INTERPOLATION, seed: SEED, fill_value: { kind: 'float', default: 0 }, data_format: DATA_FORMAT },
  'random_affine',
  (p) => ranges([['rotation', factorRange('factor', p.factor, -1, 1)]], fillAttrs(p)),
);

export const RandomZoom = augmentLayer(
  'RandomZoom',
  'In training, zooms each image about its centre by a random factor (negative zooms in, positive zooms out; width follows height when width_factor is None).',
  {
    height_factor: FACTOR,
    width_factor: { kind: 'floats', default: null, nullable: true },
    fill_mode: FILL_MODE,
    interpolation: INTERPOLATION,
    seed: SEED,
    fill_value: { kind: 'float', default: 0 },
    data_format: DATA_FORMAT,
  },
  'random_affine',
  (p) => {
    const h = factorRange('height_factor', p.height_factor, -1, 1, true);
    if (p.width_factor === null) return ranges([['zoom_height', h]], { ...fillAttrs(p), zoom_width_same: 1 });
    return ranges([['zoom_height', h], ['zoom_width', factorRange('width_factor', p.width_factor, -1, 1, true)]], fillAttrs(p));
  },
);

export const RandomBrightness = augmentLayer(
  'RandomBrightness',
  'In training, adds a random factor times the value range (factor in [-1, 1]) to each image, clipped to value_range.',
  { factor: FACTOR, value_range: VALUE_RANGE, seed: SEED },
  'random_color',
  (p) => {
    const v = valueRange(p.value_range);
    if (!isRange(v)) return v;
    return ranges([['brightness', factorRange('factor', p.factor, -1, 1)]], { value_min: v[0], value_max: v[1] });
  },
);

export const RandomContrast = augmentLayer(
  'RandomContrast',
  "In training, scales each image's channels about their mean by a random factor in [1 - lower, 1 + upper] (factor f: [1 - f, 1 + f]), clipped to value_range.",
  { factor: FACTOR, value_range: VALUE_RANGE, seed: SEED },
  'random_color',
  (p) => {
    const v = valueRange(p.value_range);
    if (!isRange(v)) return v;
    // As Keras documents: a number f is both lower and upper; the multiplier is uniform in [1 - lower, 1 + upper].
    const f = p.factor;
    let r: Range | Problem;
    if (typeof f === 'number') r = f >= 0 && f <= 1 ? [f, f] : { problem: `factor must be a number from 0 to 1 or a pair (lower, upper), got ${f}` };
    else if (Array.isArray(f) && f.length === 2 && f.every((d) => typeof d === 'number' && d >= -1 && d <= 1)) r = [Math.min(...(f as number[])), Math.max(...(f as number[]))];
    else r = { problem: `factor must be a number from 0 to 1 or a pair (lower, upper), got ${JSON.stringify(f)}` };
    if (!isRange(r)) return r;
    return { contrast_lower: Math.min(1 - r[0], 1 + r[1]), contrast_upper: Math.max(1 - r[0], 1 + r[1]), value_min: v[0], value_max: v[1] };
  },
);

export const AUGMENTATION_LAYERS = [RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomBrightness, RandomContrast];
