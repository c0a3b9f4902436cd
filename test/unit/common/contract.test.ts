import { describe, expect, it } from 'vitest';
import { checkTrainRequest } from '../../../common/contract/index.js';
import { defaultModel } from '../../../common/model/index.js';

const config = { dataset: 'iris', epochs: 10, batchSize: 16, learningRate: 0.05, seed: 1 };

describe('train request checks', () => {
  it('accepts a well-formed request', () => {
    expect(checkTrainRequest({ model: defaultModel(), config })).toMatchObject({ ok: true });
  });

  it('names what is wrong', () => {
    expect(checkTrainRequest(null)).toMatchObject({ ok: false, field: 'model' });
    expect(checkTrainRequest({ model: { layers: 'x' }, config })).toMatchObject({ ok: false, message: 'the model needs "layers" and "edges" lists' });
    const conv = { ...defaultModel(), layers: [{ id: 'c', name: 'conv', type: 'Conv2D', params: {} }] };
    expect(checkTrainRequest({ model: conv, config })).toMatchObject({ ok: false, message: expect.stringMatching(/'conv' has type "Conv2D"/) });
    expect(checkTrainRequest({ model: defaultModel(), config: { ...config, epochs: 0 } })).toMatchObject({ ok: false, field: 'config', message: 'Epochs must be a whole number from 1 to 1,000,000, got 0.' });
    expect(checkTrainRequest({ model: defaultModel(), config: { ...config, learningRate: -1 } })).toMatchObject({ ok: false, message: expect.stringMatching(/Learning rate/) });
  });
});
