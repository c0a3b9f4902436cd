import { useState } from 'react';
import { LIVE_PROFILE_STEPS, type RunSummary } from '../../../common/contract/index.js';
import type { ModelDoc, TrainingConfig } from '../../../common/model/index.js';
import { useRun, useServices } from '../../AppServices.js';
import { ExportPanel } from '../export/ExportPanel.js';
import { RunStatusBadge } from './RunStatusBadge.js';
import { useRuns, useRunsStore } from './useRuns.js';

/** A run's model, training settings and data, as the editor takes them back. */
export interface RunConfigForEditor {
  model: ModelDoc;
  training: TrainingConfig;
  data?: string;
}

const RESUMABLE = new Set(['stopped', 'failed', 'crashed']);

/**
 * The studio's current run, as far as the list can tell: the newest running Kiln run that this
 * view did not resume itself (those it stops through the engine with the id it got back).
 */
function currentRun(runs: readonly RunSummary[], resumed: Record<string, string>): string | null {
  const running = runs.filter((r) => r.status === 'running' && r.source === 'kiln' && !(r.id in resumed));
  running.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  return running[0]?.id ?? null;
}

function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** What the details do outside the runs view: open a run's settings in the editor, profile a running run. */
export interface RunDetailsProps {
  onOpenConfig(config: RunConfigForEditor): void;
  /** Profiles LIVE_PROFILE_STEPS steps of the running run (its id) and shows the result in the Profile view. */
  onProfileRun(run: string): void;
}

function Actions({ run, onOpenConfig, onProfileRun }: RunDetailsProps & { run: RunSummary }) {
  const store = useRunsStore();
  const services = useServices();
  const training = useRun((s) => s.status === 'training');
  const runs = useRuns((s) => s.runs);
  const resumed = useRuns((s) => s.resumed);
  const logdir = useRuns((s) => s.logdir);
  const mine = run.id in resumed;
  const canStop = run.status === 'running' && (mine || (training && currentRun(runs, resumed) === run.id));
  const stop = () => void (mine ? store.getState().stopResumed(run.id) : services.run.getState().stop());
  const duplicate = async () => {
    try {
      onOpenConfig(await store.getState().api.runConfig({ run: run.id }));
    } catch (err) {
      store.getState().say(`Cannot read the settings of ${run.name}: ${(err as { message?: string })?.message ?? String(err)}`);
    }
  };
  const remove = () => {
    if (window.confirm(`Delete the run “${run.name}”? Its folder ${logdir ? `${logdir}/` : ''}${run.id} (events, checkpoints, notes) is removed from the disk.`)) void store.getState().remove(run.id);
  };
  return (
    <div className="run-actions">
      <button type="button" className="button button-stop" data-testid="run-stop" disabled={!canStop} title={canStop ? 'Stop this run; its last checkpoint stays' : 'Only a running run that this studio started can be stopped'} onClick={stop}>
        Stop
      </button>
      <button type="button" className="button button-quiet" data-testid="run-profile" disabled={!canStop} title={canStop ? `Profile the next ${LIVE_PROFILE_STEPS} steps of this run while it trains, in the Profile view` : 'Only a running run that this studio started can be profiled'} onClick={() => onProfileRun(run.id)}>
        Profile {LIVE_PROFILE_STEPS} steps
      </button>
      <button type="button" className="button button-quiet" data-testid="run-resume" disabled={run.source !== 'kiln' || !RESUMABLE.has(run.status)} title="Train on from the last checkpoint for the remaining epochs, as a new run" onClick={() => void store.getState().resume(run.id)}>
        Resume
      </button>
      <button type="button" className="button button-quiet" data-testid="run-duplicate" disabled={run.source !== 'kiln'} title="Open this run's model, training settings and data in the editor" onClick={() => void duplicate()}>
        Edit a copy
      </button>
      <button type="button" className="button button-quiet danger" data-testid="run-delete" disabled={run.status === 'running'} title={run.status === 'running' ? 'Stop the run before deleting it' : 'Delete the run from the disk'} onClick={remove}>
        Delete
      </button>
    </div>
  );
}

/** The focused run: name (renamable), status, times, notes, and its actions. */
function Details({ run, onOpenConfig, onProfileRun }: RunDetailsProps & { run: RunSummary }) {
  const store = useRunsStore();
  const [name, setName] = useState(run.name);
  const [notes, setNotes] = useState(run.notes ?? '');
  const saveName = () => {
    if (name.trim() && name.trim() !== run.name) void store.getState().rename(run.id, name);
    else setName(run.name);
  };
  const saveNotes = () => {
    if (notes !== (run.notes ?? '')) void store.getState().setNotes(run.id, notes);
  };
  return (
    <div className="run-details" data-testid="run-details" data-run={run.id}>
      <div className="run-details-head">
        <input className="runs-input run-name-input" value={name} aria-label="Run name" data-testid="run-name" onChange={(e) => setName(e.target.value)} onBlur={saveName} onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
          if (e.key === 'Escape') setName(run.name);
        }} />
        <RunStatusBadge status={run.status} />
      </div>
      <dl className="run-facts">
        <dt>folder</dt>
        <dd className="mono">{run.id}</dd>
        <dt>started</dt>
        <dd>{when(run.createdAt)}</dd>
        <dt>ended</dt>
        <dd>{run.status === 'running' ? 'running' : when(run.endedAt)}</dd>
        <dt>step</dt>
        <dd className="mono">{run.step.toLocaleString('en')}</dd>
        {run.source !== 'kiln' && (
          <>
            <dt>written by</dt>
            <dd>another TensorBoard writer (Keras, PyTorch…)</dd>
          </>
        )}
      </dl>
      <textarea className="runs-input run-notes" rows={3} placeholder="Notes: what this run tried, what it showed" value={notes} data-testid="run-notes" onChange={(e) => setNotes(e.target.value)} onBlur={saveNotes} />
      <Actions run={run} onOpenConfig={onOpenConfig} onProfileRun={onProfileRun} />
      {run.source === 'kiln' && run.status !== 'running' && <ExportPanel run={run} />}
    </div>
  );
}

export function RunDetails({ onOpenConfig, onProfileRun }: RunDetailsProps) {
  const run = useRuns((s) => s.runs.find((r) => r.id === s.focus));
  if (!run) return null;
  // Keyed by run and its saved texts, so the fields start from what the host has.
  return <Details key={`${run.id}\n${run.name}\n${run.notes ?? ''}`} run={run} onOpenConfig={onOpenConfig} onProfileRun={onProfileRun} />;
}
