// TensorFlow's checkpoint format against TensorFlow itself (test/conformance/tf_checkpoint.py):
// tf.train.load_checkpoint reads what Kiln writes, Kiln's bundles are byte for byte what TF's SaveV2
// op writes for the same tensors, and Kiln reads a checkpoint that tf.train.CheckpointManager wrote.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTensorBundle, type BundleTensor, type NumericTensor } from '../../common/formats/tensorBundle/index.js';
import { latestTfCheckpoint, readCheckpointState, readTfCheckpoint, readTfCheckpointWeights, writeTfCheckpoint } from '../../electron/host/training/tfCheckpoint.js';
import type { Weights } from '../../electron/host/training/weightsFile.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = tensorflowMissing();

interface TfVariable { name: string; dtype: string; shape: number[]; values: (number | string)[] }
interface TfRead { variables: TfVariable[]; latest?: string; all?: string[]; managed?: string[] }

function tf(mode: 'read' | 'write' | 'savev2', path: string, input?: unknown): TfRead {
  const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/tf_checkpoint.py`, mode, path], {
    input: input === undefined ? undefined : JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as TfRead;
}

/** A tensor as tf_checkpoint.py prints it: int64 as strings, strings as their byte lengths. */
function asTf(t: BundleTensor): TfVariable {
  const values = t.dtype === 'string' ? t.data.map((s) => s.length) : t.dtype === 'int64' ? Array.from(t.data, String) : Array.from(t.data);
  return { name: t.name, dtype: t.dtype, shape: t.shape, values };
}

// The weights of a small Kiln CNN, by the names Kiln's SavedModel export restores.
const SHAPES = new Map<string, number[]>([
  ['conv2d/kernel', [3, 3, 1, 8]], ['conv2d/bias', [8]],
  ['batch_normalization/gamma', [8]], ['batch_normalization/beta', [8]],
  ['batch_normalization/moving_mean', [8]], ['batch_normalization/moving_variance', [8]],
  ['dense/kernel', [392, 10]], ['dense/bias', [10]], ['embedding/embeddings', [50, 4]],
]);
function weights(seed: number): Weights {
  let s = seed;
  const next = () => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31 - 0.5; };
  return Object.fromEntries([...SHAPES].map(([name, shape]) => [name, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next)]));
}
const expectedVariables = (w: Weights) => [...SHAPES.keys()].sort().map((name) => ({ name, dtype: 'float32', shape: SHAPES.get(name), values: Array.from(w[name]) }));

describe.skipIf(missing !== null && !process.env.CI)(`TensorFlow checkpoints${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kiln-tf-checkpoint-')); });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it("tf.train.load_checkpoint reads Kiln's checkpoints: every variable, dtype, shape and value", () => {
    const ckpts = join(dir, 'kiln');
    const first = weights(1), second = weights(2);
    writeTfCheckpoint(ckpts, 1, first, SHAPES);
    writeTfCheckpoint(ckpts, 2, second, SHAPES);
    const latest = tf('read', ckpts);
    expect([latest.latest, latest.all, latest.managed]).toEqual(['ckpt-2', ['ckpt-1', 'ckpt-2'], ['ckpt-1', 'ckpt-2']]);
    expect(latest.variables).toEqual(expectedVariables(second));
    expect(tf('read', join(ckpts, 'ckpt-1')).variables).toEqual(expectedVariables(first));
  }, 120_000);

  it("writes byte for byte what TensorFlow's SaveV2 op writes, in every dtype and across several blocks", () => {
    const tensors: NumericTensor[] = [
      { name: 'dense/kernel', dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, -2.5, 3e-8, 1e30, 0.5, 6) },  // no -0: JSON drops its sign
      { name: 'step', dtype: 'int64', shape: [], data: BigInt64Array.of(2n ** 40n + 3n) },
      { name: 'counts', dtype: 'int64', shape: [3], data: BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 63n - 1n) },
      { name: 'labels', dtype: 'int32', shape: [2, 2], data: Int32Array.of(-2147483648, 2147483647, 0, 7) },
      { name: 'precise', dtype: 'float64', shape: [1, 2], data: Float64Array.of(Math.PI, 1e-300) },
      { name: 'empty', dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      ...Array.from({ length: 20000 }, (_, i): NumericTensor => ({
        name: `block_${Math.floor(i / 30)}/conv2d_${i % 30}/kernel`, dtype: 'float32', shape: [2], data: Float32Array.of(i, i / 7 - 1),
      })),
    ];
    const prefix = join(dir, 'savev2');
    tf('savev2', prefix, tensors.map(asTf));
    const ours = writeTensorBundle(tensors);
    const theirs = { index: readFileSync(`${prefix}.index`), data: readFileSync(`${prefix}.data-00000-of-00001`) };
    expect(ours.index.length).toBeGreaterThan(2 * 262144);  // three data blocks or more
    expect(Buffer.from(ours.index).equals(theirs.index)).toBe(true);
    expect(Buffer.from(ours.data).equals(theirs.data)).toBe(true);
  }, 120_000);

  it('reads a checkpoint that tf.train.CheckpointManager wrote, and adds to it so that TensorFlow sees both', () => {
    const ckpts = join(dir, 'tensorflow');
    const expected = tf('write', ckpts);
    expect(latestTfCheckpoint(ckpts)).toBe(join(ckpts, 'ckpt-2'));
    expect(readCheckpointState(ckpts)?.all.map((c) => c.path)).toEqual(['ckpt-1', 'ckpt-2']);
    expect(readTfCheckpoint(ckpts).map(asTf)).toEqual(expected.variables);

    const { weights: read, shapes, skipped } = readTfCheckpointWeights(ckpts);
    expect(Object.keys(read)).toEqual(['bias/.ATTRIBUTES/VARIABLE_VALUE', 'kernel/.ATTRIBUTES/VARIABLE_VALUE', 'precise/.ATTRIBUTES/VARIABLE_VALUE', 'scale/.ATTRIBUTES/VARIABLE_VALUE']);
    expect(Array.from(read['bias/.ATTRIBUTES/VARIABLE_VALUE'])).toEqual([0.25, -0.5, Math.fround(1e-7), Math.fround(3e38)]);
    expect(shapes.get('kernel/.ATTRIBUTES/VARIABLE_VALUE')).toEqual([3, 4]);
    expect(skipped).toEqual(['_CHECKPOINTABLE_OBJECT_GRAPH', 'counts/.ATTRIBUTES/VARIABLE_VALUE', 'save_counter/.ATTRIBUTES/VARIABLE_VALUE', 'step/.ATTRIBUTES/VARIABLE_VALUE', 'table/.ATTRIBUTES/VARIABLE_VALUE']);

    const third = weights(3);
    writeTfCheckpoint(ckpts, 3, third, SHAPES);
    const after = tf('read', ckpts);
    expect([after.latest, after.all, after.managed]).toEqual(['ckpt-3', ['ckpt-1', 'ckpt-2', 'ckpt-3'], ['ckpt-1', 'ckpt-2', 'ckpt-3']]);
    expect(after.variables).toEqual(expectedVariables(third));
  }, 120_000);
});
