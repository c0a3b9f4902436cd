import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, sequential, type ModelTemplate } from './ModelTemplate.js';

export const regression: ModelTemplate = {
  id: 'regression',
  name: 'Regression MLP',
  description: 'Predicts one number from a row of numbers with two hidden layers: fuel economy (mpg) from 9 features of a car.',
  model: sequential([
    layer('input_layer', 'Input', { shape: [9] }),
    layer('dense', 'Dense', { units: 64, activation: 'relu' }),
    layer('dense_1', 'Dense', { units: 64, activation: 'relu' }),
    layer('dense_2', 'Dense', { units: 1 }),
  ]),
  // Auto MPG's rows are sorted by model year, so a validation split (the last rows) would hold the newest cars only.
  training: { ...defaultTrainingConfig(), loss: 'mean_squared_error', metrics: ['mean_absolute_error'], epochs: 100 },
  data: 'sample:auto-mpg',
};
