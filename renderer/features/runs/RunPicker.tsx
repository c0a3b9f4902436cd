import type { RunSummary } from '../../../common/contract/index.js';
import { useRuns, useRunsStore } from './useRuns.js';

/** Chooses the run a one-run view shows (the focused run), among the runs that have its data. */
export function RunPicker({ has, label }: { has: keyof RunSummary['has']; label: string }) {
  const store = useRunsStore();
  const runs = useRuns((s) => s.runs);
  const focus = useRuns((s) => s.focus);
  const colours = useRuns((s) => s.colours);
  const candidates = runs.filter((r) => r.has[has] || r.id === focus);
  return (
    <label className="run-picker">
      <span className="run-swatch" style={focus && colours[focus] ? { background: colours[focus] } : undefined} />
      <span className="muted">{label}</span>
      <select className="runs-select" value={focus ?? ''} data-testid={`run-picker-${has}`} onChange={(e) => store.getState().setFocus(e.target.value || null)}>
        {focus === null && <option value="">choose a run</option>}
        {candidates.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
            {r.has[has] ? '' : ' (none)'}
          </option>
        ))}
      </select>
    </label>
  );
}
