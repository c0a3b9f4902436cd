import { useServices, useUi } from '../AppServices.js';
import { SHORTCUTS } from '../features/editor/shortcuts.js';

/** The keyboard shortcuts, listed from the same table the key handler uses. */
export function HelpOverlay() {
  const { ui } = useServices();
  const open = useUi((s) => s.helpOpen);
  if (!open) return null;
  return (
    <div className="overlay" role="dialog" aria-label="Keyboard shortcuts" data-testid="help-overlay" onClick={() => ui.getState().setHelpOpen(false)}>
      <div className="overlay-card" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table className="shortcut-table">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>{s.label}</td>
              </tr>
            ))}
            <tr>
              <td>
                <kbd>Delete</kbd>
              </td>
              <td>Delete the selected layers and connections</td>
            </tr>
            <tr>
              <td>
                <kbd>Shift+drag</kbd>
              </td>
              <td>Select layers in a box; Ctrl+click adds one</td>
            </tr>
          </tbody>
        </table>
        <p className="muted">Drag a layer from the palette onto the canvas, or onto a connection to insert it there. Drag from a layer's bottom port to another's top port to connect them.</p>
        <button type="button" className="button" onClick={() => ui.getState().setHelpOpen(false)}>
          Close
        </button>
      </div>
    </div>
  );
}
