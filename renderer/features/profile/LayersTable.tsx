import type { LayerReport } from '../../../common/profile/index.js';
import { ShareBar } from './OpsTable.js';
import { formatBytes, formatCount, formatGflops, formatMs } from './profileFormat.js';
import { SortableTable, type Column } from './SortableTable.js';

const COLUMNS: Column<LayerReport>[] = [
  { id: 'name', label: 'layer', value: (l) => l.name, render: (l) => (l.type === null ? <span className="muted">{l.name}</span> : <><span className="mono">{l.name}</span> <span className="muted">{l.type}</span></>) },
  { id: 'forward', label: 'forward', value: (l) => l.ms.forward + l.ms.loss + l.ms.metrics, render: (l) => formatMs(l.ms.forward + l.ms.loss + l.ms.metrics), numeric: true, title: 'Forward (and, for the model, loss and metrics) per step' },
  { id: 'backward', label: 'backward', value: (l) => l.ms.backward, render: (l) => formatMs(l.ms.backward), numeric: true },
  { id: 'optimizer', label: 'optimizer', value: (l) => l.ms.optimizer, render: (l) => formatMs(l.ms.optimizer), numeric: true },
  { id: 'share', label: 'share', value: (l) => l.share, render: (l) => <ShareBar share={l.share} />, numeric: true },
  { id: 'flops', label: 'FLOPs', value: (l) => l.flops, render: (l) => formatCount(l.flops || null), numeric: true },
  { id: 'gflops', label: 'GFLOP/s', value: (l) => l.gflops, render: (l) => formatGflops(l.gflops), numeric: true },
  { id: 'params', label: 'params', value: (l) => l.params, render: (l) => (l.params > 0 ? l.params.toLocaleString('en-US') : ''), numeric: true },
  { id: 'paramBytes', label: 'weights', value: (l) => l.paramBytes + l.optimizerBytes, render: (l) => formatBytes(l.paramBytes + l.optimizerBytes || null), numeric: true, title: 'Weights and optimizer state' },
  { id: 'activationBytes', label: 'activations', value: (l) => l.activationBytes, render: (l) => formatBytes(l.activationBytes || null), numeric: true, title: 'Its output for the whole batch, kept for the backward pass' },
];

/** Time, compute and memory per layer, sortable; a click selects the layer in the editor. */
export function LayersTable({ layers, onSelectLayer }: { layers: LayerReport[]; onSelectLayer?(layerId: string): void }) {
  return <SortableTable rows={layers} columns={COLUMNS} rowKey={(l) => l.layerId ?? l.name} initialSort="share" testId="profile-layers" onRowClick={onSelectLayer && ((l) => l.layerId !== null && onSelectLayer(l.layerId))} />;
}
