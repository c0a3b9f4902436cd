// TensorFlow's checkpoint format: real TF-written bundles are read, the writer reproduces TF's
// bytes, and what Kiln writes reads back the same. (test/conformance/tf_checkpoint.test.ts has
// TensorFlow itself read and write.)
import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc32c, unmaskCrc32c } from '../../../common/formats/crc32c.js';
import { readTensorBundle, TensorBundleError, writeTensorBundle, type NumericTensor } from '../../../common/formats/tensorBundle/index.js';
import { snappyDecompress } from '../../../common/formats/tensorBundle/snappy.js';
import { counter, halfPlusTwo, halfPlusTwoTf2 } from './tensorBundleFixtures.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const values = (t: { data: ArrayLike<unknown> }) => Array.from(t.data);

describe('crc32c', () => {
  it('is CRC-32C (Castagnoli), at any length and split anywhere', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const long = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    for (const cut of [0, 1, 7, 8, 9, 500, 999]) expect(crc32c(long.subarray(cut), crc32c(long.subarray(0, cut)))).toBe(crc32c(long));
  });

  it('masks as TensorFlow does, and unmasks back', () => {
    expect(maskCrc32c(crc32c(new Uint8Array(4)))).toBe(0x3a117ba6);  // the counter fixture's entry
    for (const c of [0, 1, 0xe3069283, 0xffffffff]) expect(unmaskCrc32c(maskCrc32c(c))).toBe(c);
  });
});

describe('reading TensorFlow-written bundles', () => {
  it('reads a TF1 checkpoint with an uncompressed index', () => {
    expect(readTensorBundle(counter.index, counter.data)).toEqual([{ name: 'counter', dtype: 'float32', shape: [], data: new Float32Array([0]) }]);
  });

  it('reads a TF 1.14 checkpoint whose index block is snappy-compressed', () => {
    const tensors = readTensorBundle(halfPlusTwo.index, halfPlusTwo.data);
    expect(tensors.map((t) => [t.name, t.dtype, t.shape, values(t)])).toEqual([
      ['a', 'float32', [], [0.5]], ['a2', 'float32', [], [0.5]], ['b', 'float32', [], [2]], ['c', 'float32', [], [3]], ['c2', 'float32', [], [3]],
    ]);
  });

  it('reads a TF 2 checkpoint, object graph (a string tensor) included', () => {
    const tensors = readTensorBundle(halfPlusTwoTf2.index, [halfPlusTwoTf2.data]);
    expect(tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['_CHECKPOINTABLE_OBJECT_GRAPH', 'string', []],
      ['a/.ATTRIBUTES/VARIABLE_VALUE', 'float32', []],
      ['b/.ATTRIBUTES/VARIABLE_VALUE', 'float32', []],
      ['c/.ATTRIBUTES/VARIABLE_VALUE', 'float32', []],
    ]);
    const graph = tensors[0].data as Uint8Array[];
    expect(graph.length).toBe(1);
    expect(graph[0].length).toBe(613);
    expect(new TextDecoder().decode(graph[0])).toContain('VARIABLE_VALUE');
    expect(tensors.slice(1).map(values)).toEqual([[0.5], [2], [3]]);
  });
});

describe('writing', () => {
  it("reproduces TensorFlow's index and data byte for byte", () => {
    const { index, data } = writeTensorBundle([{ name: 'counter', dtype: 'float32', shape: [], data: new Float32Array([0]) }]);
    expect(index).toEqual(counter.index);
    expect(data).toEqual(counter.data);
  });

  it('round-trips every dtype, scalars, empty tensors and non-ASCII names', () => {
    const tensors: NumericTensor[] = [
      { name: 'dense/kernel', dtype: 'float32', shape: [3, 2], data: Float32Array.of(1, -2.5, 3e-8, Infinity, -0, 6) },
      { name: 'dense/bias', dtype: 'float32', shape: [2], data: Float32Array.of(0.1, 0.2) },
      { name: 'step', dtype: 'int64', shape: [], data: BigInt64Array.of(-(2n ** 63n)) },
      { name: 'counts', dtype: 'int64', shape: [3], data: BigInt64Array.of(2n ** 63n - 1n, 0n, -5n) },
      { name: 'labels', dtype: 'int32', shape: [2, 2], data: Int32Array.of(-2147483648, 2147483647, 0, 7) },
      { name: 'precise', dtype: 'float64', shape: [1, 1, 2], data: Float64Array.of(Math.PI, Number.MIN_VALUE) },
      { name: 'empty', dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      { name: 'gewichte/größe', dtype: 'float32', shape: [1], data: Float32Array.of(NaN) },
    ];
    const { index, data } = writeTensorBundle(tensors);
    const byName = (list: { name: string }[]) => [...list].sort((a, b) => (a.name < b.name ? -1 : 1));
    // Keys sort by their UTF-8 bytes, which for these names is JavaScript's string order.
    expect(readTensorBundle(index, data)).toEqual(byName(tensors));
  });

  it('spans several data blocks and restart points, as a big model does', () => {
    const tensors: NumericTensor[] = Array.from({ length: 20000 }, (_, i) => ({
      name: `block_${Math.floor(i / 30)}/conv2d_${i % 30}/kernel`,
      dtype: 'float32',
      shape: [1, 2],
      data: Float32Array.of(i, -i),
    }));
    const { index, data } = writeTensorBundle(tensors);
    expect(index.length).toBeGreaterThan(2 * 262144);  // at least three data blocks
    const read = readTensorBundle(index, data);
    expect(read.length).toBe(tensors.length);
    const got = new Map(read.map((t) => [t.name, values(t)]));
    for (const t of tensors) expect(got.get(t.name)).toEqual(values(t));
  });

  it('refuses what TensorFlow would not read back', () => {
    const f = (name: string, shape: number[], n: number): NumericTensor => ({ name, dtype: 'float32', shape, data: new Float32Array(n) });
    expect(() => writeTensorBundle([f('', [], 1)])).toThrow(/empty name/);
    expect(() => writeTensorBundle([f('w', [], 1), f('w', [], 1)])).toThrow(/two tensors are named 'w'/);
    expect(() => writeTensorBundle([f('dense/kernel', [3, 4], 11)])).toThrow("tensor 'dense/kernel' has shape (3, 4) (12 values) but 11 values");
    expect(() => writeTensorBundle([f('w', [-1], 0)])).toThrow(/sizes must be whole numbers/);
    expect(() => writeTensorBundle([{ name: 'w', dtype: 'int64', shape: [1], data: new Float32Array(1) } as unknown as NumericTensor])).toThrow(/int64 but its values are a Float32Array/);
  });
});

describe('damaged bundles', () => {
  const { index, data } = writeTensorBundle([
    { name: 'dense/kernel', dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    { name: 'dense/bias', dtype: 'float32', shape: [2], data: Float32Array.of(5, 6) },
  ]);
  const flip = (bytes: Uint8Array, at: number) => { const b = bytes.slice(); b[at] ^= 1; return b; };

  it('names the tensor whose data does not match its checksum', () => {
    expect(() => readTensorBundle(index, flip(data, 2))).toThrow(TensorBundleError);
    expect(() => readTensorBundle(index, flip(data, 2))).toThrow(/^tensor 'dense\/kernel': checksum does not match/);
    expect(() => readTensorBundle(index, flip(data, 17))).toThrow(/^tensor 'dense\/bias': checksum does not match/);
  });

  it('names the tensor that a truncated data file cuts off', () => {
    expect(() => readTensorBundle(index, data.subarray(0, 20))).toThrow(/^tensor 'dense\/bias': its bytes 16\.\.24 lie past the end/);
  });

  it('finds a damaged index by its block checksums and its footer', () => {
    expect(() => readTensorBundle(flip(index, 10), data)).toThrow('the checkpoint index cannot be read: block checksum mismatch (the data block at byte 0)');
    expect(() => readTensorBundle(flip(index, index.length - 1), data)).toThrow(/bad magic number/);
    expect(() => readTensorBundle(index.subarray(0, 40), data)).toThrow(/too short to be an sstable/);
  });

  it('asks for every data shard', () => {
    expect(() => readTensorBundle(index, [])).toThrow(/has 1 data file\(s\) \(\.data-\*-of-00001\) but 0 were given/);
  });
});

describe('snappy', () => {
  it('decodes literals and overlapping copies', () => {
    // "abcabcabcabc": literal "abc" then a 9-byte copy from 3 back (1-byte-offset form).
    const compressed = Uint8Array.of(12, 0x08, 0x61, 0x62, 0x63, ((9 - 4) << 2) | 1, 3);
    expect(new TextDecoder().decode(snappyDecompress(compressed))).toBe('abcabcabcabc');
    expect(() => snappyDecompress(Uint8Array.of(4, ((4 - 4) << 2) | 1, 1))).toThrow(/reaches 1 bytes back from byte 0/);
  });
});
