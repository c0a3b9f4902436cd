/** Activation layers with parameters: ReLU, LeakyReLU, ELU, PReLU and Softmax (Keras 3 semantics). */
import { formatShape } from '../ModelDoc.js';
import type { LayerDef, LowerCtx, WeightSpec } from './types.js';
import { perSample } from './types.js';

function scalar(ctx: LowerCtx, suffix: string, value: number): string {
  return ctx.node('fill', suffix, [], { shape: [], value, dtype: 'float32' });
}

export const ReLU: LayerDef = {
  type: 'ReLU',
  category: 'Activation',
  description: 'Rectified linear unit: x above threshold (capped at max_value), negative_slope * (x - threshold) below it.',
  params: {
    max_value: { kind: 'float', default: null, nullable: true, min: 0 },
    negative_slope: { kind: 'float', default: 0, min: 0 },
    threshold: { kind: 'float', default: 0, min: 0 },
  },
  inputs: 1,
  shape: ([x]) => x,
  flops: ([x]) => perSample(x),
  lower(ctx, [x], p) {
    const max = p.max_value as number | null;
    const slope = p.negative_slope as number;
    const threshold = p.threshold as number;
    // As keras.activations.relu: the positive part, clipped, minus slope * relu(threshold - x).
    if (threshold === 0 && max === null) return slope === 0 ? ctx.node('relu', '', [x]) : ctx.node('leaky_relu', '', [x], { alpha: slope });
    const t = threshold === 0 ? null : scalar(ctx, 'threshold', threshold);
    let y = t === null ? ctx.node('relu', 'relu', [x]) : ctx.node('mul', 'above', [x, ctx.node('greater', 'mask', [x, t])]);
    if (max !== null) y = ctx.node('clip', 'clip', [y], { min: 0, max });
    if (slope === 0) return y;
    const below = t === null ? ctx.node('neg', 'neg', [x]) : ctx.node('sub', 'below', [t, x]);
    const negative = ctx.node('mul', 'negative', [ctx.node('relu', 'negative_part', [below]), scalar(ctx, 'slope', slope)]);
    return ctx.node('sub', '', [y, negative]);
  },
};

export const LeakyReLU: LayerDef = {
  type: 'LeakyReLU',
  category: 'Activation',
  description: 'Leaky rectified linear unit: x where x > 0, negative_slope * x elsewhere.',
  params: { negative_slope: { kind: 'float', default: 0.3, min: 0 } },
  inputs: 1,
  shape: ([x]) => x,
  flops: ([x]) => perSample(x),
  lower: (ctx, [x], p) => ctx.node('leaky_relu', '', [x], { alpha: p.negative_slope as number }),
};

export const ELU: LayerDef = {
  type: 'ELU',
  category: 'Activation',
  description: 'Exponential linear unit: x where x > 0, alpha * (exp(x) - 1) elsewhere.',
  params: { alpha: { kind: 'float', default: 1 } },
  inputs: 1,
  shape: ([x]) => x,
  flops: ([x]) => perSample(x),
  lower: (ctx, [x], p) => ctx.node('elu', '', [x], { alpha: p.alpha as number }),
};

/** PReLU's alpha shape: the input's without the batch, 1 on the shared axes. */
function alphaShape(x: (number | null)[], shared: number[] | null): number[] {
  return x.slice(1).map((d, i) => (shared?.includes(i + 1) ? 1 : (d as number)));
}

export const PReLU: LayerDef = {
  type: 'PReLU',
  category: 'Activation',
  description: 'Parametric ReLU: x where x > 0, alpha * x elsewhere, with alpha learned per element (shared along shared_axes).',
  params: {
    alpha_initializer: { kind: 'initializer', default: 'zeros' },
    alpha_regularizer: { kind: 'regularizer', default: null },
    shared_axes: { kind: 'ints', default: null, nullable: true },
  },
  inputs: 1,
  shape([x], p) {
    if (x.length < 2) return { problem: `needs an input with a feature axis but receives ${formatShape(x)}` };
    const shared = (p.shared_axes as number[] | null) ?? [];
    const bad = shared.find((a) => a >= x.length);
    if (bad !== undefined) return { problem: `has shared_axes ${JSON.stringify(shared)}, but its input ${formatShape(x)} has no axis ${bad}: use axes from 1 to ${x.length - 1}` };
    const unknown = x.findIndex((d, i) => i > 0 && d === null && !shared.includes(i));
    if (unknown > 0) return { problem: `needs a known size on axis ${unknown} of its input ${formatShape(x)}, or that axis in shared_axes` };
    return x;
  },
  weights([x], p) {
    const reg = p.alpha_regularizer as { l1?: number; l2?: number } | null;
    return [{ name: 'alpha', shape: alphaShape(x, p.shared_axes as number[] | null), trainable: true, init: p.alpha_initializer as WeightSpec['init'], l1: reg?.l1, l2: reg?.l2 }];
  },
  flops: ([x]) => 4 * perSample(x),
  lower(ctx, [x]) {
    // As Keras: relu(x) - alpha * relu(-x).
    const positive = ctx.node('relu', 'positive', [x]);
    const negative = ctx.node('relu', 'negative', [ctx.node('neg', 'neg', [x])]);
    return ctx.node('sub', '', [positive, ctx.node('mul', 'scaled', [ctx.weight('alpha'), negative])]);
  },
};

export const Softmax: LayerDef = {
  type: 'Softmax',
  category: 'Activation',
  description: 'Softmax over one axis: exp(x) / sum(exp(x)), so the values along it sum to 1.',
  params: { axis: { kind: 'int', default: -1 } },
  inputs: 1,
  shape([x], p) {
    const axis = p.axis as number;
    const a = axis < 0 ? axis + x.length : axis;
    if (x.length < 2) return { problem: `needs an input with a feature axis but receives ${formatShape(x)}` };
    if (a <= 0 || a >= x.length) return { problem: `has axis ${axis}, which is ${a === 0 ? 'the batch axis' : 'out of range'} for its input ${formatShape(x)}: use -1 for the last axis` };
    return x;
  },
  flops: ([x]) => 3 * perSample(x),
  lower(ctx, [x], p) {
    const rank = ctx.inputShapes[0].length;
    const axis = (p.axis as number) < 0 ? (p.axis as number) + rank : (p.axis as number);
    if (axis === rank - 1) return ctx.node('softmax', '', [x]);
    // Swapping the axis with the last one is its own inverse.
    const perm = Array.from({ length: rank }, (_, i) => (i === axis ? rank - 1 : i === rank - 1 ? axis : i));
    const y = ctx.node('softmax', 'softmax', [ctx.node('transpose', 'to_last', [x], { perm })]);
    return ctx.node('transpose', '', [y], { perm });
  },
};

export const ACTIVATION_LAYERS = [ReLU, LeakyReLU, ELU, PReLU, Softmax];
