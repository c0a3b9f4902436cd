/** The studio's top-level views: the model editor, the runs dashboard, and the profiler. */
export type StudioMode = 'model' | 'runs' | 'profile';

const MODES: { id: StudioMode; label: string; title: string }[] = [
  { id: 'model', label: 'Model', title: 'Edit the model, its data and training settings' },
  { id: 'runs', label: 'Runs', title: 'Compare runs: scalars, hyperparameters, distributions, confusion matrices' },
  { id: 'profile', label: 'Profile', title: 'Where a training step\'s time and memory go, per layer and op' },
];

/** A segmented control between the editor and the Runs view (the app keeps which one shows). */
export function ModeSwitch({ mode, onChange }: { mode: StudioMode; onChange(mode: StudioMode): void }) {
  return (
    <div className="segmented mode-switch" role="tablist" aria-label="View">
      {MODES.map((m) => (
        <button key={m.id} type="button" role="tab" aria-selected={mode === m.id} className={mode === m.id ? 'segment active' : 'segment'} title={m.title} data-testid={`mode-${m.id}`} onClick={() => onChange(m.id)}>
          {m.label}
        </button>
      ))}
    </div>
  );
}
