/**
 * Keras 3's activations in ONNX opset 17 ops, and the activation layers (ReLU, LeakyReLU, ELU,
 * PReLU, Softmax). Opset 17 has no Gelu (it came in 20): gelu is written with Erf, exactly as
 * Keras's default (approximate=False) computes it.
 */
import type { Emit, LayerScope } from './OnnxGraph.js';
import { float, int } from './OnnxGraph.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** The activation named `name` (Keras's names) applied to x; `linear` and null return x. */
export function activation(s: LayerScope, x: string, name: string | null, suffix = name ?? ''): string {
  const unary = (op: string, attrs = {}) => s.node(op, suffix, [x], attrs);
  switch (name) {
    case null:
    case 'linear': return x;
    case 'relu': return unary('Relu');
    case 'sigmoid': return unary('Sigmoid');
    case 'tanh': return unary('Tanh');
    case 'softplus': return unary('Softplus');
    case 'softsign': return unary('Softsign');
    case 'exponential': return unary('Exp');
    case 'softmax': return unary('Softmax', { axis: int(-1) });
    case 'log_softmax': return unary('LogSoftmax', { axis: int(-1) });
    case 'elu': return unary('Elu', { alpha: float(1) });
    case 'selu': return unary('Selu', { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
    // Keras's leaky_relu activation has negative_slope 0.2.
    case 'leaky_relu': return unary('LeakyRelu', { alpha: float(0.2) });
    // Keras 3: relu6(x + 3) / 6, i.e. clip(x / 6 + 0.5, 0, 1).
    case 'hard_sigmoid': return unary('HardSigmoid', { alpha: float(1 / 6), beta: float(0.5) });
    case 'silu':
    case 'swish': return s.node('Mul', suffix, [x, s.node('Sigmoid', `${suffix}_sigmoid`, [x])]);
    case 'gelu': {
      const scaled = s.node('Mul', `${suffix}_scaled`, [x, s.constant(`${suffix}_inv_sqrt2`, [], [Math.SQRT1_2])]);
      const cdf = s.node('Add', `${suffix}_cdf`, [s.node('Erf', `${suffix}_erf`, [scaled]), s.constant(`${suffix}_one`, [], [1])]);
      return s.node('Mul', suffix, [s.node('Mul', `${suffix}_half_x`, [x, s.constant(`${suffix}_half`, [], [0.5])]), cdf]);
    }
  }
  throw new Error(`ONNX export does not know the activation '${name}' of ${s.info.layer.type} '${s.name}'`);
}

/** Keras's relu with threshold, max_value and negative_slope, as keras.activations.relu composes it. */
const ReLU: Emit = (s, [x], p) => {
  const max = p.max_value as number | null;
  const slope = p.negative_slope as number;
  const threshold = p.threshold as number;
  if (threshold === 0 && max === null) return slope === 0 ? s.node('Relu', 'relu', [x]) : s.node('LeakyRelu', 'leaky_relu', [x], { alpha: float(slope) });
  const t = threshold === 0 ? null : s.constant('threshold', [], [threshold]);
  let y = t === null ? s.node('Relu', 'relu', [x]) : s.node('Mul', 'above', [x, s.node('Cast', 'mask', [s.node('Greater', 'greater', [x, t])], { to: int(1) })]);
  if (max !== null) y = s.node('Clip', 'clip', [y, s.constant('zero', [], [0]), s.constant('max_value', [], [max])]);
  if (slope === 0) return y;
  const below = t === null ? s.node('Neg', 'neg', [x]) : s.node('Sub', 'below', [t, x]);
  const negative = s.node('Mul', 'negative', [s.node('Relu', 'negative_part', [below]), s.constant('negative_slope', [], [slope])]);
  return s.node('Sub', 'out', [y, negative]);
};

const Softmax: Emit = (s, [x], p) => s.node('Softmax', 'softmax', [x], { axis: int(p.axis as number) });

export const ACTIVATION_NODES: Record<string, Emit> = {
  Activation: (s, [x], p) => activation(s, x, p.activation as string | null),
  ReLU,
  LeakyReLU: (s, [x], p) => s.node('LeakyRelu', 'leaky_relu', [x], { alpha: float(p.negative_slope as number) }),
  ELU: (s, [x], p) => s.node('Elu', 'elu', [x], { alpha: float(p.alpha as number) }),
  // relu(x) - alpha * relu(-x) is PRelu; alpha (the input's shape, 1 on shared axes) broadcasts from the right.
  PReLU: (s, [x]) => s.node('PRelu', 'prelu', [x, s.initializer('alpha')]),
  Softmax,
};
