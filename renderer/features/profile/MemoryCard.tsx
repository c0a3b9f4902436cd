import type { MeasuredMemory, ProfileReport } from '../../../common/profile/index.js';
import { formatBytes } from './profileFormat.js';

/** The parts of the measured memory, in the order they are stacked. */
const PARTS: { label: string; bytes(m: MeasuredMemory): number; color: string; title: string }[] = [
  { label: 'weights', bytes: (m) => m.weightBytes, color: 'var(--info)', title: 'The model\'s weights, float32' },
  { label: 'optimizer state', bytes: (m) => m.optimizerBytes, color: 'var(--success)', title: 'The optimizer\'s slots (Adam\'s m and v, momentum)' },
  { label: 'step arena', bytes: (m) => m.arenaBytes, color: 'var(--accent)', title: 'The training step\'s planned arena: activations and gradients, buffers reused once dead' },
  { label: 'other plans', bytes: (m) => m.plansBytes - m.arenaBytes, color: 'var(--text-muted)', title: 'Arenas of the model\'s other plans: the last short batch, validation' },
  { label: 'kernel scratch', bytes: (m) => m.scratchBytes, color: 'var(--warning)', title: 'Patch matrices and packed GEMM panels the engine\'s threads keep, grown by the largest kernel run so far (high-water mark)' },
  { label: 'batches', bytes: (m) => m.batchBytes, color: 'var(--border-strong)', title: 'The two buffers batches are gathered into' },
];

/** Memory as the engine measured it over the profiled steps, beside the estimates from the layers. */
export function MemoryCard({ report }: { report: ProfileReport }) {
  const m = report.memory.measured;
  if (!m) return null;
  const parts = PARTS.map((p) => ({ ...p, value: Math.max(0, p.bytes(m)) }));
  const scale = Math.max(m.peakBytes, parts.reduce((a, p) => a + p.value, 0), 1);
  const estimates: [string, number][] = [['parameters', report.memory.paramBytes], ['optimizer state', report.memory.optimizerBytes], ['activations', report.memory.activationBytes]];
  return (
    <div className="profile-memory" data-testid="profile-memory">
      <div className="profile-memory-bar" role="img" aria-label={`peak ${formatBytes(m.peakBytes)}`}>
        {parts.map((p) => p.value > 0 && <span key={p.label} title={`${p.label}: ${formatBytes(p.value)}`} style={{ width: `${(p.value / scale) * 100}%`, background: p.color }} />)}
      </div>
      <div className="profile-memory-columns">
        <dl className="profile-memory-list">
          <div className="profile-memory-row profile-memory-total" title="All of it held at once, at its highest over the profiled steps">
            <dt>measured peak</dt>
            <dd className="mono" data-testid="profile-memory-peak">{formatBytes(m.peakBytes)}</dd>
          </div>
          {parts.map((p) => (
            <div key={p.label} className="profile-memory-row" title={p.title}>
              <dt><span className="profile-swatch" style={{ background: p.color }} /> {p.label}</dt>
              <dd className="mono">{formatBytes(p.value)}</dd>
            </div>
          ))}
        </dl>
        <dl className="profile-memory-list">
          <div className="profile-memory-row profile-memory-total">
            <dt>estimated from the layers</dt>
          </div>
          {estimates.map(([label, bytes]) => (
            <div key={label} className="profile-memory-row">
              <dt>{label}</dt>
              <dd className="mono">{formatBytes(bytes)}</dd>
            </div>
          ))}
        </dl>
      </div>
    </div>
  );
}
