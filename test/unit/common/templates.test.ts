import { describe, expect, it } from 'vitest';
import { checkDataFitsModel } from '../../../common/data/checkLabels.js';
import { analyzeModel, formatShape, lowerModel, TEMPLATES, templateById } from '../../../common/model/index.js';

/**
 * Per template: input and output shapes, and Keras's parameter counts (total, trainable) as
 * model.count_params() gives them for the code toKerasCode writes (test/conformance/keras_code.test.ts).
 */
const EXPECTED: Record<string, { input: string; output: string; params: number; trainable: number }> = {
  mlp: { input: '(None, 4)', output: '(None, 3)', params: 403, trainable: 403 },
  regression: { input: '(None, 9)', output: '(None, 1)', params: 4865, trainable: 4865 },
  lenet5: { input: '(None, 28, 28, 1)', output: '(None, 10)', params: 61706, trainable: 61706 },
  vgg: { input: '(None, 32, 32, 3)', output: '(None, 10)', params: 591274, trainable: 591274 },
  resnet: { input: '(None, 28, 28, 1)', output: '(None, 10)', params: 19994, trainable: 19706 },
  text_classifier: { input: '(None, 200)', output: '(None, 1)', params: 160289, trainable: 160289 },
  autoencoder: { input: '(None, 784)', output: '(None, 784)', params: 209968, trainable: 209968 },
};

/** The built-in samples' per-sample shapes (electron/host/datasets.ts), with labels as the host loads them. */
const SAMPLES: Record<string, { x: number[]; y: { shape: number[]; data: Int32Array | Float32Array }; classNames?: string[] }> = {
  'sample:iris': { x: [4], y: { shape: [], data: Int32Array.from([0, 1, 2]) }, classNames: ['setosa', 'versicolor', 'virginica'] },
  'sample:mnist': { x: [28, 28], y: { shape: [], data: Int32Array.from({ length: 10 }, (_, i) => i) }, classNames: Array.from({ length: 10 }, (_, i) => String(i)) },
  'sample:auto-mpg': { x: [9], y: { shape: [1], data: Float32Array.from([18, 24.5]) } },
};

describe('model templates', () => {
  it('offers the issue\'s seven templates, in order, by id', () => {
    expect(TEMPLATES.map((t) => t.id)).toEqual(['mlp', 'regression', 'lenet5', 'vgg', 'resnet', 'text_classifier', 'autoencoder']);
    for (const t of TEMPLATES) expect(templateById(t.id)).toBe(t);
    expect(templateById('transformer')).toBeUndefined();
  });

  it.each(TEMPLATES.map((t) => [t.id, t] as const))('%s: analyzes with no issues, with its expected shapes and Keras parameter counts', (id, t) => {
    const analysis = analyzeModel(t.model);
    expect(analysis.issues).toEqual([]);
    expect(analysis.order).toHaveLength(t.model.layers.length);
    expect(analysis.inputs).toHaveLength(1);
    expect(analysis.outputs).toHaveLength(1);
    const shape = (layerId: string) => formatShape(analysis.shapes.get(layerId)!);
    const expected = EXPECTED[id];
    expect({ input: shape(analysis.inputs[0]), output: shape(analysis.outputs[0]) }).toEqual({ input: expected.input, output: expected.output });
    const total = analysis.order.reduce((a, o) => a + o.trainable + o.nonTrainable, 0);
    const trainable = analysis.order.reduce((a, o) => a + o.trainable, 0);
    expect({ total, trainable }).toEqual({ total: expected.params, trainable: expected.trainable });
  });

  it.each(TEMPLATES.map((t) => [t.id, t] as const))('%s: lowers with its training settings; layer ids are its Keras names', (_, t) => {
    const lowered = lowerModel(t.model, t.training);
    if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
    expect(lowered.spec.optimizer).toEqual(t.training.optimizer);
    for (const layer of t.model.layers) expect(layer.id).toBe(layer.name);
    expect(t.description).not.toMatch(/\n/);
  });

  it.each(TEMPLATES.filter((t) => t.data !== undefined).map((t) => [t.id, t] as const))('%s: fits its suggested sample dataset', (_, t) => {
    const sample = SAMPLES[t.data!];
    expect(sample, `${t.data} is not a built-in sample`).toBeDefined();
    const data = { x: [{ shape: sample.x, data: new Float32Array(0) }], y: [sample.y], ...(sample.classNames ? { classNames: sample.classNames } : {}) };
    expect(checkDataFitsModel(analyzeModel(t.model), t.training, data)).toEqual([]);
  });
});
