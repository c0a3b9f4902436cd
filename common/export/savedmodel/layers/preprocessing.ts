/**
 * Preprocessing layers baked into the graph, so the signature takes raw inputs as the model did
 * in Kiln: Rescaling and Normalization with Keras 3's formulas.
 */
import type { ParamValue } from '../../../model/ModelDoc.js';
import { alongAxis, floats, identity, op, type LayerEmitter } from './LayerEmitter.js';

/** Keras's backend.epsilon(): Normalization divides by max(sqrt(variance), this). */
const EPSILON = 1e-7;

const values = (v: ParamValue): number | number[] => (Array.isArray(v) && v.length === 1 ? (v[0] as number) : (v as number | number[]));

/** x * scale + offset; a list is per channel (the last axis). */
export const Rescaling: LayerEmitter = (ctx, inputs) => {
  const scale = values(ctx.params.scale);
  const offset = values(ctx.params.offset);
  const constant = (name: string, v: number | number[]) => floats(ctx, name, v, typeof v === 'number' ? [] : [v.length]);
  let y = inputs[0];
  // x * 1 and x + 0 are x exactly: Keras's ops there change nothing.
  if (scale !== 1) y = op(ctx, 'Mul', 'mul', [y, constant('scale', scale)]);
  if (offset !== 0) y = op(ctx, 'AddV2', 'add', [y, constant('offset', offset)]);
  return y === inputs[0] ? identity(ctx, inputs) : y;
};

/**
 * (x - mean) / max(sqrt(variance), epsilon), or its inverse. The statistics are the layer's
 * weights when it was adapted to the data, else the constants it was given.
 */
export const Normalization: LayerEmitter = (ctx, [x]) => {
  const p = ctx.params;
  const shape = ctx.inputShapes[0];
  const axis = p.axis === null ? null : ((p.axis as number) < 0 ? (p.axis as number) + shape.length : (p.axis as number));
  const channels = axis === null ? 1 : (shape[axis] as number);
  // Per channel along `axis` ([C, 1, ..., 1]), or one value for every element.
  const broadcast = (v: string, name: string) => (axis === null || channels === 1 ? v : alongAxis(ctx, v, axis, shape.length, channels, name));
  const stat = (name: 'mean' | 'variance') => {
    if (p.mean === null) return broadcast(ctx.weight(name), name);
    const v = values(p[name]);
    const trailing = axis === null ? 0 : shape.length - 1 - axis;
    return floats(ctx, name, v, typeof v === 'number' ? [] : [v.length, ...new Array<number>(trailing).fill(1)]);
  };
  const mean = stat('mean');
  const std = op(ctx, 'Maximum', 'Maximum', [op(ctx, 'Sqrt', 'Sqrt', [stat('variance')]), floats(ctx, 'epsilon', EPSILON)]);
  if (p.invert) return op(ctx, 'AddV2', 'add', [mean, op(ctx, 'Mul', 'mul', [x, std])]);
  return op(ctx, 'RealDiv', 'truediv', [op(ctx, 'Sub', 'sub', [x, mean]), std]);
};
