import { describe, expect, it } from 'vitest';
import { createEditorStore } from '../../../renderer/stores/editorStore.js';

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
});
