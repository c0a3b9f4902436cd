/**
 * How each catalogue layer is written in TF.js's layers format (the Keras 2 config that
 * tf.loadLayersModel reads, and tfjs-layers' weight names), or why TF.js cannot run it. Layers
 * TF.js lacks but whose inference form it can compute are written as that form: training-only
 * layers (SpatialDropout2D, the Random* augmentations) as a linear Activation, and Normalization
 * and per-channel Rescaling as a BatchNormalization whose statistics do the same arithmetic.
 */
import type { LayerInfo } from '../../model/analyzeModel.js';
import type { Params } from '../../model/layers/index.js';
import { formatShape } from '../../model/ModelDoc.js';

export interface TfjsWeight {
  /** `<layer>/<weight>`, the name tfjs-layers gives the variable. */
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A trained weight of the layer (Keras's name), checked against the shape the model needs. */
export type WeightSource = (name: string) => { data: Float32Array; shape: number[] };

export interface TfjsLayer {
  className: string;
  /** Keras's config keys (snake_case), without name, trainable and dtype. */
  config: Record<string, unknown>;
  weights(source: WeightSource): TfjsWeight[];
}

type Convert = (info: LayerInfo) => TfjsLayer | { problem: string };

/** Keras activation -> TF.js's; the ones TF.js lacks say why. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', softmax: 'softmax', tanh: 'tanh', elu: 'elu', selu: 'selu',
  softplus: 'softplus', softsign: 'softsign', gelu: 'gelu', log_softmax: 'log_softmax', silu: 'swish', swish: 'swish',
};
const MISSING_ACTIVATIONS: Record<string, string> = {
  hard_sigmoid: "TF.js's hard_sigmoid is Keras 2's (0.2 x + 0.5), not Keras 3's (x / 6 + 0.5), so it would compute something else: use sigmoid",
  exponential: 'TF.js has no exponential activation',
  leaky_relu: 'TF.js has no leaky_relu activation: set the activation to linear and add a LeakyReLU layer after it',
};

const asProblem = (problem: string) => ({ problem });

/** TF.js's name for a Keras activation, or the problem. */
function activation(p: Params): string | { problem: string } {
  const a = (p.activation as string | null) ?? 'linear';
  return ACTIVATIONS[a] ?? asProblem(MISSING_ACTIVATIONS[a] ?? `TF.js has no ${a} activation`);
}

/** Weights kept under their Keras names, in order; `rename` maps Kiln's name to tfjs-layers' where they differ. */
function named(info: LayerInfo, rename: Record<string, string> = {}): TfjsLayer['weights'] {
  return (source) => info.weights.map((w) => ({ name: `${info.layer.name}/${rename[w.name] ?? w.name}`, ...source(w.name) }));
}

function layer(className: string, config: Record<string, unknown>, weights: TfjsLayer['weights'] = () => []): TfjsLayer {
  return { className, config, weights };
}

/** A layer with an activation parameter, refused when TF.js lacks that activation. */
function activated(info: LayerInfo, className: string, config: Record<string, unknown>, rename?: Record<string, string>): TfjsLayer | { problem: string } {
  const a = activation(info.params);
  return typeof a === 'string' ? layer(className, { ...config, activation: a }, named(info, rename)) : a;
}

const pick = (p: Params, keys: string[]) => Object.fromEntries(keys.map((k) => [k, p[k]]));

/** Inference is the identity: a linear Activation keeps the layer (and its name) in the graph. */
const identity: Convert = () => layer('Activation', { activation: 'linear' });

const noDilation = (p: Params, what: string): string | null =>
  (p.dilation_rate as number[]).some((d) => d > 1) ? `TF.js's ${what} ignores dilation_rate: set dilation_rate to 1` : null;

/** BatchNormalization's epsilon for the stand-ins: 1 - 2^-10 + 2^-10 is exactly 1 in float32, so sqrt(variance + epsilon) is 1. */
const UNIT_EPSILON = 2 ** -10;

/**
 * y = (x - mean) * gamma + beta, per channel of `axis`, as an inference-form BatchNormalization
 * (moving variance 1 - epsilon). TF.js runs BatchNormalization on inputs of rank 2 to 4.
 */
function affine(info: LayerInfo, axis: number, values: (source: WeightSource) => { mean: Float32Array; gamma: Float32Array; beta: Float32Array }): TfjsLayer | { problem: string } {
  const bad = batchNormProblem(info, axis);
  if (bad) return asProblem(`TF.js can only express ${info.layer.type} as a BatchNormalization, and ${bad}`);
  const name = info.layer.name;
  return layer('BatchNormalization', { axis, momentum: 0.99, epsilon: UNIT_EPSILON, center: true, scale: true }, (source) => {
    const { mean, gamma, beta } = values(source);
    const c = mean.length;
    return [
      { name: `${name}/gamma`, shape: [c], data: gamma },
      { name: `${name}/beta`, shape: [c], data: beta },
      { name: `${name}/moving_mean`, shape: [c], data: mean },
      { name: `${name}/moving_variance`, shape: [c], data: new Float32Array(c).fill(1 - UNIT_EPSILON) },
    ];
  });
}

/**
 * What keeps TF.js from running a BatchNormalization over `axis`: tfjs-layers handles ranks 2 to
 * 4 only, and the CPU backend's batchNorm kernel cycles its statistics along the last axis, so
 * over any other axis it computes something else (seen in tfjs 4.22).
 */
function batchNormProblem(info: LayerInfo, axis: number): string | null {
  const rank = info.shape.length;
  if (rank < 2 || rank > 4) return `TF.js runs BatchNormalization on inputs of rank 2 to 4, but this one receives ${formatShape(info.shape)}`;
  if (axis !== -1 && axis !== rank - 1) return `TF.js's CPU backend normalises BatchNormalization correctly only over the last axis, but this one normalises axis ${axis} of ${formatShape(info.shape)}: use axis -1`;
  return null;
}

/** A number or list as `n` per-channel values. */
function perChannel(v: number | number[], n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (typeof v === 'number' ? v : v.length === 1 ? v[0] : v[i]));
}

/** Keras's Normalization: (x - mean) / max(sqrt(variance), 1e-7); with invert, mean + x * that. */
const Normalization: Convert = (info) => {
  const p = info.params;
  const rank = info.shape.length;
  const axis = p.axis === null ? rank - 1 : (p.axis as number) < 0 ? (p.axis as number) + rank : (p.axis as number);
  const c = info.shape[axis] as number;
  return affine(info, axis, (source) => {
    const mean = p.mean === null ? perChannel(Array.from(source('mean').data), c) : perChannel(p.mean as number | number[], c);
    const variance = p.variance === null ? perChannel(Array.from(source('variance').data), c) : perChannel(p.variance as number | number[], c);
    const std = variance.map((v) => Math.max(Math.sqrt(v), 1e-7));
    if (p.invert) return { mean: new Float32Array(c), gamma: std, beta: mean };
    return { mean, gamma: std.map((s) => 1 / s), beta: new Float32Array(c) };
  });
};

const Rescaling: Convert = (info) => {
  const p = info.params;
  const scalar = (v: unknown) => typeof v === 'number' || (v as number[]).length === 1;
  if (scalar(p.scale) && scalar(p.offset)) {
    const one = (v: unknown) => (typeof v === 'number' ? v : (v as number[])[0]);
    return layer('Rescaling', { scale: one(p.scale), offset: one(p.offset) });
  }
  const c = info.shape.at(-1) as number;
  return affine(info, -1, () => ({ mean: new Float32Array(c), gamma: perChannel(p.scale as number | number[], c), beta: perChannel(p.offset as number | number[], c) }));
};

const ReLU: Convert = (info) => {
  const max = info.params.max_value as number | null;
  const slope = info.params.negative_slope as number;
  const threshold = info.params.threshold as number;
  if (threshold === 0 && slope === 0) return layer('ReLU', { max_value: max });
  if (threshold === 0 && max === null) return layer('LeakyReLU', { alpha: slope });
  if (slope === 0 && max === null) return layer('ThresholdedReLU', { theta: threshold });
  return asProblem('TF.js has no ReLU that combines threshold, max_value and negative_slope: keep at most one of them away from its default');
};

const conv = (what: string): Convert => (info) => {
  const p = info.params;
  if ((p.groups as number) > 1) return asProblem(`TF.js's ${what} has no groups: set groups to 1`);
  if (p.padding === 'causal') return asProblem(`TF.js's ${what} cannot run padding 'causal' (tfjs-layers has not implemented it): use padding 'valid' or 'same'`);
  return activated(info, what, { ...pick(p, ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'use_bias']), data_format: 'channels_last' });
};

const pool = (className: string): Convert => ({ params: p }) => layer(className, { pool_size: p.pool_size, strides: p.strides ?? p.pool_size, padding: p.padding, data_format: 'channels_last' });

const globalPool = (className: string): Convert => ({ params: p }) =>
  p.keepdims ? asProblem(`TF.js's ${className} has no keepdims: turn keepdims off and add a Reshape after it`) : layer(className, { data_format: 'channels_last' });

const missing = (type: string, fix: string): Convert => () => asProblem(`TF.js has no ${type} layer: ${fix}`);

const merge = (className: string): Convert => () => layer(className, {});

export const TFJS_LAYERS: Record<string, Convert> = {
  Dense: (info) => activated(info, 'Dense', pick(info.params, ['units', 'use_bias'])),
  Activation: (info) => (info.params.activation === 'leaky_relu' ? layer('LeakyReLU', { alpha: 0.2 }) : activated(info, 'Activation', {})),
  Flatten: () => layer('Flatten', { data_format: 'channels_last' }),
  Dropout: ({ params: p }) => layer('Dropout', { rate: p.rate }),
  SpatialDropout1D: ({ params: p }) => layer('SpatialDropout1D', { rate: p.rate }),
  GaussianNoise: ({ params: p }) => layer('GaussianNoise', { stddev: p.stddev }),
  SpatialDropout2D: identity,
  RandomFlip: identity,
  RandomTranslation: identity,
  RandomRotation: identity,
  RandomZoom: identity,
  RandomBrightness: identity,
  RandomContrast: identity,
  Conv1D: conv('Conv1D'),
  Conv2D: conv('Conv2D'),
  DepthwiseConv2D: (info) => {
    const p = info.params;
    const bad = noDilation(p, 'DepthwiseConv2D');
    return bad ? asProblem(bad) : activated(info, 'DepthwiseConv2D', { ...pick(p, ['kernel_size', 'strides', 'padding', 'depth_multiplier', 'use_bias']), data_format: 'channels_last' }, { kernel: 'depthwise_kernel' });
  },
  SeparableConv2D: (info) => activated(info, 'SeparableConv2D', { ...pick(info.params, ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'depth_multiplier', 'use_bias']), data_format: 'channels_last' }),
  Conv2DTranspose: (info) => {
    const p = info.params;
    const bad = noDilation(p, 'Conv2DTranspose');
    return bad ? asProblem(bad) : activated(info, 'Conv2DTranspose', { ...pick(p, ['filters', 'kernel_size', 'strides', 'padding', 'use_bias']), data_format: 'channels_last' });
  },
  MaxPooling1D: pool('MaxPooling1D'),
  MaxPooling2D: pool('MaxPooling2D'),
  AveragePooling1D: pool('AveragePooling1D'),
  AveragePooling2D: pool('AveragePooling2D'),
  GlobalMaxPooling1D: globalPool('GlobalMaxPooling1D'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPooling2D'),
  GlobalAveragePooling1D: globalPool('GlobalAveragePooling1D'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePooling2D'),
  // The inferred size written out: TF.js leaves a -1 unknown, and a Flatten after it then fails.
  Reshape: ({ params: p, shape }) => layer('Reshape', { target_shape: shape.every((d, i) => i === 0 || d !== null) ? shape.slice(1) : p.target_shape }),
  Permute: ({ params: p }) => layer('Permute', { dims: p.dims }),
  RepeatVector: ({ params: p }) => layer('RepeatVector', { n: p.n }),
  ZeroPadding1D: missing('ZeroPadding1D', 'add a Reshape to (steps, 1, channels), a ZeroPadding2D and a Reshape back'),
  ZeroPadding2D: ({ params: p }) => layer('ZeroPadding2D', { padding: p.padding, data_format: 'channels_last' }),
  Cropping2D: ({ params: p }) => layer('Cropping2D', { cropping: p.cropping, data_format: 'channels_last' }),
  UpSampling1D: missing('UpSampling1D', 'add a Reshape to (steps, 1, channels), an UpSampling2D with size (n, 1) and a Reshape back'),
  UpSampling2D: ({ params: p }) => layer('UpSampling2D', { size: p.size, interpolation: 'nearest', data_format: 'channels_last' }),
  BatchNormalization: (info) => {
    const bad = batchNormProblem(info, info.params.axis as number);
    return bad ? asProblem(bad) : layer('BatchNormalization', pick(info.params, ['axis', 'momentum', 'epsilon', 'center', 'scale']), named(info));
  },
  LayerNormalization: (info) => layer('LayerNormalization', pick(info.params, ['axis', 'epsilon', 'center', 'scale']), named(info)),
  ReLU,
  LeakyReLU: ({ params: p }) => layer('LeakyReLU', { alpha: p.negative_slope }),
  ELU: ({ params: p }) => (p.alpha === 1 ? layer('ELU', { alpha: 1 }) : asProblem(`TF.js's ELU supports only alpha 1, not ${p.alpha as number}: set alpha to 1`)),
  PReLU: (info) => layer('PReLU', { shared_axes: info.params.shared_axes }, named(info)),
  Softmax: ({ params: p }) => layer('Softmax', { axis: p.axis }),
  Add: merge('Add'),
  Multiply: merge('Multiply'),
  Average: merge('Average'),
  Maximum: merge('Maximum'),
  Minimum: merge('Minimum'),
  Subtract: missing('Subtract', 'multiply the second input by -1 (a Rescaling with scale -1) and use Add'),
  Concatenate: ({ params: p }) => layer('Concatenate', { axis: p.axis }),
  Embedding: (info) => layer('Embedding', { ...pick(info.params, ['input_dim', 'output_dim']), mask_zero: false }, named(info)),
  Rescaling,
  Normalization,
};
