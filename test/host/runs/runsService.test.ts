// The runs service over a logdir (electron/host/RunsService.ts): the runs list from run.json and
// from other writers' event files, scalars served from full resolution (smoothed, downsampled,
// per axis), a running run's every step from memory, rename, notes, delete, resume from the last
// checkpoint, the memory cap, and opening another logdir.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary, ScalarQuery } from '../../../common/contract/index.js';
import { SessionEndStatus } from '../../../common/formats/tfevents/index.js';
import { emaSmooth } from '../../../common/metrics/smoothing.js';
import { defaultModel } from '../../../common/model/index.js';
import { EventsFile } from '../../../electron/host/runs/eventsFile.js';
import { readLogdir } from '../../../electron/host/runs/LogdirReader.js';
import { loadDataSpec } from '../../../electron/host/training/dataSpec.js';
import type { RunFile } from '../../../electron/host/training/runFile.js';
import { runTraining } from '../../../electron/host/training/runTraining.js';
import { irisConfig, studio, type Studio } from './studio.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-runs-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logdir = join(dir, 'logdir');
const readRunFile = (id: string) => JSON.parse(readFileSync(join(logdir, id, 'run.json'), 'utf8')) as RunFile;
const query = (patch: Partial<ScalarQuery>): ScalarQuery => ({ runs: [], tags: [], xAxis: 'step', smoothing: 0, smoothingKind: 'ema', width: 1000, ...patch });

let s: Studio;
let first = '';

/** A Keras-style logdir of another writer: train/ and validation/ folders with epoch_loss. */
function writeKerasRun(path: string): void {
  let t = 1700000000;
  const now = () => (t += 1);
  const root = EventsFile.create(path, { now });
  root.events.hparams({ kind: 'sessionStart', sessionStart: { hparams: { units: 64, optimizer: 'adam' } } });
  root.events.hparams({ kind: 'sessionEnd', sessionEnd: { status: SessionEndStatus.SUCCESS } });
  root.close();
  const train = EventsFile.create(join(path, 'train'), { now });
  const validation = EventsFile.create(join(path, 'validation'), { now });
  for (let epoch = 0; epoch < 4; epoch++) {
    for (let b = 1; b <= 5; b++) train.events.scalar('batch_loss', 2 - epoch / 2 - b / 20, epoch * 5 + b);
    train.events.scalar('epoch_loss', 2 - epoch / 2, epoch);
    train.events.scalar('epoch_accuracy', 0.5 + epoch / 10, epoch);
    validation.events.scalar('epoch_loss', 2.5 - epoch / 2, epoch);
  }
  train.events.histogram('sequential/dense/kernel/histogram', [1, 2, 3], 3);
  train.close();
  validation.close();
}

beforeAll(async () => {
  s = studio(logdir);
  const started = await s.engine.startRun({ model: defaultModel(), config: irisConfig(4) });
  first = started.run;
  await s.ended(started.runId);
  writeKerasRun(join(logdir, 'keras', 'exp1'));
}, 60_000);

describe('RunsService', () => {
  it('lists Kiln runs from run.json and other writers\' runs from their events, grouping Keras\'s train and validation', async () => {
    const runs = await s.runs.listRuns();
    expect(runs.map((r) => [r.id, r.source, r.status])).toEqual([[first, 'kiln', 'completed'], ['keras/exp1', 'tensorboard', 'completed']]);
    const kiln = runs[0];
    const file = readRunFile(first);
    expect(kiln).toMatchObject({
      name: first, step: 32, createdAt: file.createdAt, endedAt: file.endedAt,
      hparams: { optimizer: 'sgd', learning_rate: 0.05, batch_size: 16, epochs: 4, data: 'sample:iris' },
      metrics: { loss: file.final!.loss, val_loss: file.final!.val_loss, [`best_${file.best!.monitor}`]: file.best!.value },
      has: { histograms: true, confusion: true, misclassified: true },
    });
    expect(kiln.tags).toContainEqual({ tag: 'epoch_loss', splits: ['train', 'validation'] });
    const keras = runs[1];
    expect(keras).toMatchObject({
      name: 'keras/exp1', step: 20, hparams: { units: 64, optimizer: 'adam' },
      metrics: { loss: 0.5, val_loss: 1, accuracy: 0.800000011920929, best_loss: 0.5, best_val_loss: 1 },
      has: { histograms: true, confusion: false, misclassified: false },
    });
    expect(keras.tags).toEqual([
      { tag: 'batch_loss', splits: ['train'] }, { tag: 'epoch_accuracy', splits: ['train'] }, { tag: 'epoch_loss', splits: ['train', 'validation'] },
    ]);
  });

  it('serves scalars at full resolution, smoothed with TensorBoard\'s EMA, on every axis', async () => {
    const file = readRunFile(first);
    const series = await s.runs.scalars(query({ runs: [first], tags: ['epoch_loss', 'batch_loss'], smoothing: 0.6 }));
    expect(series.map((x) => [x.tag, x.split, x.count])).toEqual([['epoch_loss', 'train', 4], ['epoch_loss', 'validation', 4], ['batch_loss', 'train', 32]]);
    const [train, validation, batch] = series;
    expect(train.raw).toEqual({ x: [0, 1, 2, 3], y: file.history.map((h) => Math.fround(h.loss)) });
    expect(validation.raw.y).toEqual(file.history.map((h) => Math.fround(h.val_loss)));
    expect(train.smoothed.y).toEqual([...emaSmooth(train.raw.y, 0.6)]);
    expect(batch.downsampled).toBe(false);
    expect(batch.last).toMatchObject({ x: 32, step: 32 });

    const epochs = await s.runs.scalars(query({ runs: [first], tags: ['epoch_loss', 'batch_loss'], xAxis: 'epoch' }));
    expect(epochs[0].raw.x).toEqual([1, 2, 3, 4]);
    expect(epochs[2].raw.x.slice(0, 8)).toEqual([0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]);
    const relative = await s.runs.scalars(query({ runs: [first], tags: ['batch_loss'], xAxis: 'relative' }));
    expect(relative[0].raw.x.every((x, i, xs) => x >= 0 && x < 60 && (i === 0 || x >= xs[i - 1]))).toBe(true);
    const wall = await s.runs.scalars(query({ runs: [first], tags: ['batch_loss'], xAxis: 'wall' }));
    expect(wall[0].raw.x[0]).toBeCloseTo(Date.parse(file.createdAt) / 1000, -1);

    // Moving average over round(0.03 * 100) = 3 points, centred.
    const [avg] = await s.runs.scalars(query({ runs: [first], tags: ['epoch_loss'], smoothing: 0.03, smoothingKind: 'moving-average' }));
    const y = train.raw.y;
    expect(avg.smoothed.y[1]).toBeCloseTo((y[0] + y[1] + y[2]) / 3, 6);

    // Another writer's run: epochs by its epoch_ tags' times.
    const keras = await s.runs.scalars(query({ runs: ['keras/exp1'], tags: ['batch_loss', 'epoch_loss'], xAxis: 'epoch' }));
    expect(keras.map((x) => [x.tag, x.split])).toEqual([['batch_loss', 'train'], ['epoch_loss', 'train'], ['epoch_loss', 'validation']]);
    expect(keras[0].raw.x.slice(0, 6)).toEqual([0.2, 0.4, 0.6, 0.8, 1, 1.2]);

    await expect(s.runs.scalars(query({ runs: [first], tags: ['epoch_loss'], xAxis: 'hours' as 'step' }))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await s.runs.scalars(query({ runs: ['gone'], tags: ['epoch_loss'] }))).toEqual([]);
  });

  it('serves histograms, the confusion matrix and the misclassified validation samples', async () => {
    const histograms = await s.runs.histograms({ run: first, tags: ['dense_2/kernel'] });
    expect(histograms).toHaveLength(1);
    expect(histograms[0].steps.map((h) => h.step)).toEqual([0, 1, 2, 3]);
    const h = histograms[0].steps[0];
    expect(h.edges).toHaveLength(h.counts.length + 1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(16 * 3);
    expect((await s.runs.histograms({ run: 'keras/exp1' })).map((x) => x.tag)).toEqual(['sequential/dense/kernel/histogram']);

    const confusion = await s.runs.confusion({ run: first });
    expect(confusion).toMatchObject({ run: first, epoch: 4, classNames: ['setosa', 'versicolor', 'virginica'] });
    expect(confusion!.counts.flat().reduce((a, b) => a + b, 0)).toBe(30);
    expect((await s.runs.confusion({ run: first, epoch: 1 }))!.epoch).toBe(1);
    expect(await s.runs.confusion({ run: 'keras/exp1' })).toBeNull();

    const wrong = await s.runs.misclassified({ run: first });
    const errors = confusion!.counts.flat().reduce((a, b) => a + b, 0) - confusion!.counts.reduce((n, row, i) => n + row[i], 0);
    expect(wrong!.samples).toHaveLength(errors);
    for (const sample of wrong!.samples) {
      expect(sample.label).not.toBe(sample.predicted);
      expect(sample.row).toHaveLength(4);
    }
    expect(await s.runs.misclassified({ run: first, epoch: 2 })).toBeNull();
  });

  it('renames a run and keeps notes, in run.json (Kiln) or beside the events (other writers)', async () => {
    expect(await s.runs.renameRun({ run: first, name: '  baseline  ' })).toMatchObject({ id: first, name: 'baseline' });
    expect(await s.runs.setRunNotes({ run: first, notes: 'lr too high?' })).toMatchObject({ name: 'baseline', notes: 'lr too high?' });
    expect(readRunFile(first)).toMatchObject({ displayName: 'baseline', userNotes: 'lr too high?', status: 'completed' });
    expect(await s.runs.renameRun({ run: 'keras/exp1', name: 'keras baseline' })).toMatchObject({ name: 'keras baseline', source: 'tensorboard' });
    await expect(s.runs.renameRun({ run: first, name: ' ' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(s.runs.renameRun({ run: 'nope', name: 'x' })).rejects.toMatchObject({ code: 'UNKNOWN_RUN' });
    expect(s.events.filter((e) => e.event === 'runs.didChange').length).toBeGreaterThanOrEqual(4);
  });

  it('sees every step of a running run, from memory, and refuses to delete it', async () => {
    const { runId, run } = await s.engine.startRun({ model: defaultModel(), config: irisConfig(100_000) });
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [loss] = await s.runs.scalars(query({ runs: [run], tags: ['batch_loss'], width: 100_000 }));
      if (loss) {
        // Steps from 1 with no gap: nothing between the flushes is missing.
        expect(loss.last!.step).toBe(loss.count);
        expect(loss.raw.x.at(-1)).toBe(loss.count);
        seen.push(loss.count);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.at(-1)).toBeGreaterThan(seen[0]);
    const listed = (await s.runs.listRuns()).find((r) => r.id === run)!;
    expect(listed.status).toBe('running');
    await expect(s.runs.deleteRun({ run })).rejects.toMatchObject({ code: 'RUN_ACTIVE' });
    await expect(s.runs.resumeRun({ run })).rejects.toMatchObject({ code: 'RUN_ACTIVE' });
    // Renaming a running run goes through its recorder (which owns run.json).
    await s.runs.renameRun({ run, name: 'long one' });
    await s.engine.stopRun({ runId });
    expect(await s.ended(runId)).toMatchObject({ status: 'stopped' });
    expect(readRunFile(run)).toMatchObject({ displayName: 'long one', status: 'stopped' });
    // Once ended, the same series comes from the files.
    const [after] = await s.runs.scalars(query({ runs: [run], tags: ['batch_loss'], width: 100_000 }));
    expect(after.count).toBe(readRunFile(run).steps);
    await s.runs.deleteRun({ run });
    expect(existsSync(join(logdir, run))).toBe(false);
    expect((await s.runs.listRuns()).map((r) => r.id)).not.toContain(run);
  }, 60_000);

  it('resumes a stopped run from its last checkpoint for the remaining epochs, as a new run', async () => {
    // A studio run stopped after its second epoch (stopped here at the epoch's end, to be exact).
    const run = 'to-resume';
    const controller = new AbortController();
    const splits = loadDataSpec('sample:iris', { inputs: ['input'], outputs: ['dense_2'] }, process.cwd(), { seed: 1 });
    await runTraining({
      model: defaultModel(), training: irisConfig(6).training, data: splits.train, signal: controller.signal,
      run: { logdir, name: run, data: 'sample:iris', dataBaseDir: process.cwd(), dataOptions: { seed: 1 } },
      onEpoch: (e) => { if (e.epoch === 2) controller.abort(); },
    });
    const stopped = readRunFile(run);
    expect(stopped.status).toBe('stopped');
    const done = stopped.epochsDone;
    expect(done).toBe(2);

    const resumed = await s.runs.resumeRun({ run });
    expect(resumed.run).toMatch(/^iris-resumed-/);
    expect(await s.ended(resumed.runId)).toMatchObject({ status: 'completed', steps: 48 });
    const file = readRunFile(resumed.run);
    expect(file).toMatchObject({
      status: 'completed', epochsDone: 6, steps: 48,
      resumedFrom: { run, checkpoint: stopped.checkpoints.last, epoch: done, step: done * 8 },
    });
    expect(file.history.map((h) => h.epoch)).toEqual(Array.from({ length: 6 - done }, (_, i) => done + i + 1));
    expect(file.notes[0]).toContain(`Resumed from run "${run}" at epoch ${done}`);
    // Steps and epochs go on from the original run's, so the two overlay.
    const train = readLogdir(join(logdir, resumed.run)).find((r) => r.name === 'train')!.series.scalars;
    expect(train.get('batch_loss')![0].step).toBe(done * 8 + 1);
    expect(train.get('epoch_loss')!.map((p) => p.step)).toEqual(Array.from({ length: 6 - done }, (_, i) => done + i));
    await expect(s.runs.resumeRun({ run: resumed.run })).rejects.toMatchObject({ code: 'CANNOT_RESUME' });
    await expect(s.runs.resumeRun({ run: 'keras/exp1' })).rejects.toMatchObject({ code: 'NOT_A_KILN_RUN' });

    const config = await s.runs.runConfig({ run });
    expect(config).toMatchObject({ model: defaultModel(), data: 'sample:iris', training: { epochs: 6, batchSize: 16 } });
  }, 60_000);

  it('keeps loaded series under its memory cap, and opens another logdir', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    for (let k = 0; k < 3; k++) writeKerasRun(join(other, `exp${k}`));
    const small = studio(logdir, { memoryBytes: 1 });
    const opened = await small.runs.openLogdir({ logdir: other });
    expect(opened.logdir).toBe(other);
    expect(opened.runs.map((r: RunSummary) => r.id)).toEqual(['exp0', 'exp1', 'exp2']);
    expect(await small.runs.logdir()).toEqual({ logdir: other });
    // Each query still gets its series, however small the cap.
    for (let round = 0; round < 2; round++) {
      const series = await small.runs.scalars(query({ runs: ['exp0', 'exp1', 'exp2'], tags: ['batch_loss'] }));
      expect(series.map((x) => x.count)).toEqual([20, 20, 20]);
    }
    await expect(small.runs.openLogdir({ logdir: join(dir, 'missing') })).rejects.toMatchObject({ code: 'NO_LOGDIR' });
    await expect(small.runs.deleteRun({ run: 'exp9' })).rejects.toMatchObject({ code: 'UNKNOWN_RUN' });
    await small.runs.deleteRun({ run: 'exp2' });
    expect(existsSync(join(other, 'exp2'))).toBe(false);
  });
});
