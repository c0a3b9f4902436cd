import { useState } from 'react';
import { isGradientTag } from '../../../common/metrics/histogramTags.js';
import { Ridgeline } from './Ridgeline.js';
import { RunPicker } from './RunPicker.js';
import { useRunData, useRuns } from './useRuns.js';

type Kind = 'weights' | 'gradients';

const KINDS: { id: Kind; label: string; title: string }[] = [
  { id: 'weights', label: 'Weights', title: 'Each weight\'s values at the end of each epoch' },
  { id: 'gradients', label: 'Gradients', title: 'Each weight\'s gradient of the loss over the training data\'s first batch, at the end of each epoch' },
];

/** Histograms of the focused run's weights or their gradients, per layer, over its epochs. */
export function DistributionsPanel() {
  const api = useRuns((s) => s.api);
  const run = useRuns((s) => s.runs.find((r) => r.id === s.focus));
  const colour = useRuns((s) => (s.focus ? s.colours[s.focus] : undefined)) ?? 'var(--accent)';
  const [kind, setKind] = useState<Kind>('weights');
  // A new step (the list refreshes while the run trains) fetches the new epochs.
  const key = run?.has.histograms ? `${run.id}\n${run.step}` : null;
  const { data, error } = useRunData(key, () => api.histograms({ run: run!.id }));
  const shown = (data ?? []).filter((s) => isGradientTag(s.tag) === (kind === 'gradients'));
  return (
    <div className="runs-panel" data-testid="distributions-panel">
      <div className="runs-settings">
        <RunPicker has="histograms" label="Run" />
        <div className="segmented" role="radiogroup" aria-label="Histograms of">
          {KINDS.map((k) => (
            <button key={k.id} type="button" role="radio" aria-checked={kind === k.id} className={kind === k.id ? 'segment active' : 'segment'} title={k.title} data-testid={`histograms-${k.id}`} onClick={() => setKind(k.id)}>
              {k.label}
            </button>
          ))}
        </div>
      </div>
      {!run ? (
        <div className="runs-empty">Pick a run in the list.</div>
      ) : !run.has.histograms ? (
        <div className="runs-empty">{run.name} has no weight histograms.</div>
      ) : error ? (
        <div className="runs-empty error">Cannot read the histograms of {run.name}: {error}</div>
      ) : data && shown.length === 0 ? (
        <div className="runs-empty">
          {kind === 'gradients'
            ? `${run.name} has no gradient histograms (tags ending in _grad, .grad or /gradient).`
            : `${run.name} has only gradient histograms.`}
        </div>
      ) : (
        <div className="ridge-grid">
          {shown.map((s) => (
            <Ridgeline key={s.tag} series={s} colour={colour} />
          ))}
        </div>
      )}
    </div>
  );
}
