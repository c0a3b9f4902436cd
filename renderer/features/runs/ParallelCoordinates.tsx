import { useMemo, useRef, useState } from 'react';
import type { RunSummary } from '../../../common/contract/index.js';
import type { RunColumn } from './runColumns.js';
import { parallelAxes } from './parallelAxes.js';
import { useElementSize } from './useElementSize.js';
import { useRuns, useRunsStore } from './useRuns.js';

const HEIGHT = 280;
const TOP = 40;
const BOTTOM = 22;
const SIDE = 60;

/** Each run a line across one axis per hyperparameter and metric; a click shows the run on the charts. */
export function ParallelCoordinates({ rows, columns }: { rows: RunSummary[]; columns: RunColumn[] }) {
  const store = useRunsStore();
  const boxRef = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(boxRef);
  const selected = useRuns((s) => s.selected);
  const colours = useRuns((s) => s.colours);
  const focus = useRuns((s) => s.focus);
  const [hovered, setHovered] = useState<string | null>(null);
  const axes = useMemo(() => parallelAxes(rows, columns), [rows, columns]);
  const picked = new Set(selected);
  const xAt = (i: number) => (axes.length === 1 ? width / 2 : SIDE + (i * (width - 2 * SIDE)) / (axes.length - 1));
  const yAt = (t: number) => TOP + (1 - t) * (HEIGHT - TOP - BOTTOM);

  const path = (run: RunSummary): string => {
    let d = '';
    let open = false;
    axes.forEach((axis, i) => {
      const t = axis.position(run);
      if (t === null) {
        open = false;
        return;
      }
      d += `${open ? 'L' : 'M'}${xAt(i).toFixed(1)},${yAt(t).toFixed(1)}`;
      open = true;
    });
    return d;
  };
  // Picked runs are drawn last, over the others.
  const order = [...rows].sort((a, b) => Number(picked.has(a.id)) - Number(picked.has(b.id)) || Number(a.id === hovered) - Number(b.id === hovered));

  return (
    <div ref={boxRef} className="parallel-box" data-testid="parallel-coordinates">
      {axes.length === 0 ? (
        <div className="runs-empty small">No hyperparameters or metrics to compare yet.</div>
      ) : (
        width > 0 && (
          <svg width={width} height={HEIGHT} className="parallel-svg" role="img" aria-label="Parallel coordinates of the runs' hyperparameters and metrics">
            {order.map((r) => {
              const on = picked.has(r.id);
              return (
                <path
                  key={r.id}
                  d={path(r)}
                  className={`parallel-line${on ? ' on' : ''}${r.id === hovered || r.id === focus ? ' hot' : ''}`}
                  style={on ? { stroke: colours[r.id] } : undefined}
                  data-run={r.id}
                  onMouseEnter={() => setHovered(r.id)}
                  onMouseLeave={() => setHovered(null)}
                  onClick={() => store.getState().toggleSelected(r.id)}
                >
                  <title>{r.name}</title>
                </path>
              );
            })}
            {axes.map((axis, i) => (
              <g key={axis.column.id} transform={`translate(${xAt(i)},0)`} className="parallel-axis">
                <line y1={TOP} y2={HEIGHT - BOTTOM} />
                <text y={TOP - 22} className={`parallel-label ${axis.column.kind}`} textAnchor="middle">
                  {axis.column.label.length > 16 ? `${axis.column.label.slice(0, 15)}…` : axis.column.label}
                  <title>{axis.column.label}</title>
                </text>
                {axis.ticks.slice(0, 8).map((t) => (
                  <text key={t.label} x={5} y={yAt(t.at)} dy="0.35em" className="parallel-tick">
                    {t.label.length > 12 ? `${t.label.slice(0, 11)}…` : t.label}
                  </text>
                ))}
              </g>
            ))}
          </svg>
        )
      )}
    </div>
  );
}
