/**
 * NumPy's .npz: a zip of .npy files, one per array, named `<key>.npy` (np.savez, np.savez_compressed).
 * Reads stored and deflated entries; writes stored ones (np.load reads them as np.savez's).
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { NpyError, parseNpy, writeNpy, type NpyArray, type NpyData } from './npy.js';

/** Reads every array of a .npz, by key (the entry name without `.npy`); `source` names the file in errors. */
export function parseNpz(bytes: Uint8Array, source = 'the .npz file'): Map<string, NpyArray> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new NpyError(`${source}: not a NumPy .npz file (it is not a zip archive)`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new NpyError(`${source}: the zip archive cannot be read (${(err as Error).message})`);
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;  // a folder entry
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
    out.set(key, parseNpy(data, `${source}, array '${key}'`));
  }
  return out;
}

/** Writes arrays into a .npz (stored, not compressed), each as `<key>.npy`, in the map's order. */
export function writeNpz(arrays: Map<string, { shape: number[]; data: NpyData }> | Record<string, { shape: number[]; data: NpyData }>): Uint8Array {
  const files: Zippable = {};
  const list = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  for (const [key, array] of list) {
    try {
      files[`${key}.npy`] = [writeNpy(array), { level: 0 }];
    } catch (err) {
      throw new NpyError(`array '${key}': ${(err as Error).message}`);
    }
  }
  return zipSync(files, { level: 0 });
}
