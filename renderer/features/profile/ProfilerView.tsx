import { useState } from 'react';
import { chromeTrace, profileCsv, type ProfileReport } from '../../../common/profile/index.js';
import { downloadText } from '../../host/browserFiles.js';
import { FindingsList } from './FindingsList.js';
import type { HeatMetric } from './layerHeat.js';
import { LayersTable } from './LayersTable.js';
import { MemoryCard } from './MemoryCard.js';
import { OpsTable } from './OpsTable.js';
import { formatBytes, formatMs } from './profileFormat.js';
import './profiler.css';
import { StepBreakdownChart } from './StepBreakdownChart.js';
import { StepTimeline } from './StepTimeline.js';
import { ThreadTimeline } from './ThreadTimeline.js';

export interface ProfilerViewProps {
  report: ProfileReport | null;
  running: boolean;
  error: string | null;
  /** Profiles this many steps of the editor's model on its data (useProfile's run, with the request built by the caller). */
  onProfile(steps: number): void;
  /** The editor's heat map: by time, by memory, or off. */
  heat: HeatMetric | null;
  onHeatChange(metric: HeatMetric | null): void;
  /** Selects a layer in the editor (from a table row, the timeline or a finding). */
  onSelectLayer?(layerId: string): void;
}

const DEFAULT_STEPS = 50;
const HEAT_CHOICES: { id: HeatMetric | null; label: string }[] = [{ id: null, label: 'off' }, { id: 'time', label: 'time' }, { id: 'memory', label: 'memory' }];

function Summary({ report }: { report: ProfileReport }) {
  const [profiled] = report.windows;
  const stats: [string, string, string?][] = [
    ['step', formatMs(report.stepMs), report.run !== undefined ? `The mean of ${report.steps} steps of batch ${report.batchSize} of a training run` : `The mean of ${report.steps} steps of batch ${report.batchSize}, after warm-up`],
    ['samples/s', Math.round((report.batchSize / report.stepMs) * 1000).toLocaleString('en-US')],
    ['device', report.backend.startsWith('cuda: ') ? `GPU · ${report.backend.slice(6)}` : 'CPU', report.backend.startsWith('cuda') ? 'Op times from CUDA events between the kernels' : 'Op times from the engine thread\'s clock'],
    ['parameters', formatBytes(report.memory.paramBytes), `${formatBytes(report.memory.optimizerBytes)} more of optimizer state`],
    ['activations', formatBytes(report.memory.activationBytes), 'Layer outputs for one batch, kept for the backward pass'],
  ];
  if (report.memory.measured) stats.push(['peak memory', formatBytes(report.memory.measured.peakBytes), 'Measured in the engine over the profiled steps: weights, optimizer state, arenas, kernel scratch and batches']);
  if (report.run !== undefined && profiled) {
    stats.unshift(['run', `${report.run}, steps ${profiled.firstStep}–${profiled.lastStep ?? profiled.firstStep + profiled.steps - 1}`, `Profiled live, while the run trained: its ${report.steps} whole batches in these steps`]);
  }
  if (report.peak) {
    const on = report.peak.threads > 0 ? `float32 GEMM on ${report.peak.threads} threads` : 'cuBLAS GEMM on the GPU';
    stats.push(['machine peak', `${report.peak.gflops.toFixed(0)} GFLOP/s`, `${on}, measured ${report.peak.measuredAt.slice(0, 10)}`]);
  }
  if (report.overhead) {
    const o = report.overhead;
    stats.push(['profiling overhead', `${o.percent >= 0 ? '+' : ''}${o.percent.toFixed(1)}%`, `Median of ${o.rounds} rounds: ${formatMs(o.offStepMs)} per step with timers off, ${formatMs(o.onStepMs)} on`]);
  }
  return (
    <div className="profile-stats" data-testid="profile-summary">
      {stats.map(([label, value, title]) => (
        <div key={label} className="profile-stat" title={title}>
          <span className="profile-stat-label">{label}</span>
          <span className="profile-stat-value mono">{value}</span>
        </div>
      ))}
    </div>
  );
}

/** The Profiler: where a training step's time goes, per phase, layer and op, with findings and exports. */
export function ProfilerView({ report, running, error, onProfile, heat, onHeatChange, onSelectLayer }: ProfilerViewProps) {
  const [steps, setSteps] = useState(DEFAULT_STEPS);
  const [table, setTable] = useState<'layers' | 'ops'>('layers');
  return (
    <main className="profiler-view" data-testid="profiler-view">
      <div className="profile-toolbar">
        <label className="profile-steps">
          <span className="muted">steps</span>
          <input type="number" className="number-field" min={1} max={10000} value={steps} data-testid="profile-steps" onChange={(e) => setSteps(Math.max(1, Math.floor(Number(e.target.value) || 1)))} />
        </label>
        <button type="button" className="button button-primary" disabled={running} data-testid="profile-run" onClick={() => onProfile(steps)}>
          {running ? 'Profiling…' : 'Profile'}
        </button>
        <span className="toolbar-spacer" />
        <span className="profile-heat" role="group" aria-label="Heat map on the graph">
          <span className="muted">heat map</span>
          {HEAT_CHOICES.map((c) => (
            <button key={c.label} type="button" className={heat === c.id ? 'profile-seg active' : 'profile-seg'} aria-pressed={heat === c.id} disabled={!report && c.id !== null} data-testid={`profile-heat-${c.label}`} onClick={() => onHeatChange(c.id)}>
              {c.label}
            </button>
          ))}
        </span>
        <button type="button" className="button button-quiet" disabled={!report} data-testid="profile-download-trace" title="A Chrome trace of the average step: open it in ui.perfetto.dev or chrome://tracing" onClick={() => report && downloadText('trace.json', JSON.stringify(chromeTrace(report)))}>
          trace.json
        </button>
        <button type="button" className="button button-quiet" disabled={!report} data-testid="profile-download-csv" title="The step, op and layer tables" onClick={() => report && downloadText('profile.csv', profileCsv(report))}>
          CSV
        </button>
      </div>
      {error && <div className="run-message" role="alert" data-testid="profile-error">{error}</div>}
      {!report ? (
        <div className="chart-empty profile-empty-state">
          <div className="chart-empty-title">{running ? 'Profiling…' : 'No profile yet'}</div>
          <div className="chart-empty-text">Profile trains the model for a few steps on its data with the engine's timers on, then shows where each step's time and memory go.</div>
        </div>
      ) : (
        <div className="profile-body">
          <Summary report={report} />
          <section className="profile-card">
            <div className="card-title">step time <span className="muted">per profiled window, with the loss</span></div>
            <StepBreakdownChart windows={report.windows} />
          </section>
          <section className="profile-card">
            <div className="card-title">one step <span className="muted">the average, on the engine thread</span></div>
            <StepTimeline report={report} onSelectLayer={onSelectLayer} />
          </section>
          {report.timeline && (
            <section className="profile-card">
              <div className="card-title">
                one step per thread <span className="muted">step {report.timeline.step} as recorded: {formatMs(report.timeline.stepNs / 1e6)} on {report.timeline.threads} thread{report.timeline.threads === 1 ? '' : 's'}</span>
              </div>
              <ThreadTimeline timeline={report.timeline} onSelectLayer={onSelectLayer} />
            </section>
          )}
          {report.memory.measured && (
            <section className="profile-card">
              <div className="card-title">memory <span className="muted">measured in the engine, beside the estimates</span></div>
              <MemoryCard report={report} />
            </section>
          )}
          <section className="profile-card">
            <div className="card-title">findings</div>
            <FindingsList findings={report.findings} onSelectLayer={onSelectLayer} />
          </section>
          <section className="profile-card">
            <div className="side-tabs" role="tablist">
              <button type="button" role="tab" aria-selected={table === 'layers'} className={table === 'layers' ? 'side-tab active' : 'side-tab'} data-testid="profile-tab-layers" onClick={() => setTable('layers')}>
                Layers ({report.layers.length})
              </button>
              <button type="button" role="tab" aria-selected={table === 'ops'} className={table === 'ops' ? 'side-tab active' : 'side-tab'} data-testid="profile-tab-ops" onClick={() => setTable('ops')}>
                Ops ({report.ops.length})
              </button>
            </div>
            {table === 'layers' ? <LayersTable layers={report.layers} onSelectLayer={onSelectLayer} /> : <OpsTable ops={report.ops} onSelectLayer={onSelectLayer} />}
          </section>
        </div>
      )}
    </main>
  );
}
