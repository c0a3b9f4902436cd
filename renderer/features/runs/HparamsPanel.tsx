import { useMemo } from 'react';
import { visibleRuns } from '../../stores/runsStore.js';
import { HparamsTable } from './HparamsTable.js';
import { sortRuns, tableColumns } from './runColumns.js';
import { ParallelCoordinates } from './ParallelCoordinates.js';
import { useRuns } from './useRuns.js';

/** The runs the list's filter lets through, compared: parallel coordinates over a sortable table. */
export function HparamsPanel() {
  const runs = useRuns((s) => s.runs);
  const filter = useRuns((s) => s.filter);
  const sort = useRuns((s) => s.sort);
  const shown = useMemo(() => visibleRuns(runs, filter), [runs, filter]);
  const columns = useMemo(() => tableColumns(shown), [shown]);
  const rows = useMemo(() => sortRuns(shown, sort), [shown, sort]);
  if (runs.length === 0) return <div className="runs-empty">No runs to compare yet.</div>;
  return (
    <div className="runs-panel hparams-panel" data-testid="hparams-panel">
      <ParallelCoordinates rows={rows} columns={columns} />
      <HparamsTable rows={rows} columns={columns} />
    </div>
  );
}
