/** Normalisation layers: BatchNormalization and LayerNormalization, with Keras 3's weights and defaults. */
import { formatShape, type Shape } from '../ModelDoc.js';
import type { LayerDef, LowerCtx, Params, Problem, WeightSpec } from './types.js';
import { perSample } from './types.js';

type Reg = { l1?: number; l2?: number } | null;

/** `axis` as an index into `shape` (batch at 0), or a problem; the batch axis is refused. */
export function featureAxis(shape: Shape, axis: number, what = 'axis'): number | Problem {
  const rank = shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (rank < 2) return { problem: `needs an input with a feature axis but receives ${formatShape(shape)}` };
  if (a < 0 || a >= rank) return { problem: `has ${what} ${axis}, which is out of range for its input ${formatShape(shape)} (use -1 for the last axis)` };
  if (a === 0) return { problem: `has ${what} ${axis}, the batch axis: choose a feature axis (-1 for the last)` };
  if (shape[a] === null) return { problem: `needs a known size on axis ${axis} of its input ${formatShape(shape)}` };
  return a;
}

function gammaBeta(p: Params, channels: number[]): WeightSpec[] {
  const out: WeightSpec[] = [];
  const reg = (r: Reg) => ({ ...(r?.l1 ? { l1: r.l1 } : {}), ...(r?.l2 ? { l2: r.l2 } : {}) });
  if (p.scale) out.push({ name: 'gamma', shape: channels, trainable: true, init: p.gamma_initializer as WeightSpec['init'], ...reg(p.gamma_regularizer as Reg) });
  if (p.center) out.push({ name: 'beta', shape: channels, trainable: true, init: p.beta_initializer as WeightSpec['init'], ...reg(p.beta_regularizer as Reg) });
  return out;
}

/** gamma and beta as values: the weights, or constant ones / zeros where scale / center are off. */
function gammaBetaValues(ctx: LowerCtx, p: Params, channels: number): [string, string] {
  const gamma = p.scale ? ctx.weight('gamma') : ctx.node('fill', 'gamma', [], { shape: [channels], value: 1, dtype: 'float32' });
  const beta = p.center ? ctx.weight('beta') : ctx.node('fill', 'beta', [], { shape: [channels], value: 0, dtype: 'float32' });
  return [gamma, beta];
}

const AFFINE_PARAMS = {
  center: { kind: 'bool', default: true },
  scale: { kind: 'bool', default: true },
  beta_initializer: { kind: 'initializer', default: 'zeros' },
  gamma_initializer: { kind: 'initializer', default: 'ones' },
  beta_regularizer: { kind: 'regularizer', default: null },
  gamma_regularizer: { kind: 'regularizer', default: null },
} as const;

export const BatchNormalization: LayerDef = {
  type: 'BatchNormalization',
  category: 'Normalization',
  description: 'Normalises each channel with the batch statistics in training and moving averages of them in inference, then scales (gamma) and shifts (beta).',
  params: {
    axis: { kind: 'int', default: -1 },
    momentum: { kind: 'float', default: 0.99, min: 0, max: 1 },
    epsilon: { kind: 'float', default: 1e-3, min: 0, exclusiveMin: true },
    ...AFFINE_PARAMS,
    moving_mean_initializer: { kind: 'initializer', default: 'zeros' },
    moving_variance_initializer: { kind: 'initializer', default: 'ones' },
  },
  inputs: 1,
  shape([x], p) {
    const axis = featureAxis(x, p.axis as number);
    return typeof axis === 'number' ? x : axis;
  },
  weights([x], p) {
    const channels = [x[featureAxis(x, p.axis as number) as number] as number];
    return [
      ...gammaBeta(p, channels),
      { name: 'moving_mean', shape: channels, trainable: false, init: p.moving_mean_initializer as WeightSpec['init'] },
      { name: 'moving_variance', shape: channels, trainable: false, init: p.moving_variance_initializer as WeightSpec['init'] },
    ];
  },
  flops: ([x]) => 2 * perSample(x),
  lower(ctx, [x], p) {
    const [shape] = ctx.inputShapes;
    const axis = featureAxis(shape, p.axis as number) as number;
    const [gamma, beta] = gammaBetaValues(ctx, p, shape[axis] as number);
    const attrs = { axis, epsilon: p.epsilon as number };
    const name = ctx.layer.name;
    ctx.node('batch_norm_train', 'train', [x, gamma, beta], attrs, { outputs: [name, `${name}/batch_mean`, `${name}/batch_variance`], mode: 'train' });
    ctx.movingAverage('moving_mean', `${name}/batch_mean`, p.momentum as number);
    ctx.movingAverage('moving_variance', `${name}/batch_variance`, p.momentum as number);
    ctx.node('batch_norm_infer', 'infer', [x, gamma, beta, ctx.weight('moving_mean'), ctx.weight('moving_variance')], attrs, { outputs: [name], mode: 'infer' });
    return name;
  },
};

/** Moves axis `a` of a rank-`rank` tensor last (and back). */
function lastAxisPerm(a: number, rank: number): number[] {
  return [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== a), a];
}

export const LayerNormalization: LayerDef = {
  type: 'LayerNormalization',
  category: 'Normalization',
  description: 'Normalises each sample over its feature axis (mean 0, variance 1), then scales (gamma) and shifts (beta).',
  params: { axis: { kind: 'int', default: -1 }, epsilon: { kind: 'float', default: 1e-3, min: 0, exclusiveMin: true }, ...AFFINE_PARAMS },
  inputs: 1,
  shape([x], p) {
    const axis = featureAxis(x, p.axis as number);
    return typeof axis === 'number' ? x : axis;
  },
  weights: ([x], p) => gammaBeta(p, [x[featureAxis(x, p.axis as number) as number] as number]),
  flops: ([x]) => 8 * perSample(x),
  lower(ctx, [x], p) {
    const [shape] = ctx.inputShapes;
    const rank = shape.length;
    const axis = featureAxis(shape, p.axis as number) as number;
    const [gamma, beta] = gammaBetaValues(ctx, p, shape[axis] as number);
    const attrs = { epsilon: p.epsilon as number };
    const name = ctx.layer.name;
    if (axis === rank - 1) {
      ctx.node('layer_norm', '', [x, gamma, beta], attrs, { outputs: [name, `${name}/mean`, `${name}/rstd`] });
      return name;
    }
    // Another axis: move it last, normalise, and move it back.
    const perm = lastAxisPerm(axis, rank);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const moved = ctx.node('transpose', 'to_last', [x], { perm });
    const y = ctx.node('layer_norm', 'norm', [moved, gamma, beta], attrs, { outputs: [`${name}/norm`, `${name}/mean`, `${name}/rstd`] });
    return ctx.node('transpose', '', [y], { perm: inverse });
  },
};

export const NORMALIZATION_LAYERS = [BatchNormalization, LayerNormalization];
