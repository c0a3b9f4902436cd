import { useState } from 'react';
import { useServices } from '../../AppServices.js';
import { useRuns, useRunsStore } from './useRuns.js';

/** The logdir shown, and a way to open another (any TensorBoard logdir: Keras's, PyTorch's). */
export function LogdirForm() {
  const store = useRunsStore();
  const { host } = useServices();
  const logdir = useRuns((s) => s.logdir);
  const [editing, setEditing] = useState(false);
  const [path, setPath] = useState('');
  const open = async (target: string) => {
    if (!target.trim()) return;
    await store.getState().openLogdir(target.trim());
    setEditing(false);
  };
  const browse = host.pickDataPath
    ? async () => {
        const picked = await host.pickDataPath?.('folder');
        if (picked) await open(picked);
      }
    : null;

  if (!editing) {
    return (
      <div className="logdir-line">
        <span className="mono logdir-path" title={logdir ?? ''} data-testid="logdir">
          {/* Right to left, so a long path loses its start, not its run folder; the path itself reads left to right. */}
          <bdo dir="ltr">{logdir ?? '…'}</bdo>
        </span>
        <button type="button" className="link-button" onClick={() => { setPath(logdir ?? ''); setEditing(true); }}>
          Open other…
        </button>
      </div>
    );
  }
  return (
    <form className="logdir-form" onSubmit={(e) => { e.preventDefault(); void open(path); }}>
      <input className="runs-input mono" autoFocus value={path} placeholder="/path/to/logdir" aria-label="Logdir to open" onChange={(e) => setPath(e.target.value)} />
      <div className="logdir-buttons">
        <button type="submit" className="button button-quiet">Open</button>
        {browse && <button type="button" className="button button-quiet" onClick={() => void browse()}>Browse…</button>}
        <button type="button" className="button button-quiet" onClick={() => setEditing(false)}>Cancel</button>
      </div>
    </form>
  );
}
