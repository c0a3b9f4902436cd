import { useMemo } from 'react';
import { stepLayout, type ProfileReport, type StepSpan } from '../../../common/profile/index.js';
import { formatMs, formatShare, PHASE_COLORS, STEP_PARTS } from './profileFormat.js';

const TRACKS: StepSpan['kind'][] = ['phase', 'layer', 'op'];
const OPACITY = { phase: 0.95, layer: 0.75, op: 0.55 } as const;
const ROW = 22;
const GAP = 3;
const AXIS = 18;
const pct = (f: number) => `${(f * 100).toFixed(4)}%`;

const colorOf = (s: StepSpan) => (s.phase === 'data wait' ? STEP_PARTS[0].color : s.phase ? PHASE_COLORS[s.phase] : 'var(--text-faint)');
const labelOf = (s: StepSpan) => (s.kind === 'op' ? s.op!.op : s.name);

/** One average step on the engine thread, to scale: phases, then layers, then ops; hover for figures. */
export function StepTimeline({ report, onSelectLayer }: { report: ProfileReport; onSelectLayer?(layerId: string): void }) {
  const { stepNs, spans } = useMemo(() => stepLayout(report), [report]);
  const height = TRACKS.length * (ROW + GAP) + AXIS;
  return (
    <svg className="profile-timeline" width="100%" height={height} role="img" aria-label={`One training step of ${formatMs(report.stepMs)}`} data-testid="profile-timeline">
      {spans.filter((s) => s.kind !== 'step').map((s, i) => {
        const y = TRACKS.indexOf(s.kind) * (ROW + GAP);
        const ms = s.durNs / 1e6;
        const select = onSelectLayer && s.layerId !== null ? () => onSelectLayer(s.layerId!) : undefined;
        // A nested svg clips the label to its span.
        return (
          <svg key={i} x={pct(s.startNs / stepNs)} y={y} width={pct(Math.max(s.durNs / stepNs, 0.0005))} height={ROW} className={select ? 'clickable' : undefined} onClick={select}>
            <title>{`${s.name}${s.kind === 'op' ? ` (${s.op!.op})` : ''}: ${formatMs(ms)}, ${formatShare(ms / report.stepMs)} of the step`}</title>
            <rect width="100%" height="100%" rx={2} fill={colorOf(s)} opacity={OPACITY[s.kind as keyof typeof OPACITY]} />
            <text x={4} y={15} className="profile-timeline-label">{labelOf(s)}</text>
          </svg>
        );
      })}
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <text key={t} x={pct(t)} y={height - 4} className="profile-timeline-tick" textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}>
          {formatMs((t * stepNs) / 1e6)}
        </text>
      ))}
    </svg>
  );
}
