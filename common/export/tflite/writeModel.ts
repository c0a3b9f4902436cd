/**
 * Serialises a TensorFlow Lite model (schema.fbs tables Model, SubGraph, Tensor, Buffer,
 * Operator, OperatorCode, SignatureDef, TensorMap) with Kiln's FlatBuffers builder. Field slots
 * are the schema's field order, deprecated fields included.
 */
import { FlatBufferBuilder, type Offset } from './flatbuffers.js';
import type { OptionField } from './schema.js';

export interface TfliteTensor {
  name: string;
  /** Static shape: the batch axis is 1 in the file. */
  shape: number[];
  /** The shape with -1 for dynamic axes (the batch), when there are any. */
  signature?: number[];
  type: number;
  /** Index into the buffers; 0 (the empty buffer) for tensors computed at run time. */
  buffer: number;
}

export interface TfliteOperator {
  /** Index into the operator codes. */
  opcode: number;
  inputs: number[];
  outputs: number[];
  options?: { type: number; fields: OptionField[] };
}

export interface TfliteModel {
  description: string;
  operatorCodes: { code: number; version: number }[];
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
  /** Buffer 0 must be empty: tensors without data point to it. */
  buffers: Uint8Array[];
  signature: { key: string; inputs: { name: string; tensor: number }[]; outputs: { name: string; tensor: number }[] };
}

/** Codes above 127 do not fit the int8 deprecated_builtin_code: it holds PLACEHOLDER_FOR_GREATER_OP_CODES. */
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

/** Constant data is aligned as TensorFlow's converter aligns it, so kernels may read it in place. */
const BUFFER_ALIGNMENT = 16;

function optionsTable(b: FlatBufferBuilder, fields: OptionField[]): Offset {
  const vectors = fields.map((f) => ('ints' in f ? b.createInt32Vector(f.ints) : 0));
  b.startTable(Math.max(0, ...fields.map((f) => f.slot + 1)));
  fields.forEach((f, i) => ('ints' in f ? b.addOffset(f.slot, vectors[i]) : b.add(f.slot, f.kind, f.value, f.default)));
  return b.endTable();
}

function tensorMaps(b: FlatBufferBuilder, maps: { name: string; tensor: number }[]): Offset {
  const tables = maps.map(({ name, tensor }) => {
    const n = b.createString(name);
    b.startTable(2);
    b.addOffset(0, n);
    b.add(1, 'uint32', tensor, 0);
    return b.endTable();
  });
  return b.createOffsetVector(tables);
}

export function writeModel(m: TfliteModel): Uint8Array {
  if (m.buffers[0]?.length !== 0) throw new Error('a TensorFlow Lite model needs an empty buffer 0');
  const dataBytes = m.buffers.reduce((a, d) => a + d.length + BUFFER_ALIGNMENT, 0);
  if (dataBytes >= 2 ** 31) throw new Error(`the weights take ${(dataBytes / 2 ** 30).toFixed(2)} GiB, but a TensorFlow Lite file holds at most 2 GiB: export a smaller model`);
  // Room for everything up front: growing doubles the buffer, which hurts with large weights.
  const graphBytes = m.tensors.reduce((a, t) => a + 3 * t.name.length + 8 * t.shape.length + 64, 0) + m.operators.reduce((a, o) => a + 4 * (o.inputs.length + o.outputs.length) + 96, 0);
  const b = new FlatBufferBuilder(dataBytes + graphBytes + 64 * 1024);

  // Written first, so the weights sit at the end of the file, after the graph.
  const buffers = m.buffers.map((data) => {
    const bytes = data.length > 0 ? b.createBytes(data, BUFFER_ALIGNMENT) : 0;
    b.startTable(3);
    if (bytes) b.addOffset(0, bytes);
    return b.endTable();
  });

  const tensors = m.tensors.map((t) => {
    const shape = b.createInt32Vector(t.shape);
    const name = b.createString(t.name);
    const signature = t.signature ? b.createInt32Vector(t.signature) : 0;
    b.startTable(11);
    b.addOffset(0, shape);
    b.add(1, 'int8', t.type, 0);
    b.add(2, 'uint32', t.buffer, 0);
    b.addOffset(3, name);
    if (signature) b.addOffset(7, signature);
    return b.endTable();
  });

  const operators = m.operators.map((op) => {
    const inputs = b.createInt32Vector(op.inputs);
    const outputs = b.createInt32Vector(op.outputs);
    const options = op.options ? optionsTable(b, op.options.fields) : 0;
    b.startTable(14);
    b.add(0, 'uint32', op.opcode, 0);
    b.addOffset(1, inputs);
    b.addOffset(2, outputs);
    if (op.options) {
      b.add(3, 'uint8', op.options.type, 0);
      b.addOffset(4, options);
    }
    return b.endTable();
  });

  const subgraphParts = {
    tensors: b.createOffsetVector(tensors),
    inputs: b.createInt32Vector(m.inputs),
    outputs: b.createInt32Vector(m.outputs),
    operators: b.createOffsetVector(operators),
    name: b.createString('main'),
  };
  b.startTable(6);
  b.addOffset(0, subgraphParts.tensors);
  b.addOffset(1, subgraphParts.inputs);
  b.addOffset(2, subgraphParts.outputs);
  b.addOffset(3, subgraphParts.operators);
  b.addOffset(4, subgraphParts.name);
  const subgraph = b.endTable();

  const codes = m.operatorCodes.map(({ code, version }) => {
    b.startTable(4);
    b.add(0, 'int8', Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
    b.add(2, 'int32', version, 1);
    b.add(3, 'int32', code, 0);
    return b.endTable();
  });

  const sigInputs = tensorMaps(b, m.signature.inputs);
  const sigOutputs = tensorMaps(b, m.signature.outputs);
  const sigKey = b.createString(m.signature.key);
  b.startTable(5);  // subgraph_index stays 0: the only subgraph
  b.addOffset(0, sigInputs);
  b.addOffset(1, sigOutputs);
  b.addOffset(2, sigKey);
  const signature = b.endTable();

  const parts = {
    codes: b.createOffsetVector(codes),
    subgraphs: b.createOffsetVector([subgraph]),
    description: b.createString(m.description),
    buffers: b.createOffsetVector(buffers),
    signatures: b.createOffsetVector([signature]),
  };
  b.startTable(10);
  b.add(0, 'uint32', 3, 0);  // schema version 3
  b.addOffset(1, parts.codes);
  b.addOffset(2, parts.subgraphs);
  b.addOffset(3, parts.description);
  b.addOffset(4, parts.buffers);
  b.addOffset(7, parts.signatures);
  return b.finish(b.endTable(), 'TFL3');
}
