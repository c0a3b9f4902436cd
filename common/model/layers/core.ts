/** Core layers: Input, Dense, Activation, Flatten, Dropout. */
import { formatShape } from '../ModelDoc.js';
import type { LayerDef, Params, WeightSpec } from './types.js';
import { perSample } from './types.js';

/** Keras's kernel/bias weights of a layer whose kernel has `shape`. */
export function kernelAndBias(p: Params, shape: number[], units: number): WeightSpec[] {
  const reg = p.kernel_regularizer as { l1?: number; l2?: number } | null;
  const out: WeightSpec[] = [{ name: 'kernel', shape, trainable: true, init: p.kernel_initializer as WeightSpec['init'], l1: reg?.l1, l2: reg?.l2 }];
  if (p.use_bias) out.push({ name: 'bias', shape: [units], trainable: true, init: p.bias_initializer as WeightSpec['init'] });
  return out;
}

export const KERNEL_PARAMS = {
  use_bias: { kind: 'bool', default: true },
  kernel_initializer: { kind: 'initializer', default: 'glorot_uniform' },
  bias_initializer: { kind: 'initializer', default: 'zeros' },
  kernel_regularizer: { kind: 'regularizer', default: null },
} as const;

export const Input: LayerDef = {
  type: 'Input',
  category: 'Core',
  description: 'A model input: the shape of one sample, without the batch dimension.',
  params: { shape: { kind: 'ints', default: null }, dtype: { kind: 'enum', default: 'float32', options: ['float32', 'int32'] } },
  inputs: 0,
  shape: (_, p) => [null, ...(p.shape as number[])],
  lower: () => {
    throw new Error('Input layers are lowered by lowerModel');
  },
};

export const Dense: LayerDef = {
  type: 'Dense',
  category: 'Core',
  description: 'A fully connected layer: activation(x @ kernel + bias) over the last axis.',
  params: { units: { kind: 'int', default: null, min: 1, max: 1 << 20 }, activation: { kind: 'activation', default: null }, ...KERNEL_PARAMS },
  inputs: 1,
  shape([x], p) {
    if (x.length < 2) return { problem: `needs an input with a feature axis but receives ${formatShape(x)}` };
    if (x.length > 2) return { problem: `needs a rank-2 input (batch, features) but receives ${formatShape(x)}: add a Flatten before it` };
    return [...x.slice(0, -1), p.units as number];
  },
  weights: ([x], p) => kernelAndBias(p, [x.at(-1) as number, p.units as number], p.units as number),
  flops: ([x], _, p) => 2 * perSample(x) * (p.units as number),
  lower(ctx, [x], p) {
    let y = ctx.node('matmul', 'matmul', [x, ctx.weight('kernel')]);
    if (p.use_bias) y = ctx.node('bias_add', 'bias_add', [y, ctx.weight('bias')]);
    return ctx.activation(y, p.activation as string | null);
  },
};

export const Activation: LayerDef = {
  type: 'Activation',
  category: 'Activation',
  description: 'Applies an activation function element by element (softmax over the last axis).',
  params: { activation: { kind: 'activation', default: null } },
  inputs: 1,
  shape: ([x]) => x,
  flops: (_, y) => perSample(y),  // about one operation per element
  lower: (ctx, [x], p) => ctx.activation(x, p.activation as string, ''),
};

export const Flatten: LayerDef = {
  type: 'Flatten',
  category: 'Reshape',
  description: 'Flattens every axis but the batch into one, in row-major order.',
  params: {},
  inputs: 1,
  shape: ([x]) => [null, perSample(x)],
  lower: (ctx, [x]) => ctx.node('reshape', '', [x], { shape: [-1, perSample(ctx.outputShape)] }),
};

export const Dropout: LayerDef = {
  type: 'Dropout',
  category: 'Regularization',
  description: 'In training, zeroes a random fraction `rate` of the inputs and scales the rest by 1 / (1 - rate).',
  params: { rate: { kind: 'float', default: null, min: 0, max: 1 }, seed: { kind: 'int', default: null, nullable: true, min: 0 } },
  inputs: 1,
  shape: ([x]) => x,
  lower(ctx, [x], p) {
    if ((p.rate as number) === 0) return x;
    const name = ctx.layer.name;
    ctx.node('dropout', 'train', [x], { rate: p.rate as number }, { outputs: [name, `${name}/mask`], mode: 'train' });
    ctx.node('reshape', 'infer', [x], { shape: [-1, ...(ctx.outputShape.slice(1) as number[])] }, { outputs: [name], mode: 'infer' });
    return name;
  },
};

export const CORE_LAYERS = [Input, Dense, Activation, Flatten, Dropout];
