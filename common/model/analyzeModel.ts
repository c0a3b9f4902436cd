/**
 * Checks a model document and infers everything the editor, the engine host and the CLI need:
 * execution order, each layer's inputs, parameters (with defaults), output shapes, weights,
 * parameter counts and FLOPs. Problems are named in the user's terms and never thrown.
 */
import { layerDef, resolveParams, type LayerDef, type Params, type WeightSpec } from './layers/index.js';
import { isProblem } from './layers/types.js';
import { formatShape, type LayerDoc, type ModelDoc, type Shape } from './ModelDoc.js';

/** A problem in the user's terms: which layer (or none), what is wrong, how to fix it. */
export interface ModelIssue {
  layerId: string | null;
  message: string;
}

export interface LayerInfo {
  layer: LayerDoc;
  def: LayerDef;
  params: Params;
  /** Ids of the layers it reads, in input order. */
  inputs: string[];
  shape: Shape;
  weights: WeightSpec[];
  trainable: number;
  nonTrainable: number;
  flops: number;
}

export interface ModelAnalysis {
  /** Every layer whose shape could be inferred, in execution order (inputs first). */
  order: LayerInfo[];
  /** Output shape per layer id, where inferred. */
  shapes: Map<string, Shape>;
  /** Input layer ids and output layer ids, in the model's order. */
  inputs: string[];
  outputs: string[];
  issues: ModelIssue[];
}

function describe(layer: LayerDoc): string {
  return `${layer.type} '${layer.name}'`;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function analyzeModel(model: ModelDoc): ModelAnalysis {
  const issues: ModelIssue[] = [];
  const fail = (layer: LayerDoc | null, message: string) => issues.push({ layerId: layer?.id ?? null, message: layer ? `${describe(layer)} ${message}` : message });
  const byId = new Map<string, LayerDoc>();
  const names = new Set<string>();
  const defs = new Map<string, { def: LayerDef; params: Params }>();

  for (const layer of model.layers) {
    if (byId.has(layer.id)) fail(null, `two layers have the id "${layer.id}": give each its own`);
    byId.set(layer.id, layer);
    if (names.has(layer.name)) fail(layer, 'has the same name as another layer: rename one (weights are named after layers)');
    names.add(layer.name);
    const def = layerDef(layer.type);
    if (!def) {
      fail(null, `layer '${layer.name}' has type "${layer.type}", which Kiln does not know: replace it with a supported layer`);
      continue;
    }
    const resolved = resolveParams(def, layer.params ?? {});
    if ('problems' in resolved) resolved.problems.forEach((p) => fail(layer, p));
    else defs.set(layer.id, { def, params: resolved.params });
  }

  // Inputs of each layer, ordered by the edge's index (then by edge order).
  const incoming = new Map<string, { from: string; index: number }[]>();
  const readers = new Map<string, number>();
  model.edges.forEach((edge, i) => {
    const ends = [edge.from, edge.to].filter((end) => !byId.has(end));
    if (ends.length > 0) {
      fail(null, `a connection refers to a missing layer "${ends[0]}": delete that connection`);
      return;
    }
    incoming.set(edge.to, [...(incoming.get(edge.to) ?? []), { from: edge.from, index: edge.index ?? i }]);
    readers.set(edge.from, (readers.get(edge.from) ?? 0) + 1);
  });
  const inputsOf = new Map<string, string[]>();
  for (const layer of model.layers) {
    const ins = (incoming.get(layer.id) ?? []).sort((a, b) => a.index - b.index).map((e) => e.from);
    inputsOf.set(layer.id, ins);
    const def = defs.get(layer.id)?.def;
    if (!def) continue;
    if (def.inputs === 0 && ins.length > 0) fail(layer, 'is a model input and cannot read other layers: remove its incoming connections');
    if (def.inputs === 1 && ins.length > 1) fail(layer, `reads ${ins.length} layers but takes one: merge them first (Add, Concatenate, ...)`);
    if (def.inputs === 'many' && ins.length < 2) fail(layer, `merges several inputs but reads ${ins.length}: connect at least two layers to it`);
  }

  // Kahn's algorithm: whatever is left over sits on a cycle.
  const pending = new Map(model.layers.map((l) => [l.id, inputsOf.get(l.id)!.length]));
  // A queue read by index (shift() would make this quadratic); it ends as the execution order.
  const sorted = model.layers.filter((l) => pending.get(l.id) === 0).map((l) => l.id);
  const outgoing = new Map<string, string[]>();
  for (const e of model.edges) if (byId.has(e.from) && byId.has(e.to)) outgoing.set(e.from, [...(outgoing.get(e.from) ?? []), e.to]);
  for (let head = 0; head < sorted.length; head++) {
    const id = sorted[head];
    for (const next of outgoing.get(id) ?? []) {
      pending.set(next, pending.get(next)! - 1);
      if (pending.get(next) === 0) sorted.push(next);
    }
  }
  const done = new Set(sorted);
  for (const layer of model.layers) {
    if (!done.has(layer.id)) fail(layer, 'is part of a cycle: remove a connection so data flows one way');
  }

  const inputs = model.layers.filter((l) => l.type === 'Input').map((l) => l.id);
  if (inputs.length === 0) fail(null, 'the model has no Input layer: add one');
  let outputs = model.outputs ?? model.layers.filter((l) => !readers.has(l.id) && l.type !== 'Input').map((l) => l.id);
  outputs = outputs.filter((id) => {
    if (byId.has(id)) return true;
    fail(null, `the model output "${id}" is not a layer: choose an existing layer as output`);
    return false;
  });
  for (const id of inputs) if (!readers.has(id) && !outputs.includes(id)) fail(byId.get(id)!, 'is not read by any layer: connect it or delete it');

  const shapes = new Map<string, Shape>();
  const order: LayerInfo[] = [];
  for (const id of sorted) {
    const layer = byId.get(id)!;
    const entry = defs.get(id);
    const ins = inputsOf.get(id)!;
    if (!entry) continue;
    if (entry.def.inputs !== 0 && ins.length === 0) {
      fail(layer, 'is not connected to an Input: connect it or delete it');
      continue;
    }
    if (!ins.every((i) => shapes.has(i))) continue;  // an input already has a problem
    const inShapes = ins.map((i) => shapes.get(i)!);
    const shape = entry.def.shape(inShapes, entry.params);
    if (isProblem(shape)) {
      fail(layer, shape.problem);
      continue;
    }
    if (shape.slice(1).some((d) => d !== null && (!Number.isInteger(d) || d < 1))) {
      fail(layer, `would output ${formatShape(shape)}, which has an empty or negative axis: check its parameters and input ${inShapes.map(formatShape).join(', ')}`);
      continue;
    }
    shapes.set(id, shape);
    const weights = entry.def.weights?.(inShapes, entry.params) ?? [];
    const trainable = weights.filter((w) => w.trainable).reduce((a, w) => a + count(w.shape), 0);
    const total = weights.reduce((a, w) => a + count(w.shape), 0);
    order.push({ layer, def: entry.def, params: entry.params, inputs: ins, shape, weights, trainable, nonTrainable: total - trainable, flops: entry.def.flops?.(inShapes, shape, entry.params) ?? 0 });
  }
  return { order, shapes, inputs, outputs, issues };
}
