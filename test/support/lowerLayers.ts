/**
 * Lowering of layers to engine ops, with Keras's semantics and weight names
 * (`<layer>/kernel`, `<layer>/bias`). Each function appends to a spec under construction and
 * returns the name of the layer's output value.
 */
import type { EngineModelSpec, EngineNode, Initializer } from '../../common/model/engineSpec.js';

export type SpecDraft = Pick<EngineModelSpec, 'params' | 'nodes'>;

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'elu' | 'selu' | 'softplus' | 'softsign' | 'silu';

function node(draft: SpecDraft, n: EngineNode): string {
  draft.nodes.push(n);
  return n.name;
}

/** Appends the activation; softmax's logits stay available as the input value. */
export function activate(draft: SpecDraft, name: string, x: string, activation: ActivationName): string {
  if (activation === 'linear') return x;
  return node(draft, { op: activation, name: `${name}/${activation}`, inputs: [x] });
}

export interface DenseOptions {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  l1?: number;
  l2?: number;
}

/** Keras Dense: x @ kernel [in, units] + bias, then the activation. Returns [output, pre-activation]. */
export function lowerDense(draft: SpecDraft, name: string, x: string, inFeatures: number, o: DenseOptions): [string, string] {
  draft.params.push({ name: `${name}/kernel`, shape: [inFeatures, o.units], init: o.kernelInitializer ?? 'glorot_uniform', l1: o.l1, l2: o.l2 });
  let y = node(draft, { op: 'matmul', name: `${name}/matmul`, inputs: [x, `${name}/kernel`] });
  if (o.useBias ?? true) {
    draft.params.push({ name: `${name}/bias`, shape: [o.units], init: 'zeros' });
    y = node(draft, { op: 'bias_add', name: `${name}/bias_add`, inputs: [y, `${name}/bias`] });
  }
  return [activate(draft, name, y, o.activation ?? 'linear'), y];
}

export interface Conv2DOptions {
  filters: number;
  kernelSize: [number, number];
  strides?: [number, number];
  padding?: 'valid' | 'same';
  dilation?: [number, number];
  groups?: number;
  activation?: ActivationName;
  useBias?: boolean;
}

/** Keras Conv2D over NHWC with an HWIO kernel. */
export function lowerConv2D(draft: SpecDraft, name: string, x: string, inChannels: number, o: Conv2DOptions): string {
  const groups = o.groups ?? 1;
  draft.params.push({ name: `${name}/kernel`, shape: [...o.kernelSize, inChannels / groups, o.filters], init: 'glorot_uniform' });
  let y = node(draft, {
    op: 'conv2d', name: `${name}/conv2d`, inputs: [x, `${name}/kernel`],
    attrs: { strides: o.strides ?? [1, 1], padding: o.padding ?? 'valid', dilations: o.dilation ?? [1, 1], groups },
  });
  if (o.useBias ?? true) {
    draft.params.push({ name: `${name}/bias`, shape: [o.filters], init: 'zeros' });
    y = node(draft, { op: 'bias_add', name: `${name}/bias_add`, inputs: [y, `${name}/bias`] });
  }
  return activate(draft, name, y, o.activation ?? 'linear');
}

/** Keras MaxPooling2D: strides default to the pool size. */
export function lowerMaxPooling2D(draft: SpecDraft, name: string, x: string, pool: [number, number], padding: 'valid' | 'same' = 'valid'): string {
  return node(draft, { op: 'max_pool2d', name, inputs: [x], attrs: { pool_size: pool, strides: pool, padding } });
}

/** Keras Flatten: keeps the batch dimension, flattens the rest in row-major order. */
export function lowerFlatten(draft: SpecDraft, name: string, x: string, features: number): string {
  return node(draft, { op: 'reshape', name, inputs: [x], attrs: { shape: [-1, features] } });
}
