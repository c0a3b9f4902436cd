import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, sequential, type ModelTemplate } from './ModelTemplate.js';

const conv = (name: string, filters: number) => layer(name, 'Conv2D', { filters, kernel_size: 3, padding: 'same', activation: 'relu' });

export const vgg: ModelTemplate = {
  id: 'vgg',
  name: 'Small VGG-style CNN',
  description: 'Two blocks of two 3x3 convolutions and a max pooling, then dense layers with dropout: 32x32 colour images into 10 classes.',
  model: sequential([
    layer('input_layer', 'Input', { shape: [32, 32, 3] }),
    layer('rescaling', 'Rescaling', { scale: 1 / 255 }),
    conv('conv2d', 32),
    conv('conv2d_1', 32),
    layer('max_pooling2d', 'MaxPooling2D'),
    conv('conv2d_2', 64),
    conv('conv2d_3', 64),
    layer('max_pooling2d_1', 'MaxPooling2D'),
    layer('flatten', 'Flatten'),
    layer('dense', 'Dense', { units: 128, activation: 'relu' }),
    layer('dropout', 'Dropout', { rate: 0.5 }),
    layer('dense_1', 'Dense', { units: 10, activation: 'softmax' }),
  ]),
  training: { ...defaultTrainingConfig(), batchSize: 64, epochs: 20 },
};
