// The convolution, pooling and reshaping layers against Keras 3: same inputs and weights give
// Keras's predict() within 1e-4, the same output shape, weight shapes and parameter count.
import { beforeAll, describe, expect, it } from 'vitest';
import { runLayerCases, worstRelative, type LayerCase, type LayerResult } from '../support/layerConformance.js';
import { tensorflowMissing } from './tensorflow.js';

const missing = tensorflowMissing();

const CASES: LayerCase[] = [
  // Conv1D
  { type: 'Conv1D', params: { filters: 4, kernel_size: 3 }, inputs: [[10, 3]] },
  { type: 'Conv1D', params: { filters: 5, kernel_size: 4, strides: 2, padding: 'same', activation: 'relu' }, inputs: [[11, 2]] },
  { type: 'Conv1D', params: { filters: 3, kernel_size: 3, dilation_rate: 2 }, inputs: [[13, 4]] },
  { type: 'Conv1D', params: { filters: 4, kernel_size: 3, groups: 2, use_bias: false }, inputs: [[9, 6]] },
  { type: 'Conv1D', params: { filters: 2, kernel_size: 3, padding: 'causal', dilation_rate: 2 }, inputs: [[8, 3]] },
  { type: 'Conv1D', params: { filters: 2, kernel_size: [2], padding: 'causal', strides: 2 }, inputs: [[9, 1]] },
  { type: 'Conv1D', params: { filters: 3, kernel_size: 5, padding: 'same', strides: 3, data_format: 'channels_last' }, inputs: [[7, 2]] },
  // Conv2D
  { type: 'Conv2D', params: { filters: 4, kernel_size: 3 }, inputs: [[7, 7, 3]] },
  { type: 'Conv2D', params: { filters: 3, kernel_size: [3, 2], strides: 2, padding: 'same', activation: 'tanh' }, inputs: [[9, 8, 2]] },
  { type: 'Conv2D', params: { filters: 2, kernel_size: 3, strides: [2, 1] }, inputs: [[9, 7, 3]] },
  { type: 'Conv2D', params: { filters: 4, kernel_size: 3, dilation_rate: 2, padding: 'same' }, inputs: [[8, 9, 2]] },
  { type: 'Conv2D', params: { filters: 2, kernel_size: [1, 5], dilation_rate: [1, 2] }, inputs: [[4, 11, 1]] },
  { type: 'Conv2D', params: { filters: 3, kernel_size: 4, strides: 3, padding: 'same' }, inputs: [[10, 11, 2]] },
  { type: 'Conv2D', params: { filters: 4, kernel_size: 3, groups: 2 }, inputs: [[6, 6, 4]] },
  { type: 'Conv2D', params: { filters: 6, kernel_size: 2, groups: 3, use_bias: false, padding: 'same' }, inputs: [[5, 5, 3]] },
  // DepthwiseConv2D
  { type: 'DepthwiseConv2D', params: { kernel_size: 3 }, inputs: [[6, 6, 3]] },
  { type: 'DepthwiseConv2D', params: { kernel_size: 3, depth_multiplier: 2, padding: 'same', strides: 2 }, inputs: [[7, 7, 3]] },
  { type: 'DepthwiseConv2D', params: { kernel_size: [2, 3], dilation_rate: 2, depth_multiplier: 2, use_bias: false }, inputs: [[9, 9, 2]] },
  { type: 'DepthwiseConv2D', params: { kernel_size: 3, activation: 'relu', padding: 'same', depth_multiplier: 3 }, inputs: [[5, 6, 4]] },
  // SeparableConv2D
  { type: 'SeparableConv2D', params: { filters: 4, kernel_size: 3 }, inputs: [[6, 6, 3]] },
  { type: 'SeparableConv2D', params: { filters: 5, kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same', activation: 'relu' }, inputs: [[9, 8, 3]] },
  { type: 'SeparableConv2D', params: { filters: 2, kernel_size: [3, 2], dilation_rate: 2, use_bias: false }, inputs: [[9, 9, 2]] },
  // Conv2DTranspose
  { type: 'Conv2DTranspose', params: { filters: 3, kernel_size: 3 }, inputs: [[4, 4, 2]] },
  { type: 'Conv2DTranspose', params: { filters: 2, kernel_size: 3, strides: 2, padding: 'same' }, inputs: [[5, 4, 3]] },
  { type: 'Conv2DTranspose', params: { filters: 2, kernel_size: 2, strides: 3 }, inputs: [[3, 4, 2]] },
  { type: 'Conv2DTranspose', params: { filters: 4, kernel_size: 3, strides: 2 }, inputs: [[3, 3, 1]] },
  { type: 'Conv2DTranspose', params: { filters: 2, kernel_size: 4, strides: 2, padding: 'same', activation: 'sigmoid' }, inputs: [[4, 5, 2]] },
  { type: 'Conv2DTranspose', params: { filters: 2, kernel_size: 3, dilation_rate: 2 }, inputs: [[4, 4, 2]] },
  { type: 'Conv2DTranspose', params: { filters: 3, kernel_size: [3, 2], strides: [1, 2], padding: 'same', use_bias: false }, inputs: [[5, 3, 2]] },
  // MaxPooling / AveragePooling
  { type: 'MaxPooling2D', params: {}, inputs: [[6, 6, 2]] },
  { type: 'MaxPooling2D', params: { pool_size: 3, strides: 2 }, inputs: [[7, 7, 2]] },
  { type: 'MaxPooling2D', params: { pool_size: [2, 3], padding: 'same' }, inputs: [[5, 7, 1]] },
  { type: 'MaxPooling2D', params: { pool_size: 2, strides: 1 }, inputs: [[5, 5, 3]] },
  { type: 'MaxPooling2D', params: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[8, 9, 2]] },
  { type: 'AveragePooling2D', params: { pool_size: 2 }, inputs: [[6, 6, 2]] },
  { type: 'AveragePooling2D', params: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[7, 8, 2]] },
  { type: 'AveragePooling2D', params: { pool_size: [3, 2], strides: [1, 2] }, inputs: [[7, 7, 1]] },
  { type: 'AveragePooling2D', params: { pool_size: 2, padding: 'same' }, inputs: [[5, 5, 3]] },
  { type: 'MaxPooling1D', params: {}, inputs: [[8, 3]] },
  { type: 'MaxPooling1D', params: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[9, 2]] },
  { type: 'MaxPooling1D', params: { pool_size: 3, strides: 1 }, inputs: [[7, 2]] },
  { type: 'AveragePooling1D', params: { pool_size: 2 }, inputs: [[8, 3]] },
  { type: 'AveragePooling1D', params: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[10, 2]] },
  { type: 'AveragePooling1D', params: { pool_size: 4, strides: 3 }, inputs: [[11, 1]] },
  // Global pooling
  { type: 'GlobalAveragePooling1D', params: {}, inputs: [[7, 3]] },
  { type: 'GlobalAveragePooling1D', params: { keepdims: true }, inputs: [[5, 2]] },
  { type: 'GlobalMaxPooling1D', params: {}, inputs: [[7, 3]] },
  { type: 'GlobalMaxPooling1D', params: { keepdims: true }, inputs: [[5, 2]] },
  { type: 'GlobalAveragePooling2D', params: {}, inputs: [[5, 6, 3]] },
  { type: 'GlobalAveragePooling2D', params: { keepdims: true }, inputs: [[3, 4, 2]] },
  { type: 'GlobalMaxPooling2D', params: {}, inputs: [[5, 6, 3]] },
  { type: 'GlobalMaxPooling2D', params: { keepdims: true }, inputs: [[3, 4, 2]] },
  // Reshape, Permute, RepeatVector
  { type: 'Reshape', params: { target_shape: [6, 4] }, inputs: [[4, 6]] },
  { type: 'Reshape', params: { target_shape: [-1, 3] }, inputs: [[4, 3, 2]] },
  { type: 'Reshape', params: { target_shape: [2, -1, 2] }, inputs: [[24]] },
  { type: 'Reshape', params: { target_shape: [3, 4, 1] }, inputs: [[12]] },
  { type: 'Permute', params: { dims: [2, 1] }, inputs: [[3, 5]] },
  { type: 'Permute', params: { dims: [3, 1, 2] }, inputs: [[2, 3, 4]] },
  { type: 'Permute', params: { dims: [2, 3, 1] }, inputs: [[2, 3, 4]] },
  { type: 'Permute', params: { dims: [1, 3, 2] }, inputs: [[4, 2, 3]] },
  { type: 'RepeatVector', params: { n: 3 }, inputs: [[5]] },
  { type: 'RepeatVector', params: { n: 1 }, inputs: [[2]] },
  // ZeroPadding, Cropping
  { type: 'ZeroPadding1D', params: {}, inputs: [[5, 2]] },
  { type: 'ZeroPadding1D', params: { padding: 3 }, inputs: [[4, 2]] },
  { type: 'ZeroPadding1D', params: { padding: [0, 2] }, inputs: [[4, 3]] },
  { type: 'ZeroPadding2D', params: {}, inputs: [[3, 4, 2]] },
  { type: 'ZeroPadding2D', params: { padding: 2 }, inputs: [[3, 3, 1]] },
  { type: 'ZeroPadding2D', params: { padding: [1, 2] }, inputs: [[3, 4, 2]] },
  { type: 'ZeroPadding2D', params: { padding: [[0, 2], [3, 1]] }, inputs: [[4, 3, 2]] },
  { type: 'Cropping2D', params: {}, inputs: [[4, 4, 2]] },
  { type: 'Cropping2D', params: { cropping: 1 }, inputs: [[5, 6, 2]] },
  { type: 'Cropping2D', params: { cropping: [1, 2] }, inputs: [[6, 7, 1]] },
  { type: 'Cropping2D', params: { cropping: [[0, 2], [3, 1]] }, inputs: [[5, 6, 2]] },
  // UpSampling
  { type: 'UpSampling1D', params: {}, inputs: [[4, 2]] },
  { type: 'UpSampling1D', params: { size: 3 }, inputs: [[3, 3]] },
  { type: 'UpSampling2D', params: {}, inputs: [[3, 3, 2]] },
  { type: 'UpSampling2D', params: { size: [3, 1] }, inputs: [[2, 4, 2]] },
  { type: 'UpSampling2D', params: { size: 2, interpolation: 'nearest' }, inputs: [[3, 2, 1]] },
];

const label = (c: LayerCase) => `${c.type} ${JSON.stringify(c.params)} on ${JSON.stringify(c.inputs[0])}`;

describe.skipIf(missing !== null && !process.env.CI)(`convolution, pooling and reshaping layers against Keras${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let results: LayerResult[] = [];
  beforeAll(async () => {
    results = await runLayerCases(CASES);
  }, 240_000);

  it.each(CASES.map((c, i) => [label(c), i] as const))('%s matches Keras', (name, i) => {
    const { kiln, keras } = results[i];
    if ('error' in keras) throw new Error(`${name}: Keras says ${keras.error}`);
    expect(kiln.shape.slice(1), name).toEqual(keras.shape.slice(1));
    expect(kiln.weightShapes, name).toEqual(keras.weight_shapes);
    expect(kiln.params, name).toBe(keras.params);
    expect(kiln.y.length, name).toBe(keras.y.length);
    expect(worstRelative(kiln.y, keras.y), name).toBeLessThan(1e-4);
  });
});
