/**
 * The profile in plain words: where most of the step goes, what waits, what holds the
 * parameters, what runs far under the machine's peak. Each finding says what to try.
 */
import { MAIN_COMPUTE_OPS } from './estimateCost.js';
import { PROFILE_PHASES, type Finding, type LayerReport, type OpReport, type ProfilePhase, type ProfileReport } from './ProfileReport.js';

/** Below these a finding is noise. */
const HOTSPOT_SHARE = 0.1;
const DATA_WAIT_SHARE = 0.1;
const PARAMETER_SHARE = 0.5;
const HEAVY_OP_SHARE = 0.1;
const UNDER_PEAK = 0.1;
const MEMORY_BOUND_SHARE = 0.4;
const OPTIMIZER_SHARE = 0.25;
const OUTSIDE_OPS_SHARE = 0.15;

export const percent = (share: number): string => `${Math.round(share * 100)}%`;

export function describeLayer(l: Pick<LayerReport, 'name' | 'type'>): string {
  return l.type === null ? 'the model' : `${l.type} '${l.name}'`;
}

function describeCell(l: LayerReport, phase: ProfilePhase): string {
  if (l.type === null && (phase === 'loss' || phase === 'metrics')) return `the ${phase}`;
  return `${describeLayer(l)} ${phase}`;
}

function hotspot(layers: LayerReport[], stepMs: number): Finding[] {
  let best: { layer: LayerReport; phase: ProfilePhase; ms: number } | undefined;
  for (const layer of layers) for (const phase of PROFILE_PHASES) if (layer.ms[phase] > (best?.ms ?? 0)) best = { layer, phase, ms: layer.ms[phase] };
  if (!best || best.ms / stepMs < HOTSPOT_SHARE) return [];
  const share = best.ms / stepMs;
  return [{ kind: 'hotspot', severity: share >= 0.5 ? 'warning' : 'info', share, text: `${percent(share)} of the step is ${describeCell(best.layer, best.phase)}`, ...(best.layer.layerId ? { layerId: best.layer.layerId } : {}) }];
}

function dataWait(report: Omit<ProfileReport, 'findings'>): Finding[] {
  const share = report.breakdown.dataWait / report.stepMs;
  if (share < DATA_WAIT_SHARE) return [];
  return [{ kind: 'data', severity: 'warning', share, text: `the step waits ${percent(share)} on data: raise prefetch or use fewer augmentations (or cache decoded images) so batches are ready in time` }];
}

function parameters(layers: LayerReport[]): Finding[] {
  const holders = layers.filter((l) => l.params > 0);
  const total = holders.reduce((a, l) => a + l.params, 0);
  if (holders.length < 2) return [];
  const top = holders.reduce((a, b) => (b.params > a.params ? b : a));
  const share = top.params / total;
  if (share < PARAMETER_SHARE) return [];
  const fix = top.type === 'Dense' ? ': a pooling layer (GlobalAveragePooling2D) or fewer units before it shrinks it' : '';
  return [{ kind: 'parameters', severity: 'info', share, text: `${describeLayer(top)} holds ${percent(share)} of the parameters (${top.params.toLocaleString('en-US')} of ${total.toLocaleString('en-US')})${fix}`, ...(top.layerId ? { layerId: top.layerId } : {}) }];
}

function describeOp(op: OpReport): string {
  return op.layerType === null ? `${op.op} (${op.node})` : `${op.layerType} '${op.layer}' ${op.phase} (${op.op})`;
}

function underPeak(ops: OpReport[], peakGflops: number | undefined): Finding[] {
  if (peakGflops === undefined) return [];
  return ops
    .filter((o) => o.share >= HEAVY_OP_SHARE && o.gflops !== null && o.ofPeak !== null && o.ofPeak < UNDER_PEAK)
    .sort((a, b) => b.share - a.share)
    .slice(0, 3)
    .map((o) => ({
      kind: 'roofline' as const, severity: 'info' as const, share: o.share,
      text: `${describeOp(o)} runs at ${o.gflops!.toFixed(1)} GFLOP/s, ${percent(o.ofPeak!)} of this machine's measured peak of ${peakGflops.toFixed(0)} GFLOP/s, while taking ${percent(o.share)} of the step: its matrices are too small to keep the cores busy; a larger batch or wider layers use them better`,
      ...(o.layerId ? { layerId: o.layerId } : {}),
    }));
}

function memoryBound(ops: OpReport[], layers: LayerReport[]): Finding[] {
  const bound = ops.filter((o) => o.layerId !== null && (o.phase === 'forward' || o.phase === 'backward') && !MAIN_COMPUTE_OPS.has(o.op));
  const share = bound.reduce((a, o) => a + o.share, 0);
  if (share < MEMORY_BOUND_SHARE) return [];
  const byLayer = new Map<string, number>();
  for (const o of bound) byLayer.set(o.layerId!, (byLayer.get(o.layerId!) ?? 0) + o.share);
  const [leadId, leadShare] = [...byLayer].reduce((a, b) => (b[1] > a[1] ? b : a));
  const lead = layers.find((l) => l.layerId === leadId)!;
  return [{ kind: 'memory-bound', severity: 'info', share, layerId: leadId, text: `${percent(share)} of the step is memory-bound ops (normalization, pooling, activations, dropout, reshapes), led by ${describeLayer(lead)} (${percent(leadShare)}): they cost in proportion to the size of the activations, not the arithmetic` }];
}

function optimizer(report: Omit<ProfileReport, 'findings'>): Finding[] {
  const share = report.breakdown.optimizer / report.stepMs;
  if (share < OPTIMIZER_SHARE) return [];
  const lead = report.layers.reduce((a, b) => (b.ms.optimizer > a.ms.optimizer ? b : a));
  return [{ kind: 'optimizer', severity: 'info', share, text: `the optimizer's weight updates take ${percent(share)} of the step (${describeLayer(lead)}: ${percent(lead.ms.optimizer / report.stepMs)}): an update costs the same whatever the batch size, so a larger batch spreads it over more samples`, ...(lead.layerId ? { layerId: lead.layerId } : {}) }];
}

function outsideOps(report: Omit<ProfileReport, 'findings'>): Finding[] {
  const share = report.breakdown.other / report.stepMs;
  if (share < OUTSIDE_OPS_SHARE) return [];
  return [{ kind: 'overhead', severity: 'info', share, text: `${percent(share)} of the step is spent between ops (scheduling, reading the loss, reporting): steps this short (${report.stepMs.toFixed(2)} ms) gain from a larger batch` }];
}

/** The findings of a report, the largest share first. */
export function profileFindings(report: Omit<ProfileReport, 'findings'>): Finding[] {
  return [
    ...hotspot(report.layers, report.stepMs),
    ...dataWait(report),
    ...parameters(report.layers),
    ...underPeak(report.ops, report.peak?.gflops),
    ...memoryBound(report.ops, report.layers),
    ...optimizer(report),
    ...outsideOps(report),
  ].sort((a, b) => b.share - a.share);
}
