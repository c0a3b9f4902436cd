/**
 * Image preprocessing as Keras's image_dataset_from_directory does it after decoding:
 * channel conversion (tf.io.decode_image(channels=...)) and tf.image.resize(method='bilinear'),
 * values float32 0..255.
 *
 * Resize: bilinear interpolation with half-pixel centres and no antialiasing, TF2's
 * tf.image.resize(..., 'bilinear') (ResizeBilinear with half_pixel_centers=True): the output pixel
 * (i, j) samples the input at ((i + 0.5) * inH / outH - 0.5, (j + 0.5) * inW / outW - 0.5),
 * neighbours clamped to the image. Downscaling by large factors therefore aliases, as in Keras.
 */

/** Decoded pixels: 8-bit, interleaved, `channels` per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/**
 * Converts to 1 (grayscale) or 3 (RGB) channels as TF's decoders do: alpha dropped, gray
 * replicated to RGB, RGB to gray with ITU-R BT.601 luma weights (0.299, 0.587, 0.114; what libjpeg
 * uses), rounded to 8 bits.
 */
export function toChannels(img: RawImage, channels: 1 | 3): RawImage {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  const c = img.channels;
  const src = img.data;
  for (let p = 0; p < n; p++) {
    if (c <= 2) {
      const g = src[p * c];
      if (channels === 1) out[p] = g;
      else out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = g;
    } else if (channels === 3) {
      out[p * 3] = src[p * c];
      out[p * 3 + 1] = src[p * c + 1];
      out[p * 3 + 2] = src[p * c + 2];
    } else {
      out[p] = Math.round(0.299 * src[p * c] + 0.587 * src[p * c + 1] + 0.114 * src[p * c + 2]);
    }
  }
  return { width: img.width, height: img.height, channels, data: out };
}

interface Taps { lo: Int32Array; hi: Int32Array; frac: Float32Array }

function taps(outSize: number, inSize: number): Taps {
  const scale = inSize / outSize;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = (i + 0.5) * scale - 0.5;
    const f = Math.floor(at);
    lo[i] = Math.max(f, 0);
    hi[i] = Math.min(Math.ceil(at), inSize - 1);
    frac[i] = at - f;
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize (see the file comment) of an 8-bit image into `out` (height * width * channels
 * float32 values, HWC) at `offset`; returns `out`.
 */
export function resizeBilinear(img: RawImage, height: number, width: number, out = new Float32Array(height * width * img.channels), offset = 0): Float32Array {
  const c = img.channels;
  const src = img.data;
  if (img.height === height && img.width === width) {
    for (let i = 0; i < src.length; i++) out[offset + i] = src[i];
    return out;
  }
  const ys = taps(height, img.height);
  const xs = taps(width, img.width);
  const rowStride = img.width * c;
  for (let y = 0; y < height; y++) {
    const top = ys.lo[y] * rowStride;
    const bottom = ys.hi[y] * rowStride;
    const dy = ys.frac[y];
    for (let x = 0; x < width; x++) {
      const l = xs.lo[x] * c;
      const r = xs.hi[x] * c;
      const dx = xs.frac[x];
      const o = offset + (y * width + x) * c;
      for (let k = 0; k < c; k++) {
        const tl = src[top + l + k];
        const tr = src[top + r + k];
        const bl = src[bottom + l + k];
        const br = src[bottom + r + k];
        const t = tl + (tr - tl) * dx;
        const b = bl + (br - bl) * dx;
        out[o + k] = t + (b - t) * dy;
      }
    }
  }
  return out;
}
