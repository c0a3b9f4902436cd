import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, sequential, type ModelTemplate } from './ModelTemplate.js';

export const mlp: ModelTemplate = {
  id: 'mlp',
  name: 'MLP classifier',
  description: 'Two hidden fully connected layers that sort rows of numbers into classes: 4 flower measurements into 3 Iris species.',
  model: sequential([
    layer('input_layer', 'Input', { shape: [4] }),
    layer('dense', 'Dense', { units: 16, activation: 'relu' }),
    layer('dense_1', 'Dense', { units: 16, activation: 'relu' }),
    layer('dense_2', 'Dense', { units: 3, activation: 'softmax' }),
  ]),
  // Iris's rows are sorted by species, so a validation split (the last rows) would hold one species only.
  training: { ...defaultTrainingConfig(), batchSize: 16, epochs: 100 },
  data: 'sample:iris',
};
