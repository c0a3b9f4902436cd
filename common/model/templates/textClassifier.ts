import { defaultTrainingConfig } from '../trainingConfig.js';
import { layer, sequential, type ModelTemplate } from './ModelTemplate.js';

export const textClassifier: ModelTemplate = {
  id: 'text_classifier',
  name: 'Text classifier',
  description: 'Learns a vector per word, averages them over the text and decides between two classes: 200 word indices (of 10,000) in, a probability out.',
  model: sequential([
    layer('input_layer', 'Input', { shape: [200], dtype: 'int32' }),
    layer('embedding', 'Embedding', { input_dim: 10000, output_dim: 16 }),
    layer('global_average_pooling1d', 'GlobalAveragePooling1D'),
    layer('dense', 'Dense', { units: 16, activation: 'relu' }),
    layer('dense_1', 'Dense', { units: 1, activation: 'sigmoid' }),
  ]),
  training: { ...defaultTrainingConfig(), loss: 'binary_crossentropy' },
};
