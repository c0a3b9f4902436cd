import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { useEditor, useProject, useRun, useServices, useUi } from './AppServices.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { ProjectBanners } from './components/ProjectBanners.js';
import { Toolbar } from './components/Toolbar.js';
import { CodePanel } from './features/code/CodePanel.js';
import { Dashboard } from './features/dashboard/Dashboard.js';
import { DataPanel } from './features/data/DataPanel.js';
import { Inspector } from './features/editor/Inspector.js';
import { IssuesList } from './features/editor/IssuesList.js';
import { ModelCanvas } from './features/editor/ModelCanvas.js';
import { layerHeat, layerHeatLabels, type HeatMetric } from './features/profile/layerHeat.js';
import { ProfilerView } from './features/profile/ProfilerView.js';
import { useProfile } from './features/profile/useProfile.js';
import { RunsView } from './features/runs/RunsView.js';
import { Palette } from './features/editor/Palette.js';
import { SHORTCUTS, typingInField } from './features/editor/shortcuts.js';
import { SummaryPanel } from './features/summary/SummaryPanel.js';
import { TrainingForm } from './features/training/TrainingForm.js';
import { LIVE_PROFILE_STEPS } from '../common/contract/profile.js';
import type { Point } from '../common/model/index.js';
import { DEFAULT_NODE_SIZE } from './stores/editorStore.js';
import type { SideTab } from './stores/uiStore.js';

const TABS: { id: SideTab; label: string }[] = [
  { id: 'layer', label: 'Layer' },
  { id: 'data', label: 'Data' },
  { id: 'training', label: 'Training' },
  { id: 'summary', label: 'Summary' },
  { id: 'code', label: 'Code' },
  { id: 'run', label: 'Run' },
];

/** The right-hand pane: one view at a time. Training shows its run; selecting a layer shows it. */
function SidePane() {
  const { ui } = useServices();
  const tab = useUi((s) => s.sideTab);
  const training = useRun((s) => s.status === 'training');
  useEffect(() => {
    if (training) ui.getState().showTab('run');
  }, [training, ui]);
  return (
    <div className="side-pane">
      <div className="side-tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" className={tab === t.id ? 'side-tab active' : 'side-tab'} aria-selected={tab === t.id} data-testid={`tab-${t.id}`} onClick={() => ui.getState().showTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <div className="side-body">
        {tab === 'layer' && <Inspector />}
        {tab === 'data' && <DataPanel />}
        {tab === 'training' && <TrainingForm />}
        {tab === 'summary' && <SummaryPanel />}
        {tab === 'code' && <CodePanel />}
        {tab === 'run' && <Dashboard onOpenRuns={() => ui.getState().setMode('runs')} />}
      </div>
    </div>
  );
}

/** Keyboard shortcuts for the whole window (inside the canvas's provider, so F can zoom to fit). */
function useShortcuts(say: (message: string | null) => void) {
  const services = useServices();
  const flow = useReactFlow();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingInField(e)) return;
      const shortcut = SHORTCUTS.find((s) => s.match(e));
      if (!shortcut) return;
      e.preventDefault();
      shortcut.run(services, { fitView: () => void flow.fitView({ padding: 0.2, duration: 200 }), say });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [services, flow, say]);
}

/** A free spot for a block inserted without a drop point: right of the graph, at its top. */
function besideGraph(positions: ReadonlyMap<string, Point>): Point {
  const all = [...positions.values()];
  if (all.length === 0) return { x: 0, y: 0 };
  return { x: Math.max(...all.map((p) => p.x)) + DEFAULT_NODE_SIZE.width + 60, y: Math.min(...all.map((p) => p.y)) };
}

function Workspace() {
  const { editor, ui } = useServices();
  const notice = useUi((s) => s.notice);
  const blocks = useEditor((s) => s.blocks);
  const blockNames = useMemo(() => blocks.map((b) => b.name), [blocks]);
  const say = ui.getState().say;
  useShortcuts(say);
  const title = useProject((s) => s.title);
  useEffect(() => {
    document.title = title;
  }, [title]);
  // Selecting one layer shows it in the inspector.
  useEffect(() => editor.subscribe((s, before) => {
    const picked = s.selection.length === 1 && (before.selection.length !== 1 || before.selection[0] !== s.selection[0]);
    if (picked) ui.getState().showTab('layer');
  }), [editor, ui]);
  return (
    <main className="workspace">
      <Palette onAdd={(type) => say(editor.getState().addLayer(type))} blocks={blockNames} onInsertBlock={(name) => say(editor.getState().insertBlock(name, besideGraph(editor.getState().positions)))} />
      <div className="editor-pane">
        <ModelCanvas onMessage={say} />
        {notice && (
          <div className="canvas-notice" role="status" data-testid="canvas-notice">
            {notice}
            <button type="button" className="button button-quiet" aria-label="Dismiss" onClick={() => say(null)}>
              ×
            </button>
          </div>
        )}
        <IssuesList />
      </div>
      <SidePane />
    </main>
  );
}

/**
 * The profiler: profiles the editor's model on its data and training settings; its heat map
 * colours the editor's layers until turned off.
 */
function Profiler({ profile }: { profile: ReturnType<typeof useProfile> }) {
  const { editor, run, ui } = useServices();
  const [metric, setMetric] = useState<HeatMetric | null>(null);
  useEffect(() => {
    ui.getState().setHeat(profile.report && metric ? { values: layerHeat(profile.report, metric), labels: layerHeatLabels(profile.report, metric) } : null);
  }, [profile.report, metric, ui]);
  return (
    <ProfilerView
      report={profile.report}
      running={profile.running}
      error={profile.error}
      heat={metric}
      onHeatChange={setMetric}
      onProfile={(steps) => {
        const { dataset, data, training } = run.getState().config;
        void profile.run({ model: editor.getState().model, training, dataset, ...(data ? { data } : {}), steps });
      }}
      onSelectLayer={(id) => {
        editor.getState().select([id]);
        ui.getState().setMode('model');
      }}
    />
  );
}

/** The editor, the runs dashboard or the profiler (the dashboard polls only while it shows). */
function Main() {
  const { host, project, runs, ui } = useServices();
  const mode = useUi((s) => s.mode);
  // Kept above the views, so a profile (and its heat map) survives switching back to the editor.
  const profile = useProfile(host);
  if (mode === 'model') return <Workspace />;
  if (mode === 'profile') return <Profiler profile={profile} />;
  return (
    <RunsView
      store={runs}
      onOpenConfig={(c) => {
        if (project.getState().dirty && !window.confirm('The project has unsaved changes. Discard them?')) return;
        project.getState().newProject(c.model, c.training, c.data);
        ui.getState().setMode('model');
      }}
      onProfileRun={(run) => {
        ui.getState().setMode('profile');
        void profile.runLive({ run, steps: LIVE_PROFILE_STEPS });
      }}
    />
  );
}

/** Toolbar on top; palette, canvas (with its problems) and the side pane below. */
export function App() {
  return (
    <ReactFlowProvider>
      <div className="app">
        <Toolbar />
        <ProjectBanners />
        <Main />
        <HelpOverlay />
      </div>
    </ReactFlowProvider>
  );
}
