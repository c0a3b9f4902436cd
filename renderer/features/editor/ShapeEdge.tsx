import { BaseEdge, getSmoothStepPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo, useState, type DragEvent } from 'react';
import { LAYER_DRAG_TYPE } from './Palette.js';

export interface ShapeEdgeData extends Record<string, unknown> {
  /** The tensor shape along the edge, "(None, 28, 28, 32)", when known. */
  shape: string | null;
  /** Places a layer dragged from the palette on this connection. */
  onDropLayer(type: string): void;
}

export type ShapeFlowEdge = Edge<ShapeEdgeData, 'shape'>;

/** A connection labelled with the tensor shape that flows along it; a palette layer dropped on it is inserted there. */
function ShapeEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, selected, data }: EdgeProps<ShapeFlowEdge>) {
  const [path, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 10 });
  const [over, setOver] = useState(false);
  const accepts = (e: DragEvent) => e.dataTransfer.types.includes(LAYER_DRAG_TYPE);
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={[selected ? 'selected' : '', over ? 'drop-target' : ''].join(' ')} />
      <path
        d={path}
        className="edge-drop-zone"
        onDragOver={(e) => {
          if (!accepts(e)) return;
          e.preventDefault();
          e.stopPropagation();
          e.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          if (!accepts(e)) return;
          e.preventDefault();
          e.stopPropagation();
          setOver(false);
          data?.onDropLayer(e.dataTransfer.getData(LAYER_DRAG_TYPE));
        }}
      />
      {/* SVG text, not an HTML label portal per edge: hundreds of portals make every edit slow. */}
      {data?.shape && (
        <text className="edge-shape" data-testid={`edge-shape-${id}`} x={labelX} y={labelY} textAnchor="middle" dominantBaseline="middle">
          {data.shape}
        </text>
      )}
    </>
  );
}

export const ShapeEdge = memo(ShapeEdgeView);
