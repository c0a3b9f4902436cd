/**
 * The editor's keyboard shortcuts: one table, read by the key handler and by the help overlay.
 * Ctrl stands for Cmd on macOS. Keys typed into a text field stay with the field.
 */
import type { AppServices } from '../../AppServices.js';

export interface Shortcut {
  /** As shown: "Ctrl+Z", "Delete". */
  keys: string;
  label: string;
  /** Matches a key event. */
  match(e: KeyboardEvent): boolean;
  run(s: AppServices, ui: ShortcutUi): void;
}

/** What shortcuts do outside the stores: canvas zoom, messages. */
export interface ShortcutUi {
  fitView(): void;
  say(message: string | null): void;
}

const ctrl = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;
const key = (e: KeyboardEvent, k: string) => e.key.toLowerCase() === k;

export const SHORTCUTS: Shortcut[] = [
  { keys: 'Ctrl+Z', label: 'Undo', match: (e) => ctrl(e) && !e.shiftKey && key(e, 'z'), run: (s) => s.editor.getState().undo() },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', label: 'Redo', match: (e) => ctrl(e) && ((e.shiftKey && key(e, 'z')) || key(e, 'y')), run: (s) => s.editor.getState().redo() },
  { keys: 'Ctrl+C', label: 'Copy the selected layers', match: (e) => ctrl(e) && key(e, 'c'), run: (s) => s.editor.getState().copy() },
  { keys: 'Ctrl+X', label: 'Cut', match: (e) => ctrl(e) && key(e, 'x'), run: (s, ui) => ui.say(s.editor.getState().cut()) },
  { keys: 'Ctrl+V', label: 'Paste', match: (e) => ctrl(e) && key(e, 'v'), run: (s, ui) => ui.say(s.editor.getState().paste()) },
  { keys: 'Ctrl+D', label: 'Duplicate', match: (e) => ctrl(e) && key(e, 'd'), run: (s, ui) => ui.say(s.editor.getState().duplicate()) },
  { keys: 'Ctrl+A', label: 'Select every layer', match: (e) => ctrl(e) && key(e, 'a'), run: (s) => s.editor.getState().selectAll() },
  { keys: 'Escape', label: 'Clear the selection, close overlays', match: (e) => e.key === 'Escape', run: (s) => { s.editor.getState().clearSelection(); s.ui.getState().setHelpOpen(false); } },
  { keys: 'Ctrl+G', label: 'Group the selected layers', match: (e) => ctrl(e) && !e.shiftKey && key(e, 'g'), run: (s, ui) => ui.say(s.editor.getState().group(s.editor.getState().selection)) },
  { keys: 'L', label: 'Auto-layout, top to bottom', match: (e) => !ctrl(e) && key(e, 'l'), run: (s, ui) => ui.say(s.editor.getState().autoLayout()) },
  { keys: 'F', label: 'Zoom to fit', match: (e) => !ctrl(e) && key(e, 'f'), run: (_, ui) => ui.fitView() },
  { keys: 'Ctrl+S', label: 'Save the project', match: (e) => ctrl(e) && !e.shiftKey && key(e, 's'), run: (s) => void s.project.getState().save() },
  { keys: 'Ctrl+Shift+S', label: 'Save as…', match: (e) => ctrl(e) && e.shiftKey && key(e, 's'), run: (s) => void s.project.getState().saveAs() },
  { keys: 'Ctrl+O', label: 'Open a project or a Keras model', match: (e) => ctrl(e) && key(e, 'o'), run: (s) => void s.project.getState().open() },
  { keys: 'Ctrl+Enter', label: 'Train', match: (e) => ctrl(e) && e.key === 'Enter', run: (s) => void s.run.getState().train() },
  { keys: '?', label: 'Show these shortcuts', match: (e) => e.key === '?', run: (s) => s.ui.getState().setHelpOpen(!s.ui.getState().helpOpen) },
];

/** Whether a key event belongs to a text field rather than to the editor. */
export function typingInField(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return t !== null && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}
