import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { GroupDoc } from '../../../common/model/index.js';

export interface GroupNodeData extends Record<string, unknown> {
  group: GroupDoc;
  /** Collapsed blocks: what the block outputs and how many parameters it holds. */
  outputShape?: string | null;
  params?: number;
  invalid?: boolean;
  onToggle(): void;
}

export type GroupFrameNode = Node<GroupNodeData, 'groupFrame'>;
export type GroupBlockNode = Node<GroupNodeData, 'groupBlock'>;

/** The frame drawn behind an expanded group's layers, with its name and a collapse button. */
function GroupFrameView({ data }: NodeProps<GroupFrameNode>) {
  return (
    <div className="group-frame" data-testid={`group-frame-${data.group.id}`}>
      <div className="group-head">
        <button type="button" className="group-toggle nodrag" title="Collapse the group into one block" onClick={data.onToggle}>
          ▾
        </button>
        <span>{data.group.name}</span>
      </div>
    </div>
  );
}

/** A collapsed group: one block standing for its layers, connected where they were. */
function GroupBlockView({ data, selected }: NodeProps<GroupBlockNode>) {
  return (
    <div className={['layer-node', 'group-block', data.invalid ? 'has-issues' : '', selected ? 'selected' : ''].filter(Boolean).join(' ')} data-testid={`group-block-${data.group.id}`}>
      <Handle id="in-0" type="target" position={Position.Top} className="layer-handle" isConnectable={false} />
      <div className="layer-head">
        <button type="button" className="group-toggle nodrag" title="Expand the group" onClick={data.onToggle}>
          ▸
        </button>
        <span className="layer-type">{data.group.name}</span>
        <span className="layer-name">{data.group.layerIds.length} layers</span>
      </div>
      <div className="layer-foot">
        <span className="row-value mono">{data.outputShape ?? '?'}</span>
        {data.params ? <span className="layer-params">{data.params.toLocaleString('en-US')} params</span> : null}
      </div>
      <Handle id="out" type="source" position={Position.Bottom} className="layer-handle" isConnectable={false} />
    </div>
  );
}

export const GroupFrame = memo(GroupFrameView);
export const GroupBlock = memo(GroupBlockView);
