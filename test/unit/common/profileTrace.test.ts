// The Chrome trace export: valid Trace Event Format JSON whose spans nest per thread, with op
// times that add up to the measured step.
import { describe, expect, it } from 'vitest';
import { buildProfileReport, chromeTrace } from '../../../common/profile/index.js';
import { BATCH, loweredCnn, windowOf } from './profileFixture.js';
import { nestingProblems, traceTotals } from './profileTraceCheck.js';

function trace(waitShare: number, otherShare: number) {
  const { spec, analysis } = loweredCnn();
  const report = buildProfileReport({ analysis, spec, batchSize: BATCH, windows: [windowOf(1, 8, waitShare, otherShare)], createdAt: 'now' });
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
});
