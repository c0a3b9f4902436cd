import { describe, expect, it } from 'vitest';
import { analyzeModel, defaultModel, defaultTrainingConfig, formatShape, lowerModel, type ModelDoc, type ParamValue } from '../../../common/model/index.js';

const CONFIG = { ...defaultTrainingConfig(), optimizer: { type: 'sgd' as const, learningRate: 0.05 }, seed: 7 };

function withParams(model: ModelDoc, id: string, change: Record<string, ParamValue>): ModelDoc {
  return { ...model, layers: model.layers.map((l) => (l.id === id ? { ...l, params: { ...l.params, ...change } } : l)) };
}

describe('model analysis', () => {
  it('infers (None, units) for each Dense of the starter model, with Keras parameter counts', () => {
    const report = analyzeModel(defaultModel());
    expect(report.issues).toEqual([]);
    expect([...report.shapes.values()].map(formatShape)).toEqual(['(None, 4)', '(None, 16)', '(None, 3)']);
    expect(report.order.map((l) => [l.layer.id, l.trainable, l.flops])).toEqual([['input', 0, 0], ['dense_1', 80, 128], ['dense_2', 51, 96]]);
    expect(report.inputs).toEqual(['input']);
    expect(report.outputs).toEqual(['dense_2']);
  });

  it('follows edits: changing units changes the next shapes', () => {
    const report = analyzeModel(withParams(defaultModel(), 'dense_1', { units: 32 }));
    expect(report.shapes.get('dense_1')).toEqual([null, 32]);
  });

  it('names the layer and the fix for a rank-3 input to Dense', () => {
    const model = withParams(defaultModel(), 'input', { shape: [28, 28, 1] });
    const [issue] = analyzeModel(model).issues;
    expect(issue.message).toBe("Dense 'dense_1' needs a rank-2 input (batch, features) but receives (None, 28, 28, 1): add a Flatten before it");
    expect(issue.layerId).toBe('dense_1');
  });

  it('catches invalid parameters, unknown layers, cycles, dangling layers and missing inputs', () => {
    expect(analyzeModel(withParams(defaultModel(), 'dense_1', { units: 0 })).issues[0].message).toBe("Dense 'dense_1' units must be a whole number from 1 to 1048576, got 0");
    expect(analyzeModel(withParams(defaultModel(), 'dense_1', { activation: 'sparkle' })).issues[0].message).toMatch(/activation must be one of linear, relu/);
    expect(analyzeModel(withParams(defaultModel(), 'dense_1', { unit: 3 })).issues[0].message).toMatch(/has no parameter 'unit' \(Dense takes units, activation/);

    const unknown = defaultModel();
    unknown.layers[1] = { ...unknown.layers[1], type: 'Densely' };
    expect(analyzeModel(unknown).issues[0].message).toBe("layer 'dense_1' has type \"Densely\", which Kiln does not know: replace it with a supported layer");

    const cyclic = defaultModel();
    cyclic.edges.push({ from: 'dense_2', to: 'dense_1' });
    expect(analyzeModel(cyclic).issues.map((i) => i.message).join('\n')).toMatch(/reads 2 layers but takes one|cycle/);

    const loop = defaultModel();
    loop.edges = [{ from: 'input', to: 'dense_1' }, { from: 'dense_2', to: 'dense_2' }];
    expect(analyzeModel(loop).issues.map((i) => i.message)).toContain("Dense 'dense_2' is part of a cycle: remove a connection so data flows one way");

    const dangling = defaultModel();
    dangling.edges = dangling.edges.slice(0, 1);
    expect(analyzeModel(dangling).issues).toEqual([{ layerId: 'dense_2', message: "Dense 'dense_2' is not connected to an Input: connect it or delete it" }]);

    const noInput = defaultModel();
    noInput.layers = noInput.layers.slice(1);
    noInput.edges = noInput.edges.slice(1);
    expect(analyzeModel(noInput).issues[0].message).toMatch(/no Input layer/);

    const unused = defaultModel();
    unused.layers.push({ id: 'extra', name: 'extra', type: 'Input', params: { shape: [2] } });
    expect(analyzeModel(unused).issues.map((i) => i.message)).toContain("Input 'extra' is not read by any layer: connect it or delete it");
  });

  it('handles a DAG: one layer read by two, both outputs', () => {
    const model: ModelDoc = {
      layers: [
        { id: 'x', name: 'x', type: 'Input', params: { shape: [8] } },
        { id: 'h', name: 'h', type: 'Dense', params: { units: 6, activation: 'relu' } },
        { id: 'a', name: 'a', type: 'Dense', params: { units: 3, activation: 'softmax' } },
        { id: 'b', name: 'b', type: 'Dense', params: { units: 1 } },
      ],
      edges: [{ from: 'x', to: 'h' }, { from: 'h', to: 'a' }, { from: 'h', to: 'b' }],
    };
    const report = analyzeModel(model);
    expect(report.issues).toEqual([]);
    expect(report.outputs).toEqual(['a', 'b']);
    const lowered = lowerModel(model, { ...CONFIG, loss: { a: 'sparse_categorical_crossentropy', b: 'mean_squared_error' }, metrics: ['accuracy'] });
    if (!lowered.ok) throw new Error(lowered.issues[0].message);
    expect(lowered.spec.targets).toEqual([{ name: 'a/target', shape: [], dtype: 'int32' }, { name: 'b/target', shape: [1] }]);
    expect(lowered.spec.losses.map((l) => [l.type, l.output, l.fromLogits])).toEqual([['sparse_categorical_crossentropy', 'a/bias_add', true], ['mean_squared_error', 'b/bias_add', undefined]]);
    expect(lowered.spec.metrics.map((m) => m.name)).toEqual(['a_accuracy', 'b_accuracy']);
  });
});

describe('lowering to the engine', () => {
  it('lowers Dense layers to engine ops, the loss reading the logits under the softmax', () => {
    const lowered = lowerModel(defaultModel(), CONFIG);
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
    expect(spec.losses).toEqual([{ type: 'sparse_categorical_crossentropy', output: 'dense_2/bias_add', target: 'dense_2/target', fromLogits: true }]);
    expect(spec.optimizer).toEqual(CONFIG.optimizer);
  });

  it('leaves the bias out when use_bias is off', () => {
    const lowered = lowerModel(withParams(defaultModel(), 'dense_1', { use_bias: false }), CONFIG);
    expect(lowered.ok && lowered.spec.nodes.map((n) => n.name).slice(0, 2)).toEqual(['dense_1/matmul', 'dense_1/relu']);
  });
});
