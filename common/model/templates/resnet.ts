import type { EdgeDoc, LayerDoc } from '../ModelDoc.js';
import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, type ModelTemplate } from './ModelTemplate.js';

const conv = (name: string, filters: number, kernel: number, strides = 1) =>
  layer(name, 'Conv2D', { filters, kernel_size: kernel, ...(strides !== 1 ? { strides } : {}), padding: 'same', use_bias: false });
const relu = (name: string) => layer(name, 'Activation', { activation: 'relu' });

// In the order a Keras script would create them, so the names are Keras's automatic ones.
const layers: LayerDoc[] = [
  layer('input_layer', 'Input', { shape: [28, 28, 1] }),
  layer('rescaling', 'Rescaling', { scale: 1 / 255 }),
  conv('conv2d', 16, 3),
  layer('batch_normalization', 'BatchNormalization'),
  relu('activation'),
  // Residual block: two convolutions, their sum with the block's input.
  conv('conv2d_1', 16, 3),
  layer('batch_normalization_1', 'BatchNormalization'),
  relu('activation_1'),
  conv('conv2d_2', 16, 3),
  layer('batch_normalization_2', 'BatchNormalization'),
  layer('add', 'Add'),
  relu('activation_2'),
  // Downsampling block: stride 2 and twice the filters; a 1x1 convolution matches the shortcut.
  conv('conv2d_3', 32, 3, 2),
  layer('batch_normalization_3', 'BatchNormalization'),
  relu('activation_3'),
  conv('conv2d_4', 32, 3),
  layer('batch_normalization_4', 'BatchNormalization'),
  conv('conv2d_5', 32, 1, 2),
  layer('batch_normalization_5', 'BatchNormalization'),
  layer('add_1', 'Add'),
  relu('activation_4'),
  layer('global_average_pooling2d', 'GlobalAveragePooling2D'),
  layer('dense', 'Dense', { units: 10, activation: 'softmax' }),
];

const chain = (...ids: string[]): EdgeDoc[] => ids.slice(1).map((to, i) => ({ from: ids[i], to }));

const edges: EdgeDoc[] = [
  ...chain('input_layer', 'rescaling', 'conv2d', 'batch_normalization', 'activation', 'conv2d_1', 'batch_normalization_1', 'activation_1', 'conv2d_2', 'batch_normalization_2'),
  { from: 'batch_normalization_2', to: 'add', index: 0 },
  { from: 'activation', to: 'add', index: 1 },
  ...chain('add', 'activation_2', 'conv2d_3', 'batch_normalization_3', 'activation_3', 'conv2d_4', 'batch_normalization_4'),
  ...chain('activation_2', 'conv2d_5', 'batch_normalization_5'),
  { from: 'batch_normalization_4', to: 'add_1', index: 0 },
  { from: 'batch_normalization_5', to: 'add_1', index: 1 },
  ...chain('add_1', 'activation_4', 'global_average_pooling2d', 'dense'),
];

export const resnet: ModelTemplate = {
  id: 'resnet',
  name: 'Small ResNet',
  description: "A small residual network for 28x28 digits: convolutions with batch normalization and skip connections that add a block's input to its output.",
  model: { layers, edges },
  training: { ...defaultTrainingConfig(), batchSize: 64, epochs: 10, validationSplit: 0.1 },
  data: 'sample:mnist',
};
