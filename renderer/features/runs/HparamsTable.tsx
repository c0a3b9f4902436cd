import type { RunSummary } from '../../../common/contract/index.js';
import { cellValue, formatCell, type RunColumn } from './runColumns.js';
import { RunStatusBadge } from './RunStatusBadge.js';
import { useRuns, useRunsStore } from './useRuns.js';

/** One row per run, one column per hyperparameter and metric; a header click sorts by it. */
export function HparamsTable({ rows, columns }: { rows: RunSummary[]; columns: RunColumn[] }) {
  const store = useRunsStore();
  const sort = useRuns((s) => s.sort);
  const selected = useRuns((s) => s.selected);
  const colours = useRuns((s) => s.colours);
  const focus = useRuns((s) => s.focus);
  const { sortBy, toggleSelected, setFocus } = store.getState();
  return (
    <div className="hparams-scroll">
      <table className="hparams-table" data-testid="hparams-table">
        <thead>
          <tr>
            <th className="hparams-pick" aria-label="On the charts" />
            {columns.map((c) => {
              const active = sort.column === c.id;
              return (
                <th key={c.id} className={`hparams-${c.kind}`} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="hparams-sort" data-testid={`sort-${c.id}`} title={`Sort by ${c.label}`} onClick={() => sortBy(c.id)}>
                    {c.label}
                    <span className="sort-arrow">{active ? (sort.descending ? '▼' : '▲') : ''}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const on = selected.includes(r.id);
            return (
              <tr key={r.id} className={r.id === focus ? 'focused' : undefined} data-testid="hparams-row" data-run={r.id} onClick={() => setFocus(r.id)}>
                <td className="hparams-pick">
                  <input type="checkbox" checked={on} aria-label={`Show ${r.name} on the charts`} onClick={(e) => e.stopPropagation()} onChange={() => toggleSelected(r.id)} />
                  <span className={on ? 'run-swatch' : 'run-swatch off'} style={on ? { background: colours[r.id] } : undefined} />
                </td>
                {columns.map((c) => (
                  <td key={c.id} className={`hparams-${c.kind}`}>
                    {c.kind === 'status' ? <RunStatusBadge status={r.status} /> : formatCell(cellValue(r, c.id))}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
