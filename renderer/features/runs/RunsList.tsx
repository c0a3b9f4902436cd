import { useMemo } from 'react';
import type { RunState } from '../../../common/contract/index.js';
import { visibleRuns } from '../../stores/runsStore.js';
import { LogdirForm } from './LogdirForm.js';
import { RunStatusBadge } from './RunStatusBadge.js';
import { useRuns, useRunsStore } from './useRuns.js';

const STATUSES: (RunState | 'all')[] = ['all', 'running', 'completed', 'stopped', 'failed', 'crashed'];

/** The logdir's runs: filters, and a tick per run to overlay it on the charts in its colour. */
export function RunsList() {
  const store = useRunsStore();
  const runs = useRuns((s) => s.runs);
  const filter = useRuns((s) => s.filter);
  const selected = useRuns((s) => s.selected);
  const colours = useRuns((s) => s.colours);
  const focus = useRuns((s) => s.focus);
  const shown = useMemo(() => visibleRuns(runs, filter), [runs, filter]);
  const picked = useMemo(() => new Set(selected), [selected]);
  const { setFilter, setSelected, toggleSelected, setFocus } = store.getState();

  return (
    <div className="runs-list" data-testid="runs-list">
      <div className="panel-title">
        <span>Runs</span>
        <span className="count-badge">{runs.length}</span>
        <span className="panel-title-spacer" />
        <span className="muted">{selected.length} shown</span>
      </div>
      <LogdirForm />
      <div className="runs-filters">
        <input className="runs-input" type="search" placeholder="Filter: name, notes, lr=0.01" value={filter.text} data-testid="runs-filter" onChange={(e) => setFilter({ text: e.target.value })} />
        <select className="runs-select" value={filter.status} aria-label="Status" data-testid="runs-status-filter" onChange={(e) => setFilter({ status: e.target.value as RunState | 'all' })}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === 'all' ? 'any status' : s}
            </option>
          ))}
        </select>
      </div>
      <div className="runs-bulk">
        <button type="button" className="link-button" disabled={shown.length === 0} onClick={() => setSelected([...selected, ...shown.map((r) => r.id)])}>
          Show all {shown.length < runs.length ? 'filtered' : ''}
        </button>
        <button type="button" className="link-button" disabled={selected.length === 0} onClick={() => setSelected([])}>
          Hide all
        </button>
      </div>
      <ul className="run-rows">
        {shown.map((r) => (
          <li key={r.id} className={r.id === focus ? 'run-row focused' : 'run-row'} data-testid="run-row" data-run={r.id}>
            <input type="checkbox" checked={picked.has(r.id)} aria-label={`Show ${r.name} on the charts`} data-testid="run-select" onChange={() => toggleSelected(r.id)} />
            <span className={picked.has(r.id) ? 'run-swatch' : 'run-swatch off'} style={picked.has(r.id) ? { background: colours[r.id] } : undefined} />
            <button type="button" className="run-name" title={`${r.name} (${r.id})${r.notes ? `\n${r.notes}` : ''}`} onClick={() => setFocus(r.id)}>
              {r.name}
            </button>
            <RunStatusBadge status={r.status} />
            <span className="muted mono run-step" title="last step">
              {r.step.toLocaleString('en')}
            </span>
          </li>
        ))}
        {runs.length > 0 && shown.length === 0 && <li className="runs-empty small">No run matches the filter.</li>}
      </ul>
    </div>
  );
}
