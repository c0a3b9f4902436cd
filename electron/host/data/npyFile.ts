/**
 * A `.npy` file as engine samples that stay on disk: the engine memory-maps the file and reads
 * each batch's samples on demand, so data larger than memory trains without being loaded.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { NpyError, parseNpyHeader } from '../../../common/formats/npy.js';
import type { MappedSamples } from '../addon.js';

const ENGINE_DTYPES: Record<string, 'float32' | 'int32'> = { '<f4': 'float32', '<i4': 'int32', '|f4': 'float32', '|i4': 'int32' };

export function npyFile(path: string): MappedSamples & { shape: number[]; dtype: 'float32' | 'int32' } {
  const fd = openSync(path, 'r');
  const head = new Uint8Array(65536);  // the header is at most 64 KiB in every .npy version Kiln reads
  const read = (() => {
    try {
      return readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  })();
  const h = parseNpyHeader(head.subarray(0, read), path);
  const dtype = ENGINE_DTYPES[h.descr];
  if (!dtype) throw new NpyError(`${path}: streaming from disk needs float32 or int32 data, not ${h.dtype}: convert with arr.astype('float32') (or 'int32' for labels)`);
  return { path, offset: h.dataOffset, length: h.shape.reduce((a, b) => a * b, 1), shape: h.shape, dtype };
}
