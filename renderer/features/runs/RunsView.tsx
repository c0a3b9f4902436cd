import { useEffect, useState } from 'react';
import type { RunsStore } from '../../stores/runsStore.js';
import { ClassificationPanel } from './ClassificationPanel.js';
import { DistributionsPanel } from './DistributionsPanel.js';
import { HparamsPanel } from './HparamsPanel.js';
import { RunDetails, type RunConfigForEditor } from './RunDetails.js';
import { RunsList } from './RunsList.js';
import { ScalarsPanel } from './ScalarsPanel.js';
import { RunsStoreProvider, useRuns, useRunsStore } from './useRuns.js';

type RunsTab = 'scalars' | 'hparams' | 'distributions' | 'classification';

const TABS: { id: RunsTab; label: string }[] = [
  { id: 'scalars', label: 'Scalars' },
  { id: 'hparams', label: 'Hyperparameters' },
  { id: 'distributions', label: 'Distributions' },
  { id: 'classification', label: 'Classification' },
];

function Notice() {
  const store = useRunsStore();
  const notice = useRuns((s) => s.notice);
  if (!notice) return null;
  return (
    <div className="runs-notice" role="alert" data-testid="runs-notice">
      {notice}
      <button type="button" className="button button-quiet" aria-label="Dismiss" onClick={() => store.getState().say(null)}>
        ×
      </button>
    </div>
  );
}

export interface RunsViewProps {
  store: RunsStore;
  /** Puts a run's model, training settings and data back into the editor ("Edit a copy"). */
  onOpenConfig(config: RunConfigForEditor): void;
  /** Profiles steps of the running run while it trains ("Profile 50 steps"). */
  onProfileRun(run: string): void;
}

/** The runs dashboard, in place of the editor: the runs on the left, their views on the right. */
export function RunsView({ store, onOpenConfig, onProfileRun }: RunsViewProps) {
  const [tab, setTab] = useState<RunsTab>('scalars');
  // The store lists and polls only while this view shows.
  useEffect(() => {
    store.getState().setActive(true);
    return () => store.getState().setActive(false);
  }, [store]);
  return (
    <RunsStoreProvider value={store}>
      <main className="runs-view" data-testid="runs-view">
        <aside className="runs-side">
          <RunsList />
          <RunDetails onOpenConfig={onOpenConfig} onProfileRun={onProfileRun} />
        </aside>
        <section className="runs-main">
          <div className="side-tabs runs-tabs" role="tablist">
            {TABS.map((t) => (
              <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'side-tab active' : 'side-tab'} data-testid={`runs-tab-${t.id}`} onClick={() => setTab(t.id)}>
                {t.label}
              </button>
            ))}
          </div>
          <Notice />
          {tab === 'scalars' && <ScalarsPanel />}
          {tab === 'hparams' && <HparamsPanel />}
          {tab === 'distributions' && <DistributionsPanel />}
          {tab === 'classification' && <ClassificationPanel />}
        </section>
      </main>
    </RunsStoreProvider>
  );
}
