/**
 * Convolution layers: Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, with
 * Keras 3's parameters, defaults, weights and output sizes (channels_last only). Also the window
 * geometry shared with the pooling and reshaping layers.
 */
import { formatShape, type Shape } from '../ModelDoc.js';
import { kernelAndBias } from './core.js';
import type { LayerDef, ParamSpec, Params, Problem, WeightSpec } from './types.js';

type Regularizer = { l1?: number; l2?: number } | null;

/** Keras's data_format: only channels_last is supported (checked by `channelsLast`). */
export const DATA_FORMAT: ParamSpec = { kind: 'enum', default: null, options: ['channels_last', 'channels_first'], nullable: true };

/** A problem when the layer asks for channels_first, which Kiln does not support. */
export function channelsLast(p: Params): Problem | null {
  if (p.data_format !== 'channels_first') return null;
  return { problem: "has data_format 'channels_first', which Kiln does not support: Kiln keeps the channels on the last axis; set data_format to 'channels_last' (or leave it unset) and give it (batch, ..., channels) inputs" };
}

const AXES: Record<number, string> = { 1: '(batch, steps, channels)', 2: '(batch, height, width, channels)' };
const SPATIAL_NAMES: Record<number, string> = { 1: 'steps', 2: 'height x width' };

/**
 * A problem unless x has rank spatial + 2, with a fix in the user's terms: a Reshape adding a
 * channel axis when one is missing, the other variant of the layer (`other`) when the rank is off.
 */
export function needsRank(x: Shape, spatial: 1 | 2, other?: string): Problem | null {
  const rank = spatial + 2;
  if (x.length === rank) return null;
  const head = `needs a ${rank}-D input ${AXES[spatial]} but receives ${formatShape(x)}`;
  if (x.length === rank - 1 && x.slice(1).every((d) => d !== null)) return { problem: `${head}: add a Reshape to ${formatShape([...x.slice(1), 1])} before it` };
  const reshape = `add a Reshape to ${AXES[spatial].replace('batch, ', '')} before it`;
  // `other` is the variant of the layer for the other number of spatial axes (Conv1D <-> Conv2D).
  if (other && x.length === 5 - spatial) return { problem: `${head}: use ${other} for ${AXES[3 - spatial]} inputs, or ${reshape}` };
  return { problem: `${head}: ${reshape}` };
}

/** "5x5" for sizes per spatial axis. */
export const dims = (v: readonly (number | null)[]): string => v.map((d) => (d === null ? '?' : String(d))).join('x');

/**
 * Output lengths of a sliding window over the spatial axes of x (TensorFlow's geometry, as Keras):
 * 'same' gives ceil(in / stride), 'valid' (in - span) / stride + 1. A problem when a 'valid'
 * window does not fit; `what` names the window ("kernel", "pool window").
 */
export function windowOutput(x: Shape, size: number[], strides: number[], dilation: number[], padding: string, what: string): (number | null)[] | Problem {
  const spatial = size.length;
  const inp = x.slice(1, 1 + spatial);
  const span = size.map((k, i) => (k - 1) * dilation[i] + 1);
  if (padding === 'valid' && inp.some((d, i) => d !== null && d < span[i])) {
    const dilated = span.some((s, i) => s !== size[i]) ? ` (spanning ${dims(span)} with dilation_rate ${dims(dilation)})` : '';
    return { problem: `has a ${dims(size)} ${what}${dilated} but its input is only ${dims(inp)} (${SPATIAL_NAMES[spatial]}) with padding 'valid': use a smaller ${what === 'kernel' ? 'kernel_size' : 'pool_size'}, padding 'same', or a larger input` };
  }
  return inp.map((d, i) => (d === null ? null : padding === 'valid' ? Math.floor((d - span[i]) / strides[i]) + 1 : Math.ceil(d / strides[i])));
}

const known = (v: (number | null)[]): number => v.reduce<number>((a, d) => a * (d ?? 1), 1);

const padding = (options: string[]): ParamSpec => ({ kind: 'enum', default: 'valid', options });
const tuple = (length: number, def: number[] | null): ParamSpec => ({ kind: 'tuple', default: def, length });

/** Keras's parameters of a convolution over `spatial` axes (Conv1D, Conv2D). */
function convParams(spatial: 1 | 2): Record<string, ParamSpec> {
  const ones = new Array<number>(spatial).fill(1);
  return {
    filters: { kind: 'int', default: null, min: 1, max: 1 << 16 },
    kernel_size: tuple(spatial, null),
    strides: tuple(spatial, ones),
    padding: padding(spatial === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same']),
    data_format: DATA_FORMAT,
    dilation_rate: tuple(spatial, ones),
    groups: { kind: 'int', default: 1, min: 1 },
    activation: { kind: 'activation', default: null },
    use_bias: { kind: 'bool', default: true },
    kernel_initializer: { kind: 'initializer', default: 'glorot_uniform' },
    bias_initializer: { kind: 'initializer', default: 'zeros' },
    kernel_regularizer: { kind: 'regularizer', default: null },
  };
}


/** Keras rejects strides > 1 together with dilation_rate > 1. */
function stridesAndDilation(p: Params): Problem | null {
  const s = p.strides as number[];
  const d = p.dilation_rate as number[];
  if (Math.max(...s) > 1 && Math.max(...d) > 1) {
    return { problem: `has strides ${dims(s)} and dilation_rate ${dims(d)}, but Keras cannot combine strides above 1 with dilation_rate above 1: set one of them to 1` };
  }
  return null;
}

/** Checks common to every convolution: data format, rank, strides with dilation, known channels. */
function convInput(x: Shape, p: Params, spatial: 1 | 2, other?: string): Problem | number {
  const bad = channelsLast(p) ?? needsRank(x, spatial, other) ?? stridesAndDilation(p);
  if (bad) return bad;
  const c = x.at(-1);
  if (c === null || c === undefined) return { problem: `needs a known number of channels on the last axis but receives ${formatShape(x)}` };
  return c;
}

function makeConv(spatial: 1 | 2): LayerDef {
  const type = `Conv${spatial}D`;
  return {
    type,
    category: 'Convolution',
    description: spatial === 1
      ? 'A 1-D convolution over steps (batch, steps, channels): `filters` kernels of `kernel_size` steps.'
      : 'A 2-D convolution over images (batch, height, width, channels): `filters` kernels of `kernel_size`.',
    params: convParams(spatial),
    inputs: 1,
    shape([x], p) {
      const c = convInput(x, p, spatial, spatial === 1 ? 'Conv2D' : 'Conv1D');
      if (typeof c !== 'number') return c;
      const filters = p.filters as number;
      const groups = p.groups as number;
      if (c % groups !== 0) return { problem: `has groups=${groups} but its input has ${c} channels: the channels must split evenly into the groups` };
      if (filters % groups !== 0) return { problem: `has filters=${filters} and groups=${groups}: the filters must split evenly into the groups` };
      const ks = p.kernel_size as number[];
      const dil = p.dilation_rate as number[];
      if (p.padding === 'causal') {
        // Keras pads (kernel_size - 1) * dilation_rate steps in front, then convolves 'valid'.
        const steps = x[1];
        return [null, steps === null ? null : Math.floor((steps - 1) / (p.strides as number[])[0]) + 1, filters];
      }
      const out = windowOutput(x, ks, p.strides as number[], dil, p.padding as string, 'kernel');
      return 'problem' in out ? out : [null, ...out, filters];
    },
    weights: ([x], p) => kernelAndBias(p, [...(p.kernel_size as number[]), (x.at(-1) as number) / (p.groups as number), p.filters as number], p.filters as number),
    flops: ([x], out, p) => 2 * known(out.slice(1, -1)) * (p.filters as number) * known(p.kernel_size as number[]) * ((x.at(-1) as number) / (p.groups as number)),
    lower(ctx, [x], p) {
      let y: string;
      if (spatial === 1) {
        let input = x;
        let pad = p.padding as string;
        if (pad === 'causal') {
          const left = (p.dilation_rate as number[])[0] * ((p.kernel_size as number[])[0] - 1);
          input = ctx.node('pad', 'causal_pad', [x], { pads: [0, 0, left, 0, 0, 0] });
          pad = 'valid';
        }
        y = ctx.node('conv1d', 'conv1d', [input, ctx.weight('kernel')], { stride: (p.strides as number[])[0], padding: pad, dilation: (p.dilation_rate as number[])[0], groups: p.groups as number });
      } else {
        y = ctx.node('conv2d', 'conv2d', [x, ctx.weight('kernel')], { strides: p.strides as number[], padding: p.padding as string, dilations: p.dilation_rate as number[], groups: p.groups as number });
      }
      if (p.use_bias) y = ctx.node('bias_add', 'bias_add', [y, ctx.weight('bias')]);
      return ctx.activation(y, p.activation as string | null);
    },
  };
}

export const Conv1D = makeConv(1);
export const Conv2D = makeConv(2);

function regularized(name: string, shape: number[], init: Params[string], reg: Regularizer): WeightSpec {
  return { name, shape, trainable: true, init: init as WeightSpec['init'], l1: reg?.l1, l2: reg?.l2 };
}

/** A depthwise convolution of x (C channels) with a Keras (kh, kw, C, multiplier) kernel, as a grouped conv2d. */
function depthwise(ctx: Parameters<LayerDef['lower']>[0], x: string, kernel: string, p: Params): string {
  const c = ctx.inputShapes[0].at(-1) as number;
  const [kh, kw] = p.kernel_size as number[];
  const mult = p.depth_multiplier as number;
  // (kh, kw, C, mult) and (kh, kw, 1, C * mult) share one memory order: output channel c * mult + m.
  const k = ctx.node('reshape', 'depthwise_kernel_hwio', [kernel], { shape: [kh, kw, 1, c * mult] });
  return ctx.node('conv2d', 'depthwise', [x, k], { strides: p.strides as number[], padding: p.padding as string, dilations: p.dilation_rate as number[], groups: c });
}

const DEPTHWISE_PARAMS: Record<string, ParamSpec> = {
  kernel_size: tuple(2, null),
  strides: tuple(2, [1, 1]),
  padding: padding(['valid', 'same']),
  depth_multiplier: { kind: 'int', default: 1, min: 1, max: 1 << 12 },
  data_format: DATA_FORMAT,
  dilation_rate: tuple(2, [1, 1]),
  activation: { kind: 'activation', default: null },
  use_bias: { kind: 'bool', default: true },
  depthwise_initializer: { kind: 'initializer', default: 'glorot_uniform' },
  bias_initializer: { kind: 'initializer', default: 'zeros' },
  depthwise_regularizer: { kind: 'regularizer', default: null },
};

/** Output shape of the depthwise stage: (batch, h', w', C * depth_multiplier). */
function depthwiseShape(x: Shape, p: Params): Shape | Problem {
  const c = convInput(x, p, 2);
  if (typeof c !== 'number') return c;
  const out = windowOutput(x, p.kernel_size as number[], p.strides as number[], p.dilation_rate as number[], p.padding as string, 'kernel');
  return 'problem' in out ? out : [null, ...out, c * (p.depth_multiplier as number)];
}

export const DepthwiseConv2D: LayerDef = {
  type: 'DepthwiseConv2D',
  category: 'Convolution',
  description: 'Convolves each input channel with its own `depth_multiplier` kernels of `kernel_size` (no mixing across channels).',
  params: DEPTHWISE_PARAMS,
  inputs: 1,
  shape: ([x], p) => depthwiseShape(x, p),
  weights([x], p) {
    const c = x.at(-1) as number;
    const mult = p.depth_multiplier as number;
    // Keras 3 names this weight `kernel` (<layer>/kernel), shaped (kh, kw, C, depth_multiplier).
    const out = [regularized('kernel', [...(p.kernel_size as number[]), c, mult], p.depthwise_initializer, p.depthwise_regularizer as Regularizer)];
    if (p.use_bias) out.push({ name: 'bias', shape: [c * mult], trainable: true, init: p.bias_initializer as WeightSpec['init'] });
    return out;
  },
  flops: (_, out, p) => 2 * known(out.slice(1)) * known(p.kernel_size as number[]),
  lower(ctx, [x], p) {
    let y = depthwise(ctx, x, ctx.weight('kernel'), p);
    if (p.use_bias) y = ctx.node('bias_add', 'bias_add', [y, ctx.weight('bias')]);
    return ctx.activation(y, p.activation as string | null);
  },
};

export const SeparableConv2D: LayerDef = {
  type: 'SeparableConv2D',
  category: 'Convolution',
  description: 'A depthwise convolution per channel followed by a 1x1 convolution mixing the channels into `filters` outputs.',
  params: {
    filters: { kind: 'int', default: null, min: 1, max: 1 << 16 },
    kernel_size: tuple(2, null),
    strides: tuple(2, [1, 1]),
    padding: padding(['valid', 'same']),
    data_format: DATA_FORMAT,
    dilation_rate: tuple(2, [1, 1]),
    depth_multiplier: { kind: 'int', default: 1, min: 1, max: 1 << 12 },
    activation: { kind: 'activation', default: null },
    use_bias: { kind: 'bool', default: true },
    depthwise_initializer: { kind: 'initializer', default: 'glorot_uniform' },
    pointwise_initializer: { kind: 'initializer', default: 'glorot_uniform' },
    bias_initializer: { kind: 'initializer', default: 'zeros' },
    depthwise_regularizer: { kind: 'regularizer', default: null },
    pointwise_regularizer: { kind: 'regularizer', default: null },
  },
  inputs: 1,
  shape([x], p) {
    const y = depthwiseShape(x, p);
    return 'problem' in y ? y : [...y.slice(0, -1), p.filters as number];
  },
  weights([x], p) {
    const cm = (x.at(-1) as number) * (p.depth_multiplier as number);
    const filters = p.filters as number;
    const out = [
      regularized('depthwise_kernel', [...(p.kernel_size as number[]), x.at(-1) as number, p.depth_multiplier as number], p.depthwise_initializer, p.depthwise_regularizer as Regularizer),
      regularized('pointwise_kernel', [1, 1, cm, filters], p.pointwise_initializer, p.pointwise_regularizer as Regularizer),
    ];
    if (p.use_bias) out.push({ name: 'bias', shape: [filters], trainable: true, init: p.bias_initializer as WeightSpec['init'] });
    return out;
  },
  flops([x], out, p) {
    const positions = known(out.slice(1, -1));
    const cm = (x.at(-1) as number) * (p.depth_multiplier as number);
    return 2 * positions * cm * (known(p.kernel_size as number[]) + (p.filters as number));
  },
  lower(ctx, [x], p) {
    const d = depthwise(ctx, x, ctx.weight('depthwise_kernel'), p);
    let y = ctx.node('conv2d', 'pointwise', [d, ctx.weight('pointwise_kernel')], { strides: [1, 1], padding: 'valid', dilations: [1, 1], groups: 1 });
    if (p.use_bias) y = ctx.node('bias_add', 'bias_add', [y, ctx.weight('bias')]);
    return ctx.activation(y, p.activation as string | null);
  },
};

/** Keras's transposed-convolution length along one axis (output_padding None). */
function transposedLength(n: number | null, k: number, s: number, d: number, pad: string): number | null {
  if (n === null) return null;
  const span = (k - 1) * d + 1;
  return pad === 'valid' ? (n - 1) * s + span + Math.max(span, s) - span : n * s;
}

export const Conv2DTranspose: LayerDef = {
  type: 'Conv2DTranspose',
  category: 'Convolution',
  description: 'A transposed (fractionally strided) 2-D convolution: upsamples images by `strides`, producing `filters` channels.',
  params: {
    filters: { kind: 'int', default: null, min: 1, max: 1 << 16 },
    kernel_size: tuple(2, null),
    strides: tuple(2, [1, 1]),
    padding: padding(['valid', 'same']),
    output_padding: { kind: 'tuple', default: null, length: 2, min: 0, nullable: true },
    data_format: DATA_FORMAT,
    dilation_rate: tuple(2, [1, 1]),
    activation: { kind: 'activation', default: null },
    use_bias: { kind: 'bool', default: true },
    kernel_initializer: { kind: 'initializer', default: 'glorot_uniform' },
    bias_initializer: { kind: 'initializer', default: 'zeros' },
    kernel_regularizer: { kind: 'regularizer', default: null },
  },
  inputs: 1,
  shape([x], p) {
    const c = convInput(x, p, 2);
    if (typeof c !== 'number') return c;
    if (p.output_padding !== null) return { problem: `has output_padding ${dims(p.output_padding as number[])}, which Kiln does not support yet: leave output_padding unset (None) and choose padding 'same' or 'valid' for the output size` };
    const ks = p.kernel_size as number[];
    const s = p.strides as number[];
    const d = p.dilation_rate as number[];
    return [null, ...[0, 1].map((i) => transposedLength(x[1 + i], ks[i], s[i], d[i], p.padding as string)), p.filters as number];
  },
  // Keras's kernel is (kh, kw, filters, in_channels): the HWIO kernel of the forward convolution it transposes.
  weights: ([x], p) => kernelAndBias(p, [...(p.kernel_size as number[]), p.filters as number, x.at(-1) as number], p.filters as number),
  flops: ([x], _, p) => 2 * known(x.slice(1)) * known(p.kernel_size as number[]) * (p.filters as number),
  lower(ctx, [x], p) {
    const input_shape = [-1, ...(ctx.outputShape.slice(1) as number[])];
    let y = ctx.node('conv2d_backprop_input', 'conv2d_transpose', [x, ctx.weight('kernel')], { strides: p.strides as number[], padding: p.padding as string, dilations: p.dilation_rate as number[], groups: 1, input_shape });
    if (p.use_bias) y = ctx.node('bias_add', 'bias_add', [y, ctx.weight('bias')]);
    return ctx.activation(y, p.activation as string | null);
  },
};

export const CONVOLUTION_LAYERS: LayerDef[] = [Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose];
