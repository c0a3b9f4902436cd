// `npm run bench`: training throughput of Kiln's native engine next to PyTorch and Keras, in the
// same run on the same machine. Prints figures and ratios; asserts nothing.
// Peers run from the Python virtual environment in .venv (torch, tensorflow-cpu); without it
// they are reported as missing, with the command that installs them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`);

const CASES = [
  { name: 'iris-mlp 4-16-3, batch 16', layers: [4, 16, 3], rows: 150, batch: 16, epochs: 400 },
  { name: 'mlp 64-256-256-10, batch 64', layers: [64, 256, 256, 10], rows: 4096, batch: 64, epochs: 5 },
];

function dataFor(c) {
  // Same sizes as the peers' data; the values do not change the arithmetic done.
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const x = Float32Array.from({ length: c.rows * c.layers[0] }, rand);
  const classes = c.layers.at(-1);
  const y = Int32Array.from({ length: c.rows }, (_, i) => i % classes);
  return { x, y };
}

async function benchKiln(c) {
  const layers = c.layers.slice(1).map((units, i) => ({ inputs: c.layers[i], units, activation: i < c.layers.length - 2 ? 'relu' : 'linear' }));
  const trainer = new addon.Trainer({ layers, seed: 0 });
  const { x, y } = dataFor(c);
  const options = { x, y, batchSize: c.batch, learningRate: 0.05, shuffle: true };
  await trainer.fit({ ...options, epochs: 1 }, () => {}); // warm-up
  const start = performance.now();
  const result = await trainer.fit({ ...options, epochs: c.epochs }, () => {});
  return result.steps / ((performance.now() - start) / 1000);
}

function benchPeers() {
  const python = `${root}.venv/bin/python`;
  if (!existsSync(python)) return { missing: 'python3 -m venv .venv && .venv/bin/pip install --retries 0 --timeout 2 torch==2.13.0 tensorflow-cpu==2.21.0' };
  const out = execFileSync(python, [`${root}bench/peers/mlp_train.py`, JSON.stringify(CASES)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1', TF_CPP_MIN_LOG_LEVEL: '3' } });
  return { results: out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) };
}

console.log(`Kiln bench: ${addon.version()}, 1 thread, float32, SGD, softmax cross-entropy\n`);
const kiln = {};
for (const c of CASES) kiln[c.name] = await benchKiln(c);
const peers = benchPeers();
for (const c of CASES) {
  console.log(c.name);
  console.log(`  kiln     ${kiln[c.name].toFixed(0).padStart(9)} steps/s`);
  if (peers.missing) {
    console.log(`  peers    not measured: create the venv first: ${peers.missing}`);
    continue;
  }
  for (const r of peers.results.filter((p) => p.case === c.name)) {
    const ratio = kiln[c.name] / r.steps_per_s;
    console.log(`  ${r.peer.padEnd(8)} ${r.steps_per_s.toFixed(0).padStart(9)} steps/s   kiln/${r.peer} = ${ratio.toFixed(2)}x`);
  }
}
