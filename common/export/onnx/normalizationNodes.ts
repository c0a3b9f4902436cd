/**
 * Normalisation and preprocessing layers in ONNX, in inference form: BatchNormalization with its
 * moving statistics, LayerNormalization (opset 17's op), and Normalization and Rescaling with
 * their statistics and factors baked in as constants.
 */
import type { Params } from '../../model/layers/index.js';
import type { Emit, LayerScope } from './OnnxGraph.js';
import { float, int } from './OnnxGraph.js';

/** Keras's backend.epsilon(): Normalization divides by max(sqrt(variance), this). */
const KERAS_EPSILON = 1e-7;

const axisOf = (p: Params, rank: number) => ((p.axis as number) < 0 ? (p.axis as number) + rank : (p.axis as number));

/** gamma and beta, or constant ones / zeros where scale / center are off. */
function gammaBeta(s: LayerScope, p: Params, channels: number): [string, string] {
  const gamma = p.scale ? s.initializer('gamma') : s.constant('gamma', [channels], new Float32Array(channels).fill(1));
  const beta = p.center ? s.initializer('beta') : s.constant('beta', [channels], new Float32Array(channels));
  return [gamma, beta];
}

/** Applies `op` to x with axis `a` moved to `to` (1: ONNX's channel axis; rank - 1: the last), and moves it back. */
function withAxisAt(s: LayerScope, x: string, a: number, to: number, op: (moved: string) => string): string {
  const rank = s.inputShapes[0].length;
  if (a === to) return op(x);
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== a);
  const perm = [...rest.slice(0, to), a, ...rest.slice(to)];
  return s.transpose(op(s.transpose(x, perm, 'move_axis')), perm.map((_, i) => perm.indexOf(i)), 'restore_axis');
}

const BatchNormalization: Emit = (s, [x], p) => {
  const shape = s.inputShapes[0];
  const a = axisOf(p, shape.length);
  const [gamma, beta] = gammaBeta(s, p, shape[a] as number);
  const stats = [s.initializer('moving_mean'), s.initializer('moving_variance')];
  return withAxisAt(s, x, a, 1, (moved) => s.node('BatchNormalization', 'batch_norm', [moved, gamma, beta, ...stats], { epsilon: float(p.epsilon as number), training_mode: int(0) }));
};

const LayerNormalization: Emit = (s, [x], p) => {
  const shape = s.inputShapes[0];
  const a = axisOf(p, shape.length);
  const channels = shape[a] as number;
  const scale = p.scale ? s.initializer('gamma') : s.constant('gamma', [channels], new Float32Array(channels).fill(1));
  const inputs = p.center ? [scale, s.initializer('beta')] : [scale];
  return withAxisAt(s, x, a, shape.length - 1, (moved) => s.node('LayerNormalization', 'layer_norm', [moved, ...inputs], { axis: int(-1), epsilon: float(p.epsilon as number) }));
}

/** A per-channel vector for axis `a` of a rank-`rank` value, shaped to broadcast: [C, 1, ...] or a scalar. */
function broadcastDims(values: Float32Array, a: number | null, rank: number): number[] {
  if (a === null || values.length === 1) return [];
  return [values.length, ...new Array<number>(rank - 1 - a).fill(1)];
}

const asArray = (v: number | number[], n: number): Float32Array => Float32Array.from(typeof v === 'number' || v.length === 1 ? new Array<number>(n).fill(typeof v === 'number' ? v : v[0]) : v);

/** Keras's Normalization: (x - mean) / max(sqrt(variance), 1e-7), or with invert mean + x * that. */
const Normalization: Emit = (s, [x], p) => {
  const rank = s.inputShapes[0].length;
  const a = p.axis === null ? null : axisOf(p, rank);
  let mean: Float32Array;
  let variance: Float32Array;
  if (p.mean !== null) {
    const n = Array.isArray(p.mean) ? p.mean.length : Array.isArray(p.variance) ? p.variance.length : 1;
    mean = asArray(p.mean as number | number[], n);
    variance = asArray(p.variance as number | number[], n);
  } else {
    mean = s.weight('mean').data;
    variance = s.weight('variance').data;
  }
  const std = variance.map((v) => Math.max(Math.sqrt(v), KERAS_EPSILON));
  const m = s.constant('mean', broadcastDims(mean, a, rank), mean);
  const d = s.constant('std', broadcastDims(std, a, rank), std);
  if (p.invert) return s.node('Add', 'inverted', [m, s.node('Mul', 'scaled', [x, d])]);
  return s.node('Div', 'normalized', [s.node('Sub', 'centered', [x, m]), d]);
};

/** x * scale + offset, with one factor or one per channel (last axis). */
const Rescaling: Emit = (s, [x], p) => {
  const factor = (v: number | number[]) => (typeof v === 'number' ? [v] : v);
  const scale = factor(p.scale as number | number[]);
  const offset = factor(p.offset as number | number[]);
  const dims = (v: number[]) => (v.length === 1 ? [] : [v.length]);
  const scaled = scale.length === 1 && scale[0] === 1 ? x : s.node('Mul', 'scaled', [x, s.constant('scale', dims(scale), scale)]);
  if (offset.every((o) => o === 0)) return scaled;
  return s.node('Add', 'offset_added', [scaled, s.constant('offset', dims(offset), offset)]);
};

export const NORMALIZATION_NODES: Record<string, Emit> = { BatchNormalization, LayerNormalization, Normalization, Rescaling };
