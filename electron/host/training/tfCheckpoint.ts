/**
 * A run's checkpoints in TensorFlow's format, so that `tf.train.load_checkpoint(dir)` and
 * `tf.train.list_variables(dir)` open them: `<dir>/ckpt-<n>.index` + `.data-00000-of-00001`
 * (a tensor bundle) and the `checkpoint` file that tf.train.CheckpointManager keeps, naming the
 * latest. Variables have TF1-style names, `<layer>/<weight>` (dense/kernel), as Kiln's SavedModel
 * export restores them; values are float32.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { readTensorBundle, TensorBundleError, writeTensorBundle, type BundleTensor } from '../../../common/formats/tensorBundle/index.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import type { Weights } from './weightsFile.js';

const STATE_FILE = 'checkpoint';

/** The `checkpoint` file (a CheckpointState text proto): the latest checkpoint and the ones kept. */
export interface CheckpointState {
  /** Prefix of the latest checkpoint, relative to the folder as TensorFlow writes it (or absolute). */
  latest: string;
  /** Every checkpoint kept, oldest first, with the time each was written (seconds since 1970). */
  all: { path: string; timestamp: number }[];
  lastPreservedTimestamp: number;
}

/**
 * Writes `weights` as checkpoint `<dir>/ckpt-<n>` and makes it the folder's latest; returns its
 * prefix. Each file is replaced atomically, data before index before `checkpoint`, so a crash
 * leaves the previous latest checkpoint whole. With `keep`, as CheckpointManager's max_to_keep,
 * only the newest `keep` checkpoints stay: older ones are deleted once the new one is listed.
 */
export function writeTfCheckpoint(dir: string, n: number, weights: Weights, shapes: Map<string, number[]>, options: { keep?: number } = {}): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a checkpoint number must be a whole number >= 0, not ${n}`);
  const started = seconds();
  const tensors = Object.entries(weights).map(([name, data]) => {
    const shape = shapes.get(name);
    if (!shape) throw new TensorBundleError(`weight '${name}' has no shape to save it with`);
    return { name, dtype: 'float32' as const, shape, data };
  });
  const { index, data } = writeTensorBundle(tensors);
  mkdirSync(dir, { recursive: true });
  const name = `ckpt-${n}`;
  const prefix = join(dir, name);
  writeFileAtomic(`${prefix}.data-00000-of-00001`, data);
  writeFileAtomic(`${prefix}.index`, index);

  const previous = readCheckpointState(dir);
  const existing = (previous?.all ?? []).filter((c) => c.path !== name && existsSync(`${resolvePrefix(dir, c.path)}.index`));
  const dropped = options.keep === undefined ? [] : existing.slice(0, Math.max(0, existing.length - (options.keep - 1)));
  const kept = existing.slice(dropped.length);
  writeFileAtomic(join(dir, STATE_FILE), formatCheckpointState({
    latest: name,
    all: [...kept, { path: name, timestamp: seconds() }],
    // CheckpointManager manages (and may delete) only checkpoints newer than this, and sets it when
    // it starts: a new folder's first checkpoint must come after it, or TF treats it as preserved.
    lastPreservedTimestamp: previous?.lastPreservedTimestamp ?? started,
  }));
  for (const c of dropped) removeCheckpointFiles(resolvePrefix(dir, c.path));
  return prefix;
}

/** The folder's `checkpoint` file, or null when it has none. */
export function readCheckpointState(dir: string): CheckpointState | null {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return null;
  const state: CheckpointState = { latest: '', all: [], lastPreservedTimestamp: 0 };
  const timestamps: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(\w+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (key === 'model_checkpoint_path') state.latest = parseTextString(value);
    else if (key === 'all_model_checkpoint_paths') state.all.push({ path: parseTextString(value), timestamp: 0 });
    else if (key === 'all_model_checkpoint_timestamps') timestamps.push(Number(value));
    else if (key === 'last_preserved_timestamp') state.lastPreservedTimestamp = Number(value);
  }
  // TensorFlow pairs the two lists by position; without timestamps it uses last_preserved_timestamp.
  state.all.forEach((c, i) => { c.timestamp = timestamps[i] ?? state.lastPreservedTimestamp; });
  return state;
}

/** The latest checkpoint's prefix in this folder, or null (as tf.train.latest_checkpoint). */
export function latestTfCheckpoint(dir: string): string | null {
  const state = readCheckpointState(dir);
  if (!state?.latest) return null;
  const prefix = resolvePrefix(dir, state.latest);
  return existsSync(`${prefix}.index`) ? prefix : null;
}

/** Every tensor of a checkpoint, sorted by name: `path` is a folder (its latest checkpoint) or a prefix. */
export function readTfCheckpoint(path: string): BundleTensor[] {
  let prefix = path.endsWith('.index') ? path.slice(0, -'.index'.length) : path;
  if (existsSync(prefix) && statSync(prefix).isDirectory()) {
    const latest = latestTfCheckpoint(prefix);
    if (!latest) throw new TensorBundleError(`${prefix} holds no TensorFlow checkpoint (no '${STATE_FILE}' file naming one that exists)`);
    prefix = latest;
  }
  if (!existsSync(`${prefix}.index`)) throw new TensorBundleError(`${prefix}.index does not exist: not a TensorFlow checkpoint`);
  try {
    return readTensorBundle(readFileSync(`${prefix}.index`), dataShards(prefix).map((f) => readFileSync(f)));
  } catch (err) {
    if (err instanceof TensorBundleError) throw new TensorBundleError(`${prefix}: ${err.message}`);
    throw err;
  }
}

/**
 * A checkpoint's floating-point variables as Kiln weights (float64 narrowed to float32), with
 * their shapes. `skipped` names the rest: integer counters (save_counter, an optimizer's
 * iterations) and the string `_CHECKPOINTABLE_OBJECT_GRAPH` of TensorFlow-written checkpoints.
 */
export function readTfCheckpointWeights(path: string): { weights: Weights; shapes: Map<string, number[]>; skipped: string[] } {
  const weights: Weights = {};
  const shapes = new Map<string, number[]>();
  const skipped: string[] = [];
  for (const t of readTfCheckpoint(path)) {
    if (t.dtype === 'float32' || t.dtype === 'float64') {
      weights[t.name] = t.dtype === 'float32' ? t.data : Float32Array.from(t.data);
      shapes.set(t.name, t.shape);
    } else {
      skipped.push(t.name);
    }
  }
  return { weights, shapes, skipped };
}

/** Seconds since 1970, finer than milliseconds so that a checkpoint's time follows its start. */
function seconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

function resolvePrefix(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

function removeCheckpointFiles(prefix: string): void {
  const dir = dirname(prefix), base = basename(prefix);
  for (const file of readdirSync(dir)) {
    if (file === `${base}.index` || file.startsWith(`${base}.data-`)) rmSync(join(dir, file), { force: true });
  }
}

/** The data files of a prefix in shard order; the reader checks their count against the header. */
function dataShards(prefix: string): string[] {
  const dir = dirname(prefix), base = basename(prefix);
  const shards: { file: string; i: number; of: number }[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(`${base}.data-`)) continue;
    const m = /^(\d{5})-of-(\d{5})$/.exec(file.slice(base.length + '.data-'.length));
    if (m) shards.push({ file: join(dir, file), i: Number(m[1]), of: Number(m[2]) });
  }
  const of = shards[0]?.of ?? 1;
  const files: string[] = [];
  for (let i = 0; i < of; i++) {
    const shard = shards.find((s) => s.i === i && s.of === of);
    if (!shard) throw new TensorBundleError(`${prefix}.data-${String(i).padStart(5, '0')}-of-${String(of).padStart(5, '0')} is missing`);
    files.push(shard.file);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Protobuf text format, as much of it as the `checkpoint` file uses: strings are C-escaped bytes.

function formatCheckpointState(s: CheckpointState): string {
  return [
    `model_checkpoint_path: ${formatTextString(s.latest)}`,
    ...s.all.map((c) => `all_model_checkpoint_paths: ${formatTextString(c.path)}`),
    ...s.all.map((c) => `all_model_checkpoint_timestamps: ${c.timestamp}`),
    `last_preserved_timestamp: ${s.lastPreservedTimestamp}`,
    '',
  ].join('\n');
}

function formatTextString(s: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(s)) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

function parseTextString(token: string): string {
  const quote = token[0];
  if ((quote !== '"' && quote !== "'") || !token.endsWith(quote) || token.length < 2) {
    throw new TensorBundleError(`the '${STATE_FILE}' file has ${token} where a quoted path belongs`);
  }
  const body = token.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92, '?': 63, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') { bytes.push(...new TextEncoder().encode(c)); continue; }
    const next = body[++i];
    const octal = /^[0-7]{1,3}/.exec(body.slice(i))?.[0];
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))?.[0] : undefined;
    if (octal) { bytes.push(parseInt(octal, 8)); i += octal.length - 1; }
    else if (hex) { bytes.push(parseInt(hex, 16)); i += hex.length; }
    else if (next in simple) bytes.push(simple[next]);
    else throw new TensorBundleError(`the '${STATE_FILE}' file has an unknown escape \\${next} in ${token}`);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}
