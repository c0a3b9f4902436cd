/** Preprocessing layers: Rescaling and Normalization (with Keras's adapt() statistics). */
import { formatShape, type Shape } from '../ModelDoc.js';
import type { LayerDef, LowerCtx, Params, Problem } from './types.js';
import { perSample } from './types.js';

/** Keras's backend.epsilon(): Normalization divides by max(sqrt(variance), this). */
const EPSILON = 1e-7;

/** A constant: a scalar for one number, else a vector [n] (joined from scalar fills). */
export function constant(ctx: LowerCtx, suffix: string, values: number | number[]): string {
  const fill = (s: string, shape: number[], value: number) => ctx.node('fill', s, [], { shape, value, dtype: 'float32' });
  if (typeof values === 'number') return fill(suffix, [], values);
  if (values.every((v) => v === values[0])) return fill(suffix, [values.length], values[0]);
  return ctx.node('concat', suffix, values.map((v, i) => fill(`${suffix}_${i}`, [1], v)), { axis: 0 });
}

/** A per-channel list must have one value per channel (or be one number). */
function checkList(name: string, v: number | number[] | null, channels: number | null, where: string): Problem | null {
  if (v === null || typeof v === 'number' || v.length === 1) return null;
  if (channels === null) return { problem: `has a list of ${v.length} values for ${name}, but ${where} has no channel axis to match: give one number` };
  if (v.length !== channels) return { problem: `has ${v.length} values for ${name}, but ${where} has ${channels} channels: give one number, or one per channel` };
  return null;
}

const one = (v: number | number[]) => (Array.isArray(v) && v.length === 1 ? v[0] : v);

export const Rescaling: LayerDef = {
  type: 'Rescaling',
  category: 'Preprocessing',
  description: 'Rescales the input: x * scale + offset (e.g. scale 1/255 maps pixels to [0, 1]).',
  params: { scale: { kind: 'floats', default: null }, offset: { kind: 'floats', default: 0 } },
  inputs: 1,
  shape([x], p) {
    const where = `its input ${formatShape(x)}`;
    const last = x.length > 1 ? x.at(-1)! : null;
    return checkList('scale', p.scale as number | number[], last, where) ?? checkList('offset', p.offset as number | number[], last, where) ?? x;
  },
  flops: ([x]) => 2 * perSample(x),
  lower(ctx, [x], p) {
    const scale = one(p.scale as number | number[]);
    const offset = one(p.offset as number | number[]);
    const scaled = scale === 1 ? x : ctx.node('mul', offset === 0 ? '' : 'scaled', [x, constant(ctx, 'scale', scale)]);
    if (offset === 0) return scaled === x ? ctx.node('reshape', '', [x], { shape: [-1, ...(ctx.outputShape.slice(1) as number[])] }) : scaled;
    return ctx.node('add', '', [scaled, constant(ctx, 'offset', offset)]);
  },
};

/** Normalization's kept axis (null: none, one mean for everything), or a problem. */
function normalizationAxis(x: Shape, p: Params): number | null | Problem {
  if (p.axis === null) return null;
  const axis = p.axis as number;
  const a = axis < 0 ? axis + x.length : axis;
  if (x.length < 2 || a < 0 || a >= x.length) return { problem: `has axis ${axis}, which is out of range for its input ${formatShape(x)}: use -1 for the last axis, or null for one mean and variance over everything` };
  if (a === 0) return { problem: `has axis ${axis}, the batch axis: choose a feature axis (-1 for the last)` };
  if (x[a] === null) return { problem: `needs a known size on axis ${axis} of its input ${formatShape(x)}` };
  return a;
}

export const Normalization: LayerDef = {
  type: 'Normalization',
  category: 'Preprocessing',
  description: 'Standardises features: (x - mean) / sqrt(variance), with the mean and variance given or adapted from the training data.',
  params: {
    axis: { kind: 'int', default: -1, nullable: true },
    mean: { kind: 'floats', default: null, nullable: true },
    variance: { kind: 'floats', default: null, nullable: true },
    invert: { kind: 'bool', default: false },
  },
  inputs: 1,
  shape([x], p) {
    const axis = normalizationAxis(x, p);
    if (axis !== null && typeof axis !== 'number') return axis;
    if ((p.mean === null) !== (p.variance === null)) return { problem: `has ${p.mean === null ? 'a variance but no mean' : 'a mean but no variance'}: give both, or neither to adapt them to the training data` };
    const mean = p.mean as number | number[] | null;
    const variance = p.variance as number | number[] | null;
    if (Array.isArray(mean) && Array.isArray(variance) && mean.length !== variance.length) return { problem: `has ${mean.length} means but ${variance.length} variances: give one of each per channel` };
    if ((Array.isArray(variance) ? variance : [variance ?? 0]).some((v) => v < 0)) return { problem: 'has a negative variance: variances are at least 0' };
    const channels = axis === null ? null : (x[axis] as number);
    const where = axis === null ? 'axis null' : `axis ${p.axis as number} of its input ${formatShape(x)}`;
    return checkList('mean', mean, channels, where) ?? checkList('variance', variance, channels, where) ?? x;
  },
  weights([x], p) {
    if (p.mean !== null) return [];
    const axis = normalizationAxis(x, p) as number | null;
    const shape = axis === null ? [] : [x[axis] as number];
    return [
      { name: 'mean', shape, trainable: false, init: 'zeros' },
      { name: 'variance', shape, trainable: false, init: 'ones' },
      { name: 'count', shape: [], trainable: false, init: 'zeros' },
    ];
  },
  flops: ([x]) => 2 * perSample(x),
  lower(ctx, [x], p) {
    const [shape] = ctx.inputShapes;
    const axis = normalizationAxis(shape, p) as number | null;
    // Per-channel values broadcast against x from the right: [C] for the last axis, [C, 1, ..] otherwise.
    const trailing = axis === null ? 0 : shape.length - 1 - axis;
    const broadcast = (v: string, suffix: string, n: number) => (trailing === 0 || n === 1 ? v : ctx.node('reshape', suffix, [v], { shape: [n, ...new Array<number>(trailing).fill(1)] }));
    let mean: string;
    let std: string;
    if (p.mean !== null) {
      const m = one(p.mean as number | number[]);
      const s = one(p.variance as number | number[]);
      const stds = typeof s === 'number' ? Math.max(Math.sqrt(s), EPSILON) : s.map((v) => Math.max(Math.sqrt(v), EPSILON));
      mean = broadcast(constant(ctx, 'mean', m), 'mean_b', typeof m === 'number' ? 1 : m.length);
      std = broadcast(constant(ctx, 'std', stds), 'std_b', typeof stds === 'number' ? 1 : stds.length);
    } else {
      const n = axis === null ? 1 : (shape[axis] as number);
      mean = broadcast(ctx.weight('mean'), 'mean_b', n);
      const root = ctx.node('sqrt', 'sqrt', [ctx.weight('variance')]);
      std = broadcast(ctx.node('maximum', 'std', [root, constant(ctx, 'epsilon', EPSILON)]), 'std_b', n);
    }
    if (p.invert) return ctx.node('add', '', [mean, ctx.node('mul', 'scaled', [x, std])]);
    return ctx.node('div', '', [ctx.node('sub', 'centered', [x, mean]), std]);
  },
};

/**
 * Keras's Normalization.adapt() on `x`, samples of `featureShape` packed one after another: the
 * mean and (population) variance per position of `axis` (-1: the last; null: one over everything),
 * and how many values each statistic summarises. Keras 3 leaves its `count` weight at 0 after
 * adapt(); this returns the real count, which is what the weight meant in Keras 2.
 */
export function adaptNormalization(x: Float32Array, featureShape: number[], axis: number | null = -1): { mean: Float32Array; variance: Float32Array; count: number } {
  const per = featureShape.reduce((a, b) => a * b, 1);
  if (per === 0 || x.length % per !== 0) throw new Error(`adaptNormalization: ${x.length} values are not a whole number of samples of shape [${featureShape.join(', ')}]`);
  let channels = 1;
  let inner = 1;
  if (axis !== null) {
    const a = axis < 0 ? axis + featureShape.length + 1 : axis;
    if (a < 1 || a > featureShape.length) throw new Error(`adaptNormalization: axis ${axis} is out of range for samples of shape [${featureShape.join(', ')}]`);
    channels = featureShape[a - 1];
    inner = featureShape.slice(a).reduce((p, d) => p * d, 1);
  }
  const count = x.length / channels;
  const sum = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) sum[Math.floor(i / inner) % channels] += x[i];
  const mean = sum.map((s) => s / count);
  const sq = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % channels;
    sq[c] += (x[i] - mean[c]) ** 2;
  }
  return { mean: Float32Array.from(mean), variance: Float32Array.from(sq, (s) => s / count), count };
}

export const PREPROCESSING_LAYERS = [Rescaling, Normalization];
