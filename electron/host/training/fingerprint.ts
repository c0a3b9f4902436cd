/**
 * A fingerprint of the data a run trained on: SHA-256 over every array's dtype, shape and bytes,
 * in input then target order. Two runs with the same fingerprint saw the same samples in the
 * same order (before shuffling), whatever file they came from: values in a file the engine maps
 * hash as the same values in memory do (read a chunk at a time, never whole).
 */
import { createHash } from 'node:crypto';
import { isMapped, type MappedValues } from '../../../common/data/dataset.js';
import { readMapped } from '../data/readSamples.js';

/** Elements hashed per read of a mapped file (16 MiB). */
const CHUNK = 1 << 22;

const bytesOf = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function dataFingerprint(arrays: { name: string; shape: number[]; data: Float32Array | Int32Array | MappedValues }[]): string {
  const hash = createHash('sha256');
  for (const { name, shape, data } of arrays) {
    const dtype = isMapped(data) ? data.dtype : data instanceof Int32Array ? 'int32' : 'float32';
    hash.update(`${name}:${dtype}:${shape.join('x')};`);
    if (!isMapped(data)) hash.update(bytesOf(data));
    else for (let at = 0; at < data.length; at += CHUNK) hash.update(bytesOf(readMapped(data, at, Math.min(CHUNK, data.length - at))));
  }
  return `sha256:${hash.digest('hex')}`;
}
