/** Merge layers: element-wise Add, Subtract, Multiply, Average, Maximum, Minimum, and Concatenate. */
import { binary, concat, reshape, withConstant, type BinaryOp } from '../ops.js';
import type { Tensor } from '../TfliteGraph.js';
import type { EmitContext, Emitter } from './EmitContext.js';

/** Inputs of lower rank gain axes of size 1 after the batch, as Keras's merge layers do. */
function sameRank(ctx: EmitContext): Tensor[] {
  const rank = ctx.info.shape.length;
  return ctx.inputs.map((x, i) => (x.shape.length === rank ? x : reshape(ctx.g, x, [-1, ...new Array<number>(rank - x.shape.length).fill(1), ...x.shape.slice(1)], ctx.name(`expand_${i + 1}`))));
}

function elementwise(op: BinaryOp): Emitter {
  return (ctx) => sameRank(ctx).reduce((y, x, i) => binary(ctx.g, op, y, x, ctx.name(`${op.toLowerCase()}_${i}`)));
}

export const MERGING: Record<string, Emitter> = {
  Add: elementwise('ADD'),
  Subtract: elementwise('SUB'),
  Multiply: elementwise('MUL'),
  Maximum: elementwise('MAXIMUM'),
  Minimum: elementwise('MINIMUM'),
  Average: (ctx) => withConstant(ctx.g, 'DIV', elementwise('ADD')(ctx), ctx.inputs.length, ctx.name('mean')),
  Concatenate: (ctx) => {
    const rank = ctx.info.shape.length;
    const axis = ctx.p.axis as number;
    return concat(ctx.g, ctx.inputs, axis < 0 ? axis + rank : axis, ctx.name('concat'));
  },
};
