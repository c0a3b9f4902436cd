// Kiln's run folders against real TensorBoard and TensorFlow (test/conformance/tensorboard_runs.py):
// (a) TensorBoard's EventAccumulator reads a Kiln run's train and validation scalars at the steps
//     and values run.json records (Keras's tags), its weight and gradient histograms, and its
//     hparams plugin data (the HParams dashboard shows the run with its flattened config and
//     status); TensorFlow opens its last checkpoint with the weights the run ended with;
// (b) a logdir Keras's TensorBoard callback writes (update_freq='batch', histogram_freq=1) is served
//     by the RunsService with Keras's steps and values.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModel, defaultTrainingConfig } from '../../common/model/index.js';
import { runHParams } from '../../electron/host/runs/runHParams.js';
import { loadDataSpec } from '../../electron/host/training/dataSpec.js';
import type { RunFile } from '../../electron/host/training/runFile.js';
import { runTraining, type RunResult } from '../../electron/host/training/runTraining.js';
import { studio } from '../host/runs/studio.js';
import { tensorboardMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = `${root}.venv/bin/python`;

const missing = tensorboardMissing();

interface TbRun { scalars: Record<string, [number, number, number][]>; histograms: Record<string, [number, number[][]][]>; plugins: Record<string, string> }
interface TbOutput {
  kiln: Record<string, TbRun>;
  kilnApp: {
    runs: string[];
    sessionGroups: { sessionGroups: { name: string; hparams: Record<string, unknown>; sessions: { name: string; status?: string }[]; metricValues: { name: { group?: string; tag: string }; value: number; trainingStep: number }[] }[] };
    scalars: [number, number, number][];
  };
  checkpoint: Record<string, number[]>;
  keras: Record<string, TbRun>;
}

describe.skipIf(missing !== null && !process.env.CI)(`TensorBoard reads Kiln's run folders; Kiln serves Keras's logdirs${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  let tb: TbOutput;
  let result: RunResult;
  let run: RunFile;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-tensorboard-runs-'));
    const splits = loadDataSpec('sample:iris', { inputs: ['input'], outputs: ['dense_2'] }, root, { seed: 1 });
    result = await runTraining({
      model: defaultModel(),
      training: { ...defaultTrainingConfig(), optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 16, epochs: 3, validationSplit: 0.2 },
      data: splits.train,
      run: { logdir: join(dir, 'kiln'), name: 'iris-run', data: 'sample:iris', classNames: splits.classNames },
    });
    run = JSON.parse(readFileSync(join(dir, 'kiln', 'iris-run', 'run.json'), 'utf8')) as RunFile;
    const out = execFileSync(python, [`${root}test/conformance/tensorboard_runs.py`, join(dir, 'kiln'), 'iris-run', join(dir, 'keras')], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    });
    tb = JSON.parse(out) as TbOutput;
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('(a) EventAccumulator reads the train and validation scalars at Keras\'s steps with run.json\'s values', async () => {
    expect(Object.keys(tb.kiln)).toEqual(['iris-run', 'iris-run/train', 'iris-run/validation']);
    const train = tb.kiln['iris-run/train'].scalars;
    const validation = tb.kiln['iris-run/validation'].scalars;
    const values = (points: [number, number, number][]) => points.map(([step, , value]) => [step, value]);
    expect(values(train.epoch_loss)).toEqual(run.history.map((h, i) => [i, Math.fround(h.loss)]));
    expect(values(train.epoch_accuracy)).toEqual(run.history.map((h, i) => [i, Math.fround(h.accuracy)]));
    expect(values(train.epoch_learning_rate)).toEqual(run.history.map((h, i) => [i, Math.fround(h.learning_rate)]));
    expect(values(validation.epoch_loss)).toEqual(run.history.map((h, i) => [i, Math.fround(h.val_loss)]));
    expect(validation.evaluation_loss_vs_iterations.map(([step]) => step)).toEqual([8, 16, 24]);
    expect(train.batch_loss.map(([step]) => step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(tb.kiln['iris-run/train'].plugins['dense_1/kernel']).toBe('histograms');
    expect(tb.kiln['iris-run/train'].histograms['dense_1/kernel'].map(([step]) => step)).toEqual([0, 1, 2]);

    // Kiln's own service reads the same points, wall times included.
    const s = studio(join(dir, 'kiln'));
    const series = await s.runs.scalars({ runs: ['iris-run'], tags: Object.keys(train), xAxis: 'wall', smoothing: 0, smoothingKind: 'ema', width: 100_000 });
    for (const x of series.filter((x) => x.split === 'train')) {
      expect(x.raw.x.map((wall, i) => [train[x.tag][i][0], wall, x.raw.y[i]]), x.tag).toEqual(train[x.tag]);
    }
  });

  it('(a) EventAccumulator reads each weight\'s gradient histogram beside it, with the buckets Kiln serves', async () => {
    const { histograms, plugins } = tb.kiln['iris-run/train'];
    const weights = ['dense_1/bias', 'dense_1/kernel', 'dense_2/bias', 'dense_2/kernel'];
    expect(Object.keys(histograms).sort()).toEqual(weights.flatMap((w) => [w, `${w}_grad`]).sort());
    const served = await studio(join(dir, 'kiln')).runs.histograms({ run: 'iris-run', tags: weights.map((w) => `${w}_grad`) });
    expect(served).toHaveLength(4);
    for (const h of served) {
      expect(plugins[h.tag]).toBe('histograms');
      const rows = histograms[h.tag];
      expect(h.steps.map((p) => p.step), h.tag).toEqual([0, 1, 2]);
      expect(h.steps.map((p) => p.counts), h.tag).toEqual(rows.map(([, b]) => b.map((r) => r[2])));
      expect(h.steps.map((p) => p.edges), h.tag).toEqual(rows.map(([, b]) => [b[0][0], ...b.map((r) => r[1])]));
    }
  });

  it('(a) the HParams dashboard shows the run with its flattened config, status and metrics', () => {
    const [group] = tb.kilnApp.sessionGroups.sessionGroups;
    expect(tb.kilnApp.sessionGroups.sessionGroups).toHaveLength(1);
    expect(group.sessions.map((x) => [x.name, x.status])).toEqual([['iris-run', 'STATUS_SUCCESS']]);
    expect(group.hparams).toEqual(runHParams(run));
    const metric = (g: string, tag: string) => group.metricValues.find((m) => (m.name.group ?? '') === g && m.name.tag === tag);
    expect(metric('validation', 'epoch_loss')).toMatchObject({ value: Math.fround(run.final!.val_loss), trainingStep: 2 });
    expect(metric('train', 'epoch_accuracy')).toMatchObject({ value: Math.fround(run.final!.accuracy), trainingStep: 2 });
  });

  it('(a) tf.train.load_checkpoint opens the last checkpoint with the final weights', () => {
    expect(Object.keys(tb.checkpoint).sort()).toEqual(['dense_1/bias', 'dense_1/kernel', 'dense_2/bias', 'dense_2/kernel']);
    for (const [name, values] of Object.entries(tb.checkpoint)) expect(values, name).toEqual([...result.weights[name]]);
  });

  it('(b) the RunsService serves a Keras TensorBoard-callback logdir with Keras\'s steps and values', async () => {
    const keras = tb.keras;
    expect(Object.keys(keras)).toEqual(['train', 'validation']);
    expect(Object.keys(keras.train.scalars)).toEqual(expect.arrayContaining(['batch_loss', 'batch_accuracy', 'epoch_loss', 'epoch_accuracy', 'epoch_learning_rate']));
    const s = studio(join(dir, 'unused'));
    const { runs } = await s.runs.openLogdir({ logdir: join(dir, 'keras') });
    // (Its status is 'running' for 30 s after its files last changed: Keras writes no session end.)
    expect(runs.map((r) => [r.id, r.source])).toEqual([['.', 'tensorboard']]);
    const tags = [...new Set([...Object.keys(keras.train.scalars), ...Object.keys(keras.validation.scalars)])];
    expect(runs[0].tags.map((t) => t.tag).sort()).toEqual([...tags].sort());
    const series = await s.runs.scalars({ runs: ['.'], tags, xAxis: 'step', smoothing: 0, smoothingKind: 'ema', width: 100_000 });
    expect(series).toHaveLength(Object.keys(keras.train.scalars).length + Object.keys(keras.validation.scalars).length);
    for (const x of series) {
      const ref = keras[x.split as 'train' | 'validation'].scalars[x.tag];
      expect(x.raw.x.map((step, i) => [step, x.raw.y[i]]), `${x.split}/${x.tag}`).toEqual(ref.map(([step, , value]) => [step, value]));
    }
    expect(runs[0].metrics).toMatchObject({ loss: keras.train.scalars.epoch_loss.at(-1)![2], val_loss: keras.validation.scalars.epoch_loss.at(-1)![2] });
    const histograms = await s.runs.histograms({ run: '.' });
    expect(histograms.map((h) => h.tag).sort()).toEqual(Object.keys(keras.train.histograms).sort());
    for (const h of histograms) {
      expect(h.steps.map((p) => [p.step, p.counts]), h.tag).toEqual(keras.train.histograms[h.tag].map(([step, buckets]) => [step, buckets.map((b) => b[2])]));
    }
  });
});
