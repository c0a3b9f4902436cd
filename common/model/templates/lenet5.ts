import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, sequential, type ModelTemplate } from './ModelTemplate.js';

export const lenet5: ModelTemplate = {
  id: 'lenet5',
  name: 'LeNet-5',
  description: "LeCun's classic convolutional network for 28x28 handwritten digits (with ReLU): two convolution and pooling stages, then three dense layers.",
  model: sequential([
    layer('input_layer', 'Input', { shape: [28, 28, 1] }),
    // sample:mnist gives pixel values 0..255, as keras.datasets.mnist does.
    layer('rescaling', 'Rescaling', { scale: 1 / 255 }),
    layer('conv2d', 'Conv2D', { filters: 6, kernel_size: 5, padding: 'same', activation: 'relu' }),
    layer('average_pooling2d', 'AveragePooling2D', { pool_size: 2 }),
    layer('conv2d_1', 'Conv2D', { filters: 16, kernel_size: 5, activation: 'relu' }),
    layer('average_pooling2d_1', 'AveragePooling2D', { pool_size: 2 }),
    layer('flatten', 'Flatten'),
    layer('dense', 'Dense', { units: 120, activation: 'relu' }),
    layer('dense_1', 'Dense', { units: 84, activation: 'relu' }),
    layer('dense_2', 'Dense', { units: 10, activation: 'softmax' }),
  ]),
  training: { ...defaultTrainingConfig(), batchSize: 128, epochs: 10, validationSplit: 0.1 },
  data: 'sample:mnist',
};
