import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { LayerDoc } from '../../../common/model/index.js';
import { useServices } from '../../AppServices.js';
import { NumberField } from '../../components/NumberField.js';

export interface LayerNodeData extends Record<string, unknown> {
  layer: LayerDoc;
  /** The inferred output shape, e.g. "(None, 16)", or null when it could not be inferred. */
  outputShape: string | null;
  issues: string[];
  params: number | null;
  hasInput: boolean;
  hasOutput: boolean;
}

export type LayerFlowNode = Node<LayerNodeData, 'layer'>;

const ACTIVATIONS = ['linear', 'relu', 'softmax'];

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { editor } = useServices();
  const { layer, outputShape, issues, params } = data;
  const invalid = issues.length > 0;
  return (
    <div
      className={['layer-node', `layer-${layer.type.toLowerCase()}`, invalid ? 'has-issues' : '', selected ? 'selected' : ''].filter(Boolean).join(' ')}
      data-testid={`layer-node-${layer.id}`}
      data-invalid={invalid ? 'true' : 'false'}
    >
      {data.hasInput && <Handle type="target" position={Position.Left} isConnectable={false} className="layer-handle" />}
      <div className="layer-head">
        <span className="layer-type">{layer.type}</span>
        <span className="layer-name" title={layer.name}>
          {layer.name}
        </span>
      </div>
      <div className="layer-body">
        {layer.type === 'Input' && (
          <div className="layer-row">
            <span className="row-label">shape</span>
            <span className="row-value mono">({(layer.params.shape as number[]).join(', ')}{(layer.params.shape as number[]).length === 1 ? ',' : ''})</span>
          </div>
        )}
        {layer.type === 'Dense' && (
          <>
            <div className="layer-row">
              <label className="row-label" htmlFor={`units-${layer.id}`}>
                units
              </label>
              <NumberField
                id={`units-${layer.id}`}
                className="nodrag node-input"
                testId={`units-input-${layer.id}`}
                min={1}
                step={1}
                value={layer.params.units as number}
                problem={issues.find((m) => m.includes('units')) ?? null}
                onValueChange={(units) => editor.getState().setUnits(layer.id, units)}
              />
            </div>
            <div className="layer-row">
              <label className="row-label" htmlFor={`activation-${layer.id}`}>
                activation
              </label>
              <select
                id={`activation-${layer.id}`}
                className="nodrag node-input"
                data-testid={`activation-select-${layer.id}`}
                value={String(layer.params.activation ?? 'linear')}
                onChange={(event) => editor.getState().setActivation(layer.id, event.target.value)}
              >
                {ACTIVATIONS.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </div>
          </>
        )}
      </div>
      <div className="layer-foot">
        <span className="row-label">output</span>
        <span className="row-value mono" data-testid={`output-shape-${layer.id}`}>
          {outputShape ?? '?'}
        </span>
        {params !== null && <span className="layer-params">{formatCount(params)} params</span>}
      </div>
      {invalid && (
        <ul className="layer-issues">
          {issues.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {data.hasOutput && <Handle type="source" position={Position.Right} isConnectable={false} className="layer-handle" />}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
