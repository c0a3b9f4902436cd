/**
 * Undo and redo as document snapshots. The document is immutable and edits share what they do not
 * change, so a snapshot costs a few new arrays, and undo restores the exact earlier document.
 */
import type { ModelDoc } from '../../../common/model/index.js';

export interface Step {
  label: string;
  /** In `past`: the document before the step; in `future`: the document after it. */
  doc: ModelDoc;
}

export interface History {
  past: Step[];
  future: Step[];
  /** The newest step while further edits with its key merge into it (typing "128" is one step). */
  open: { key: string; at: number } | null;
}

export const HISTORY_LIMIT = 200;
/** Edits of the same field closer together than this are one step. */
const MERGE_WINDOW_MS = 1000;

export const emptyHistory = (): History => ({ past: [], future: [], open: null });

/** Records an edit away from `before`; the oldest steps go beyond `limit`. */
export function record(h: History, before: ModelDoc, label: string, mergeKey: string | undefined, now: number, limit = HISTORY_LIMIT): History {
  const open = mergeKey === undefined ? null : { key: mergeKey, at: now };
  if (mergeKey !== undefined && h.open?.key === mergeKey && now - h.open.at < MERGE_WINDOW_MS) return { past: h.past, future: [], open };
  return { past: [...h.past, { label, doc: before }].slice(-limit), future: [], open };
}

export function undo(h: History, current: ModelDoc): { history: History; doc: ModelDoc } | null {
  const step = h.past.at(-1);
  if (!step) return null;
  return { history: { past: h.past.slice(0, -1), future: [...h.future, { label: step.label, doc: current }], open: null }, doc: step.doc };
}

export function redo(h: History, current: ModelDoc): { history: History; doc: ModelDoc } | null {
  const step = h.future.at(-1);
  if (!step) return null;
  return { history: { past: [...h.past, { label: step.label, doc: current }], future: h.future.slice(0, -1), open: null }, doc: step.doc };
}
