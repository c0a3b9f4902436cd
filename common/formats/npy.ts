/**
 * NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * reads format versions 1.0, 2.0 and 3.0 in C order and little-endian byte order, writes 1.0
 * (2.0 when the header needs it). Floating-point data comes back as Float32Array (f2, f4) or
 * Float64Array (f8); integers and booleans as Int32Array, checked to fit.
 */

export type NpyData = Float32Array | Float64Array | Int32Array;

export interface NpyArray {
  /** The file's dtype in NumPy's words: float32, float64, int32, int64, uint8, bool, ... */
  dtype: string;
  shape: number[];
  /** Row-major (C order) values. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];  // \x93NUMPY

/** An error in the user's terms that names the file (or array) it is about. */
export class NpyError extends Error {}

// ---------------------------------------------------------------------------------------------
// The header: a Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

function parsePythonLiteral(text: string): PyValue {
  let i = 0;
  const space = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const fail = (what: string): never => { throw new Error(`${what} at character ${i} of the header`); };
  const value = (): PyValue => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, PyValue> = {};
      for (;;) {
        space();
        if (text[i] === '}') { i++; return out; }
        const key = value();
        if (typeof key !== 'string') fail('a dict key that is not a string');
        space();
        if (text[i] !== ':') fail('a missing ":"');
        i++;
        out[key as string] = value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('a missing "," or "}"');
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: PyValue[] = [];
      for (;;) {
        space();
        if (text[i] === close) { i++; return out; }
        out.push(value());
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`a missing "," or "${close}"`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('an unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const word = /^[A-Za-z_]+|^-?\d+L?/.exec(text.slice(i))?.[0];
    if (word === undefined) return fail(`an unexpected "${c ?? 'end'}"`);
    i += word.length;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    if (/^-?\d+L?$/.test(word)) return Number(word.replace('L', ''));
    return fail(`an unexpected "${word}"`);
  };
  const v = value();
  space();
  if (i < text.length) fail('text after the header dict');
  return v;
}

// ---------------------------------------------------------------------------------------------
// dtypes

interface DtypeInfo {
  name: string;
  size: number;
  read(view: DataView, offset: number, count: number, source: string): NpyData;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of bytes as an aligned buffer (a typed array view needs alignment). */
function alignedCopy(view: DataView, offset: number, bytes: number): ArrayBuffer {
  const copy = new Uint8Array(bytes);
  copy.set(new Uint8Array(view.buffer, view.byteOffset + offset, bytes));
  return copy.buffer;
}

function checkedInt(value: number, index: number, dtype: string, source: string): number {
  if (value < -2147483648 || value > 2147483647) {
    throw new NpyError(`${source}: ${dtype} value ${value} at index ${index} does not fit in int32 (Kiln reads integers as int32): convert the array to a smaller integer type or to float32`);
  }
  return value;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const DTYPES: Record<string, DtypeInfo> = {
  f4: {
    name: 'float32', size: 4,
    read(view, offset, count) {
      if (littleEndianHost) return new Float32Array(alignedCopy(view, offset, count * 4));
      const out = new Float32Array(count);
      for (let k = 0; k < count; k++) out[k] = view.getFloat32(offset + 4 * k, true);
      return out;
    },
  },
  f8: {
    name: 'float64', size: 8,
    read(view, offset, count) {
      if (littleEndianHost) return new Float64Array(alignedCopy(view, offset, count * 8));
      const out = new Float64Array(count);
      for (let k = 0; k < count; k++) out[k] = view.getFloat64(offset + 8 * k, true);
      return out;
    },
  },
  f2: {
    name: 'float16', size: 2,
    read(view, offset, count) {
      const out = new Float32Array(count);
      for (let k = 0; k < count; k++) out[k] = halfToFloat(view.getUint16(offset + 2 * k, true));
      return out;
    },
  },
  i4: {
    name: 'int32', size: 4,
    read(view, offset, count) {
      if (littleEndianHost) return new Int32Array(alignedCopy(view, offset, count * 4));
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) out[k] = view.getInt32(offset + 4 * k, true);
      return out;
    },
  },
  i8: {
    name: 'int64', size: 8,
    read(view, offset, count, source) {
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) {
        const lo = view.getInt32(offset + 8 * k, true);
        const hi = view.getInt32(offset + 8 * k + 4, true);
        if (hi !== (lo >> 31)) checkedInt(Number(view.getBigInt64(offset + 8 * k, true)), k, 'int64', source);
        out[k] = lo;
      }
      return out;
    },
  },
  u4: {
    name: 'uint32', size: 4,
    read(view, offset, count, source) {
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) out[k] = checkedInt(view.getUint32(offset + 4 * k, true), k, 'uint32', source);
      return out;
    },
  },
  u8: {
    name: 'uint64', size: 8,
    read(view, offset, count, source) {
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) out[k] = checkedInt(Number(view.getBigUint64(offset + 8 * k, true)), k, 'uint64', source);
      return out;
    },
  },
  i2: {
    name: 'int16', size: 2,
    read(view, offset, count) {
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) out[k] = view.getInt16(offset + 2 * k, true);
      return out;
    },
  },
  u2: {
    name: 'uint16', size: 2,
    read(view, offset, count) {
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) out[k] = view.getUint16(offset + 2 * k, true);
      return out;
    },
  },
  i1: {
    name: 'int8', size: 1,
    read(view, offset, count) {
      return Int32Array.from(new Int8Array(view.buffer, view.byteOffset + offset, count));
    },
  },
  u1: {
    name: 'uint8', size: 1,
    read(view, offset, count) {
      return Int32Array.from(new Uint8Array(view.buffer, view.byteOffset + offset, count));
    },
  },
  b1: {
    name: 'bool', size: 1,
    read(view, offset, count) {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, count);
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) out[k] = bytes[k] ? 1 : 0;
      return out;
    },
  },
};

function dtypeOf(descr: string, source: string): DtypeInfo {
  const order = descr[0];
  const code = descr.slice(1);
  const info = DTYPES[code];
  if (!info || !'<>|='.includes(order)) {
    throw new NpyError(`${source}: dtype '${descr}' is not supported: Kiln reads float16/32/64, (u)int8/16/32/64 and bool arrays (convert with arr.astype('float32'))`);
  }
  if (order === '>' && info.size > 1) {
    throw new NpyError(`${source}: the data is big-endian ('${descr}'): Kiln reads little-endian arrays; convert with arr.astype('<${code}')`);
  }
  return info;
}

// ---------------------------------------------------------------------------------------------

function toView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A .npy file's header: the array's dtype and shape, and where its data starts. */
export interface NpyHeader {
  /** NumPy's name: float32, int64, ... */
  dtype: string;
  /** NumPy's descr: '<f4', '|u1', ... */
  descr: string;
  shape: number[];
  /** Byte offset of the data in the file. */
  dataOffset: number;
  /** Bytes of one element. */
  itemSize: number;
}

/** Reads the header of a .npy file (its first bytes suffice); `source` appears in every error. */
export function parseNpyHeader(bytes: Uint8Array, source = 'the .npy file'): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new NpyError(`${source}: not a NumPy .npy file (it does not start with \\x93NUMPY)`);
  }
  const view = toView(bytes);
  const major = bytes[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError(`${source}: the file is truncated in its header`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`${source}: .npy format version ${major}.${bytes[7]} is not supported (Kiln reads versions 1.0, 2.0 and 3.0)`);
  }
  if (headerStart + headerLength > bytes.length) throw new NpyError(`${source}: the file is truncated in its header`);
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  // Version 3.0 allows UTF-8, which only structured dtypes' field names use (refused below).
  let headerText = '';
  for (let k = 0; k < headerBytes.length; k += 4096) headerText += String.fromCharCode(...headerBytes.subarray(k, k + 4096));
  let header: PyValue;
  try {
    header = parsePythonLiteral(headerText.trim());
  } catch (err) {
    throw new NpyError(`${source}: the header cannot be read (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new NpyError(`${source}: the header is not a dict`);
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string') {
    throw new NpyError(`${source}: the array has a structured dtype (several named fields): Kiln reads plain numeric arrays; save each field as its own array`);
  }
  if (fortran === true) {
    throw new NpyError(`${source}: the array is stored in Fortran order: save it in C order (np.save(path, np.ascontiguousarray(arr)))`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new NpyError(`${source}: the header's shape is not a tuple of whole numbers`);
  }
  const info = dtypeOf(descr, source);
  return { dtype: info.name, descr, shape: shape as number[], dataOffset: headerStart + headerLength, itemSize: info.size };
}

/** Reads a .npy file; `source` (a file name) appears in every error. */
export function parseNpy(bytes: Uint8Array, source = 'the .npy file'): NpyArray {
  const h = parseNpyHeader(bytes, source);
  const info = dtypeOf(h.descr, source);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const needed = count * info.size;
  if (bytes.length - h.dataOffset < needed) {
    throw new NpyError(`${source}: the file is truncated: shape (${h.shape.join(', ')}) of ${info.name} needs ${needed} bytes of data but it has ${bytes.length - h.dataOffset}`);
  }
  return { dtype: info.name, shape: h.shape, data: info.read(toView(bytes), h.dataOffset, count, source) };
}

function pythonShape(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  return '<i4';
}

/**
 * A .npy header (format 1.0, or 2.0 when it needs more room) for `shape` of `descr` ('<f4'),
 * padded with spaces so the data starts on a 64-byte boundary, as NumPy does. `atLeast` pads
 * it to that many bytes: a writer that learns the sample count at the end reserves the header
 * for the largest count, then writes the final one in the same place.
 */
export function npyHeader(descr: string, shape: number[], atLeast = 0): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pythonShape(shape)}, }`;
  const sized = (prefix: number) => Math.max(atLeast, Math.ceil((prefix + dict.length + 1) / 64) * 64);
  let version = 1;
  let prefix = 10;
  let total = sized(prefix);
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = sized(prefix);
  }
  const headerLength = total - prefix;
  const header = dict + ' '.repeat(headerLength - dict.length - 1) + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) toView(out).setUint16(8, headerLength, true);
  else toView(out).setUint32(8, headerLength, true);
  for (let k = 0; k < header.length; k++) out[prefix + k] = header.charCodeAt(k);
  return out;
}

/** Writes a .npy file (format 1.0, or 2.0 for a very long header) holding `data` with `shape`. */
export function writeNpy(array: { shape: number[]; data: NpyData }): Uint8Array {
  const { shape, data } = array;
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new NpyError(`shape ${pythonShape(shape)} holds ${count} values but the array has ${data.length}`);
  }
  const header = npyHeader(descrOf(data), shape);
  const total = header.length;
  const out = new Uint8Array(total + data.byteLength);
  out.set(header, 0);
  const view = toView(out);
  if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  } else {
    const size = data.BYTES_PER_ELEMENT;
    for (let k = 0; k < data.length; k++) {
      if (data instanceof Float32Array) view.setFloat32(total + size * k, data[k], true);
      else if (data instanceof Float64Array) view.setFloat64(total + size * k, data[k], true);
      else view.setInt32(total + size * k, data[k], true);
    }
  }
  return out;
}

/** The values as float32 (the engine's dtype for features and weights); the same array when already float32. */
export function toFloat32(data: NpyData): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** The values as int32 (class labels); float values must be whole numbers. `what` names them in errors. */
export function toInt32(data: NpyData, what: string): Int32Array {
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new NpyError(`${what}: value ${v} at index ${k} is not a whole number, but class labels must be (use integer labels 0, 1, 2, ...)`);
    }
    out[k] = v;
  }
  return out;
}

/** NumPy-style shape text: (3,), (2, 4), (). */
export function formatNpyShape(shape: number[]): string {
  return pythonShape(shape);
}
