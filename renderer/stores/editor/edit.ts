/**
 * What every editor action computes: the next document and the name its undo step shows, or the
 * reason it refuses (in the user's terms; the document stays as it was). Actions are pure
 * functions of the current document, so each is testable alone and undo is a snapshot swap.
 */
import type { EdgeDoc, LayerDoc, ModelDoc, Point } from '../../../common/model/index.js';

/** The document an action reads: the model and every layer's canvas position (stored or laid out). */
export interface DocState {
  doc: ModelDoc;
  positions: ReadonlyMap<string, Point>;
}

export interface Edit {
  doc: ModelDoc;
  /** For the undo menu: "Add Conv2D", "Delete 3 layers", ... */
  label: string;
  /** Layers to select afterwards (the ones added or pasted). */
  select?: string[];
  /** Consecutive edits with the same key (typing into one field) make one undo step. */
  mergeKey?: string;
}

export type EditResult = Edit | { refused: string };

export const refuse = (reason: string): EditResult => ({ refused: reason });

/** Done, with nothing to undo (the value was already set, the layers already there). */
export const unchanged = (doc: ModelDoc): EditResult => ({ doc, label: '' });

/** "Dense 'dense_1'", as analyzeModel names layers in its messages. */
export function describeLayer(layer: LayerDoc): string {
  return `${layer.type} '${layer.name}'`;
}

function layerNamed(doc: ModelDoc, id: string): string {
  return doc.layers.find((l) => l.id === id)?.name ?? id;
}

/** "3 layers" or the one layer's name. */
export function countLayers(doc: ModelDoc, ids: readonly string[]): string {
  return ids.length === 1 ? layerNamed(doc, ids[0]) : `${ids.length} layers`;
}

export function sameEdge(a: EdgeDoc, b: EdgeDoc): boolean {
  return a.from === b.from && a.to === b.to && a.index === b.index;
}

/** A stable key for an edge (React keys, edge shapes). */
export function edgeKey(e: EdgeDoc): string {
  return e.index === undefined ? `${e.from}->${e.to}` : `${e.from}->${e.to}#${e.index}`;
}
