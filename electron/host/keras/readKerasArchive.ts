/**
 * Reads a Keras 3 `.keras` archive: a zip of config.json (the model config), metadata.json and
 * model.weights.h5 (HDF5). In the weights file each layer's variables sit under
 * `layers/<key>/vars/0, 1, ...` in get_weights() order, where `<key>` is not the layer's name but
 * its class in snake case, made unique in the model's layer order (`dense`, `dense_1`, ...); see
 * `kerasLayerKeys`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { unzipSync } from 'fflate';

export interface KerasVariable {
  shape: number[];
  data: Float32Array;
}

export interface KerasArchive {
  /** config.json, parsed. */
  config: unknown;
  /** metadata.json (keras_version, date_saved), when present. */
  metadata: Record<string, unknown> | null;
  /** Variables per object path in the weights file ('layers/dense', 'optimizer', ...), in order. */
  variables: Map<string, KerasVariable[]>;
}

/** Keras's keras.src.utils.naming.to_snake_case. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Layer name -> its path in model.weights.h5 (`layers/dense_1`), as Keras's saving_lib names it:
 * the class in snake case, numbered in the order of `model.layers` (a Sequential model's layers
 * leave out its InputLayer; a Functional model's include theirs).
 */
export function kerasLayerKeys(config: unknown): Map<string, string> {
  const keys = new Map<string, string>();
  const root = config as { class_name?: unknown; config?: { layers?: unknown } } | null;
  const entries = Array.isArray(root?.config?.layers) ? (root.config.layers as { module?: unknown; class_name?: unknown; name?: unknown; config?: { name?: unknown } }[]) : [];
  const used = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (root?.class_name === 'Sequential' && i === 0 && entry.class_name === 'InputLayer') return;
    // keras.ops calls in a Functional model (x + y, ...) are operations, not layers: not in model.layers.
    if (typeof entry.module === 'string' && /(^|\.)ops(\.|$)/.test(entry.module)) return;
    const base = toSnakeCase(String(entry.class_name ?? ''));
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const key = n === undefined ? base : `${base}_${n + 1}`;
    const name = typeof entry.name === 'string' ? entry.name : entry.config?.name;
    if (typeof name === 'string') keys.set(name, `layers/${key}`);
  });
  return keys;
}

function toFloat32(value: unknown): Float32Array | null {
  if (value instanceof Float32Array) return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return Float32Array.of(Number(value));
  if (ArrayBuffer.isView(value) && 'length' in value) return Float32Array.from(value as unknown as ArrayLike<number | bigint>, (x) => Number(x));
  return null;
}

type H5 = typeof import('h5wasm/node');
let h5wasm: Promise<H5> | undefined;

/** h5wasm's Node build (files are read from disk), once its WebAssembly module is ready. */
function loadH5wasm(): Promise<H5> {
  h5wasm ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return h5wasm;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5's superblock signature sits at offset 0, 512, 1024, 2048, ... */
function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Every `vars` group of an HDF5 weights file, by the path of the object that owns it. */
async function readWeightsH5(bytes: Uint8Array, what: string): Promise<Map<string, KerasVariable[]>> {
  if (!hasHdf5Signature(bytes)) throw new Error(`${what} is not a valid HDF5 file: it lacks the HDF5 signature (the archive is corrupt; save the model again)`);
  const h5 = await loadH5wasm();
  const dir = await mkdtemp(join(tmpdir(), 'kiln-keras-'));
  const file = join(dir, 'model.weights.h5');
  try {
    await writeFile(file, bytes);
    let f: InstanceType<H5['File']>;
    try {
      f = new h5.File(file, 'r');
    } catch (e) {
      throw new Error(`${what} is not a valid HDF5 file: ${message(e)}`, { cause: e });
    }
    const out = new Map<string, KerasVariable[]>();
    try {
      const walk = (group: InstanceType<H5['Group']>, path: string) => {
        for (const key of group.keys()) {
          const child = group.get(key);
          if (!(child instanceof h5.Group)) continue;
          if (key === 'vars') {
            const vars: KerasVariable[] = [];
            const names = child.keys().sort((a, b) => Number(a) - Number(b));
            for (const name of names) {
              const ds = child.get(name);
              if (!(ds instanceof h5.Dataset)) continue;
              const data = toFloat32(ds.value);
              if (!data) throw new Error(`${what}: ${path}/vars/${name} holds ${String(ds.dtype)} values, which Kiln cannot read as numbers`);
              vars.push({ shape: ds.shape ?? [], data });
            }
            out.set(path, vars);
          } else {
            walk(child, path === '' ? key : `${path}/${key}`);
          }
        }
      };
      walk(f, '');
    } catch (e) {
      if (e instanceof Error && e.message.startsWith(what)) throw e;
      throw new Error(`${what} could not be read: ${message(e)} (the archive may be corrupt; save the model again)`, { cause: e });
    } finally {
      f.close();
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a .keras archive; throws errors that name the file and what is wrong with it. */
export async function readKerasArchive(path: string): Promise<KerasArchive> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new Error(`${path} is not a .keras archive: it is not a zip file (save the model with model.save('${basename(path, '.keras')}.keras') in Keras 3)`, { cause: e });
  }
  if (!files['config.json']) throw new Error(`${path} is not a .keras archive: it has no config.json`);
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(files['config.json']));
  } catch (e) {
    throw new Error(`${path} is corrupt: its config.json is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  let metadata: Record<string, unknown> | null = null;
  if (files['metadata.json']) {
    try {
      metadata = JSON.parse(new TextDecoder().decode(files['metadata.json'])) as Record<string, unknown>;
    } catch {
      metadata = null;
    }
  }
  if (!files['model.weights.h5']) {
    if (files['model.weights.json'] || Object.keys(files).some((n) => n.endsWith('.weights.h5'))) {
      throw new Error(`${path} has sharded weights, which Kiln cannot read yet: save the model without max_shard_size`);
    }
    throw new Error(`${path} is not a complete .keras archive: it has no model.weights.h5`);
  }
  const variables = await readWeightsH5(files['model.weights.h5'], `${path}'s model.weights.h5`);
  return { config, metadata, variables };
}
