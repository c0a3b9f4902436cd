// Shape inference, problems, weights and lowering of the normalisation, regularisation, activation,
// merge, embedding and preprocessing layers (no engine, no Keras: see test/conformance/layers_misc).
import { describe, expect, it } from 'vitest';
import { adaptNormalization, analyzeModel, layerDef, lowerModel, type ModelDoc, type ParamValue } from '../../../common/model/index.js';

const CONFIG = { loss: 'mean_squared_error' as const, optimizer: { type: 'sgd' as const }, metrics: [], batchSize: 4, epochs: 1, validationSplit: 0, seed: 1, callbacks: {} };

/** Input(s) -> one layer named 'l'. */
function model(type: string, params: Record<string, ParamValue>, ...inputs: number[][]): ModelDoc {
  return {
    layers: [...inputs.map((shape, i) => ({ id: `in${i}`, name: `in${i}`, type: 'Input', params: { shape } })), { id: 'l', name: 'l', type, params }],
    edges: inputs.map((_, i) => ({ from: `in${i}`, to: 'l', index: i })),
  };
}

function analyze(type: string, params: Record<string, ParamValue>, ...inputs: number[][]) {
  const a = analyzeModel(model(type, params, ...inputs));
  const info = a.order.find((o) => o.layer.id === 'l');
  return { issues: a.issues.map((i) => i.message), info };
}

function problem(type: string, params: Record<string, ParamValue>, ...inputs: number[][]): string {
  const { issues } = analyze(type, params, ...inputs);
  expect(issues).toHaveLength(1);
  return issues[0];
}

describe('normalisation layers', () => {
  it('counts BatchNormalization on 16 channels as 64 parameters, 32 trainable, in Keras order', () => {
    const { issues, info } = analyze('BatchNormalization', {}, [8, 8, 16]);
    expect(issues).toEqual([]);
    expect(info!.shape).toEqual([null, 8, 8, 16]);
    expect([info!.trainable, info!.nonTrainable]).toEqual([32, 32]);
    expect(info!.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([
      ['gamma', [16], true], ['beta', [16], true], ['moving_mean', [16], false], ['moving_variance', [16], false],
    ]);
    expect(analyze('BatchNormalization', { scale: false, center: false }, [16]).info!.weights.map((w) => w.name)).toEqual(['moving_mean', 'moving_variance']);
    expect(analyze('BatchNormalization', { axis: 1 }, [3, 16]).info!.weights[0].shape).toEqual([3]);
  });

  it('lowers BatchNormalization to batch statistics with moving averages in training and moving statistics in inference', () => {
    const lowered = lowerModel(model('BatchNormalization', { center: false, momentum: 0.9 }, [5]), CONFIG);
    if (!lowered.ok) throw new Error(lowered.issues[0].message);
    const nodes = lowered.spec.nodes;
    expect(nodes.map((n) => [n.op, n.mode])).toEqual([['fill', undefined], ['batch_norm_train', 'train'], ['batch_norm_infer', 'infer']]);
    expect(nodes[1].inputs).toEqual(['in0', 'l/gamma', 'l/beta']);
    expect(nodes[2].inputs).toEqual(['in0', 'l/gamma', 'l/beta', 'l/moving_mean', 'l/moving_variance']);
    expect(nodes[1].attrs).toEqual({ axis: 1, epsilon: 1e-3 });
    expect(lowered.spec.movingAverages).toEqual([
      { var: 'l/moving_mean', value: 'l/batch_mean', momentum: 0.9 },
      { var: 'l/moving_variance', value: 'l/batch_variance', momentum: 0.9 },
    ]);
    expect(lowered.spec.outputs).toEqual(['l']);
  });

  it('names bad axes and missing feature axes in the user\'s terms', () => {
    expect(problem('BatchNormalization', { axis: 0 }, [4])).toBe("BatchNormalization 'l' has axis 0, the batch axis: choose a feature axis (-1 for the last)");
    expect(problem('LayerNormalization', { axis: 3 }, [4, 2])).toBe("LayerNormalization 'l' has axis 3, which is out of range for its input (None, 4, 2) (use -1 for the last axis)");
    expect(problem('BatchNormalization', { momentum: 2 }, [4])).toMatch(/momentum must be a number from 0 to 1, got 2/);
    expect(problem('BatchNormalization', { renorm: true }, [4])).toMatch(/has no parameter 'renorm'/);
  });

  it('gives LayerNormalization gamma and beta over its axis', () => {
    const { info } = analyze('LayerNormalization', {}, [10, 32]);
    expect([info!.trainable, info!.nonTrainable]).toEqual([64, 0]);
    expect(analyze('LayerNormalization', { center: false }, [32]).info!.weights.map((w) => w.name)).toEqual(['gamma']);
  });
});

describe('regularisation layers', () => {
  it('need the right rank and their required parameters', () => {
    expect(problem('SpatialDropout1D', { rate: 0.2 }, [10])).toBe("SpatialDropout1D 'l' needs a rank-3 input (batch, steps, channels) but receives (None, 10)");
    expect(problem('SpatialDropout2D', { rate: 0.2 }, [4, 4])).toBe("SpatialDropout2D 'l' needs a rank-4 input (batch, height, width, channels) but receives (None, 4, 4)");
    expect(problem('SpatialDropout1D', {}, [4, 3])).toBe("SpatialDropout1D 'l' needs rate: set it (Keras has no default for it)");
    expect(problem('GaussianNoise', {}, [4])).toMatch(/needs stddev: set it/);
    expect(problem('GaussianNoise', { stddev: -1 }, [4])).toMatch(/stddev must be a number of at least 0/);
  });

  it('act only in training', () => {
    for (const [type, params, shape] of [['SpatialDropout2D', { rate: 0.5 }, [4, 4, 3]], ['GaussianNoise', { stddev: 0.1 }, [6]]] as const) {
      const lowered = lowerModel(model(type, params, [...shape]), CONFIG);
      if (!lowered.ok) throw new Error(lowered.issues[0].message);
      const infer = lowered.spec.nodes.filter((n) => n.mode !== 'train');
      expect(infer.map((n) => n.op), type).toEqual(['reshape']);
      expect(lowered.spec.nodes.filter((n) => n.mode === 'train').map((n) => n.op)).toContain(type === 'GaussianNoise' ? 'gaussian_noise' : 'dropout');
      expect(analyze(type, params, [...shape]).info!.weights).toEqual([]);
    }
  });
});

describe('activation layers', () => {
  it('take Keras 3 defaults', () => {
    expect(layerDef('LeakyReLU')!.params.negative_slope.default).toBe(0.3);
    expect(layerDef('ELU')!.params.alpha.default).toBe(1);
    expect(layerDef('PReLU')!.params.alpha_initializer.default).toBe('zeros');
    expect(layerDef('ReLU')!.params.max_value.default).toBeNull();
  });

  it('lower ReLU to the simplest ops that give Keras\'s result', () => {
    const ops = (params: Record<string, ParamValue>) => {
      const lowered = lowerModel(model('ReLU', params, [4]), CONFIG);
      if (!lowered.ok) throw new Error(lowered.issues[0].message);
      return lowered.spec.nodes.map((n) => n.op);
    };
    expect(ops({})).toEqual(['relu']);
    expect(ops({ negative_slope: 0.1 })).toEqual(['leaky_relu']);
    expect(ops({ max_value: 6 })).toEqual(['relu', 'clip']);
    expect(ops({ threshold: 1 })).toEqual(['fill', 'greater', 'mul']);
    expect(problem('ReLU', { max_value: -1 }, [4])).toMatch(/max_value must be a number of at least 0/);
  });

  it('shapes PReLU alpha like the input without the batch, 1 on shared axes', () => {
    expect(analyze('PReLU', {}, [8, 8, 3]).info!.weights[0].shape).toEqual([8, 8, 3]);
    expect(analyze('PReLU', { shared_axes: [1, 2] }, [8, 8, 3]).info!.weights[0].shape).toEqual([1, 1, 3]);
    expect(analyze('PReLU', { shared_axes: [1, 2] }, [8, 8, 3]).info!.trainable).toBe(3);
    expect(problem('PReLU', { shared_axes: [3] }, [8, 3])).toBe("PReLU 'l' has shared_axes [3], but its input (None, 8, 3) has no axis 3: use axes from 1 to 2");
  });

  it('refuses a softmax over the batch axis', () => {
    expect(problem('Softmax', { axis: 0 }, [4])).toBe("Softmax 'l' has axis 0, which is the batch axis for its input (None, 4): use -1 for the last axis");
    expect(problem('Softmax', { axis: 2 }, [4])).toMatch(/axis 2, which is out of range/);
  });
});

describe('merge layers', () => {
  it('infer Keras\'s merged shape (equal, or 1 on an axis) and name the input that differs', () => {
    expect(analyze('Add', {}, [4], [4]).info!.shape).toEqual([null, 4]);
    expect(analyze('Multiply', {}, [2, 3], [1, 3]).info!.shape).toEqual([null, 2, 3]);
    expect(analyze('Maximum', {}, [3], [2, 3]).info!.shape).toEqual([null, 2, 3]);
    expect(problem('Add', {}, [4], [5])).toBe("Add 'l' cannot add input 2 of shape (None, 5) and input 1 of shape (None, 4): shapes must be equal apart from the batch axis (an axis of size 1 repeats to match), so resize or reshape one of them");
    expect(problem('Average', {}, [4], [4], [3])).toMatch(/cannot average input 3 of shape \(None, 3\) and inputs 1 to 2, of shape \(None, 4\) together/);
    expect(problem('Subtract', {}, [4], [4], [4])).toBe("Subtract 'l' subtracts its second input from its first, so it takes exactly 2 inputs but reads 3: connect two layers to it");
    expect(problem('Add', {}, [4])).toBe("Add 'l' merges several inputs but reads 1: connect at least two layers to it");
  });

  it('concatenate along one axis, the others matching', () => {
    expect(analyze('Concatenate', {}, [5, 3], [5, 4]).info!.shape).toEqual([null, 5, 7]);
    expect(analyze('Concatenate', { axis: 1 }, [5, 3], [2, 3]).info!.shape).toEqual([null, 7, 3]);
    expect(problem('Concatenate', {}, [5, 3], [4, 3])).toBe("Concatenate 'l' needs inputs that match on every axis but the concatenation axis -1, but input 2 is (None, 4, 3) and input 1 is (None, 5, 3) (they differ on axis 1)");
    expect(problem('Concatenate', {}, [5, 3], [3])).toBe("Concatenate 'l' needs inputs of the same rank, but input 2 is (None, 3) and input 1 is (None, 5, 3)");
    expect(problem('Concatenate', { axis: 0 }, [3], [3])).toMatch(/the batch axis/);
  });

  it('lower a lower-rank input with size-1 axes after the batch, as Keras does', () => {
    const lowered = lowerModel(model('Add', {}, [3], [2, 3]), CONFIG);
    if (!lowered.ok) throw new Error(lowered.issues[0].message);
    expect(lowered.spec.nodes.map((n) => [n.op, n.attrs])).toEqual([['reshape', { shape: [-1, 1, 3] }], ['add', undefined]]);
  });
});

describe('Embedding', () => {
  it('adds an output_dim axis and counts input_dim * output_dim weights', () => {
    const doc = model('Embedding', { input_dim: 1000, output_dim: 64 }, [20]);
    doc.layers[0].params.dtype = 'int32';
    const a = analyzeModel(doc);
    expect(a.issues).toEqual([]);
    const info = a.order.find((o) => o.layer.id === 'l')!;
    expect(info.shape).toEqual([null, 20, 64]);
    expect(info.trainable).toBe(64000);
    expect(info.weights[0]).toMatchObject({ name: 'embeddings', shape: [1000, 64], init: 'random_uniform' });
    const lowered = lowerModel(doc, CONFIG);
    if (!lowered.ok) throw new Error(lowered.issues[0].message);
    expect(lowered.spec.inputs).toEqual([{ name: 'in0', shape: [20], dtype: 'int32' }]);
    expect(lowered.spec.nodes.map((n) => [n.op, n.inputs])).toEqual([['cast', ['in0']], ['gather', ['l/embeddings', 'l/indices']]]);
  });

  it('asks for its sizes and refuses masking', () => {
    expect(problem('Embedding', { output_dim: 4 }, [3])).toMatch(/needs input_dim: set it/);
    expect(problem('Embedding', { input_dim: 10, output_dim: 4, mask_zero: true }, [3])).toMatch(/mask_zero on, but Kiln does not support masking yet/);
    const doc = model('Embedding', { input_dim: 10, output_dim: 4 }, [3]);
    doc.layers[0].params.dtype = 'int64';
    expect(analyzeModel(doc).issues.map((i) => i.message)).toEqual(["Input 'in0' dtype must be one of float32, int32, got \"int64\""]);
  });
});

describe('preprocessing layers', () => {
  it('check Rescaling and Normalization values against the channels', () => {
    expect(analyze('Rescaling', { scale: [1, 2, 3] }, [4, 3]).issues).toEqual([]);
    expect(problem('Rescaling', { scale: [1, 2] }, [4, 3])).toBe("Rescaling 'l' has 2 values for scale, but its input (None, 4, 3) has 3 channels: give one number, or one per channel");
    expect(problem('Rescaling', {}, [4])).toMatch(/needs scale: set it/);
    expect(problem('Normalization', { mean: [1, 2] }, [2])).toBe("Normalization 'l' has a mean but no variance: give both, or neither to adapt them to the training data");
    expect(problem('Normalization', { mean: [1, 2], variance: [1, -1] }, [2])).toMatch(/negative variance/);
    expect(problem('Normalization', { mean: [1, 2], variance: [1, 1] }, [3])).toMatch(/has 2 values for mean, but axis -1 of its input \(None, 3\) has 3 channels/);
  });

  it("gives an adaptable Normalization Keras's non-trainable mean, variance and count, and a given one none", () => {
    const { info } = analyze('Normalization', {}, [5, 3]);
    expect(info!.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([['mean', [3], false], ['variance', [3], false], ['count', [], false]]);
    expect([info!.trainable, info!.nonTrainable]).toEqual([0, 7]);
    expect(analyze('Normalization', { axis: null }, [5, 3]).info!.weights.map((w) => w.shape)).toEqual([[], [], []]);
    expect(analyze('Normalization', { mean: 0, variance: 1 }, [3]).info!.weights).toEqual([]);
  });

  it("adapts like Keras: population mean and variance per channel of the last axis", () => {
    // Two samples of shape [2, 3]: channel c sees 4 values.
    const x = Float32Array.from([1, 10, 0, 3, 20, 0, 5, 30, 0, 7, 40, 0]);
    const r = adaptNormalization(x, [2, 3]);
    expect(Array.from(r.mean)).toEqual([4, 25, 0]);
    expect(Array.from(r.variance)).toEqual([5, 125, 0]);
    expect(r.count).toBe(4);
    const all = adaptNormalization(Float32Array.from([1, 2, 3, 4]), [2], null);
    expect([Array.from(all.mean), Array.from(all.variance), all.count]).toEqual([[2.5], [1.25], 4]);
    const first = adaptNormalization(Float32Array.from([1, 2, 3, 4]), [2, 1], 1);
    expect(Array.from(first.mean)).toEqual([2, 3]);
    expect(() => adaptNormalization(Float32Array.from([1, 2, 3]), [2])).toThrow(/not a whole number of samples/);
  });
});
