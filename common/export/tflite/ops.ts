/**
 * TensorFlow Lite operators as functions on a graph: each adds its constant operands (shapes,
 * axes, paddings), its output tensor, and the operator with its options table (slots as in
 * schema.fbs) and the lowest version that supports what it uses (as tensorflow/lite/tools/
 * versioning/op_version.cc decides), and returns the output. Shapes use -1 for the batch axis.
 */
import { Padding, TensorType, type DType, type OptionField } from './schema.js';
import type { Tensor, TfliteGraph } from './TfliteGraph.js';

const i8 = (slot: number, value: number, def = 0): OptionField => ({ slot, kind: 'int8', value, default: def });
const i32 = (slot: number, value: number, def = 0): OptionField => ({ slot, kind: 'int32', value, default: def });
const f32 = (slot: number, value: number): OptionField => ({ slot, kind: 'float32', value, default: 0 });

/** NumPy broadcasting of two shapes; the batch axis (-1) wins over 1. */
function broadcast(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    return x === 1 ? y : x;
  });
}

type UnaryOp = 'RELU' | 'RELU6' | 'LOGISTIC' | 'TANH' | 'EXP' | 'LOG' | 'RSQRT' | 'ABS' | 'ELU' | 'GELU' | 'LOG_SOFTMAX';

export function unary(g: TfliteGraph, op: UnaryOp, x: Tensor, name: string): Tensor {
  const y = g.tensor(name, x.shape);
  g.op(op, [x], [y]);
  return y;
}

export type BinaryOp = 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'MAXIMUM' | 'MINIMUM';

/** Kernels that broadcast over more than 4 axes from a later version. */
const WIDE_BROADCAST: Partial<Record<BinaryOp, number>> = { SUB: 3, DIV: 2, MAXIMUM: 3, MINIMUM: 3 };

export function binary(g: TfliteGraph, op: BinaryOp, a: Tensor, b: Tensor, name: string): Tensor {
  const shape = broadcast(a.shape, b.shape);
  const wide = a.shape.join() !== b.shape.join() && shape.length > 4;
  const y = g.tensor(name, shape);
  g.op(op, [a, b], [y], [], wide ? (WIDE_BROADCAST[op] ?? 1) : 1);
  return y;
}

/** x op c for a float constant c (a scalar, or values broadcast as `shape`). */
export function withConstant(g: TfliteGraph, op: BinaryOp, x: Tensor, c: number | ArrayLike<number>, name: string, shape?: number[]): Tensor {
  return binary(g, op, x, g.floats(`${name}/${typeof c === 'number' ? 'scalar' : 'values'}`, c, shape), name);
}

export function reshape(g: TfliteGraph, x: Tensor, shape: number[], name: string): Tensor {
  const y = g.tensor(name, shape, x.dtype);
  g.op('RESHAPE', [x, g.ints(`${name}/shape`, shape)], [y], [{ slot: 0, ints: shape }]);
  return y;
}

const rankVersion = (rank: number, five: number, six = five): number => (rank > 5 ? six : rank > 4 ? five : 1);

export function transpose(g: TfliteGraph, x: Tensor, perm: number[], name: string): Tensor {
  const y = g.tensor(name, perm.map((p) => x.shape[p]), x.dtype);
  g.op('TRANSPOSE', [x, g.ints(`${name}/perm`, perm)], [y], [], rankVersion(perm.length, 4, 6));
  return y;
}

/** Zeros before and after each axis: pairs[i] = [before, after]. */
export function pad(g: TfliteGraph, x: Tensor, pairs: [number, number][], name: string): Tensor {
  const y = g.tensor(name, x.shape.map((d, i) => (d === -1 ? -1 : d + pairs[i][0] + pairs[i][1])));
  g.op('PAD', [x, g.ints(`${name}/paddings`, pairs.flat(), [pairs.length, 2])], [y], [], rankVersion(pairs.length, 4));
  return y;
}

export function reduce(g: TfliteGraph, op: 'MEAN' | 'REDUCE_MAX', x: Tensor, axes: number[], keepDims: boolean, name: string): Tensor {
  const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const y = g.tensor(name, shape);
  g.op(op, [x, g.ints(`${name}/axes`, axes)], [y], [{ slot: 0, kind: 'bool', value: keepDims, default: false }]);
  return y;
}

export function softmax(g: TfliteGraph, x: Tensor, name: string): Tensor {
  const y = g.tensor(name, x.shape);
  g.op('SOFTMAX', [x], [y], [f32(0, 1)]);
  return y;
}

export function concat(g: TfliteGraph, xs: Tensor[], axis: number, name: string): Tensor {
  const shape = xs[0].shape.slice();
  shape[axis] = xs.some((x) => x.shape[axis] === -1) ? -1 : xs.reduce((a, x) => a + x.shape[axis], 0);
  const y = g.tensor(name, shape, xs[0].dtype);
  g.op('CONCATENATION', xs, [y], [i32(0, axis)]);
  return y;
}

export function cast(g: TfliteGraph, x: Tensor, dtype: DType, name: string): Tensor {
  const y = g.tensor(name, x.shape, dtype);
  g.op('CAST', [x], [y], [i8(0, TensorType[x.dtype]), i8(1, TensorType[dtype])]);
  return y;
}

export function greater(g: TfliteGraph, a: Tensor, b: Tensor, name: string): Tensor {
  const y = g.tensor(name, broadcast(a.shape, b.shape), 'BOOL');
  g.op('GREATER', [a, b], [y]);
  return y;
}

export function leakyRelu(g: TfliteGraph, x: Tensor, alpha: number, name: string): Tensor {
  const y = g.tensor(name, x.shape);
  g.op('LEAKY_RELU', [x], [y], [f32(0, alpha)]);
  return y;
}

export function prelu(g: TfliteGraph, x: Tensor, alpha: Tensor, name: string): Tensor {
  const y = g.tensor(name, x.shape);
  g.op('PRELU', [x, alpha], [y]);
  return y;
}

/** Rows of `params` (a [rows, ...] constant) picked by int32 `indices`, along axis 0. */
export function gather(g: TfliteGraph, params: Tensor, indices: Tensor, name: string): Tensor {
  const y = g.tensor(name, [...indices.shape, ...params.shape.slice(1)]);
  g.op('GATHER', [params, indices], [y]);
  return y;
}

export function tile(g: TfliteGraph, x: Tensor, multiples: number[], name: string): Tensor {
  const y = g.tensor(name, x.shape.map((d, i) => (d === -1 ? -1 : d * multiples[i])));
  g.op('TILE', [x, g.ints(`${name}/multiples`, multiples)], [y]);
  return y;
}

/** Nearest-neighbour resize of NHWC images to height x width (whole factors: each pixel repeats). */
export function resizeNearest(g: TfliteGraph, x: Tensor, size: [number, number], name: string): Tensor {
  const y = g.tensor(name, [x.shape[0], ...size, x.shape[3]]);
  g.op('RESIZE_NEAREST_NEIGHBOR', [x, g.ints(`${name}/size`, size)], [y]);
  return y;
}

/** x[begin:end] per axis (stride 1); axes in `whole` are taken entirely (begin and end masks). */
export function slice(g: TfliteGraph, x: Tensor, begin: number[], end: number[], whole: number[], name: string): Tensor {
  const mask = whole.reduce((m, a) => m | (1 << a), 0);
  const shape = x.shape.map((d, i) => (whole.includes(i) ? d : end[i] - begin[i]));
  const y = g.tensor(name, shape, x.dtype);
  const ones = begin.map(() => 1);
  g.op('STRIDED_SLICE', [x, g.ints(`${name}/begin`, begin), g.ints(`${name}/end`, end), g.ints(`${name}/strides`, ones)], [y], [i32(0, mask), i32(1, mask)], begin.length > 4 ? 4 : 1);
  return y;
}

/** The run-time shape of x, as int32. */
export function shapeOf(g: TfliteGraph, x: Tensor, name: string): Tensor {
  const y = g.tensor(name, [x.shape.length], 'INT32');
  g.op('SHAPE', [x], [y], [i8(0, TensorType.INT32)]);
  return y;
}

export function fullyConnected(g: TfliteGraph, x: Tensor, weights: Tensor, bias: Tensor, fused: number, name: string): Tensor {
  const y = g.tensor(name, [x.shape[0], weights.shape[0]]);
  g.op('FULLY_CONNECTED', [x, weights, bias], [y], [i8(0, fused)]);
  return y;
}

/** A sliding window over the two spatial axes of NHWC images, as [height, width] pairs. */
export interface Window {
  strides: number[];
  dilation: number[];
  padding: 'same' | 'valid';
}

const padding = (w: Window) => i8(0, w.padding === 'same' ? Padding.SAME : Padding.VALID);

/** A 2-D convolution with an OHWI filter; grouped when the filter has fewer input channels than x. */
export function conv2d(g: TfliteGraph, x: Tensor, filter: Tensor, bias: Tensor, w: Window, fused: number, out: number[], name: string): Tensor {
  const y = g.tensor(name, out);
  const grouped = filter.shape[3] !== x.shape[3];
  g.op('CONV_2D', [x, filter, bias], [y], [padding(w), i32(1, w.strides[1]), i32(2, w.strides[0]), i8(3, fused), i32(4, w.dilation[1], 1), i32(5, w.dilation[0], 1)], grouped ? 6 : 1);
  return y;
}

/** A depthwise convolution with a [1, kh, kw, channels * multiplier] filter. */
export function depthwiseConv2d(g: TfliteGraph, x: Tensor, filter: Tensor, bias: Tensor, w: Window, multiplier: number, fused: number, out: number[], name: string): Tensor {
  const y = g.tensor(name, out);
  const dilated = w.dilation.some((d) => d !== 1);
  g.op('DEPTHWISE_CONV_2D', [x, filter, bias], [y], [padding(w), i32(1, w.strides[1]), i32(2, w.strides[0]), i32(3, multiplier), i8(4, fused), i32(5, w.dilation[1], 1), i32(6, w.dilation[0], 1)], dilated ? 2 : 1);
  return y;
}

export function pool2d(g: TfliteGraph, op: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D', x: Tensor, size: number[], w: Window, out: number[], name: string): Tensor {
  const y = g.tensor(name, out);
  g.op(op, [x], [y], [padding(w), i32(1, w.strides[1]), i32(2, w.strides[0]), i32(3, size[1]), i32(4, size[0])]);
  return y;
}

/** The gradient of a convolution with an OHWI filter, producing `outputShape` (an int32 [4] tensor), plus bias. */
export function transposeConv(g: TfliteGraph, outputShape: Tensor, filter: Tensor, x: Tensor, bias: Tensor, w: Window, out: number[], name: string): Tensor {
  const y = g.tensor(name, out);
  g.op('TRANSPOSE_CONV', [outputShape, filter, x, bias], [y], [padding(w), i32(1, w.strides[1]), i32(2, w.strides[0])], 3);
  return y;
}
