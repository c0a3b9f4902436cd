// The core layers against Keras 3: same inputs and weights give Keras's predict() within 1e-4,
// the same output shape, weight shapes and parameter count.
import { describe, expect, it } from 'vitest';
import { runLayerCases, worstRelative, type LayerCase } from '../support/layerConformance.js';
import { tensorflowMissing } from './tensorflow.js';

const missing = tensorflowMissing();

const CASES: LayerCase[] = [
  { type: 'Dense', params: { units: 5, activation: 'relu' }, inputs: [[7]] },
  { type: 'Dense', params: { units: 3, use_bias: false, activation: 'tanh' }, inputs: [[4]] },
  { type: 'Dense', params: { units: 4, activation: 'softmax' }, inputs: [[6]] },
  { type: 'Activation', params: { activation: 'gelu' }, inputs: [[2, 5]] },
  { type: 'Activation', params: { activation: 'swish' }, inputs: [[5]] },
  { type: 'Flatten', params: {}, inputs: [[2, 3, 4]] },
  { type: 'Dropout', params: { rate: 0.5 }, inputs: [[6]] },
];

describe.skipIf(missing !== null && !process.env.CI)(`core layers against Keras${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('match Keras on every case', async () => {
    const results = await runLayerCases(CASES);
    results.forEach(({ kiln, keras }, i) => {
      const label = `${CASES[i].type} ${JSON.stringify(CASES[i].params)}`;
      if ('error' in keras) throw new Error(`${label}: Keras says ${keras.error}`);
      expect(kiln.shape.slice(1), label).toEqual(keras.shape.slice(1));
      expect(kiln.weightShapes, label).toEqual(keras.weight_shapes);
      expect(kiln.params, label).toBe(keras.params);
      expect(worstRelative(kiln.y, keras.y), label).toBeLessThan(1e-4);
    });
  }, 60_000);
});
