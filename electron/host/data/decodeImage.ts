/**
 * PNG and JPEG decoding with well-kept libraries (pngjs, jpeg-js) into 8-bit interleaved pixels.
 * Throws on a corrupt or unsupported file; callers skip and list such files.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RawImage } from '../../../common/data/image.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
/** Formats Keras reads that Kiln does not decode (yet): listed as skipped, not silently ignored. */
export const OTHER_IMAGE_EXTENSIONS = ['.bmp', '.gif'];

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes by content (not extension), as tf.io.decode_image does. */
export function decodeImage(bytes: Buffer): RawImage {
  if (isPng(bytes)) {
    const png = PNG.sync.read(bytes);
    const colorType = png.colorType as number;
    const gray = colorType === 0 || colorType === 4;  // gray, gray + alpha
    const n = png.width * png.height;
    if (gray) {
      const data = new Uint8Array(n);
      for (let p = 0; p < n; p++) data[p] = png.data[p * 4];
      return { width: png.width, height: png.height, channels: 1, data };
    }
    return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  if (isJpeg(bytes)) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    const channels = img.data.length / (img.width * img.height);
    if (channels !== 3 && channels !== 1) throw new Error(`unexpected ${channels} channels`);
    return { width: img.width, height: img.height, channels, data: img.data };
  }
  throw new Error('not a PNG or JPEG image');
}
