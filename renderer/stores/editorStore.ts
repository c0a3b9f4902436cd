/**
 * The editor's document store. Every change to the model is a named action (as Excalidraw's
 * actions are): a pure function in ./editor/ computes the next document, or refuses with a reason
 * in the user's terms; the store records it for undo under its name and recomputes what is derived
 * (analysis, issues, parameter counts, edge shapes, positions). Selection, clipboard and the block
 * library live beside the document, never in it or in the history.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { defaultModel, type EdgeDoc, type ModelDoc, type ParamValue, type Point } from '../../common/model/index.js';
import { connect, disconnect, reconnect } from './editor/connections.js';
import { derive, type Derived } from './editor/derive.js';
import { countLayers, type DocState, type EditResult } from './editor/edit.js';
import { copyFragment, pasteFragment, type Fragment } from './editor/fragments.js';
import { blockFromGroup, group, insertBlock, renameGroup, toggleGroupCollapsed, ungroup, type Block } from './editor/groups.js';
import { emptyHistory, record, redo, undo, HISTORY_LIMIT, type History } from './editor/history.js';
import { addLayer, deleteLayers, fitInputs, insertLayerOnEdge, renameLayer, setParam } from './editor/layerEdits.js';
import { align, layOut, moveLayers, spotBelow, type Alignment } from './editor/layoutEdits.js';

export { edgeKey } from './editor/edit.js';
export { DEFAULT_NODE_SIZE, type Alignment } from './editor/layoutEdits.js';
export type { Block, Fragment };

/** What an action says back: null when done, else why it refused (in the user's terms; the document is unchanged). */
export type ActionResult = string | null;

export interface EditorState extends Derived {
  /** Selected layer ids (not part of the document, not an undo step). */
  selection: readonly string[];
  clipboard: Fragment | null;
  /** Saved blocks, by name, inserted with insertBlock. */
  blocks: readonly Block[];
  /** Names of the steps undo and redo would take ("Set units of dense_1"), or null. */
  undoLabel: string | null;
  redoLabel: string | null;
  /** The document differs from the one last saved (or loaded). */
  dirty: boolean;

  /** Adds a layer with Keras-style name and the catalogue's starter values, below the selection when no position is given; selects it. */
  addLayer(type: string, position?: Point, params?: Record<string, ParamValue>): ActionResult;
  /** Splits a connection with a new single-input layer. */
  insertLayerOnEdge(type: string, edge: EdgeDoc, position?: Point, params?: Record<string, ParamValue>): ActionResult;
  /** Deletes layers and their connections; a run with one connection in and one out is bridged (see deleteLayers in ./editor/layerEdits.ts). */
  deleteLayers(ids: readonly string[]): ActionResult;
  deleteSelection(): ActionResult;
  /** Sets one parameter, refusing values the catalogue rejects; `undefined` restores Keras's default. */
  setParam(layerId: string, key: string, value: ParamValue | undefined): ActionResult;
  /** Stores `units` even when invalid, so the current node editor shows the problem on the layer. */
  setUnits(layerId: string, units: number): void;
  setActivation(layerId: string, activation: string): void;
  renameLayer(layerId: string, name: string): ActionResult;
  connect(from: string, to: string, index?: number): ActionResult;
  disconnect(edge: EdgeDoc): ActionResult;
  reconnect(edge: EdgeDoc, end: { from: string } | { to: string }): ActionResult;
  /** The end of a drag: one undo step. */
  moveLayers(positions: Record<string, Point>): ActionResult;
  autoLayout(): ActionResult;
  align(ids: readonly string[], to: Alignment, sizes?: ReadonlyMap<string, { width: number; height: number }>): ActionResult;
  select(ids: readonly string[], mode?: 'replace' | 'add' | 'toggle'): void;
  selectAll(): void;
  clearSelection(): void;
  /** Puts the selected layers (and the connections among them) on the clipboard and returns them. */
  copy(): Fragment | null;
  cut(): ActionResult;
  /** Pastes fresh copies (of `fragment`, default the clipboard) at `position` or offset from the originals; selects them. */
  paste(fragment?: Fragment | null, position?: Point): ActionResult;
  duplicate(): ActionResult;
  group(ids: readonly string[], name?: string): ActionResult;
  ungroup(groupId: string): ActionResult;
  toggleGroupCollapsed(groupId: string): ActionResult;
  renameGroup(groupId: string, name: string): ActionResult;
  /** Keeps the group's layers as a block in the library (replacing a block of the same name); not an undo step. */
  saveGroupAsBlock(groupId: string, name?: string): ActionResult;
  insertBlock(name: string, position?: Point): ActionResult;
  /**
   * Gives the model's Input layers the dataset's per-sample shapes and dtypes (in input order);
   * returns the names of the layers it changed.
   */
  fitInputs(inputs: { shape: number[]; dtype: 'float32' | 'int32' }[]): string[];
  undo(): boolean;
  redo(): boolean;
  /** The current document is what is on disk now. */
  markSaved(): void;
  /** A new document (new project, template, opened file, import): clears history and selection; counts as saved. */
  setModel(model: ModelDoc): void;
}

export type EditorStore = StoreApi<EditorState>;

export interface EditorStoreOptions {
  /** The clock that decides whether two edits of one field merge into one undo step. */
  now?: () => number;
  historyLimit?: number;
}

/** The editor's document and everything derived from it. */
export function createEditorStore(initial: ModelDoc = defaultModel(), options: EditorStoreOptions = {}): EditorStore {
  const now = options.now ?? (() => Date.now());
  const limit = options.historyLimit ?? HISTORY_LIMIT;
  let history: History = emptyHistory();
  let saved = initial;

  return createStore<EditorState>()((set, get) => {
    const docState = (): DocState => ({ doc: get().model, positions: get().positions });

    /** Shows `doc` with what derives from it; the selection keeps only layers that still exist. */
    const show = (doc: ModelDoc, selection: readonly string[]) => {
      const ids = new Set(doc.layers.map((l) => l.id));
      set({
        ...derive(doc, get()),
        selection: selection.filter((id) => ids.has(id)),
        undoLabel: history.past.at(-1)?.label ?? null,
        redoLabel: history.future.at(-1)?.label ?? null,
        dirty: doc !== saved,
      });
    };

    const apply = (result: EditResult): ActionResult => {
      if ('refused' in result) return result.refused;
      const before = get().model;
      if (result.doc === before) return null;
      history = record(history, before, result.label, result.mergeKey, now(), limit);
      show(result.doc, result.select ?? get().selection);
      return null;
    };

    const travel = (step: typeof undo) => {
      const moved = step(history, get().model);
      if (!moved) return false;
      history = moved.history;
      show(moved.doc, get().selection);
      return true;
    };

    return {
      ...derive(initial),
      selection: [],
      clipboard: null,
      blocks: [],
      undoLabel: null,
      redoLabel: null,
      dirty: false,

      addLayer: (type, position, params) => apply(addLayer(docState(), type, position ?? spotBelow(docState(), get().selection), params)),
      insertLayerOnEdge: (type, edge, position, params) => apply(insertLayerOnEdge(docState(), type, edge, position, params)),
      deleteLayers: (ids) => apply(deleteLayers(docState(), ids)),
      deleteSelection: () => apply(deleteLayers(docState(), get().selection)),
      setParam: (layerId, key, value) => apply(setParam(docState(), layerId, key, value)),
      setUnits(layerId, units) {
        if (get().model.layers.some((l) => l.id === layerId && l.type === 'Dense')) apply(setParam(docState(), layerId, 'units', units, false));
      },
      setActivation(layerId, activation) {
        if (get().model.layers.some((l) => l.id === layerId && l.type === 'Dense')) apply(setParam(docState(), layerId, 'activation', activation, false));
      },
      renameLayer: (layerId, name) => apply(renameLayer(docState(), layerId, name)),
      connect: (from, to, index) => apply(connect(docState(), from, to, index)),
      disconnect: (edge) => apply(disconnect(docState(), edge)),
      reconnect: (edge, end) => apply(reconnect(docState(), edge, end)),
      moveLayers: (positions) => apply(moveLayers(docState(), positions)),
      autoLayout: () => apply(layOut(docState())),
      align: (ids, to, sizes) => apply(align(docState(), ids, to, sizes)),

      select(ids, mode = 'replace') {
        const current = new Set(mode === 'replace' ? [] : get().selection);
        for (const id of ids) {
          if (mode === 'toggle' && current.has(id)) current.delete(id);
          else current.add(id);
        }
        const exists = new Set(get().model.layers.map((l) => l.id));
        set({ selection: [...current].filter((id) => exists.has(id)) });
      },
      selectAll: () => set({ selection: get().model.layers.map((l) => l.id) }),
      clearSelection: () => set({ selection: [] }),

      copy() {
        const fragment = copyFragment(docState(), get().selection);
        if (fragment) set({ clipboard: fragment });
        return fragment;
      },
      cut() {
        const { selection, model } = get();
        if (!get().copy()) return 'select the layers to cut';
        const deleted = deleteLayers(docState(), selection);
        return apply('refused' in deleted ? deleted : { ...deleted, label: `Cut ${countLayers(model, selection)}` });
      },
      paste(fragment = get().clipboard, position) {
        if (!fragment) return 'the clipboard is empty: copy some layers first';
        return apply(pasteFragment(docState(), fragment, position, 'Paste'));
      },
      duplicate() {
        const fragment = copyFragment(docState(), get().selection);
        if (!fragment) return 'select the layers to duplicate';
        return apply(pasteFragment(docState(), fragment, undefined, 'Duplicate'));
      },

      group: (ids, name) => apply(group(docState(), ids, name)),
      ungroup: (groupId) => apply(ungroup(docState(), groupId)),
      toggleGroupCollapsed: (groupId) => apply(toggleGroupCollapsed(docState(), groupId)),
      renameGroup: (groupId, name) => apply(renameGroup(docState(), groupId, name)),
      saveGroupAsBlock(groupId, name) {
        const block = blockFromGroup(docState(), groupId, name);
        if ('refused' in block) return block.refused;
        set({ blocks: [...get().blocks.filter((b) => b.name !== block.name), block] });
        return null;
      },
      insertBlock(name, position) {
        const block = get().blocks.find((b) => b.name === name);
        if (!block) return `there is no block named '${name}': save a group as a block first`;
        return apply(insertBlock(docState(), block, position ?? spotBelow(docState(), get().selection)));
      },

      fitInputs(inputs) {
        const fitted = fitInputs(docState(), inputs);
        apply(fitted);
        return fitted.changed;
      },
      undo: () => travel(undo),
      redo: () => travel(redo),
      markSaved() {
        saved = get().model;
        set({ dirty: false });
      },
      setModel(model) {
        history = emptyHistory();
        saved = model;
        show(model, []);
      },
    };
  });
}
