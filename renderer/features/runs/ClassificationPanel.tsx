import { useState } from 'react';
import { ConfusionMatrix, type Cell } from './ConfusionMatrix.js';
import { MisclassifiedGrid } from './MisclassifiedGrid.js';
import { RunPicker } from './RunPicker.js';
import { useRunData, useRuns } from './useRuns.js';

/** The focused run's validation confusion matrix at an epoch (the newest by default), and its mistakes. */
export function ClassificationPanel() {
  const api = useRuns((s) => s.api);
  const run = useRuns((s) => s.runs.find((r) => r.id === s.focus));
  /** null follows the newest epoch while the run trains. */
  const [epoch, setEpoch] = useState<number | null>(null);
  const [picked, setPicked] = useState<Cell | null>(null);
  const [shownRun, setShownRun] = useState(run?.id);
  if (shownRun !== run?.id) {
    // Another run: start again from its newest epoch.
    setShownRun(run?.id);
    setEpoch(null);
    setPicked(null);
  }
  const id = run?.has.confusion ? run.id : null;
  const latest = useRunData(id ? `${id}\n${run?.step}` : null, () => api.confusion({ run: id! }));
  const newest = latest.data?.epoch ?? null;
  const wanted = epoch ?? newest;
  const chosen = useRunData(id && epoch !== null ? `${id}\n${epoch}` : null, () => api.confusion({ run: id!, epoch: epoch! }));
  const matrix = epoch === null ? latest.data : chosen.data;
  const misclassified = useRunData(run?.has.misclassified && wanted !== null ? `${run.id}\n${wanted}` : null, () => api.misclassified({ run: run!.id, epoch: wanted! }));
  const filter = picked && matrix ? { label: matrix.classNames[picked.actual], predicted: matrix.classNames[picked.predicted] } : null;
  const samples = (misclassified.data?.samples ?? []).filter((s) => !filter || (s.label === filter.label && s.predicted === filter.predicted));
  const error = latest.error ?? chosen.error;

  return (
    <div className="runs-panel" data-testid="classification-panel">
      <div className="runs-settings">
        <RunPicker has="confusion" label="Run" />
        {newest !== null && (
          <label className="epoch-slider">
            <span className="muted">epoch</span>
            <input type="range" min={0} max={newest} step={1} value={wanted ?? newest} data-testid="confusion-epoch" onChange={(e) => {
              const value = Number(e.target.value);
              setEpoch(value === newest ? null : value);
            }} />
            <span className="mono">
              {(wanted ?? newest) + 1} / {newest + 1}
            </span>
            {epoch !== null && (
              <button type="button" className="link-button" onClick={() => setEpoch(null)}>
                newest
              </button>
            )}
          </label>
        )}
      </div>
      {!run ? (
        <div className="runs-empty">Pick a run in the list.</div>
      ) : !run.has.confusion ? (
        <div className="runs-empty">{run.name} has no confusion matrix: it is kept for classification runs with validation data.</div>
      ) : error ? (
        <div className="runs-empty error">Cannot read the confusion matrix of {run.name}: {error}</div>
      ) : !matrix ? (
        <div className="runs-empty">{epoch === null ? 'Waiting for the first epoch…' : `No confusion matrix for epoch ${epoch + 1}.`}</div>
      ) : (
        <div className="classification-body">
          <ConfusionMatrix matrix={matrix} picked={picked} onPick={setPicked} />
          {run.has.misclassified && (
            <section className="misclassified-section">
              <div className="panel-subtitle">
                Misclassified{filter ? `: ${filter.label} predicted as ${filter.predicted}` : ''}
                {filter && (
                  <button type="button" className="link-button" onClick={() => setPicked(null)}>
                    show all
                  </button>
                )}
              </div>
              <MisclassifiedGrid samples={samples} filter={filter ? `${filter.label} → ${filter.predicted}` : null} />
            </section>
          )}
        </div>
      )}
    </div>
  );
}
