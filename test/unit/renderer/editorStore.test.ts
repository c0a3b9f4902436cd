import { describe, expect, it } from 'vitest';
import { LAYERS, defaultModel, resolveParams, type ModelDoc } from '../../../common/model/index.js';
import { LAYOUT_SPACING } from '../../../common/model/autoLayout.js';
import { createEditorStore, type EditorStore } from '../../../renderer/stores/editorStore.js';
import { starterParams } from '../../../renderer/stores/editor/starterParams.js';

/** A small CNN with a residual connection, every layer placed. */
function residualModel(): ModelDoc {
  return {
    layers: [
      { id: 'input', name: 'input', type: 'Input', params: { shape: [28, 28, 1] } },
      { id: 'conv', name: 'conv', type: 'Conv2D', params: { filters: 8, kernel_size: [3, 3], padding: 'same' } },
      { id: 'conv_b', name: 'conv_b', type: 'Conv2D', params: { filters: 8, kernel_size: [3, 3], padding: 'same' } },
      { id: 'add', name: 'add', type: 'Add', params: {} },
      { id: 'flatten', name: 'flatten', type: 'Flatten', params: {} },
      { id: 'dense', name: 'dense', type: 'Dense', params: { units: 10, activation: 'softmax' } },
    ],
    edges: [
      { from: 'input', to: 'conv' },
      { from: 'conv', to: 'conv_b' },
      { from: 'conv', to: 'add' },
      { from: 'conv_b', to: 'add' },
      { from: 'add', to: 'flatten' },
      { from: 'flatten', to: 'dense' },
    ],
    layout: {
      positions: {
        input: { x: 0, y: 0 },
        conv: { x: 10, y: 100 },
        conv_b: { x: 50, y: 200 },
        add: { x: 0, y: 300 },
        flatten: { x: 0, y: 400 },
        dense: { x: 0, y: 500 },
      },
    },
  };
}

const ids = (editor: EditorStore) => editor.getState().model.layers.map((l) => l.id);
const layer = (editor: EditorStore, id: string) => editor.getState().model.layers.find((l) => l.id === id)!;

describe('editorStore', () => {
  it('starts with the Iris model and its shapes', () => {
    const editor = createEditorStore();
    const { model, report, totalParams } = editor.getState();
    expect(model.layers.map((l) => l.id)).toEqual(['input', 'dense_1', 'dense_2']);
    expect(report.issues).toEqual([]);
    expect(report.shapes.get('dense_1')).toEqual([null, 16]);
    expect(report.shapes.get('dense_2')).toEqual([null, 3]);
    expect(totalParams).toBe(4 * 16 + 16 + 16 * 3 + 3);
  });

  it('setUnits re-infers shapes and reports bad values on the layer', () => {
    const editor = createEditorStore();
    editor.getState().setUnits('dense_1', 32);
    expect(editor.getState().report.shapes.get('dense_1')).toEqual([null, 32]);
    expect(editor.getState().paramCounts.get('dense_2')).toBe(32 * 3 + 3);
    editor.getState().setUnits('dense_1', 0);
    const issues = editor.getState().issuesByLayer.get('dense_1') ?? [];
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toBe("Dense 'dense_1' units must be a whole number from 1 to 1048576, got 0");
    editor.getState().setUnits('dense_1', 8);
    expect(editor.getState().report.issues).toEqual([]);
  });

  it('ignores unknown layers', () => {
    const editor = createEditorStore();
    const before = editor.getState().model;
    editor.getState().setUnits('nope', 3);
    expect(editor.getState().model).toBe(before);
  });

  it('fitInputs gives the Input layer the sample shape and dtype, and says what changed', () => {
    const editor = createEditorStore();
    expect(editor.getState().fitInputs([{ shape: [4], dtype: 'float32' }])).toEqual([]);
    expect(editor.getState().fitInputs([{ shape: [9], dtype: 'float32' }])).toEqual(['input']);
    expect(editor.getState().report.shapes.get('input')).toEqual([null, 9]);
    expect(editor.getState().paramCounts.get('dense_1')).toBe(9 * 16 + 16);
    expect(editor.getState().fitInputs([{ shape: [200], dtype: 'int32' }])).toEqual(['input']);
    expect(editor.getState().model.layers[0].params).toEqual({ shape: [200], dtype: 'int32' });
    // A channel axis of 1 already fits images without one.
    editor.getState().setParam('input', 'shape', [28, 28, 1]);
    expect(editor.getState().fitInputs([{ shape: [28, 28], dtype: 'int32' }])).toEqual([]);
  });
});

describe('editor actions and undo', () => {
  type Row = [label: string, act: (e: EditorStore) => string | null, prepare?: (e: EditorStore) => void];
  const s = (e: EditorStore) => e.getState();
  const rows: Row[] = [
    ['Add Conv2D', (e) => s(e).addLayer('Conv2D')],
    ['Insert Dropout after flatten', (e) => s(e).insertLayerOnEdge('Dropout', { from: 'flatten', to: 'dense' })],
    ['Delete conv_b', (e) => s(e).deleteLayers(['conv_b'])],
    ['Delete 3 layers', (e) => s(e).deleteSelection(), (e) => s(e).select(['add', 'flatten', 'dense'])],
    ['Set units of dense', (e) => s(e).setParam('dense', 'units', 64)],
    ['Set activation of dense', (e) => s(e).setParam('dense', 'activation', undefined)],
    ['Set units of dense', (e) => (s(e).setUnits('dense', 0), null)],
    ['Set activation of dense', (e) => (s(e).setActivation('dense', 'relu'), null)],
    ['Rename dense to classifier', (e) => s(e).renameLayer('dense', 'classifier')],
    ['Connect input → flatten', (e) => s(e).connect('input', 'flatten')],
    ['Disconnect flatten → dense', (e) => s(e).disconnect({ from: 'flatten', to: 'dense' })],
    ['Reconnect input → add', (e) => s(e).reconnect({ from: 'conv_b', to: 'add' }, { from: 'input' })],
    ['Reconnect conv → flatten', (e) => s(e).reconnect({ from: 'conv', to: 'add' }, { to: 'flatten' })],
    ['Move dense', (e) => s(e).moveLayers({ dense: { x: 500, y: 520 } })],
    ['Auto-layout', (e) => s(e).autoLayout()],
    ['Align 2 layers left', (e) => s(e).align(['conv', 'conv_b'], 'left')],
    ['Paste 2 layers', (e) => s(e).paste(), (e) => (s(e).select(['conv', 'conv_b']), s(e).copy())],
    ['Cut 2 layers', (e) => s(e).cut(), (e) => s(e).select(['flatten', 'dense'])],
    ['Duplicate conv_b', (e) => s(e).duplicate(), (e) => s(e).select(['conv_b'])],
    ['Group as residual_block', (e) => s(e).group(['conv', 'conv_b', 'add'], 'residual_block')],
    ['Ungroup residual_block', (e) => s(e).ungroup('group'), (e) => s(e).group(['conv', 'conv_b', 'add'], 'residual_block')],
    ['Collapse residual_block', (e) => s(e).toggleGroupCollapsed('group'), (e) => s(e).group(['conv', 'conv_b', 'add'], 'residual_block')],
    ['Rename group residual_block to res1', (e) => s(e).renameGroup('group', 'res1'), (e) => s(e).group(['conv', 'conv_b', 'add'], 'residual_block')],
    ['Insert residual_block', (e) => s(e).insertBlock('residual_block'), (e) => (s(e).group(['conv', 'conv_b', 'add'], 'residual_block'), s(e).saveGroupAsBlock('group'))],
    ['Fit input to the data', (e) => (s(e).fitInputs([{ shape: [32, 32, 3], dtype: 'float32' }]), null)],
  ];

  it.each(rows)('%s: one named step; undo restores the exact document, redo re-applies it', (label, act, prepare) => {
    const editor = createEditorStore(residualModel());
    prepare?.(editor);
    const before = editor.getState().model;
    const stepsBefore = editor.getState().undoLabel;
    expect(act(editor)).toBeNull();
    const after = editor.getState().model;
    expect(after).not.toEqual(before);
    expect(editor.getState().undoLabel).toBe(label);

    expect(editor.getState().undo()).toBe(true);
    expect(editor.getState().model).toBe(before);
    expect(editor.getState().model).toEqual(residualModelAfter(prepare));
    expect(editor.getState().undoLabel).toBe(stepsBefore);
    expect(editor.getState().redoLabel).toBe(label);

    expect(editor.getState().redo()).toBe(true);
    expect(editor.getState().model).toBe(after);
    expect(editor.getState().undoLabel).toBe(label);
    expect(editor.getState().redoLabel).toBeNull();
  });

  /** The document `prepare` leaves, rebuilt in a fresh store (so undo is compared with an independent copy). */
  function residualModelAfter(prepare?: (e: EditorStore) => void): ModelDoc {
    const fresh = createEditorStore(residualModel());
    prepare?.(fresh);
    return fresh.getState().model;
  }

  it('a refused or empty action records nothing', () => {
    const editor = createEditorStore(residualModel());
    const before = editor.getState().model;
    expect(editor.getState().setParam('dense', 'units', 10)).toBeNull();
    expect(editor.getState().moveLayers({ dense: { x: 0, y: 500 } })).toBeNull();
    expect(editor.getState().setParam('dense', 'units', -1)).not.toBeNull();
    expect(editor.getState().model).toBe(before);
    expect(editor.getState().undoLabel).toBeNull();
    expect(editor.getState().undo()).toBe(false);
    expect(editor.getState().redo()).toBe(false);
  });

  it('a new edit after undo drops the redo steps', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().renameLayer('dense', 'out');
    editor.getState().undo();
    editor.getState().renameLayer('flatten', 'flat');
    expect(editor.getState().redoLabel).toBeNull();
    expect(editor.getState().redo()).toBe(false);
  });
});

describe('adding and inserting layers', () => {
  it('names new layers as Keras does and gives required parameters a starting value', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().addLayer('Conv2D');
    editor.getState().addLayer('Conv2D');
    editor.getState().addLayer('MaxPooling2D');
    editor.getState().addLayer('ReLU');
    editor.getState().addLayer('Dense');
    expect(ids(editor).slice(6)).toEqual(['conv2d', 'conv2d_1', 'max_pooling2d', 're_lu', 'dense_1']);
    expect(layer(editor, 'conv2d').params).toEqual({ filters: 32, kernel_size: [3, 3] });
    expect(layer(editor, 'dense_1').params).toEqual({ units: 32 });
    expect(editor.getState().selection).toEqual(['dense_1']);
  });

  it('starts every catalogue layer with valid parameters', () => {
    for (const def of LAYERS.values()) expect(resolveParams(def, starterParams(def)), def.type).not.toHaveProperty('problems');
  });

  it('places a new layer below the selection, or where it is dropped, with given parameters checked', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().select(['conv_b']);
    editor.getState().addLayer('Dropout');
    expect(editor.getState().positions.get('dropout')).toEqual({ x: 50, y: 200 + LAYOUT_SPACING.row });
    editor.getState().addLayer('Dense', { x: 7, y: 8 }, { units: 5 });
    expect(editor.getState().model.layout?.positions?.dense_1).toEqual({ x: 7, y: 8 });
    expect(layer(editor, 'dense_1').params).toEqual({ units: 5 });
    expect(editor.getState().addLayer('Dense', undefined, { units: 0 })).toBe('Dense units must be a whole number from 1 to 1048576, got 0');
    expect(editor.getState().addLayer('Densest')).toBe('Kiln has no layer type "Densest": pick one from the palette');
  });

  it('inserts a layer on a connection, keeping the input slot and making room below', () => {
    const editor = createEditorStore(residualModel());
    expect(editor.getState().insertLayerOnEdge('BatchNormalization', { from: 'conv_b', to: 'add' })).toBeNull();
    const { model, positions, report } = editor.getState();
    expect(model.edges.filter((e) => e.to === 'add' || e.to === 'batch_normalization')).toEqual([
      { from: 'conv', to: 'add' },
      { from: 'conv_b', to: 'batch_normalization' },
      { from: 'batch_normalization', to: 'add' },
    ]);
    expect(report.issues).toEqual([]);
    expect(positions.get('batch_normalization')).toEqual({ x: 0, y: 200 + LAYOUT_SPACING.row });
    expect(positions.get('add')).toEqual({ x: 0, y: 300 + LAYOUT_SPACING.row });
    expect(positions.get('dense')).toEqual({ x: 0, y: 500 + LAYOUT_SPACING.row });
    expect(positions.get('conv_b')).toEqual({ x: 50, y: 200 });
    expect(editor.getState().insertLayerOnEdge('Add', { from: 'flatten', to: 'dense' })).toBe('Add merges several inputs: connect it to each of them instead');
    expect(editor.getState().insertLayerOnEdge('Dropout', { from: 'nope', to: 'dense' })).toBe('that connection is no longer in the model');
  });
});

describe('deleting layers', () => {
  it('bridges a run with one connection in and one out, and leaves anything else open', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().deleteLayers(['flatten']);
    expect(editor.getState().model.edges.at(-1)).toEqual({ from: 'add', to: 'dense' });
    editor.getState().undo();
    editor.getState().deleteLayers(['add', 'flatten']);  // two inputs into the run: not bridged
    expect(editor.getState().model.edges).toEqual([{ from: 'input', to: 'conv' }, { from: 'conv', to: 'conv_b' }]);
    expect(editor.getState().undoLabel).toBe('Delete 2 layers');
  });

  it('drops the layers from positions, groups, outputs and the selection', () => {
    const editor = createEditorStore({ ...residualModel(), outputs: ['dense'] });
    editor.getState().group(['conv', 'conv_b'], 'pair');
    editor.getState().group(['dense'], 'head');
    editor.getState().select(['conv_b', 'dense']);
    editor.getState().deleteSelection();
    const { model, selection } = editor.getState();
    expect(model.layout?.groups).toEqual([{ id: 'group', name: 'pair', layerIds: ['conv'], collapsed: false }]);
    expect(Object.keys(model.layout?.positions ?? {})).toEqual(['input', 'conv', 'add', 'flatten']);
    expect(model.outputs).toBeUndefined();
    expect(selection).toEqual([]);
    expect(editor.getState().deleteSelection()).toBe('select the layers to delete');
  });
});

describe('parameters and names', () => {
  it("refuses invalid values with the catalogue's message and leaves the document alone", () => {
    const editor = createEditorStore(residualModel());
    const before = editor.getState().model;
    expect(editor.getState().setParam('dense', 'units', 0)).toBe("Dense 'dense' units must be a whole number from 1 to 1048576, got 0");
    expect(editor.getState().setParam('conv', 'padding', 'full')).toBe("Conv2D 'conv' padding must be one of valid, same, got \"full\"");
    expect(editor.getState().setParam('dense', 'unit', 3)).toMatch(/^Dense 'dense' has no parameter 'unit' \(Dense takes units, activation/);
    expect(editor.getState().setParam('dense', 'units', undefined)).toBe("Dense 'dense' needs units: set it (Keras has no default for it)");
    expect(editor.getState().setParam('ghost', 'units', 3)).toBe('there is no layer "ghost"');
    expect(editor.getState().model).toBe(before);
  });

  it('undefined restores the default', () => {
    const editor = createEditorStore(residualModel());
    expect(editor.getState().setParam('conv', 'padding', undefined)).toBeNull();
    expect(layer(editor, 'conv').params).toEqual({ filters: 8, kernel_size: [3, 3] });
    expect(editor.getState().report.shapes.get('conv')).toEqual([null, 26, 26, 8]);
  });

  it('merges typing into one field into one undo step', () => {
    let clock = 0;
    const editor = createEditorStore(residualModel(), { now: () => clock });
    const before = editor.getState().model;
    for (const units of [1, 12, 128]) {
      editor.getState().setParam('dense', 'units', units);
      clock += 300;
    }
    expect(layer(editor, 'dense').params.units).toBe(128);
    clock += 2000;
    editor.getState().setParam('dense', 'units', 64);  // after a pause: a new step
    editor.getState().setParam('dense', 'activation', 'relu');  // another field: a new step
    editor.getState().undo();
    editor.getState().undo();
    expect(layer(editor, 'dense').params.units).toBe(128);
    editor.getState().undo();
    expect(editor.getState().model).toBe(before);
    expect(editor.getState().undoLabel).toBeNull();
  });

  it('does not merge across an undo', () => {
    const editor = createEditorStore(residualModel(), { now: () => 0 });
    editor.getState().setParam('dense', 'units', 1);
    editor.getState().setParam('dense', 'units', 2);
    editor.getState().undo();
    const before = editor.getState().model;
    editor.getState().setParam('dense', 'units', 3);
    editor.getState().undo();
    expect(editor.getState().model).toBe(before);
  });

  it('renames to unique names only', () => {
    const editor = createEditorStore(residualModel());
    expect(editor.getState().renameLayer('dense', 'flatten')).toBe("another layer is already named 'flatten': choose another name");
    expect(editor.getState().renameLayer('dense', ' ')).toBe("Dense 'dense' needs a name");
    expect(editor.getState().renameLayer('dense', 'a/b')).toMatch(/^layer names cannot contain '\/'/);
    expect(editor.getState().renameLayer('dense', ' head ')).toBeNull();
    expect(layer(editor, 'dense').name).toBe('head');
  });
});

describe('connections', () => {
  it('refuses self-loops, cycles and inputs into an Input, with reasons', () => {
    const editor = createEditorStore(residualModel());
    expect(editor.getState().connect('dense', 'dense')).toBe("Dense 'dense' cannot read its own output");
    expect(editor.getState().connect('dense', 'conv')).toBe('connecting dense → conv would make a cycle (conv already feeds dense): data must flow one way');
    expect(editor.getState().connect('conv', 'input')).toBe("Input 'input' is a model input and cannot read other layers");
    expect(editor.getState().reconnect({ from: 'input', to: 'conv' }, { from: 'add' })).toMatch(/would make a cycle/);
    expect(editor.getState().undoLabel).toBeNull();
  });

  it('replaces the input of a one-input layer, and fills or replaces the inputs of a merge layer', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().connect('conv', 'flatten');
    expect(editor.getState().model.edges.filter((e) => e.to === 'flatten')).toEqual([{ from: 'conv', to: 'flatten' }]);
    editor.getState().connect('input', 'add');
    expect(editor.getState().model.edges.filter((e) => e.to === 'add').map((e) => e.from)).toEqual(['conv', 'conv_b', 'input']);
    editor.getState().connect('conv_b', 'add', 0);
    expect(editor.getState().model.edges.filter((e) => e.to === 'add').map((e) => e.from)).toEqual(['conv_b', 'conv_b', 'input']);
    expect(editor.getState().report.order.find((l) => l.layer.id === 'add')?.inputs).toEqual(['conv_b', 'conv_b', 'input']);
  });

  it('gives each connection the shape flowing along it', () => {
    const editor = createEditorStore(residualModel());
    const { edgeShapes } = editor.getState();
    expect(edgeShapes.get('add->flatten')).toEqual([null, 28, 28, 8]);
    expect(edgeShapes.get('flatten->dense')).toEqual([null, 28 * 28 * 8]);
    editor.getState().setParam('conv', 'filters', 4);
    editor.getState().setParam('conv_b', 'filters', 4);
    expect(editor.getState().edgeShapes.get('flatten->dense')).toEqual([null, 28 * 28 * 4]);
  });
});

describe('selection, clipboard and duplicates', () => {
  it('selection is not an undo step and not in the document', () => {
    const editor = createEditorStore(residualModel());
    const before = editor.getState().model;
    editor.getState().select(['conv', 'ghost']);
    editor.getState().select(['dense'], 'add');
    editor.getState().select(['conv'], 'toggle');
    expect(editor.getState().selection).toEqual(['dense']);
    editor.getState().selectAll();
    expect(editor.getState().selection).toHaveLength(6);
    editor.getState().clearSelection();
    expect(editor.getState().model).toBe(before);
    expect(editor.getState().undoLabel).toBeNull();
  });

  it('pastes fresh copies with the connections among them, offset, and selected', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().select(['conv', 'conv_b', 'add']);
    const clip = editor.getState().copy()!;
    expect(clip.edges).toEqual([{ from: 'conv', to: 'conv_b' }, { from: 'conv', to: 'add' }, { from: 'conv_b', to: 'add' }]);
    editor.getState().paste();
    const { model, selection, positions } = editor.getState();
    expect(selection).toEqual(['conv_1', 'conv_b_1', 'add_1']);
    expect(model.layers.slice(6).map((l) => [l.id, l.name, l.type])).toEqual([['conv_1', 'conv_1', 'Conv2D'], ['conv_b_1', 'conv_b_1', 'Conv2D'], ['add_1', 'add_1', 'Add']]);
    expect(model.edges.slice(6)).toEqual([{ from: 'conv_1', to: 'conv_b_1' }, { from: 'conv_1', to: 'add_1' }, { from: 'conv_b_1', to: 'add_1' }]);
    expect(positions.get('conv_b_1')).toEqual({ x: 90, y: 240 });
    editor.getState().paste(undefined, { x: 1000, y: 0 });
    expect(editor.getState().selection).toEqual(['conv_2', 'conv_b_2', 'add_2']);
    expect(editor.getState().positions.get('conv_2')).toEqual({ x: 1010, y: 0 });
    expect(editor.getState().positions.get('add_2')).toEqual({ x: 1000, y: 200 });
  });

  it('pastes into another store', () => {
    const source = createEditorStore(residualModel());
    source.getState().select(['flatten', 'dense']);
    const clip = source.getState().copy();
    const target = createEditorStore();
    expect(target.getState().paste()).toBe('the clipboard is empty: copy some layers first');
    expect(target.getState().paste(clip)).toBeNull();
    expect(ids(target)).toEqual(['input', 'dense_1', 'dense_2', 'flatten', 'dense']);
    expect(target.getState().model.edges.at(-1)).toEqual({ from: 'flatten', to: 'dense' });
    // The first paste stores every position, so the starter layers keep where they were drawn.
    expect(Object.keys(target.getState().model.layout?.positions ?? {})).toHaveLength(5);
    target.getState().paste(clip);
    expect(ids(target).slice(5)).toEqual(['flatten_1', 'dense_3']);
  });

  it('duplicates the selection, leaving the clipboard alone', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().select(['dense']);
    expect(editor.getState().duplicate()).toBeNull();
    expect(editor.getState().selection).toEqual(['dense_1']);
    expect(layer(editor, 'dense_1').params).toEqual({ units: 10, activation: 'softmax' });
    expect(editor.getState().clipboard).toBeNull();
  });
});

describe('groups and blocks', () => {
  it('groups, collapses, renames and ungroups', () => {
    const editor = createEditorStore(residualModel());
    expect(editor.getState().group(['conv', 'conv_b', 'add'], 'residual_block')).toBeNull();
    expect(editor.getState().model.layout?.groups).toEqual([{ id: 'group', name: 'residual_block', layerIds: ['conv', 'conv_b', 'add'], collapsed: false }]);
    expect(editor.getState().group(['add', 'flatten'], 'other')).toBe("Add 'add' is already in group 'residual_block': ungroup it first");
    expect(editor.getState().group(['flatten'], 'residual_block')).toBe("a group is already named 'residual_block': choose another name");
    expect(editor.getState().group([], 'x')).toBe('select the layers to group');
    editor.getState().toggleGroupCollapsed('group');
    expect(editor.getState().model.layout?.groups?.[0].collapsed).toBe(true);
    expect(editor.getState().undoLabel).toBe('Collapse residual_block');
    editor.getState().toggleGroupCollapsed('group');
    expect(editor.getState().undoLabel).toBe('Expand residual_block');
    editor.getState().renameGroup('group', 'res1');
    expect(editor.getState().model.layout?.groups?.[0].name).toBe('res1');
    editor.getState().ungroup('group');
    expect(editor.getState().model.layout?.groups).toBeUndefined();
    expect(editor.getState().ungroup('group')).toBe('there is no group "group"');
    // The engine ignores layout: the analysis is the same as without groups.
    expect(editor.getState().report.issues).toEqual([]);
  });

  it('saves a group as a block and inserts it as a fresh, grouped copy', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().group(['conv', 'conv_b', 'add'], 'residual_block');
    expect(editor.getState().saveGroupAsBlock('group')).toBeNull();
    expect(editor.getState().undoLabel).toBe('Group as residual_block');  // saving a block is not an edit
    expect(editor.getState().blocks.map((b) => b.name)).toEqual(['residual_block']);
    editor.getState().insertBlock('residual_block', { x: 400, y: 0 });
    const { model, selection } = editor.getState();
    expect(selection).toEqual(['conv_1', 'conv_b_1', 'add_1']);
    expect(model.layout?.groups?.[1]).toEqual({ id: 'group_1', name: 'residual_block_1', layerIds: ['conv_1', 'conv_b_1', 'add_1'], collapsed: false });
    expect(model.edges.filter((e) => e.to === 'add_1')).toEqual([{ from: 'conv_1', to: 'add_1' }, { from: 'conv_b_1', to: 'add_1' }]);
    editor.getState().connect('flatten', 'conv_1');
    expect(editor.getState().insertBlock('nope')).toBe("there is no block named 'nope': save a group as a block first");
  });
});

describe('layout actions', () => {
  it('draws a document without positions by auto-layout, and stores them all on the first move', () => {
    const editor = createEditorStore();
    const { positions, model } = editor.getState();
    expect(model.layout).toBeUndefined();
    expect([...positions.values()].map((p) => p.y)).toEqual([0, LAYOUT_SPACING.row, 2 * LAYOUT_SPACING.row]);
    editor.getState().moveLayers({ dense_2: { x: 300, y: 240 } });
    expect(editor.getState().model.layout?.positions).toEqual({ ...Object.fromEntries(positions), dense_2: { x: 300, y: 240 } });
    expect(editor.getState().undoLabel).toBe('Move dense_2');
    editor.getState().undo();
    expect(editor.getState().model.layout).toBeUndefined();
  });

  it('moves several layers in one step', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().moveLayers({ conv: { x: 1, y: 2 }, conv_b: { x: 3, y: 4 }, ghost: { x: 0, y: 0 } });
    expect(editor.getState().undoLabel).toBe('Move 2 layers');
  });

  it('aligns layers on a side or the centre of their box', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().align(['conv', 'conv_b', 'add'], 'right');
    expect(['conv', 'conv_b', 'add'].map((id) => editor.getState().positions.get(id)!.x)).toEqual([50, 50, 50]);
    const sizes = new Map([['conv', { width: 100, height: 40 }], ['conv_b', { width: 200, height: 40 }]]);
    editor.getState().align(['conv', 'conv_b'], 'center', sizes);
    expect(editor.getState().positions.get('conv')!.x).toBe(100);
    expect(editor.getState().positions.get('conv_b')!.x).toBe(50);
    editor.getState().align(['input', 'dense'], 'top');
    expect(editor.getState().positions.get('dense')!.y).toBe(0);
    expect(editor.getState().align(['dense'], 'left')).toBe('select two or more layers to align');
  });

  it('auto-layout puts inputs on top and every layer below its inputs', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().autoLayout();
    const { positions, model } = editor.getState();
    expect(positions.get('input')!.y).toBe(0);
    for (const e of model.edges) expect(positions.get(e.to)!.y).toBeGreaterThan(positions.get(e.from)!.y);
    expect(editor.getState().autoLayout()).toBeNull();
    expect(editor.getState().undoLabel).toBe('Auto-layout');
  });
});

describe('dirty marker and history limits', () => {
  it('tracks changes against the last save', () => {
    const editor = createEditorStore(residualModel());
    expect(editor.getState().dirty).toBe(false);
    editor.getState().renameLayer('dense', 'out');
    expect(editor.getState().dirty).toBe(true);
    editor.getState().undo();
    expect(editor.getState().dirty).toBe(false);
    editor.getState().redo();
    editor.getState().markSaved();
    expect(editor.getState().dirty).toBe(false);
    editor.getState().undo();
    expect(editor.getState().dirty).toBe(true);
    editor.getState().select(['dense']);
    expect(editor.getState().dirty).toBe(true);
  });

  it('setModel starts over: no history, no selection, saved', () => {
    const editor = createEditorStore(residualModel());
    editor.getState().renameLayer('dense', 'out');
    editor.getState().select(['conv']);
    editor.getState().setModel(defaultModel());
    expect(editor.getState()).toMatchObject({ undoLabel: null, redoLabel: null, dirty: false, selection: [] });
    expect(editor.getState().undo()).toBe(false);
  });

  it('keeps the last 200 steps', () => {
    const editor = createEditorStore(residualModel());
    for (let i = 0; i < 205; i++) editor.getState().moveLayers({ dense: { x: i + 1, y: 0 } });
    let undone = 0;
    while (editor.getState().undo()) undone++;
    expect(undone).toBe(200);
    expect(editor.getState().positions.get('dense')).toEqual({ x: 5, y: 0 });
  });
});
