import type { OpReport } from '../../../common/profile/index.js';
import { formatBytes, formatCount, formatGflops, formatMs, formatShare, PHASE_COLORS } from './profileFormat.js';
import { SortableTable, type Column } from './SortableTable.js';

const COLUMNS: Column<OpReport>[] = [
  { id: 'op', label: 'op', value: (o) => o.op, render: (o) => <span className="mono">{o.op}</span> },
  { id: 'node', label: 'node', value: (o) => o.node, render: (o) => <span className="mono profile-node" title={o.node}>{o.node}</span> },
  { id: 'layer', label: 'layer', value: (o) => o.layer },
  { id: 'phase', label: 'phase', value: (o) => o.phase, render: (o) => <span className="profile-phase"><span className="profile-swatch" style={{ background: PHASE_COLORS[o.phase] }} />{o.phase}</span> },
  { id: 'ms', label: 'self time', value: (o) => o.ms, render: (o) => formatMs(o.ms), numeric: true, title: 'Per step' },
  { id: 'share', label: 'share', value: (o) => o.share, render: (o) => <ShareBar share={o.share} />, numeric: true, title: 'Of the measured step' },
  { id: 'flops', label: 'FLOPs', value: (o) => o.flops, render: (o) => formatCount(o.flops), numeric: true, title: 'Per step, for matmuls and convolutions' },
  { id: 'gflops', label: 'GFLOP/s', value: (o) => o.gflops, render: (o) => formatGflops(o.gflops), numeric: true },
  { id: 'ofPeak', label: 'of peak', value: (o) => o.ofPeak, render: (o) => (o.ofPeak === null ? '' : formatShare(o.ofPeak)), numeric: true, title: "Of this machine's measured GEMM peak" },
  { id: 'bytes', label: 'bytes', value: (o) => o.bytes, render: (o) => formatBytes(o.bytes), numeric: true, title: 'Read and written per step (an estimate)' },
];

export function ShareBar({ share }: { share: number }) {
  return (
    <span className="profile-share">
      <span className="profile-share-bar" style={{ width: `${Math.min(100, share * 100)}%` }} />
      <span className="profile-share-text">{formatShare(share)}</span>
    </span>
  );
}

/** Every op of the step, sortable; the slowest first. */
export function OpsTable({ ops, onSelectLayer }: { ops: OpReport[]; onSelectLayer?(layerId: string): void }) {
  return <SortableTable rows={ops} columns={COLUMNS} rowKey={(o) => o.node} initialSort="ms" testId="profile-ops" onRowClick={onSelectLayer && ((o) => o.layerId !== null && onSelectLayer(o.layerId))} />;
}
