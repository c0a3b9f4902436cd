/** Actions on connections: connect, disconnect, reconnect, each refusing what would make the graph invalid by construction. */
import { layerDef, type EdgeDoc, type ModelDoc } from '../../../common/model/index.js';
import { describeLayer, refuse, sameEdge, unchanged, type DocState, type EditResult } from './edit.js';

/** `start` and every layer that reads from it, directly or not. */
export function reachable(doc: ModelDoc, start: string): Set<string> {
  const readers = new Map<string, string[]>();
  for (const e of doc.edges) readers.set(e.from, [...(readers.get(e.from) ?? []), e.to]);
  const seen = new Set([start]);
  for (const id of seen) for (const next of readers.get(id) ?? []) seen.add(next);
  return seen;
}

/** Why `from` cannot feed `to` in `doc`, or null. */
function objection(doc: ModelDoc, fromId: string, toId: string): string | null {
  const from = doc.layers.find((l) => l.id === fromId);
  const to = doc.layers.find((l) => l.id === toId);
  if (!from || !to) return `there is no layer "${from ? toId : fromId}"`;
  if (from === to) return `${describeLayer(to)} cannot read its own output`;
  if (layerDef(to.type)?.inputs === 0) return `${describeLayer(to)} is a model input and cannot read other layers`;
  if (reachable(doc, toId).has(fromId)) return `connecting ${from.name} → ${to.name} would make a cycle (${to.name} already feeds ${from.name}): data must flow one way`;
  return null;
}

const name = (doc: ModelDoc, id: string) => doc.layers.find((l) => l.id === id)?.name ?? id;

/** The edges into `to`, in input order (as analyzeModel orders them). */
function inputsOf(doc: ModelDoc, to: string): EdgeDoc[] {
  return doc.edges.map((e, i) => ({ e, slot: e.index ?? i })).filter(({ e }) => e.to === to).sort((a, b) => a.slot - b.slot).map(({ e }) => e);
}

/**
 * Connects `from` to input `index` of `to`. A layer with one input gets its input replaced; a merge
 * layer gets input `index` replaced, or a new last input.
 */
export function connect(state: DocState, from: string, to: string, index?: number): EditResult {
  const { doc } = state;
  const problem = objection(doc, from, to);
  if (problem) return refuse(problem);
  const label = `Connect ${name(doc, from)} → ${name(doc, to)}`;
  const current = inputsOf(doc, to);
  const merge = layerDef(doc.layers.find((l) => l.id === to)!.type)?.inputs === 'many';
  const replaced = merge ? (index !== undefined ? current[index] : undefined) : current[0];
  if (replaced?.from === from && (merge || current.length === 1)) return unchanged(doc);
  if (!replaced) return { doc: { ...doc, edges: [...doc.edges, { from, to }] }, label };
  // Replace in place: a merge layer orders unnumbered inputs by their place in the list.
  const edges = doc.edges.flatMap((e) => (e === replaced ? [{ ...e, from }] : !merge && e.to === to ? [] : [e]));
  return { doc: { ...doc, edges }, label };
}

export function disconnect(state: DocState, edge: EdgeDoc): EditResult {
  const { doc } = state;
  if (!doc.edges.some((e) => sameEdge(e, edge))) return refuse('that connection is no longer in the model');
  return { doc: { ...doc, edges: doc.edges.filter((e) => !sameEdge(e, edge)) }, label: `Disconnect ${name(doc, edge.from)} → ${name(doc, edge.to)}` };
}

/** Moves one end of a connection (a port dragged elsewhere); a new source keeps the same input slot. */
export function reconnect(state: DocState, edge: EdgeDoc, end: { from: string } | { to: string }): EditResult {
  const { doc } = state;
  const i = doc.edges.findIndex((e) => sameEdge(e, edge));
  if (i < 0) return refuse('that connection is no longer in the model');
  const from = 'from' in end ? end.from : edge.from;
  const to = 'to' in end ? end.to : edge.to;
  if (from === edge.from && to === edge.to) return unchanged(doc);
  const without: ModelDoc = { ...doc, edges: doc.edges.filter((_, j) => j !== i) };
  const label = `Reconnect ${name(doc, from)} → ${name(doc, to)}`;
  if (to === edge.to) {
    const problem = objection(without, from, to);
    if (problem) return refuse(problem);
    return { doc: { ...doc, edges: doc.edges.map((e, j) => (j === i ? { ...e, from } : e)) }, label };
  }
  const moved = connect({ ...state, doc: without }, from, to);
  return 'refused' in moved ? moved : { ...moved, label };
}
