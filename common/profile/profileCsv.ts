/**
 * The profile's tables as one CSV (RFC 4180) for a spreadsheet: the `table` column says which
 * table a row belongs to (step: the step's breakdown; op; layer; memory: as the engine measured
 * it), so one filter separates them.
 */
import { PROFILE_PHASES, type ProfileReport } from './ProfileReport.js';

const COLUMNS = [
  'table', 'name', 'op', 'layer', 'layer_type', 'phase', 'ms_per_step', 'share', 'flops', 'gflops', 'of_peak', 'bytes',
  'params', 'param_bytes', 'optimizer_bytes', 'activation_bytes', ...PROFILE_PHASES.map((p) => `${p}_ms`),
] as const;

type Row = Partial<Record<(typeof COLUMNS)[number], string | number | null>>;

function field(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function profileCsv(report: ProfileReport): string {
  const rows: Row[] = [];
  const b = report.breakdown;
  const step: [string, number][] = [['data wait', b.dataWait], ['forward', b.forward], ['backward', b.backward], ['optimizer', b.optimizer], ['loss and metrics', b.lossMetrics], ['outside ops', b.other], ['step', report.stepMs]];
  for (const [name, ms] of step) rows.push({ table: 'step', name, ms_per_step: ms, share: ms / report.stepMs });
  for (const o of report.ops) {
    rows.push({ table: 'op', name: o.node, op: o.op, layer: o.layer, layer_type: o.layerType, phase: o.phase, ms_per_step: o.ms, share: o.share, flops: o.flops, gflops: o.gflops, of_peak: o.ofPeak, bytes: o.bytes });
  }
  for (const l of report.layers) {
    const row: Row = { table: 'layer', name: l.name, layer: l.name, layer_type: l.type, ms_per_step: l.totalMs, share: l.share, flops: l.flops, gflops: l.gflops, params: l.params, param_bytes: l.paramBytes, optimizer_bytes: l.optimizerBytes, activation_bytes: l.activationBytes };
    for (const p of PROFILE_PHASES) row[`${p}_ms`] = l.ms[p];
    rows.push(row);
  }
  const m = report.memory.measured;
  if (m) {
    const memory: [string, number][] = [
      ['peak', m.peakBytes], ['step arena', m.arenaBytes], ['weights', m.weightBytes], ['optimizer state', m.optimizerBytes],
      ['kernel scratch', m.scratchBytes], ['batches', m.batchBytes], ['other plans', m.plansBytes - m.arenaBytes],
    ];
    for (const [name, bytes] of memory) rows.push({ table: 'memory', name, bytes });
  }
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => field(r[c])).join(','))].join('\r\n') + '\r\n';
}
