import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent } from 'react';
import type { EdgeDoc, Point } from '../../../common/model/index.js';
import { useEditor, useServices, useUi } from '../../AppServices.js';
import { edgeKey } from '../../stores/editorStore.js';
import { blockId, buildFlow, type FlowNode } from './flowElements.js';
import { GroupBlock, GroupFrame } from './GroupNodes.js';
import { LayerNode } from './LayerNode.js';
import { BLOCK_DRAG_TYPE, LAYER_DRAG_TYPE } from './Palette.js';
import { ShapeEdge, type ShapeFlowEdge } from './ShapeEdge.js';

const nodeTypes = { layer: LayerNode, groupFrame: GroupFrame, groupBlock: GroupBlock };
const edgeTypes = { shape: ShapeEdge };

/** The document edge a canvas edge stands for (collapsed blocks' edges stand for none). */
function docEdge(edges: readonly EdgeDoc[], id: string): EdgeDoc | undefined {
  return edges.find((e) => edgeKey(e) === id);
}

/**
 * The model as a top-to-bottom graph: drag layers in from the palette (onto an edge to insert
 * them there), connect and reconnect ports, drag, box-select, delete. Every change goes through a
 * named action of the editor store; the canvas keeps only in-flight drag positions of its own.
 */
export function ModelCanvas({ onMessage }: { onMessage(message: string | null): void }) {
  const { editor } = useServices();
  const model = useEditor((s) => s.model);
  const report = useEditor((s) => s.report);
  const issuesByLayer = useEditor((s) => s.issuesByLayer);
  const paramCounts = useEditor((s) => s.paramCounts);
  const edgeShapes = useEditor((s) => s.edgeShapes);
  const positions = useEditor((s) => s.positions);
  const selection = useEditor((s) => s.selection);
  const theme = useUi((s) => s.theme);
  const heat = useUi((s) => s.heat);
  const flow = useReactFlow();
  const callbacks = useMemo(
    () => ({
      toggleGroup: (id: string) => onMessage(editor.getState().toggleGroupCollapsed(id)),
      renameGroup: (id: string, name: string) => editor.getState().renameGroup(id, name),
      insertOnEdge: (edge: EdgeDoc, type: string) => onMessage(editor.getState().insertLayerOnEdge(type, edge)),
    }),
    [editor, onMessage],
  );
  const built = useMemo(
    () => buildFlow({ model, report, issuesByLayer, paramCounts, edgeShapes, positions, selection, heat }, callbacks),
    [model, report, issuesByLayer, paramCounts, edgeShapes, positions, selection, heat, callbacks],
  );
  // React Flow's own copies (with measured sizes and drags in flight), rebuilt from the store on every change.
  const [nodes, setNodes] = useState<FlowNode[]>(built.nodes);
  const [edges, setEdges] = useState<ShapeFlowEdge[]>(built.edges);
  useEffect(() => {
    setNodes((before) => {
      const old = new Map(before.map((n) => [n.id, n]));
      return built.nodes.map((n) => {
        const o = old.get(n.id);
        return o ? ({ ...o, ...n, measured: o.measured } as FlowNode) : n;
      });
    });
  }, [built.nodes]);
  useEffect(() => {
    setEdges((before) => {
      const selected = new Set(before.filter((e) => e.selected).map((e) => e.id));
      return built.edges.map((e) => (selected.has(e.id) ? { ...e, selected: true } : e));
    });
  }, [built.edges]);

  /** The layers a canvas node stands for: itself, or a collapsed block's members. */
  const layersOf = useCallback((id: string): string[] => {
    const group = editor.getState().model.layout?.groups?.find((g) => blockId(g.id) === id);
    return group ? group.layerIds : editor.getState().model.layers.some((l) => l.id === id) ? [id] : [];
  }, [editor]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns));
    const picks = changes.filter((c) => c.type === 'select');
    if (picks.length === 0) return;
    const s = editor.getState();
    const selection = new Set(s.selection);
    for (const c of picks) for (const id of layersOf(c.id)) if (c.selected) selection.add(id); else selection.delete(id);
    if (selection.size !== s.selection.length || s.selection.some((id) => !selection.has(id))) s.select([...selection]);
  }, [editor, layersOf]);

  // A plain click decides the selection outright (React Flow's change set is relative to what it
  // last drew, which may lag the store by a frame after an action selected new layers);
  // Ctrl/Cmd+click toggles through React Flow's changes above.
  const onNodeClick = useCallback((e: MouseEvent, node: FlowNode) => {
    const ids = layersOf(node.id);
    if (ids.length > 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey) editor.getState().select(ids);
  }, [editor, layersOf]);

  const onEdgesChange = useCallback((changes: EdgeChange<ShapeFlowEdge>[]) => setEdges((es) => applyEdgeChanges(changes.filter((c) => c.type === 'select'), es)), []);

  const onNodeDragStop = useCallback((_: unknown, __: unknown, dragged: FlowNode[]) => {
    const s = editor.getState();
    const positions: Record<string, Point> = {};
    for (const node of dragged) {
      const members = layersOf(node.id);
      if (node.type === 'layer') {
        positions[node.id] = node.position;
        continue;
      }
      // A collapsed block carries its layers along.
      const from = built.nodes.find((n) => n.id === node.id)?.position ?? node.position;
      for (const member of members) {
        const at = s.positions.get(member);
        if (at) positions[member] = { x: at.x + node.position.x - from.x, y: at.y + node.position.y - from.y };
      }
    }
    onMessage(s.moveLayers(positions));
  }, [editor, built.nodes, layersOf, onMessage]);

  /** Delete/Backspace: the store deletes (one undo step per kind), React Flow deletes nothing itself. */
  const onBeforeDelete = useCallback(async ({ nodes: gone, edges: cut }: { nodes: FlowNode[]; edges: ShapeFlowEdge[] }) => {
    const s = editor.getState();
    const layers = gone.flatMap((n) => layersOf(n.id));
    for (const e of cut) {
      const edge = docEdge(s.model.edges, e.id);
      if (edge && !layers.includes(edge.from) && !layers.includes(edge.to)) onMessage(editor.getState().disconnect(edge));
    }
    if (layers.length > 0) onMessage(editor.getState().deleteLayers(layers));
    return false;
  }, [editor, layersOf, onMessage]);

  const onConnect = useCallback((c: Connection) => {
    const index = c.targetHandle?.startsWith('in-') ? Number(c.targetHandle.slice(3)) : undefined;
    const target = editor.getState().report.order.find((o) => o.layer.id === c.target);
    onMessage(editor.getState().connect(c.source, c.target, target?.def.inputs === 'many' ? index : undefined));
  }, [editor, onMessage]);

  const onReconnect = useCallback((old: ShapeFlowEdge, c: Connection) => {
    const edge = docEdge(editor.getState().model.edges, old.id);
    if (!edge) return;
    onMessage(editor.getState().reconnect(edge, c.source !== old.source ? { from: c.source } : { to: c.target }));
  }, [editor, onMessage]);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(LAYER_DRAG_TYPE) && !e.dataTransfer.types.includes(BLOCK_DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback((e: DragEvent) => {
    const type = e.dataTransfer.getData(LAYER_DRAG_TYPE);
    const block = e.dataTransfer.getData(BLOCK_DRAG_TYPE);
    if (!type && !block) return;
    e.preventDefault();
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const where = { x: Math.round(at.x - 100), y: Math.round(at.y - 20) };
    onMessage(type ? editor.getState().addLayer(type, where) : editor.getState().insertBlock(block, where));
  }, [editor, flow, onMessage]);

  // Zoom to fit when a different document arrives (new project, template, import).
  const firstLayer = model.layers[0]?.id;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    void flow.fitView({ padding: 0.2, maxZoom: 1.1, duration: 200 });
  }, [firstLayer, flow]);

  return (
    <div className="canvas" data-testid="model-canvas" data-layers={model.layers.length} onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<FlowNode, ShapeFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onNodeClick={onNodeClick}
        onConnect={onConnect}
        onReconnect={onReconnect}
        onBeforeDelete={onBeforeDelete}
        colorMode={theme}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1.1 }}
        minZoom={0.1}
        maxZoom={2}
        deleteKeyCode={['Delete', 'Backspace']}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        selectionOnDrag={false}
        elevateEdgesOnSelect
        // Off-screen layers are not drawn: a 300-layer graph stays quick to edit.
        onlyRenderVisibleElements
        proOptions={{ hideAttribution: false }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
        <Controls showInteractive={false} position="bottom-left" />
        <MiniMap pannable zoomable position="bottom-right" className="minimap" />
      </ReactFlow>
    </div>
  );
}
