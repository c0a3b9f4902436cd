/**
 * The React Flow picture of the editor's state: a node per visible layer, a frame behind each
 * expanded group, one block per collapsed group (standing for its layers, wired where they were),
 * and an edge per connection labelled with the tensor shape it carries.
 */
import { MarkerType } from '@xyflow/react';
import { formatShape, type EdgeDoc, type GroupDoc, type Point } from '../../../common/model/index.js';
import { DEFAULT_NODE_SIZE, edgeKey, type EditorState } from '../../stores/editorStore.js';
import type { GroupBlockNode, GroupFrameNode } from './GroupNodes.js';
import type { LayerFlowNode } from './LayerNode.js';
import type { ShapeFlowEdge } from './ShapeEdge.js';

export type FlowNode = LayerFlowNode | GroupFrameNode | GroupBlockNode;

export const blockId = (groupId: string) => `group:${groupId}`;
export const frameId = (groupId: string) => `frame:${groupId}`;

const FRAME_PAD = 24;
const FRAME_HEAD = 28;

export interface FlowCallbacks {
  toggleGroup(groupId: string): void;
  renameGroup(groupId: string, name: string): string | null;
  insertOnEdge(edge: EdgeDoc, type: string): void;
}

type State = Pick<EditorState, 'model' | 'report' | 'issuesByLayer' | 'paramCounts' | 'edgeShapes' | 'positions' | 'selection'> & {
  heat?: { values: ReadonlyMap<string, number>; labels: ReadonlyMap<string, string> } | null;
};

function bounds(points: Point[]): { x: number; y: number; width: number; height: number } {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) + DEFAULT_NODE_SIZE.width - x, height: Math.max(...ys) + DEFAULT_NODE_SIZE.height - y };
}

export function buildFlow(s: State, cb: FlowCallbacks): { nodes: FlowNode[]; edges: ShapeFlowEdge[] } {
  const groups: GroupDoc[] = s.model.layout?.groups ?? [];
  /** The node that stands for each hidden layer: its collapsed group's block. */
  const standIn = new Map<string, string>();
  for (const g of groups) if (g.collapsed) for (const id of g.layerIds) standIn.set(id, blockId(g.id));
  const selected = new Set(s.selection);
  const incoming = new Map<string, number>();
  for (const e of s.model.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);

  const nodes: FlowNode[] = [];
  for (const g of groups) {
    const pts = g.layerIds.map((id) => s.positions.get(id)).filter((p) => p !== undefined);
    if (pts.length === 0) continue;
    const box = bounds(pts);
    const actions = {
      onToggle: () => cb.toggleGroup(g.id),
      onRename: (name: string) => cb.renameGroup(g.id, name),
    };
    if (g.collapsed) {
      // What the block outputs: its layers read from outside it (or read by nothing).
      const reads = (id: string) => s.model.edges.filter((e) => e.from === id);
      const exits = g.layerIds.filter((id) => reads(id).length === 0 || reads(id).some((e) => !g.layerIds.includes(e.to)));
      const shape = exits.length === 1 ? s.report.shapes.get(exits[0]) : undefined;
      nodes.push({
        id: blockId(g.id), type: 'groupBlock', position: { x: box.x, y: box.y }, selected: g.layerIds.every((id) => selected.has(id)),
        data: { group: g, ...actions, outputShape: shape ? formatShape(shape) : null, params: g.layerIds.reduce((a, id) => a + (s.paramCounts.get(id) ?? 0), 0), invalid: g.layerIds.some((id) => s.issuesByLayer.has(id)) },
      });
    } else {
      nodes.push({
        id: frameId(g.id), type: 'groupFrame', position: { x: box.x - FRAME_PAD, y: box.y - FRAME_PAD - FRAME_HEAD }, draggable: false, selectable: false, zIndex: -1,
        style: { width: box.width + 2 * FRAME_PAD, height: box.height + 2 * FRAME_PAD + FRAME_HEAD },
        data: { group: g, ...actions },
      });
    }
  }
  for (const layer of s.model.layers) {
    if (standIn.has(layer.id)) continue;
    const info = s.report.order.find((o) => o.layer.id === layer.id);
    const inputs = info?.def.inputs ?? (layer.type === 'Input' ? 0 : 1);
    const shape = s.report.shapes.get(layer.id);
    nodes.push({
      id: layer.id, type: 'layer', position: s.positions.get(layer.id) ?? { x: 0, y: 0 }, selected: selected.has(layer.id),
      data: {
        layer,
        outputShape: shape ? formatShape(shape) : null,
        issues: (s.issuesByLayer.get(layer.id) ?? []).map((i) => i.message),
        params: s.paramCounts.get(layer.id) ?? null,
        ports: inputs === 'many' ? (incoming.get(layer.id) ?? 0) + 1 : inputs,
        ...(s.heat?.values.has(layer.id) ? { heat: s.heat.values.get(layer.id)!, heatLabel: s.heat.labels.get(layer.id) } : {}),
      },
    });
  }

  const edges: ShapeFlowEdge[] = [];
  const seen = new Set<string>();
  for (const e of s.model.edges) {
    const source = standIn.get(e.from) ?? e.from;
    const target = standIn.get(e.to) ?? e.to;
    if (source === target) continue;  // inside a collapsed block
    const hidden = source !== e.from || target !== e.to;
    const id = hidden ? `${source}->${target}` : edgeKey(e);
    if (seen.has(id)) continue;
    seen.add(id);
    const shape = s.edgeShapes.get(edgeKey(e));
    edges.push({
      id, source, target, type: 'shape', sourceHandle: 'out', targetHandle: target === e.to ? `in-${e.index ?? 0}` : 'in-0',
      reconnectable: !hidden, deletable: !hidden,
      markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
      data: { shape: shape ? formatShape(shape) : null, onDropLayer: (type) => cb.insertOnEdge(e, type) },
    });
  }
  return { nodes, edges };
}
