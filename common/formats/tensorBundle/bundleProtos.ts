/**
 * The two protobuf messages of a bundle's index (tensorflow/core/protobuf/tensor_bundle.proto):
 * BundleHeaderProto under the empty key, and one BundleEntryProto per tensor. Written the way
 * TensorFlow serializes them (proto3: zero scalars omitted), so that our index matches TF's byte for byte.
 */
import { ByteReader, ByteWriter } from './bytes.js';

/** TensorFlow's DataType enum values for the dtypes a bundle holds here. */
export const DT = { float32: 1, float64: 2, int32: 3, string: 7, int64: 9 } as const;

/** TensorFlow's names for DataType values, for messages about dtypes Kiln does not read. */
export const DT_NAMES: Record<number, string> = {
  1: 'DT_FLOAT', 2: 'DT_DOUBLE', 3: 'DT_INT32', 4: 'DT_UINT8', 5: 'DT_INT16', 6: 'DT_INT8', 7: 'DT_STRING',
  8: 'DT_COMPLEX64', 9: 'DT_INT64', 10: 'DT_BOOL', 14: 'DT_BFLOAT16', 17: 'DT_UINT16', 18: 'DT_COMPLEX128',
  19: 'DT_HALF', 20: 'DT_RESOURCE', 21: 'DT_VARIANT', 22: 'DT_UINT32', 23: 'DT_UINT64',
};

export interface BundleHeader {
  numShards: number;
  /** 0: little-endian, 1: big-endian. */
  endianness: number;
  producer: number;
  minConsumer: number;
  badConsumers: number[];
}

export interface BundleEntry {
  dtype: number;
  /** Dimension sizes; null when the shape has unknown rank. */
  shape: number[] | null;
  shardId: number;
  offset: number;
  size: number;
  /** Masked CRC-32C of the tensor's bytes in the data file. */
  crc32c: number;
  /** Whether the tensor is stored as slices (a partitioned variable). */
  sliced: boolean;
}

// ---------------------------------------------------------------------------------------------
// Writing

const VARINT = 0, FIXED64 = 1, LENGTH = 2, FIXED32 = 5;

/** A proto3 scalar field, omitted when zero as protobuf serializers do. */
function scalar(w: ByteWriter, field: number, value: number): void {
  if (value !== 0) w.varint((field << 3) | VARINT).varint(value);
}

function message(w: ByteWriter, field: number, body: Uint8Array): void {
  w.varint((field << 3) | LENGTH).varint(body.length).bytes(body);
}

/** The header TensorFlow writes: one shard, little-endian, version { producer: 1 }. */
export function encodeHeader(): Uint8Array {
  const w = new ByteWriter();
  scalar(w, 1, 1);
  const version = new ByteWriter();
  scalar(version, 1, 1);
  message(w, 3, version.finish());
  return w.finish();
}

export function encodeEntry(e: Omit<BundleEntry, 'sliced' | 'shape'> & { shape: number[] }): Uint8Array {
  const shape = new ByteWriter();
  for (const size of e.shape) {
    const dim = new ByteWriter();
    scalar(dim, 1, size);
    message(shape, 2, dim.finish());
  }
  const w = new ByteWriter();
  scalar(w, 1, e.dtype);
  message(w, 2, shape.finish());
  scalar(w, 3, e.shardId);
  scalar(w, 4, e.offset);
  scalar(w, 5, e.size);
  if (e.crc32c !== 0) w.varint((6 << 3) | FIXED32).fixed32(e.crc32c);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Reading

type FieldValue = number | Uint8Array;

/** Every field of a message by number, in order; fixed64 fields (none used here) are skipped. */
function parseFields(bytes: Uint8Array): Map<number, FieldValue[]> {
  const r = new ByteReader(bytes);
  const fields = new Map<number, FieldValue[]>();
  while (!r.done) {
    const key = r.varint();
    const field = Math.floor(key / 8), wire = key % 8;
    let value: FieldValue;
    if (wire === VARINT) value = r.varint();
    else if (wire === LENGTH) value = r.bytes(r.varint());
    else if (wire === FIXED32) value = r.fixed32();
    else if (wire === FIXED64) { r.bytes(8); continue; }
    else throw new RangeError(`field ${field} has wire type ${wire}, which these messages do not use`);
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

const num = (f: Map<number, FieldValue[]>, n: number): number => {
  const v = f.get(n)?.at(-1);
  return typeof v === 'number' ? v : 0;
};
const sub = (f: Map<number, FieldValue[]>, n: number): Uint8Array[] =>
  (f.get(n) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array);

/** A packed repeated varint field (proto3's default for repeated int32). */
function unpackVarints(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes);
  const out: number[] = [];
  while (!r.done) out.push(r.varint());
  return out;
}

export function decodeHeader(bytes: Uint8Array): BundleHeader {
  const f = parseFields(bytes);
  const version = parseFields(sub(f, 3).at(-1) ?? new Uint8Array(0));
  return {
    numShards: num(f, 1),
    endianness: num(f, 2),
    producer: num(version, 1),
    minConsumer: num(version, 2),
    badConsumers: (version.get(3) ?? []).flatMap((v) => (typeof v === 'number' ? [v] : unpackVarints(v))),
  };
}

export function decodeEntry(bytes: Uint8Array): BundleEntry {
  const f = parseFields(bytes);
  const shape = parseFields(sub(f, 2).at(-1) ?? new Uint8Array(0));
  return {
    dtype: num(f, 1),
    shape: num(shape, 3) !== 0 ? null : sub(shape, 2).map((dim) => num(parseFields(dim), 1)),
    shardId: num(f, 3),
    offset: num(f, 4),
    size: num(f, 5),
    crc32c: num(f, 6),
    sliced: sub(f, 7).length > 0,
  };
}
