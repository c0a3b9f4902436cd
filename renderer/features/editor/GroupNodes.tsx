import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useState } from 'react';
import type { GroupDoc } from '../../../common/model/index.js';

export interface GroupNodeData extends Record<string, unknown> {
  group: GroupDoc;
  /** Collapsed blocks: what the block outputs and how many parameters it holds. */
  outputShape?: string | null;
  params?: number;
  invalid?: boolean;
  onToggle(): void;
  /** Renames the group; the reason when refused. */
  onRename(name: string): string | null;
}

export type GroupFrameNode = Node<GroupNodeData, 'groupFrame'>;
export type GroupBlockNode = Node<GroupNodeData, 'groupBlock'>;

/** The frame drawn behind an expanded group's layers, with its name and a collapse button. */
function GroupFrameView({ data }: NodeProps<GroupFrameNode>) {
  const [name, setName] = useState(data.group.name);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setName(data.group.name), [data.group.name]);
  const commit = () => setProblem(name === data.group.name ? null : data.onRename(name.trim()));
  return (
    <div className="group-frame" data-testid={`group-frame-${data.group.id}`}>
      <div className="group-head">
        <button type="button" className="group-toggle nodrag" title="Collapse the group into one block" data-testid={`group-collapse-${data.group.id}`} onClick={data.onToggle}>
          ▾
        </button>
        <input
          className={problem ? 'group-name nodrag invalid' : 'group-name nodrag'}
          value={name}
          title={problem ?? 'The group\'s name (also the name of a block saved from it)'}
          aria-label="Group name"
          data-testid={`group-name-${data.group.id}`}
          onChange={(e) => setName(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
          }}
        />
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
