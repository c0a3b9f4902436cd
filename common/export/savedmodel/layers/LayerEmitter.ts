/**
 * What a layer's TensorFlow emitter sees: its parameters (defaults resolved), shapes, weights,
 * and helpers that add nodes under the layer's name scope. Every layer computes in float32, so
 * ops whose OpDef requires `T` get DT_FLOAT unless the emitter says otherwise.
 */
import type { LayerDoc, Shape } from '../../../model/ModelDoc.js';
import type { Params } from '../../../model/layers/types.js';
import type { GraphBuilder } from '../GraphBuilder.js';
import type { AttrValue } from '../graphProto.js';
import { TF_OPS } from '../tfOps.js';

export interface LayerCtx {
  readonly g: GraphBuilder;
  readonly layer: LayerDoc;
  /** The layer's name scope in the graph (its name, made a valid and unique TensorFlow name). */
  readonly scope: string;
  readonly params: Params;
  /** Shapes of the inputs and of the output, batch first (null). */
  readonly inputShapes: Shape[];
  readonly outputShape: Shape;
  /** The inputs' dtypes: float32, or int32 for layers that read indices (INDEX_LAYERS). */
  readonly inputDtypes: ('float32' | 'int32')[];
  /** The value of one of the layer's weights, by its Keras name (kernel, bias, gamma, ...). */
  weight(name: string): string;
}

/** Adds the layer's nodes reading `inputs` (tensor names); returns its output tensor's name. */
export type LayerEmitter = (ctx: LayerCtx, inputs: string[]) => string;

const FLOAT: AttrValue = { type: 'float32' };

/** Adds `<scope>/<name>`; T is float32 where the op needs a T and none is given. */
export function op(ctx: LayerCtx, type: string, name: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
  const withT = TF_OPS[type]?.required.includes('T') && !('T' in attrs) ? { T: FLOAT, ...attrs } : attrs;
  return ctx.g.add(type, `${ctx.scope}/${name}`, inputs, withT);
}

/** An int32 constant: a scalar when `values` is a number, else of `shape` (default: a vector). */
export function ints(ctx: LayerCtx, name: string, values: number[] | number, shape?: number[]): string {
  const list = typeof values === 'number' ? [values] : values;
  return ctx.g.constant(`${ctx.scope}/${name}`, { dtype: 'int32', shape: shape ?? (typeof values === 'number' ? [] : [list.length]), values: list });
}

/** A float32 constant of `shape` (a scalar by default). */
export function floats(ctx: LayerCtx, name: string, values: number[] | number, shape: number[] = []): string {
  return ctx.g.constant(`${ctx.scope}/${name}`, { dtype: 'float32', shape, values: typeof values === 'number' ? [values] : values });
}

/** The input passed through: a layer that acts only in training (Dropout, noise, augmentation). */
export const identity: LayerEmitter = (ctx, [x]) => op(ctx, 'Identity', 'Identity', [x]);

/** `shape` without its batch axis, which must be known there. */
export function dims(shape: Shape): number[] {
  return shape.slice(1) as number[];
}

/** Reshapes x to [-1, ...perSample] (the batch stays whatever it is at run time). */
export function reshape(ctx: LayerCtx, x: string, perSample: number[], name = 'Reshape'): string {
  return op(ctx, 'Reshape', name, [x, ints(ctx, `${name}/shape`, [-1, ...perSample])]);
}

/**
 * A per-channel vector [C] shaped to broadcast against a rank-`rank` input along `axis`:
 * [C] for the last axis, [C, 1, ..., 1] otherwise (`<name>/Reshape`).
 */
export function alongAxis(ctx: LayerCtx, v: string, axis: number, rank: number, channels: number, name: string): string {
  const trailing = rank - 1 - axis;
  if (trailing === 0) return v;
  return op(ctx, 'Reshape', `${name}/Reshape`, [v, ints(ctx, `${name}/Reshape/shape`, [channels, ...new Array<number>(trailing).fill(1)])]);
}
