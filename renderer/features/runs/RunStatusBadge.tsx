import type { RunState } from '../../../common/contract/index.js';

/** A run's status as a small coloured label (the status pill's colours). */
export function RunStatusBadge({ status }: { status: RunState }) {
  return (
    <span className={`run-badge run-badge-${status}`} data-testid="run-status" data-status={status}>
      {status}
    </span>
  );
}
