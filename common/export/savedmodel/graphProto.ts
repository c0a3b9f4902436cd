/**
 * TensorFlow's graph messages on the wire (tensorflow/core/framework/{graph,node_def,attr_value,
 * tensor,tensor_shape,types}.proto): the subset a SavedModel's GraphDef needs. Field numbers are
 * TensorFlow's; proto3 defaults are left out, as TensorFlow writes them.
 */
import { ProtoWriter } from '../../formats/protobuf.js';

/** The DataType values Kiln's graphs use (types.proto). */
export const DT = { float32: 1, int32: 3, string: 7, bool: 10, resource: 20 } as const;
export type TfDtype = keyof typeof DT;

/** A Const's value: row-major values of `shape` ([] for a scalar); one value fills the whole shape. */
export type TensorValue =
  | { dtype: 'float32'; shape: number[]; values: Float32Array | number[] }
  | { dtype: 'int32'; shape: number[]; values: Int32Array | number[] }
  | { dtype: 'string'; shape: number[]; values: string[] };

/** One AttrValue (attr_value.proto), by the kind of value it holds. */
export type AttrValue =
  | { type: TfDtype }
  | { types: TfDtype[] }
  | { i: number }
  | { ints: number[] }
  | { f: number }
  | { b: boolean }
  | { s: string }
  /** A static shape; -1 marks an unknown size (the batch). */
  | { shape: number[] }
  | { tensor: TensorValue };

export interface NodeDef {
  name: string;
  op: string;
  /** `node` or `node:k` for data inputs, then `^node` for control inputs. */
  inputs: string[];
  attrs: Record<string, AttrValue>;
}

/** TensorShapeProto: one Dim{size} per axis (an empty message for a scalar). */
export function writeShape(w: ProtoWriter, dims: readonly number[]): void {
  for (const d of dims) w.message(2, (m) => { if (d !== 0) m.int(1, d); });
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** TensorProto: small values in the typed *_val fields, larger ones as raw little-endian bytes. */
export function writeTensor(w: ProtoWriter, t: TensorValue): void {
  w.int(1, DT[t.dtype]);
  w.message(2, (m) => writeShape(m, t.shape));
  if (t.values.length !== 1 && t.values.length !== count(t.shape)) {
    throw new Error(`a constant of shape [${t.shape.join(', ')}] has ${t.values.length} values`);
  }
  if (t.dtype === 'string') {
    for (const s of t.values) w.string(8, s);
  } else if (t.values.length === 1) {
    // One value: TensorFlow fills the whole shape with it (tensor.cc FromProtoField).
    if (t.dtype === 'float32') w.packedFloats(5, t.values);
    else w.packedInts(7, t.values);
  } else {
    const array = t.dtype === 'float32' ? Float32Array.from(t.values) : Int32Array.from(t.values);
    // Typed arrays are little-endian on every platform Kiln runs on, as tensor_content must be.
    w.bytes(4, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
}

function writeAttr(w: ProtoWriter, a: AttrValue): void {
  if ('type' in a) w.int(6, DT[a.type]);
  else if ('types' in a) w.message(1, (l) => { if (a.types.length > 0) l.packedInts(6, a.types.map((t) => DT[t])); });
  else if ('i' in a) w.int(3, a.i);
  else if ('ints' in a) w.message(1, (l) => { if (a.ints.length > 0) l.packedInts(3, a.ints); });
  else if ('f' in a) w.float(4, a.f);
  else if ('b' in a) w.bool(5, a.b);
  else if ('s' in a) w.string(2, a.s);
  else if ('shape' in a) w.message(7, (m) => writeShape(m, a.shape));
  else w.message(8, (m) => writeTensor(m, a.tensor));
}

export function writeNode(w: ProtoWriter, node: NodeDef): void {
  w.string(1, node.name);
  w.string(2, node.op);
  for (const input of node.inputs) w.string(3, input);
  for (const key of Object.keys(node.attrs).sort()) {
    w.message(5, (entry) => entry.string(1, key).message(2, (v) => writeAttr(v, node.attrs[key])));
  }
}

/** GraphDef: the nodes, then versions{producer} (field 4; field 3 is the deprecated version). */
export function writeGraph(w: ProtoWriter, nodes: readonly NodeDef[], producer: number): void {
  for (const node of nodes) w.message(1, (m) => writeNode(m, node));
  w.message(4, (v) => v.int(1, producer));
}
