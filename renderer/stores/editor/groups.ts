/**
 * Groups: named sets of layers drawn as one block (a residual block, ...), collapsible, and
 * reusable as blocks: a saved block is a fragment that inserts as a new group of fresh layers.
 */
import type { GroupDoc, ModelDoc, Point } from '../../../common/model/index.js';
import { refuse, unchanged, type DocState, type EditResult } from './edit.js';
import { pasteFragment, copyFragment, type Fragment } from './fragments.js';
import { withLayout } from './layoutEdits.js';
import { claimName } from './naming.js';

/** A reusable piece of a model, kept in the editor's library. */
export interface Block {
  name: string;
  fragment: Fragment;
}

const groupsOf = (doc: ModelDoc): GroupDoc[] => doc.layout?.groups ?? [];

function withGroups(doc: ModelDoc, groups: GroupDoc[]): ModelDoc {
  return withLayout(doc, { ...doc.layout, groups });
}

function findGroup(doc: ModelDoc, id: string): GroupDoc | { refused: string } {
  return groupsOf(doc).find((g) => g.id === id) ?? { refused: `there is no group "${id}"` };
}

/** Why `name` cannot name a group (other than `self`), or null. */
function badName(doc: ModelDoc, name: string, self?: GroupDoc): string | null {
  if (name === '') return 'a group needs a name';
  return groupsOf(doc).some((g) => g !== self && g.name === name) ? `a group is already named '${name}': choose another name` : null;
}

/** `doc` with a new, expanded group of `ids` named `name`. */
function addGroup(doc: ModelDoc, ids: string[], name: string): ModelDoc {
  const id = claimName('group', new Set(groupsOf(doc).map((g) => g.id)));
  return withGroups(doc, [...groupsOf(doc), { id, name, layerIds: ids, collapsed: false }]);
}

export function group(state: DocState, ids: readonly string[], wanted = 'group'): EditResult {
  const { doc } = state;
  const members = doc.layers.filter((l) => ids.includes(l.id));
  if (members.length === 0) return refuse('select the layers to group');
  for (const l of members) {
    const owner = groupsOf(doc).find((g) => g.layerIds.includes(l.id));
    if (owner) return refuse(`${l.type} '${l.name}' is already in group '${owner.name}': ungroup it first`);
  }
  const name = wanted.trim();
  const problem = badName(doc, name);
  if (problem) return refuse(problem);
  return { doc: addGroup(doc, members.map((l) => l.id), name), label: `Group as ${name}` };
}

export function ungroup(state: DocState, groupId: string): EditResult {
  const g = findGroup(state.doc, groupId);
  if ('refused' in g) return g;
  return { doc: withGroups(state.doc, groupsOf(state.doc).filter((x) => x !== g)), label: `Ungroup ${g.name}` };
}

export function toggleGroupCollapsed(state: DocState, groupId: string): EditResult {
  const g = findGroup(state.doc, groupId);
  if ('refused' in g) return g;
  const groups = groupsOf(state.doc).map((x) => (x === g ? { ...x, collapsed: !x.collapsed } : x));
  return { doc: withGroups(state.doc, groups), label: `${g.collapsed ? 'Expand' : 'Collapse'} ${g.name}` };
}

export function renameGroup(state: DocState, groupId: string, wanted: string): EditResult {
  const g = findGroup(state.doc, groupId);
  if ('refused' in g) return g;
  const name = wanted.trim();
  if (name === g.name) return unchanged(state.doc);
  const problem = badName(state.doc, name, g);
  if (problem) return refuse(problem);
  const groups = groupsOf(state.doc).map((x) => (x === g ? { ...x, name } : x));
  return { doc: withGroups(state.doc, groups), label: `Rename group ${g.name} to ${name}` };
}

/** The group's layers, their connections and positions, as a block named `name` (default: the group's). */
export function blockFromGroup(state: DocState, groupId: string, name?: string): Block | { refused: string } {
  const g = findGroup(state.doc, groupId);
  if ('refused' in g) return g;
  const fragment = copyFragment(state, g.layerIds);
  if (!fragment) return { refused: `group '${g.name}' has no layers` };
  return { name: name?.trim() || g.name, fragment };
}

/** Fresh layers from the block, grouped under the block's name (made unique), selected. */
export function insertBlock(state: DocState, block: Block, at?: Point): EditResult {
  const pasted = pasteFragment(state, block.fragment, at, 'Insert');
  if ('refused' in pasted) return pasted;
  const name = claimName(block.name, new Set(groupsOf(state.doc).map((g) => g.name)));
  return { ...pasted, doc: addGroup(pasted.doc, pasted.select ?? [], name), label: `Insert ${block.name}` };
}
