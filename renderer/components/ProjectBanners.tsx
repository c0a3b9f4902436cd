import { useState } from 'react';
import { useProject, useServices } from '../AppServices.js';

/** Where to save, asked in the page (the browser host on this machine has no save dialog). */
function SavePrompt({ suggested }: { suggested: string }) {
  const { project } = useServices();
  const [path, setPath] = useState(suggested);
  return (
    <form
      className="banner"
      data-testid="save-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        void project.getState().saveAs(path);
      }}
    >
      <span>Save the project as</span>
      <input className="text-field mono" data-testid="save-path" value={path} spellCheck={false} onChange={(e) => setPath(e.target.value)} />
      <button type="submit" className="button button-primary" data-testid="save-confirm">
        Save
      </button>
      <button type="button" className="button" onClick={() => project.getState().download()}>
        Download instead
      </button>
      <button type="button" className="button" onClick={() => project.getState().cancelSavePrompt()}>
        Cancel
      </button>
    </form>
  );
}

/** The project's questions and news: a document to recover after a crash, where to save (browser), what a save or open did. */
export function ProjectBanners() {
  const { project } = useServices();
  const recovered = useProject((s) => s.recovered);
  const savePrompt = useProject((s) => s.savePrompt);
  const status = useProject((s) => s.status);
  const message = useProject((s) => s.message);
  // Always one element: the app's grid gives the banners one row, empty or not.
  return (
    <div className="banners">
      {recovered && (
        <div className="banner" role="alert" data-testid="recovery-banner">
          <span>
            Kiln kept unsaved changes to <b>{recovered.name}</b> from {new Date(recovered.savedAt).toLocaleString()}. Restore them?
          </span>
          <button type="button" className="button button-primary" data-testid="recovery-restore" onClick={() => project.getState().restoreRecovered()}>
            Restore
          </button>
          <button type="button" className="button" onClick={() => void project.getState().discardRecovered()}>
            Discard
          </button>
        </div>
      )}
      {savePrompt && <SavePrompt suggested={savePrompt.suggestedPath} />}

      {message && status === 'failed' && (
        <div className="banner error" role="alert" data-testid="project-message">
          {message}
        </div>
      )}
    </div>
  );
}
