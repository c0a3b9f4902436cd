/**
 * The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/, also Fashion-MNIST):
 * magic 0x00 0x00 TYPE NDIM, NDIM big-endian uint32 dimensions, then the values big-endian.
 * TYPE: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
 * Bytes in; gunzip happens in the host.
 */
import { checkTrainable, DataError, type Dataset } from './dataset.js';

export interface IdxArray {
  dtype: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  shape: number[];
  /** Integers as Int32Array, floats as Float32Array (float64 narrowed). */
  data: Int32Array | Float32Array;
}

const TYPES: Record<number, [IdxArray['dtype'], number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

export function parseIdx(bytes: Uint8Array, source = 'the IDX file'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !TYPES[bytes[2]] || bytes[3] === 0) {
    throw new DataError(`${source} is not an IDX file (it does not start with 00 00 <type> <dims>)`);
  }
  const [dtype, size] = TYPES[bytes[2]];
  const ndim = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * ndim) throw new DataError(`${source} is cut short in its header`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (bytes.length - start < n * size) throw new DataError(`${source} is cut short: its header promises ${shape.join('×')} ${dtype} values (${n * size} bytes) but ${bytes.length - start} bytes follow`);
  const isFloat = dtype === 'float32' || dtype === 'float64';
  const data = isFloat ? new Float32Array(n) : new Int32Array(n);
  switch (dtype) {
    case 'uint8': data.set(bytes.subarray(start, start + n)); break;
    case 'int8': for (let i = 0; i < n; i++) data[i] = view.getInt8(start + i); break;
    case 'int16': for (let i = 0; i < n; i++) data[i] = view.getInt16(start + 2 * i, false); break;
    case 'int32': for (let i = 0; i < n; i++) data[i] = view.getInt32(start + 4 * i, false); break;
    case 'float32': for (let i = 0; i < n; i++) data[i] = view.getFloat32(start + 4 * i, false); break;
    case 'float64': for (let i = 0; i < n; i++) data[i] = view.getFloat64(start + 8 * i, false); break;
  }
  return { dtype, shape, data };
}

/**
 * An images file and a labels file as a dataset: images float32 0..255 (as Keras's mnist arrays,
 * cast), per-sample shape [rows, cols]; labels int32 class indices with classes 0..max.
 */
export function idxDataset(images: IdxArray, labels: IdxArray, what: { images: string; labels: string }): Dataset {
  if (images.shape.length < 2) throw new DataError(`${what.images} holds a ${images.shape.length}-D array, not images (it needs [count, rows, cols])`);
  if (labels.shape.length !== 1 || labels.data instanceof Float32Array) throw new DataError(`${what.labels} is not a labels file (it needs one whole number per image)`);
  const count = images.shape[0];
  if (labels.shape[0] !== count) throw new DataError(`${what.images} has ${count} images but ${what.labels} has ${labels.shape[0]} labels: they must be a matching pair`);
  const x = images.data instanceof Float32Array ? images.data : Float32Array.from(images.data);
  const y = labels.data as Int32Array;
  let max = -1;
  for (const v of y) {
    if (v < 0) throw new DataError(`${what.labels} has a negative label (${v}): labels must be class indices from 0`);
    if (v > max) max = v;
  }
  const ds: Dataset = {
    x: [{ shape: images.shape.slice(1), data: x }],
    y: [{ shape: [], data: y }],
    count,
    classNames: Array.from({ length: max + 1 }, (_, i) => String(i)),
    notes: [],
  };
  checkTrainable(ds, what.images);
  return ds;
}
