/** Merge layers as TensorFlow ops, inputs combined left to right as Keras 3 does. */
import { floats, ints, op, reshape, type LayerCtx, type LayerEmitter } from './LayerEmitter.js';

/** Inputs of lower rank get size-1 axes after the batch, as Keras's merge layers expand them. */
function sameRank(ctx: LayerCtx, inputs: string[]): string[] {
  const rank = ctx.outputShape.length;
  return inputs.map((x, i) => {
    const shape = ctx.inputShapes[i];
    if (shape.length === rank) return x;
    return reshape(ctx, x, [...new Array<number>(rank - shape.length).fill(1), ...(shape.slice(1) as number[])], `expand_${i + 1}`);
  });
}

function elementwise(type: string, name: string): LayerEmitter {
  return (ctx, inputs) => {
    const xs = sameRank(ctx, inputs);
    return xs.slice(1).reduce((y, x) => op(ctx, type, name, [y, x]), xs[0]);
  };
}

/** The sum, then divided by the count (not a running mean): Keras's order of operations. */
const Average: LayerEmitter = (ctx, inputs) => {
  const sum = elementwise('AddV2', 'add')(ctx, inputs);
  return op(ctx, 'RealDiv', 'truediv', [sum, floats(ctx, 'count', inputs.length)]);
};

const Concatenate: LayerEmitter = (ctx, inputs) => {
  const given = ctx.params.axis as number;
  const axis = given < 0 ? given + ctx.outputShape.length : given;
  return op(ctx, 'ConcatV2', 'concat', [...inputs, ints(ctx, 'concat/axis', axis)], { N: { i: inputs.length } });
};

export const MERGING_EMITTERS: Record<string, LayerEmitter> = {
  Add: elementwise('AddV2', 'add'),
  Subtract: elementwise('Sub', 'sub'),
  Multiply: elementwise('Mul', 'mul'),
  Maximum: elementwise('Maximum', 'Maximum'),
  Minimum: elementwise('Minimum', 'Minimum'),
  Average,
  Concatenate,
};
