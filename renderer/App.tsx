import { Toolbar } from './components/Toolbar.js';
import { Dashboard } from './features/dashboard/Dashboard.js';
import { IssuesList } from './features/editor/IssuesList.js';
import { ModelCanvas } from './features/editor/ModelCanvas.js';

/** Toolbar on top; the model canvas (with its problems) on the left, the dashboard on the right. */
export function App() {
  return (
    <div className="app">
      <Toolbar />
      <main className="workspace">
        <div className="editor-pane">
          <ModelCanvas />
          <IssuesList />
        </div>
        <Dashboard />
      </main>
    </div>
  );
}
