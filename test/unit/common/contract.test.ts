import { describe, expect, it } from 'vitest';
import { checkTrainRequest } from '../../../common/contract/index.js';
import { defaultModel, defaultTrainingConfig } from '../../../common/model/index.js';

const config = { dataset: 'sample:iris', training: { ...defaultTrainingConfig(), epochs: 10 } };

describe('train request checks', () => {
  it('accepts a well-formed request', () => {
    expect(checkTrainRequest({ model: defaultModel(), config })).toMatchObject({ ok: true });
  });

  it('names what is wrong', () => {
    expect(checkTrainRequest(null)).toMatchObject({ ok: false, field: 'model' });
    expect(checkTrainRequest({ model: { layers: 'x' }, config })).toMatchObject({ ok: false, message: 'the model needs "layers" and "edges" lists' });
    const typeless = { ...defaultModel(), layers: [{ id: 'c', name: 'conv', params: {} }] };
    expect(checkTrainRequest({ model: typeless, config })).toMatchObject({ ok: false, message: `layer 'conv' needs a "type"` });
    // Any catalogue layer may be sent: what it means is checked by the model analysis.
    const conv = { ...defaultModel(), layers: [{ id: 'c', name: 'conv', type: 'Conv2D', params: {} }] };
    expect(checkTrainRequest({ model: conv, config })).toMatchObject({ ok: true });
    const training = (patch: object) => checkTrainRequest({ model: defaultModel(), config: { ...config, training: { ...config.training, ...patch } } });
    expect(training({ epochs: 0 })).toMatchObject({ ok: false, field: 'config', message: expect.stringMatching(/^training\.epochs must be/) });
    expect(training({ optimizer: { type: 'sgd', learningRate: -1 } })).toMatchObject({ ok: false, message: expect.stringMatching(/^training\.optimizer\.learningRate/) });
    expect(checkTrainRequest({ model: defaultModel(), config: { ...config, dataset: '' } })).toMatchObject({ ok: false, message: 'Choose a dataset.' });
    const data = (d: unknown) => checkTrainRequest({ model: defaultModel(), config: { ...config, data: d } });
    expect(data({ target: 'species', validationSplit: 0.2 })).toMatchObject({ ok: true, value: { config: { data: { target: 'species', validationSplit: 0.2 } } } });
    expect(data({ imageSize: [64, 0] })).toMatchObject({ ok: false, field: 'config', message: 'the image size must be a height and a width from 1 to 8192 pixels, got [64,0]' });
    expect(data({ colorMode: 'cmyk' })).toMatchObject({ ok: false, message: 'the color mode must be rgb or grayscale, got "cmyk"' });
    expect(data({ validationSplit: 1 })).toMatchObject({ ok: false, message: 'the validation split must be a fraction from 0 up to (not including) 1, got 1' });
  });
});
