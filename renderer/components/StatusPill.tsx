import type { RunUiStatus } from '../stores/runStore.js';

const LABELS: Record<RunUiStatus, string> = {
  connecting: 'Connecting…',
  ready: 'Engine ready',
  training: 'Training',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
  'engine-stopped': 'Engine stopped',
  disconnected: 'Cannot connect',
};

export function statusLabel(status: RunUiStatus): string {
  return LABELS[status];
}

/** The engine's state at a glance; the full message is in the tooltip. */
export function StatusPill({ status, message }: { status: RunUiStatus; message: string }) {
  return (
    <div className={`status-pill status-${status}`} data-testid="engine-status" data-status={status} title={message} role="status" aria-live="polite">
      <span className="status-dot" aria-hidden="true" />
      <span className="status-text">{LABELS[status]}</span>
    </div>
  );
}
