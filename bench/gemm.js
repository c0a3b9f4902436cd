// `node bench/gemm.js [size ...]`: float32 GEMM throughput of Kiln's CPU kernel on each path this
// CPU supports, next to PyTorch's torch.mm in the same run, both on 2 threads. Square sizes,
// 1024 by default. GFLOP/s = 2 m n k / seconds of the best run after warm-up. Prints figures
// and ratios; asserts nothing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addon = createRequire(import.meta.url)(process.env.KILN_ADDON ?? `${root}native/build/Release/kiln_native.node`);

const THREADS = 2;
const WARMUP = 3;
const ROUNDS = 5;
const RUNS = 4;
const sizes = process.argv.slice(2).map(Number).filter((s) => Number.isInteger(s) && s > 0);
if (sizes.length === 0) sizes.push(1024);

function random(count) {
  let s = 12345;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

// Best seconds of `runs` calls of Kiln's gemm.
async function timeKiln(size, isa, arrays, runs) {
  const { a, b, c } = arrays;
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await addon.gemm(false, false, size, size, size, 1, a, b, 0, c, { isa, threads: THREADS });
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

// PyTorch in one long-lived process: each input line "size runs" is answered with the best
// seconds of `runs` torch.mm calls (the first request for a size warms up first).
const TORCH_SERVER = `
import sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
print(torch.__version__, flush=True)
mats = {}
for line in sys.stdin:
    size, runs = map(int, line.split())
    if size not in mats:
        mats[size] = (torch.rand(size, size) * 2 - 1, torch.rand(size, size) * 2 - 1, torch.empty(size, size))
        for _ in range(int(sys.argv[2])):
            torch.mm(mats[size][0], mats[size][1], out=mats[size][2])
    a, b, c = mats[size]
    best = float('inf')
    for _ in range(runs):
        start = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    print(best, flush=True)
`;

// { version, time(size, runs), close() }, or { missing } when PyTorch cannot run.
async function startTorch() {
  const python = `${root}.venv/bin/python`;
  if (!existsSync(python)) return { missing: 'no .venv: python3 -m venv .venv && .venv/bin/pip install torch==2.13.0' };
  const child = spawn(python, ['-c', TORCH_SERVER, String(THREADS), String(WARMUP)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: String(THREADS), MKL_NUM_THREADS: String(THREADS) },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.on('error', (error) => (stderr += error.message));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`torch exited: ${stderr.trim().split('\n').at(-1)}`);
    return value;
  };
  try {
    return {
      version: await next(),
      time: async (size, runs) => {
        child.stdin.write(`${size} ${runs}\n`);
        return Number(await next());
      },
      close: () => child.stdin.end(),
    };
  } catch (error) {
    return { missing: error.message };
  }
}

const features = addon.cpuFeatures();
console.log(`Kiln GEMM bench: float32, row-major, C = A B, ${THREADS} threads, best of ${ROUNDS} rounds x ${RUNS} runs after warm-up`);
console.log(`CPU: avx2=${features.avx2} fma=${features.fma} avx512f=${features.avx512f}; paths: ${features.supported.join(', ')} (default ${features.selected})`);
const torch = await startTorch();
console.log(torch.missing ? `PyTorch: not measured (${torch.missing})\n` : `PyTorch ${torch.version}: torch.mm in a separate process\n`);

// Kiln and PyTorch take turns, round after round, so load from elsewhere on the machine hits
// both alike; each keeps its best time.
for (const size of sizes) {
  const arrays = { a: random(size * size), b: random(size * size), c: new Float32Array(size * size) };
  const best = new Map();
  const keep = (key, seconds) => best.set(key, Math.min(best.get(key) ?? Infinity, seconds));
  for (const isa of features.supported) await timeKiln(size, isa, arrays, WARMUP);
  for (let round = 0; round < ROUNDS; round++) {
    for (const isa of features.supported) keep(isa, await timeKiln(size, isa, arrays, RUNS));
    if (!torch.missing) keep('torch', await torch.time(size, RUNS));
  }
  const gflops = (key) => ((2 * size ** 3) / best.get(key) / 1e9).toFixed(1).padStart(8);
  console.log(`${size} x ${size} x ${size}`);
  for (const isa of features.supported) {
    const ratio = torch.missing ? '' : `   kiln/pytorch = ${(best.get('torch') / best.get(isa)).toFixed(2)}x`;
    console.log(`  kiln ${isa.padEnd(7)} ${gflops(isa)} GFLOP/s${ratio}`);
  }
  if (!torch.missing) console.log(`  pytorch      ${gflops('torch')} GFLOP/s`);
}
if (!torch.missing) torch.close();
