// `node bench/profile.js [rounds] [steps]`: what the profiler costs. Trains W2's CNN (the CNN of
// `kiln bench`: Conv(32)-Pool-Conv(64)-Pool-Dense(128)-Dense(10) on 28x28x1, batch 64, Adam) in
// rounds (default 60) of three fits of `steps` steps (default 12): profiling off, on (per-op timers,
// the step per thread, memory), and off again. The order rotates every round, so that drift in
// the machine's speed hits every arm alike, and each round compares the arms it ran side by side
// (short rounds, so that the arms of a round mostly see the same load from other programs):
// the medians over rounds of on / off, with their interquartile ranges, are the overhead, and
// those of off / off the noise floor (profiling off costs a check per step, per op and per
// parallel loop, so the off arms are that path). Two clocks: the engine's wall time per step (the epoch's
// seconds over its steps), and the process's CPU time per step, which other programs on a shared
// machine disturb far less (the profiler's cost is work, so it shows there too). Then profiles
// the same steps once with `profileRun` and prints its breakdown, memory and step per thread, as a
// check that the timed ops account for the step. Prints figures; asserts nothing. Needs
// `npm run build:ts`.
import { cpus } from 'node:os';

const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
const { lowerModel, defaultTrainingConfig } = await import(out('common/model/index.js'));
const { loadAddon } = await import(out('electron/host/addon.js'));
const { profileRun } = await import(out('electron/host/profile/profileRun.js'));

const ROUNDS = Number(process.argv[2] ?? 60);
const STEPS = Number(process.argv[3] ?? 12);
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

/** Wall and CPU milliseconds per step of one epoch of STEPS steps; wall as the engine timed it. */
async function stepMs(profiling) {
  model.setProfiling(profiling);
  let seconds = 0;
  const cpu0 = process.cpuUsage();
  const result = await model.fit(data, { epochs: 1, batchSize: BATCH, shuffle: false }, (events) => {
    for (const e of events) if (e.type === 'epoch') seconds = e.seconds;
  });
  const cpu = process.cpuUsage(cpu0);
  return { wall: (seconds * 1000) / result.steps, cpu: (cpu.user + cpu.system) / 1000 / result.steps };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  return s[Math.floor(at)] + (s[Math.ceil(at)] - s[Math.floor(at)]) * (at - Math.floor(at));
};
/** Median and interquartile range of a / b - 1 over the rounds, in percent. */
function relative(a, b) {
  const xs = a.map((v, i) => (v / b[i] - 1) * 100);
  const f = (q) => quantile(xs, q).toFixed(2);
  return `${(quantile(xs, 0.5) >= 0 ? '+' : '') + f(0.5)} %`.padStart(9) + `  (interquartile ${f(0.25)} to ${f(0.75)})`;
}

console.log(`Kiln profiler overhead: W2 CNN, batch ${BATCH}, Adam, cpu backend, ${cpus().length} cores; ${ROUNDS} rounds of off / on / off, ${STEPS} steps each, order rotating`);
for (let i = 0; i < 2; i++) await stepMs(i === 1);  // warm-up: plans compiled, caches and scratch grown
const arms = ['off', 'on', 'off2'];
const runs = { off: [], on: [], off2: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < arms.length; k++) {
    const arm = arms[(round + k) % arms.length];
    runs[arm].push(await stepMs(arm === 'on'));
  }
}
for (const clock of ['wall', 'cpu']) {
  const [off, on, off2] = arms.map((arm) => runs[arm].map((r) => r[clock]));
  const range = (xs) => `${Math.min(...xs).toFixed(1)} to ${Math.max(...xs).toFixed(1)}`;
  console.log(`  ${clock === 'wall' ? 'wall time' : 'CPU time '}  off ${quantile(off, 0.5).toFixed(2)} ms per step, on ${quantile(on, 0.5).toFixed(2)} (medians; rounds from ${range(off)} off, ${range(on)} on)`);
  console.log(`    overhead on   ${relative(on, off)}   the issue's bound: under 3%`);
  console.log(`    noise floor   ${relative(off2, off)}   off against off`);
}

const report = await profileRun({ model: doc, training, data: { x: [{ shape: [n, 28, 28, 1], data: data.x }], y: [data.y] }, steps: STEPS * 2, windows: 4, peak: false });
const b = report.breakdown;
const share = (v) => `${((v / report.stepMs) * 100).toFixed(1)}%`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const m = report.memory.measured;
console.log(`\nprofileRun of ${report.steps} steps: ${report.stepMs.toFixed(2)} ms per step; ops ${share(report.opMs)}, data wait ${share(b.dataWait)}, between ops ${share(b.other)}`);
console.log(`  forward ${share(b.forward)}, backward ${share(b.backward)}, optimizer ${share(b.optimizer)}, loss and metrics ${share(b.lossMetrics)}; its own overhead figure: ${report.overhead.percent.toFixed(1)}% over ${report.overhead.rounds} rounds`);
console.log(`  memory measured: peak ${mib(m.peakBytes)} = step arena ${mib(m.arenaBytes)} + weights ${mib(m.weightBytes)} + optimizer ${mib(m.optimizerBytes)} + kernel scratch ${mib(m.scratchBytes)} + batches ${mib(m.batchBytes)}; estimated activations ${mib(report.memory.activationBytes)}`);
const t = report.timeline;
const busy = (thread) => t.spans.filter((s) => s.thread === thread).reduce((a, s) => a + s.endNs - s.startNs, 0);
console.log(`  step ${t.step} per thread, ${(t.stepNs / 1e6).toFixed(2)} ms: ${Array.from({ length: t.threads }, (_, k) => `${k === 0 ? 'training thread' : `worker ${k}`} busy ${((busy(k) / t.stepNs) * 100).toFixed(0)}%`).join(', ')}`);
