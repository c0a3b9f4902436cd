/**
 * Keras 3's activations by name, as the TensorFlow ops its TensorFlow backend runs
 * (keras/src/backend/tensorflow/nn.py): the same formulas, so the same float32 results.
 */
import { floats, op, type LayerCtx } from './LayerEmitter.js';

const SINGLE_OPS: Record<string, string> = {
  relu: 'Relu', sigmoid: 'Sigmoid', softmax: 'Softmax', log_softmax: 'LogSoftmax', tanh: 'Tanh', elu: 'Elu', selu: 'Selu',
  softplus: 'Softplus', softsign: 'Softsign', exponential: 'Exp',
};

/** The activations this file knows (Kiln's catalogue: common/model/layers/activations.ts). */
export const ACTIVATION_NAMES = new Set([...Object.keys(SINGLE_OPS), 'linear', 'gelu', 'silu', 'swish', 'hard_sigmoid', 'leaky_relu']);

/** x through the named activation (softmax over the last axis); null and 'linear' return x. */
export function activation(ctx: LayerCtx, x: string, name: string | null): string {
  if (name === null || name === 'linear') return x;
  const single = SINGLE_OPS[name];
  if (single) return op(ctx, single, single, [x]);
  switch (name) {
    case 'silu':
    case 'swish':  // tf.nn.silu
      return op(ctx, 'Mul', 'silu', [x, op(ctx, 'Sigmoid', 'silu/Sigmoid', [x])]);
    case 'gelu': {
      // Keras's default is the exact form: 0.5 x (1 + erf(x / sqrt 2)), as tf.nn.gelu(approximate=False).
      const erf = op(ctx, 'Erf', 'gelu/Erf', [op(ctx, 'RealDiv', 'gelu/truediv', [x, floats(ctx, 'gelu/sqrt2', Math.SQRT2)])]);
      const half = op(ctx, 'Mul', 'gelu/half_x', [floats(ctx, 'gelu/half', 0.5), x]);
      return op(ctx, 'Mul', 'gelu', [half, op(ctx, 'AddV2', 'gelu/add', [floats(ctx, 'gelu/one', 1), erf])]);
    }
    case 'hard_sigmoid': {
      // Keras 3: relu6(x + 3) / 6.
      const shifted = op(ctx, 'AddV2', 'hard_sigmoid/add', [x, floats(ctx, 'hard_sigmoid/three', 3)]);
      return op(ctx, 'RealDiv', 'hard_sigmoid', [op(ctx, 'Relu6', 'hard_sigmoid/Relu6', [shifted]), floats(ctx, 'hard_sigmoid/six', 6)]);
    }
    case 'leaky_relu':  // Keras's activation function has negative_slope 0.2
      return op(ctx, 'LeakyRelu', 'LeakyRelu', [x], { alpha: { f: 0.2 } });
    default:
      throw new Error(`${ctx.layer.type} '${ctx.layer.name}' has activation '${name}', which Kiln's SavedModel export does not know`);
  }
}
