/**
 * Reads samples of a data tensor whether its values are in memory or in a file the engine maps
 * (a .npy folder's x arrays, an image folder's decode cache): a preview, a fingerprint or a
 * Normalization layer's statistics read what they need, never the whole file.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { elementCount, isMapped, type DataTensor, type DataValues, type MappedValues } from '../../../common/data/dataset.js';

/** Elements [start, start + count) of a mapped file's values, as little-endian float32 or int32. */
export function readMapped(m: MappedValues, start: number, count: number): DataValues {
  if (start < 0 || count < 0 || start + count > m.length) throw new RangeError(`readMapped: elements ${start}..${start + count} are outside the ${m.length} of ${m.path}`);
  const out = m.dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  const bytes = new Uint8Array(out.buffer);
  const fd = openSync(m.path, 'r');
  try {
    for (let done = 0; done < bytes.length;) {
      const n = readSync(fd, bytes, done, bytes.length - done, m.offset + start * 4 + done);
      if (n === 0) throw new Error(`${m.path} ends before its samples do: the file is truncated (load the data again)`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Samples [start, start + count) of `t` (count * product(t.shape) values); a view when in memory. */
export function readSamples(t: DataTensor, start: number, count: number): DataValues {
  const per = elementCount(t.shape);
  return isMapped(t.data) ? readMapped(t.data, start * per, count * per) : t.data.subarray(start * per, (start + count) * per);
}
