/**
 * Convolution layers as TensorFlow ops, NHWC throughout. Where TensorFlow's CPU kernels lack a
 * feature (grouped Conv2D, which Keras runs through XLA on CPU; dilated DepthwiseConv2dNative and
 * Conv2DBackpropInput without oneDNN, as in TF Serving), the layer is written with ops that every
 * build runs: one convolution per group, TensorFlow's own space-to-batch form, a flipped forward
 * convolution.
 */
import { activation } from './activations.js';
import { ints, op, type LayerCtx, type LayerEmitter } from './LayerEmitter.js';

const PADDING: Record<string, string> = { same: 'SAME', valid: 'VALID' };

/** Conv2D over NHWC x with an HWIO kernel, as `groups` independent convolutions when groups > 1. */
function conv2d(ctx: LayerCtx, x: string, kernel: string, strides: number[], padding: string, dilations: number[], groups: number): string {
  const attrs = { strides: { ints: strides }, padding: { s: padding }, ...(dilations.some((d) => d !== 1) ? { dilations: { ints: dilations } } : {}) };
  if (groups === 1) return op(ctx, 'Conv2D', 'Conv2D', [x, kernel], attrs);
  // Input channels and filters split evenly into the groups; group i reads channel group i.
  const split = (name: string, t: string) => op(ctx, 'Split', name, [ints(ctx, `${name}/split_dim`, 3), t], { num_split: { i: groups } });
  const xs = split('split', x);
  const ks = split('split_kernel', kernel);
  const ys = Array.from({ length: groups }, (_, i) => op(ctx, 'Conv2D', `Conv2D_group${i}`, [`${xs}:${i}`, `${ks}:${i}`], attrs));
  return op(ctx, 'ConcatV2', 'concat', [...ys, ints(ctx, 'concat/axis', 3)], { N: { i: groups } });
}

function biasAndActivation(ctx: LayerCtx, y: string): string {
  const withBias = ctx.params.use_bias ? op(ctx, 'BiasAdd', 'BiasAdd', [y, ctx.weight('bias')]) : y;
  return activation(ctx, withBias, ctx.params.activation as string | null);
}

export const Conv2D: LayerEmitter = (ctx, [x]) => {
  const p = ctx.params;
  const [sh, sw] = p.strides as number[];
  const [dh, dw] = p.dilation_rate as number[];
  return biasAndActivation(ctx, conv2d(ctx, x, ctx.weight('kernel'), [1, sh, sw, 1], PADDING[p.padding as string], [1, dh, dw, 1], p.groups as number));
};

/** As Keras's TensorFlow backend: steps become the width of a one-row image. */
export const Conv1D: LayerEmitter = (ctx, [x]) => {
  const p = ctx.params;
  const [k] = p.kernel_size as number[];
  const [s] = p.strides as number[];
  const [d] = p.dilation_rate as number[];
  let input = x;
  let padding = p.padding as string;
  if (padding === 'causal') {
    // Keras: (kernel_size - 1) * dilation_rate zeros before the first step, then 'valid'.
    input = op(ctx, 'Pad', 'causal_pad', [x, ints(ctx, 'causal_pad/paddings', [0, 0, (k - 1) * d, 0, 0, 0], [3, 2])]);
    padding = 'valid';
  }
  const image = op(ctx, 'ExpandDims', 'ExpandDims', [input, ints(ctx, 'ExpandDims/dim', 1)]);
  const kernel = op(ctx, 'ExpandDims', 'ExpandDims_kernel', [ctx.weight('kernel'), ints(ctx, 'ExpandDims_kernel/dim', 0)]);
  const y = conv2d(ctx, image, kernel, [1, 1, s, 1], PADDING[padding], [1, 1, d, 1], p.groups as number);
  return biasAndActivation(ctx, op(ctx, 'Squeeze', 'Squeeze', [y], { squeeze_dims: { ints: [1] } }));
};

/** Zero padding for one spatial axis of a dilated window, before and after, as TensorFlow computes it. */
function dilatedPads(size: number, dilation: number, padding: string): [number, number] {
  const total = padding === 'same' ? (size - 1) * dilation : 0;
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * A depthwise convolution with a Keras (kh, kw, C, multiplier) kernel. Dilated, it is written as
 * TensorFlow's nn.depthwise_conv2d writes it (with_space_to_batch): the dilation becomes a
 * space-to-batch block, so the kernel itself runs undilated.
 */
function depthwise(ctx: LayerCtx, x: string, kernel: string): string {
  const p = ctx.params;
  const [sh, sw] = p.strides as number[];
  const rates = p.dilation_rate as number[];
  const padding = p.padding as string;
  if (rates.every((d) => d === 1)) return op(ctx, 'DepthwiseConv2dNative', 'depthwise', [x, kernel], { strides: { ints: [1, sh, sw, 1] }, padding: { s: PADDING[padding] } });
  const sizes = p.kernel_size as number[];
  const spatial = ctx.inputShapes[0].slice(1, 3) as number[];
  const pads: number[] = [];
  const crops: number[] = [];
  spatial.forEach((n, i) => {
    const [before, after] = dilatedPads(sizes[i], rates[i], padding);
    // Padded up to a multiple of the block; what the extra rows add is cropped afterwards.
    const extra = (rates[i] - ((n + before + after) % rates[i])) % rates[i];
    pads.push(before, after + extra);
    crops.push(0, extra);
  });
  const block = ints(ctx, 'depthwise/block_shape', rates);
  const batched = op(ctx, 'SpaceToBatchND', 'depthwise/SpaceToBatchND', [x, block, ints(ctx, 'depthwise/paddings', pads, [2, 2])]);
  const y = op(ctx, 'DepthwiseConv2dNative', 'depthwise', [batched, kernel], { strides: { ints: [1, 1, 1, 1] }, padding: { s: 'VALID' } });
  return op(ctx, 'BatchToSpaceND', 'depthwise/BatchToSpaceND', [y, block, ints(ctx, 'depthwise/crops', crops, [2, 2])]);
}

export const DepthwiseConv2D: LayerEmitter = (ctx, [x]) => biasAndActivation(ctx, depthwise(ctx, x, ctx.weight('kernel')));

/** As tf.nn.separable_conv2d: the depthwise stage (strided, dilated), then a 1x1 convolution. */
export const SeparableConv2D: LayerEmitter = (ctx, [x]) => {
  const d = depthwise(ctx, x, ctx.weight('depthwise_kernel'));
  return biasAndActivation(ctx, conv2d(ctx, d, ctx.weight('pointwise_kernel'), [1, 1, 1, 1], 'VALID', [1, 1, 1, 1], 1));
};

/**
 * The gradient of a Conv2D with respect to its input, whose size (batch included) is a graph
 * value. Dilated (strides are then 1), TensorFlow's CPU kernel refuses it without oneDNN, so it
 * is the equivalent forward convolution: the input padded by the kernel's span less the forward
 * padding, the kernel flipped in space with its channel axes swapped.
 */
export const Conv2DTranspose: LayerEmitter = (ctx, [x]) => {
  const p = ctx.params;
  const [sh, sw] = p.strides as number[];
  const rates = p.dilation_rate as number[];
  const padding = p.padding as string;
  const kernel = ctx.weight('kernel');
  let y: string;
  if (rates.every((d) => d === 1)) {
    const [, h, w, filters] = ctx.outputShape as number[];
    const shape = op(ctx, 'Shape', 'Shape', [x]);
    const batch = op(ctx, 'StridedSlice', 'strided_slice', [shape, ints(ctx, 'strided_slice/begin', [0]), ints(ctx, 'strided_slice/end', [1]), ints(ctx, 'strided_slice/strides', [1])], { T: { type: 'int32' }, Index: { type: 'int32' } });
    const sizes = op(ctx, 'ConcatV2', 'output_shape', [batch, ints(ctx, 'output_shape/sizes', [h, w, filters]), ints(ctx, 'output_shape/axis', 0)], { N: { i: 2 }, T: { type: 'int32' } });
    y = op(ctx, 'Conv2DBackpropInput', 'conv2d_transpose', [sizes, kernel, x], { strides: { ints: [1, sh, sw, 1] }, padding: { s: PADDING[padding] } });
  } else {
    const pads = (p.kernel_size as number[]).flatMap((k, i) => {
      const [before, after] = dilatedPads(k, rates[i], padding);
      const span = (k - 1) * rates[i];
      return [span - before, span - after];
    });
    const padded = op(ctx, 'Pad', 'Pad', [x, ints(ctx, 'Pad/paddings', [0, 0, ...pads, 0, 0], [4, 2])]);
    const flipped = op(ctx, 'ReverseV2', 'flipped_kernel', [kernel, ints(ctx, 'flipped_kernel/axis', [0, 1])]);
    const swapped = op(ctx, 'Transpose', 'transposed_kernel', [flipped, ints(ctx, 'transposed_kernel/perm', [0, 1, 3, 2])]);
    y = conv2d(ctx, padded, swapped, [1, 1, 1, 1], 'VALID', [1, ...rates, 1], 1);
  }
  return biasAndActivation(ctx, y);
};
