import { crc32c, maskCrc32c } from '../crc32c.js';
import { DT, encodeEntry, encodeHeader } from './bundleProtos.js';
import { compareBytes, writeTable, type TableEntry } from './sstable.js';
import { ARRAY_TYPES, formatShape, TensorBundleError, type NumericTensor } from './tensors.js';
import { encodeUtf8 } from '../protobuf.js';

/**
 * A TensorFlow checkpoint (tensor bundle) of these tensors: `index` is the prefix's `.index` file,
 * `data` its single shard `.data-00000-of-00001`. Byte for byte what TensorFlow's BundleWriter
 * writes for the same tensors added in the same order: the data file holds the tensors in the
 * order given, the index lists them sorted by name after the header.
 */
export function writeTensorBundle(tensors: readonly NumericTensor[]): { index: Uint8Array; data: Uint8Array } {
  const seen = new Set<string>();
  const entries: TableEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '') throw new TensorBundleError('a tensor has an empty name (the empty key is the bundle header)');
    if (seen.has(t.name)) throw new TensorBundleError(`two tensors are named '${t.name}'`);
    seen.add(t.name);
    if (!(t.dtype in ARRAY_TYPES)) throw new TensorBundleError(`tensor '${t.name}' has dtype ${String(t.dtype)}; a bundle here holds float32, float64, int32 or int64`);
    if (!(t.data instanceof ARRAY_TYPES[t.dtype])) throw new TensorBundleError(`tensor '${t.name}' is ${t.dtype} but its values are a ${t.data.constructor.name}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new TensorBundleError(`tensor '${t.name}' has shape ${formatShape(t.shape)}: sizes must be whole numbers >= 0`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new TensorBundleError(`tensor '${t.name}' has shape ${formatShape(t.shape)} (${count} values) but ${t.data.length} values`);

    // Typed arrays are in the machine's byte order: little-endian on every platform Kiln runs on.
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const entry = { dtype: DT[t.dtype], shape: t.shape, shardId: 0, offset, size: bytes.length, crc32c: maskCrc32c(crc32c(bytes)) };
    entries.push([encodeUtf8(t.name), encodeEntry(entry)]);
    chunks.push(bytes);
    offset += bytes.length;
  }
  entries.sort((a, b) => compareBytes(a[0], b[0]));
  entries.unshift([new Uint8Array(0), encodeHeader()]);

  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) { data.set(c, at); at += c.length; }
  return { index: writeTable(entries), data };
}
