import { crc32c, maskCrc32c, unmaskCrc32c } from '../crc32c.js';
import { ByteReader } from './bytes.js';
import { decodeEntry, decodeHeader, DT, DT_NAMES, type BundleEntry } from './bundleProtos.js';
import { readTable, TableError } from './sstable.js';
import { ARRAY_TYPES, formatShape, ITEM_BYTES, TensorBundleError, type BundleTensor, type NumericDType } from './tensors.js';
import { decodeUtf8 } from '../protobuf.js';

const BUNDLE_VERSION = 1;  // kTensorBundleVersion: the consumer version TF checks the header against

const DTYPES = new Map<number, NumericDType | 'string'>(Object.entries(DT).map(([name, code]) => [code, name as NumericDType | 'string']));

/**
 * Every tensor of a TensorFlow checkpoint (tensor bundle), sorted by name: `index` is the `.index`
 * file, `data` its data shards (`.data-0000N-of-0000M`) in order (one array for the usual single
 * shard). Checks what TensorFlow checks when it restores (every block CRC, the header's version,
 * each tensor's size and data CRC) and throws a TensorBundleError that names what is wrong.
 */
export function readTensorBundle(index: Uint8Array, data: Uint8Array | readonly Uint8Array[]): BundleTensor[] {
  const shards = data instanceof Uint8Array ? [data] : data;
  let rows;
  try {
    rows = readTable(index);
  } catch (err) {
    if (err instanceof TableError) throw new TensorBundleError(`the checkpoint index cannot be read: ${err.message}`);
    throw err;
  }
  if (rows.length === 0 || rows[0][0].length !== 0) throw new TensorBundleError('the checkpoint index has no bundle header (it is a LevelDB table but not a tensor bundle)');

  let header;
  try {
    header = decodeHeader(rows[0][1]);
  } catch (err) {
    throw new TensorBundleError(`the checkpoint index's header cannot be parsed (${(err as Error).message})`);
  }
  if (header.endianness !== 0) throw new TensorBundleError('the checkpoint was written on a big-endian machine; Kiln reads little-endian checkpoints');
  if (header.producer < 0 || header.minConsumer > BUNDLE_VERSION || header.badConsumers.includes(BUNDLE_VERSION)) {
    throw new TensorBundleError(`the checkpoint's format version (producer ${header.producer}, min consumer ${header.minConsumer}) is newer than this reader (${BUNDLE_VERSION})`);
  }
  if (header.numShards !== shards.length) {
    throw new TensorBundleError(`the checkpoint has ${header.numShards} data file(s) (.data-*-of-${String(header.numShards).padStart(5, '0')}) but ${shards.length} were given`);
  }

  return rows.slice(1).map(([key, value]) => {
    const name = decodeUtf8(key);
    let entry: BundleEntry;
    try {
      entry = decodeEntry(value);
    } catch (err) {
      throw new TensorBundleError(`tensor '${name}': its index entry cannot be parsed (${(err as Error).message})`);
    }
    return readTensor(name, entry, shards);
  });
}

function readTensor(name: string, e: BundleEntry, shards: readonly Uint8Array[]): BundleTensor {
  const fail = (why: string) => new TensorBundleError(`tensor '${name}': ${why}`);
  const dtype = DTYPES.get(e.dtype);
  if (!dtype) throw fail(`dtype ${DT_NAMES[e.dtype] ?? e.dtype} is not one Kiln reads (float32, float64, int32, int64, string)`);
  if (e.sliced) throw fail('it is saved in slices (a partitioned variable), which Kiln does not read');
  if (e.shape === null || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail('invalid tensor shape');
  const shape = e.shape;
  if (e.shardId < 0 || e.shardId >= shards.length) throw fail(`it is in data shard ${e.shardId}, but the checkpoint has ${shards.length}`);
  const shard = shards[e.shardId];
  if (e.offset < 0 || e.size < 0 || e.offset + e.size > shard.length) {
    throw fail(`its bytes ${e.offset}..${e.offset + e.size} lie past the end of data shard ${e.shardId} (${shard.length} bytes): the data file is truncated or belongs to another checkpoint`);
  }
  const bytes = shard.subarray(e.offset, e.offset + e.size);
  const count = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'string') return { name, dtype, shape, data: readStrings(bytes, count, e.crc32c, fail) };

  const expected = count * ITEM_BYTES[dtype];
  if (e.size !== expected) throw fail(`invalid size in bundle entry: stored ${e.size} bytes, expected ${expected} for ${dtype} ${formatShape(shape)}`);
  const crc = crc32c(bytes);
  if (crc !== unmaskCrc32c(e.crc32c)) {
    throw fail(`checksum does not match: stored 0x${unmaskCrc32c(e.crc32c).toString(16)} vs. 0x${crc.toString(16)} calculated on the restored bytes (the data file is corrupt or belongs to another checkpoint)`);
  }
  const aligned = new Uint8Array(bytes).buffer;  // a copy: the tensor may start at any byte, typed arrays may not
  switch (dtype) {
    case 'float32': return { name, dtype, shape, data: new ARRAY_TYPES.float32(aligned) };
    case 'float64': return { name, dtype, shape, data: new ARRAY_TYPES.float64(aligned) };
    case 'int32': return { name, dtype, shape, data: new ARRAY_TYPES.int32(aligned) };
    case 'int64': return { name, dtype, shape, data: new ARRAY_TYPES.int64(aligned) };
  }
}

/**
 * DT_STRING values as BundleWriter lays them out: varint64 lengths, a masked CRC of the lengths,
 * then the bytes. The entry's CRC runs over each length as a 4-byte integer (8 above 4 GiB),
 * the stored 4 CRC bytes, then the string bytes.
 */
function readStrings(bytes: Uint8Array, count: number, stored: number, fail: (why: string) => Error): Uint8Array[] {
  const r = new ByteReader(bytes);
  try {
    const lengths = Array.from({ length: count }, () => r.varint());
    let crc = 0;
    for (const n of lengths) {
      const le = new DataView(new ArrayBuffer(8));
      le.setBigUint64(0, BigInt(n), true);
      crc = crc32c(new Uint8Array(le.buffer, 0, n > 0xffffffff ? 8 : 4), crc);
    }
    const lengthsCrc = r.bytes(4);
    if (new DataView(lengthsCrc.buffer, lengthsCrc.byteOffset, 4).getUint32(0, true) !== maskCrc32c(crc)) {
      throw fail('checksum of the string lengths does not match (the data file is corrupt)');
    }
    crc = crc32c(lengthsCrc, crc);
    const strings = lengths.map((n) => new Uint8Array(r.bytes(n)));
    for (const s of strings) crc = crc32c(s, crc);
    if (!r.done) throw fail(`its ${bytes.length} bytes hold more than its ${count} strings`);
    if (crc !== unmaskCrc32c(stored)) throw fail('checksum does not match on the restored bytes (the data file is corrupt)');
    return strings;
  } catch (err) {
    if (err instanceof TensorBundleError) throw err;
    throw fail(`its string values are malformed (${(err as Error).message})`);
  }
}
