/** The profile report as text for a terminal: the step's breakdown, layers, top ops, findings. */
import { describeLayer, percent, type LayerReport, type ProfileReport } from '../../../common/profile/index.js';

const TOP_OPS = 12;

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const gflops = (v: number | null) => (v === null ? '' : v.toFixed(1));

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function table(header: string[], rows: string[][], rightFrom: number): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((v, c) => (c >= rightFrom ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const layerLabel = (l: LayerReport) => (l.type === null ? l.name : describeLayer(l));

export function formatProfile(r: ProfileReport): string {
  const out: string[] = [];
  const b = r.breakdown;
  out.push(`Step: ${ms(r.stepMs)} ms (${Math.round((r.batchSize / r.stepMs) * 1000).toLocaleString('en-US')} samples/s), the mean of ${r.steps} steps of batch ${r.batchSize} on ${r.backend.startsWith('cuda: ') ? `the GPU (${r.backend.slice(6)}, cuda backend)` : `the ${r.backend} backend`}`);
  const parts: [string, number][] = [['data wait', b.dataWait], ['forward', b.forward], ['backward', b.backward], ['optimizer', b.optimizer], ['loss and metrics', b.lossMetrics], ['between ops', b.other]];
  for (const [name, v] of parts) out.push(`  ${name.padEnd(17)}${ms(v).padStart(8)} ms ${percent(v / r.stepMs).padStart(4)}  ${'#'.repeat(Math.round((v / r.stepMs) * 40))}`);
  if (r.overhead) {
    const o = r.overhead;
    out.push(`Profiling overhead: ${o.percent >= 0 ? '+' : ''}${o.percent.toFixed(1)}% (median of ${o.rounds} rounds: ${ms(o.offStepMs)} ms per step off, ${ms(o.onStepMs)} ms on)`);
  }
  if (r.peak) out.push(`Machine peak: ${r.peak.gflops.toFixed(0)} GFLOP/s (float32 GEMM on ${r.peak.threads} threads, ${r.peak.cached ? `measured ${r.peak.measuredAt.slice(0, 10)}` : 'measured now'})`);
  out.push(`Memory: parameters ${formatBytes(r.memory.paramBytes)}, optimizer state ${formatBytes(r.memory.optimizerBytes)}, activations ${formatBytes(r.memory.activationBytes)} for a batch`);
  const m = r.memory.measured;
  if (m) {
    out.push(`  measured: peak ${formatBytes(m.peakBytes)}: step arena ${formatBytes(m.arenaBytes)}, weights ${formatBytes(m.weightBytes)}, optimizer state ${formatBytes(m.optimizerBytes)}, kernel scratch ${formatBytes(m.scratchBytes)}, batches ${formatBytes(m.batchBytes)}, other plans ${formatBytes(m.plansBytes - m.arenaBytes)}`);
  }

  out.push('', 'Layers');
  out.push(...table(
    ['layer', 'forward ms', 'backward ms', 'optimizer ms', 'share', 'GFLOP/s', 'params', 'activations'],
    r.layers.map((l) => [layerLabel(l), ms(l.ms.forward + l.ms.loss + l.ms.metrics), ms(l.ms.backward), ms(l.ms.optimizer), percent(l.share), gflops(l.gflops), l.params.toLocaleString('en-US'), formatBytes(l.activationBytes)]),
    1,
  ).map((line) => `  ${line}`));

  out.push('', `Top ops (of ${r.ops.length})`);
  const top = [...r.ops].sort((a, c) => c.ms - a.ms).slice(0, TOP_OPS);
  out.push(...table(
    ['op', 'node', 'phase', 'ms', 'share', 'GFLOP/s', 'of peak'],
    top.map((o) => [o.op, o.node.length > 48 ? `${o.node.slice(0, 47)}…` : o.node, o.phase, ms(o.ms), percent(o.share), gflops(o.gflops), o.ofPeak === null ? '' : percent(o.ofPeak)]),
    3,
  ).map((line) => `  ${line}`));

  if (r.findings.length > 0) out.push('', 'Findings', ...r.findings.map((f) => `  - ${f.text}`));
  return out.join('\n');
}
