import { Ridgeline } from './Ridgeline.js';
import { RunPicker } from './RunPicker.js';
import { useRunData, useRuns } from './useRuns.js';

/** Histograms of the focused run's weights (and gradients), per layer, over its epochs. */
export function DistributionsPanel() {
  const api = useRuns((s) => s.api);
  const run = useRuns((s) => s.runs.find((r) => r.id === s.focus));
  const colour = useRuns((s) => (s.focus ? s.colours[s.focus] : undefined)) ?? 'var(--accent)';
  // A new step (the list refreshes while the run trains) fetches the new epochs.
  const key = run?.has.histograms ? `${run.id}\n${run.step}` : null;
  const { data, error } = useRunData(key, () => api.histograms({ run: run!.id }));
  return (
    <div className="runs-panel" data-testid="distributions-panel">
      <div className="runs-settings">
        <RunPicker has="histograms" label="Run" />
      </div>
      {!run ? (
        <div className="runs-empty">Pick a run in the list.</div>
      ) : !run.has.histograms ? (
        <div className="runs-empty">{run.name} has no weight histograms.</div>
      ) : error ? (
        <div className="runs-empty error">Cannot read the histograms of {run.name}: {error}</div>
      ) : (
        <div className="ridge-grid">
          {(data ?? []).map((s) => (
            <Ridgeline key={s.tag} series={s} colour={colour} />
          ))}
        </div>
      )}
    </div>
  );
}
