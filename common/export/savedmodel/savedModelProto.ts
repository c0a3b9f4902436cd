/**
 * `saved_model.pb` on the wire (tensorflow/core/protobuf/{saved_model,meta_graph,saver}.proto):
 * one TF1-style MetaGraphDef tagged `serve`, with a plain GraphDef and no object graph (field 7),
 * which TF Serving, the C++ loader, `saved_model_cli` and tf.saved_model.load all accept.
 */
import { ProtoWriter } from '../../formats/protobuf.js';
import { DT, writeGraph, writeShape, type NodeDef, type TfDtype } from './graphProto.js';
import type { SaverDef, Variable } from './variables.js';

/** One input or output of a signature: its key, tensor, dtype and shape (-1 for the batch). */
export interface TensorInfo {
  key: string;
  tensor: string;
  dtype: TfDtype;
  shape: number[];
}

export interface MetaGraph {
  nodes: readonly NodeDef[];
  /** GraphDef.versions.producer: the TensorFlow graph version the ops and attrs follow. */
  producer: number;
  signature: { name: string; method: string; inputs: TensorInfo[]; outputs: TensorInfo[] };
  /** With variables: the saver that restores them and the variables themselves. */
  saver?: SaverDef;
  variables: readonly Variable[];
}

function writeTensorInfoMap(w: ProtoWriter, field: number, infos: readonly TensorInfo[]): void {
  for (const info of infos) {
    w.message(field, (entry) => entry.string(1, info.key).message(2, (t) => {
      t.string(1, info.tensor);
      t.int(2, DT[info.dtype]);
      t.message(3, (s) => writeShape(s, info.shape));
    }));
  }
}

/** VariableDef (variable.proto), so TF2's loader lifts the variables and lists them in `.variables`. */
function variableDef(v: Variable): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, `${v.name}:0`);
  w.string(2, v.initializer);
  w.string(3, `${v.read}:0`);
  w.bool(5, true);  // is_resource
  w.string(6, `${v.initialValue}:0`);
  if (v.trainable) w.bool(7, true);
  return w.finish();
}

function writeCollection(w: ProtoWriter, key: string, items: Uint8Array[]): void {
  if (items.length === 0) return;
  w.message(4, (entry) => entry.string(1, key).message(2, (c) => c.message(2, (list) => { for (const item of items) list.bytes(1, item); })));
}

export function encodeSavedModel(meta: MetaGraph): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 1);  // saved_model_schema_version
  w.message(2, (m) => {
    m.message(1, (info) => {
      info.string(4, 'serve');
      info.bool(7, true);  // stripped_default_attrs: loaders add the OpDefs' defaults back
    });
    m.message(2, (g) => writeGraph(g, meta.nodes, meta.producer));
    if (meta.saver) {
      const s = meta.saver;
      m.message(3, (d) => d.string(1, s.filenameTensor).string(2, s.saveTensor).string(3, s.restoreOp).int(4, 5).float(6, 10000).int(7, 2));
    }
    if (meta.variables.length > 0) {
      writeCollection(m, 'trainable_variables', meta.variables.filter((v) => v.trainable).map(variableDef));
      writeCollection(m, 'variables', meta.variables.map(variableDef));
    }
    m.message(5, (entry) => entry.string(1, meta.signature.name).message(2, (sig) => {
      writeTensorInfoMap(sig, 1, meta.signature.inputs);
      writeTensorInfoMap(sig, 2, meta.signature.outputs);
      sig.string(3, meta.signature.method);
    }));
  });
  return w.finish();
}
