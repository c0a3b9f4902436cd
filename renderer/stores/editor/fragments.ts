/**
 * Pieces of a model that travel: the clipboard, duplicates and saved blocks. A fragment holds
 * layers, the connections among them and their positions; pasting gives every layer a fresh id
 * and name, so a fragment can go into the model it came from or into any other.
 */
import type { EdgeDoc, LayerDoc, Point } from '../../../common/model/index.js';
import { refuse, type DocState, type EditResult } from './edit.js';
import { withPositions } from './layoutEdits.js';
import { baseName, LayerNamer } from './naming.js';

export interface Fragment {
  layers: LayerDoc[];
  /** Only connections between the fragment's own layers. */
  edges: EdgeDoc[];
  positions: Record<string, Point>;
}

/** How far a paste without a drop point lands from the originals, so the copies are seen. */
const PASTE_OFFSET = 40;

export function copyFragment(state: DocState, ids: readonly string[]): Fragment | null {
  const keep = new Set(ids);
  const layers = state.doc.layers.filter((l) => keep.has(l.id));
  if (layers.length === 0) return null;
  const positions: Record<string, Point> = {};
  for (const l of layers) {
    const at = state.positions.get(l.id);
    if (at) positions[l.id] = at;
  }
  return { layers, edges: state.doc.edges.filter((e) => keep.has(e.from) && keep.has(e.to)), positions };
}

/** Adds a copy of `fragment`: its top-left corner at `at`, else offset from where it was copied. */
export function pasteFragment(state: DocState, fragment: Fragment, at: Point | undefined, verb: string): EditResult {
  if (fragment.layers.length === 0) return refuse('there is nothing to paste');
  const namer = new LayerNamer(state.doc);
  const fresh = new Map(fragment.layers.map((l) => [l.id, namer.next(baseName(l.name))]));
  const layers = fragment.layers.map((l) => ({ ...l, ...fresh.get(l.id)! }));
  const edges = fragment.edges.filter((e) => fresh.has(e.from) && fresh.has(e.to)).map((e) => ({ ...e, from: fresh.get(e.from)!.id, to: fresh.get(e.to)!.id }));
  const known = Object.values(fragment.positions);
  const corner = known.length > 0 ? { x: Math.min(...known.map((p) => p.x)), y: Math.min(...known.map((p) => p.y)) } : { x: 0, y: 0 };
  const shift = at ? { x: at.x - corner.x, y: at.y - corner.y } : { x: PASTE_OFFSET, y: PASTE_OFFSET };
  const changes = new Map(fragment.layers.map((l, i) => {
    const p = Object.hasOwn(fragment.positions, l.id) ? fragment.positions[l.id] : { x: corner.x, y: corner.y + i * PASTE_OFFSET };
    return [fresh.get(l.id)!.id, { x: p.x + shift.x, y: p.y + shift.y }];
  }));
  const doc = withPositions(state, { ...state.doc, layers: [...state.doc.layers, ...layers], edges: [...state.doc.edges, ...edges] }, changes);
  const created = layers.map((l) => l.id);
  const what = layers.length === 1 ? fragment.layers[0].name : `${layers.length} layers`;
  return { doc, label: `${verb} ${what}`, select: created };
}
