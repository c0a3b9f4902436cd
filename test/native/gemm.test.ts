// Tests of the CPU GEMM (native/backends/cpu/gemm.cpp) through its JS binding
// (native/binding/gemm_binding.cpp), against a float64 reference computed here.
// Needs the addon built: `npx node-gyp rebuild --directory native`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Isa = 'scalar' | 'avx2' | 'avx512';
interface GemmOptions { threads?: number; isa?: Isa }
interface CpuFeatures { avx2: boolean; fma: boolean; avx512f: boolean; selected: Isa; supported: Isa[]; threads: number }
interface KilnGemm {
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array,
    b: Float32Array, beta: number, c: Float32Array, options?: GemmOptions): Promise<void>;
  gemmBatched(transA: boolean, transB: boolean, batch: number, m: number, n: number, k: number, alpha: number,
    a: Float32Array, b: Float32Array, beta: number, c: Float32Array, options?: GemmOptions): Promise<void>;
  cpuFeatures(): CpuFeatures;
}

// KILN_ADDON points the suite at another build of the addon (e.g. a scratch build).
const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as KilnGemm;
const features = addon.cpuFeatures();

function random(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

interface Problem { ta: boolean; tb: boolean; m: number; n: number; k: number; alpha: number; beta: number; a: Float32Array; b: Float32Array; c: Float32Array }

function problem(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number, seed = 1): Problem {
  return { ta, tb, m, n, k, alpha, beta, a: random(m * k, seed), b: random(k * n, seed + 1), c: random(m * n, seed + 2) };
}

// float64 reference: the expected C, and for each element the scale of its rounding error
// (|alpha| * sum |a_ip b_pj| + |beta c_ij|).
function reference(p: Problem): { expected: Float64Array; scale: Float64Array } {
  const { ta, tb, m, n, k, alpha, beta, a, b, c } = p;
  const expected = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let q = 0; q < k; q++) {
        const x = (ta ? a[q * m + i] : a[i * k + q]) * (tb ? b[j * k + q] : b[q * n + j]);
        sum += x;
        abs += Math.abs(x);
      }
      const c0 = beta === 0 ? 0 : beta * c[i * n + j];
      expected[i * n + j] = alpha * sum + c0;
      scale[i * n + j] = Math.abs(alpha) * abs + Math.abs(c0);
    }
  }
  return { expected, scale };
}

// Largest error relative to the error scale; must stay under 1e-5 * sqrt(k).
function worstError(actual: Float32Array, ref: { expected: Float64Array; scale: Float64Array }): number {
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - ref.expected[i]) / Math.max(ref.scale[i], 1e-30);
    if (!(err <= worst)) worst = err; // NaN sticks
  }
  return worst;
}

function tolerance(k: number): number {
  return 1e-5 * Math.sqrt(Math.max(k, 1));
}

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [33, 65, 17],
  [128, 96, 300],
  [15, 33, 64], // m, n just past multiples of every micro-tile
  [200, 150, 70], // big enough to run threaded, with ragged tasks
  [37, 45, 800], // k spans several cache blocks: beta applies to the first only
  [9, 2100, 20], // n spans several cache blocks
  [5, 9, 0], // k = 0: C = beta * C
  [0, 4, 3], // empty C
];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
const SCALARS: [number, number][] = [[1, 0], [0.5, 2]];

describe('cpuFeatures', () => {
  it('reports the detected features and the selected path', () => {
    expect(typeof features.avx2).toBe('boolean');
    expect(typeof features.fma).toBe('boolean');
    expect(typeof features.avx512f).toBe('boolean');
    expect(features.supported[0]).toBe('scalar');
    expect(features.supported).toContain(features.selected);
    expect(features.supported.includes('avx2')).toBe(features.avx2 && features.fma);
    expect(features.threads).toBeGreaterThanOrEqual(1);
  });

  it('KILN_CPU_ISA forces a lower path, and never a higher one', () => {
    const best = features.supported.at(-1);
    const selectedWith = (value: string): string => {
      const script = `console.log(require(${JSON.stringify(addonPath)}).cpuFeatures().selected)`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, KILN_CPU_ISA: value } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    expect(selectedWith('scalar')).toBe('scalar');
    expect(selectedWith('avx2')).toBe(features.supported.includes('avx2') ? 'avx2' : 'scalar');
    expect(selectedWith('avx512')).toBe(best);
    expect(selectedWith('nonsense')).toBe(best);
  });
});

describe('gemm matches a float64 reference', () => {
  for (const [m, n, k] of SIZES) {
    for (const [ta, tb] of TRANSPOSES) {
      for (const [alpha, beta] of SCALARS) {
        const name = `${m}x${n}x${k} transA=${ta} transB=${tb} alpha=${alpha} beta=${beta}`;
        it(name, async () => {
          const p = problem(ta, tb, m, n, k, alpha, beta, m * 7 + n * 3 + k);
          const ref = reference(p);
          for (const isa of features.supported) {
            for (const threads of [1, 2]) {
              const c = p.c.slice();
              await addon.gemm(ta, tb, m, n, k, alpha, p.a, p.b, beta, c, { isa, threads });
              expect(worstError(c, ref), `${isa}, ${threads} threads`).toBeLessThan(tolerance(k));
            }
          }
        });
      }
    }
  }

  it('runs with no options on the selected path and all threads', async () => {
    const p = problem(false, false, 150, 130, 90, 1, 0);
    const c = p.c.slice();
    await addon.gemm(false, false, 150, 130, 90, 1, p.a, p.b, 0, c);
    expect(worstError(c, reference(p))).toBeLessThan(tolerance(90));
  });

  it('gives the same bits on 1 and 2 threads', async () => {
    for (const isa of features.supported) {
      const p = problem(true, false, 300, 170, 500, 1, 0);
      const c1 = new Float32Array(300 * 170);
      const c2 = new Float32Array(300 * 170);
      await addon.gemm(true, false, 300, 170, 500, 1, p.a, p.b, 0, c1, { isa, threads: 1 });
      await addon.gemm(true, false, 300, 170, 500, 1, p.a, p.b, 0, c2, { isa, threads: 2 });
      expect(Buffer.from(c2.buffer).equals(Buffer.from(c1.buffer)), isa).toBe(true);
    }
  });

  it('does not read C when beta is 0, nor A and B when alpha is 0 (as BLAS)', async () => {
    for (const isa of features.supported) {
      const p = problem(false, false, 20, 40, 30, 1, 0);
      const c = new Float32Array(20 * 40).fill(NaN);
      await addon.gemm(false, false, 20, 40, 30, 1, p.a, p.b, 0, c, { isa });
      expect(worstError(c, reference(p)), isa).toBeLessThan(tolerance(30));

      const nanA = new Float32Array(20 * 30).fill(NaN);
      const c2 = p.c.slice();
      await addon.gemm(false, false, 20, 40, 30, 0, nanA, p.b, 3, c2, { isa });
      expect(Array.from(c2)).toEqual(Array.from(p.c, (v) => Math.fround(3 * v)));
    }
  });

  it('runs concurrent calls on the same pool correctly', async () => {
    const problems = [0, 1, 2, 3, 4, 5].map((i) => problem(i % 2 === 1, i % 3 === 1, 160 + i, 120, 100, 1, 0, 100 + i));
    const outs = problems.map((p) => new Float32Array(p.m * p.n));
    await Promise.all(problems.map((p, i) => addon.gemm(p.ta, p.tb, p.m, p.n, p.k, 1, p.a, p.b, 0, outs[i], { threads: 2 })));
    problems.forEach((p, i) => expect(worstError(outs[i], reference(p))).toBeLessThan(tolerance(p.k)));
  });
});

describe('gemmBatched', () => {
  for (const [batch, m, n, k] of [[3, 7, 13, 5], [4, 64, 48, 40], [2, 150, 140, 80]] as const) {
    it(`${batch} x ${m}x${n}x${k} matches gemm one matrix at a time`, async () => {
      for (const [ta, tb] of TRANSPOSES) {
        const a = random(batch * m * k, 5);
        const b = random(batch * k * n, 6);
        const c0 = random(batch * m * n, 7);
        for (const isa of features.supported) {
          const c = c0.slice();
          await addon.gemmBatched(ta, tb, batch, m, n, k, 0.5, a, b, 2, c, { isa, threads: 2 });
          for (let i = 0; i < batch; i++) {
            const p: Problem = {
              ta, tb, m, n, k, alpha: 0.5, beta: 2,
              a: a.subarray(i * m * k, (i + 1) * m * k),
              b: b.subarray(i * k * n, (i + 1) * k * n),
              c: c0.subarray(i * m * n, (i + 1) * m * n),
            };
            expect(worstError(c.subarray(i * m * n, (i + 1) * m * n), reference(p)), `${isa} item ${i}`).toBeLessThan(tolerance(k));
          }
        }
      }
    });
  }
});

describe('gemm rejects bad arguments', () => {
  const a = new Float32Array(7 * 5);
  const b = new Float32Array(5 * 13);
  const c = new Float32Array(7 * 13);
  const call = (over: Partial<Record<'ta' | 'tb' | 'm' | 'n' | 'k' | 'alpha' | 'a' | 'b' | 'beta' | 'c' | 'options', unknown>>) => () => {
    const v = { ta: false, tb: false, m: 7, n: 13, k: 5, alpha: 1, a, b, beta: 0, c, options: undefined, ...over };
    return (addon.gemm as (...args: unknown[]) => Promise<void>)(v.ta, v.tb, v.m, v.n, v.k, v.alpha, v.a, v.b, v.beta, v.c, v.options);
  };

  it('throws RangeError naming the array whose length is wrong', () => {
    expect(call({ a: new Float32Array(34) })).toThrow(RangeError);
    expect(call({ a: new Float32Array(34) })).toThrow(/^a has 34 values; expected 35 \(m \* k: op\(A\) is 7 x 5\)/);
    expect(call({ b: new Float32Array(66) })).toThrow(/^b has 66 values; expected 65/);
    expect(call({ c: new Float32Array(90) })).toThrow(/^c has 90 values; expected 91/);
    expect(call({ ta: true, a: new Float32Array(36) })).toThrow(/^a has 36 values; expected 35 \(m \* k: op\(A\) is 7 x 5, stored transposed\)/);
    const batched = () => addon.gemmBatched(false, false, 2, 7, 13, 5, 1, a, new Float32Array(130), 0, new Float32Array(182));
    expect(batched).toThrow(RangeError);
    expect(batched).toThrow(/^a has 35 values; expected 70/);
  });

  it('throws RangeError for bad sizes and options', () => {
    expect(call({ m: -1 })).toThrow(RangeError);
    expect(call({ m: -1 })).toThrow(/^m is -1; it must be a whole number/);
    expect(call({ k: 2.5 })).toThrow(/^k is 2.5/);
    expect(call({ n: Infinity })).toThrow(/^n is Infinity/);
    expect(call({ options: { threads: 0 } })).toThrow(RangeError);
    expect(call({ options: { threads: 0 } })).toThrow(/^options.threads is 0/);
    expect(call({ options: { isa: 'sse9' } })).toThrow(RangeError);
    expect(call({ options: { isa: 'sse9' } })).toThrow(/^options.isa 'sse9' is unknown/);
    const overlapping = new Float32Array(200);
    expect(call({ a: overlapping.subarray(0, 35), c: overlapping.subarray(20, 111) })).toThrow(/^c must not share memory with a/);
  });

  it.skipIf(features.supported.includes('avx512'))('throws RangeError for a path this CPU lacks', () => {
    expect(call({ options: { isa: 'avx512' } })).toThrow(/^options.isa 'avx512' is not supported by this CPU/);
  });

  it('throws TypeError for values of the wrong type', () => {
    expect(call({ ta: 1 })).toThrow(TypeError);
    expect(call({ ta: 1 })).toThrow(/^transA must be a boolean, got a number/);
    expect(call({ a: new Float64Array(35) })).toThrow(/^a must be a Float32Array, got a typed array/);
    expect(call({ b: [1, 2] })).toThrow(/^b must be a Float32Array, got an array/);
    expect(call({ alpha: '1' })).toThrow(/^alpha must be a number, got a string/);
    expect(call({ options: { isa: 2 } })).toThrow(TypeError);
  });
});
