import type { TimelineReport, TimelineSpan } from '../../../common/profile/index.js';
import { formatMs, PHASE_COLORS, STEP_PARTS } from './profileFormat.js';

const ROW = 20;
const pct = (f: number) => `${(f * 100).toFixed(4)}%`;

const laneName = (thread: number) => (thread === 0 ? 'training thread' : `worker ${thread}`);

function Span({ span, stepNs, onSelectLayer }: { span: TimelineSpan; stepNs: number; onSelectLayer?(layerId: string): void }) {
  const ms = (span.endNs - span.startNs) / 1e6;
  const select = onSelectLayer && span.layerId !== null ? () => onSelectLayer(span.layerId!) : undefined;
  return (
    <svg x={pct(span.startNs / stepNs)} width={pct(Math.max((span.endNs - span.startNs) / stepNs, 0.0005))} height={ROW} className={select ? 'clickable' : undefined} onClick={select}>
      <title>{`${span.node} (${span.op}, ${span.phase}): ${formatMs(ms)}`}</title>
      <rect width="100%" height="100%" rx={2} fill={PHASE_COLORS[span.phase]} opacity={0.8} />
      <text x={4} y={14} className="profile-timeline-label">{span.op}</text>
    </svg>
  );
}

/**
 * One recorded training step, a lane per engine thread, to scale: the training thread's data wait
 * and ops, and each compute worker's share of the ops' parallel loops (idle gaps are idle time).
 */
export function ThreadTimeline({ timeline, onSelectLayer }: { timeline: TimelineReport; onSelectLayer?(layerId: string): void }) {
  const stepNs = Math.max(timeline.stepNs, ...timeline.spans.map((s) => s.endNs), 1);
  const lanes = Array.from({ length: timeline.threads }, (_, t) => timeline.spans.filter((s) => s.thread === t));
  return (
    <div className="profile-lanes" data-testid="profile-thread-timeline">
      {lanes.map((spans, thread) => (
        <div key={thread} className="profile-lane" data-testid={`profile-lane-${thread}`}>
          <span className="profile-lane-label muted">{laneName(thread)}</span>
          <svg className="profile-lane-track" width="100%" height={ROW} role="img" aria-label={`${laneName(thread)}: ${spans.length} spans`}>
            {thread === 0 && timeline.dataWaitNs > 0 && (
              <svg width={pct(timeline.dataWaitNs / stepNs)} height={ROW}>
                <title>{`data wait: ${formatMs(timeline.dataWaitNs / 1e6)}`}</title>
                <rect width="100%" height="100%" rx={2} fill={STEP_PARTS[0].color} opacity={0.8} />
              </svg>
            )}
            {spans.map((s, i) => <Span key={i} span={s} stepNs={stepNs} onSelectLayer={onSelectLayer} />)}
          </svg>
        </div>
      ))}
      <div className="profile-lane">
        <span className="profile-lane-label" />
        <svg className="profile-lane-track" width="100%" height={14}>
          {[0, 0.25, 0.5, 0.75, 1].map((t) => (
            <text key={t} x={pct(t)} y={11} className="profile-timeline-tick" textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}>
              {formatMs((t * stepNs) / 1e6)}
            </text>
          ))}
        </svg>
      </div>
    </div>
  );
}

