/** Rearranging Keras's weight layouts into TensorFlow Lite's. */

/** `data` laid out as `shape`, with its axes reordered: axis i of the result is axis perm[i] of the input. */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  const outShape = perm.map((p) => shape[p]);
  const outStrides = perm.map((p) => strides[p]);  // input stride of each output axis
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[from];
    // Row-major increment of the output index, tracking the input position.
    for (let a = rank - 1; a >= 0; a--) {
      index[a]++;
      from += outStrides[a];
      if (index[a] < outShape[a]) break;
      from -= outStrides[a] * outShape[a];
      index[a] = 0;
    }
  }
  return out;
}

/**
 * A (kh, kw, ...) kernel with dilation (dh, dw) spread out to its span ((kh - 1) * dh + 1, ...),
 * zeros between the taps: the same convolution without dilation.
 */
export function dilateKernel(data: Float32Array, shape: number[], dilation: number[]): { data: Float32Array; shape: number[] } {
  const [kh, kw, ...rest] = shape;
  const [dh, dw] = dilation;
  const inner = rest.reduce((a, d) => a * d, 1);
  const sh = (kh - 1) * dh + 1;
  const sw = (kw - 1) * dw + 1;
  const out = new Float32Array(sh * sw * inner);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) out.set(data.subarray((y * kw + x) * inner, (y * kw + x + 1) * inner), (y * dh * sw + x * dw) * inner);
  }
  return { data: out, shape: [sh, sw, ...rest] };
}
