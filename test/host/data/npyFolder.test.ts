// A folder of .npy files trains from disk: x arrays of float32 or int32 stay in their files (the
// engine maps them, see streamingMemory.test.ts) and give what the same values in memory give:
// trained weights, losses, the validation split, Normalization statistics, the data fingerprint.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMapped, takeSamples } from '../../../common/data/dataset.js';
import { writeNpy } from '../../../common/formats/npy.js';
import { adaptNormalization, defaultTrainingConfig, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import { readSamples } from '../../../electron/host/data/readSamples.js';
import { loadDataSpec } from '../../../electron/host/training/dataSpec.js';
import { dataFingerprint } from '../../../electron/host/training/fingerprint.js';
import { runTraining, type TrainingData } from '../../../electron/host/training/runTraining.js';
import { classificationData } from '../../support/specs.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-npy-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const io = { inputs: ['in'], outputs: ['out'] };
const training = (patch: Partial<TrainingConfig> = {}): TrainingConfig => ({ ...defaultTrainingConfig(), optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 3, seed: 4, ...patch });

/** Input -> Normalization -> Dense(3, softmax), for `features` inputs. */
const model = (features: number): ModelDoc => ({
  layers: [
    { id: 'in', name: 'in', type: 'Input', params: { shape: [features] } },
    { id: 'norm', name: 'norm', type: 'Normalization', params: {} },
    { id: 'out', name: 'out', type: 'Dense', params: { units: 3, activation: 'softmax' } },
  ],
  edges: [{ from: 'in', to: 'norm' }, { from: 'norm', to: 'out' }],
});

function npyFolder(name: string, x: Float32Array | Int32Array, features: number, y: Int32Array): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'x_train.npy'), writeNpy({ shape: [y.length, features], data: x }));
  writeFileSync(join(d, 'y_train.npy'), writeNpy({ shape: [y.length], data: y }));
  return d;
}

const runJson = (name: string) => JSON.parse(readFileSync(join(dir, 'runs', name, 'run.json'), 'utf8')) as { dataFingerprint: string; samples: Record<string, number> };

describe('a folder of .npy files', () => {
  const data = classificationData(600, [6], 3, 9);
  // Features of different scales, so that Normalization's statistics matter.
  const x = data.x.map((v, i) => v * (1 + (i % 6)) + 5 * (i % 6));

  it('maps x_train.npy and trains as the same values in memory do: weights, losses, validation split, Normalization, fingerprint', async () => {
    const spec = loadDataSpec(npyFolder('float', x, 6, data.y), io);
    expect(isMapped(spec.datasets.train.x[0].data)).toBe(true);
    // A range of samples stays in the file; scattered samples cannot be taken from it.
    const range = takeSamples(spec.datasets.train, [10, 11, 12]);
    expect(readSamples(range.x[0], 0, 3)).toEqual(x.subarray(60, 78));
    expect(range.y[0].data).toEqual(data.y.subarray(10, 13));
    expect(() => takeSamples(spec.datasets.train, [3, 1])).toThrow(/one contiguous range/);
    expect(spec.train.y[0]).toEqual({ shape: [600], data: data.y });
    expect(spec.notes).toEqual([]);

    const inMemory: TrainingData = { x: [{ shape: [600, 6], data: x }], y: [data.y] };
    const run = (name: string, d: TrainingData) => runTraining({ model: model(6), training: training({ validationSplit: 0.25 }), data: d, run: { logdir: join(dir, 'runs'), name } });
    const [fromDisk, fromMemory] = [await run('disk', spec.train), await run('memory', inMemory)];
    expect(fromDisk.status).toBe('completed');
    expect(fromDisk.notes).toEqual([]);  // streamed as it is: no conversion
    expect(fromDisk.history).toEqual(fromMemory.history);
    expect(fromDisk.weights).toEqual(fromMemory.weights);
    // The split took the last quarter of the file as validation, as Keras's validation_split.
    expect(runJson('disk').samples).toEqual({ train: 450, validation: 150 });
    expect(fromDisk.history[0].val_loss).toBeGreaterThan(0);
    // Normalization was adapted on the 450 training rows only.
    const train = x.subarray(0, 450 * 6);
    expect(fromDisk.weights['norm/mean']).toEqual(adaptNormalization(train, [6]).mean);
    expect(runJson('disk').dataFingerprint).toBe(runJson('memory').dataFingerprint);
  });

  it('converts an x file of another dtype than the model\'s in memory, with a note; reads uint8 and float64 files into memory', async () => {
    const ints = Int32Array.from(x, (v) => Math.round(v));
    const spec = loadDataSpec(npyFolder('int', ints, 6, data.y), io);
    const notes: string[] = [];
    const fromInts = await runTraining({ model: model(6), training: training({ epochs: 1 }), data: spec.train, onNote: (n) => notes.push(n) });
    const fromFloats = await runTraining({ model: model(6), training: training({ epochs: 1 }), data: { x: [Float32Array.from(ints)], y: [data.y] } });
    expect(fromInts.weights).toEqual(fromFloats.weights);
    expect(notes).toEqual([`the training data: the x array for input 'in': x_train.npy holds int32 values but the model takes float32, so Kiln converted it in memory: save it with arr.astype('float32') to stream it from disk`]);

    const d = join(dir, 'f64');
    mkdirSync(d);
    writeFileSync(join(d, 'x_train.npy'), writeNpy({ shape: [600, 6], data: Float64Array.from(x) }));
    writeFileSync(join(d, 'y_train.npy'), writeNpy({ shape: [600], data: data.y }));
    const f64 = loadDataSpec(d, io);
    expect(f64.train.x[0]).toEqual({ shape: [600, 6], data: Float32Array.from(x) });
    expect(f64.notes).toEqual(['x_train.npy holds float64 values, so Kiln reads it into memory: save it with arr.astype(\'float32\') to stream it from disk instead']);
  });

  it('reads Normalization statistics and the fingerprint a chunk at a time, equal to the values in memory', async () => {
    // 4200 samples of 1024 values: more than one 16 MiB chunk.
    const n = 4200;
    const per = 1024;
    const big = new Float32Array(n * per);
    for (let i = 0; i < big.length; i++) big[i] = ((i * 2654435761) % 1000) / 100 + (i % per);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const spec = loadDataSpec(npyFolder('big', big, per, labels), io);
    const t = spec.datasets.train.x[0];
    expect(isMapped(t.data)).toBe(true);
    expect(readSamples(t, n - 1, 1)).toEqual(big.subarray((n - 1) * per));
    expect(dataFingerprint([{ name: 'x', shape: [n, per], data: t.data }])).toBe(dataFingerprint([{ name: 'x', shape: [n, per], data: big }]));

    const config = training({ epochs: 1, batchSize: 512 });
    const [fromDisk, fromMemory] = [
      await runTraining({ model: model(per), training: config, data: spec.train }),
      await runTraining({ model: model(per), training: config, data: { x: [{ shape: [n, per], data: big }], y: [labels] } }),
    ];
    expect(fromDisk.weights['norm/mean']).toEqual(fromMemory.weights['norm/mean']);
    expect(fromDisk.weights['norm/variance']).toEqual(fromMemory.weights['norm/variance']);
    // The chunks' merged statistics are those of the whole array at once.
    const whole = adaptNormalization(big, [per]);
    for (const f of [0, 511, 1023]) {
      expect(fromDisk.weights['norm/mean'][f]).toBeCloseTo(whole.mean[f], 3);
      expect(fromDisk.weights['norm/variance'][f]).toBeCloseTo(whole.variance[f], 2);
    }
  });
});
