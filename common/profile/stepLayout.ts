/**
 * The average step laid out in time, for the Chrome trace and the Profiler's timeline: the data
 * wait, then the ops back to back in run order, inside a span per layer and a span per phase, all
 * inside the step. Whole nanoseconds, so that spans nest exactly; parents come before children.
 */
import { describeLayer } from './profileFindings.js';
import type { OpReport, ProfilePhase, ProfileReport } from './ProfileReport.js';

export interface StepSpan {
  kind: 'step' | 'phase' | 'layer' | 'op';
  name: string;
  startNs: number;
  durNs: number;
  /** The phase it belongs to; 'data wait' for the wait. */
  phase: ProfilePhase | 'data wait' | null;
  layerId: string | null;
  /** For op spans. */
  op?: OpReport;
}

/** Consecutive items with the same key, in order. */
function runsOf(ops: OpReport[], key: (op: OpReport) => string): OpReport[][] {
  const runs: OpReport[][] = [];
  for (const op of ops) {
    const last = runs.at(-1);
    if (last && key(last[0]) === key(op)) last.push(op);
    else runs.push([op]);
  }
  return runs;
}

export function stepLayout(report: ProfileReport): { stepNs: number; spans: StepSpan[] } {
  const opNs = (op: OpReport) => Math.round(op.ms * 1e6);
  const total = (ops: OpReport[]) => ops.reduce((a, op) => a + opNs(op), 0);
  const waitNs = Math.round(report.breakdown.dataWait * 1e6);
  // The step is at least its parts, however the clocks rounded.
  const stepNs = Math.max(Math.round(report.stepMs * 1e6), waitNs + total(report.ops));
  const spans: StepSpan[] = [{ kind: 'step', name: 'training step', startNs: 0, durNs: stepNs, phase: null, layerId: null }];
  if (waitNs > 0) spans.push({ kind: 'phase', name: 'data wait', startNs: 0, durNs: waitNs, phase: 'data wait', layerId: null });
  let cursor = waitNs;
  for (const phaseRun of runsOf(report.ops, (op) => op.phase)) {
    const phase = phaseRun[0].phase;
    spans.push({ kind: 'phase', name: phase, startNs: cursor, durNs: total(phaseRun), phase, layerId: null });
    for (const layerRun of runsOf(phaseRun, (op) => op.layer)) {
      const first = layerRun[0];
      const name = first.layerType === null ? first.layer : describeLayer({ name: first.layer, type: first.layerType });
      spans.push({ kind: 'layer', name, startNs: cursor, durNs: total(layerRun), phase, layerId: first.layerId });
      for (const op of layerRun) {
        spans.push({ kind: 'op', name: op.node, startNs: cursor, durNs: opNs(op), phase, layerId: op.layerId, op });
        cursor += opNs(op);
      }
    }
  }
  return { stepNs, spans };
}
