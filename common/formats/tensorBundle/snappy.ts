/**
 * Snappy decompression (raw block format, github.com/google/snappy/blob/main/format_description.txt).
 * TensorFlow never compresses the bundles it writes today, but older writers did: TF 1.x and early
 * TF 2 SavedModels have snappy-compressed index blocks, and the reader must take them.
 */
import { ByteReader } from './bytes.js';

export function snappyDecompress(src: Uint8Array): Uint8Array {
  const r = new ByteReader(src);
  const out = new Uint8Array(r.varint());
  let o = 0;
  while (!r.done) {
    const tag = r.byte();
    let length: number, distance: number;
    switch (tag & 3) {
      case 0: {  // literal: length - 1 in the tag, or in the 1 to 4 bytes after it
        length = tag >>> 2;
        if (length >= 60) {
          const b = r.bytes(length - 59);
          length = b.reduceRight((acc, byte) => acc * 256 + byte, 0);
        }
        length += 1;
        if (o + length > out.length) throw new RangeError('a literal runs past the stated length');
        out.set(r.bytes(length), o);
        o += length;
        continue;
      }
      case 1:  // copy, 11-bit distance
        length = ((tag >>> 2) & 7) + 4;
        distance = ((tag >>> 5) << 8) | r.byte();
        break;
      case 2:  // copy, 16-bit distance
        length = (tag >>> 2) + 1;
        distance = r.byte() | (r.byte() << 8);
        break;
      default:  // copy, 32-bit distance
        length = (tag >>> 2) + 1;
        distance = r.fixed32();
    }
    if (distance === 0 || distance > o) throw new RangeError(`a copy reaches ${distance} bytes back from byte ${o}`);
    if (o + length > out.length) throw new RangeError('a copy runs past the stated length');
    // Byte by byte: a copy may overlap the bytes it produces (a run).
    for (let i = 0; i < length; i++, o++) out[o] = out[o - distance];
  }
  if (o !== out.length) throw new RangeError(`it decompresses to ${o} bytes, not the stated ${out.length}`);
  return out;
}
