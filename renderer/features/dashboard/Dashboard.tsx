import { useMetricsVersion, useRun, useServices } from '../../AppServices.js';
import { formatAccuracy, formatLoss } from '../../stores/runStore.js';
import { LossChart } from './LossChart.js';

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value mono" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

/**
 * The live view of the current run: loss chart, figures, progress and the run's message.
 * `onOpenRuns` opens the Runs view, where this run is compared with the others.
 */
export function Dashboard({ onOpenRuns }: { onOpenRuns?: () => void }) {
  const { metrics } = useServices();
  useMetricsVersion();
  const status = useRun((s) => s.status);
  const message = useRun((s) => s.message);
  const runId = useRun((s) => s.runId);
  const epochs = useRun((s) => s.config.training.epochs);
  const finalAccuracy = useRun((s) => s.finalAccuracy);
  const first = metrics.firstReceived();
  const last = metrics.last();
  const ended = status === 'completed' || status === 'stopped';
  const progress = status === 'completed' ? 1 : last && epochs > 0 ? Math.min(1, (last.epoch + 1) / epochs) : 0;
  const messageTone = status === 'failed' || status === 'engine-stopped' || status === 'disconnected' ? 'error' : status === 'completed' ? 'success' : '';

  return (
    <aside className="dashboard" aria-label="Training dashboard">
      <div className="panel-title">
        <span>Training</span>
        {runId && (
          <span className="run-id mono" title={`Run ${runId}`} data-testid="run-id">
            {runId.length > 12 ? `${runId.slice(0, 8)}…` : runId}
          </span>
        )}
        <span className="panel-title-spacer" />
        {last && (
          <span className="muted mono nowrap" data-testid="epoch-progress">
            epoch {last.epoch + 1} / {epochs}
          </span>
        )}
        {onOpenRuns && (
          <button type="button" className="link-button" data-testid="open-in-runs" title="Compare this run with the others: scalars, hyperparameters, distributions" onClick={onOpenRuns}>
            Open in Runs
          </button>
        )}
      </div>
      <div className="progress" aria-hidden={status !== 'training'}>
        <div className="progress-bar" style={{ width: `${(progress * 100).toFixed(1)}%` }} />
      </div>
      <div className="stats">
        <Stat label="points" value={`${metrics.total}`} testId="stat-points" />
        <Stat label="first loss" value={formatLoss(first?.loss)} testId="stat-first-loss" />
        <Stat label="last loss" value={formatLoss(last?.loss)} testId="stat-last-loss" />
        <Stat label="accuracy" value={ended || finalAccuracy !== null ? formatAccuracy(finalAccuracy) : '—'} testId="stat-accuracy" />
      </div>
      <LossChart />
      <div className={`run-message ${messageTone}`} data-testid="run-message" role="log">
        {message}
      </div>
    </aside>
  );
}
