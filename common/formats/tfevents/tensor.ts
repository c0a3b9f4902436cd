/**
 * TensorFlow's TensorProto (tensorboard/compat/proto/tensor.proto), as summaries carry it.
 *
 * Encoding follows tf.make_tensor_proto: one element goes in the typed repeated field
 * (float_val, ...), more go in tensor_content as raw little-endian bytes. Decoding reads both
 * forms, and repeats the last typed value up to the shape's size, as TensorFlow does for
 * constant tensors stored compactly.
 */
import { ProtoError, ProtoReader, ProtoWriter } from '../protobuf.js';

/** types.proto's DataType values that summaries use. */
export const DataType = {
  FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, UINT16: 17,
} as const;

export interface Tensor {
  /** A `DataType` value. */
  dtype: number;
  /** Dimension sizes; [] for a scalar. */
  shape: number[];
  /** The numeric elements, row-major (bool as 0/1, int64 as numbers). Empty for strings and for dtypes Kiln does not read. */
  values: number[];
  /** DT_STRING elements (raw bytes: text summaries hold UTF-8, image summaries PNG). */
  strings?: Uint8Array[];
}

const CONTENT: Record<number, { size: number; read: (v: DataView, at: number) => number; write: (v: DataView, at: number, x: number) => void }> = {
  [DataType.FLOAT]: { size: 4, read: (v, at) => v.getFloat32(at, true), write: (v, at, x) => v.setFloat32(at, x, true) },
  [DataType.DOUBLE]: { size: 8, read: (v, at) => v.getFloat64(at, true), write: (v, at, x) => v.setFloat64(at, x, true) },
  [DataType.INT32]: { size: 4, read: (v, at) => v.getInt32(at, true), write: (v, at, x) => v.setInt32(at, x, true) },
  [DataType.INT64]: { size: 8, read: (v, at) => Number(v.getBigInt64(at, true)), write: (v, at, x) => v.setBigInt64(at, BigInt(x), true) },
  [DataType.UINT8]: { size: 1, read: (v, at) => v.getUint8(at), write: (v, at, x) => v.setUint8(at, x) },
  [DataType.INT8]: { size: 1, read: (v, at) => v.getInt8(at), write: (v, at, x) => v.setInt8(at, x) },
  [DataType.INT16]: { size: 2, read: (v, at) => v.getInt16(at, true), write: (v, at, x) => v.setInt16(at, x, true) },
  [DataType.UINT16]: { size: 2, read: (v, at) => v.getUint16(at, true), write: (v, at, x) => v.setUint16(at, x, true) },
  [DataType.BOOL]: { size: 1, read: (v, at) => v.getUint8(at), write: (v, at, x) => v.setUint8(at, x ? 1 : 0) },
};

const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeTensor(w: ProtoWriter, t: Tensor): void {
  const content = CONTENT[t.dtype];
  if (!content && t.dtype !== DataType.STRING) throw new ProtoError(`cannot write a tensor of DataType ${t.dtype}`);
  const count = t.dtype === DataType.STRING ? (t.strings?.length ?? 0) : t.values.length;
  if (count !== elementCount(t.shape)) throw new ProtoError(`a tensor of shape [${t.shape.join(', ')}] needs ${elementCount(t.shape)} values, got ${count}`);
  w.int(1, t.dtype);
  w.message(2, (s) => { for (const size of t.shape) s.message(2, (d) => d.int(1, size)); });
  if (t.dtype === DataType.STRING) {
    for (const s of t.strings ?? []) w.bytes(8, s);
  } else if (count > 1) {
    const bytes = new Uint8Array(count * content.size);
    const view = new DataView(bytes.buffer);
    t.values.forEach((x, i) => content.write(view, i * content.size, x));
    w.bytes(4, bytes);
  } else if (count === 1) {
    const x = t.values[0];
    if (t.dtype === DataType.FLOAT) w.packedFloats(5, [x]);
    else if (t.dtype === DataType.DOUBLE) w.packedDoubles(6, [x]);
    else if (t.dtype === DataType.INT64) w.packedInts(10, [x]);
    else if (t.dtype === DataType.BOOL) w.packedInts(11, [x]);
    else w.packedInts(7, [x]);
  }
}

function decodeShape(r: ProtoReader): number[] {
  const shape: number[] = [];
  while (r.next()) {
    if (r.field !== 2) { r.skip(); continue; }
    const d = r.message('dim');
    let size = 0;
    while (d.next()) {
      if (d.field === 1) size = d.int();
      else d.skip();
    }
    shape.push(size);
  }
  return shape;
}

export function decodeTensor(r: ProtoReader): Tensor {
  let dtype = 0;
  let shape: number[] = [];
  let content: Uint8Array | undefined;
  const typed: number[] = [];
  const strings: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1: dtype = r.uint(); break;
      case 2: shape = decodeShape(r.message('tensor_shape')); break;
      case 4: content = r.bytes(); break;
      case 5: r.packedFloats(typed); break;
      case 6: r.packedDoubles(typed); break;
      case 7: case 10: case 11: r.packedInts(typed); break;
      case 8: strings.push(r.bytes()); break;
      default: r.skip();
    }
  }
  const size = elementCount(shape);
  if (dtype === DataType.STRING) return { dtype, shape, values: [], strings };
  const reader = CONTENT[dtype];
  if (!reader) return { dtype, shape, values: [] };
  let values: number[];
  if (content) {
    if (content.length !== size * reader.size) throw new ProtoError(`tensor_content has ${content.length} bytes, but shape [${shape.join(', ')}] needs ${size * reader.size}`);
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    values = Array.from({ length: size }, (_, i) => reader.read(view, i * reader.size));
  } else {
    values = typed;
    while (values.length > 0 && values.length < size) values.push(values[values.length - 1]);
  }
  return { dtype, shape, values };
}
