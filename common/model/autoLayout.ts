/**
 * Draws a model top to bottom in layers (Sugiyama's scheme): longest-path layering from the inputs,
 * dummy nodes along connections that skip layers (so a skip connection gets its own lane and is
 * counted in crossings), crossing reduction by barycenter sweeps, then x positions pulled toward
 * each node's neighbours while keeping a minimum gap. Pure; the editor stores the result in the
 * document's layout.
 */
import type { ModelDoc, Point } from './ModelDoc.js';

/** Distance between layer centres across a row, and between rows. */
export const LAYOUT_SPACING = { column: 240, row: 140 } as const;

const SWEEPS = 8;
/** Dummies give way to layers when x positions are settled, so the layers' own chain stays straight. */
const DUMMY_WEIGHT = 0.1;

interface Node {
  rank: number;
  /** Index into model.layers, or -1 for a dummy. */
  layer: number;
  up: number[];
  down: number[];
}

/** Top-left positions per layer id: inputs on the first row, each layer a row below its deepest input. */
export function autoLayout(model: ModelDoc): Record<string, Point> {
  const nodes = buildLayeredGraph(model);
  const rows = orderRows(nodes);
  const x = placeInRows(nodes, rows);
  const real = nodes.map((n, i) => i).filter((i) => nodes[i].layer >= 0);
  const left = Math.min(...real.map((i) => x[i]));
  const positions: Record<string, Point> = {};
  for (const i of real) positions[model.layers[nodes[i].layer].id] = { x: Math.round(x[i] - left), y: nodes[i].rank * LAYOUT_SPACING.row };
  return positions;
}

/** Layers ranked by their longest path from a source, plus a dummy per skipped row of each edge. */
function buildLayeredGraph(model: ModelDoc): Node[] {
  const index = new Map(model.layers.map((l, i) => [l.id, i]));
  const n = model.layers.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  const seen = new Set<string>();
  for (const e of model.edges) {
    const from = index.get(e.from);
    const to = index.get(e.to);
    const key = `${e.from}\u0000${e.to}`;
    if (from === undefined || to === undefined || from === to || seen.has(key)) continue;
    seen.add(key);
    preds[to].push(from);
    succs[from].push(to);
  }

  // Kahn's order; layers on a cycle (an invalid model still gets drawn) follow in document order.
  const rank = new Array<number>(n).fill(-1);
  const pending = preds.map((p) => p.length);
  const order = model.layers.map((_, i) => i).filter((i) => pending[i] === 0);
  for (let head = 0; head < order.length; head++) {
    for (const next of succs[order[head]]) if (--pending[next] === 0) order.push(next);
  }
  const placed = new Set(order);
  for (let i = 0; i < n; i++) if (!placed.has(i)) order.push(i);
  for (const i of order) rank[i] = Math.max(0, ...preds[i].filter((p) => rank[p] >= 0).map((p) => rank[p] + 1));

  const nodes: Node[] = rank.map((r, i) => ({ rank: r, layer: i, up: [], down: [] }));
  for (let from = 0; from < n; from++) {
    for (const to of succs[from]) {
      if (rank[to] <= rank[from]) continue;  // the back edge of a cycle: drawn as is, not laid out
      let last = from;
      for (let r = rank[from] + 1; r < rank[to]; r++) {
        nodes.push({ rank: r, layer: -1, up: [last], down: [] });
        nodes[last].down.push(nodes.length - 1);
        last = nodes.length - 1;
      }
      nodes[last].down.push(to);
      nodes[to].up.push(last);
    }
  }
  return nodes;
}

/** Node indices per row, ordered to reduce crossings; starts from a depth-first order so components stay together. */
function orderRows(nodes: Node[]): number[][] {
  const depth = Math.max(-1, ...nodes.map((n) => n.rank)) + 1;
  const rows: number[][] = Array.from({ length: depth }, () => []);
  const visited = new Set<number>();
  const visit = (start: number) => {
    const stack = [start];  // explicit: a deep model would overflow the call stack
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (visited.has(i)) continue;
      visited.add(i);
      rows[nodes[i].rank].push(i);
      for (let k = nodes[i].down.length - 1; k >= 0; k--) stack.push(nodes[i].down[k]);
    }
  };
  nodes.forEach((node, i) => {
    if (node.up.length === 0) visit(i);
  });
  nodes.forEach((_, i) => visit(i));

  let best = rows.map((r) => [...r]);
  let fewest = crossings(nodes, rows);
  for (let sweep = 0; sweep < SWEEPS && fewest > 0; sweep++) {
    const down = sweep % 2 === 0;
    for (let k = 1; k < depth; k++) {
      const r = down ? k : depth - 1 - k;
      const adjacent = rows[down ? r - 1 : r + 1];
      const slot = new Map(adjacent.map((id, i) => [id, i]));
      const bary = new Map(rows[r].map((id, i) => {
        const near = (down ? nodes[id].up : nodes[id].down).map((j) => slot.get(j)!);
        return [id, near.length > 0 ? near.reduce((a, b) => a + b, 0) / near.length : i * (adjacent.length / Math.max(1, rows[r].length))];
      }));
      rows[r].sort((a, b) => bary.get(a)! - bary.get(b)!);
    }
    const now = crossings(nodes, rows);
    if (now < fewest) {
      fewest = now;
      best = rows.map((row) => [...row]);
    }
  }
  return best;
}

function crossings(nodes: Node[], rows: number[][]): number {
  let total = 0;
  for (let r = 0; r + 1 < rows.length; r++) {
    const below = new Map(rows[r + 1].map((id, i) => [id, i]));
    const ends: [number, number][] = [];
    rows[r].forEach((id, i) => nodes[id].down.forEach((j) => ends.push([i, below.get(j)!])));
    for (let a = 0; a < ends.length; a++) {
      for (let b = a + 1; b < ends.length; b++) {
        if ((ends[a][0] - ends[b][0]) * (ends[a][1] - ends[b][1]) < 0) total++;
      }
    }
  }
  return total;
}

/** x centre per node: each row in its order, pulled toward the weighted mean of its neighbours. */
function placeInRows(nodes: Node[], rows: number[][]): number[] {
  const gap = LAYOUT_SPACING.column;
  const weight = (i: number) => (nodes[i].layer >= 0 ? 1 : DUMMY_WEIGHT);
  const x = new Array<number>(nodes.length).fill(0);
  for (const row of rows) row.forEach((id, i) => (x[id] = (i - (row.length - 1) / 2) * gap));
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[down ? k : rows.length - 1 - k];
      const desired = row.map((id) => {
        const near = down ? nodes[id].up : nodes[id].down;
        const w = near.reduce((a, j) => a + weight(j), 0);
        return w > 0 ? near.reduce((a, j) => a + weight(j) * x[j], 0) / w : x[id];
      });
      spread(desired, row.map(weight), gap).forEach((v, i) => (x[row[i]] = v));
    }
  }
  return x;
}

/**
 * The positions closest to `desired` (weighted least squares) that keep the order with at least
 * `gap` between neighbours: isotonic regression of desired[i] - i * gap by pooling adjacent violators.
 */
function spread(desired: number[], weights: number[], gap: number): number[] {
  const blocks: { sum: number; weight: number; size: number }[] = [];
  desired.forEach((d, i) => {
    blocks.push({ sum: weights[i] * (d - i * gap), weight: weights[i], size: 1 });
    while (blocks.length > 1) {
      const [a, b] = blocks.slice(-2);
      if (a.sum / a.weight <= b.sum / b.weight) break;
      blocks.splice(-2, 2, { sum: a.sum + b.sum, weight: a.weight + b.weight, size: a.size + b.size });
    }
  });
  const out: number[] = [];
  for (const b of blocks) for (let k = 0; k < b.size; k++) out.push(b.sum / b.weight + out.length * gap);
  return out;
}
