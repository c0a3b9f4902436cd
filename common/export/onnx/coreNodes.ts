/**
 * Core and merge layers in ONNX: Dense (Gemm), Embedding (Gather), the merges with Keras's
 * broadcasting, and the layers that only act in training (Dropout, noise, augmentation), which
 * pass their input through in inference.
 */
import { activation } from './activationNodes.js';
import type { Emit, LayerScope } from './OnnxGraph.js';
import { int } from './OnnxGraph.js';
import { DataType } from './onnxProto.js';

const passThrough: Emit = (_, [x]) => x;

const TRAINING_ONLY = ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'RandomFlip', 'RandomTranslation', 'RandomRotation', 'RandomZoom', 'RandomBrightness', 'RandomContrast'];

/** Inputs of lower rank get size-1 axes after the batch, as Keras's merge layers do (numpy would add them in front). */
function sameRank(s: LayerScope, inputs: string[]): string[] {
  const rank = s.outputShape.length;
  return inputs.map((x, i) => {
    const shape = s.inputShapes[i];
    if (shape.length === rank) return x;
    const dims = [-1, ...new Array<number>(rank - shape.length).fill(1), ...(shape.slice(1) as number[])];
    return s.node('Reshape', `expand_${i + 1}`, [x, s.int64s(`expand_${i + 1}_shape`, dims)]);
  });
}

/** A pairwise chain of `op` over the inputs, as Kiln computes it. */
function chain(op: string, finish?: (s: LayerScope, y: string, n: number) => string): Emit {
  return (s, inputs) => {
    const xs = sameRank(s, inputs);
    let y = xs[0];
    for (let i = 1; i < xs.length; i++) y = s.node(op, `${op.toLowerCase()}_${i}`, [y, xs[i]]);
    return finish ? finish(s, y, xs.length) : y;
  };
}

export const CORE_NODES: Record<string, Emit> = {
  Dense(s, [x], p) {
    const inputs = [x, s.initializer('kernel'), ...(p.use_bias ? [s.initializer('bias')] : [])];
    return activation(s, s.node('Gemm', 'gemm', inputs), p.activation as string | null);
  },
  // Keras casts non-integer indices to int32 (truncating), as ONNX's Cast does.
  Embedding: (s, [x]) => s.node('Gather', 'gather', [s.initializer('embeddings'), s.isIntInput(0) ? x : s.node('Cast', 'indices', [x], { to: int(DataType.INT32) })], { axis: int(0) }),
  Add: chain('Add'),
  Subtract: chain('Sub'),
  Multiply: chain('Mul'),
  Maximum: chain('Max'),
  Minimum: chain('Min'),
  Average: chain('Add', (s, y, n) => s.node('Div', 'mean', [y, s.constant('count', [], [n])])),
  Concatenate: (s, inputs, p) => s.node('Concat', 'concat', inputs, { axis: int((p.axis as number) < 0 ? (p.axis as number) + s.outputShape.length : (p.axis as number)) }),
  ...Object.fromEntries(TRAINING_ONLY.map((type) => [type, passThrough])),
};
