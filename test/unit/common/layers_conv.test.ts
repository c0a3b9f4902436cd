// Convolution, pooling and reshaping layers of the catalogue: shape inference and its messages,
// parameter counts (Keras's), FLOPs, defaults and lowering, without the engine.
import { describe, expect, it } from 'vitest';
import { analyzeModel, formatShape, lowerModel, type ModelDoc, type ParamValue } from '../../../common/model/index.js';
import { layerDef, resolveParams } from '../../../common/model/layers/index.js';

type Step = [type: string, params?: Record<string, ParamValue>];

/** Input(shape) -> each step in turn; layer names are l1, l2, ... */
function chain(shape: number[], ...steps: Step[]): ModelDoc {
  return {
    layers: [{ id: 'in', name: 'in', type: 'Input', params: { shape } }, ...steps.map(([type, params], i) => ({ id: `l${i + 1}`, name: `l${i + 1}`, type, params: params ?? {} }))],
    edges: steps.map((_, i) => ({ from: i === 0 ? 'in' : `l${i}`, to: `l${i + 1}` })),
  };
}

/** The output shape of the last step, or throws with the issues. */
function shapeOf(shape: number[], ...steps: Step[]): string {
  const a = analyzeModel(chain(shape, ...steps));
  if (a.issues.length > 0) throw new Error(a.issues.map((i) => i.message).join('; '));
  return formatShape(a.shapes.get(`l${steps.length}`)!);
}

/** The messages of the issues found. */
function problems(shape: number[], ...steps: Step[]): string[] {
  return analyzeModel(chain(shape, ...steps)).issues.map((i) => i.message);
}

describe('convolution layers', () => {
  it('infer Keras output shapes for valid/same padding, strides, dilation and causal padding', () => {
    expect(shapeOf([28, 28, 1], ['Conv2D', { filters: 32, kernel_size: 3 }])).toBe('(None, 26, 26, 32)');
    expect(shapeOf([28, 28, 1], ['Conv2D', { filters: 8, kernel_size: 3, strides: 2, padding: 'same' }])).toBe('(None, 14, 14, 8)');
    expect(shapeOf([9, 8, 2], ['Conv2D', { filters: 3, kernel_size: [3, 2], strides: 2 }])).toBe('(None, 4, 4, 3)');
    expect(shapeOf([11, 11, 2], ['Conv2D', { filters: 3, kernel_size: 3, dilation_rate: 2 }])).toBe('(None, 7, 7, 3)');
    expect(shapeOf([10, 3], ['Conv1D', { filters: 4, kernel_size: 3 }])).toBe('(None, 8, 4)');
    expect(shapeOf([11, 3], ['Conv1D', { filters: 4, kernel_size: 4, strides: 2, padding: 'same' }])).toBe('(None, 6, 4)');
    expect(shapeOf([9, 3], ['Conv1D', { filters: 2, kernel_size: 3, padding: 'causal', strides: 2 }])).toBe('(None, 5, 2)');
    expect(shapeOf([7, 7, 3], ['DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same' }])).toBe('(None, 4, 4, 6)');
    expect(shapeOf([9, 8, 3], ['SeparableConv2D', { filters: 5, kernel_size: 3 }])).toBe('(None, 7, 6, 5)');
  });

  it('computes Conv2DTranspose sizes as Keras does (output_padding None)', () => {
    expect(shapeOf([7, 7, 16], ['Conv2DTranspose', { filters: 8, kernel_size: 3, strides: 2, padding: 'same' }])).toBe('(None, 14, 14, 8)');
    expect(shapeOf([7, 7, 16], ['Conv2DTranspose', { filters: 8, kernel_size: 3, strides: 2 }])).toBe('(None, 15, 15, 8)');
    // valid with strides above the kernel: (n - 1) * s + max(k, s)
    expect(shapeOf([3, 4, 2], ['Conv2DTranspose', { filters: 2, kernel_size: 2, strides: 3 }])).toBe('(None, 9, 12, 2)');
    expect(shapeOf([4, 4, 2], ['Conv2DTranspose', { filters: 2, kernel_size: 3, dilation_rate: 2 }])).toBe('(None, 8, 8, 2)');
  });

  it('counts Keras parameters and names weights as Keras 3 does', () => {
    const a = analyzeModel(chain([28, 28, 1],
      ['Conv2D', { filters: 32, kernel_size: 3 }],
      ['Conv2D', { filters: 64, kernel_size: 3, groups: 4, use_bias: false }],
      ['DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2 }],
      ['SeparableConv2D', { filters: 16, kernel_size: 3, depth_multiplier: 2 }],
      ['Conv2DTranspose', { filters: 8, kernel_size: 3, strides: 2, padding: 'same' }],
    ));
    expect(a.issues).toEqual([]);
    const layers = a.order.slice(1);
    expect(layers.map((l) => l.trainable)).toEqual([
      3 * 3 * 1 * 32 + 32,
      3 * 3 * 8 * 64,
      3 * 3 * 64 * 2 + 128,
      3 * 3 * 128 * 2 + 256 * 16 + 16,
      3 * 3 * 8 * 16 + 8,
    ]);
    expect(layers.map((l) => l.weights.map((w) => `${w.name}${JSON.stringify(w.shape)}`))).toEqual([
      ['kernel[3,3,1,32]', 'bias[32]'],
      ['kernel[3,3,8,64]'],
      ['kernel[3,3,64,2]', 'bias[128]'],
      ['depthwise_kernel[3,3,128,2]', 'pointwise_kernel[1,1,256,16]', 'bias[16]'],
      ['kernel[3,3,8,16]', 'bias[8]'],
    ]);
    expect(layers[0].flops).toBe(2 * 26 * 26 * 32 * 9);
    expect(shapeOf([10, 3], ['Conv1D', { filters: 4, kernel_size: 3, groups: 1 }])).toBe('(None, 8, 4)');
    const conv1d = analyzeModel(chain([10, 6], ['Conv1D', { filters: 4, kernel_size: 3, groups: 2 }])).order[1];
    expect([conv1d.trainable, conv1d.weights[0].shape]).toEqual([3 * 3 * 4 + 4, [3, 3, 4]]);
  });

  it('carries the regularizer and initializers to the weights', () => {
    const [, conv] = analyzeModel(chain([8, 8, 3], ['Conv2D', { filters: 2, kernel_size: 3, kernel_regularizer: { l2: 0.01 }, kernel_initializer: 'he_normal', bias_initializer: 'ones' }])).order;
    expect(conv.weights.map((w) => [w.name, w.init, w.l2])).toEqual([['kernel', 'he_normal', 0.01], ['bias', 'ones', undefined]]);
    const [, sep] = analyzeModel(chain([8, 8, 3], ['SeparableConv2D', { filters: 2, kernel_size: 3, depthwise_regularizer: { l1: 0.1 }, pointwise_initializer: 'zeros' }])).order;
    expect(sep.weights.map((w) => [w.name, w.init, w.l1])).toEqual([['depthwise_kernel', 'glorot_uniform', 0.1], ['pointwise_kernel', 'zeros', undefined], ['bias', 'zeros', undefined]]);
  });

  it('explains a missing channel axis and a wrong rank in the user\'s terms', () => {
    expect(problems([28, 28], ['Conv2D', { filters: 8, kernel_size: 3 }])).toEqual([
      "Conv2D 'l1' needs a 4-D input (batch, height, width, channels) but receives (None, 28, 28): add a Reshape to (28, 28, 1) before it",
    ]);
    expect(problems([100], ['Conv1D', { filters: 8, kernel_size: 3 }])).toEqual([
      "Conv1D 'l1' needs a 3-D input (batch, steps, channels) but receives (None, 100): add a Reshape to (100, 1) before it",
    ]);
    expect(problems([28, 28, 3], ['Conv1D', { filters: 8, kernel_size: 3 }])).toEqual([
      "Conv1D 'l1' needs a 3-D input (batch, steps, channels) but receives (None, 28, 28, 3): use Conv2D for (batch, height, width, channels) inputs, or add a Reshape to (steps, channels) before it",
    ]);
    expect(problems([784], ['Conv2D', { filters: 8, kernel_size: 3 }])[0]).toBe(
      "Conv2D 'l1' needs a 4-D input (batch, height, width, channels) but receives (None, 784): add a Reshape to (height, width, channels) before it",
    );
  });

  it('says when a kernel does not fit a valid-padded input, with sizes', () => {
    expect(problems([4, 4, 1], ['Conv2D', { filters: 8, kernel_size: 5 }])).toEqual([
      "Conv2D 'l1' has a 5x5 kernel but its input is only 4x4 (height x width) with padding 'valid': use a smaller kernel_size, padding 'same', or a larger input",
    ]);
    expect(problems([8, 8, 1], ['Conv2D', { filters: 8, kernel_size: 5, dilation_rate: 2 }])).toEqual([
      "Conv2D 'l1' has a 5x5 kernel (spanning 9x9 with dilation_rate 2x2) but its input is only 8x8 (height x width) with padding 'valid': use a smaller kernel_size, padding 'same', or a larger input",
    ]);
    expect(problems([2, 3], ['Conv1D', { filters: 8, kernel_size: 3 }])[0]).toMatch(/^Conv1D 'l1' has a 3 kernel but its input is only 2 \(steps\)/);
    expect(problems([4, 4, 1], ['Conv2D', { filters: 8, kernel_size: 5, padding: 'same' }])).toEqual([]);
    expect(problems([3, 3, 2], ['DepthwiseConv2D', { kernel_size: 4 }])[0]).toMatch(/^DepthwiseConv2D 'l1' has a 4x4 kernel but its input is only 3x3/);
  });

  it('rejects what Keras rejects: groups that do not divide, strides with dilation, channels_first, output_padding', () => {
    expect(problems([8, 8, 6], ['Conv2D', { filters: 8, kernel_size: 3, groups: 4 }])).toEqual([
      "Conv2D 'l1' has groups=4 but its input has 6 channels: the channels must split evenly into the groups",
    ]);
    expect(problems([8, 8, 6], ['Conv2D', { filters: 4, kernel_size: 3, groups: 3 }])).toEqual([
      "Conv2D 'l1' has filters=4 and groups=3: the filters must split evenly into the groups",
    ]);
    expect(problems([8, 8, 2], ['Conv2D', { filters: 4, kernel_size: 3, strides: 2, dilation_rate: 2 }])).toEqual([
      "Conv2D 'l1' has strides 2x2 and dilation_rate 2x2, but Keras cannot combine strides above 1 with dilation_rate above 1: set one of them to 1",
    ]);
    for (const [type, params] of [['Conv2D', { filters: 2, kernel_size: 3 }], ['MaxPooling2D', {}], ['GlobalAveragePooling2D', {}], ['ZeroPadding2D', {}], ['UpSampling2D', {}]] as const) {
      expect(problems([3, 8, 8], [type, { ...params, data_format: 'channels_first' }])[0]).toMatch(new RegExp(`^${type} 'l1' has data_format 'channels_first', which Kiln does not support: .*'channels_last'`));
    }
    expect(problems([8, 8, 2], ['Conv2D', { filters: 2, kernel_size: 3, data_format: 'channels_last' }])).toEqual([]);
    expect(problems([4, 4, 2], ['Conv2DTranspose', { filters: 2, kernel_size: 3, strides: 2, output_padding: 1 }])[0]).toMatch(/^Conv2DTranspose 'l1' has output_padding 1x1, which Kiln does not support yet: leave output_padding unset/);
    expect(problems([8, 8, 2], ['Conv2D', { filters: 2, kernel_size: 3, padding: 'causal' }])[0]).toMatch(/padding must be one of valid, same, got "causal"/);
    expect(problems([8, 2], ['Conv1D', { filters: 2 }])).toEqual(["Conv1D 'l1' needs kernel_size: set it (Keras has no default for it)"]);
    expect(problems([8, 8, 2], ['SeparableConv2D', { kernel_size: 3 }])).toEqual(["SeparableConv2D 'l1' needs filters: set it (Keras has no default for it)"]);
    expect(problems([8, 8, 2], ['DepthwiseConv2D'])).toEqual(["DepthwiseConv2D 'l1' needs kernel_size: set it (Keras has no default for it)"]);
    expect(problems([8], ['Reshape'])).toEqual(["Reshape 'l1' needs target_shape: set it (Keras has no default for it)"]);
    expect(problems([8, 2], ['Permute'])).toEqual(["Permute 'l1' needs dims: set it (Keras has no default for it)"]);
    expect(problems([8], ['RepeatVector'])).toEqual(["RepeatVector 'l1' needs n: set it (Keras has no default for it)"]);
    expect(problems([8, 8, 2], ['Conv2D', { filters: 2, kernel_size: [3, 3, 3] }])[0]).toMatch(/kernel_size must be a whole number or 2 whole numbers of at least 1/);
  });
});

describe('pooling layers', () => {
  it('default strides to pool_size and follow Keras sizes', () => {
    expect(shapeOf([28, 28, 8], ['MaxPooling2D'])).toBe('(None, 14, 14, 8)');
    expect(shapeOf([7, 7, 2], ['MaxPooling2D', { pool_size: 3, strides: 2 }])).toBe('(None, 3, 3, 2)');
    expect(shapeOf([5, 7, 1], ['MaxPooling2D', { pool_size: [2, 3], padding: 'same' }])).toBe('(None, 3, 3, 1)');
    expect(shapeOf([7, 8, 2], ['AveragePooling2D', { pool_size: 3, strides: 2, padding: 'same' }])).toBe('(None, 4, 4, 2)');
    expect(shapeOf([9, 2], ['MaxPooling1D'])).toBe('(None, 4, 2)');
    expect(shapeOf([11, 1], ['AveragePooling1D', { pool_size: 4, strides: 3 }])).toBe('(None, 3, 1)');
    const p = resolveParams(layerDef('MaxPooling2D')!, { pool_size: 3 });
    expect(p).toEqual({ params: { pool_size: [3, 3], strides: null, padding: 'valid', data_format: null } });
  });

  it('reduce to (batch, channels), or keep the axes with keepdims', () => {
    expect(shapeOf([5, 6, 3], ['GlobalAveragePooling2D'])).toBe('(None, 3)');
    expect(shapeOf([5, 6, 3], ['GlobalMaxPooling2D', { keepdims: true }])).toBe('(None, 1, 1, 3)');
    expect(shapeOf([7, 3], ['GlobalAveragePooling1D', { keepdims: true }])).toBe('(None, 1, 3)');
    expect(shapeOf([7, 3], ['GlobalMaxPooling1D'])).toBe('(None, 3)');
  });

  it('explain a window that does not fit, a wrong rank and a missing pool_size', () => {
    expect(problems([2, 2, 4], ['MaxPooling2D', { pool_size: 3 }])).toEqual([
      "MaxPooling2D 'l1' has a 3x3 pool window but its input is only 2x2 (height x width) with padding 'valid': use a smaller pool_size, padding 'same', or a larger input",
    ]);
    expect(problems([28, 28], ['MaxPooling2D'])[0]).toBe(
      "MaxPooling2D 'l1' needs a 4-D input (batch, height, width, channels) but receives (None, 28, 28): add a Reshape to (28, 28, 1) before it",
    );
    expect(problems([8, 8, 3], ['AveragePooling1D', { pool_size: 2 }])[0]).toMatch(/use AveragePooling2D for \(batch, height, width, channels\) inputs/);
    expect(problems([10], ['GlobalAveragePooling1D'])[0]).toMatch(/needs a 3-D input \(batch, steps, channels\) but receives \(None, 10\): add a Reshape to \(10, 1\)/);
    expect(problems([8, 8, 3], ['AveragePooling2D'])).toEqual(["AveragePooling2D 'l1' needs pool_size: set it (Keras has no default for it)"]);
  });

  it('count FLOPs per output and window', () => {
    const [, pool] = analyzeModel(chain([6, 6, 2], ['MaxPooling2D'])).order;
    expect(pool.flops).toBe(3 * 3 * 2 * 4);
  });
});

describe('reshaping layers', () => {
  it('Reshape resolves one -1 and explains sizes that do not match', () => {
    expect(shapeOf([4, 3, 2], ['Reshape', { target_shape: [-1, 3] }])).toBe('(None, 8, 3)');
    expect(shapeOf([784], ['Reshape', { target_shape: [28, 28, 1] }])).toBe('(None, 28, 28, 1)');
    expect(problems([784], ['Reshape', { target_shape: [27, 28] }])).toEqual([
      "Reshape 'l1' cannot reshape its input (None, 784) (784 values per sample) to (27, 28) (756 values): choose a target_shape whose sizes multiply to 784, or put -1 on one axis",
    ]);
    expect(problems([10], ['Reshape', { target_shape: [-1, 3] }])[0]).toBe("Reshape 'l1' cannot reshape its input (None, 10) (10 values per sample) to (-1, 3): 10 is not a multiple of 3, the product of the other axes");
    expect(problems([12], ['Reshape', { target_shape: [-1, -1] }])[0]).toMatch(/target_shape must be a list of whole numbers of at least 1 \(one may be -1\)/);
  });

  it('Permute takes 1-based dims and checks them', () => {
    expect(shapeOf([2, 3, 4], ['Permute', { dims: [3, 1, 2] }])).toBe('(None, 4, 2, 3)');
    expect(problems([2, 3, 4], ['Permute', { dims: [0, 1, 2] }])[0]).toMatch(/dims must be a list of whole numbers of at least 1/);
    expect(problems([2, 3, 4], ['Permute', { dims: [1, 1, 2] }])[0]).toBe("Permute 'l1' has dims (1, 1, 2), which is not a reordering of the axes 1 to 3: list each axis once, counting from 1 (the batch axis is not counted)");
    expect(problems([2, 3, 4], ['Permute', { dims: [2, 1] }])[0]).toBe("Permute 'l1' has dims (2, 1) for 2 axes but its input (None, 2, 3, 4) has 3 besides the batch: list each of them once");
  });

  it('RepeatVector needs (batch, features)', () => {
    expect(shapeOf([5], ['RepeatVector', { n: 3 }])).toBe('(None, 3, 5)');
    expect(problems([2, 5], ['RepeatVector', { n: 3 }])[0]).toBe("RepeatVector 'l1' needs a 2-D input (batch, features) but receives (None, 2, 5): add a Flatten before it");
  });

  it('ZeroPadding and Cropping2D accept Keras\'s forms: int, (a, b), ((top, bottom), (left, right))', () => {
    expect(shapeOf([5, 2], ['ZeroPadding1D'])).toBe('(None, 7, 2)');
    expect(shapeOf([5, 2], ['ZeroPadding1D', { padding: [0, 3] }])).toBe('(None, 8, 2)');
    expect(shapeOf([3, 4, 2], ['ZeroPadding2D'])).toBe('(None, 5, 6, 2)');
    expect(shapeOf([3, 4, 2], ['ZeroPadding2D', { padding: [1, 2] }])).toBe('(None, 5, 8, 2)');
    expect(shapeOf([4, 3, 2], ['ZeroPadding2D', { padding: [[0, 2], [3, 1]] }])).toBe('(None, 6, 7, 2)');
    expect(shapeOf([5, 6, 2], ['Cropping2D', { cropping: [[0, 2], [3, 1]] }])).toBe('(None, 3, 2, 2)');
    expect(shapeOf([5, 6, 2], ['Cropping2D', { cropping: 1 }])).toBe('(None, 3, 4, 2)');
    expect(problems([4, 6, 2], ['Cropping2D', { cropping: [[2, 2], [0, 0]] }])[0]).toBe("Cropping2D 'l1' crops 2 + 2 from an input height of 4 in (None, 4, 6, 2), which leaves nothing: crop less than 4 in all");
    expect(problems([4, 6, 2], ['ZeroPadding2D', { padding: -1 }])[0]).toMatch(/padding must be a whole number, 2 of them, or 2 \(before, after\) pairs/);
  });

  it('UpSampling repeats by size and supports nearest interpolation only', () => {
    expect(shapeOf([4, 2], ['UpSampling1D'])).toBe('(None, 8, 2)');
    expect(shapeOf([2, 4, 2], ['UpSampling2D', { size: [3, 1] }])).toBe('(None, 6, 4, 2)');
    expect(problems([2, 4, 2], ['UpSampling2D', { interpolation: 'bilinear' }])).toEqual([
      "UpSampling2D 'l1' has interpolation 'bilinear', which Kiln does not support yet: set interpolation to 'nearest' (a Conv2D after it can learn the smoothing)",
    ]);
  });
});

describe('lowering', () => {
  const config = { loss: 'mean_squared_error' as const, optimizer: { type: 'sgd' as const }, metrics: [], batchSize: 4, epochs: 1, validationSplit: 0, seed: 1, callbacks: {} };
  const nodes = (doc: ModelDoc) => {
    const r = lowerModel(doc, config);
    if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
    return r.spec.nodes.map((n) => ({ op: n.op, inputs: n.inputs, attrs: n.attrs }));
  };

  it('DepthwiseConv2D reshapes its (kh, kw, C, m) kernel to a grouped conv2d kernel', () => {
    expect(nodes(chain([7, 7, 3], ['DepthwiseConv2D', { kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same' }]))).toEqual([
      { op: 'reshape', inputs: ['l1/kernel'], attrs: { shape: [3, 3, 1, 6] } },
      { op: 'conv2d', inputs: ['in', 'l1/depthwise_kernel_hwio'], attrs: { strides: [2, 2], padding: 'same', dilations: [1, 1], groups: 3 } },
      { op: 'bias_add', inputs: ['l1/depthwise', 'l1/bias'], attrs: undefined },
    ]);
  });

  it('Conv2DTranspose lowers to conv2d_backprop_input with the output shape', () => {
    expect(nodes(chain([5, 4, 3], ['Conv2DTranspose', { filters: 2, kernel_size: 3, strides: 2, padding: 'same', use_bias: false }]))).toEqual([
      { op: 'conv2d_backprop_input', inputs: ['in', 'l1/kernel'], attrs: { strides: [2, 2], padding: 'same', dilations: [1, 1], groups: 1, input_shape: [-1, 10, 8, 2] } },
    ]);
  });

  it('causal Conv1D pads in front and convolves valid', () => {
    expect(nodes(chain([8, 3], ['Conv1D', { filters: 2, kernel_size: 3, dilation_rate: 2, padding: 'causal', use_bias: false }]))).toEqual([
      { op: 'pad', inputs: ['in'], attrs: { pads: [0, 0, 4, 0, 0, 0] } },
      { op: 'conv1d', inputs: ['l1/causal_pad', 'l1/kernel'], attrs: { stride: 1, padding: 'valid', dilation: 2, groups: 1 } },
    ]);
  });

  it('shape layers lower to reshape, transpose, broadcast_to, pad, slice and upsample_nearest', () => {
    const ops = nodes(chain([4, 6, 2],
      ['Permute', { dims: [2, 1, 3] }],
      ['ZeroPadding2D', { padding: [[0, 2], [3, 1]] }],
      ['Cropping2D', { cropping: [[1, 0], [2, 1]] }],
      ['UpSampling2D', { size: [2, 1] }],
      ['GlobalAveragePooling2D'],
      ['RepeatVector', { n: 3 }],
      ['Reshape', { target_shape: [-1] }],
    ));
    expect(ops).toEqual([
      { op: 'transpose', inputs: ['in'], attrs: { perm: [0, 2, 1, 3] } },
      { op: 'pad', inputs: ['l1'], attrs: { pads: [0, 0, 0, 2, 3, 1, 0, 0] } },
      { op: 'slice', inputs: ['l2'], attrs: { begin: [0, 1, 2, 0], size: [-1, 7, 5, -1] } },
      { op: 'upsample_nearest', inputs: ['l3'], attrs: { size: [2, 1] } },
      { op: 'reduce_mean', inputs: ['l4'], attrs: { axes: [1, 2], keepdims: false } },
      { op: 'reshape', inputs: ['l5'], attrs: { shape: [-1, 1, 2] } },
      { op: 'broadcast_to', inputs: ['l6/expand'], attrs: { shape: [-1, 3, 2] } },
      { op: 'reshape', inputs: ['l6'], attrs: { shape: [-1, 6] } },
    ]);
  });
});
