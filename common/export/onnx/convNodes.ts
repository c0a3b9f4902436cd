/**
 * Convolutions and poolings in ONNX. Kiln's tensors are channels_last (as Keras's), ONNX's Conv
 * and pooling ops channels-first: each such layer transposes its input to NCHW (NCL) and its
 * result back, so every value between layers keeps Keras's layout (a Flatten after a conv then
 * flattens in Keras's NHWC order) and ONNX Runtime's transpose optimizer removes the pairs that
 * cancel. Kernels are rearranged into ONNX's layout when written, and 'same' padding becomes
 * explicit pads computed as TensorFlow does (the odd unit after).
 */
import type { Params } from '../../model/layers/index.js';
import type { Shape } from '../../model/ModelDoc.js';
import { activation } from './activationNodes.js';
import type { Emit, LayerScope } from './OnnxGraph.js';
import { int, ints, str } from './OnnxGraph.js';
import type { OnnxAttr } from './onnxProto.js';

/** Transposes row-major `data` of `shape` by `perm` (numpy's transpose). */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let i = 0; i < rank; i++) from += index[i] * strides[perm[i]];
    out[o] = data[from];
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i] < outShape[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

/** TensorFlow's padding of one axis as (before, after): 'same' pads for ceil(size / stride) outputs, the odd unit after. */
export function tfPadding(size: number, kernel: number, stride: number, dilation: number, padding: string): [number, number] {
  if (padding !== 'same') return [0, 0];
  const span = (kernel - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + span - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** ONNX's pads ([begins..., ends...]), or SAME_UPPER (TensorFlow's rule) where a spatial size is unknown. */
function padAttrs(x: Shape, kernel: number[], strides: number[], dilations: number[], padding: string): Record<string, OnnxAttr> {
  const sizes = x.slice(1, 1 + kernel.length);
  if (padding === 'same' && sizes.some((d) => d === null)) return { auto_pad: str('SAME_UPPER') };
  const pairs = kernel.map((k, i) => tfPadding(sizes[i] as number, k, strides[i], dilations[i], padding));
  return { pads: ints([...pairs.map((p) => p[0]), ...pairs.map((p) => p[1])]) };
}

const toFirst = (rank: number) => (rank === 3 ? [0, 2, 1] : [0, 3, 1, 2]);
const toLast = (rank: number) => (rank === 3 ? [0, 2, 1] : [0, 2, 3, 1]);

/** Runs `op` on x in channels-first layout and returns its result in channels-last. */
function channelsFirst(s: LayerScope, x: string, op: (first: string) => string): string {
  const rank = s.inputShapes[0].length;
  return s.transpose(op(s.transpose(x, toFirst(rank), 'to_channels_first')), toLast(rank), 'to_channels_last');
}

const nums = (p: Params, key: string) => p[key] as number[];

function withBias(s: LayerScope, inputs: string[], p: Params): string[] {
  return p.use_bias ? [...inputs, s.initializer('bias')] : inputs;
}

/** Conv1D / Conv2D: Keras's kernel (*k, C / groups, F) becomes ONNX's (F, C / groups, *k). */
const conv: Emit = (s, [x], p) => {
  const k = nums(p, 'kernel_size');
  const spatial = k.length;
  const kernel = s.weight('kernel');
  const w = s.constant('kernel', [kernel.shape[spatial + 1], kernel.shape[spatial], ...k], permute(kernel.data, kernel.shape, spatial === 1 ? [2, 1, 0] : [3, 2, 0, 1]));
  const strides = nums(p, 'strides');
  const dilations = nums(p, 'dilation_rate');
  // Causal: Keras pads (kernel_size - 1) * dilation_rate steps in front only.
  const pads = p.padding === 'causal' ? { pads: ints([(k[0] - 1) * dilations[0], 0]) } : padAttrs(s.inputShapes[0], k, strides, dilations, p.padding as string);
  const attrs = { kernel_shape: ints(k), strides: ints(strides), dilations: ints(dilations), group: int(p.groups as number), ...pads };
  const y = channelsFirst(s, x, (first) => s.node('Conv', 'conv', withBias(s, [first, w], p), attrs));
  return activation(s, y, p.activation as string | null);
};

/** A depthwise convolution: Keras's (kh, kw, C, M) kernel as ONNX's (C * M, 1, kh, kw), one group per channel. */
function depthwise(s: LayerScope, x: string, weight: string, p: Params, inputs: (first: string, w: string) => string[]): string {
  const kernel = s.weight(weight);
  const [kh, kw, c, m] = kernel.shape;
  // Output channel c * M + m, as in Keras: (kh, kw, C, M) read as (kh, kw, C * M), then channels first.
  const w = s.constant(weight, [c * m, 1, kh, kw], permute(kernel.data, [kh, kw, c * m], [2, 0, 1]));
  const strides = nums(p, 'strides');
  const dilations = nums(p, 'dilation_rate');
  const attrs = { kernel_shape: ints([kh, kw]), strides: ints(strides), dilations: ints(dilations), group: int(c), ...padAttrs(s.inputShapes[0], [kh, kw], strides, dilations, p.padding as string) };
  return s.node('Conv', 'depthwise', inputs(x, w), attrs);
}

const DepthwiseConv2D: Emit = (s, [x], p) => {
  const y = channelsFirst(s, x, (first) => depthwise(s, first, 'kernel', p, (a, w) => withBias(s, [a, w], p)));
  return activation(s, y, p.activation as string | null);
};

const SeparableConv2D: Emit = (s, [x], p) => {
  const y = channelsFirst(s, x, (first) => {
    const d = depthwise(s, first, 'depthwise_kernel', p, (a, w) => [a, w]);
    const pw = s.weight('pointwise_kernel');
    const w = s.constant('pointwise_kernel', [pw.shape[3], pw.shape[2], 1, 1], permute(pw.data, pw.shape, [3, 2, 0, 1]));
    return s.node('Conv', 'pointwise', withBias(s, [d, w], p), { kernel_shape: ints([1, 1]) });
  });
  return activation(s, y, p.activation as string | null);
};

/**
 * Conv2DTranspose: Keras's (kh, kw, F, C) kernel is ONNX ConvTranspose's (C, F, kh, kw). TF's
 * 'same' output (size * stride) crops the full output as the forward convolution pads it; where
 * the stride exceeds the kernel's span, output_padding adds the rows no kernel reaches.
 */
const Conv2DTranspose: Emit = (s, [x], p) => {
  const kernel = s.weight('kernel');
  const [kh, kw, f, c] = kernel.shape;
  const w = s.constant('kernel', [c, f, kh, kw], permute(kernel.data, kernel.shape, [3, 2, 0, 1]));
  const strides = nums(p, 'strides');
  const dilations = nums(p, 'dilation_rate');
  const spans = [kh, kw].map((k, i) => (k - 1) * dilations[i] + 1);
  const crop = spans.map((span, i) => (p.padding === 'same' ? Math.max(span - strides[i], 0) : 0));
  const attrs = {
    kernel_shape: ints([kh, kw]),
    strides: ints(strides),
    dilations: ints(dilations),
    pads: ints([...crop.map((t) => Math.floor(t / 2)), ...crop.map((t) => t - Math.floor(t / 2))]),
    output_padding: ints(spans.map((span, i) => Math.max(strides[i] - span, 0))),
  };
  const y = channelsFirst(s, x, (first) => s.node('ConvTranspose', 'conv_transpose', withBias(s, [first, w], p), attrs));
  return activation(s, y, p.activation as string | null);
};

/**
 * Max or average pooling; TensorFlow's average leaves the padding out of the count, as ONNX's
 * count_include_pad=0. Pools say auto_pad VALID or SAME_UPPER (TensorFlow's rules) rather than
 * explicit pads: ONNX Runtime 1.30's PadFusion folds a zero Pad (a ZeroPadding layer) into the
 * following pool unless it has auto_pad, which changes the result (the zeros become ignored
 * padding) or fails to load where the padding reaches the window's size.
 */
function pool(op: 'MaxPool' | 'AveragePool'): Emit {
  return (s, [x], p) => {
    const size = nums(p, 'pool_size');
    const strides = (p.strides ?? p.pool_size) as number[];
    const attrs = { kernel_shape: ints(size), strides: ints(strides), auto_pad: str(p.padding === 'same' ? 'SAME_UPPER' : 'VALID') };
    return channelsFirst(s, x, (first) => s.node(op, 'pool', [first], attrs));
  };
}

/** Global poolings reduce the spatial axes of the channels-last value directly. */
function globalPool(op: 'ReduceMean' | 'ReduceMax', axes: number[]): Emit {
  return (s, [x], p) => s.node(op, 'reduce', [x], { axes: ints(axes), keepdims: int(p.keepdims ? 1 : 0) });
}

export const CONV_NODES: Record<string, Emit> = {
  Conv1D: conv,
  Conv2D: conv,
  DepthwiseConv2D,
  SeparableConv2D,
  Conv2DTranspose,
  MaxPooling1D: pool('MaxPool'),
  MaxPooling2D: pool('MaxPool'),
  AveragePooling1D: pool('AveragePool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalMaxPooling1D: globalPool('ReduceMax', [1]),
  GlobalMaxPooling2D: globalPool('ReduceMax', [1, 2]),
  GlobalAveragePooling1D: globalPool('ReduceMean', [1]),
  GlobalAveragePooling2D: globalPool('ReduceMean', [1, 2]),
};
