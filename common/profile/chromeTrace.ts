/**
 * The profile as a Chrome trace (Trace Event Format, JSON), which Perfetto and chrome://tracing
 * open: one average training step on the engine thread (stepLayout): the data wait first, then
 * the ops in run order nested in a span per layer and a span per phase, all inside one step span.
 * When the engine recorded one step per thread (report.timeline), a second process shows it with
 * a track per engine thread: the training thread's step, data wait and ops, and each compute
 * worker's share of the ops' parallel loops.
 * Times are µs from whole nanoseconds, so spans nest exactly once a reader converts them back.
 */
import type { ProfileReport, TimelineReport } from './ProfileReport.js';
import { stepLayout, type StepSpan } from './stepLayout.js';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  cat?: string;
  /** µs. */
  ts?: number;
  dur?: number;
  args?: Record<string, string | number | null>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

const PID = 1;
const ENGINE_THREAD = 1;
const THREADS_PID = 2;

function argsOf(span: StepSpan, report: ProfileReport): TraceEvent['args'] {
  const share = span.durNs / 1e6 / report.stepMs;
  switch (span.kind) {
    case 'step':
      return { batch_size: report.batchSize, steps_averaged: report.steps, step_ms: report.stepMs, outside_ops_ms: report.breakdown.other };
    case 'phase':
      return { share };
    case 'layer':
      return { layer_id: span.layerId, phase: span.phase, share };
    case 'op': {
      const op = span.op!;
      return { op: op.op, layer: op.layer, phase: op.phase, ms: op.ms, share: op.share, flops: op.flops, gflops: op.gflops, bytes: op.bytes };
    }
  }
}

export function chromeTrace(report: ProfileReport): ChromeTrace {
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: PID, tid: 0, args: { name: `Kiln engine (${report.backend} backend)` } },
    { name: 'thread_name', ph: 'M', pid: PID, tid: ENGINE_THREAD, args: { name: `engine: average of ${report.steps} training steps` } },
  ];
  for (const span of stepLayout(report).spans) {
    events.push({ name: span.name, cat: span.kind, ph: 'X', pid: PID, tid: ENGINE_THREAD, ts: span.startNs / 1000, dur: span.durNs / 1000, args: argsOf(span, report) });
  }
  if (report.timeline) events.push(...threadEvents(report.timeline));
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      producer: 'Kiln profiler', batch_size: report.batchSize, steps: report.steps, step_ms: report.stepMs,
      ...(report.peak ? { peak_gflops: report.peak.gflops } : {}),
      ...(report.overhead ? { profiling_overhead_percent: report.overhead.percent } : {}),
      ...(report.memory.measured ? { peak_memory_bytes: report.memory.measured.peakBytes } : {}),
    },
  };
}

/** The recorded step, one track per engine thread (tid = thread + 1). */
function threadEvents(t: TimelineReport): TraceEvent[] {
  const x = (name: string, cat: string, tid: number, startNs: number, endNs: number, args?: TraceEvent['args']): TraceEvent => (
    { name, cat, ph: 'X', pid: THREADS_PID, tid, ts: startNs / 1000, dur: (endNs - startNs) / 1000, ...(args ? { args } : {}) }
  );
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: THREADS_PID, tid: 0, args: { name: `Kiln engine: training step ${t.step}, per thread` } }];
  for (let thread = 0; thread < t.threads; thread++) {
    events.push({ name: 'thread_name', ph: 'M', pid: THREADS_PID, tid: thread + 1, args: { name: thread === 0 ? 'training thread' : `compute worker ${thread}` } });
  }
  events.push(x(`training step ${t.step}`, 'thread-step', 1, 0, t.stepNs));
  if (t.dataWaitNs > 0) events.push(x('data wait', 'thread-wait', 1, 0, t.dataWaitNs));
  for (const s of t.spans) events.push(x(s.node, 'thread-op', s.thread + 1, s.startNs, s.endNs, { op: s.op, layer_id: s.layerId, phase: s.phase }));
  return events;
}
