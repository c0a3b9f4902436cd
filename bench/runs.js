// `node bench/runs.js`: the run store at scale. Generates (once, kept in the temp folder for the
// next time) a logdir of 200 Kiln runs, each with run.json and a train/ event file of 10 scalar
// tags x 20,000 steps written with Kiln's EventWriter (about 9 MB a run, 1.8 GB in all), then
// measures with the real RunsService, as the dashboard calls it:
//   1. listing the runs (openLogdir);
//   2. the first chart: 1 run, 1 tag, TensorBoard's EMA (0.6) over every point, downsampled to 1000;
//   3. overlaying 20 other runs on that chart (20 series);
//   4. the same overlay again (served from the store's cache);
// with the host's memory (RSS and JS heap) after each. The target is under 1 s for each of 1-3.
// Files are read from the OS's page cache when it holds them (it does right after generating).
// Prints figures; asserts nothing. Needs `npm run build:ts`. Options: --runs N, --steps N,
// --dir PATH (the logdir; default in the temp folder).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
const { EventWriter } = await import(out('common/formats/tfevents/index.js'));
const { defaultModel, defaultTrainingConfig } = await import(out('common/model/index.js'));
const { RunsService } = await import(out('electron/host/RunsService.js'));
const { RunLauncher } = await import(out('electron/host/runs/RunLauncher.js'));
const { LiveRuns } = await import(out('electron/host/runs/LiveRuns.js'));

const { values } = parseArgs({ options: { runs: { type: 'string' }, steps: { type: 'string' }, dir: { type: 'string' } } });
const RUNS = Number(values.runs ?? 200);
const STEPS = Number(values.steps ?? 20_000);
const TAGS = ['batch_loss', 'batch_accuracy', 'batch_top5_accuracy', 'batch_mae', 'batch_mse', 'batch_precision', 'batch_recall', 'batch_auc', 'batch_samples_per_second', 'batch_step_seconds'];
const logdir = values.dir ?? join(tmpdir(), `kiln-bench-runs-${RUNS}x${TAGS.length}x${STEPS}`);
const marker = join(logdir, '.complete');

/** One run: run.json as Kiln writes it, and its train/ events. */
function writeRun(k) {
  const name = `run-${String(k).padStart(3, '0')}`;
  const dir = join(logdir, name);
  mkdirSync(join(dir, 'train'), { recursive: true });
  const start = 1700000000 + k * 3600;
  const w = new EventWriter({ now: () => start });
  const lr = 0.001 * (1 + (k % 7));
  for (let step = 1; step <= STEPS; step++) {
    const t = step / STEPS;
    const noise = Math.sin(step * 12.9898 + k * 78.233) * 0.05;
    const loss = 2.3 * Math.exp(-3 * t * (1 + lr * 100)) + 0.1 + noise;
    const v = {};
    TAGS.forEach((tag, i) => { v[tag] = i === 0 ? loss : i < 8 ? 1 - loss / (2.4 + i) : i === 8 ? 5000 + 100 * noise : 0.006 + noise / 100; });
    w.scalars(step, v, start + step * 0.05);
  }
  writeFileSync(join(dir, 'train', `events.out.tfevents.${start}.bench.${k}.kiln`), w.take());
  const created = new Date(start * 1000).toISOString();
  const ended = new Date((start + STEPS * 0.05) * 1000).toISOString();
  const training = { ...defaultTrainingConfig(), optimizer: { type: 'adam', learningRate: lr }, epochs: 20 };
  writeFileSync(join(dir, 'run.json'), JSON.stringify({
    format: 'kiln-run', version: 2, name, status: 'completed', createdAt: created, updatedAt: ended, endedAt: ended,
    data: 'sample:mnist', model: defaultModel(), training, samples: { train: STEPS * 32 / 20, validation: 0 },
    dataFingerprint: 'sha256:bench', dataWaitSeconds: [], epochs: 20, epochsDone: 20, steps: STEPS, stepsPerEpoch: STEPS / 20,
    history: [], final: { loss: 0.1, accuracy: 0.9 }, checkpoints: {},
    tags: TAGS.map((tag) => ({ tag, splits: ['train'] })), has: { histograms: false, confusion: false, misclassified: false }, notes: [],
  }));
}

if (!existsSync(marker) || readFileSync(marker, 'utf8') !== JSON.stringify({ RUNS, STEPS, TAGS })) {
  rmSync(logdir, { recursive: true, force: true });
  mkdirSync(logdir, { recursive: true });
  const t0 = performance.now();
  for (let k = 0; k < RUNS; k++) writeRun(k);
  writeFileSync(marker, JSON.stringify({ RUNS, STEPS, TAGS }));
  console.log(`generated ${RUNS} runs x ${TAGS.length} tags x ${STEPS} steps in ${logdir} (${((performance.now() - t0) / 1000).toFixed(0)} s, not counted)`);
} else {
  console.log(`reusing ${logdir}`);
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const memory = () => {
  const m = process.memoryUsage();
  return `RSS ${mb(m.rss)}, heap ${mb(m.heapUsed)}`;
};
const timed = async (label, f) => {
  const t0 = performance.now();
  const result = await f();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(46)} ${ms.toFixed(0).padStart(6)} ms   ${memory()}`);
  return result;
};

const live = new LiveRuns();
const emit = () => {};
const launcher = new RunLauncher(emit, { baseDir: process.cwd(), logdir, live });
const service = new RunsService({ launcher, live, emit });
console.log(`${'start'.padEnd(46)} ${''.padStart(6)}      ${memory()}`);
const listed = await timed(`list ${RUNS} runs`, () => service.openLogdir({ logdir }));
const chart = { tags: ['batch_loss'], xAxis: 'step', smoothing: 0.6, smoothingKind: 'ema', width: 1000 };
const ids = listed.runs.map((r) => r.id);
const [first] = await timed('first chart (1 run, 1 tag, EMA, 1000 wide)', () => service.scalars({ ...chart, runs: [ids[0]] }));
const overlay = ids.slice(1, 21);
const series = await timed(`overlay ${overlay.length} runs (${overlay.length} series)`, () => service.scalars({ ...chart, runs: overlay }));
await timed(`the same overlay again (cached)`, () => service.scalars({ ...chart, runs: overlay }));
console.log(`each series: ${first.count} points -> ${first.raw.x.length} drawn (downsampled: ${first.downsampled}); ${series.length} series overlaid`);
