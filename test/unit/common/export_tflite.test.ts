// The TensorFlow Lite export's structure, read back with a small FlatBuffers reader following
// schema.fbs: identifier and version, the empty buffer 0, tensors with a dynamic batch, weights
// in TensorFlow Lite's layouts, operator codes and options, the serving_default signature; and the
// errors and compatibility report in the user's terms. (test/conformance/export_tflite.test.ts
// runs the files in tf.lite.Interpreter.)
import { describe, expect, it } from 'vitest';
import { compatibility, exportTflite } from '../../../common/export/tflite/index.js';
import { EMITTERS } from '../../../common/export/tflite/layers/index.js';
import { BuiltinOp } from '../../../common/export/tflite/schema.js';
import { dilateKernel, permute } from '../../../common/export/tflite/weights.js';
import { analyzeModel, defaultModel, LAYERS, type LayerDoc, type ModelDoc, type ParamValue } from '../../../common/model/index.js';

/** A table of a FlatBuffer: fields by slot, as schema.fbs numbers them. */
class Table {
  constructor(private readonly view: DataView, readonly pos: number) {}

  private field(slot: number): number {
    const vtable = this.pos - this.view.getInt32(this.pos, true);
    return 4 + 2 * slot < this.view.getUint16(vtable, true) ? this.view.getUint16(vtable + 4 + 2 * slot, true) : 0;
  }

  scalar(slot: number, kind: 'int8' | 'uint8' | 'bool' | 'int32' | 'uint32' | 'float32', fallback: number): number {
    const at = this.field(slot);
    if (!at) return fallback;
    const p = this.pos + at;
    return { int8: () => this.view.getInt8(p), uint8: () => this.view.getUint8(p), bool: () => this.view.getUint8(p), int32: () => this.view.getInt32(p, true), uint32: () => this.view.getUint32(p, true), float32: () => this.view.getFloat32(p, true) }[kind]();
  }

  private target(slot: number): number | null {
    const at = this.field(slot);
    return at ? this.pos + at + this.view.getUint32(this.pos + at, true) : null;
  }

  table(slot: number): Table | null {
    const p = this.target(slot);
    return p === null ? null : new Table(this.view, p);
  }

  tables(slot: number): Table[] {
    const p = this.target(slot);
    if (p === null) return [];
    return Array.from({ length: this.view.getUint32(p, true) }, (_, i) => new Table(this.view, p + 4 + 4 * i + this.view.getUint32(p + 4 + 4 * i, true)));
  }

  ints(slot: number): number[] | null {
    const p = this.target(slot);
    return p === null ? null : Array.from({ length: this.view.getUint32(p, true) }, (_, i) => this.view.getInt32(p + 4 + 4 * i, true));
  }

  /** A [ubyte] vector: where its bytes start in the file, and how many. */
  bytes(slot: number): { start: number; length: number } | null {
    const p = this.target(slot);
    return p === null ? null : { start: p + 4, length: this.view.getUint32(p, true) };
  }

  string(slot: number): string | null {
    const b = this.bytes(slot);
    return b === null ? null : Buffer.from(this.view.buffer, this.view.byteOffset + b.start, b.length).toString('utf8');
  }
}

const CODE_NAMES = new Map<number, string>(Object.entries(BuiltinOp).map(([name, op]) => [op.code, name]));

/** The parts of a .tflite file the tests look at, decoded. */
function readTflite(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const model = new Table(view, view.getUint32(0, true));
  const [subgraph, ...more] = model.tables(2);
  const buffers = model.tables(4).map((b) => b.bytes(0));
  const tensors = subgraph.tables(0).map((t) => {
    const buffer = buffers[t.scalar(2, 'uint32', 0)];
    const data = buffer && buffer.length > 0 ? new Float32Array(bytes.slice(buffer.start, buffer.start + buffer.length).buffer) : null;
    return { name: t.string(3), shape: t.ints(0), signature: t.ints(7), type: t.scalar(1, 'int8', 0), buffer: t.scalar(2, 'uint32', 0), dataStart: buffer?.start, data };
  });
  const codes = model.tables(1).map((c) => ({ deprecated: c.scalar(0, 'int8', 0), code: c.scalar(3, 'int32', 0), version: c.scalar(2, 'int32', 1) }));
  const operators = subgraph.tables(3).map((o) => {
    const code = codes[o.scalar(0, 'uint32', 0)];
    return { op: CODE_NAMES.get(code.code), version: code.version, inputs: o.ints(1)!, outputs: o.ints(2)!, optionsType: o.scalar(3, 'uint8', 0), options: o.table(4) };
  });
  const maps = (list: Table[]) => list.map((m) => ({ name: m.string(0), tensor: m.scalar(1, 'uint32', 0) }));
  const signatures = model.tables(7).map((s) => ({ key: s.string(2), inputs: maps(s.tables(0)), outputs: maps(s.tables(1)), subgraph: s.scalar(4, 'uint32', 0) }));
  return {
    identifier: String.fromCharCode(...bytes.subarray(4, 8)),
    version: model.scalar(0, 'uint32', 0),
    description: model.string(3),
    subgraphs: 1 + more.length,
    buffers,
    tensors,
    codes,
    operators,
    inputs: subgraph.ints(1)!,
    outputs: subgraph.ints(2)!,
    signatures,
  };
}

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });

function sequential(...layers: LayerDoc[]): ModelDoc {
  return { layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) };
}

/** Weights 0, 1, 2, ... (each weight its own run), so layouts can be checked by value. */
function countingWeights(model: ModelDoc): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const info of analyzeModel(model).order) {
    for (const w of info.weights) out[`${info.layer.name}/${w.name}`] = Float32Array.from({ length: w.shape.reduce((a, d) => a * d, 1) }, (_, i) => i);
  }
  return out;
}

function exported(model: ModelDoc, weights = countingWeights(model)) {
  return readTflite(exportTflite(model, analyzeModel(model), weights).get('model.tflite')!);
}

describe('TensorFlow Lite export', () => {
  it('writes a version 3 TFL3 flatbuffer: one subgraph, buffer 0 empty, a dynamic batch, a serving_default signature', () => {
    const m = exported(defaultModel());
    expect(m.identifier).toBe('TFL3');
    expect(m.version).toBe(3);
    expect(m.description).toBe('Kiln');
    expect(m.subgraphs).toBe(1);
    expect(m.buffers[0]).toBeNull();
    const input = m.tensors[m.inputs[0]];
    expect(input).toMatchObject({ name: 'input', shape: [1, 4], signature: [-1, 4], type: 0, buffer: 0 });
    const output = m.tensors[m.outputs[0]];
    expect(output).toMatchObject({ name: 'dense_2', shape: [1, 3], signature: [-1, 3] });
    expect(m.signatures).toEqual([{ key: 'serving_default', inputs: [{ name: 'input', tensor: m.inputs[0] }], outputs: [{ name: 'dense_2', tensor: m.outputs[0] }], subgraph: 0 }]);
    expect(m.operators.map((o) => o.op)).toEqual(['FULLY_CONNECTED', 'FULLY_CONNECTED', 'SOFTMAX']);
    // relu is fused into the first FULLY_CONNECTED; SOFTMAX has beta 1 (the schema's default is 0).
    expect(m.operators[0].options!.scalar(0, 'int8', 0)).toBe(1);
    expect(m.operators[2].options!.scalar(0, 'float32', 0)).toBe(1);
    // Constants have buffers of their own, aligned to 16 bytes; computed tensors use buffer 0.
    for (const t of m.tensors) {
      if (t.data) expect(t.dataStart! % 16, t.name!).toBe(0);
      else expect(t.buffer, t.name!).toBe(0);
    }
  });

  it("transposes Dense's (in, units) kernel to FULLY_CONNECTED's (units, in) and keeps the bias", () => {
    const m = exported(defaultModel());
    const kernel = m.tensors.find((t) => t.name === 'dense_1/kernel')!;
    expect(kernel.shape).toEqual([16, 4]);
    expect(Array.from(kernel.data!.subarray(0, 5))).toEqual([0, 16, 32, 48, 1]);
    expect(Array.from(m.tensors.find((t) => t.name === 'dense_1/bias')!.data!.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it("writes Conv2D's (kh, kw, in, out) kernel as OHWI and marks grouped convolutions as CONV_2D version 6", () => {
    const model = sequential(layer('x', 'Input', { shape: [5, 5, 4] }), layer('conv', 'Conv2D', { filters: 2, kernel_size: [1, 2], groups: 2, use_bias: false }));
    const m = exported(model);
    const filter = m.tensors.find((t) => t.name === 'conv/kernel')!;
    expect(filter.shape).toEqual([2, 1, 2, 2]);
    // Keras's kernel (1, 2, 2, 2) holds i at [0, w, c, o] = 4w + 2c + o.
    expect(Array.from(filter.data!)).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    expect(Array.from(m.tensors.find((t) => t.name === 'conv/bias')!.data!)).toEqual([0, 0]);
    expect(m.operators[0]).toMatchObject({ op: 'CONV_2D', version: 6 });
    const options = m.operators[0].options!;
    expect([options.scalar(0, 'int8', 0), options.scalar(1, 'int32', 0), options.scalar(2, 'int32', 0)]).toEqual([1, 1, 1]);  // VALID, stride 1 x 1
  });

  it('keeps codes above 127 in builtin_code, with the placeholder in deprecated_builtin_code', () => {
    const m = exported(sequential(layer('x', 'Input', { shape: [3] }), layer('gelu', 'Activation', { activation: 'gelu' })));
    expect(m.codes).toEqual([{ deprecated: 127, code: 150, version: 1 }]);
    expect(m.operators[0].op).toBe('GELU');
  });

  it('builds the output shape of TRANSPOSE_CONV at run time, so the batch can change', () => {
    const m = exported(sequential(layer('x', 'Input', { shape: [3, 3, 2] }), layer('up', 'Conv2DTranspose', { filters: 4, kernel_size: 2, strides: 2 })));
    expect(m.operators.map((o) => o.op)).toEqual(['SHAPE', 'STRIDED_SLICE', 'CONCATENATION', 'TRANSPOSE_CONV']);
    expect(m.operators[3].version).toBe(3);  // with a bias input
    expect(m.tensors.find((t) => t.name === 'up/output_size')!.shape).toEqual([3]);
    expect(m.tensors[m.outputs[0]]).toMatchObject({ name: 'up', shape: [1, 6, 6, 4], signature: [-1, 6, 6, 4] });
  });

  it('folds BatchNormalization into a per-channel MUL and ADD', () => {
    const model = sequential(layer('x', 'Input', { shape: [2, 3] }), layer('bn', 'BatchNormalization', { epsilon: 0.25, axis: 1 }));
    const weights = { 'bn/gamma': Float32Array.of(2, 3), 'bn/beta': Float32Array.of(1, -1), 'bn/moving_mean': Float32Array.of(0.5, 1), 'bn/moving_variance': Float32Array.of(0.75, 3.75) };
    const m = exported(model, weights);
    expect(m.operators.map((o) => o.op)).toEqual(['MUL', 'ADD']);
    const scale = m.tensors[m.operators[0].inputs[1]];
    const shift = m.tensors[m.operators[1].inputs[1]];
    expect(scale.shape).toEqual([2, 1]);  // channels on axis 1 of (batch, 2, 3)
    expect(Array.from(scale.data!)).toEqual([2, 1.5]);
    expect(Array.from(shift.data!)).toEqual([0, -2.5]);
  });

  it('gives outputs that pass an input through, or repeat another output, tensors of their own', () => {
    const model: ModelDoc = {
      layers: [layer('x', 'Input', { shape: [3] }), layer('drop', 'Dropout', { rate: 0.5 }), layer('noise', 'GaussianNoise', { stddev: 1 })],
      edges: [{ from: 'x', to: 'drop' }, { from: 'x', to: 'noise' }],
      outputs: ['drop', 'noise'],
    };
    const m = exported(model);
    expect(new Set([...m.inputs, ...m.outputs]).size).toBe(3);
    expect(m.operators.map((o) => o.op)).toEqual(['RESHAPE', 'RESHAPE']);
    expect(m.signatures[0].outputs.map((o) => o.name)).toEqual(['drop', 'noise']);
  });

  it('feeds int32 indices to GATHER and casts them to float32 for other layers', () => {
    const model: ModelDoc = {
      layers: [layer('ids', 'Input', { shape: [4], dtype: 'int32' }), layer('embed', 'Embedding', { input_dim: 5, output_dim: 2 }), layer('dense', 'Dense', { units: 1 })],
      edges: [{ from: 'ids', to: 'embed' }, { from: 'ids', to: 'dense' }],
      outputs: ['embed', 'dense'],
    };
    const m = exported(model);
    expect(m.tensors[m.inputs[0]].type).toBe(2);  // INT32
    expect(m.operators.map((o) => o.op)).toEqual(['GATHER', 'CAST', 'FULLY_CONNECTED']);
    expect(m.tensors[m.outputs[0]]).toMatchObject({ shape: [1, 4, 2], signature: [-1, 4, 2] });
  });

  it('has an emitter for every catalogue layer', () => {
    expect([...LAYERS.keys()].filter((t) => t !== 'Input' && !EMITTERS.has(t))).toEqual([]);
  });

  it('names the layer and the weight when weights are missing or the wrong size, and refuses a model with problems', () => {
    const model = defaultModel();
    const analysis = analyzeModel(model);
    const weights = countingWeights(model);
    const { ['dense_2/bias']: _, ...noBias } = weights;
    expect(() => exportTflite(model, analysis, noBias)).toThrow("Dense 'dense_2' has no trained bias of shape (3,) among the weights: export from a checkpoint or project that holds this model's weights");
    expect(() => exportTflite(model, analysis, { ...weights, 'dense_1/kernel': new Float32Array(3) })).toThrow("Dense 'dense_1''s kernel has 3 values, but its shape (4, 16) needs 64: the weights are from a different model");
    const broken: ModelDoc = { ...model, edges: [] };
    expect(() => exportTflite(broken, analyzeModel(broken), weights)).toThrow(/the model has problems to fix before it can be exported/);
  });

  it('reports layers whose tensors have more axes than TensorFlow Lite kernels handle', () => {
    const model = sequential(layer('x', 'Input', { shape: [2, 2, 2, 2] }), layer('act', 'PReLU'), layer('wide', 'Reshape', { target_shape: [2, 2, 2, 2, 1] }));
    expect(compatibility(model)).toEqual([
      { layerId: 'act', layer: "PReLU 'act'", reason: "PReLU 'act' works on (None, 2, 2, 2, 2), which has 5 axes, but TensorFlow Lite's PRELU handles at most 4 (batch included): reshape to fewer axes before it" },
      { layerId: 'wide', layer: "Reshape 'wide'", reason: "Reshape 'wide' works on (None, 2, 2, 2, 2, 1), which has 6 axes, but TensorFlow Lite's kernels handle at most 5 (batch included): reshape to fewer axes before it" },
    ]);
    expect(() => exportTflite(model, analyzeModel(model), countingWeights(model))).toThrow(/TensorFlow Lite cannot express every layer of this model: PReLU 'act' works on/);
    expect(compatibility(defaultModel())).toEqual([]);
  });
});

describe('weight layouts', () => {
  it('permutes axes', () => {
    // A (2, 3) matrix transposed, and a (1, 2, 2) tensor with its axes rotated.
    expect(Array.from(permute(Float32Array.of(0, 1, 2, 3, 4, 5), [2, 3], [1, 0]))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(permute(Float32Array.of(0, 1, 2, 3), [1, 2, 2], [2, 0, 1]))).toEqual([0, 2, 1, 3]);
  });

  it('spreads a dilated kernel out with zeros between the taps', () => {
    const { data, shape } = dilateKernel(Float32Array.of(1, 2, 3, 4), [2, 2, 1, 1], [2, 1]);
    expect(shape).toEqual([3, 2, 1, 1]);
    expect(Array.from(data)).toEqual([1, 2, 0, 0, 3, 4]);
  });
});
