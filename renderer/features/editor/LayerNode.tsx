import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { LayerDoc, ParamValue } from '../../../common/model/index.js';
import { formatParam } from './paramText.js';

export interface LayerNodeData extends Record<string, unknown> {
  layer: LayerDoc;
  /** The inferred output shape, e.g. "(None, 16)", or null when it could not be inferred. */
  outputShape: string | null;
  issues: string[];
  params: number | null;
  /** Input ports: 0 for an Input layer, 1, or (merge layers) one per connection plus a free one. */
  ports: number;
  /** Shading by measured cost (the profiler's heat map), 0..1; absent when none. */
  heat?: number;
  /** The measured figure the heat stands for ("2.10 ms · 23%"). */
  heatLabel?: string;
}

export type LayerFlowNode = Node<LayerNodeData, 'layer'>;

/** Parameters worth showing on the node: the ones the user set, the most telling first. */
const KEY_PARAMS = ['units', 'filters', 'kernel_size', 'strides', 'pool_size', 'rate', 'activation', 'shape', 'output_dim', 'target_shape', 'axis', 'padding'];

function keyParams(layer: LayerDoc): [string, ParamValue][] {
  const set = Object.entries(layer.params).filter(([k]) => k !== 'dtype');
  const rank = (k: string) => (KEY_PARAMS.includes(k) ? KEY_PARAMS.indexOf(k) : KEY_PARAMS.length);
  return set.sort((a, b) => rank(a[0]) - rank(b[0])).slice(0, 2);
}

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { layer, outputShape, issues, params, ports } = data;
  const invalid = issues.length > 0;
  return (
    <div
      className={['layer-node', `layer-${layer.type.toLowerCase()}`, invalid ? 'has-issues' : '', selected ? 'selected' : ''].filter(Boolean).join(' ')}
      data-testid={`layer-node-${layer.id}`}
      data-invalid={invalid ? 'true' : 'false'}
      title={invalid ? issues.join('\n') : undefined}
    >
      {Array.from({ length: ports }, (_, i) => (
        <Handle key={i} id={`in-${i}`} type="target" position={Position.Top} className="layer-handle" style={ports > 1 ? { left: `${((i + 1) / (ports + 1)) * 100}%` } : undefined} />
      ))}
      <div className="layer-head">
        <span className="layer-type">{layer.type}</span>
        <span className="layer-name" title={layer.name}>
          {layer.name}
        </span>
      </div>
      {keyParams(layer).length > 0 && (
        <div className="layer-keys mono" title={keyParams(layer).map(([k, v]) => `${k}=${formatParam(v)}`).join(', ')}>
          {keyParams(layer).map(([k, v]) => `${k} ${formatParam(v)}`).join(' · ')}
        </div>
      )}
      <div className="layer-foot">
        <span className="row-value mono" data-testid={`output-shape-${layer.id}`}>
          {outputShape ?? '?'}
        </span>
        {params !== null && params > 0 && <span className="layer-params">{params.toLocaleString('en-US')} params</span>}
      </div>
      {data.heat !== undefined && <div className="layer-heat" style={{ opacity: 0.08 + 0.42 * data.heat }} />}
      {data.heatLabel && (
        <div className="layer-heat-label mono" data-testid={`heat-${layer.id}`}>
          {data.heatLabel}
        </div>
      )}
      <Handle type="source" id="out" position={Position.Bottom} className="layer-handle" />
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
