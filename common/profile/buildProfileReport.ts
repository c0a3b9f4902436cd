/**
 * Turns the engine's per-op timings of a few windows of training steps into the profiler's
 * report: every op attributed to a layer (or to the model) and a phase, per-layer totals with
 * FLOPs and memory, the step's breakdown per window, and findings in plain words; with the
 * engine's measured memory and one step per thread when it recorded them.
 */
import type { ModelAnalysis } from '../model/analyzeModel.js';
import type { EngineModelSpec } from '../model/engineSpec.js';
import { LayerIndex, phaseOf } from './attributeNode.js';
import { CostModel, optimizerSlots } from './estimateCost.js';
import { profileFindings } from './profileFindings.js';
import {
  MODEL_ROW, PROFILE_PHASES, type LayerReport, type LayerRef, type MeasuredMemory, type MeasuredTimeline, type MeasuredWindow, type OpReport,
  type OpTiming, type OverheadInfo, type PeakInfo, type ProfilePhase, type ProfileReport, type StepBreakdown, type TimelineReport, type WindowReport,
} from './ProfileReport.js';

export interface ProfileInput {
  /** The model as analysed and lowered for this profile (lowerModel's spec and analysis). */
  analysis: ModelAnalysis;
  spec: EngineModelSpec;
  batchSize: number;
  windows: MeasuredWindow[];
  backend?: string;
  peak?: PeakInfo;
  overhead?: OverheadInfo;
  memory?: MeasuredMemory;
  timeline?: MeasuredTimeline;
  /** A live profile: the run's folder. */
  run?: string;
  createdAt?: string;
}

const FLOAT_BYTES = 4;
const NS_PER_MS = 1e6;

/** Rows of several windows summed by node, in the order nodes first ran. */
function mergeRows(windows: MeasuredWindow[]): OpTiming[] {
  const byNode = new Map<string, OpTiming>();
  for (const w of windows) {
    for (const r of w.rows) {
      const seen = byNode.get(r.node);
      if (seen) {
        seen.ns += r.ns;
        seen.calls += r.calls;
      } else {
        byNode.set(r.node, { ...r });
      }
    }
  }
  return [...byNode.values()];
}

const zeroPhases = (): Record<ProfilePhase, number> => ({ forward: 0, loss: 0, metrics: 0, backward: 0, optimizer: 0 });

/** ms per step of each phase, and the whole step, from rows summed over `steps` steps. */
function breakdownOf(rows: OpTiming[], steps: number, dataWaitSeconds: number, wallSeconds: number): { stepMs: number; opMs: number; breakdown: StepBreakdown } {
  const phases = zeroPhases();
  for (const r of rows) phases[phaseOf(r.node)] += r.ns / NS_PER_MS / steps;
  const opMs = PROFILE_PHASES.reduce((a, p) => a + phases[p], 0);
  const dataWait = (dataWaitSeconds * 1000) / steps;
  // The step is at least its ops and its wait, however the wall clock rounded.
  const stepMs = Math.max((wallSeconds * 1000) / steps, opMs + dataWait);
  return {
    stepMs, opMs,
    breakdown: { dataWait, forward: phases.forward, backward: phases.backward, optimizer: phases.optimizer, lossMetrics: phases.loss + phases.metrics, other: stepMs - opMs - dataWait },
  };
}

export function buildProfileReport(input: ProfileInput): ProfileReport {
  const { analysis, spec, batchSize, windows } = input;
  const steps = windows.reduce((a, w) => a + w.steps, 0);
  if (steps === 0) throw new Error('the profile holds no steps: profile at least one training step');
  const rows = mergeRows(windows);
  const whole = breakdownOf(rows, steps, windows.reduce((a, w) => a + w.dataWaitSeconds, 0), windows.reduce((a, w) => a + w.wallSeconds, 0));
  const { stepMs } = whole;

  const refs: LayerRef[] = analysis.order.map((o) => ({ id: o.layer.id, name: o.layer.name, type: o.layer.type }));
  const index = new LayerIndex(refs);
  const cost = new CostModel(analysis, spec, batchSize);
  const peak = input.peak?.gflops;

  const ops: OpReport[] = rows.map((r) => {
    const phase = phaseOf(r.node);
    const layer = index.layerOf(r.node);
    const ms = r.ns / NS_PER_MS / steps;
    const flops = cost.flops(r.node, r.op, phase);
    const gflops = flops !== null && ms > 0 ? flops / (ms * 1e6) : null;
    return {
      node: r.node, op: r.op, layerId: layer?.id ?? null, layer: layer?.name ?? MODEL_ROW, layerType: layer?.type ?? null, phase,
      ms, share: ms / stepMs, calls: r.calls, flops, gflops,
      ofPeak: gflops !== null && peak ? gflops / peak : null,
      bytes: cost.bytes(r.node, r.op, phase, layer?.id ?? null),
    };
  });

  const slots = optimizerSlots(spec.optimizer);
  const layerRow = (layerId: string | null, name: string, type: string | null): LayerReport => ({
    layerId, name, type, ms: zeroPhases(), totalMs: 0, share: 0, flops: 0, gflops: null, params: 0, paramBytes: 0, optimizerBytes: 0, activationBytes: 0, ops: 0,
  });
  const layers = new Map<string | null, LayerReport>();
  for (const info of analysis.order) {
    if (info.def.inputs === 0) continue;  // model inputs: the data, not a layer's work
    const row = layerRow(info.layer.id, info.layer.name, info.layer.type);
    row.params = info.trainable + info.nonTrainable;
    row.paramBytes = row.params * FLOAT_BYTES;
    row.optimizerBytes = info.trainable * slots * FLOAT_BYTES;
    row.activationBytes = info.shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1) * batchSize * FLOAT_BYTES;
    layers.set(info.layer.id, row);
  }
  // Time of the ops with FLOPs, per layer: its GFLOP/s is over those, not its element-wise ops.
  const computeMs = new Map<string | null, number>();
  for (const op of ops) {
    let row = layers.get(op.layerId);
    if (!row) {
      row = layerRow(op.layerId, op.layer, op.layerType);
      layers.set(op.layerId, row);
    }
    row.ms[op.phase] += op.ms;
    row.totalMs += op.ms;
    row.ops++;
    if (op.flops !== null) {
      row.flops += op.flops;
      computeMs.set(op.layerId, (computeMs.get(op.layerId) ?? 0) + op.ms);
    }
  }
  const layerRows = [...layers.values()].sort((a, b) => Number(a.layerId === null) - Number(b.layerId === null));
  for (const row of layerRows) {
    row.share = row.totalMs / stepMs;
    const ms = computeMs.get(row.layerId);
    row.gflops = ms ? row.flops / (ms * 1e6) : null;
  }

  const windowReports: WindowReport[] = windows.map((w) => {
    const b = breakdownOf(w.rows, w.steps, w.dataWaitSeconds, w.wallSeconds);
    return {
      firstStep: w.firstStep, steps: w.steps, stepMs: b.stepMs, breakdown: b.breakdown,
      ...(w.lastStep !== undefined ? { lastStep: w.lastStep } : {}), ...(w.loss !== undefined ? { loss: w.loss } : {}),
    };
  });

  const timeline: TimelineReport | undefined = input.timeline && {
    ...input.timeline,
    spans: input.timeline.spans.map((span) => ({ ...span, layerId: index.layerOf(span.node)?.id ?? null, phase: phaseOf(span.node) })),
  };
  const sum = (f: (l: LayerReport) => number) => layerRows.reduce((a, l) => a + f(l), 0);
  const report: Omit<ProfileReport, 'findings'> = {
    format: 'kiln-profile', version: 1, createdAt: input.createdAt ?? new Date().toISOString(), backend: input.backend ?? 'cpu',
    batchSize, steps, stepMs, opMs: whole.opMs, breakdown: whole.breakdown, windows: windowReports, ops, layers: layerRows,
    memory: {
      paramBytes: sum((l) => l.paramBytes), optimizerBytes: sum((l) => l.optimizerBytes), activationBytes: sum((l) => l.activationBytes),
      ...(input.memory ? { measured: input.memory } : {}),
    },
    ...(timeline ? { timeline } : {}),
    ...(input.run !== undefined ? { run: input.run } : {}),
    ...(input.peak ? { peak: input.peak } : {}),
    ...(input.overhead ? { overhead: input.overhead } : {}),
  };
  return { ...report, findings: profileFindings(report) };
}
