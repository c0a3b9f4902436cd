import '@xyflow/react/dist/style.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { AppServicesProvider, type AppServices } from './AppServices.js';
import { connectHost } from './host/connectHost.js';
import { createEditorStore } from './stores/editorStore.js';
import { MetricsBuffer } from './stores/metricsBuffer.js';
import { createRunStore } from './stores/runStore.js';

const host = connectHost();
const editor = createEditorStore();
const metrics = new MetricsBuffer();
const run = createRunStore({ host, metrics, getModel: () => editor.getState().model });
const services: AppServices = { editor, run, metrics };
void run.getState().connect();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <AppServicesProvider services={services}>
      <App />
    </AppServicesProvider>
  </StrictMode>,
);
