/**
 * A `.npy` file as engine samples that stay on disk: the engine memory-maps the file and reads
 * each batch's samples on demand, so data larger than memory trains without being loaded.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { MappedValues } from '../../../common/data/dataset.js';
import { NpyError, parseNpyHeader, type NpyHeader } from '../../../common/formats/npy.js';

const ENGINE_DTYPES: Record<string, 'float32' | 'int32'> = { '<f4': 'float32', '<i4': 'int32', '|f4': 'float32', '|i4': 'int32' };

/** The header of a .npy file, read without its data. */
export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, 'r');
  const head = new Uint8Array(65536);  // the header is at most 64 KiB in every .npy version Kiln reads
  try {
    return parseNpyHeader(head.subarray(0, readSync(fd, head, 0, head.length, 0)), path);
  } finally {
    closeSync(fd);
  }
}

/** The engine dtype a file's data can be mapped as (little-endian float32 or int32), if any. */
export const streamableDtype = (h: NpyHeader): 'float32' | 'int32' | undefined => ENGINE_DTYPES[h.descr];

/** The file's values, to map; throws NpyError (naming the file) for a dtype the engine cannot map or a truncated file. */
export function npyFile(path: string, h = readNpyHeader(path)): MappedValues & { shape: number[] } {
  const dtype = streamableDtype(h);
  if (!dtype) throw new NpyError(`${path}: streaming from disk needs float32 or int32 data, not ${h.dtype}: convert with arr.astype('float32') (or 'int32' for labels)`);
  const length = h.shape.reduce((a, b) => a * b, 1);
  const have = statSync(path).size - h.dataOffset;
  if (have < length * 4) throw new NpyError(`${path}: the file is truncated: shape (${h.shape.join(', ')}) of ${dtype} needs ${length * 4} bytes of data but it has ${have}`);
  return { path, offset: h.dataOffset, length, dtype, shape: h.shape };
}
