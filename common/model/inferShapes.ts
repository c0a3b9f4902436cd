import { formatShape, type LayerDoc, type ModelDoc, type Shape } from './ModelDoc.js';

/** A problem in the user's terms: which layer, what is wrong, how to fix it. */
export interface ModelIssue {
  layerId: string | null;
  message: string;
}

export interface ShapeReport {
  /** Output shape of every layer whose shape could be inferred. */
  shapes: Map<string, Shape>;
  /** Layers in execution order (inputs first), when the graph is a valid chain. */
  order: LayerDoc[];
  issues: ModelIssue[];
}

const ACTIVATIONS = new Set(['linear', 'relu', 'softmax']);
const MAX_UNITS = 65536;

function describe(layer: LayerDoc): string {
  return `${layer.type} '${layer.name}'`;
}

function paramIssues(layer: LayerDoc): string[] {
  if (layer.type === 'Input') {
    const shape = layer.params.shape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      return [`${describe(layer)} needs a shape of positive whole numbers, such as (4,)`];
    }
    return [];
  }
  const { units, activation } = layer.params;
  const out: string[] = [];
  if (!Number.isInteger(units) || units < 1 || units > MAX_UNITS) {
    out.push(`${describe(layer)} needs units to be a whole number from 1 to ${MAX_UNITS}, got ${String(units)}`);
  }
  if (!ACTIVATIONS.has(activation)) {
    out.push(`${describe(layer)} has activation "${String(activation)}": use linear, relu or softmax`);
  }
  return out;
}

/**
 * Walks the graph from its Input, checks every layer's parameters and input rank, and infers each
 * output shape. This first cut supports a chain (one Input, each layer feeding the next).
 */
export function inferShapes(model: ModelDoc): ShapeReport {
  const issues: ModelIssue[] = [];
  const shapes = new Map<string, Shape>();
  const order: LayerDoc[] = [];
  const byId = new Map(model.layers.map((l) => [l.id, l]));

  for (const layer of model.layers) {
    for (const message of paramIssues(layer)) issues.push({ layerId: layer.id, message });
  }
  for (const edge of model.edges) {
    for (const end of [edge.from, edge.to]) {
      if (!byId.has(end)) issues.push({ layerId: null, message: `a connection refers to a missing layer "${end}": delete that connection` });
    }
  }

  const inputs = model.layers.filter((l) => l.type === 'Input');
  if (inputs.length !== 1) {
    issues.push({ layerId: null, message: inputs.length === 0 ? 'the model has no Input layer: add one' : 'the model has several Input layers: keep one' });
    return { shapes, order, issues };
  }

  const outgoing = new Map<string, string[]>();
  const incoming = new Map<string, string[]>();
  for (const { from, to } of model.edges) {
    outgoing.set(from, [...(outgoing.get(from) ?? []), to]);
    incoming.set(to, [...(incoming.get(to) ?? []), from]);
  }

  let layer: LayerDoc | undefined = inputs[0];
  let shape: Shape = [];
  const visited = new Set<string>();
  while (layer) {
    if (visited.has(layer.id)) {
      issues.push({ layerId: layer.id, message: `${describe(layer)} is part of a cycle: remove a connection so data flows one way` });
      break;
    }
    visited.add(layer.id);
    order.push(layer);
    if (layer.type === 'Input') {
      shape = [null, ...layer.params.shape];
    } else {
      if ((incoming.get(layer.id) ?? []).length > 1) {
        issues.push({ layerId: layer.id, message: `${describe(layer)} has several inputs: a Dense layer takes one` });
      }
      if (shape.length !== 2) {
        issues.push({
          layerId: layer.id,
          message: `${describe(layer)} needs a rank-2 input (batch, features) but receives ${formatShape(shape)}: add a Flatten before it`,
        });
        break;
      }
      shape = [null, layer.params.units];
    }
    shapes.set(layer.id, shape);
    const next: string[] = outgoing.get(layer.id) ?? [];
    if (next.length > 1) {
      issues.push({ layerId: layer.id, message: `${describe(layer)} feeds several layers: branches are not supported yet, keep one connection` });
    }
    layer = next.length > 0 ? byId.get(next[0]) : undefined;
  }

  for (const l of model.layers) {
    if (!visited.has(l.id)) {
      issues.push({ layerId: l.id, message: `${describe(l)} is not connected to the Input: connect it or delete it` });
    }
  }
  return { shapes, order, issues };
}
