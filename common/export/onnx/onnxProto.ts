/**
 * The ONNX protobuf messages Kiln writes (onnx/onnx.proto, proto2, package onnx), encoding only:
 * a ModelProto holding one GraphProto of nodes, initializers and typed inputs and outputs. Field
 * numbers are onnx.in.proto's.
 */
import { ProtoWriter } from '../../formats/protobuf.js';

/** TensorProto.DataType values Kiln uses. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** An attribute value, tagged with its AttributeProto type (an integer 1 and a float 1.0 differ). */
export type OnnxAttr = { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] };

export interface OnnxNode {
  op: string;
  name: string;
  /** '' marks an optional input left out. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

/** An initializer: float32 data (as raw little-endian bytes) or int64 values. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array | { int64: number[] };
}

/** A graph input or output: its element type and shape (a string is a symbolic dimension, null an unknown one). */
export interface OnnxValueInfo {
  name: string;
  type: DataType;
  shape: (number | string | null)[];
}

export interface OnnxGraphProto {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelInfo {
  irVersion: number;
  opset: number;
  producerName: string;
}

// AttributeProto.AttributeType
const ATTR_TYPE = { f: 1, i: 2, s: 3, floats: 6, ints: 7 } as const;

function writeAttr(w: ProtoWriter, name: string, a: OnnxAttr): void {
  w.string(1, name);
  if ('f' in a) w.float(2, a.f).int(20, ATTR_TYPE.f);
  else if ('i' in a) w.int(3, a.i).int(20, ATTR_TYPE.i);
  else if ('s' in a) w.string(4, a.s).int(20, ATTR_TYPE.s);
  else if ('floats' in a) w.packedFloats(7, a.floats).int(20, ATTR_TYPE.floats);
  else w.packedInts(8, a.ints).int(20, ATTR_TYPE.ints);
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const x of n.inputs) w.string(1, x);
  for (const y of n.outputs) w.string(2, y);
  w.string(3, n.name).string(4, n.op);
  for (const [name, a] of Object.entries(n.attrs)) w.message(5, (m) => writeAttr(m, name, a));
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  w.packedInts(1, t.dims);
  if (t.data instanceof Float32Array) {
    w.int(2, DataType.FLOAT).string(8, t.name);
    // raw_data is little-endian IEEE 754, which is how every platform Kiln runs on lays out floats.
    w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } else {
    w.int(2, DataType.INT64).packedInts(7, t.data.int64).string(8, t.name);
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, v.type);
    tensor.message(2, (shape) => {
      for (const d of v.shape) {
        shape.message(1, (dim) => {
          if (typeof d === 'number') dim.int(1, d);
          else if (typeof d === 'string') dim.string(2, d);
        });
      }
    });
  }));
}

export function encodeModel(graph: OnnxGraphProto, info: OnnxModelInfo): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, info.irVersion).string(2, info.producerName);
  w.message(7, (g) => {
    for (const n of graph.nodes) g.message(1, (m) => writeNode(m, n));
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (m) => writeTensor(m, t));
    for (const v of graph.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of graph.outputs) g.message(12, (m) => writeValueInfo(m, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, info.opset));
  return w.finish();
}
