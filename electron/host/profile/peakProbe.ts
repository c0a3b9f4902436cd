/**
 * The machine's float32 peak for the roofline comparison: a short GEMM probe on the cpu backend's
 * kernel and thread pool (the ones training uses), at a few square sizes, best of a few runs each.
 * Measured once per machine, engine version and thread count, then read from
 * <config dir>/roofline.json.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { PeakInfo } from '../../../common/profile/index.js';
import { loadAddon, type NativeAddon } from '../addon.js';
import { kilnConfigDir } from '../project/configDir.js';
import { writeFileAtomic } from '../writeFileAtomic.js';

const SIZES = [256, 512, 1024];
const WARMUP = 2;
const RUNS = 5;
const CACHE_FILE = 'roofline.json';

interface PeakCache {
  format: 'kiln-roofline';
  peaks: Record<string, Omit<PeakInfo, 'cached'>>;
}

/** The binding also reports the CPU's features and the default pool's size (native/binding/gemm_binding.cpp). */
type ProbeAddon = NativeAddon & { cpuFeatures?(): { threads: number; selected: string } };

function pseudoRandom(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

async function bestGflops(addon: NativeAddon, n: number): Promise<number> {
  const a = pseudoRandom(n * n, 1), b = pseudoRandom(n * n, 2), c = new Float32Array(n * n);
  for (let i = 0; i < WARMUP; i++) await addon.gemm(false, false, n, n, n, 1, a, b, 0, c);
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await addon.gemm(false, false, n, n, n, 1, a, b, 0, c);
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
}

function readCache(path: string): PeakCache {
  try {
    const cache = JSON.parse(readFileSync(path, 'utf8')) as PeakCache;
    if (cache.format === 'kiln-roofline' && typeof cache.peaks === 'object' && cache.peaks !== null) return cache;
  } catch {
    // Missing or unreadable: measure again and rewrite it.
  }
  return { format: 'kiln-roofline', peaks: {} };
}

/** This machine's entry in the cache file of `configDir`. */
function cacheEntry(configDir: string | undefined) {
  const addon = loadAddon() as ProbeAddon;
  const features = addon.cpuFeatures?.();
  const threads = features?.threads ?? cpus().length;
  const key = [cpus()[0]?.model.trim() ?? 'cpu', features?.selected ?? '', `${threads} threads`, `engine ${addon.version()}`].join(' | ');
  const dir = configDir ?? kilnConfigDir();
  const path = join(dir, CACHE_FILE);
  return { addon, threads, key, dir, path, cache: readCache(path) };
}

/** The peak from the cache only (never measured: training may be running), or undefined. */
export function cachedPeak(options: { configDir?: string } = {}): PeakInfo | undefined {
  const { cache, key } = cacheEntry(options.configDir);
  const known = cache.peaks[key];
  return known ? { ...known, cached: true } : undefined;
}

/** The peak from the cache, or measured now (and cached) when absent or when `refresh`. */
export async function machinePeak(options: { configDir?: string; refresh?: boolean } = {}): Promise<PeakInfo> {
  const { addon, threads, key, dir, path, cache } = cacheEntry(options.configDir);
  const known = cache.peaks[key];
  if (known && !options.refresh) return { ...known, cached: true };

  const sizes: PeakInfo['sizes'] = [];
  for (const size of SIZES) sizes.push({ size, gflops: await bestGflops(addon, size) });
  const measured = { gflops: Math.max(...sizes.map((s) => s.gflops)), sizes, threads, measuredAt: new Date().toISOString() };
  cache.peaks[key] = measured;
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(cache, null, 2)}\n`);
  return { ...measured, cached: false };
}

/**
 * The GPU's peak for the roofline comparison when training runs there: cuBLAS products at a few
 * sizes through the cuda backend, float32 (no TF32) or, for mixed precision, bfloat16 operands.
 * Quick on a GPU, so measured every time rather than cached.
 */
export async function gpuPeak(dtype: 'float32' | 'bfloat16' = 'float32'): Promise<PeakInfo> {
  const addon = loadAddon();
  const sizes: PeakInfo['sizes'] = [];
  for (const size of [1024, 2048, 4096]) {
    const seconds = await addon.cudaTimeGemm({ dtype, m: size, n: size, k: size, repeats: 10 });
    sizes.push({ size, gflops: (2 * size ** 3) / seconds / 1e9 });
  }
  return { gflops: Math.max(...sizes.map((s) => s.gflops)), sizes, threads: 0, measuredAt: new Date().toISOString(), cached: false };
}
