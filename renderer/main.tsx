import '@xyflow/react/dist/style.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { AppServicesProvider, type AppServices } from './AppServices.js';
import { fitLossToData } from './features/data/fitLossToData.js';
import { pickFile, downloadText, serverIsLocal } from './host/browserFiles.js';
import { connectHost } from './host/connectHost.js';
import { createDataStore } from './stores/dataStore.js';
import { createEditorStore } from './stores/editorStore.js';
import { MetricsBuffer } from './stores/metricsBuffer.js';
import { createProjectStore } from './stores/projectStore.js';
import { createRunStore } from './stores/runStore.js';
import { createRunsStore } from './stores/runsStore.js';
import { createUiStore } from './stores/uiStore.js';

const host = connectHost();
const editor = createEditorStore();
const metrics = new MetricsBuffer();
const ui = createUiStore(
  { get: (k) => window.localStorage.getItem(k), set: (k, v) => window.localStorage.setItem(k, v) },
  (theme) => document.documentElement.setAttribute('data-theme', theme),
);
const run = createRunStore({ host, metrics, getModel: () => editor.getState().model });
// A dataset the engine read becomes what Train uses; the model's Input takes its shape and the
// loss follows the kind of target.
const data = createDataStore({
  host,
  onChosen(summary) {
    run.getState().setConfig({ dataset: summary.spec, data: summary.choices });
    editor.getState().fitInputs(summary.inputs);
    const fitted = fitLossToData(run.getState().config.training, summary);
    if (fitted) {
      run.getState().setTraining(fitted.training);
      ui.getState().say(fitted.note);
    }
  },
});
const project = createProjectStore({
  host,
  editor,
  getTraining: () => run.getState().config.training,
  setTraining: (training) => run.getState().setConfig({ training }),
  getData: () => run.getState().config.dataset,
  setData: (spec) => {
    // Train uses the project's dataset at once; the Data panel reads it meanwhile.
    run.getState().setConfig({ dataset: spec ?? 'sample:iris' });
    void data.getState().choose(spec ?? 'sample:iris');
  },
  ...(host.kind === 'web' ? { browserFiles: { pickFile, downloadText }, serverIsLocal: serverIsLocal(), unloadTarget: window } : { unloadTarget: window }),
});
// Training settings and the dataset live outside the editor's document but belong to the project.
run.subscribe((s, before) => {
  if (s.config.training !== before.config.training || s.config.dataset !== before.config.dataset) project.getState().markChanged();
});
const runs = createRunsStore({ host });
const services: AppServices = { host, editor, data, run, metrics, project, runs, ui };
void run.getState().connect().then(() => data.getState().load());
void project.getState().start();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <AppServicesProvider services={services}>
      <App />
    </AppServicesProvider>
  </StrictMode>,
);
