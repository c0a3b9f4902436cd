// A run's checkpoint folder in TensorFlow's format, without TensorFlow (test/conformance/
// tf_checkpoint.test.ts has TensorFlow open the same folders).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { latestTfCheckpoint, readCheckpointState, readTfCheckpoint, readTfCheckpointWeights, writeTfCheckpoint } from '../../../electron/host/training/tfCheckpoint.js';

const shapes = new Map([['dense/kernel', [2, 3]], ['dense/bias', [3]]]);
const weights = (k: number) => ({ 'dense/kernel': Float32Array.of(1, 2, 3, 4, 5, 6).map((v) => v * k), 'dense/bias': Float32Array.of(k, -k, 0.5) });

describe('TensorFlow checkpoint folders', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kiln-ckpt-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes ckpt-N files and a checkpoint file as tf.train.CheckpointManager does', () => {
    const ckpts = join(dir, 'checkpoints');
    expect(writeTfCheckpoint(ckpts, 1, weights(1), shapes)).toBe(join(ckpts, 'ckpt-1'));
    writeTfCheckpoint(ckpts, 2, weights(2), shapes);
    const text = readFileSync(join(ckpts, 'checkpoint'), 'utf8');
    expect(text).toMatch(/^model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-2"\nall_model_checkpoint_timestamps: [\d.]+\nall_model_checkpoint_timestamps: [\d.]+\nlast_preserved_timestamp: [\d.]+\n$/);
    const state = readCheckpointState(ckpts)!;
    expect(state.latest).toBe('ckpt-2');
    // CheckpointManager manages only checkpoints newer than last_preserved_timestamp.
    expect(state.all[0].timestamp).toBeGreaterThan(state.lastPreservedTimestamp);
    expect(state.all[1].timestamp).toBeGreaterThanOrEqual(state.all[0].timestamp);
    expect(latestTfCheckpoint(ckpts)).toBe(join(ckpts, 'ckpt-2'));
  });

  it('reads back the latest checkpoint of a folder, or any one by its prefix', () => {
    writeTfCheckpoint(dir, 1, weights(1), shapes);
    writeTfCheckpoint(dir, 7, weights(7), shapes);
    expect(readTfCheckpointWeights(dir)).toEqual({ weights: weights(7), shapes, skipped: [] });
    expect(readTfCheckpointWeights(join(dir, 'ckpt-1')).weights).toEqual(weights(1));
    expect(readTfCheckpoint(join(dir, 'ckpt-1.index')).map((t) => [t.name, t.dtype, t.shape])).toEqual([['dense/bias', 'float32', [3]], ['dense/kernel', 'float32', [2, 3]]]);
  });

  it('lists only checkpoints whose files still exist', () => {
    writeTfCheckpoint(dir, 1, weights(1), shapes);
    writeTfCheckpoint(dir, 2, weights(2), shapes);
    rmSync(join(dir, 'ckpt-1.index'));
    writeTfCheckpoint(dir, 3, weights(3), shapes);
    expect(readCheckpointState(dir)!.all.map((c) => c.path)).toEqual(['ckpt-2', 'ckpt-3']);
  });

  it('follows an absolute, escaped path in a checkpoint file written elsewhere', () => {
    const other = join(dir, 'café');
    mkdirSync(other);
    writeTfCheckpoint(other, 4, weights(4), shapes);
    const escaped = Array.from(new TextEncoder().encode(join(other, 'ckpt-4')), (b) => (b < 0x80 ? String.fromCharCode(b) : `\\${b.toString(8)}`)).join('');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'checkpoint'), `model_checkpoint_path: "${escaped}"\nall_model_checkpoint_paths: "${escaped}"\n`);
    expect(latestTfCheckpoint(elsewhere)).toBe(join(other, 'ckpt-4'));
    expect(readTfCheckpointWeights(elsewhere).weights).toEqual(weights(4));
  });

  it('says what is missing', () => {
    expect(() => readTfCheckpoint(dir)).toThrow(`${dir} holds no TensorFlow checkpoint (no 'checkpoint' file naming one that exists)`);
    writeTfCheckpoint(dir, 1, weights(1), shapes);
    rmSync(join(dir, 'ckpt-1.data-00000-of-00001'));
    expect(() => readTfCheckpoint(dir)).toThrow(`${join(dir, 'ckpt-1')}.data-00000-of-00001 is missing`);
    expect(() => writeTfCheckpoint(dir, 2, { ...weights(1), 'dense_1/kernel': new Float32Array(4) }, shapes)).toThrow("weight 'dense_1/kernel' has no shape to save it with");
    expect(() => writeTfCheckpoint(dir, 2, weights(1), new Map([['dense/kernel', [3, 3]], ['dense/bias', [3]]]))).toThrow("tensor 'dense/kernel' has shape (3, 3) (9 values) but 6 values");
  });

  it('names the checkpoint and the tensor whose data is damaged', () => {
    writeTfCheckpoint(dir, 1, weights(1), shapes);
    const data = join(dir, 'ckpt-1.data-00000-of-00001');
    const bytes = readFileSync(data);
    bytes[10] ^= 0x40;  // inside dense/kernel (bytes 0..24: the data file holds the weights in their given order)
    writeFileSync(data, bytes);
    expect(() => readTfCheckpoint(dir)).toThrow(new RegExp(`^${join(dir, 'ckpt-1')}: tensor 'dense/kernel': checksum does not match`));
  });
});
