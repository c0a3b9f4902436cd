// The ONNX exporter's bytes read back field by field (onnx.proto's numbers): the model header, typed
// inputs and outputs with a symbolic batch, weights as initializers in ONNX's layouts, TensorFlow's
// 'same' padding, and the problems it names. onnxruntime runs the exports in
// test/conformance/export_onnx.test.ts.
import { describe, expect, it } from 'vitest';
import { permute, tfPadding } from '../../../common/export/onnx/convNodes.js';
import { compatibility, exportOnnx } from '../../../common/export/onnx/index.js';
import { ProtoReader } from '../../../common/formats/protobuf.js';
import { analyzeModel, defaultModel, type LayerDoc, type ModelDoc, type ParamValue } from '../../../common/model/index.js';

interface Node { op: string; name: string; inputs: string[]; outputs: string[]; attrs: Record<string, number | number[] | string> }
interface Initializer { name: string; dims: number[]; type: number; floats: number[]; ints: number[] }
interface Value { name: string; type: number; shape: (number | string | null)[] }
interface Model { irVersion: number; producer: string; opsets: [string, number][]; nodes: Node[]; initializers: Initializer[]; inputs: Value[]; outputs: Value[] }

function readAttr(r: ProtoReader): [string, number | number[] | string] {
  let name = '';
  let value: number | number[] | string = 0;
  while (r.next()) {
    if (r.field === 1) name = r.string();
    else if (r.field === 2) value = r.float();
    else if (r.field === 3) value = r.int();
    else if (r.field === 4) value = r.string();
    else if (r.field === 8) { const out: number[] = []; r.packedInts(out); value = out; }
    else r.skip();
  }
  return [name, value];
}

function readValue(r: ProtoReader): Value {
  const v: Value = { name: '', type: 0, shape: [] };
  while (r.next()) {
    if (r.field === 1) v.name = r.string();
    else if (r.field === 2) {
      const type = r.message();
      while (type.next()) {
        const tensor = type.message();
        while (tensor.next()) {
          if (tensor.field === 1) v.type = tensor.int();
          else {
            const shape = tensor.message();
            while (shape.next()) {
              const dim = shape.message();
              let d: number | string | null = null;
              while (dim.next()) d = dim.field === 1 ? dim.int() : dim.string();
              v.shape.push(d);
            }
          }
        }
      }
    } else r.skip();
  }
  return v;
}

function readModel(bytes: Uint8Array): Model {
  const m: Model = { irVersion: 0, producer: '', opsets: [], nodes: [], initializers: [], inputs: [], outputs: [] };
  const r = new ProtoReader(bytes, 0, bytes.length, 'ModelProto');
  while (r.next()) {
    if (r.field === 1) m.irVersion = r.int();
    else if (r.field === 2) m.producer = r.string();
    else if (r.field === 8) {
      const o = r.message();
      let domain = '';
      let version = 0;
      while (o.next()) if (o.field === 1) domain = o.string(); else version = o.int();
      m.opsets.push([domain, version]);
    } else if (r.field === 7) {
      const g = r.message('graph');
      while (g.next()) {
        if (g.field === 1) {
          const n = g.message('node');
          const node: Node = { op: '', name: '', inputs: [], outputs: [], attrs: {} };
          while (n.next()) {
            if (n.field === 1) node.inputs.push(n.string());
            else if (n.field === 2) node.outputs.push(n.string());
            else if (n.field === 3) node.name = n.string();
            else if (n.field === 4) node.op = n.string();
            else if (n.field === 5) { const [k, v] = readAttr(n.message()); node.attrs[k] = v; }
            else n.skip();
          }
          m.nodes.push(node);
        } else if (g.field === 5) {
          const t = g.message('initializer');
          const init: Initializer = { name: '', dims: [], type: 0, floats: [], ints: [] };
          while (t.next()) {
            if (t.field === 1) t.packedInts(init.dims);
            else if (t.field === 2) init.type = t.int();
            else if (t.field === 7) t.packedInts(init.ints);
            else if (t.field === 8) init.name = t.string();
            else if (t.field === 9) { const raw = t.bytes(); init.floats = Array.from(new Float32Array(raw.slice().buffer)); }
            else t.skip();
          }
          m.initializers.push(init);
        } else if (g.field === 11) m.inputs.push(readValue(g.message()));
        else if (g.field === 12) m.outputs.push(readValue(g.message()));
        else g.skip();
      }
    } else r.skip();
  }
  return m;
}

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });
const chain = (layers: LayerDoc[]): ModelDoc => ({ layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) });

/** Weights numbered 0, 1, 2, ... per weight, so a value's position shows where it went. */
function counting(model: ModelDoc): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const o of analyzeModel(model).order) for (const w of o.weights) out[`${o.layer.name}/${w.name}`] = Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
  return out;
}

const exported = (model: ModelDoc, weights = counting(model)) => readModel(exportOnnx(model, analyzeModel(model), weights).get('model.onnx')!);

describe('exportOnnx', () => {
  it('writes IR 8 with opset 17, inputs and outputs named after the layers with a symbolic batch, and weights as initializers', () => {
    const model = defaultModel();
    const files = exportOnnx(model, analyzeModel(model), counting(model));
    expect([...files.keys()]).toEqual(['model.onnx']);
    const m = readModel(files.get('model.onnx')!);
    expect(m.irVersion).toBe(8);
    expect(m.producer).toBe('Kiln');
    expect(m.opsets).toEqual([['', 17]]);
    expect(m.inputs).toEqual([{ name: 'input', type: 1, shape: ['batch', 4] }]);
    expect(m.outputs).toEqual([{ name: 'dense_2', type: 1, shape: ['batch', 3] }]);
    expect(m.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([
      ['Gemm', ['input', 'dense_1/kernel', 'dense_1/bias'], ['dense_1/gemm']],
      ['Relu', ['dense_1/gemm'], ['dense_1']],
      ['Gemm', ['dense_1', 'dense_2/kernel', 'dense_2/bias'], ['dense_2/gemm']],
      ['Softmax', ['dense_2/gemm'], ['dense_2']],
    ]);
    expect(m.nodes[3].attrs).toEqual({ axis: -1 });
    const kernel = m.initializers.find((i) => i.name === 'dense_1/kernel')!;
    expect(kernel.dims).toEqual([4, 16]);
    expect(kernel.type).toBe(1);
    expect(kernel.floats.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(m.initializers.map((i) => i.name)).toEqual(['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias']);
  });

  it("pads 'same' as TensorFlow does, the odd unit after", () => {
    expect(tfPadding(8, 3, 2, 1, 'same')).toEqual([0, 1]);
    expect(tfPadding(10, 4, 1, 1, 'same')).toEqual([1, 2]);
    expect(tfPadding(11, 2, 1, 3, 'same')).toEqual([1, 2]);
    expect(tfPadding(5, 1, 2, 1, 'same')).toEqual([0, 0]);
    expect(tfPadding(8, 3, 2, 1, 'valid')).toEqual([0, 0]);
  });

  it('transposes arrays as numpy does', () => {
    const a = Float32Array.from({ length: 24 }, (_, i) => i);
    // a[i][j][k] with shape (2, 3, 4); out[k][i][j] = a[i][j][k].
    const t = permute(a, [2, 3, 4], [2, 0, 1]);
    expect(t[0 * 6 + 1 * 3 + 2]).toBe(1 * 12 + 2 * 4 + 0);
    expect(t[3 * 6 + 0 * 3 + 1]).toBe(0 * 12 + 1 * 4 + 3);
  });

  it('convolves channels first between transposes, with the kernel in ONNX layout and explicit pads', () => {
    const model = chain([layer('x', 'Input', { shape: [8, 10, 2] }), layer('conv', 'Conv2D', { filters: 3, kernel_size: [3, 4], strides: 2, padding: 'same', activation: 'relu' })]);
    const m = exported(model);
    expect(m.nodes.map((n) => n.op)).toEqual(['Transpose', 'Conv', 'Transpose', 'Relu']);
    expect(m.nodes[0].attrs.perm).toEqual([0, 3, 1, 2]);
    expect(m.nodes[2].attrs.perm).toEqual([0, 2, 3, 1]);
    expect(m.nodes[1].attrs).toEqual({ kernel_shape: [3, 4], strides: [2, 2], dilations: [1, 1], group: 1, pads: [0, 1, 1, 1] });
    const kernel = m.initializers.find((i) => i.name === 'conv/kernel')!;
    expect(kernel.dims).toEqual([3, 2, 3, 4]);
    // Keras's kernel (kh, kw, c, f) at (1, 2, 1, 0) is ONNX's (f, c, kh, kw) at (0, 1, 1, 2).
    expect(kernel.floats[0 * 24 + 1 * 12 + 1 * 4 + 2]).toBe(((1 * 4 + 2) * 2 + 1) * 3 + 0);
    expect(m.outputs).toEqual([{ name: 'conv', type: 1, shape: ['batch', 4, 5, 3] }]);
  });

  it("gives pools auto_pad (ONNX Runtime folds a zero Pad into a pool's explicit pads and changes its result)", () => {
    const model = chain([
      layer('x', 'Input', { shape: [6, 6, 1] }),
      layer('pad', 'ZeroPadding2D', { padding: 1 }),
      layer('max', 'MaxPooling2D', { pool_size: 2 }),
      layer('avg', 'AveragePooling2D', { pool_size: 3, strides: 2, padding: 'same' }),
    ]);
    const pools = exported(model).nodes.filter((n) => n.op.endsWith('Pool'));
    expect(pools.map((n) => n.attrs)).toEqual([
      { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' },
      { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
    ]);
  });

  it('passes training-only layers through with an Identity named after the layer, and leaves out layers no output reads', () => {
    const model: ModelDoc = {
      layers: [layer('x', 'Input', { shape: [3] }), layer('drop', 'Dropout', { rate: 0.5 }), layer('unused', 'Dense', { units: 2 })],
      edges: [{ from: 'x', to: 'drop' }, { from: 'x', to: 'unused' }],
      outputs: ['drop'],
    };
    const m = exported(model);
    expect(m.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([['Identity', ['x'], ['drop']]]);
    expect(m.initializers).toEqual([]);
  });

  it('reads int32 inputs as such, and casts float indices for Embedding', () => {
    const ints = chain([layer('ids', 'Input', { shape: [5], dtype: 'int32' }), layer('embed', 'Embedding', { input_dim: 7, output_dim: 2 })]);
    const m = exported(ints);
    expect(m.inputs).toEqual([{ name: 'ids', type: 6, shape: ['batch', 5] }]);
    expect(m.nodes.map((n) => n.op)).toEqual(['Gather']);
    const floats = chain([layer('ids', 'Input', { shape: [5] }), layer('embed', 'Embedding', { input_dim: 7, output_dim: 2 })]);
    expect(exported(floats).nodes.map((n) => [n.op, n.attrs])).toEqual([['Cast', { to: 6 }], ['Gather', { axis: 0 }]]);
  });

  it('bakes Normalization in as constants: (x - mean) / max(sqrt(variance), 1e-7)', () => {
    const model = chain([layer('x', 'Input', { shape: [2] }), layer('norm', 'Normalization', { mean: [1, 2], variance: [4, 0] })]);
    const m = exported(model);
    expect(m.nodes.map((n) => n.op)).toEqual(['Sub', 'Div']);
    expect(m.initializers.find((i) => i.name === 'norm/std')!.floats).toEqual([2, Math.fround(1e-7)]);
  });

  it('names the layer and the weight when a weight is missing or of the wrong size, and refuses a model with problems', () => {
    const model = defaultModel();
    const analysis = analyzeModel(model);
    const { ['dense_2/bias']: _, ...withoutBias } = counting(model);
    expect(() => exportOnnx(model, analysis, withoutBias)).toThrow("the weights to export have no dense_2/bias for Dense 'dense_2' (shape (3,)): export from a checkpoint of this model");
    expect(() => exportOnnx(model, analysis, { ...counting(model), 'dense_1/kernel': new Float32Array(3) })).toThrow("the weight dense_1/kernel of Dense 'dense_1' holds 3 values, but the model needs shape (4, 16) (64 values)");
    const broken = chain([layer('x', 'Input', { shape: [3, 3] }), layer('fc', 'Dense', { units: 2 })]);
    expect(() => exportOnnx(broken, analyzeModel(broken), {})).toThrow(/cannot export to ONNX: Dense 'fc' needs a rank-2 input/);
  });

  it('finds every catalogue layer expressible, and names a layer type it does not know', () => {
    expect(compatibility(defaultModel())).toEqual([]);
    const model: ModelDoc = { layers: [layer('x', 'Input', { shape: [3] }), layer('rnn', 'LSTM', { units: 2 })], edges: [{ from: 'x', to: 'rnn' }] };
    expect(compatibility(model)).toEqual([{ layerId: 'rnn', layer: "LSTM 'rnn'", reason: "LSTM 'rnn': ONNX export has no mapping for LSTM layers yet" }]);
  });
});
