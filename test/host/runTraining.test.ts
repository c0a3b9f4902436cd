// Training runs with Keras's callbacks on Iris and synthetic data, through the native engine:
// the run directory, EarlyStopping, restore_best_weights, ReduceLROnPlateau, checkpoints.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { histogramBuckets } from '../../common/formats/tfevents/index.js';
import { defaultModel, defaultTrainingConfig, type ModelDoc, type TrainingConfig } from '../../common/model/index.js';
import { getDataset } from '../../electron/host/datasets.js';
import { readLogdir } from '../../electron/host/runs/LogdirReader.js';
import { buildNativeModel, runTraining, TrainingError, type EpochInfo } from '../../electron/host/training/runTraining.js';
import { readTfCheckpointWeights } from '../../electron/host/training/tfCheckpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iris = getDataset('iris')!;
const irisData = { x: [{ shape: [150, 4], data: iris.x }], y: [iris.y] };

function config(patch: Partial<TrainingConfig>): TrainingConfig {
  return { ...defaultTrainingConfig(), optimizer: { type: 'sgd', learningRate: 0.05 }, batchSize: 16, epochs: 5, ...patch };
}

function readRun(name: string): Record<string, unknown> & { status: string; epochsDone: number; history: Record<string, number>[]; checkpoints: Record<string, string>; best?: { epoch: number; monitor: string } } {
  return JSON.parse(readFileSync(join(dir, name, 'run.json'), 'utf8'));
}

describe('runTraining', () => {
  it('trains epoch by epoch, reports steps and epochs with Keras names, and writes a run directory', async () => {
    const epochs: EpochInfo[] = [];
    let steps = 0;
    const result = await runTraining({
      model: defaultModel(),
      training: config({ epochs: 4, validationSplit: 0.2 }),
      data: irisData,
      run: { logdir: dir, name: 'plain', data: 'sample:iris' },
      onStep: (s) => {
        steps++;
        expect(s.steps).toBe(8);  // 120 training samples in batches of 16
        expect(Object.keys(s.logs).sort()).toEqual(['accuracy', 'loss']);
      },
      onEpoch: (e) => epochs.push(e),
    });
    expect(result.status).toBe('completed');
    expect(steps).toBe(32);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(epochs[0].logs).sort()).toEqual(['accuracy', 'learning_rate', 'loss', 'val_accuracy', 'val_loss']);
    expect(epochs[0].logs.learning_rate).toBeCloseTo(0.05, 6);
    expect(epochs[3].logs.loss).toBeLessThan(epochs[0].logs.loss);

    const run = readRun('plain');
    expect(run.status).toBe('completed');
    expect(run.epochsDone).toBe(4);
    expect(run.samples).toEqual({ train: 120, validation: 30 });
    expect(run.history).toHaveLength(4);
    expect(run.final).toEqual(result.final);
    expect(run.best).toMatchObject({ monitor: 'val_loss', mode: 'min' });
    expect(run.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(run.endedAt).toBeDefined();
    expect(run.checkpoints.final).toBe('checkpoints/last/ckpt-4');
    expect(run.dataFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(epochs.map((e) => e.dataWait >= 0 && e.dataWait < 1)).toEqual([true, true, true, true]);
    expect((run.dataWaitSeconds as number[]).map((w) => w >= 0)).toEqual([true, true, true, true]);

    // The last checkpoint loads back into a fresh model and predicts as the trained one does.
    const { weights, shapes } = readTfCheckpointWeights(join(dir, 'plain', 'checkpoints', 'last'));
    expect(shapes.get('dense_1/kernel')).toEqual([4, 16]);
    const fresh = buildNativeModel(defaultModel(), config({}), weights);
    const [a] = await fresh.model.predict({ x: iris.x });
    const [b] = await result.model.predict({ x: iris.x });
    expect(a).toEqual(b);

    await expect(runTraining({ model: defaultModel(), training: config({ epochs: 1 }), data: irisData, run: { logdir: dir, name: 'plain' } }))
      .rejects.toThrow(/a run named "plain" already exists/);
  });

  it('records the gradient of each trainable weight over the first batch every epoch, as `<weight>_grad` histograms', async () => {
    const result = await runTraining({ model: defaultModel(), training: config({ epochs: 2 }), data: irisData, run: { logdir: dir, name: 'gradients' } });
    const [train] = readLogdir(join(dir, 'gradients')).filter((r) => r.name === 'train');
    const histograms = train.series.histograms;
    const weights = ['dense_1/bias', 'dense_1/kernel', 'dense_2/bias', 'dense_2/kernel'];
    expect([...histograms.keys()].sort()).toEqual([...weights.flatMap((w) => [w, `${w}_grad`])].sort());
    expect(histograms.get('dense_1/kernel_grad')!.map((h) => h.step)).toEqual([0, 1]);
    // The last epoch's: the trained model's gradients over the first 16 samples.
    const gradients = await result.model.gradients({ x: iris.x.subarray(0, 16 * 4), y: iris.y.subarray(0, 16) }, { batchSize: 16 });
    for (const w of weights) expect(histograms.get(`${w}_grad`)!.at(-1)!.buckets, w).toEqual(histogramBuckets(gradients[w]));
    expect(histograms.get('dense_2/kernel_grad')!.at(-1)!.buckets.some((b) => b.left !== 0 || b.right !== 0)).toBe(true);
  });

  it('fingerprints the data a run trained on: the same samples give the same fingerprint', async () => {
    const once = async (name: string, data: typeof irisData) => {
      await runTraining({ model: defaultModel(), training: config({ epochs: 1 }), data, run: { logdir: dir, name } });
      return readRun(name).dataFingerprint;
    };
    const changed = Float32Array.from(iris.x);
    changed[7] += 1;
    const [a, b, c] = [await once('fp-a', irisData), await once('fp-b', irisData), await once('fp-c', { x: [{ shape: [150, 4], data: changed }], y: [iris.y] })];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('stops early when the monitor stops improving (EarlyStopping)', async () => {
    const result = await runTraining({
      model: defaultModel(),
      training: config({ epochs: 30, callbacks: { earlyStopping: { monitor: 'loss', patience: 2, minDelta: 10, mode: 'auto', restoreBestWeights: false } } }),
      data: irisData,
      run: { logdir: dir, name: 'early' },
    });
    // Epoch 1 sets the best; nothing beats it by 10; after 2 more epochs of patience it stops.
    expect(result.status).toBe('completed');
    expect(result.epochsDone).toBe(3);
    expect(result.stoppedEarly).toEqual({ epoch: 3 });
    expect(readRun('early')).toMatchObject({ status: 'completed', epochsDone: 3, stoppedEarly: { epoch: 3 } });
  });

  it('restores the best weights (restore_best_weights) and keeps the best checkpoint', async () => {
    // Monitoring the loss in "max" mode makes epoch 1 the best, as the loss falls after it.
    const callbacks: TrainingConfig['callbacks'] = {
      earlyStopping: { monitor: 'loss', patience: 2, minDelta: 0, mode: 'max', restoreBestWeights: true },
      modelCheckpoint: { monitor: 'loss', saveBestOnly: true, mode: 'max' },
    };
    const result = await runTraining({ model: defaultModel(), training: config({ epochs: 10, callbacks }), data: irisData, run: { logdir: dir, name: 'restore' } });
    expect(result.epochsDone).toBe(3);
    expect(result.stoppedEarly).toEqual({ epoch: 3, restoredEpoch: 1 });
    expect(result.best).toMatchObject({ monitor: 'loss', mode: 'max', epoch: 1 });
    const best = readTfCheckpointWeights(join(dir, 'restore', 'checkpoints', 'best')).weights;
    const last = readTfCheckpointWeights(join(dir, 'restore', 'checkpoints', 'last')).weights;
    expect(result.weights['dense_1/kernel']).toEqual(best['dense_1/kernel']);
    expect(result.weights['dense_1/kernel']).not.toEqual(last['dense_1/kernel']);
    expect(result.model.getWeights()['dense_2/bias']).toEqual(best['dense_2/bias']);
    expect(readRun('restore').checkpoints.final).toBe('checkpoints/best/ckpt-1');
  });

  it('lowers the learning rate on a plateau (ReduceLROnPlateau), visible in the epoch logs', async () => {
    const epochs: EpochInfo[] = [];
    const result = await runTraining({
      model: defaultModel(),
      training: config({ epochs: 5, callbacks: { reduceLROnPlateau: { monitor: 'loss', factor: 0.5, patience: 1, minDelta: 10, cooldown: 1, minLr: 0.01 } } }),
      data: irisData,
      onEpoch: (e) => epochs.push(e),
    });
    expect(result.status).toBe('completed');
    // As Keras 3.15 logs it (checked with keras.callbacks.ReduceLROnPlateau, same settings): epoch 1 sets
    // the best; epoch 2 stalls -> 0.025; a cooldown of 1 ends within epoch 3, which stalls -> 0.0125; then min_lr.
    expect(epochs.map((e) => Number(e.logs.learning_rate.toPrecision(4)))).toEqual([0.05, 0.05, 0.025, 0.0125, 0.01]);
  });

  it('notes the steps that mixed_float16 skipped, their gradients not finite, and the loss scale', async () => {
    // Linear layers and logits out, so that huge samples reach the loss (a relu may zero them, a
    // softmax's clipped probabilities stop their gradients). The first sample times 3e35 and times
    // -3e35 (both of class 0): whichever of the two is misclassified has a finite loss and
    // overflowing scaled gradients; the other's loss and gradients are 0.
    const model = defaultModel();
    for (const layer of model.layers.slice(1)) layer.params = { ...layer.params, activation: 'linear' };
    const x = Float32Array.from(iris.x, (v, i) => (i < 4 ? v * 3e35 : i < 8 ? -iris.x[i - 4] * 3e35 : v));
    expect([iris.y[0], iris.y[1]]).toEqual([0, 0]);
    const result = await runTraining({
      model,
      training: config({ epochs: 2, validationSplit: 0, precision: 'mixed_float16', loss: { type: 'sparse_categorical_crossentropy', fromLogits: true } }),
      data: { x: [{ shape: [150, 4], data: x }], y: [iris.y] },
    });
    expect(result.status).toBe('completed');
    expect(result.notes).toEqual([
      'Epoch 1: 1 of 10 steps skipped, their float16 gradients not finite; loss scale now 16384.',
      'Epoch 2: 1 of 10 steps skipped, their float16 gradients not finite; loss scale now 8192.',
    ]);
  });

  it('adapts Normalization layers to the training split (Keras adapt), leaving validation samples out', async () => {
    const model: ModelDoc = {
      layers: [
        { id: 'in', name: 'in', type: 'Input', params: { shape: [4] } },
        { id: 'norm', name: 'norm', type: 'Normalization', params: {} },
        { id: 'out', name: 'out', type: 'Dense', params: { units: 3, activation: 'softmax' } },
      ],
      edges: [{ from: 'in', to: 'norm' }, { from: 'norm', to: 'out' }],
    };
    const x = iris.x.map((v, i) => v * (1 + (i % 4)) + 10 * (i % 4));
    const notes: string[] = [];
    const result = await runTraining({ model, training: config({ epochs: 1, validationSplit: 0.2 }), data: { x: [x], y: [iris.y] }, onNote: (n) => notes.push(n) });
    expect(notes).toEqual([]);
    const mean = [0, 1, 2, 3].map((f) => [...Array(120).keys()].reduce((a, r) => a + x[r * 4 + f], 0) / 120);
    const variance = [0, 1, 2, 3].map((f) => [...Array(120).keys()].reduce((a, r) => a + (x[r * 4 + f] - mean[f]) ** 2, 0) / 120);
    [...result.weights['norm/mean']].forEach((m, f) => expect(m).toBeCloseTo(mean[f], 4));
    [...result.weights['norm/variance']].forEach((v, f) => expect(v).toBeCloseTo(variance[f], 3));
    // Given weights (an imported or saved model) are kept, not adapted again.
    const kept = await runTraining({ model, training: config({ epochs: 1 }), data: { x: [x], y: [iris.y] }, initialWeights: { 'norm/mean': Float32Array.of(1, 2, 3, 4), 'norm/variance': Float32Array.of(1, 1, 1, 1) } });
    expect([...kept.weights['norm/mean']]).toEqual([1, 2, 3, 4]);
  });

  it('explains data that does not fit the model before training starts', async () => {
    await expect(runTraining({ model: defaultModel(), training: config({}), data: { x: [{ shape: [150, 5], data: new Float32Array(750) }], y: [iris.y] } }))
      .rejects.toThrow(/the training data: the x array for input 'input' has shape \(150, 5\) but the model needs \(N, 4,\)/);
    await expect(runTraining({ model: defaultModel(), training: config({ validationSplit: 0.999 }), data: irisData }))
      .rejects.toThrow(/leaves no training samples/);
    const bad: ModelDoc = { layers: [{ id: 'i', name: 'i', type: 'Input', params: { shape: [4] } }, { id: 'd', name: 'd', type: 'Dense', params: { units: 0 } }], edges: [{ from: 'i', to: 'd' }] };
    await expect(runTraining({ model: bad, training: config({}), data: irisData })).rejects.toBeInstanceOf(TrainingError);
    await expect(runTraining({ model: defaultModel(), training: config({ callbacks: { earlyStopping: { monitor: 'weird', patience: 1, minDelta: 0, mode: 'auto', restoreBestWeights: false } } }), data: irisData }))
      .rejects.toThrow(/EarlyStopping monitors "weird", and Kiln cannot tell whether it should go up or down/);
  });

  it('marks a run stopped when asked to stop, keeping its last weights', async () => {
    const controller = new AbortController();
    const result = await runTraining({
      model: defaultModel(),
      training: config({ epochs: 50 }),
      data: irisData,
      run: { logdir: dir, name: 'stopped' },
      onEpoch: (e) => { if (e.epoch === 2) controller.abort(); },
      signal: controller.signal,
    });
    expect(result.status).toBe('stopped');
    expect(result.epochsDone).toBe(2);
    expect(readRun('stopped')).toMatchObject({ status: 'stopped', epochsDone: 2, checkpoints: { last: 'checkpoints/last/ckpt-2' } });
  });
});
