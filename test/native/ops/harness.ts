// Shared helpers for the op test suite: build one-op graphs through the binding, run them on the
// reference backend, and check gradients against central finite differences in float64.
import { createRequire } from 'node:module';
import { expect } from 'vitest';

export type Dtype = 'float32' | 'float64' | 'int32';
type Typed = Float32Array | Float64Array | Int32Array;

export interface NativeGraph {
  input(name: string, shape: number[], dtype?: Dtype): string;
  param(name: string, shape: number[], options?: { dtype?: Dtype; trainable?: boolean }): string;
  op(op: string, name: string, inputs: string[], attrs?: Record<string, unknown>): string[];
  gradients(loss: string, wrt: string[]): string[];
  shape(name: string): number[];
  dtype(name: string): Dtype;
  nodes(): { name: string; op: string; inputs: string[] }[];
  plan(fetch: string[]): { arenaBytes: number; naiveBytes: number; steps: number };
  /** Runs on the reference backend unless options.backend ('cpu', 'cuda') says otherwise. */
  run(feeds: Record<string, Typed>, fetch: string[], options?: { backend?: string }): Promise<Record<string, Typed>>;
}

// KILN_ADDON points the suite at another build of the addon (e.g. a scratch build of one op family).
const addonPath = process.env.KILN_ADDON ?? new URL('../../../native/build/Release/kiln_native.node', import.meta.url).pathname;
export const addon = createRequire(import.meta.url)(addonPath) as {
  Graph: new () => NativeGraph;
  ops(): string[];
  backends(): string[];
  /** The cpu, and the GPU with why it is unavailable or, when available, the ops it has kernels for. */
  devices(): { backend: string; available: boolean; reason?: string; ops?: string[] }[];
};

/** A deterministic pseudo-random stream (so failures reproduce). */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
}

export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface OpCase {
  op: string;
  /** Float inputs are differentiated; int32 inputs (labels, indices) are fed as given. */
  inputs: { shape: number[]; dtype?: Dtype; values?: number[]; keepAwayFrom?: number[] }[];
  attrs?: Record<string, unknown>;
  /** Which output to project for the gradient check (default 0). */
  output?: number;
}

export function makeValues(c: OpCase, seed: number): number[][] {
  const rand = random(seed);
  return c.inputs.map((input) => {
    if (input.values) return input.values;
    return Array.from({ length: size(input.shape) }, () => {
      let v = rand() * 2;
      // Move values off kinks (e.g. relu at 0) so finite differences are meaningful.
      for (const k of input.keepAwayFrom ?? []) if (Math.abs(v - k) < 0.05) v = k + (v >= k ? 0.1 : -0.1);
      return v;
    });
  });
}

function typed(dtype: Dtype, values: number[]): Typed {
  return dtype === 'int32' ? Int32Array.from(values) : dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}

/** Runs one op on the given values and returns all its outputs. */
export async function runOp(c: OpCase, values: number[][], dtype: Dtype = 'float32'): Promise<{ outputs: Typed[]; shapes: number[][] }> {
  const g = new addon.Graph();
  const names = c.inputs.map((input, i) => g.input(`x${i}`, input.shape, input.dtype ?? dtype));
  const outs = g.op(c.op, 'y', names, c.attrs);
  const feeds: Record<string, Typed> = {};
  names.forEach((n, i) => (feeds[n] = typed(c.inputs[i].dtype ?? dtype, values[i])));
  const result = await g.run(feeds, outs);
  return { outputs: outs.map((o) => result[o]), shapes: outs.map((o) => g.shape(o)) };
}

/**
 * Checks the op's gradient rule: builds loss = sum(y * w) for a fixed random w, takes the
 * analytic gradient through the graph in float64, and compares it with central differences.
 */
export async function checkGradients(c: OpCase, seed = 7, eps = 1e-6): Promise<void> {
  const values = makeValues(c, seed);
  const g = new addon.Graph();
  const floatInputs = c.inputs.map((input) => (input.dtype ?? 'float64') !== 'int32');
  const names = c.inputs.map((input, i) =>
    floatInputs[i] ? g.param(`x${i}`, input.shape, { dtype: 'float64' }) : g.input(`x${i}`, input.shape, 'int32'),
  );
  const y = g.op(c.op, 'y', names, c.attrs)[c.output ?? 0];
  const yShape = g.shape(y);
  const w = g.input('w', yShape, 'float64');
  const loss = g.op('reduce_sum', 'loss', [g.op('mul', 'yw', [y, w])[0]])[0];
  const wrt = names.filter((_, i) => floatInputs[i]);
  const grads = g.gradients(loss, wrt);
  const wValues = Float64Array.from(makeValues({ op: '', inputs: [{ shape: yShape }] }, seed + 1)[0]);

  const feedsFor = (vals: number[][]): Record<string, Typed> => {
    const feeds: Record<string, Typed> = { w: wValues };
    names.forEach((n, i) => (feeds[n] = floatInputs[i] ? Float64Array.from(vals[i]) : Int32Array.from(vals[i])));
    return feeds;
  };
  const analytic = await g.run(feedsFor(values), grads);
  for (let i = 0, gi = 0; i < c.inputs.length; i++) {
    if (!floatInputs[i]) continue;
    const grad = analytic[grads[gi++]];
    for (let k = 0; k < values[i].length; k++) {
      const plus = values.map((v) => [...v]);
      const minus = values.map((v) => [...v]);
      plus[i][k] += eps;
      minus[i][k] -= eps;
      const lp = (await g.run(feedsFor(plus), [loss]))[loss][0];
      const lm = (await g.run(feedsFor(minus), [loss]))[loss][0];
      const numeric = (lp - lm) / (2 * eps);
      const tolerance = 1e-6 + 1e-5 * Math.abs(numeric);
      if (Math.abs(grad[k] - numeric) > tolerance) {
        expect.fail(`${c.op}: d/dx${i}[${k}] is ${grad[k]} but finite differences give ${numeric}`);
      }
    }
  }
}
