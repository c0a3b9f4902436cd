import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, sequential, type ModelTemplate } from './ModelTemplate.js';

export const autoencoder: ModelTemplate = {
  id: 'autoencoder',
  name: 'Autoencoder',
  description: 'Squeezes 784 values (a flattened 28x28 image scaled to 0..1) through a 32-number code and rebuilds them: train it with the inputs as targets.',
  model: sequential([
    layer('input_layer', 'Input', { shape: [784] }),
    layer('dense', 'Dense', { units: 128, activation: 'relu' }),
    layer('dense_1', 'Dense', { units: 32, activation: 'relu' }),
    layer('dense_2', 'Dense', { units: 128, activation: 'relu' }),
    layer('dense_3', 'Dense', { units: 784, activation: 'sigmoid' }),
  ]),
  training: { ...defaultTrainingConfig(), loss: 'mean_squared_error', metrics: [], batchSize: 256, epochs: 20 },
};
