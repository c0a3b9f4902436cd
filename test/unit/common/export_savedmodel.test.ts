// The SavedModel writer (common/export/savedmodel) read back with a decoder written here from
// TensorFlow's .proto files, not with the writer's code: the MetaGraphDef TensorFlow's loaders
// need (test/conformance/export_savedmodel.test.ts has TensorFlow itself load and run them), a
// well-formed graph for every layer of the catalogue, the variables and their checkpoint, and
// the errors in the user's terms.
import { describe, expect, it } from 'vitest';
import { compatibility, exportSavedModel, SavedModelExportError } from '../../../common/export/savedmodel/index.js';
import { TF_OPS } from '../../../common/export/savedmodel/tfOps.js';
import { ProtoReader } from '../../../common/formats/protobuf.js';
import { readTensorBundle } from '../../../common/formats/tensorBundle/index.js';
import { ACTIVATIONS, analyzeModel, LAYERS, TEMPLATES, type LayerDoc, type ModelDoc, type ParamValue } from '../../../common/model/index.js';
import { ONNX_CASES, TFJS_CASES } from '../../conformance/exportModels.js';
import { CODE_CASES } from '../../conformance/kerasCodeModels.js';

// ---------------------------------------------------------------------------------------------
// A decoder for the messages involved (saved_model.proto, meta_graph.proto, graph.proto, ...)

interface Tensor { dtype: number; shape: number[]; content: number; floats: number[]; ints: number[]; strings: string[] }
interface Attr { kind: string; i?: number; s?: string; f?: number; b?: boolean; type?: number; ints?: number[]; types?: number[]; shape?: number[]; tensor?: Tensor }
interface Node { name: string; op: string; inputs: string[]; attrs: Record<string, Attr> }
interface Info { name: string; dtype: number; shape: number[] }
interface Meta {
  tags: string[];
  strippedDefaults: boolean;
  fields: number[];
  nodes: Node[];
  producer: number;
  saver: Record<number, string | number> | null;
  collections: Record<string, Uint8Array[]>;
  signatures: Record<string, { inputs: Record<string, Info>; outputs: Record<string, Info>; method: string }>;
}

function shapeOf(r: ProtoReader): number[] {
  const dims: number[] = [];
  while (r.next()) {
    if (r.field !== 2) { r.skip(); continue; }
    const d = r.message('dim');
    let size = 0;
    while (d.next()) if (d.field === 1) size = d.int(); else d.skip();
    dims.push(size);
  }
  return dims;
}

function tensorOf(r: ProtoReader): Tensor {
  const t: Tensor = { dtype: 0, shape: [], content: -1, floats: [], ints: [], strings: [] };
  while (r.next()) {
    switch (r.field) {
      case 1: t.dtype = r.uint(); break;
      case 2: t.shape = shapeOf(r.message('tensor_shape')); break;
      case 4: t.content = r.bytes().length; break;
      case 5: r.packedFloats(t.floats); break;
      case 7: r.packedInts(t.ints); break;
      case 8: t.strings.push(r.string()); break;
      default: r.skip();
    }
  }
  return t;
}

function attrOf(r: ProtoReader): Attr {
  const a: Attr = { kind: '' };
  while (r.next()) {
    switch (r.field) {
      case 1: {
        a.kind = 'list';
        const l = r.message('list');
        a.ints = [];
        a.types = [];
        while (l.next()) if (l.field === 3) l.packedInts(a.ints); else if (l.field === 6) l.packedInts(a.types); else l.skip();
        break;
      }
      case 2: a.kind = 's'; a.s = r.string(); break;
      case 3: a.kind = 'i'; a.i = r.int(); break;
      case 4: a.kind = 'f'; a.f = r.float(); break;
      case 5: a.kind = 'b'; a.b = r.bool(); break;
      case 6: a.kind = 'type'; a.type = r.uint(); break;
      case 7: a.kind = 'shape'; a.shape = shapeOf(r.message('shape')); break;
      case 8: a.kind = 'tensor'; a.tensor = tensorOf(r.message('tensor')); break;
      default: r.skip();
    }
  }
  return a;
}

function nodeOf(r: ProtoReader): Node {
  const n: Node = { name: '', op: '', inputs: [], attrs: {} };
  while (r.next()) {
    switch (r.field) {
      case 1: n.name = r.string(); break;
      case 2: n.op = r.string(); break;
      case 3: n.inputs.push(r.string()); break;
      case 5: {
        const e = r.message('attr');
        let key = '';
        let value: Attr = { kind: '' };
        while (e.next()) if (e.field === 1) key = e.string(); else if (e.field === 2) value = attrOf(e.message('value')); else e.skip();
        n.attrs[key] = value;
        break;
      }
      default: r.skip();
    }
  }
  return n;
}

function infoMap(r: ProtoReader, into: Record<string, Info>): void {
  let key = '';
  const info: Info = { name: '', dtype: 0, shape: [] };
  while (r.next()) {
    if (r.field === 1) key = r.string();
    else if (r.field === 2) {
      const t = r.message('TensorInfo');
      while (t.next()) if (t.field === 1) info.name = t.string(); else if (t.field === 2) info.dtype = t.uint(); else if (t.field === 3) info.shape = shapeOf(t.message('shape')); else t.skip();
    } else r.skip();
  }
  into[key] = info;
}

function decode(bytes: Uint8Array): { schema: number; metas: Meta[] } {
  const r = new ProtoReader(bytes, 0, bytes.length, 'SavedModel');
  let schema = 0;
  const metas: Meta[] = [];
  while (r.next()) {
    if (r.field === 1) { schema = r.int(); continue; }
    if (r.field !== 2) { r.skip(); continue; }
    const m = r.message('MetaGraphDef');
    const meta: Meta = { tags: [], strippedDefaults: false, fields: [], nodes: [], producer: 0, saver: null, collections: {}, signatures: {} };
    while (m.next()) {
      meta.fields.push(m.field);
      switch (m.field) {
        case 1: {
          const info = m.message('meta_info_def');
          while (info.next()) if (info.field === 4) meta.tags.push(info.string()); else if (info.field === 7) meta.strippedDefaults = info.bool(); else info.skip();
          break;
        }
        case 2: {
          const g = m.message('graph_def');
          while (g.next()) {
            if (g.field === 1) meta.nodes.push(nodeOf(g.message('node')));
            else if (g.field === 4) { const v = g.message('versions'); while (v.next()) if (v.field === 1) meta.producer = v.int(); else v.skip(); }
            else g.skip();
          }
          break;
        }
        case 3: {
          const s = m.message('saver_def');
          meta.saver = {};
          while (s.next()) meta.saver[s.field] = s.wire === 2 ? s.string() : s.wire === 5 ? s.float() : s.int();
          break;
        }
        case 4: {
          const e = m.message('collection_def');
          let key = '';
          const items: Uint8Array[] = [];
          while (e.next()) {
            if (e.field === 1) key = e.string();
            else if (e.field === 2) {
              const c = e.message('CollectionDef');
              while (c.next()) if (c.field === 2) { const list = c.message('bytes_list'); while (list.next()) items.push(list.bytes()); } else c.skip();
            } else e.skip();
          }
          meta.collections[key] = items;
          break;
        }
        case 5: {
          const e = m.message('signature_def');
          let key = '';
          const sig = { inputs: {} as Record<string, Info>, outputs: {} as Record<string, Info>, method: '' };
          while (e.next()) {
            if (e.field === 1) key = e.string();
            else if (e.field === 2) {
              const s = e.message('SignatureDef');
              while (s.next()) if (s.field === 1) infoMap(s.message('inputs'), sig.inputs); else if (s.field === 2) infoMap(s.message('outputs'), sig.outputs); else if (s.field === 3) sig.method = s.string(); else s.skip();
            } else e.skip();
          }
          meta.signatures[key] = sig;
          break;
        }
        default: m.skip();
      }
    }
    metas.push(meta);
  }
  return { schema, metas };
}

/** VariableDef (variable.proto) fields by number. */
function variableDef(bytes: Uint8Array): Record<number, string | boolean> {
  const r = new ProtoReader(bytes, 0, bytes.length, 'VariableDef');
  const out: Record<number, string | boolean> = {};
  while (r.next()) out[r.field] = r.wire === 2 ? r.string() : r.bool();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Models and weights

const DT_FLOAT = 1;
const DT_INT32 = 3;
const DT_STRING = 7;

/** Deterministic weights for every weight the model has (variances positive). */
function weightsFor(model: ModelDoc): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let seed = 1;
  for (const info of analyzeModel(model).order) {
    for (const w of info.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      out[`${info.layer.name}/${w.name}`] = Float32Array.from({ length: n }, () => ((seed = (seed * 48271) % 2147483647) / 2147483647) + (w.name.endsWith('variance') ? 0.5 : -0.5));
    }
  }
  return out;
}

function exported(model: ModelDoc, weights = weightsFor(model), version?: number) {
  const files = exportSavedModel(model, analyzeModel(model), weights, version === undefined ? {} : { version });
  const dir = String(version ?? 1);
  const { schema, metas } = decode(files.get(`${dir}/saved_model.pb`)!);
  return { files, schema, metas, meta: metas[0], weights };
}

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });
const chain = (layers: LayerDoc[], outputs?: string[]): ModelDoc => ({ layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })), ...(outputs ? { outputs } : {}) });

const CASES = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model })), ...CODE_CASES, ...ONNX_CASES, ...TFJS_CASES];
const NODE_NAME = /^[A-Za-z0-9.][A-Za-z0-9_.\-/]*$/;

/** How many outputs a node has, where that is not one. */
function outputCount(n: Node): number {
  if (n.op === 'Split') return n.attrs.num_split.i!;
  if (n.op === 'RestoreV2') return n.attrs.dtypes.types!.length;
  if (['NoOp', 'AssignVariableOp', 'SaveV2'].includes(n.op)) return 0;
  return 1;
}

// ---------------------------------------------------------------------------------------------

describe('the SavedModel Kiln writes', () => {
  it('is one TF1-style MetaGraphDef tagged serve, with a serving_default predict signature keyed by layer names', () => {
    const { files, schema, metas, meta } = exported(TEMPLATES.find((t) => t.id === 'mlp')!.model);
    expect([...files.keys()].sort()).toEqual(['1/saved_model.pb', '1/variables/variables.data-00000-of-00001', '1/variables/variables.index']);
    expect(schema).toBe(1);
    expect(metas).toHaveLength(1);
    expect(meta.tags).toEqual(['serve']);
    expect(meta.strippedDefaults).toBe(true);
    expect(meta.fields).not.toContain(7);  // an object graph would make TF2 take the TF2 path
    expect(meta.producer).toBeGreaterThan(0);
    expect(Object.keys(meta.signatures)).toEqual(['serving_default']);
    const sig = meta.signatures.serving_default;
    expect(sig.method).toBe('tensorflow/serving/predict');
    expect(sig.inputs).toEqual({ input_layer: { name: 'input_layer:0', dtype: DT_FLOAT, shape: [-1, 4] } });
    expect(sig.outputs).toEqual({ dense_2: { name: 'dense_2:0', dtype: DT_FLOAT, shape: [-1, 3] } });
    const byName = new Map(meta.nodes.map((n) => [n.name, n]));
    expect(byName.get('input_layer')).toMatchObject({ op: 'Placeholder', attrs: { dtype: { type: DT_FLOAT }, shape: { shape: [-1, 4] } } });
    expect(byName.get('dense/MatMul')).toMatchObject({ op: 'MatMul', inputs: ['input_layer', 'dense/kernel/Read/ReadVariableOp'] });
    expect(byName.get('dense_2')).toMatchObject({ op: 'Identity', inputs: ['dense_2/Softmax'] });
  });

  it('holds the weights as resource variables that the saver_def restores from variables/', () => {
    const model = TEMPLATES.find((t) => t.id === 'resnet')!.model;
    const { files, meta, weights } = exported(model);
    const byName = new Map(meta.nodes.map((n) => [n.name, n]));
    const names = Object.keys(weights);
    expect(meta.saver).toEqual({ 1: 'save/Const:0', 2: 'save/control_dependency:0', 3: 'save/restore_all', 4: 5, 6: 10000, 7: 2 });
    const restore = byName.get('save/RestoreV2')!;
    const { dtype, strings: keys } = byName.get(restore.inputs[1])!.attrs.value.tensor!;
    expect(dtype).toBe(DT_STRING);
    expect(keys).toEqual(names);
    expect(restore.attrs.dtypes.types).toEqual(names.map(() => DT_FLOAT));
    for (const [i, key] of keys.entries()) {
      expect(byName.get(key)).toMatchObject({ op: 'VarHandleOp', attrs: { dtype: { type: DT_FLOAT }, shared_name: { s: key } } });
      const assign = meta.nodes.find((n) => n.op === 'AssignVariableOp' && n.inputs[1] === `save/RestoreV2:${i}`)!;
      expect(assign.inputs[0]).toBe(key);
      expect(byName.get('save/restore_all')!.inputs).toContain(`^${assign.name}`);
    }
    // The checkpoint holds exactly those tensors, by the same keys, with the values given.
    const bundle = readTensorBundle(files.get('1/variables/variables.index')!, files.get('1/variables/variables.data-00000-of-00001')!);
    expect(Object.fromEntries(bundle.map((t) => [t.name, t.data]))).toEqual(weights);
    // VariableDefs let TF2's loader lift them; moving statistics are not trainable.
    const defs = meta.collections.variables.map(variableDef);
    expect(defs.map((d) => d[1])).toEqual(names.map((n) => `${n}:0`));
    expect(defs[0]).toEqual({ 1: `${names[0]}:0`, 2: `${names[0]}/Assign`, 3: `${names[0]}/Read/ReadVariableOp:0`, 5: true, 6: `${names[0]}/Initializer/zeros:0`, 7: true });
    expect(meta.collections.trainable_variables.map(variableDef).map((d) => d[1])).toEqual(names.filter((n) => !n.includes('moving_')).map((n) => `${n}:0`));
  });

  it('writes neither variables/ nor a saver_def for a model without weights', () => {
    const model = chain([layer('x', 'Input', { shape: [4, 4, 2] }), layer('pool', 'MaxPooling2D'), layer('flat', 'Flatten')]);
    const { files, meta } = exported(model, {}, 7);
    expect([...files.keys()]).toEqual(['7/saved_model.pb']);
    expect(meta.saver).toBeNull();
    expect(meta.collections).toEqual({});
    expect(meta.signatures.serving_default.outputs.flat).toEqual({ name: 'flat:0', dtype: DT_FLOAT, shape: [-1, 8] });
  });

  it.each(CASES.map((c) => c.name))('%s: every layer emits nodes of ops TensorFlow knows, with their required attrs, wired to existing outputs', (name) => {
    const { model } = CASES.find((c) => c.name === name)!;
    const { meta } = exported(model);
    const byName = new Map(meta.nodes.map((n) => [n.name, n]));
    expect(byName.size).toBe(meta.nodes.length);
    for (const n of meta.nodes) {
      expect(n.name).toMatch(NODE_NAME);
      const spec = TF_OPS[n.op];
      expect(spec, `${n.name}: ${n.op}`).toBeDefined();
      for (const attr of spec.required) expect(n.attrs[attr], `${n.name} (${n.op}) attr ${attr}`).toBeDefined();
      const firstControl = n.inputs.findIndex((i) => i.startsWith('^'));
      if (firstControl >= 0) expect(n.inputs.slice(firstControl).every((i) => i.startsWith('^')), n.name).toBe(true);
      for (const input of n.inputs) {
        const [source, index = '0'] = input.replace(/^\^/, '').split(':');
        const from = byName.get(source);
        expect(from, `${n.name} reads ${input}`).toBeDefined();
        if (!input.startsWith('^')) expect(Number(index), `${n.name} reads ${input}`).toBeLessThan(outputCount(from!));
      }
      const value = n.attrs.value?.tensor;
      if (value && value.content >= 0) expect(value.content, n.name).toBe(value.shape.reduce((a, b) => a * b, 1) * 4);
    }
    // Each layer has its own name scope with at least one node in it.
    for (const l of model.layers) {
      if (l.type === 'Input') expect(byName.get(l.name)?.op, l.name).toBe('Placeholder');
      else expect(meta.nodes.some((n) => n.name.startsWith(`${l.name}/`)), `${l.type} '${l.name}'`).toBe(true);
    }
    // Nodes form a DAG (the importer sorts them; a cycle would fail the load).
    const state = new Map<string, number>();
    const visit = (name: string): void => {
      if (state.get(name) === 2) return;
      expect(state.get(name), `cycle through ${name}`).not.toBe(1);
      state.set(name, 1);
      for (const input of byName.get(name)!.inputs) visit(input.replace(/^\^/, '').split(':')[0]);
      state.set(name, 2);
    };
    meta.nodes.forEach((n) => visit(n.name));
  });

  it('expresses every layer of the catalogue, and every activation', () => {
    const used = new Set(CASES.flatMap((c) => c.model.layers.map((l) => l.type)));
    expect([...LAYERS.keys()].filter((t) => !used.has(t))).toEqual([]);
    for (const c of CASES) expect(compatibility(c.model), c.name).toEqual([]);
    const all = [...ACTIVATIONS.keys()].map((a) => layer(`act_${a}`, 'Activation', { activation: a }));
    expect(compatibility({ layers: all, edges: [] })).toEqual([]);
  });

  it('lists what it cannot express, in the user\'s terms', () => {
    const model: ModelDoc = { layers: [layer('x', 'Input', { shape: [3] }), layer('lstm', 'LSTM', { units: 4 }), layer('odd', 'Dense', { units: 2, activation: 'mish' })], edges: [] };
    expect(compatibility(model)).toEqual([
      { layerId: 'lstm', layer: "LSTM 'lstm'", reason: expect.stringMatching(/^LSTM 'lstm' has no TensorFlow equivalent/) },
      { layerId: 'odd', layer: "Dense 'odd'", reason: expect.stringMatching(/^Dense 'odd' has activation 'mish', which Kiln's SavedModel export cannot write/) },
    ]);
  });

  it('gives layers valid, unique TensorFlow names, keeping the names as they are in the signature', () => {
    const model = chain([layer('pixels in', 'Input', { shape: [6] }), layer('_scaled', 'Rescaling', { scale: 0.5 }), layer('dense/1', 'Dense', { units: 3 }), layer('dense_1', 'Dense', { units: 3 }), layer('save', 'Dense', { units: 2 })]);
    const { meta } = exported(model);
    expect(meta.signatures.serving_default.inputs['pixels in'].name).toBe('pixels_in:0');
    expect(meta.signatures.serving_default.outputs.save.name).toBe('save:0');
    const scopes = new Set(meta.nodes.map((n) => n.name.split('/')[0]));
    expect([...scopes].sort()).toEqual(['dense_1', 'dense_1_1', 'layer_scaled', 'pixels_in', 'save', 'save_1']);
    expect(meta.saver![1]).toBe('save_1/Const:0');
  });

  it('casts int32 inputs for float layers, and hands them to Embedding as indices', () => {
    const model: ModelDoc = {
      layers: [layer('ids', 'Input', { shape: [3], dtype: 'int32' }), layer('embed', 'Embedding', { input_dim: 5, output_dim: 2 }), layer('scale', 'Rescaling', { scale: 2 })],
      edges: [{ from: 'ids', to: 'embed' }, { from: 'ids', to: 'scale' }],
    };
    const { meta } = exported(model);
    const byName = new Map(meta.nodes.map((n) => [n.name, n]));
    expect(meta.signatures.serving_default.inputs.ids).toEqual({ name: 'ids:0', dtype: DT_INT32, shape: [-1, 3] });
    expect(byName.get('embed/GatherV2')!.inputs.slice(0, 2)).toEqual(['embed/embeddings/Read/ReadVariableOp', 'ids']);
    expect(byName.get('scale/Cast_input0')).toMatchObject({ op: 'Cast', inputs: ['ids'], attrs: { SrcT: { type: DT_INT32 }, DstT: { type: DT_FLOAT } } });
  });

  it('names an Input that is also an output apart from its Placeholder', () => {
    const model: ModelDoc = { ...chain([layer('x', 'Input', { shape: [2] }), layer('d', 'Dense', { units: 1 })]), outputs: ['x', 'd'] };
    const { meta } = exported(model);
    expect(meta.signatures.serving_default.outputs).toEqual({ x: { name: 'x/Identity:0', dtype: DT_FLOAT, shape: [-1, 2] }, d: { name: 'd:0', dtype: DT_FLOAT, shape: [-1, 1] } });
  });

  it('writes constants small as typed values and large as raw bytes, strings as string_val', () => {
    const model = chain([layer('x', 'Input', { shape: [4] }), layer('norm', 'Normalization', { mean: [1, 2, 3, 4], variance: 2 })]);
    const { meta } = exported(model);
    const byName = new Map(meta.nodes.map((n) => [n.name, n]));
    expect(byName.get('norm/mean')!.attrs.value.tensor).toMatchObject({ dtype: DT_FLOAT, shape: [4], content: 16 });
    expect(byName.get('norm/variance')!.attrs.value.tensor).toMatchObject({ dtype: DT_FLOAT, shape: [], floats: [2], content: -1 });
    expect(byName.get('norm/epsilon')!.attrs.value.tensor!.floats[0]).toBeCloseTo(1e-7, 12);
  });
});

describe('a refused export says why', () => {
  const model = TEMPLATES.find((t) => t.id === 'mlp')!.model;

  it('names a missing weight and its shape', () => {
    const weights = weightsFor(model);
    delete weights['dense_1/bias'];
    expect(() => exported(model, weights)).toThrow(new SavedModelExportError("Dense 'dense_1' has no value for its weight bias (16,) ('dense_1/bias'): export from a trained run or a project that holds weights"));
  });

  it('names a weight of the wrong size', () => {
    const weights = { ...weightsFor(model), 'dense_2/kernel': new Float32Array(5) };
    expect(() => exported(model, weights)).toThrow("the weight 'dense_2/kernel' holds 5 values, but Dense 'dense_2' needs (16, 3) (48)");
  });

  it('refuses a model with problems, and a version folder that is not a whole number', () => {
    const broken = { ...model, layers: model.layers.map((l) => (l.id === 'dense_1' ? { ...l, params: { units: 0 } } : l)) };
    expect(() => exportSavedModel(broken, analyzeModel(broken), {})).toThrow(/^the model has problems to fix before it can be exported: Dense 'dense_1'/);
    expect(() => exported(model, weightsFor(model), 1.5)).toThrow('the version folder must be a whole number');
  });
});
