// `node bench/profile.js [rounds] [steps]`: what the profiler costs. Trains W2's CNN (the CNN of
// `kiln bench`: Conv(32)-Pool-Conv(64)-Pool-Dense(128)-Dense(10) on 28x28x1, batch 64, Adam) in
// rounds of `steps` steps (default 9 rounds of 20) with the engine's per-op timers off and on,
// taking turns (off first on even rounds, on first on odd ones) so that load from elsewhere on the
// machine hits both alike, and prints samples/s of each (median over rounds) and the overhead.
// Off, the executor skips the timers entirely (one null check per op); the "off" rounds are that
// path. Also profiles the same steps once with `profileRun` and prints its breakdown, as a check
// that the timed ops account for the step. Prints figures; asserts nothing. Needs `npm run build:ts`.
import { cpus } from 'node:os';

const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
const { lowerModel, defaultTrainingConfig } = await import(out('common/model/index.js'));
const { loadAddon } = await import(out('electron/host/addon.js'));
const { profileRun } = await import(out('electron/host/profile/profileRun.js'));

const ROUNDS = Number(process.argv[2] ?? 9);
const STEPS = Number(process.argv[3] ?? 20);
const BATCH = 64;

const layers = [
  ['Conv2D', { filters: 32, kernel_size: 3, activation: 'relu' }],
  ['MaxPooling2D', {}],
  ['Conv2D', { filters: 64, kernel_size: 3, activation: 'relu' }],
  ['MaxPooling2D', {}],
  ['Flatten', {}],
  ['Dense', { units: 128, activation: 'relu' }],
  ['Dense', { units: 10 }],
];
const doc = { layers: [{ id: 'x', name: 'x', type: 'Input', params: { shape: [28, 28, 1] } }], edges: [] };
layers.forEach(([type, params], i) => {
  const id = `${type.toLowerCase()}_${i + 1}`;
  doc.edges.push({ from: doc.layers.at(-1).id, to: id });
  doc.layers.push({ id, name: id, type, params });
});
const training = { ...defaultTrainingConfig(), loss: { type: 'sparse_categorical_crossentropy', fromLogits: true }, metrics: [], optimizer: { type: 'adam' }, batchSize: BATCH, seed: 1 };
const lowered = lowerModel(doc, training);
if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));

function randomData(count, seed) {
  let s = seed >>> 0;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = (s / 2 ** 32) * 2 - 1;
  }
  return values;
}

const n = BATCH * STEPS;
const data = { x: randomData(n * 784, 7), y: Int32Array.from({ length: n }, (_, i) => i % 10) };
const model = new (loadAddon().Model)(lowered.spec);

async function samplesPerSecond(profiling) {
  model.setProfiling(profiling);
  const start = performance.now();
  const result = await model.fit(data, { epochs: 1, batchSize: BATCH, shuffle: false });
  return (result.steps * BATCH) / ((performance.now() - start) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

console.log(`Kiln profiler overhead: W2 CNN, batch ${BATCH}, Adam, cpu backend, ${cpus().length} cores; ${ROUNDS} rounds of ${STEPS} steps, off and on taking turns`);
await samplesPerSecond(false);  // warm-up: plans compiled, caches warm
const off = [];
const on = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    off.push(await samplesPerSecond(false));
    on.push(await samplesPerSecond(true));
  } else {
    on.push(await samplesPerSecond(true));
    off.push(await samplesPerSecond(false));
  }
}
const [offMedian, onMedian] = [median(off), median(on)];
const fmt = (xs) => xs.map((v) => v.toFixed(0)).join(' ');
console.log(`  profiling off  ${offMedian.toFixed(0).padStart(7)} samples/s  (rounds: ${fmt(off)})`);
console.log(`  profiling on   ${onMedian.toFixed(0).padStart(7)} samples/s  (rounds: ${fmt(on)})`);
console.log(`  overhead       ${((offMedian / onMedian - 1) * 100).toFixed(2).padStart(7)} %  (time per step, on vs off; the issue's bound: under 3%)`);

const report = await profileRun({ model: doc, training, data: { x: [{ shape: [n, 28, 28, 1], data: data.x }], y: [data.y] }, steps: STEPS * 2, windows: 4, peak: false });
const b = report.breakdown;
const share = (ms) => `${((ms / report.stepMs) * 100).toFixed(1)}%`;
console.log(`\nprofileRun of ${report.steps} steps: ${report.stepMs.toFixed(2)} ms per step; ops ${share(report.opMs)}, data wait ${share(b.dataWait)}, between ops ${share(b.other)}`);
console.log(`  forward ${share(b.forward)}, backward ${share(b.backward)}, optimizer ${share(b.optimizer)}, loss and metrics ${share(b.lossMetrics)}; its own overhead figure: ${report.overhead.percent.toFixed(1)}% over ${report.overhead.rounds} rounds`);
