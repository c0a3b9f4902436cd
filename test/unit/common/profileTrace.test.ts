// The Chrome trace export: valid Trace Event Format JSON whose spans nest per thread, with op
// times that add up to the measured step.
import { describe, expect, it } from 'vitest';
import { buildProfileReport, chromeTrace } from '../../../common/profile/index.js';
import { BATCH, CNN_PROFILE, loweredCnn, timelineOf, windowOf } from './profileFixture.js';
import { nestingProblems, traceTotals } from './profileTraceCheck.js';

function trace(waitShare: number, otherShare: number, timeline?: ReturnType<typeof timelineOf>) {
  const { spec, analysis } = loweredCnn();
  const report = buildProfileReport({ analysis, spec, batchSize: BATCH, windows: [windowOf(1, 8, waitShare, otherShare)], createdAt: 'now', ...(timeline ? { timeline } : {}) });
  return { report, trace: JSON.parse(JSON.stringify(chromeTrace(report))) as ReturnType<typeof chromeTrace> };
}

describe('chromeTrace', () => {
  it('writes Trace Event Format JSON with process and thread names', () => {
    const { trace: t } = trace(0.1, 0.03);
    expect(t.displayTimeUnit).toBe('ms');
    const meta = t.traceEvents.filter((e) => e.ph === 'M');
    expect(meta.map((e) => e.name)).toEqual(['process_name', 'thread_name']);
    expect(meta[0].args!.name).toBe('Kiln engine (cpu backend)');
    expect(t.traceEvents.filter((e) => e.ph !== 'M').every((e) => e.ph === 'X' && e.pid === 1 && e.tid === 1)).toBe(true);
    const op = t.traceEvents.find((e) => e.name === 'fc1/matmul/grad/da')!;
    expect(op.cat).toBe('op');
    expect(op.args).toMatchObject({ op: 'matmul', layer: 'fc1', phase: 'backward', flops: 2 * 1352 * 64 * BATCH });
    expect(op.dur).toBeCloseTo(1288, 6);
  });

  it('nests data wait, phases, layers and ops inside the step', () => {
    const { trace: t } = trace(0.1, 0.03);
    expect(nestingProblems(t)).toEqual([]);
    const phases = t.traceEvents.filter((e) => e.cat === 'phase').map((e) => e.name);
    expect(phases).toEqual(['data wait', 'forward', 'loss', 'metrics', 'backward', 'optimizer']);
    const layers = t.traceEvents.filter((e) => e.cat === 'layer').map((e) => e.name);
    expect(layers.slice(0, 4)).toEqual(["Conv2D 'conv1'", "MaxPooling2D 'pool'", "Flatten 'flat'", "Dense 'fc1'"]);
    // Ops run back to back after the data wait, in run order.
    const ops = t.traceEvents.filter((e) => e.cat === 'op');
    expect(ops[0].ts).toBeCloseTo(t.traceEvents.find((e) => e.name === 'data wait')!.dur!, 6);
    for (let i = 1; i < ops.length; i++) expect(Math.round(ops[i].ts! * 1000)).toBe(Math.round((ops[i - 1].ts! + ops[i - 1].dur!) * 1000));
  });

  it('has op times that, with the data wait, add up to the measured step within 10%', () => {
    const { report, trace: t } = trace(0.15, 0.05);
    const { opsUs, waitUs, stepUs } = traceTotals(t);
    expect(stepUs).toBeCloseTo(report.stepMs * 1000, 3);
    expect(Math.abs(opsUs + waitUs - stepUs) / stepUs).toBeLessThan(0.1);
    expect(opsUs).toBeCloseTo(report.opMs * 1000, 2);
  });

  it('puts the recorded step on a track per engine thread, the ops nesting in the step on each', () => {
    const { report, trace: t } = trace(0.1, 0.03, timelineOf(8, 3));
    expect(nestingProblems(t)).toEqual([]);
    const threadsProcess = t.traceEvents.filter((e) => e.pid === 2);
    const names = threadsProcess.filter((e) => e.ph === 'M').map((e) => [e.name, e.tid, e.args!.name]);
    expect(names).toEqual([
      ['process_name', 0, 'Kiln engine: training step 8, per thread'],
      ['thread_name', 1, 'training thread'], ['thread_name', 2, 'compute worker 1'], ['thread_name', 3, 'compute worker 2'],
    ]);
    const spans = threadsProcess.filter((e) => e.ph === 'X');
    const onThread = (tid: number) => spans.filter((e) => e.tid === tid);
    expect(onThread(1).filter((e) => e.cat === 'thread-op').map((e) => e.name)).toEqual(CNN_PROFILE.map(([node]) => node));
    expect(onThread(1).find((e) => e.cat === 'thread-step')).toMatchObject({ name: 'training step 8', ts: 0, dur: report.timeline!.stepNs / 1000 });
    expect(onThread(1).find((e) => e.cat === 'thread-wait')).toMatchObject({ ts: 0, dur: 50 });
    // Workers: their share of the heavy ops, attributed to the op's layer and phase.
    const worker = onThread(3);
    expect(worker.map((e) => e.name)).toEqual(CNN_PROFILE.filter(([, , us]) => us >= 100).map(([node]) => node));
    expect(worker.find((e) => e.name === 'fc1/matmul/grad/da')!.args).toMatchObject({ op: 'matmul', layer_id: 'd1', phase: 'backward' });
    // The average step's totals are untouched by the recorded one.
    const { opsUs, stepUs } = traceTotals(t);
    expect(opsUs).toBeCloseTo(report.opMs * 1000, 2);
    expect(stepUs).toBeCloseTo(report.stepMs * 1000, 3);
  });

  it('finds spans of one thread that overlap without nesting', () => {
    const timeline = timelineOf(8, 2);
    const worker = timeline.spans.filter((s) => s.thread === 1);
    worker[1] = { ...worker[1], startNs: worker[0].endNs - 1000 };  // starts before the previous one ends
    timeline.spans = [...timeline.spans.filter((s) => s.thread === 0), ...worker];
    const problems = nestingProblems(trace(0.1, 0.03, timeline).trace);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^thread 2\/2: .* overlaps the end of /);
  });
});
