// Builds the CUDA plugin (native/build/cuda/libkiln_cuda.so) from native/backends/cuda/*.cu with
// nvcc, when nvcc is on PATH; otherwise says so and exits 0, since the app runs without it (on
// the cpu backend). The engine loads the plugin at run time: nothing else links against CUDA.
//
//   node scripts/buildCuda.js [--out DIR] [--archs 80,90] [--jobs N]
//
// Default: SASS for sm_80 (A100) and sm_90 (H100/H200) plus sm_90 PTX that newer GPUs compile
// on first use. The CUDA runtime is linked statically: the plugin needs only the driver
// (libcuda.so.1) and cuBLAS, which it dlopens itself.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'native', 'backends', 'cuda');

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'native', 'build', 'cuda') },
    archs: { type: 'string', default: '80,90' },
    jobs: { type: 'string', default: String(cpus().length) },
  },
});

if (process.platform !== 'linux') {
  console.log(`CUDA plugin: skipped (only built on Linux; this is ${process.platform})`);
  process.exit(0);
}
if (spawnSync('nvcc', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('CUDA plugin: skipped (nvcc is not on PATH; the app will train on the CPU)');
  process.exit(0);
}

const archs = values.archs.split(',').map((a) => a.trim().replace(/^sm_/, '')).filter(Boolean);
if (archs.length === 0 || archs.some((a) => !/^\d+$/.test(a))) {
  console.error(`CUDA plugin: --archs must list compute capabilities such as 80,90 (got '${values.archs}')`);
  process.exit(2);
}
const gencode = archs.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
gencode.push('-gencode', `arch=compute_${archs.at(-1)},code=compute_${archs.at(-1)}`);
const flags = [
  '-std=c++17', '-O3', '--fmad=false', // no fused multiply-add: the reference's rounding (as -ffp-contract=off on the CPU)
  '-Xcompiler', '-fPIC,-fvisibility=hidden',
  '-I', join(root, 'native', 'backends'), '-I', join(root, 'native', 'include'), '-I', sources,
  ...gencode,
];

const out = resolve(values.out);
const objects = join(out, 'obj');
mkdirSync(objects, { recursive: true });
const units = readdirSync(sources).filter((f) => f.endsWith('.cu')).sort();

function run(args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn('nvcc', args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`nvcc ${args.join(' ')} exited with ${code}`))));
  });
}

const started = Date.now();
const queue = [...units];
const workers = Array.from({ length: Math.max(1, Math.min(Number(values.jobs) || 1, queue.length)) }, async () => {
  for (let unit = queue.shift(); unit; unit = queue.shift()) {
    await run([...flags, '-c', join(sources, unit), '-o', join(objects, unit.replace(/\.cu$/, '.o'))]);
  }
});
try {
  await Promise.all(workers);
  const library = join(out, 'libkiln_cuda.so');
  await run(['-shared', '-cudart', 'static', ...gencode, '-o', library, ...units.map((u) => join(objects, u.replace(/\.cu$/, '.o')))]);
  console.log(`CUDA plugin: built ${library} for sm_${archs.join(', sm_')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  console.error(`CUDA plugin: build failed: ${error.message}`);
  process.exit(1);
}
