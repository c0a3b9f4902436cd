/**
 * The two protobuf messages of a bundle's index (tensorflow/core/protobuf/tensor_bundle.proto):
 * BundleHeaderProto under the empty key, and one BundleEntryProto per tensor. Written the way
 * TensorFlow serializes them (proto3: zero scalars omitted), so that our index matches TF's byte for byte.
 */
import { ProtoReader, ProtoWriter } from '../protobuf.js';

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
// Writing (proto3: zero scalars are omitted, as TensorFlow's serializer does)

function scalar(w: ProtoWriter, field: number, value: number): void {
  if (value !== 0) w.int(field, value);
}

/** The header TensorFlow writes: one shard, little-endian, version { producer: 1 }. */
export function encodeHeader(): Uint8Array {
  return new ProtoWriter().int(1, 1).message(3, (v) => scalar(v, 1, 1)).finish();
}

export function encodeEntry(e: Omit<BundleEntry, 'sliced' | 'shape'> & { shape: number[] }): Uint8Array {
  const w = new ProtoWriter();
  scalar(w, 1, e.dtype);
  w.message(2, (shape) => {
    for (const size of e.shape) shape.message(2, (dim) => scalar(dim, 1, size));
  });
  scalar(w, 3, e.shardId);
  scalar(w, 4, e.offset);
  scalar(w, 5, e.size);
  if (e.crc32c !== 0) w.fixed32(6, e.crc32c);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Reading

export function decodeHeader(bytes: Uint8Array): BundleHeader {
  const header: BundleHeader = { numShards: 0, endianness: 0, producer: 0, minConsumer: 0, badConsumers: [] };
  const r = new ProtoReader(bytes, 0, bytes.length, 'BundleHeaderProto');
  while (r.next()) {
    if (r.field === 1) header.numShards = r.int();
    else if (r.field === 2) header.endianness = r.int();
    else if (r.field === 3) {
      const v = r.message('version');
      while (v.next()) {
        if (v.field === 1) header.producer = v.int();
        else if (v.field === 2) header.minConsumer = v.int();
        else if (v.field === 3) v.packedInts(header.badConsumers);
        else v.skip();
      }
    } else r.skip();
  }
  return header;
}

export function decodeEntry(bytes: Uint8Array): BundleEntry {
  const entry: BundleEntry = { dtype: 0, shape: [], shardId: 0, offset: 0, size: 0, crc32c: 0, sliced: false };
  const r = new ProtoReader(bytes, 0, bytes.length, 'BundleEntryProto');
  while (r.next()) {
    switch (r.field) {
      case 1: entry.dtype = r.int(); break;
      case 2: {
        const shape = r.message('shape');
        const dims: number[] = [];
        let unknownRank = false;
        while (shape.next()) {
          if (shape.field === 2) {
            const dim = shape.message('dim');
            let size = 0;
            while (dim.next()) if (dim.field === 1) size = dim.int(); else dim.skip();
            dims.push(size);
          } else if (shape.field === 3) unknownRank = shape.int() !== 0;
          else shape.skip();
        }
        entry.shape = unknownRank ? null : dims;
        break;
      }
      case 3: entry.shardId = r.int(); break;
      case 4: entry.offset = r.int(); break;
      case 5: entry.size = r.int(); break;
      case 6: entry.crc32c = r.fixed32(); break;
      case 7: entry.sliced = true; r.skip(); break;
      default: r.skip();
    }
  }
  return entry;
}
