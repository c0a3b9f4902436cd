/**
 * A fingerprint of the data a run trained on: SHA-256 over every array's dtype, shape and bytes,
 * in input then target order. Two runs with the same fingerprint saw the same samples in the
 * same order (before shuffling), whatever file they came from.
 */
import { createHash } from 'node:crypto';

export function dataFingerprint(arrays: { name: string; shape: number[]; data: Float32Array | Int32Array }[]): string {
  const hash = createHash('sha256');
  for (const a of arrays) {
    hash.update(`${a.name}:${a.data instanceof Int32Array ? 'int32' : 'float32'}:${a.shape.join('x')};`);
    hash.update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  return `sha256:${hash.digest('hex')}`;
}
