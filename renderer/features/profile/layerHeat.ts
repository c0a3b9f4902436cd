/**
 * The profile as a heat map over the editor's graph: each layer's share of the hottest layer's
 * time (self time of its forward, backward and update ops) or memory (weights, optimizer state
 * and its activations for the batch), 0..1, for LayerNode's `heat`; and the figure to show on it.
 */
import type { LayerReport, ProfileReport } from '../../../common/profile/index.js';
import { formatBytes, formatMs, formatShare } from './profileFormat.js';

export type HeatMetric = 'time' | 'memory';

const memoryOf = (l: LayerReport) => l.paramBytes + l.optimizerBytes + l.activationBytes;
const valueOf = (l: LayerReport, metric: HeatMetric) => (metric === 'time' ? l.totalMs : memoryOf(l));

/** Layer id -> 0..1, the hottest layer 1; layers of the model only (not the loss and metrics). */
export function layerHeat(report: ProfileReport, metric: HeatMetric): Map<string, number> {
  const layers = report.layers.filter((l) => l.layerId !== null);
  const max = Math.max(0, ...layers.map((l) => valueOf(l, metric)));
  return new Map(layers.map((l) => [l.layerId!, max > 0 ? valueOf(l, metric) / max : 0]));
}

/** Layer id -> the figure behind its heat: "2.10 ms · 23%" or "1.2 MiB". */
export function layerHeatLabels(report: ProfileReport, metric: HeatMetric): Map<string, string> {
  return new Map(report.layers.filter((l) => l.layerId !== null).map((l) => [l.layerId!, metric === 'time' ? `${formatMs(l.totalMs)} · ${formatShare(l.share)}` : formatBytes(memoryOf(l))]));
}
