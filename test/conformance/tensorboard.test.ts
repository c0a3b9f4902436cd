// Kiln's event files against real TensorBoard, both directions (test/conformance/tensorboard_logs.py):
// (a) a logdir Kiln writes is read by TensorBoard's EventAccumulator with every scalar at its
//     step and value (float32), the histogram and the hparams, and TensorBoard's own app lists
//     its runs in the HParams dashboard with their hyperparameters and metrics;
// (b) a logdir Keras's TensorBoard callback writes is read by Kiln with the values TensorBoard reads;
// (c) a logdir PyTorch's SummaryWriter writes (old-style values) likewise, if torch is installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionEndStatus, type HistogramBucket } from '../../common/formats/tfevents/index.js';
import { EventsFile } from '../../electron/host/runs/eventsFile.js';
import { readLogdir, type LogdirRun } from '../../electron/host/runs/LogdirReader.js';
import { tensorboardMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = `${root}.venv/bin/python`;

const missing = tensorboardMissing();

/** [step, wallTime, value] per tag, as TensorBoard reports them. */
type TbScalars = Record<string, [number, number, number][]>;
interface TbRun { scalars: TbScalars; histograms: Record<string, [number, number[][]][]>; plugins: Record<string, string> }
interface TbOutput {
  kiln: Record<string, TbRun>;
  kilnApp: {
    runs: string[];
    experiment: { hparamInfos: { name: string; type: string }[]; metricInfos: { name: { group?: string; tag: string } }[] };
    sessionGroups: { sessionGroups: { name: string; hparams: Record<string, unknown>; sessions: { name: string; status?: string }[]; metricValues: { name: { group?: string; tag: string }; value: number; trainingStep: number }[] }[] };
    scalars: [number, number, number][];
    histograms: [number, number, number[][]][];
  };
  keras: Record<string, TbRun>;
  torch: Record<string, TbRun> | null;
  torchMissing: string | null;
}

// What Kiln writes: values of every size and sign; steps up to 2^53 - 1 in a run of their own,
// since the HParams dashboard keeps a metric's step as int32 (api.proto's MetricValue) and fails
// on a session whose steps pass 2^31.
const STEPS = [0, 1, 2, 1000, 65539];
const LOSS = [2.5, 1.0000001, -0.3, 1e-30, 3.4e38];
const ACCURACY = [0.1, 0.25, 0.5, 0.875, 1];
const LONG_STEPS = [2 ** 31 + 5, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
const WEIGHTS = Array.from({ length: 200 }, (_, i) => Math.sin(i) * (1 + i / 100));
const BASELINE = { lr: 0.01, optimizer: 'adam', batch_size: 32, augment: true };
const WIDE = { lr: 0.1, optimizer: 'sgd', batch_size: 64, augment: false };

function writeKilnLogdir(logdir: string): { wallTimes: number[] } {
  let clock = 1700000000.125;
  const now = () => (clock += 0.5);
  const wallTimes: number[] = [];
  const baseline = EventsFile.create(join(logdir, 'baseline'), { now });
  baseline.events.hparams({ kind: 'sessionStart', sessionStart: { hparams: BASELINE, startTimeSecs: clock } });
  STEPS.forEach((step, i) => {
    wallTimes.push(now());
    baseline.events.scalars(step, { loss: LOSS[i], accuracy: ACCURACY[i] }, wallTimes[i]);
    if (i === 1) baseline.flush();  // appends go on after a flush
  });
  baseline.events.histogram('dense/kernel', WEIGHTS, 1000);
  baseline.events.text('notes', 'a *Kiln* run', 0);
  baseline.events.hparams({ kind: 'sessionEnd', sessionEnd: { status: SessionEndStatus.SUCCESS, endTimeSecs: now() } });
  baseline.close();
  const validation = EventsFile.create(join(logdir, 'baseline', 'validation'), { now });
  validation.events.scalar('loss', 3, 0);
  validation.events.scalar('loss', 2, 1000);
  validation.close();
  const long = EventsFile.create(join(logdir, 'long'), { now });
  LONG_STEPS.forEach((step, i) => long.events.scalar('loss', -i - 0.5, step));
  long.close();
  const wide = EventsFile.create(join(logdir, 'wide'), { now });
  wide.events.hparams({ kind: 'sessionStart', sessionStart: { hparams: WIDE } });
  wide.events.scalar('loss', 9.5, 0);
  wide.events.scalar('loss', 4.25, 10);
  wide.close();
  return { wallTimes };
}

const rows = (buckets: HistogramBucket[]) => buckets.map((b) => [b.left, b.right, b.count]);
const kilnScalars = (run: LogdirRun) => Object.fromEntries([...run.series.scalars].map(([tag, points]) => [tag, points.map((p) => [p.step, p.wallTime, p.value])]));
const kilnHistograms = (run: LogdirRun) => Object.fromEntries([...run.series.histograms].map(([tag, points]) => [tag, points.map((p) => [p.step, rows(p.buckets)])]));

describe.skipIf(missing !== null && !process.env.CI)(`TensorBoard reads Kiln's event files, Kiln reads TensorBoard's${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  let tb: TbOutput;
  let written: { wallTimes: number[] };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-tensorboard-'));
    written = writeKilnLogdir(join(dir, 'kiln'));
    const out = execFileSync(python, [`${root}test/conformance/tensorboard_logs.py`, join(dir, 'kiln'), join(dir, 'keras'), join(dir, 'torch')], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    });
    tb = JSON.parse(out) as TbOutput;
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('(a) EventAccumulator reads every Kiln scalar at its step and float32 value, the histogram, text and hparams', () => {
    expect(Object.keys(tb.kiln)).toEqual(['baseline', 'baseline/validation', 'long', 'wide']);
    const baseline = tb.kiln.baseline;
    expect(baseline.scalars.loss).toEqual(STEPS.map((step, i) => [step, written.wallTimes[i], Math.fround(LOSS[i])]));
    expect(baseline.scalars.accuracy).toEqual(STEPS.map((step, i) => [step, written.wallTimes[i], Math.fround(ACCURACY[i])]));
    expect(tb.kiln['baseline/validation'].scalars.loss.map(([step, , value]) => [step, value])).toEqual([[0, 3], [1000, 2]]);
    expect(tb.kiln.wide.scalars.loss.map(([step, , value]) => [step, value])).toEqual([[0, 9.5], [10, 4.25]]);
    expect(tb.kiln.long.scalars.loss.map(([step, , value]) => [step, value])).toEqual([[2 ** 31 + 5, -0.5], [2 ** 40 + 3, -1.5], [Number.MAX_SAFE_INTEGER, -2.5]]);
    expect(baseline.plugins).toEqual({
      loss: 'scalars', accuracy: 'scalars', 'dense/kernel': 'histograms', notes: 'text',
      '_hparams_/session_start_info': 'hparams', '_hparams_/session_end_info': 'hparams',
    });
    const [[step, buckets]] = baseline.histograms['dense/kernel'];
    expect(step).toBe(1000);
    expect(buckets.length).toBe(30);
    expect(buckets.reduce((n, b) => n + b[2], 0)).toBe(WEIGHTS.length);
    expect(buckets[0][0]).toBe(Math.min(...WEIGHTS));
    expect(buckets[29][1]).toBe(Math.max(...WEIGHTS));

    // Kiln's own reader agrees with TensorBoard's on every run.
    const kiln = readLogdir(join(dir, 'kiln'));
    expect(kiln.map((r) => r.name)).toEqual(Object.keys(tb.kiln));
    for (const run of kiln) {
      expect(kilnScalars(run), run.name).toEqual(tb.kiln[run.name].scalars);
      expect(kilnHistograms(run), run.name).toEqual(tb.kiln[run.name].histograms);
    }
    expect(kiln[0].series.texts.get('notes')![0].text).toBe('a *Kiln* run');
  });

  it('(a) TensorBoard\'s HParams dashboard lists each Kiln run with its hyperparameters and metrics', () => {
    const app = tb.kilnApp;
    expect([...app.runs].sort()).toEqual(['baseline', 'baseline/validation', 'long', 'wide']);
    expect(app.experiment.hparamInfos.map((h) => [h.name, h.type]).sort()).toEqual([
      ['augment', 'DATA_TYPE_BOOL'], ['batch_size', 'DATA_TYPE_FLOAT64'], ['lr', 'DATA_TYPE_FLOAT64'], ['optimizer', 'DATA_TYPE_STRING'],
    ]);
    expect(app.experiment.metricInfos.map((m) => `${m.name.group ?? ''}:${m.name.tag}`).sort()).toEqual([':accuracy', ':loss', 'validation:loss']);
    const groups = Object.fromEntries(app.sessionGroups.sessionGroups.map((g) => [g.sessions[0].name, g]));
    expect(Object.keys(groups).sort()).toEqual(['baseline', 'wide']);
    expect(groups.baseline.hparams).toEqual(BASELINE);
    expect(groups.wide.hparams).toEqual(WIDE);
    expect(groups.baseline.sessions[0].status).toBe('STATUS_SUCCESS');
    const metric = (name: string, group: string, tag: string) => groups[name].metricValues.find((m) => (m.name.group ?? '') === group && m.name.tag === tag);
    expect(metric('baseline', '', 'loss')).toMatchObject({ value: Math.fround(LOSS[LOSS.length - 1]), trainingStep: STEPS[STEPS.length - 1] });
    expect(metric('baseline', 'validation', 'loss')).toMatchObject({ value: 2, trainingStep: 1000 });
    expect(metric('wide', '', 'loss')).toMatchObject({ value: 4.25, trainingStep: 10 });
    // The scalars and histograms dashboards' own routes: [wall time, step, value].
    expect(app.scalars).toEqual(STEPS.map((step, i) => [written.wallTimes[i], step, Math.fround(LOSS[i])]));
    expect(app.histograms.map(([, step, buckets]) => [step, buckets])).toEqual(tb.kiln.baseline.histograms['dense/kernel']);
  });

  it('(b) Kiln reads a Keras TensorBoard callback\'s logdir with the values and steps TensorBoard reads', () => {
    expect(Object.keys(tb.keras)).toEqual(['train', 'validation']);
    expect(Object.keys(tb.keras.train.scalars)).toEqual(expect.arrayContaining(['epoch_loss', 'epoch_mae']));
    expect(Object.keys(tb.keras.validation.scalars)).toEqual(expect.arrayContaining(['epoch_loss', 'epoch_mae']));
    expect(Object.keys(tb.keras.train.histograms).length).toBeGreaterThanOrEqual(4);
    const kiln = readLogdir(join(dir, 'keras'));
    expect(kiln.map((r) => [r.name, r.split, r.group])).toEqual([['train', 'train', '.'], ['validation', 'validation', '.']]);
    for (const run of kiln) {
      expect(run.errors).toEqual([]);
      expect(kilnScalars(run), run.name).toEqual(tb.keras[run.name].scalars);
      expect(kilnHistograms(run), run.name).toEqual(tb.keras[run.name].histograms);
    }
    expect(kiln[0].series.scalars.get('epoch_loss')!.map((p) => p.step)).toEqual([0, 1]);
  });

  it('(c) Kiln reads PyTorch SummaryWriter\'s old-style scalars and histograms as TensorBoard does', (ctx) => {
    if (!tb.torch) {
      ctx.skip(`torch is not usable in .venv: ${tb.torchMissing}`);
      return;
    }
    const kiln = readLogdir(join(dir, 'torch'));
    expect(kiln.map((r) => r.name)).toEqual(Object.keys(tb.torch));
    const [run] = kiln;
    const ref = tb.torch[run.name];
    expect(Object.keys(ref.scalars).sort()).toEqual(['loss', 'lr']);
    expect(kilnScalars(run)).toEqual(ref.scalars);
    expect(ref.scalars.loss.map(([step]) => step)).toEqual([0, 10, 20, 30, 40]);
    // TensorBoard converts old-style histograms to float32 [k, 3] buckets (data_compat.py).
    const histograms = kilnHistograms(run) as Record<string, [number, number[][]][]>;
    expect(Object.keys(histograms)).toEqual(['weights']);
    expect(histograms.weights.map(([step, b]) => [step, b.map((row) => row.map(Math.fround))])).toEqual(ref.histograms.weights);
  });
});
