import { useEffect } from 'react';
import { trainConfigProblems } from '../../common/contract/index.js';
import { TEMPLATES } from '../../common/model/index.js';
import { useData, useEditor, useProject, useRun, useServices, useUi } from '../AppServices.js';
import { ModeSwitch } from '../features/runs/ModeSwitch.js';
import { Menu } from './Menu.js';
import { DeviceChip, StatusPill } from './StatusPill.js';

function KilnMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d="M4 21V11a8 8 0 0 1 16 0v10z" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" />
      <path d="M12 19c-2 0-3.2-1.3-3.2-3 0-1.9 1.6-2.8 2.2-4.6.9 1 1.2 1.9 1.1 2.8.6-.4 1-1 1.2-1.8 1.2 1.1 1.9 2.3 1.9 3.6 0 1.7-1.2 3-3.2 3z" fill="currentColor" />
    </svg>
  );
}

/** Asks before a project action would drop unsaved changes. */
function confirmDiscard(dirty: boolean): boolean {
  return !dirty || window.confirm('The project has unsaved changes. Discard them?');
}

/** The top bar: project, edit history, layout, dataset, Train/Stop and the engine's status. */
export function Toolbar() {
  const { run, editor, project, ui } = useServices();
  const say = ui.getState().say;
  const status = useRun((s) => s.status);
  const message = useRun((s) => s.message);
  const config = useRun((s) => s.config);
  const summary = useData((s) => s.summary);
  const dataStatus = useData((s) => s.status);
  const issues = useEditor((s) => s.report.issues);
  const undoLabel = useEditor((s) => s.undoLabel);
  const redoLabel = useEditor((s) => s.redoLabel);
  const selection = useEditor((s) => s.selection);
  // The group the selection lies in, for the group actions.
  const group = useEditor((s) => s.model.layout?.groups?.find((g) => s.selection.length > 0 && s.selection.every((id) => g.layerIds.includes(id))));
  const name = useProject((s) => s.name);
  const dirty = useProject((s) => s.dirty);
  const recent = useProject((s) => s.recent);
  const theme = useUi((s) => s.theme);
  const devices = useRun((s) => s.engine?.devices);
  const usage = useRun((s) => s.deviceUsage);
  const gpuUsable = devices?.some((d) => d.backend === 'cuda' && d.available) === true;
  useEffect(() => {
    if (!gpuUsable) return;
    const refresh = () => void run.getState().refreshDeviceUsage();
    refresh();
    const timer = setInterval(refresh, 2000);
    return () => clearInterval(timer);
  }, [gpuUsable, run]);
  const mode = useUi((s) => s.mode);
  const training = status === 'training';
  const dataBlocker = dataStatus === 'ready' ? [] : [dataStatus === 'loading' ? 'The data is still being read.' : 'Choose a dataset Kiln can read in the Data panel.'];
  const blockers = [...issues.map((i) => i.message), ...trainConfigProblems(config), ...dataBlocker];
  const canTrain = blockers.length === 0;
  const buttonTitle = training ? 'Stop the current run' : canTrain ? 'Train the model on the dataset (Ctrl+Enter)' : `Fix these first:\n• ${blockers.join('\n• ')}`;

  return (
    <header className="toolbar">
      <div className="brand">
        <KilnMark />
        <span className="brand-name">Kiln</span>
      </div>
      <Menu
        label="Project"
        testId="project-menu"
        items={[
          { label: 'New', onSelect: () => confirmDiscard(dirty) && project.getState().newProject(), testId: 'menu-new' },
          ...TEMPLATES.map((t) => ({ label: `New from template: ${t.name}`, hint: t.data, testId: `template-${t.id}`, onSelect: () => confirmDiscard(dirty) && project.getState().newProject(t.model, t.training, t.data) })),
          'separator',
          { label: 'Open…', hint: 'Ctrl+O', testId: 'menu-open', onSelect: () => confirmDiscard(dirty) && void project.getState().open() },
          ...recent.slice(0, 6).map((r) => ({ label: `Open ${r.name}`, hint: r.path, onSelect: () => confirmDiscard(dirty) && void project.getState().openPath(r.path) })),
          'separator',
          { label: 'Save', hint: 'Ctrl+S', testId: 'menu-save', onSelect: () => void project.getState().save() },
          { label: 'Save as…', hint: 'Ctrl+Shift+S', testId: 'menu-save-as', onSelect: () => void project.getState().saveAs() },
        ]}
      />
      <span className="project-name" data-testid="project-name" title={dirty ? 'Unsaved changes' : 'Saved'}>
        {name}
        {dirty && <span className="dirty-marker" aria-label="unsaved changes"> •</span>}
      </span>
      <ModeSwitch mode={mode} onChange={(m) => ui.getState().setMode(m)} />
      <div className="toolbar-sep" />
      <button type="button" className="button button-quiet" data-testid="undo" disabled={!undoLabel} title={undoLabel ? `Undo ${undoLabel} (Ctrl+Z)` : 'Nothing to undo'} onClick={() => editor.getState().undo()}>
        Undo
      </button>
      <button type="button" className="button button-quiet" data-testid="redo" disabled={!redoLabel} title={redoLabel ? `Redo ${redoLabel} (Ctrl+Shift+Z)` : 'Nothing to redo'} onClick={() => editor.getState().redo()}>
        Redo
      </button>
      <Menu
        label="Arrange"
        testId="arrange-menu"
        items={[
          { label: 'Auto-layout', hint: 'L', testId: 'menu-layout', onSelect: () => say(editor.getState().autoLayout()) },
          { label: 'Align left', disabled: selection.length < 2, onSelect: () => say(editor.getState().align(selection, 'left')) },
          { label: 'Align centres', disabled: selection.length < 2, onSelect: () => say(editor.getState().align(selection, 'center')) },
          { label: 'Align tops', disabled: selection.length < 2, onSelect: () => say(editor.getState().align(selection, 'top')) },
          'separator',
          { label: 'Group selection', hint: 'Ctrl+G', disabled: selection.length === 0, testId: 'menu-group', onSelect: () => say(editor.getState().group(selection)) },
          { label: group?.collapsed ? `Expand '${group.name}'` : `Collapse ${group ? `'${group.name}'` : 'group'}`, disabled: !group, testId: 'menu-collapse', onSelect: () => group && say(editor.getState().toggleGroupCollapsed(group.id)) },
          {
            label: `Save ${group ? `'${group.name}'` : 'group'} as a block`, disabled: !group, testId: 'menu-save-block',
            onSelect: () => group && say(editor.getState().saveGroupAsBlock(group.id) ?? `Saved '${group.name}' as a block: it is under Blocks in the palette.`),
          },
          { label: 'Ungroup', disabled: !group, onSelect: () => group && say(editor.getState().ungroup(group.id)) },
        ]}
      />
      <div className="toolbar-spacer" />
      <div className="dataset-chip" title={summary?.description} data-testid="dataset">
        <span className="chip-label">Data</span>
        <span className="chip-value">{summary ? `${summary.spec} (${summary.splits.train.toLocaleString('en')} training samples)` : config.dataset}</span>
      </div>
      <span className="train-wrap" title={buttonTitle}>
        <button
          type="button"
          className={training ? 'button button-stop' : 'button button-primary'}
          data-testid="train-button"
          disabled={!training && !canTrain}
          aria-label={training ? 'Stop' : 'Train'}
          title={buttonTitle}
          onClick={() => void (training ? run.getState().stop() : run.getState().train())}
        >
          <span className="button-icon" aria-hidden="true">
            {training ? <span className="icon-stop" /> : <span className="icon-play" />}
          </span>
          {training ? 'Stop' : 'Train'}
        </button>
      </span>
      <StatusPill status={status} message={message} />
      {devices && <DeviceChip devices={devices} usage={usage} />}
      <button type="button" className="button button-quiet" data-testid="theme-toggle" title={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`} onClick={() => ui.getState().toggleTheme()}>
        {theme === 'dark' ? 'Light' : 'Dark'}
      </button>
      <button type="button" className="button button-quiet" data-testid="help-button" title="Keyboard shortcuts (?)" onClick={() => ui.getState().setHelpOpen(true)}>
        ?
      </button>
    </header>
  );
}
