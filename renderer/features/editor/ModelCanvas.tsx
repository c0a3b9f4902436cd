import { Background, BackgroundVariant, Controls, MarkerType, ReactFlow, useNodesState, type Edge } from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import { formatShape, type ModelAnalysis, type ModelDoc, type ModelIssue } from '../../../common/model/index.js';
import { useEditor, useRun } from '../../AppServices.js';
import { LayerNode, type LayerFlowNode } from './LayerNode.js';

const nodeTypes = { layer: LayerNode };

const COLUMN = 290;
const ROW = 240;

/**
 * React Flow nodes for the model: data from the document and its shape report, positions kept
 * from `previous` (so dragging sticks) and laid out left to right for new layers.
 */
function buildNodes(
  model: ModelDoc,
  report: ModelAnalysis,
  issuesByLayer: ReadonlyMap<string, ModelIssue[]>,
  paramCounts: ReadonlyMap<string, number>,
  previous: LayerFlowNode[],
): LayerFlowNode[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  const column = new Map(report.order.map((l, i) => [l.layer.id, i]));
  const targets = new Set(model.edges.map((e) => e.to));
  const sources = new Set(model.edges.map((e) => e.from));
  let stray = 0;
  return model.layers.map((layer) => {
    const old = before.get(layer.id);
    const index = column.get(layer.id);
    const position = old?.position ?? (index !== undefined ? { x: index * COLUMN, y: 0 } : { x: stray++ * COLUMN, y: ROW });
    const shape = report.shapes.get(layer.id);
    return {
      ...old,
      id: layer.id,
      type: 'layer' as const,
      position,
      data: {
        layer,
        outputShape: shape ? formatShape(shape) : null,
        issues: (issuesByLayer.get(layer.id) ?? []).map((i) => i.message),
        params: paramCounts.get(layer.id) ?? null,
        hasInput: layer.type !== 'Input' || targets.has(layer.id),
        hasOutput: layer.type === 'Input' || sources.has(layer.id),
      },
    };
  });
}

/** The model as a left-to-right graph of layer nodes. */
export function ModelCanvas() {
  const model = useEditor((s) => s.model);
  const report = useEditor((s) => s.report);
  const issuesByLayer = useEditor((s) => s.issuesByLayer);
  const paramCounts = useEditor((s) => s.paramCounts);
  const training = useRun((s) => s.status === 'training');
  const [nodes, setNodes, onNodesChange] = useNodesState<LayerFlowNode>(buildNodes(model, report, issuesByLayer, paramCounts, []));

  useEffect(() => {
    setNodes((previous) => buildNodes(model, report, issuesByLayer, paramCounts, previous));
  }, [model, report, issuesByLayer, paramCounts, setNodes]);

  const edges = useMemo<Edge[]>(
    () =>
      model.edges.map((e) => ({
        id: `${e.from}->${e.to}`,
        source: e.from,
        target: e.to,
        type: 'smoothstep',
        animated: training,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        className: 'model-edge',
      })),
    [model.edges, training],
  );

  return (
    <div className="canvas" data-testid="model-canvas">
      <ReactFlow<LayerFlowNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        colorMode="dark"
        fitView
        fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
        minZoom={0.25}
        maxZoom={2}
        nodesConnectable={false}
        edgesFocusable={false}
        deleteKeyCode={null}
        proOptions={{ hideAttribution: false }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
        <Controls showInteractive={false} position="bottom-left" />
      </ReactFlow>
    </div>
  );
}
