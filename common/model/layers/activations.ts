/** Keras activation names and the engine op each lowers to. */

/** name -> engine op (null: identity). `swish` is Keras's alias of silu. */
export const ACTIVATIONS = new Map<string, string | null>([
  ['linear', null],
  ['relu', 'relu'],
  ['sigmoid', 'sigmoid'],
  ['softmax', 'softmax'],
  ['log_softmax', 'log_softmax'],
  ['tanh', 'tanh'],
  ['elu', 'elu'],
  ['selu', 'selu'],
  ['gelu', 'gelu'],
  ['softplus', 'softplus'],
  ['softsign', 'softsign'],
  ['silu', 'silu'],
  ['swish', 'silu'],
  ['hard_sigmoid', 'hard_sigmoid'],
  ['leaky_relu', 'leaky_relu'],
  ['exponential', 'exp'],
]);
