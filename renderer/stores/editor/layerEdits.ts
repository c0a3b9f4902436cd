/** Actions on layers: add, insert on a connection, delete, set a parameter, rename, fit the inputs to data. */
import { LAYOUT_SPACING } from '../../../common/model/autoLayout.js';
import { layerDef, resolveParams, type EdgeDoc, type LayerDef, type LayerDoc, type ModelDoc, type ParamValue, type Point } from '../../../common/model/index.js';
import { reachable } from './connections.js';
import { countLayers, describeLayer, refuse, sameEdge, unchanged, type DocState, type Edit, type EditResult } from './edit.js';
import { withLayout, withPositions } from './layoutEdits.js';
import { LayerNamer, snakeCase } from './naming.js';
import { starterParams } from './starterParams.js';

/** The catalogue's objection to one parameter value ("units must be a whole number ..."), or null. */
function paramProblem(def: LayerDef, key: string, value: ParamValue | undefined): string | null {
  if (!Object.hasOwn(def.params, key)) return `has no parameter '${key}' (${def.type} takes ${Object.keys(def.params).join(', ') || 'none'})`;
  const r = resolveParams({ ...def, params: { [key]: def.params[key] } }, value === undefined ? {} : { [key]: value });
  return 'problems' in r ? r.problems[0] : null;
}

/** A new layer of `type` with the starter parameters, overridden by `params` (each checked). */
function newLayer(doc: ModelDoc, type: string, params: Record<string, ParamValue>): LayerDoc | { refused: string } {
  const def = layerDef(type);
  if (!def) return { refused: `Kiln has no layer type "${type}": pick one from the palette` };
  for (const [key, value] of Object.entries(params)) {
    const problem = paramProblem(def, key, value);
    if (problem) return { refused: `${type} ${problem}` };
  }
  return { ...new LayerNamer(doc).next(snakeCase(type)), type, params: { ...starterParams(def), ...params } };
}

export function addLayer(state: DocState, type: string, at: Point, params: Record<string, ParamValue> = {}): EditResult {
  const layer = newLayer(state.doc, type, params);
  if ('refused' in layer) return layer;
  const doc = withPositions(state, { ...state.doc, layers: [...state.doc.layers, layer] }, new Map([[layer.id, at]]));
  return { doc, label: `Add ${type}`, select: [layer.id] };
}

/**
 * Splits a connection with a new layer. Without a drop point, the layer goes a row below the
 * connection's source; where that row is taken, the reader and everything after it move down a row.
 */
export function insertLayerOnEdge(state: DocState, type: string, edge: EdgeDoc, at?: Point, params: Record<string, ParamValue> = {}): EditResult {
  const { doc } = state;
  const i = doc.edges.findIndex((e) => sameEdge(e, edge));
  if (i < 0) return refuse('that connection is no longer in the model');
  const def = layerDef(type);
  if (def?.inputs === 0) return refuse(`an ${type} layer starts the model: it cannot sit on a connection`);
  if (def?.inputs === 'many') return refuse(`${type} merges several inputs: connect it to each of them instead`);
  const layer = newLayer(doc, type, params);
  if ('refused' in layer) return layer;
  const edges = [...doc.edges];
  // Same place in the list: a merge layer orders its unnumbered inputs by it.
  edges.splice(i, 1, { from: edge.from, to: layer.id }, { ...edge, from: layer.id });
  const changes = new Map<string, Point>();
  const from = state.positions.get(edge.from) ?? { x: 0, y: 0 };
  const to = state.positions.get(edge.to) ?? { x: from.x, y: from.y + LAYOUT_SPACING.row };
  if (at) changes.set(layer.id, at);
  else if (to.y - from.y >= 2 * LAYOUT_SPACING.row) changes.set(layer.id, { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 });
  else {
    changes.set(layer.id, { x: to.x, y: from.y + LAYOUT_SPACING.row });
    for (const id of reachable(doc, edge.to)) {
      const p = state.positions.get(id);
      if (p) changes.set(id, { x: p.x, y: p.y + LAYOUT_SPACING.row });
    }
  }
  const next = withPositions(state, { ...doc, layers: [...doc.layers, layer], edges }, changes);
  return { doc: next, label: `Insert ${type} after ${doc.layers.find((l) => l.id === edge.from)?.name ?? edge.from}`, select: [layer.id] };
}

/**
 * Deletes layers and their connections. Where the deleted layers form a run with exactly one
 * connection in and one out (a Dropout between two Dense layers, say), the run's input is wired
 * to its reader, in the same input slot, so the chain stays whole; anything else is left open.
 */
export function deleteLayers(state: DocState, ids: readonly string[]): EditResult {
  const { doc } = state;
  const gone = new Set(ids.filter((id) => doc.layers.some((l) => l.id === id)));
  if (gone.size === 0) return refuse('select the layers to delete');
  const bridges = new Map<EdgeDoc, EdgeDoc>();  // an edge out of a deleted run -> the edge replacing it
  for (const run of runsOf(doc, gone)) {
    const into = doc.edges.filter((e) => run.has(e.to) && !run.has(e.from));
    const out = doc.edges.filter((e) => run.has(e.from) && !run.has(e.to));
    if (into.length === 1 && out.length === 1) bridges.set(out[0], { ...out[0], from: into[0].from });
  }
  const edges = doc.edges.flatMap((e) => bridges.get(e) ?? (gone.has(e.from) || gone.has(e.to) ? [] : [e]));
  const { outputs, ...rest } = doc;
  const next: ModelDoc = { ...rest, layers: doc.layers.filter((l) => !gone.has(l.id)), edges };
  const kept = outputs?.filter((id) => !gone.has(id));
  if (kept && kept.length > 0) next.outputs = kept;
  const positions = doc.layout?.positions && Object.fromEntries(Object.entries(doc.layout.positions).filter(([id]) => !gone.has(id)));
  const groups = doc.layout?.groups?.map((g) => ({ ...g, layerIds: g.layerIds.filter((id) => !gone.has(id)) })).filter((g) => g.layerIds.length > 0);
  return { doc: withLayout(next, { positions, groups }), label: `Delete ${countLayers(doc, [...gone])}` };
}

/** The connected pieces of `ids` (joined by connections among them, either way). */
function runsOf(doc: ModelDoc, ids: ReadonlySet<string>): Set<string>[] {
  const runs: Set<string>[] = [];
  const runOf = new Map<string, Set<string>>();
  for (const id of ids) {
    if (runOf.has(id)) continue;
    const run = new Set([id]);
    runOf.set(id, run);
    runs.push(run);
    for (const member of run) {  // a Set iterates over members added while iterating
      for (const e of doc.edges) {
        const other = e.from === member ? e.to : e.to === member ? e.from : null;
        if (other !== null && ids.has(other) && !run.has(other)) {
          run.add(other);
          runOf.set(other, run);
        }
      }
    }
  }
  return runs;
}

/** Sets one parameter; `undefined` restores Keras's default. `check: false` stores even a bad value (shown as an issue). */
export function setParam(state: DocState, id: string, key: string, value: ParamValue | undefined, check = true): EditResult {
  const layer = state.doc.layers.find((l) => l.id === id);
  if (!layer) return refuse(`there is no layer "${id}"`);
  if (check) {
    const def = layerDef(layer.type);
    if (!def) return refuse(`${describeLayer(layer)} has a type Kiln does not know: replace the layer`);
    const problem = paramProblem(def, key, value);
    if (problem) return refuse(`${describeLayer(layer)} ${problem}`);
  }
  if (JSON.stringify(layer.params[key]) === JSON.stringify(value)) return unchanged(state.doc);
  const { [key]: _, ...others } = layer.params;
  const params = value === undefined ? others : { ...layer.params, [key]: value };
  const layers = state.doc.layers.map((l) => (l === layer ? { ...l, params } : l));
  return { doc: { ...state.doc, layers }, label: `Set ${key} of ${layer.name}`, mergeKey: `param ${id} ${key}` };
}

export function renameLayer(state: DocState, id: string, wanted: string): EditResult {
  const layer = state.doc.layers.find((l) => l.id === id);
  if (!layer) return refuse(`there is no layer "${id}"`);
  const name = wanted.trim();
  if (name === '') return refuse(`${describeLayer(layer)} needs a name`);
  if (name.includes('/')) return refuse(`layer names cannot contain '/' (weights are named '${name}/kernel', ...): choose another name`);
  if (name === layer.name) return unchanged(state.doc);
  if (state.doc.layers.some((l) => l.name === name)) return refuse(`another layer is already named '${name}': choose another name`);
  const layers = state.doc.layers.map((l) => (l === layer ? { ...l, name } : l));
  return { doc: { ...state.doc, layers }, label: `Rename ${layer.name} to ${name}` };
}

/** Gives the Input layers the dataset's per-sample shapes and dtypes (in input order); `changed` names the layers it changed. */
const squeezed = (shape: number[]) => shape.filter((d) => d !== 1).join(',');

export function fitInputs(state: DocState, inputs: { shape: number[]; dtype: 'float32' | 'int32' }[]): Edit & { changed: string[] } {
  const changed: string[] = [];
  const wanted = new Map(state.doc.layers.filter((l) => l.type === 'Input').map((l, i) => [l.id, inputs[i]]));
  const layers = state.doc.layers.map((l) => {
    const want = wanted.get(l.id);
    if (!want) return l;
    // (28, 28, 1) already fits (28, 28) data, as training sees it: axes of 1 do not count.
    const same = Array.isArray(l.params.shape) && squeezed(l.params.shape as number[]) === squeezed(want.shape) && (l.params.dtype ?? 'float32') === want.dtype;
    if (same) return l;
    changed.push(l.name);
    // Keep documents free of the default dtype unless they already spell it out.
    return { ...l, params: { ...l.params, shape: want.shape, ...(want.dtype === 'int32' || l.params.dtype !== undefined ? { dtype: want.dtype } : {}) } };
  });
  const doc = changed.length > 0 ? { ...state.doc, layers } : state.doc;
  return { doc, label: `Fit ${changed.length === 1 ? changed[0] : `${changed.length} inputs`} to the data`, changed };
}
