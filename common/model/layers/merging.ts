/** Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise) and Concatenate. */
import { formatShape, type Shape } from '../ModelDoc.js';
import type { LayerDef, LowerCtx, Problem } from './types.js';
import { perSample } from './types.js';

/**
 * Keras's merge shape rule: per-sample shapes aligned from the right, each axis equal or 1 on one
 * side (1 broadcasts); an input of lower rank gets axes of size 1 after the batch.
 */
export function mergeShape(inputs: Shape[], verb: string): Shape | Problem {
  let out = inputs[0].slice(1);
  for (let i = 1; i < inputs.length; i++) {
    const next = inputs[i].slice(1);
    const [long, short] = out.length >= next.length ? [out, next] : [next, out];
    const merged = long.slice(0, long.length - short.length);
    for (let k = 0; k < short.length; k++) {
      const a = long[long.length - short.length + k];
      const b = short[k];
      if (a === null || b === null) merged.push(null);
      else if (a === 1 || b === 1 || a === b) merged.push(a === 1 ? b : a);
      else {
        const before = i === 1 ? `input 1 of shape ${formatShape(inputs[0])}` : `inputs 1 to ${i}, of shape ${formatShape([null, ...out])} together`;
        return { problem: `cannot ${verb} input ${i + 1} of shape ${formatShape(inputs[i])} and ${before}: shapes must be equal apart from the batch axis (an axis of size 1 repeats to match), so resize or reshape one of them` };
      }
    }
    out = merged;
  }
  return [null, ...out];
}

/** The inputs with lower rank reshaped to the output's rank (size-1 axes after the batch), as Keras does. */
function sameRank(ctx: LowerCtx, inputs: string[]): string[] {
  const rank = ctx.outputShape.length;
  return inputs.map((x, i) => {
    const shape = ctx.inputShapes[i];
    if (shape.length === rank) return x;
    const dims = [...new Array<number>(rank - shape.length).fill(1), ...(shape.slice(1) as number[])];
    return ctx.node('reshape', `expand_${i + 1}`, [x], { shape: [-1, ...dims] });
  });
}

function elementwise(type: string, op: string, verb: string, description: string, finish?: (ctx: LowerCtx, y: string, n: number) => string): LayerDef {
  return {
    type,
    category: 'Merge',
    description,
    params: {},
    inputs: 'many',
    shape: (inputs) => mergeShape(inputs, verb),
    flops: (inputs, out) => (inputs.length - 1 + (finish ? 1 : 0)) * perSample(out),
    lower(ctx, inputs) {
      const xs = sameRank(ctx, inputs);
      let y = xs[0];
      for (let i = 1; i < xs.length; i++) y = ctx.node(op, !finish && i === xs.length - 1 ? '' : `${op}_${i}`, [y, xs[i]]);
      return finish ? finish(ctx, y, xs.length) : y;
    },
  };
}

export const Add = elementwise('Add', 'add', 'add', 'Adds its inputs element by element (a residual connection); shapes must match.');
export const Multiply = elementwise('Multiply', 'mul', 'multiply', 'Multiplies its inputs element by element; shapes must match.');
export const Maximum = elementwise('Maximum', 'maximum', 'take the maximum of', 'The element-wise maximum of its inputs; shapes must match.');
export const Minimum = elementwise('Minimum', 'minimum', 'take the minimum of', 'The element-wise minimum of its inputs; shapes must match.');
export const Average = elementwise('Average', 'add', 'average', 'The element-wise mean of its inputs; shapes must match.', (ctx, y, n) =>
  ctx.node('div', '', [y, ctx.node('fill', 'count', [], { shape: [], value: n, dtype: 'float32' })]));

const subtractBase = elementwise('Subtract', 'sub', 'subtract', 'Subtracts its second input from its first, element by element; shapes must match.');
export const Subtract: LayerDef = {
  ...subtractBase,
  shape(inputs, p) {
    if (inputs.length !== 2) return { problem: `subtracts its second input from its first, so it takes exactly 2 inputs but reads ${inputs.length}: connect two layers to it` };
    return subtractBase.shape(inputs, p);
  },
};

export const Concatenate: LayerDef = {
  type: 'Concatenate',
  category: 'Merge',
  description: 'Joins its inputs along one axis (the last by default); the other axes must match.',
  params: { axis: { kind: 'int', default: -1 } },
  inputs: 'many',
  shape(inputs, p) {
    const axis = p.axis as number;
    const rank = inputs[0].length;
    const different = inputs.findIndex((s) => s.length !== rank);
    if (different > 0) return { problem: `needs inputs of the same rank, but input ${different + 1} is ${formatShape(inputs[different])} and input 1 is ${formatShape(inputs[0])}` };
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) return { problem: `has axis ${axis}, which is out of range for its inputs of rank ${rank} such as ${formatShape(inputs[0])}: use -1 for the last axis` };
    if (a === 0) return { problem: `has axis ${axis}, the batch axis: Kiln concatenates along a feature axis (-1 for the last)` };
    const out = inputs[0].slice();
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i];
      const bad = s.findIndex((d, k) => k > 0 && k !== a && d !== inputs[0][k]);
      if (bad > 0) {
        return { problem: `needs inputs that match on every axis but the concatenation axis ${axis}, but input ${i + 1} is ${formatShape(s)} and input 1 is ${formatShape(inputs[0])} (they differ on axis ${bad})` };
      }
      out[a] = out[a] === null || s[a] === null ? null : (out[a] as number) + (s[a] as number);
    }
    return out;
  },
  lower(ctx, inputs, p) {
    const rank = ctx.outputShape.length;
    const axis = p.axis as number;
    return ctx.node('concat', '', inputs, { axis: axis < 0 ? axis + rank : axis });
  },
};

export const MERGING_LAYERS = [Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate];
