/**
 * The layer catalogue's contract. Every layer a user can place is one LayerDef: its Keras class
 * name, a parameter schema with Keras's defaults, shape inference over shapes with a `None` batch
 * dimension, its weights (Keras's names and order), a FLOP estimate, and lowering to engine ops.
 */
import type { EngineAttr, EngineNode, Initializer } from '../engineSpec.js';
import type { LayerDoc, ParamValue, Shape } from '../ModelDoc.js';

export type LayerCategory = 'Core' | 'Convolution' | 'Pooling' | 'Normalization' | 'Regularization' | 'Merge' | 'Reshape' | 'Activation' | 'Preprocessing';

/** One parameter: its type, Keras's default, and the values it accepts. */
export type ParamSpec =
  | { kind: 'int'; default: number | null; min?: number; max?: number; nullable?: boolean }
  | { kind: 'float'; default: number | null; min?: number; max?: number; exclusiveMin?: boolean; nullable?: boolean }
  | { kind: 'bool'; default: boolean }
  | { kind: 'enum'; default: string | null; options: readonly string[]; nullable?: boolean }
  /** A tuple such as kernel_size: Keras also accepts one number for every axis. */
  | { kind: 'tuple'; default: number[] | null; length: number; min?: number; nullable?: boolean }
  /** A list of whole numbers of any length, such as Input's shape or Permute's dims. */
  | { kind: 'ints'; default: number[] | null; min?: number; nullable?: boolean; allowMinusOne?: boolean }
  /** A list of numbers of any length (Normalization's mean, ...), or one number. */
  | { kind: 'floats'; default: number[] | number | null; nullable?: boolean }
  /** Nested pairs, such as ZeroPadding2D's ((top, bottom), (left, right)); an int or a flat pair also works, as in Keras. */
  | { kind: 'pairs'; default: number[][]; length: number; min?: number }
  | { kind: 'activation'; default: string | null }
  | { kind: 'initializer'; default: string }
  /** A kernel regularizer: null, or { l1, l2 }. */
  | { kind: 'regularizer'; default: null };

/** Parameters after validation, with defaults filled in and tuples normalised. */
export type Params = Record<string, ParamValue>;

/** A problem in the user's terms, without the layer's name (the caller adds "Dense 'fc1' "). */
export interface Problem {
  problem: string;
}

export function isProblem(x: unknown): x is Problem {
  return typeof x === 'object' && x !== null && 'problem' in x;
}

/** One weight, with Keras's name (kernel, bias, gamma, moving_mean, ...) and shape. */
export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
  init: Initializer;
  l1?: number;
  l2?: number;
}

/** What lowering sees: helpers that add engine nodes named under the layer. */
export interface LowerCtx {
  layer: LayerDoc;
  /** Shapes of the layer's inputs and its output, batch dimension null. */
  inputShapes: Shape[];
  outputShape: Shape;
  /** Adds a node named `<layer>/<suffix>` (or `<layer>` when suffix is ''); returns its (first) output name. */
  node(op: string, suffix: string, inputs: string[], attrs?: Record<string, EngineAttr>, extra?: Pick<EngineNode, 'outputs' | 'mode'>): string;
  /** The engine name of one of this layer's weights (declared by `weights`). */
  weight(name: string): string;
  /** BatchNormalization's statistics: `var` tracks `value` with Keras's momentum, in training. */
  movingAverage(weight: string, value: string, momentum: number): void;
  /** Applies a Keras activation by name ('linear' returns x). */
  activation(x: string, activation: string | null, suffix?: string): string;
}

export interface LayerDef {
  type: string;
  category: LayerCategory;
  /** One line for the palette and the inspector. */
  description: string;
  params: Record<string, ParamSpec>;
  /** 0: a model input; 1: one input; 'many': a merge layer (two or more, in order). */
  inputs: 0 | 1 | 'many';
  /** The output shape for these input shapes, or the problem. */
  shape(inputs: Shape[], p: Params): Shape | Problem;
  /** Weights in Keras's get_weights() order; none when absent. */
  weights?(inputs: Shape[], p: Params): WeightSpec[];
  /** Multiply-adds x 2 per sample for the forward pass (an estimate). */
  flops?(inputs: Shape[], output: Shape, p: Params): number;
  /** Adds the layer's engine nodes; returns the name of its output value. */
  lower(ctx: LowerCtx, inputs: string[], p: Params): string;
}

/** Elements of a shape without its batch dimension (null dims count as 1). */
export function perSample(shape: Shape): number {
  return shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
}
