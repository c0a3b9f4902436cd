// `node bench/gemm.js [size ...]`: float32 GEMM throughput of Kiln's CPU kernel on each path this
// CPU supports, next to PyTorch's torch.mm in the same run, both on 2 threads. Square sizes,
// 1024 by default. GFLOP/s = 2 m n k / seconds, best of several runs after warm-up. Prints
// figures and ratios; asserts nothing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addon = createRequire(import.meta.url)(process.env.KILN_ADDON ?? `${root}native/build/Release/kiln_native.node`);

const THREADS = 2;
const WARMUP = 3;
const RUNS = 10;
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

async function benchKiln(size, isa) {
  const a = random(size * size);
  const b = random(size * size);
  const c = new Float32Array(size * size);
  const run = () => addon.gemm(false, false, size, size, size, 1, a, b, 0, c, { isa, threads: THREADS });
  for (let i = 0; i < WARMUP; i++) await run();
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return (2 * size ** 3) / best / 1e9;
}

const TORCH_SNIPPET = `
import json, sys, time, torch
threads, warmup, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
for size in json.loads(sys.argv[4]):
    a = torch.rand(size, size) * 2 - 1
    b = torch.rand(size, size) * 2 - 1
    c = torch.empty(size, size)
    for _ in range(warmup):
        torch.mm(a, b, out=c)
    best = float('inf')
    for _ in range(runs):
        start = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({'size': size, 'gflops': 2 * size ** 3 / best / 1e9, 'torch': torch.__version__}))
`;

function benchTorch() {
  const python = `${root}.venv/bin/python`;
  if (!existsSync(python)) return { missing: 'python3 -m venv .venv && .venv/bin/pip install torch==2.13.0' };
  try {
    const out = execFileSync(python, ['-c', TORCH_SNIPPET, String(THREADS), String(WARMUP), String(RUNS), JSON.stringify(sizes)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: String(THREADS), MKL_NUM_THREADS: String(THREADS) },
    });
    const results = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    return { results: new Map(results.map((r) => [r.size, r])) };
  } catch (error) {
    return { missing: `torch failed: ${String(error.stderr ?? error.message).trim().split('\n').at(-1)}` };
  }
}

function bestOf(x, y) {
  if (!x.results || !y.results) return x.results ? x : y;
  const results = new Map(x.results);
  for (const [size, r] of y.results) if (!(results.get(size)?.gflops >= r.gflops)) results.set(size, r);
  return { results };
}

const features = addon.cpuFeatures();
console.log(`Kiln GEMM bench: float32, row-major, C = A B, ${THREADS} threads, best of ${RUNS} after ${WARMUP} warm-up runs`);
console.log(`CPU: avx2=${features.avx2} fma=${features.fma} avx512f=${features.avx512f}; paths: ${features.supported.join(', ')} (default ${features.selected})\n`);

// PyTorch runs before and after Kiln and keeps its better figure, so a burst of load from
// elsewhere on the machine does not flatter Kiln's ratio.
const torchBefore = benchTorch();
const kiln = new Map();
for (const size of sizes) {
  for (const isa of features.supported) kiln.set(`${size}/${isa}`, await benchKiln(size, isa));
}
const torch = bestOf(torchBefore, benchTorch());

for (const size of sizes) {
  console.log(`${size} x ${size} x ${size}`);
  const peer = torch.results?.get(size);
  for (const isa of features.supported) {
    const gflops = kiln.get(`${size}/${isa}`);
    const ratio = peer ? `   kiln/pytorch = ${(gflops / peer.gflops).toFixed(2)}x` : '';
    console.log(`  kiln ${isa.padEnd(7)} ${gflops.toFixed(1).padStart(8)} GFLOP/s${ratio}`);
  }
  if (peer) console.log(`  pytorch ${peer.torch.padEnd(4)} ${peer.gflops.toFixed(1).padStart(8)} GFLOP/s (torch.mm)`);
  else console.log(`  pytorch  not measured: ${torch.missing}`);
}
