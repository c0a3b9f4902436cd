// The validation confusion matrix per epoch and the misclassified samples, on a tiny model whose
// predictions are known: 8x8 images, classified by which half is bright (the Dense kernel sums
// each half), with labels chosen so that some are wrong; thumbnails drawn from the data spec.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../../../common/formats/npz.js';
import { defaultTrainingConfig, type ModelDoc } from '../../../common/model/index.js';
import { classifierOf, confusionOf } from '../../../electron/host/training/confusion.js';
import { loadDataSpec } from '../../../electron/host/training/dataSpec.js';
import { runTraining } from '../../../electron/host/training/runTraining.js';
import { studio } from './studio.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-confusion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model: ModelDoc = {
  layers: [
    { id: 'image', name: 'image', type: 'Input', params: { shape: [8, 8, 1] } },
    { id: 'flat', name: 'flat', type: 'Flatten', params: {} },
    { id: 'out', name: 'out', type: 'Dense', params: { units: 2, activation: 'softmax' } },
  ],
  edges: [{ from: 'image', to: 'flat' }, { from: 'flat', to: 'out' }],
};
// Column 0 sums the top half, column 1 the bottom half.
const kernel = Float32Array.from({ length: 64 * 2 }, (_, k) => (Math.floor(k / 2) < 32 ? (k % 2 === 0 ? 1 : 0) : (k % 2 === 1 ? 1 : 0)));

// [bright half, label]: the last five are the validation samples (validation_split 0.5).
const samples: ['top' | 'bottom', number][] = [
  ['top', 0], ['top', 0], ['top', 1], ['bottom', 1], ['bottom', 0],
  ['top', 0], ['bottom', 0], ['top', 1], ['bottom', 1], ['top', 1],
];
const x = new Float32Array(samples.length * 64);
samples.forEach(([half], i) => { for (let p = 0; p < 64; p++) x[i * 64 + p] = (p < 32) === (half === 'top') ? 1 : 0; });
const y = Int32Array.from(samples, ([, label]) => label);

describe('confusion matrices', () => {
  it('counts a known model\'s validation predictions per epoch and shows the misclassified samples', async () => {
    writeFileSync(join(dir, 'halves.npz'), writeNpz({ x_train: { shape: [10, 8, 8, 1], data: x }, y_train: { shape: [10], data: y } }));
    const spec = join(dir, 'halves.npz');
    const splits = loadDataSpec(spec, { inputs: ['image'], outputs: ['out'] });
    const result = await runTraining({
      model,
      // A learning rate too small to move the predictions.
      training: { ...defaultTrainingConfig(), optimizer: { type: 'sgd', learningRate: 1e-9 }, epochs: 2, batchSize: 5, validationSplit: 0.5 },
      data: splits.train,
      initialWeights: { 'out/kernel': kernel, 'out/bias': new Float32Array(2) },
      run: { logdir: join(dir, 'logs'), name: 'halves', data: spec, dataBaseDir: dir, dataOptions: {} },
    });
    expect(result.status).toBe('completed');
    const s = studio(join(dir, 'logs'));
    const expected = [[1, 1], [2, 1]];
    expect(await s.runs.confusion({ run: 'halves' })).toEqual({ run: 'halves', epoch: 2, classNames: ['0', '1'], counts: expected });
    expect(await s.runs.confusion({ run: 'halves', epoch: 1 })).toEqual({ run: 'halves', epoch: 1, classNames: ['0', '1'], counts: expected });

    const wrong = await s.runs.misclassified({ run: 'halves' });
    expect(wrong!.samples.map(({ index, label, predicted }) => ({ index, label, predicted }))).toEqual([
      { index: 1, label: '0', predicted: '1' },
      { index: 2, label: '1', predicted: '0' },
      { index: 4, label: '1', predicted: '0' },
    ]);
    // Thumbnails of the validation images themselves: sample 1 is bright at the bottom.
    const png = PNG.sync.read(Buffer.from(wrong!.samples[0].image!.replace('data:image/png;base64,', ''), 'base64'));
    expect([png.width, png.height]).toEqual([8, 8]);
    expect([png.data[0], png.data[(7 * 8) * 4]]).toEqual([0, 255]);
  });

  it('reads sparse, one-hot and binary classifiers, logits included', () => {
    const sparse = { kind: 'sparse' as const, classes: 0, fromLogits: false };
    expect(confusionOf(sparse, Float32Array.of(0.9, 0.1, 0.2, 0.8, 0.6, 0.4), [0, 0, 1], 3, 10)).toEqual({
      counts: [[1, 1], [1, 0]], misclassified: [{ index: 1, label: 0, predicted: 1 }, { index: 2, label: 1, predicted: 0 }],
    });
    const onehot = { kind: 'onehot' as const, classes: 3, fromLogits: true };
    expect(confusionOf(onehot, Float32Array.of(-1, 5, 0, 2, 1, 0), [0, 1, 0, 1, 0, 0], 2, 10).counts).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 0]]);
    const logits = { kind: 'binary' as const, classes: 2, fromLogits: true };
    expect(confusionOf(logits, Float32Array.of(-0.5, 0.2, 3), [0, 0, 1], 3, 1)).toEqual({ counts: [[1, 1], [0, 1]], misclassified: [{ index: 1, label: 0, predicted: 1 }] });
    const probabilities = { ...logits, fromLogits: false };
    expect(confusionOf(probabilities, Float32Array.of(0.4, 0.6), [1, 1], 2, 0).counts).toEqual([[0, 0], [1, 1]]);
  });

  it('knows a classifier by its loss and targets', () => {
    const spec = (type: string, target: number[], fromLogits?: boolean) => ({
      outputs: ['out'], targets: [{ name: 't', shape: target }], losses: [{ type, output: 'out', target: 't', ...(fromLogits ? { fromLogits } : {}) }],
    }) as unknown as Parameters<typeof classifierOf>[0];
    expect(classifierOf(spec('sparse_categorical_crossentropy', [1]))).toEqual({ kind: 'sparse', classes: 0, fromLogits: false });
    expect(classifierOf(spec('categorical_crossentropy', [4], true))).toEqual({ kind: 'onehot', classes: 4, fromLogits: true });
    expect(classifierOf(spec('binary_crossentropy', [1]))).toEqual({ kind: 'binary', classes: 2, fromLogits: false });
    expect(classifierOf(spec('mean_squared_error', [1]))).toBeNull();
    expect(classifierOf(spec('binary_crossentropy', [3]))).toBeNull();
  });
});
