// The TF.js exporter's model.json and weight shard: the Keras 2 functional config tfjs-layers
// reads, weight names and bytes, the inference-form stand-ins for layers TF.js lacks, and the
// reasons compatibility() gives. tf.loadLayersModel runs the exports in
// test/conformance/export_tfjs.test.ts.
import { strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { compatibility, exportTfjs } from '../../../common/export/tfjs/index.js';
import { analyzeModel, defaultModel, type LayerDoc, type ModelDoc, type ParamValue } from '../../../common/model/index.js';

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: string;
    keras_version: string;
    backend: string;
    config: { name: string; layers: { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] }[]; input_layers: unknown[]; output_layers: unknown[] };
  };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });
const chain = (layers: LayerDoc[]): ModelDoc => ({ layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) });

function counting(model: ModelDoc): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const o of analyzeModel(model).order) for (const w of o.weights) out[`${o.layer.name}/${w.name}`] = Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5);
  return out;
}

function exported(model: ModelDoc, weights = counting(model)): { json: ModelJson; shard: Float32Array } {
  const files = exportTfjs(model, analyzeModel(model), weights);
  const bin = files.get('group1-shard1of1.bin')!;
  return { json: JSON.parse(strFromU8(files.get('model.json')!)) as ModelJson, shard: new Float32Array(bin.slice().buffer) };
}

const reasons = (model: ModelDoc) => compatibility(model).map((c) => c.reason);

describe('exportTfjs', () => {
  it('writes a layers-model: a Keras functional config and a manifest of one shard with the weights in order', () => {
    const model = defaultModel();
    const files = exportTfjs(model, analyzeModel(model), counting(model));
    expect([...files.keys()]).toEqual(['model.json', 'group1-shard1of1.bin']);
    const { json, shard } = exported(model);
    expect(json).toMatchObject({ format: 'layers-model', generatedBy: 'Kiln', convertedBy: null });
    expect(json.modelTopology).toMatchObject({ class_name: 'Model', backend: 'tensor_flow.js', keras_version: 'tfjs-layers 4.22.0' });
    const config = json.modelTopology.config;
    expect(config.input_layers).toEqual([['input', 0, 0]]);
    expect(config.output_layers).toEqual([['dense_2', 0, 0]]);
    expect(config.layers).toEqual([
      { class_name: 'InputLayer', name: 'input', config: { name: 'input', trainable: true, batch_input_shape: [null, 4], dtype: 'float32', sparse: false }, inbound_nodes: [] },
      { class_name: 'Dense', name: 'dense_1', config: { name: 'dense_1', trainable: true, dtype: 'float32', units: 16, use_bias: true, activation: 'relu' }, inbound_nodes: [[['input', 0, 0, {}]]] },
      { class_name: 'Dense', name: 'dense_2', config: { name: 'dense_2', trainable: true, dtype: 'float32', units: 3, use_bias: true, activation: 'softmax' }, inbound_nodes: [[['dense_1', 0, 0, {}]]] },
    ]);
    expect(json.weightsManifest).toEqual([{ paths: ['group1-shard1of1.bin'], weights: [
      { name: 'dense_1/kernel', shape: [4, 16], dtype: 'float32' },
      { name: 'dense_1/bias', shape: [16], dtype: 'float32' },
      { name: 'dense_2/kernel', shape: [16, 3], dtype: 'float32' },
      { name: 'dense_2/bias', shape: [3], dtype: 'float32' },
    ] }]);
    expect(shard.length).toBe(64 + 16 + 48 + 3);
    expect([shard[0], shard[63], shard[64], shard[80], shard[128]]).toEqual([0.5, 63.5, 0.5, 0.5, 0.5]);
  });

  it("names weights as tfjs-layers does (DepthwiseConv2D's kernel is depthwise_kernel) and maps activations to TF.js's names", () => {
    const model = chain([layer('x', 'Input', { shape: [5, 5, 2] }), layer('dw', 'DepthwiseConv2D', { kernel_size: 3, activation: 'silu' })]);
    const { json } = exported(model);
    expect(json.weightsManifest[0].weights.map((w) => w.name)).toEqual(['dw/depthwise_kernel', 'dw/bias']);
    expect(json.modelTopology.config.layers[1].config.activation).toBe('swish');
  });

  it('writes what TF.js lacks in inference form: training-only layers as a linear Activation, Normalization as a BatchNormalization', () => {
    const model = chain([
      layer('x', 'Input', { shape: [4, 4, 2] }),
      layer('flip', 'RandomFlip'),
      layer('drop2d', 'SpatialDropout2D', { rate: 0.5 }),
      layer('norm', 'Normalization', { mean: [1, 2], variance: [4, 0.25] }),
      layer('undo', 'Normalization', { axis: null, mean: 3, variance: 16, invert: true }),
      layer('scale', 'Rescaling', { scale: 1 / 255 }),
    ]);
    const { json, shard } = exported(model, {});
    const [, flip, drop2d, norm, undo, scale] = json.modelTopology.config.layers;
    expect([flip.class_name, flip.config.activation, drop2d.class_name]).toEqual(['Activation', 'linear', 'Activation']);
    expect([norm.class_name, norm.config.axis, norm.config.epsilon]).toEqual(['BatchNormalization', 3, 2 ** -10]);
    expect(scale).toMatchObject({ class_name: 'Rescaling', config: { scale: 1 / 255, offset: 0 } });
    expect(json.weightsManifest[0].weights.map((w) => w.name)).toEqual(['norm/gamma', 'norm/beta', 'norm/moving_mean', 'norm/moving_variance', 'undo/gamma', 'undo/beta', 'undo/moving_mean', 'undo/moving_variance']);
    // norm: gamma 1 / std, beta 0, mean; undo: gamma std, beta mean, mean 0; moving variance 1 - 2^-10 (so sqrt(var + eps) is 1).
    expect(Array.from(shard)).toEqual([0.5, 2, 0, 0, 1, 2, 1 - 2 ** -10, 1 - 2 ** -10, 4, 4, 3, 3, 0, 0, 1 - 2 ** -10, 1 - 2 ** -10]);
    expect(undo.config.axis).toBe(3);
  });

  it("writes ReLU's variants as the TF.js layer that computes each, and a Reshape's -1 resolved", () => {
    const model = chain([
      layer('x', 'Input', { shape: [6] }),
      layer('capped', 'ReLU', { max_value: 6 }),
      layer('leaky', 'ReLU', { negative_slope: 0.1 }),
      layer('thresholded', 'ReLU', { threshold: 0.5 }),
      layer('leaky_act', 'Activation', { activation: 'leaky_relu' }),
      layer('grid', 'Reshape', { target_shape: [2, -1] }),
    ]);
    expect(exported(model).json.modelTopology.config.layers.slice(1).map((l) => [l.class_name, l.config])).toEqual([
      ['ReLU', { name: 'capped', trainable: true, dtype: 'float32', max_value: 6 }],
      ['LeakyReLU', { name: 'leaky', trainable: true, dtype: 'float32', alpha: 0.1 }],
      ['ThresholdedReLU', { name: 'thresholded', trainable: true, dtype: 'float32', theta: 0.5 }],
      ['LeakyReLU', { name: 'leaky_act', trainable: true, dtype: 'float32', alpha: 0.2 }],
      ['Reshape', { name: 'grid', trainable: true, dtype: 'float32', target_shape: [2, 3] }],
    ]);
  });

  it('holds only the layers the outputs depend on', () => {
    const model: ModelDoc = {
      layers: [layer('x', 'Input', { shape: [3] }), layer('used', 'Dense', { units: 2 }), layer('unused', 'Dense', { units: 2 })],
      edges: [{ from: 'x', to: 'used' }, { from: 'x', to: 'unused' }],
      outputs: ['used'],
    };
    const { json } = exported(model);
    expect(json.modelTopology.config.layers.map((l) => l.name)).toEqual(['x', 'used']);
    expect(json.weightsManifest[0].weights.map((w) => w.name)).toEqual(['used/kernel', 'used/bias']);
  });
});

describe('compatibility with TF.js', () => {
  it('refuses activations TF.js lacks or computes differently, naming the layer', () => {
    const model = chain([layer('x', 'Input', { shape: [3] }), layer('hs', 'Dense', { units: 2, activation: 'hard_sigmoid' }), layer('ex', 'Activation', { activation: 'exponential' }), layer('lr', 'Dense', { units: 2, activation: 'leaky_relu' })]);
    expect(compatibility(model)).toEqual([
      { layerId: 'hs', layer: "Dense 'hs'", reason: "Dense 'hs': TF.js's hard_sigmoid is Keras 2's (0.2 x + 0.5), not Keras 3's (x / 6 + 0.5), so it would compute something else: use sigmoid" },
      { layerId: 'ex', layer: "Activation 'ex'", reason: "Activation 'ex': TF.js has no exponential activation" },
      { layerId: 'lr', layer: "Dense 'lr'", reason: "Dense 'lr': TF.js has no leaky_relu activation: set the activation to linear and add a LeakyReLU layer after it" },
    ]);
  });

  it('refuses what tfjs-layers ignores or computes wrongly: dilation, keepdims, BatchNormalization off the last axis or of rank 5, odd names', () => {
    const images = chain([
      layer('x', 'Input', { shape: [8, 8, 2] }),
      layer('dw', 'DepthwiseConv2D', { kernel_size: 2, dilation_rate: 2 }),
      layer('up', 'Conv2DTranspose', { filters: 2, kernel_size: 2, dilation_rate: 2 }),
      layer('bn', 'BatchNormalization', { axis: 1 }),
      layer('norm', 'Normalization', { axis: 2 }),
      layer('pool', 'GlobalMaxPooling2D', { keepdims: true }),
      layer('bad name', 'Flatten'),
    ]);
    expect(reasons(images)).toEqual([
      "DepthwiseConv2D 'dw': TF.js's DepthwiseConv2D ignores dilation_rate: set dilation_rate to 1",
      "Conv2DTranspose 'up': TF.js's Conv2DTranspose ignores dilation_rate: set dilation_rate to 1",
      "BatchNormalization 'bn': TF.js's CPU backend normalises BatchNormalization correctly only over the last axis, but this one normalises axis 1 of (None, 8, 8, 2): use axis -1",
      "Normalization 'norm': TF.js can only express Normalization as a BatchNormalization, and TF.js's CPU backend normalises BatchNormalization correctly only over the last axis, but this one normalises axis 2 of (None, 8, 8, 2): use axis -1",
      "GlobalMaxPooling2D 'pool': TF.js's GlobalMaxPooling2D has no keepdims: turn keepdims off and add a Reshape after it",
      "Flatten 'bad name': TF.js accepts layer names of letters, digits, '-', '_', '.' and '/' that start with a letter or digit: rename it",
    ]);
    const rank5 = chain([layer('x', 'Input', { shape: [2, 2, 2, 2] }), layer('bn', 'BatchNormalization')]);
    expect(reasons(rank5)).toEqual(["BatchNormalization 'bn': TF.js runs BatchNormalization on inputs of rank 2 to 4, but this one receives (None, 2, 2, 2, 2)"]);
  });

  it('finds nothing to refuse in the starter model', () => {
    expect(compatibility(defaultModel())).toEqual([]);
  });
});
