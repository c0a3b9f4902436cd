// The engine's profiler beyond per-op timers (native/src/exec/step_timeline.*, model.cpp): one
// recorded step per thread, memory measured over the profiled steps, and windows of steps asked
// for while a fit runs. Off, nothing is recorded.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineModelSpec } from '../../common/model/engineSpec.js';
import type { NativeAddon, NativeFitEvent, NativeModel } from '../../electron/host/addon.js';
import { classificationData, cnnSpec } from '../support/specs.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;

const BATCH = 32;
const spec: EngineModelSpec = cnnSpec({ input: [28, 28, 1], filters: 16, kernel: 3, pool: 2, classes: 10 }, { type: 'adam', learningRate: 0.001 });
// 7 whole batches and a short one of 8 per epoch: the short one is never profiled.
const data = classificationData(7 * BATCH + 8, [28, 28, 1], 10, 5);
const threads = addon.devices().find((d) => d.backend === 'cpu')!.threads as number;
const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

async function profiled(batchSize = BATCH): Promise<NativeModel> {
  const m = new addon.Model(spec);
  m.setProfiling(true);
  await m.fit(data, { epochs: 1, batchSize });
  return m;
}

describe('the timeline of a profiled step', () => {
  it('has the last whole-batch step on every thread: ops in order on the training thread, workers inside them', async () => {
    const m = await profiled();
    const t = m.profileTimeline();
    expect(t.step).toBe(7);  // step 8 is the short batch
    expect(t.threads).toBe(threads);
    expect(t.dataWaitNs).toBeGreaterThanOrEqual(0);
    const lane = (thread: number) => t.spans.filter((s) => s.thread === thread);
    const main = lane(0);
    // Every op of the step once, in run order, as the per-op profile lists them.
    expect(main.map((s) => s.node)).toEqual(m.profile().map((r) => r.node));
    expect(main[0].startNs).toBeGreaterThanOrEqual(t.dataWaitNs);
    expect(main.at(-1)!.endNs).toBeLessThanOrEqual(t.stepNs);
    for (let thread = 0; thread < t.threads; thread++) {
      const spans = lane(thread);
      for (const [i, s] of spans.entries()) {
        expect(s.startNs).toBeLessThanOrEqual(s.endNs);
        if (i > 0) expect(s.startNs).toBeGreaterThanOrEqual(spans[i - 1].endNs);  // one thing at a time per thread
      }
    }
    // A worker's share of an op's loops lies within that op on the training thread.
    const workers = t.spans.filter((s) => s.thread > 0);
    if (threads > 1) expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      const op = main.find((s) => s.node === w.node)!;
      expect(w.startNs).toBeGreaterThanOrEqual(op.startNs);
      expect(w.endNs).toBeLessThanOrEqual(op.endNs);
    }
    expect(t.spans.every((s) => s.thread >= 0 && s.thread < threads)).toBe(true);
  });

  it('records nothing with profiling off', async () => {
    const m = await profiled();
    m.setProfiling(false);
    await m.fit(data, { epochs: 1, batchSize: BATCH });
    expect(m.profileTimeline()).toEqual({ step: 0, stepNs: 0, dataWaitNs: 0, threads: 0, spans: [] });
    expect(m.memory().peakBytes).toBe(0);
    expect(m.profile().every((r) => r.ns === 0 && r.calls === 0)).toBe(true);
  });
});

describe('memory measured over the profiled steps', () => {
  it('counts weights, optimizer state, the planned arena, kernel scratch and batches, and a peak of at least their sum', async () => {
    const m = await profiled();
    const mem = m.memory();
    const weights = spec.params.reduce((a, p) => a + elements(p.shape) * 4, 0);
    const trainable = spec.params.filter((p) => p.trainable !== false).reduce((a, p) => a + elements(p.shape) * 4, 0);
    expect(mem.weightBytes).toBe(weights);
    expect(mem.optimizerBytes).toBe(2 * trainable);  // Adam's m and v
    expect(mem.batchBytes).toBeGreaterThanOrEqual(2 * BATCH * (784 * 4 + 4));  // two slots of x and labels
    expect(mem.scratchBytes).toBeGreaterThan(0);  // patch matrices and packed GEMM panels
    // The arena holds at least the conv layer's output for the batch, and reuse keeps it under all
    // the step's values; the short batch's plan is held too.
    expect(mem.arenaBytes).toBeGreaterThanOrEqual(BATCH * 26 * 26 * 16 * 4);
    expect(mem.plansBytes).toBeGreaterThan(mem.arenaBytes);
    expect(mem.peakBytes).toBeGreaterThanOrEqual(mem.arenaBytes + mem.weightBytes + mem.optimizerBytes + mem.scratchBytes + mem.batchBytes);
    expect(mem.peakBytes).toBeLessThanOrEqual(mem.plansBytes + mem.weightBytes + mem.optimizerBytes + mem.scratchBytes + mem.batchBytes);
  });

  it('plans the same arena for the same step, and a larger one for a larger batch', async () => {
    const [a, b, big] = await Promise.all([profiled(), profiled(), profiled(2 * BATCH)]);
    expect(a.memory().arenaBytes).toBe(b.memory().arenaBytes);
    expect(big.memory().arenaBytes).toBeGreaterThan(1.5 * a.memory().arenaBytes);
  });
});

describe('a window of steps asked for during a fit', () => {
  it('profiles the next N whole-batch steps from another thread, says which step completed it, then stops', async () => {
    const m = new addon.Model(spec);
    const done: NativeFitEvent[] = [];
    let asked = 0;
    let during: ReturnType<NativeModel['profileWindow']> = null;
    await m.fit(data, { epochs: 4, batchSize: BATCH }, (events) => {
      if (asked === 0) {
        asked = events.at(-1)!.step;
        m.profileSteps(10);  // the fit is running: the engine starts the window between two steps
      }
      for (const e of events) {
        if (e.profileWindowDone) {
          done.push(e);
          during = m.profileWindow();  // readable while the fit goes on
        }
      }
    });
    expect(done).toHaveLength(1);
    const w = m.profileWindow()!;
    expect(during).toEqual(w);
    expect(w.steps).toBe(10);
    expect(w.firstStep).toBeGreaterThan(asked);
    // 10 whole batches over the epochs' short ones: 7 a epoch, so 11 or 12 steps in all.
    expect(done[0].step - w.firstStep + 1).toBeGreaterThanOrEqual(11);
    expect(w.timeline.step).toBe(done[0].step);
    expect(w.rows.every((r) => r.calls === 10)).toBe(true);
    expect(w.wallSeconds).toBeGreaterThan(w.rows.reduce((a, r) => a + r.ns, 0) / 1e9 * 0.9);
    expect(Number.isFinite(w.loss)).toBe(true);
    expect(w.memory.peakBytes).toBeGreaterThan(0);
    // Off after the window: the steps that followed were not timed.
    expect(m.profile().every((r) => r.calls === 10)).toBe(true);
  });

  it('refuses a window of no steps', () => {
    const m = new addon.Model(spec);
    expect(() => m.profileSteps(0)).toThrow('the number of steps to profile must be a whole number of at least 1');
    expect(m.profileWindow()).toBeNull();
  });
});
