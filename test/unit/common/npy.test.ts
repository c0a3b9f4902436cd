// .npy / .npz: files written by the real NumPy (from .venv) read back exactly; ours load in NumPy;
// round trips; clear errors for what Kiln does not read.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy, toFloat32, toInt32, writeNpy } from '../../../common/formats/npy.js';
import { parseNpz, writeNpz } from '../../../common/formats/npz.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const python = join(root, '.venv', 'bin', 'python');
const hasNumpy = existsSync(python);
const dir = mkdtempSync(join(tmpdir(), 'kiln-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function py(code: string): string {
  return execFileSync(python, ['-c', `import numpy as np, json, sys\nd = ${JSON.stringify(dir)}\n${code}`], { encoding: 'utf8' });
}

describe('npy', () => {
  it('round-trips float32, float64 and int32 arrays of any rank', () => {
    const cases = [
      { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
      { shape: [4], data: Float64Array.from([0.1, 0.2, 1e300, -0]) },
      { shape: [], data: Int32Array.from([-7]) },
      { shape: [0, 3], data: new Float32Array(0) },
      { shape: [1, 1, 2], data: Int32Array.from([2147483647, -2147483648]) },
    ];
    for (const c of cases) {
      const bytes = writeNpy(c);
      expect((bytes.length - c.data.byteLength) % 64).toBe(0);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual(c.shape);
      expect(back.data.constructor).toBe(c.data.constructor);
      expect([...back.data]).toEqual([...c.data]);
    }
  });

  it('reads a view at an unaligned offset', () => {
    const bytes = writeNpy({ shape: [3], data: Float32Array.from([1, 2, 3]) });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect([...parseNpy(shifted.subarray(1)).data]).toEqual([1, 2, 3]);
  });

  it('names the file in every error', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy')).toThrow(/^x\.npy: not a NumPy \.npy file/);
    const good = writeNpy({ shape: [2], data: Float32Array.from([1, 2]) });
    expect(() => parseNpy(good.subarray(0, good.length - 1), 'x.npy')).toThrow(/x\.npy: the file is truncated/);
    const header = (dict: string) => {
      const text = dict.padEnd(117, ' ') + '\n';
      const out = new Uint8Array(128 + 8);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
      for (let k = 0; k < text.length; k++) out[10 + k] = text.charCodeAt(k);
      return out;
    };
    expect(() => parseNpy(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"), 'f.npy')).toThrow(/f\.npy: the array is stored in Fortran order/);
    expect(() => parseNpy(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), 'b.npy')).toThrow(/b\.npy: the data is big-endian \('>f4'\)/);
    expect(() => parseNpy(header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"), 'c.npy')).toThrow(/c\.npy: dtype '<c8' is not supported/);
    expect(() => parseNpy(header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), 's.npy')).toThrow(/s\.npy: the array has a structured dtype/);
  });

  it('converts for the engine: float32 features, int32 labels', () => {
    expect(toFloat32(Float64Array.from([1.5, 2]))).toEqual(Float32Array.from([1.5, 2]));
    expect(toInt32(Float32Array.from([0, 2, 1]), 'y')).toEqual(Int32Array.from([0, 2, 1]));
    expect(() => toInt32(Float32Array.from([0.5]), 'y_train')).toThrow(/y_train: value 0.5 at index 0 is not a whole number/);
  });
});

describe('npz', () => {
  it('round-trips arrays, keys with slashes included', () => {
    const bytes = writeNpz({ 'dense_1/kernel': { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, labels: { shape: [3], data: Int32Array.from([0, 1, 2]) } });
    const back = parseNpz(bytes);
    expect([...back.keys()]).toEqual(['dense_1/kernel', 'labels']);
    expect(back.get('dense_1/kernel')!.shape).toEqual([2, 2]);
    expect([...back.get('labels')!.data]).toEqual([0, 1, 2]);
  });

  it('refuses what is not a zip, naming the file', () => {
    expect(() => parseNpz(new Uint8Array([1, 2, 3, 4]), 'data.npz')).toThrow(/^data\.npz: not a NumPy \.npz file/);
  });
});

describe.skipIf(!hasNumpy && !process.env.CI)(`npy and npz against NumPy${hasNumpy ? '' : ' (skipped: .venv is missing)'}`, () => {
  it('reads every dtype NumPy writes with np.save, in versions 1.0, 2.0 and 3.0', () => {
    py(`
cases = {
  'f4': np.arange(12, dtype='<f4').reshape(3, 4) / 3,
  'f8': np.array([[0.1, -2.5], [1e-10, 3.0]], dtype='<f8'),
  'f2': np.array([0.5, -1.25, 65504], dtype='<f2'),
  'i4': np.array([-5, 7, 2**31 - 1], dtype='<i4'),
  'i8': np.array([[-(2**31), 2**31 - 1]], dtype='<i8'),
  'i2': np.array([-300, 300], dtype='<i2'),
  'i1': np.array([-128, 127], dtype='|i1'),
  'u1': np.arange(256, dtype='|u1').reshape(16, 16),
  'u2': np.array([65535, 0], dtype='<u2'),
  'u4': np.array([2**31 - 1], dtype='<u4'),
  'b1': np.array([True, False, True]),
  'scalar': np.float32(2.5),
}
for k, v in cases.items(): np.save(f'{d}/{k}.npy', v)
from numpy.lib import format as fmt
for version in [(2, 0), (3, 0)]:
    with open(f'{d}/v{version[0]}.npy', 'wb') as f: fmt.write_array(f, cases['f4'], version=version)
np.save(f'{d}/big_i8.npy', np.array([2**40], dtype='<i8'))
np.save(f'{d}/fortran.npy', np.asfortranarray(np.ones((2, 3), dtype='<f4')))
np.save(f'{d}/big_endian.npy', np.ones(3, dtype='>f4'))
json.dump({k: [list(np.shape(v)), np.asarray(v).astype('f8').ravel().tolist()] for k, v in cases.items()}, open(f'{d}/expected.json', 'w'))
`);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, [number[], number[]]>;
    const types: Record<string, string> = { f4: 'float32', f8: 'float64', f2: 'float16', i4: 'int32', i8: 'int64', i2: 'int16', i1: 'int8', u1: 'uint8', u2: 'uint16', u4: 'uint32', b1: 'bool', scalar: 'float32' };
    for (const [key, [shape, values]] of Object.entries(expected)) {
      const a = parseNpy(readFileSync(join(dir, `${key}.npy`)), `${key}.npy`);
      expect(a.dtype, key).toBe(types[key]);
      expect(a.shape, key).toEqual(shape);
      const float = key.startsWith('f') || key === 'scalar';
      expect(a.data.constructor, key).toBe(key === 'f8' ? Float64Array : float ? Float32Array : Int32Array);
      [...a.data].forEach((v, i) => expect(v, `${key}[${i}]`).toBeCloseTo(values[i], key === 'f8' ? 12 : 5));
    }
    for (const v of ['v2', 'v3']) expect(parseNpy(readFileSync(join(dir, `${v}.npy`))).shape).toEqual([3, 4]);
    expect(() => parseNpy(readFileSync(join(dir, 'big_i8.npy')), 'big_i8.npy')).toThrow(/big_i8\.npy: int64 value 1099511627776 at index 0 does not fit in int32/);
    expect(() => parseNpy(readFileSync(join(dir, 'fortran.npy')), 'fortran.npy')).toThrow(/fortran\.npy: the array is stored in Fortran order/);
    expect(() => parseNpy(readFileSync(join(dir, 'big_endian.npy')), 'big_endian.npy')).toThrow(/big_endian\.npy: the data is big-endian/);
  });

  it('reads np.savez and np.savez_compressed archives', () => {
    py(`
x = np.random.default_rng(0).normal(size=(50, 7)).astype('f4')
y = np.arange(50) % 3
np.savez(f'{d}/plain.npz', x_train=x, y_train=y)
np.savez_compressed(f'{d}/packed.npz', x_train=x, y_train=y, **{'dense/kernel': x[:2]})
np.save(f'{d}/x.npy', x)
`);
    const x = parseNpy(readFileSync(join(dir, 'x.npy'))).data;
    for (const name of ['plain', 'packed']) {
      const arrays = parseNpz(readFileSync(join(dir, `${name}.npz`)), `${name}.npz`);
      expect(arrays.get('x_train')!.shape).toEqual([50, 7]);
      expect(arrays.get('x_train')!.data).toEqual(x);
      expect(arrays.get('y_train')!.dtype).toBe('int64');
      expect([...arrays.get('y_train')!.data.subarray(0, 4)]).toEqual([0, 1, 2, 0]);
    }
    expect(parseNpz(readFileSync(join(dir, 'packed.npz'))).get('dense/kernel')!.shape).toEqual([2, 7]);
  });

  it('writes files NumPy loads', () => {
    writeFileSync(join(dir, 'ours.npy'), writeNpy({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }));
    writeFileSync(join(dir, 'ours.npz'), writeNpz({ 'conv/kernel': { shape: [2], data: Float64Array.from([0.25, -1]) }, y: { shape: [3], data: Int32Array.from([3, 1, 2]) } }));
    const out = py(`
a = np.load(f'{d}/ours.npy')
z = np.load(f'{d}/ours.npz')
print(json.dumps([str(a.dtype), list(a.shape), a.ravel().tolist(), sorted(z.files), str(z['conv/kernel'].dtype), z['conv/kernel'].tolist(), str(z['y'].dtype), z['y'].tolist()]))
`);
    expect(JSON.parse(out)).toEqual(['float32', [2, 3], [1, 2, 3, 4, 5, 6.5], ['conv/kernel', 'y'], 'float64', [0.25, -1], 'int32', [3, 1, 2]]);
  });
});
