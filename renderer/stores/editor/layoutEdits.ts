/**
 * Positions on the canvas. A document may store no positions (a template, a Keras import, an old
 * project): its layers are drawn where auto-layout puts them. The first action that places or
 * moves a layer stores every layer's position, so nothing else jumps when the graph changes.
 */
import { autoLayout, LAYOUT_SPACING } from '../../../common/model/autoLayout.js';
import type { LayoutDoc, ModelDoc, Point } from '../../../common/model/index.js';
import { countLayers, refuse, unchanged, type DocState, type EditResult } from './edit.js';

export type Alignment = 'left' | 'center' | 'right' | 'top' | 'middle' | 'bottom';

/** A layer node's size when the canvas has not measured it. */
export const DEFAULT_NODE_SIZE = { width: 220, height: 90 } as const;

function stored(doc: ModelDoc, id: string): Point | undefined {
  const positions = doc.layout?.positions;
  return positions && Object.hasOwn(positions, id) ? positions[id] : undefined;
}

/** Every layer's position: the stored one, else where auto-layout puts it. */
export function positionsOf(doc: ModelDoc): Map<string, Point> {
  const laid = doc.layers.every((l) => stored(doc, l.id)) ? {} : autoLayout(doc);
  return new Map(doc.layers.map((l) => [l.id, stored(doc, l.id) ?? laid[l.id]]));
}

/** `doc` with `layout`, dropping empty parts so a document without positions or groups has no layout. */
export function withLayout(doc: ModelDoc, layout: LayoutDoc): ModelDoc {
  const next: LayoutDoc = {};
  if (layout.positions && Object.keys(layout.positions).length > 0) next.positions = layout.positions;
  if (layout.groups && layout.groups.length > 0) next.groups = layout.groups;
  const { layout: _, ...rest } = doc;
  return Object.keys(next).length > 0 ? { ...rest, layout: next } : rest;
}

/** `doc` with every layer's position stored: from `changes`, else where it is drawn now. */
export function withPositions(state: DocState, doc: ModelDoc, changes: ReadonlyMap<string, Point>): ModelDoc {
  const positions: Record<string, Point> = {};
  for (const l of doc.layers) {
    const at = changes.get(l.id) ?? state.positions.get(l.id);
    if (at) positions[l.id] = at;
  }
  return withLayout(doc, { ...doc.layout, positions });
}

/** One row below the lowest of `near` (or of every layer), where a new layer goes when no position is given. */
export function spotBelow(state: DocState, near: readonly string[]): Point {
  const candidates = (near.length > 0 ? near : state.doc.layers.map((l) => l.id)).map((id) => state.positions.get(id)).filter((p) => p !== undefined);
  if (candidates.length === 0) return { x: 0, y: 0 };
  const lowest = candidates.reduce((a, b) => (b.y > a.y ? b : a));
  return { x: lowest.x, y: lowest.y + LAYOUT_SPACING.row };
}

/** The end of a drag: one undo step, however far the layers travelled. */
export function moveLayers(state: DocState, moves: Record<string, Point>): EditResult {
  const changes = new Map(Object.entries(moves).filter(([id, to]) => {
    const at = state.positions.get(id);
    return at !== undefined && (at.x !== to.x || at.y !== to.y);
  }));
  if (changes.size === 0) return unchanged(state.doc);
  return { doc: withPositions(state, state.doc, changes), label: `Move ${countLayers(state.doc, [...changes.keys()])}` };
}

export function layOut(state: DocState): EditResult {
  const laid = autoLayout(state.doc);
  const changes = new Map(Object.entries(laid));
  const same = [...changes].every(([id, p]) => stored(state.doc, id)?.x === p.x && stored(state.doc, id)?.y === p.y);
  if (same) return unchanged(state.doc);
  return { doc: withPositions(state, state.doc, changes), label: 'Auto-layout' };
}

/** Lines layers up on one side (or the centre) of their bounding box; sizes are the nodes' measured sizes. */
export function align(state: DocState, ids: readonly string[], to: Alignment, sizes: ReadonlyMap<string, { width: number; height: number }> = new Map()): EditResult {
  const boxes = ids.flatMap((id) => {
    const at = state.positions.get(id);
    const size = sizes.get(id) ?? DEFAULT_NODE_SIZE;
    return at ? [{ id, ...at, ...size }] : [];
  });
  if (boxes.length < 2) return refuse('select two or more layers to align');
  const horizontal = to === 'left' || to === 'center' || to === 'right';
  const start = (b: (typeof boxes)[number]) => (horizontal ? b.x : b.y);
  const length = (b: (typeof boxes)[number]) => (horizontal ? b.width : b.height);
  const low = Math.min(...boxes.map(start));
  const high = Math.max(...boxes.map((b) => start(b) + length(b)));
  const place = (b: (typeof boxes)[number]) => {
    if (to === 'left' || to === 'top') return low;
    if (to === 'right' || to === 'bottom') return high - length(b);
    return (low + high) / 2 - length(b) / 2;
  };
  const changes = new Map(boxes.map((b) => [b.id, horizontal ? { x: place(b), y: b.y } : { x: b.x, y: place(b) }]));
  if (boxes.every((b) => start(b) === place(b))) return unchanged(state.doc);
  return { doc: withPositions(state, state.doc, changes), label: `Align ${boxes.length} layers ${to}` };
}
