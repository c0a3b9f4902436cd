// Auto-layout: layered top to bottom, inputs first, every layer below its inputs, few crossings.
import { describe, expect, it } from 'vitest';
import { autoLayout, LAYOUT_SPACING } from '../../../common/model/autoLayout.js';
import type { ModelDoc } from '../../../common/model/index.js';

function graph(ids: string[], edges: [string, string][]): ModelDoc {
  return { layers: ids.map((id) => ({ id, name: id, type: id.startsWith('in') ? 'Input' : 'Dense', params: {} })), edges: edges.map(([from, to]) => ({ from, to })) };
}

describe('autoLayout', () => {
  it('stacks a chain in one column, a row per layer', () => {
    const at = autoLayout(graph(['in', 'a', 'b'], [['in', 'a'], ['a', 'b']]));
    expect(at).toEqual({ in: { x: 0, y: 0 }, a: { x: 0, y: LAYOUT_SPACING.row }, b: { x: 0, y: 2 * LAYOUT_SPACING.row } });
  });

  it('puts every layer a row below its deepest input, and inputs on the first row', () => {
    const doc = graph(['in1', 'in2', 'a', 'b', 'c', 'merge'], [['in1', 'a'], ['a', 'b'], ['b', 'c'], ['in2', 'merge'], ['c', 'merge']]);
    const at = autoLayout(doc);
    expect(at.in1.y).toBe(0);
    expect(at.in2.y).toBe(0);
    expect(at.merge.y).toBe(4 * LAYOUT_SPACING.row);
    expect(at.in2.x).not.toBe(at.in1.x);
  });

  it('keeps a residual block straight and gives the skip connection its own lane', () => {
    const doc = graph(['in', 'conv', 'conv_b', 'add', 'out'], [['in', 'conv'], ['conv', 'conv_b'], ['conv', 'add'], ['conv_b', 'add'], ['add', 'out']]);
    const at = autoLayout(doc);
    const xs = Object.values(at).map((p) => p.x);
    expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(LAYOUT_SPACING.column / 2);
    expect(at.add.y - at.conv.y).toBe(2 * LAYOUT_SPACING.row);
  });

  it('orders rows by barycenter so connections do not cross', () => {
    // Depth-first order gives the row [a, b, c] over [x, y], and c -> x crosses b -> y.
    const at = autoLayout(graph(['a', 'b', 'c', 'x', 'y'], [['a', 'x'], ['b', 'y'], ['c', 'x']]));
    expect((at.b.x - at.a.x) * (at.b.x - at.c.x)).toBeGreaterThan(0);
    expect(Math.sign(at.y.x - at.x.x)).toBe(Math.sign(at.b.x - at.a.x));
  });

  it('places every layer of an invalid graph (cycles, dangling connections), deterministically', () => {
    const doc = graph(['in', 'a', 'b', 'loose'], [['in', 'a'], ['a', 'b'], ['b', 'a'], ['b', 'b'], ['ghost', 'a']]);
    const at = autoLayout(doc);
    expect(Object.keys(at).sort()).toEqual(['a', 'b', 'in', 'loose']);
    expect(at.b.y).toBeGreaterThan(at.a.y);
    expect(autoLayout(doc)).toEqual(at);
    expect(autoLayout({ layers: [], edges: [] })).toEqual({});
  });
});
