// Every run is a TensorBoard-compatible folder (electron/host/runs/runLayout.ts): a studio run
// (EngineService) and a `kiln train` run (node bin/kiln.js, built by `npm run build:ts`) each
// write run.json, train/ and validation/ event files with Keras's tags and Kiln's own, the hparams
// session start and end, weight and gradient histograms and TensorFlow checkpoints; a `kiln train`
// killed mid-run is listed as crashed with what it flushed, and a torn final record is left unread.
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { EventWriter, SessionEndStatus } from '../../../common/formats/tfevents/index.js';
import { defaultModel } from '../../../common/model/index.js';
import { newProject, serializeProject } from '../../../common/project/projectFile.js';
import { readLogdir } from '../../../electron/host/runs/LogdirReader.js';
import { RunStore } from '../../../electron/host/runs/RunStore.js';
import { runHParams } from '../../../electron/host/runs/runHParams.js';
import type { RunFile } from '../../../electron/host/training/runFile.js';
import { readTfCheckpointWeights } from '../../../electron/host/training/tfCheckpoint.js';
import { repoRoot } from '../../support/kilnServe.js';
import { irisConfig, studio } from './studio.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-run-folders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const readRunFile = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunFile;

/** The layout and contents every Kiln run folder has, for a run of `epochs` epochs of `steps` steps. */
function expectRunFolder(runDir: string, epochs: number, steps: number): void {
  const run = readRunFile(runDir);
  expect(run).toMatchObject({ format: 'kiln-run', version: 2, status: 'completed', epochsDone: epochs, steps: epochs * steps, stepsPerEpoch: steps, pid: expect.any(Number), host: expect.any(String) });
  expect(readdirSync(runDir).filter((f) => f.startsWith('events.out.tfevents.'))).toHaveLength(1);

  const runs = Object.fromEntries(readLogdir(runDir).map((r) => [r.name, r]));
  expect(Object.keys(runs)).toEqual(['.', 'train', 'validation']);
  // The hparams plugin: the flattened config at the start, the status at the end.
  expect(runs['.'].series.hparams.sessionStart?.hparams).toEqual(runHParams(run));
  expect(runs['.'].series.hparams.sessionEnd?.status).toBe(SessionEndStatus.SUCCESS);

  const train = runs.train.series.scalars;
  expect([...train.keys()].sort()).toEqual([
    'batch_accuracy', 'batch_loss', 'batch_samples_per_second', 'batch_step_seconds',
    'epoch_accuracy', 'epoch_data_wait_seconds', 'epoch_learning_rate', 'epoch_loss',
  ]);
  // Keras's steps: batch_* at the global step from 1, epoch_* at the epoch from 0.
  expect(train.get('batch_loss')!.map((p) => p.step)).toEqual(Array.from({ length: epochs * steps }, (_, i) => i + 1));
  expect(train.get('epoch_loss')!.map((p) => p.step)).toEqual(Array.from({ length: epochs }, (_, i) => i));
  expect(train.get('epoch_loss')!.map((p) => p.value)).toEqual(run.history.map((h) => Math.fround(h.loss)));
  // Keras logs the epoch's running mean per batch: the last batch of an epoch is the epoch's loss.
  expect(train.get('batch_loss')![steps - 1].value).toBeCloseTo(run.history[0].loss, 5);
  // Step time from the engine's clock, every step (a clock read per event batch in the host gave
  // zeros and spikes): throughput is the step's samples over it.
  const stepSeconds = train.get('batch_step_seconds')!;
  const throughput = train.get('batch_samples_per_second')!;
  expect(stepSeconds.map((p) => p.step)).toEqual(Array.from({ length: epochs * steps }, (_, i) => i + 1));
  expect(stepSeconds.every((p) => p.value > 0)).toBe(true);
  const batch = run.training.batchSize;
  const samples = (step: number) => (((step - 1) % steps) + 1 < steps || run.samples.train % batch === 0 ? batch : run.samples.train % batch);
  throughput.forEach((p, i) => expect(p.value / (samples(p.step) / stepSeconds[i].value)).toBeCloseTo(1, 5));
  const validation = runs.validation.series.scalars;
  expect([...validation.keys()].sort()).toEqual(['epoch_accuracy', 'epoch_loss', 'evaluation_accuracy_vs_iterations', 'evaluation_loss_vs_iterations']);
  expect(validation.get('epoch_loss')!.map((p) => p.value)).toEqual(run.history.map((h) => Math.fround(h.val_loss)));
  expect(validation.get('evaluation_loss_vs_iterations')!.map((p) => p.step)).toEqual(Array.from({ length: epochs }, (_, i) => (i + 1) * steps));
  // A histogram per weight and per weight's gradient per epoch.
  expect([...runs.train.series.histograms.keys()].sort()).toEqual([
    'dense_1/bias', 'dense_1/bias_grad', 'dense_1/kernel', 'dense_1/kernel_grad', 'dense_2/bias', 'dense_2/bias_grad', 'dense_2/kernel', 'dense_2/kernel_grad',
  ]);
  for (const tag of ['dense_1/kernel', 'dense_1/kernel_grad']) {
    expect(runs.train.series.histograms.get(tag)!.map((h) => h.step)).toEqual(Array.from({ length: epochs }, (_, i) => i));
  }

  // run.json lists the tags it wrote, for the runs list.
  expect(run.tags!.find((t) => t.tag === 'epoch_loss')).toEqual({ tag: 'epoch_loss', splits: ['train', 'validation'] });
  expect(run.has).toEqual({ histograms: true, confusion: true, misclassified: true });

  // TensorFlow checkpoints: last and best, the final one named.
  expect(run.checkpoints.last).toBe(`checkpoints/last/ckpt-${epochs}`);
  expect(run.checkpoints.final).toBe(run.checkpoints.last);
  expect(existsSync(join(runDir, `${run.checkpoints.best}.index`))).toBe(true);
  const { shapes } = readTfCheckpointWeights(join(runDir, 'checkpoints', 'last'));
  expect(shapes.get('dense_1/kernel')).toEqual([4, 16]);
  // The confusion matrix of each epoch counts the validation samples.
  const confusion = JSON.parse(readFileSync(join(runDir, 'confusion.json'), 'utf8')) as { classNames: string[]; epochs: { epoch: number; counts: number[][] }[] };
  expect(confusion.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  expect(confusion.epochs[0].counts.flat().reduce((a, b) => a + b, 0)).toBe(30);
  expect(run.confusion).toMatchObject({ samples: 30 });
  expect(run.confusion!.seconds).toHaveLength(epochs);
}

describe('run folders', () => {
  it('a studio run writes a TensorBoard run folder with run.json and TensorFlow checkpoints', async () => {
    const logdir = join(dir, 'studio');
    const s = studio(logdir);
    const { runId, run } = await s.engine.startRun({ model: defaultModel(), config: irisConfig(3) });
    expect(run).toMatch(/^iris-\d{8}-\d{6}$/);
    const end = await s.ended(runId);
    expect(end).toMatchObject({ status: 'completed', steps: 24 });
    expectRunFolder(join(logdir, run), 3, 8);
    expect(readRunFile(join(logdir, run))).toMatchObject({ data: 'sample:iris', classNames: ['setosa', 'versicolor', 'virginica'], dataOptions: { seed: 1 } });
    // The runs list follows: started, then ended.
    expect(s.events.filter((e) => e.event === 'runs.didChange')).toHaveLength(2);
  });

  it('`kiln train` writes the same folder', async () => {
    const project = join(dir, 'cli');
    mkdirSync(project);
    writeFileSync(join(project, 'iris.kiln.json'), serializeProject({ ...newProject(defaultModel(), irisConfig(2).training), data: 'sample:iris' }));
    const { stderr } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin', 'kiln.js'), 'train', 'iris.kiln.json', '--logdir', 'logs', '--run', 'cli-run'], { cwd: project });
    expect(stderr).toBe('');
    expectRunFolder(join(project, 'logs', 'cli-run'), 2, 8);
    expect(readRunFile(join(project, 'logs', 'cli-run'))).toMatchObject({ project: join(project, 'iris.kiln.json'), dataBaseDir: project });
  }, 60_000);

  it('a run whose process was killed is listed as crashed, with the steps it flushed', async () => {
    const project = join(dir, 'crash');
    mkdirSync(project);
    writeFileSync(join(project, 'iris.kiln.json'), serializeProject({ ...newProject(defaultModel(), irisConfig(100_000).training), data: 'sample:iris' }));
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kiln.js'), 'train', 'iris.kiln.json', '--logdir', 'logs', '--run', 'killed', '--json'], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
    const runDir = join(project, 'logs', 'killed');
    const s = studio(join(project, 'logs'));
    // Running while its process lives; killed once it has flushed a few epochs.
    await expect.poll(async () => (await s.runs.listRuns())[0]?.step ?? 0, { timeout: 20_000 }).toBeGreaterThan(100);
    expect((await s.runs.listRuns())[0].status).toBe('running');
    await expect(s.runs.deleteRun({ run: 'killed' })).rejects.toMatchObject({ code: 'RUN_ACTIVE' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const [summary] = await s.runs.listRuns();
    expect(summary).toMatchObject({ id: 'killed', status: 'crashed', source: 'kiln' });
    expect(readRunFile(runDir).status).toBe('crashed');  // recorded, so that a reused pid cannot revive it
    const [loss] = await s.runs.scalars({ runs: ['killed'], tags: ['batch_loss'], xAxis: 'step', smoothing: 0, smoothingKind: 'ema', width: 100_000 });
    // Every flushed step, in order, from 1: at most a second of training lost.
    expect(loss.count).toBeGreaterThan(100);
    expect(loss.raw.x).toEqual(Array.from({ length: loss.count }, (_, i) => i + 1));
    expect(readTfCheckpointWeights(join(runDir, 'checkpoints', 'last')).weights['dense_1/kernel']).toHaveLength(64);
  }, 60_000);

  it('leaves a torn final record unread until the rest of it arrives', async () => {
    const logdir = join(dir, 'torn');
    const w = new EventWriter({ now: () => 1700000000 });
    for (let step = 1; step <= 20; step++) w.scalar('loss', step, step);
    const whole = w.take();
    w.scalar('loss', 21, 21);
    const last = w.take();
    const file = join(logdir, 'run', 'events.out.tfevents.1700000000.host.1');
    mkdirSync(join(logdir, 'run'), { recursive: true });
    writeFileSync(file, whole);
    appendFileSync(file, last.subarray(0, 10));
    const s = studio(logdir);
    const query = { runs: ['run'], tags: ['loss'], xAxis: 'step' as const, smoothing: 0, smoothingKind: 'ema' as const, width: 1000 };
    expect((await s.runs.scalars(query))[0].count).toBe(20);
    appendFileSync(file, last.subarray(10));
    expect((await s.runs.scalars(query))[0].last).toEqual({ x: 21, y: 21, step: 21 });
    // A file cut short by a crash mid-write: what is whole is read, nothing is reported.
    truncateSync(file, statSync(file).size - 3);
    const store = new RunStore(logdir);
    expect(store.columns('run', '', ['loss']).get('loss')!.length).toBe(20);
    expect(store.errors('run', '')).toEqual([]);
  });
});
