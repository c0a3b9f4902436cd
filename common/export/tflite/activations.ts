/**
 * Keras's activations (common/model/layers/activations.ts) as TensorFlow Lite operators: a
 * builtin where one computes the same function, else a short composition of builtins.
 */
import { binary, leakyRelu, softmax, unary, withConstant } from './ops.js';
import type { Tensor, TfliteGraph } from './TfliteGraph.js';

// Keras's (and the engine's) SELU constants.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** alpha * (exp(x) - 1) below 0, x above; TensorFlow Lite's ELU has alpha 1. */
export function elu(g: TfliteGraph, x: Tensor, alpha: number, name: string): Tensor {
  if (alpha === 1) return unary(g, 'ELU', x, name);
  const negative = unary(g, 'ELU', withConstant(g, 'MINIMUM', x, 0, `${name}/negative_part`), `${name}/negative_elu`);
  return binary(g, 'ADD', unary(g, 'RELU', x, `${name}/positive`), withConstant(g, 'MUL', negative, alpha, `${name}/negative`), name);
}

/** `name` names the activation's output; its intermediate tensors are named under it. */
export function activation(g: TfliteGraph, x: Tensor, kind: string | null, name: string): Tensor {
  switch (kind) {
    case null:
    case 'linear':
      return x;
    case 'relu':
      return unary(g, 'RELU', x, name);
    case 'sigmoid':
      return unary(g, 'LOGISTIC', x, name);
    case 'tanh':
      return unary(g, 'TANH', x, name);
    case 'softmax':
      return softmax(g, x, name);
    case 'log_softmax':
      return unary(g, 'LOG_SOFTMAX', x, name);
    case 'elu':
      return unary(g, 'ELU', x, name);
    case 'selu':
      return withConstant(g, 'MUL', elu(g, x, SELU_ALPHA, `${name}/elu`), SELU_SCALE, name);
    case 'gelu':
      return unary(g, 'GELU', x, name);  // exact (erf) form, as Keras's default approximate=False
    case 'softplus': {
      // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
      const negAbs = withConstant(g, 'MUL', unary(g, 'ABS', x, `${name}/abs`), -1, `${name}/neg_abs`);
      const log1p = unary(g, 'LOG', withConstant(g, 'ADD', unary(g, 'EXP', negAbs, `${name}/exp`), 1, `${name}/one_plus`), `${name}/log1p`);
      return binary(g, 'ADD', unary(g, 'RELU', x, `${name}/relu`), log1p, name);
    }
    case 'softsign':
      return binary(g, 'DIV', x, withConstant(g, 'ADD', unary(g, 'ABS', x, `${name}/abs`), 1, `${name}/one_plus`), name);
    case 'silu':
    case 'swish':
      return binary(g, 'MUL', x, unary(g, 'LOGISTIC', x, `${name}/sigmoid`), name);
    case 'hard_sigmoid':
      // clip(x / 6 + 0.5, 0, 1) = relu6(x + 3) / 6
      return withConstant(g, 'MUL', unary(g, 'RELU6', withConstant(g, 'ADD', x, 3, `${name}/shifted`), `${name}/relu6`), 1 / 6, name);
    case 'leaky_relu':
      return leakyRelu(g, x, 0.2, name);  // Keras's default negative_slope
    case 'exponential':
      return unary(g, 'EXP', x, name);
  }
  throw new Error(`the activation '${kind}' has no TensorFlow Lite form in Kiln`);
}
