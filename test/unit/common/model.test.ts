import { describe, expect, it } from 'vitest';
import { defaultModel, formatShape, inferShapes, lowerModel, type DenseLayerDoc, type ModelDoc } from '../../../common/model/index.js';

const IRIS = { name: 'Iris', features: 4, classes: 3 };
const OPTIONS = { optimizer: { type: 'sgd' as const, learningRate: 0.05 }, seed: 7 };

function withDense(model: ModelDoc, id: string, change: Partial<DenseLayerDoc['params']>): ModelDoc {
  return {
    ...model,
    layers: model.layers.map((l) => (l.id === id && l.type === 'Dense' ? { ...l, params: { ...l.params, ...change } } : l)),
  };
}

describe('shape inference', () => {
  it('infers (None, units) for each Dense of the starter model', () => {
    const report = inferShapes(defaultModel());
    expect(report.issues).toEqual([]);
    expect([...report.shapes.values()].map(formatShape)).toEqual(['(None, 4)', '(None, 16)', '(None, 3)']);
    expect(report.order.map((l) => l.id)).toEqual(['input', 'dense_1', 'dense_2']);
  });

  it('follows edits: changing units changes the next shapes', () => {
    const report = inferShapes(withDense(defaultModel(), 'dense_1', { units: 32 }));
    expect(report.shapes.get('dense_1')).toEqual([null, 32]);
  });

  it('names the layer and the fix for a rank-3 input to Dense', () => {
    const model = defaultModel();
    model.layers[0] = { id: 'input', name: 'input', type: 'Input', params: { shape: [28, 28, 1] } };
    const [issue] = inferShapes(model).issues;
    expect(issue.message).toBe("Dense 'dense_1' needs a rank-2 input (batch, features) but receives (None, 28, 28, 1): add a Flatten before it");
    expect(issue.layerId).toBe('dense_1');
  });

  it('catches invalid units, cycles, dangling layers and missing inputs', () => {
    expect(inferShapes(withDense(defaultModel(), 'dense_1', { units: 0 })).issues[0].message).toMatch(/dense_1.*units.*1 to 65536, got 0/);
    expect(inferShapes(withDense(defaultModel(), 'dense_1', { units: 2.5 })).issues[0].message).toMatch(/got 2.5/);

    const cyclic = defaultModel();
    cyclic.edges.push({ from: 'dense_2', to: 'dense_1' });
    expect(inferShapes(cyclic).issues.map((i) => i.message).join('\n')).toMatch(/cycle/);

    const dangling = defaultModel();
    dangling.edges = dangling.edges.slice(0, 1);
    expect(inferShapes(dangling).issues).toEqual([{ layerId: 'dense_2', message: "Dense 'dense_2' is not connected to the Input: connect it or delete it" }]);

    const noInput = defaultModel();
    noInput.layers = noInput.layers.slice(1);
    noInput.edges = noInput.edges.slice(1);
    expect(inferShapes(noInput).issues[0].message).toMatch(/no Input layer/);
  });
});

describe('lowering to the engine', () => {
  it('lowers Dense layers to engine ops, the loss reading the logits under the softmax', () => {
    const lowered = lowerModel(defaultModel(), IRIS, OPTIONS);
    if (!lowered.ok) throw new Error('expected the default model to lower');
    const { spec } = lowered;
    expect(spec.params.map((p) => [p.name, p.shape, p.init])).toEqual([
      ['dense_1/kernel', [4, 16], 'glorot_uniform'], ['dense_1/bias', [16], 'zeros'],
      ['dense_2/kernel', [16, 3], 'glorot_uniform'], ['dense_2/bias', [3], 'zeros'],
    ]);
    expect(spec.nodes.map((n) => `${n.op}(${n.inputs.join(', ')})`)).toEqual([
      'matmul(input, dense_1/kernel)', 'bias_add(dense_1/matmul, dense_1/bias)', 'relu(dense_1/bias_add)',
      'matmul(dense_1/relu, dense_2/kernel)', 'bias_add(dense_2/matmul, dense_2/bias)', 'softmax(dense_2/bias_add)',
    ]);
    expect(spec.outputs).toEqual(['dense_2/softmax']);
    expect(spec.losses).toEqual([{ type: 'sparse_categorical_crossentropy', output: 'dense_2/bias_add', target: 'labels', fromLogits: true }]);
    expect(spec.optimizer).toEqual(OPTIONS.optimizer);
  });

  it('leaves the bias out when use_bias is off', () => {
    const lowered = lowerModel(withDense(defaultModel(), 'dense_1', { use_bias: false }), IRIS, OPTIONS);
    expect(lowered.ok && lowered.spec.nodes.map((n) => n.name).slice(0, 2)).toEqual(['dense_1/matmul', 'dense_1/relu']);
  });

  it('says how to fix a model that does not fit the dataset', () => {
    const wrongUnits = lowerModel(withDense(defaultModel(), 'dense_2', { units: 4 }), IRIS, OPTIONS);
    expect(wrongUnits).toMatchObject({ ok: false, issues: [{ layerId: 'dense_2', message: "Dense 'dense_2' has 4 units but Iris has 3 classes: set units to 3" }] });

    const model = defaultModel();
    model.layers[0] = { id: 'input', name: 'input', type: 'Input', params: { shape: [5] } };
    expect(lowerModel(model, IRIS, OPTIONS)).toMatchObject({ ok: false, issues: [{ message: "Input 'input' has shape (5,) but Iris rows have 4 features: set the shape to (4,)" }] });

    const noSoftmax = lowerModel(withDense(defaultModel(), 'dense_2', { activation: 'relu' }), IRIS, OPTIONS);
    expect(noSoftmax).toMatchObject({ ok: false, issues: [{ message: expect.stringMatching(/output layer.*softmax/) }] });
  });
});
