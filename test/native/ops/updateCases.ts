// Optimizer update graphs for the op suites (test/native/ops/lossScaling.test.ts, and the
// cross-backend test/native/backends.test.ts): one update of a var and its slots, with or without
// the skip input of mixed_float16's loss scaling.
import { addon } from './harness.js';

/** An optimizer update case: its op, attributes and the slots it takes after (var, grad). */
export interface UpdateCase {
  name: string;
  op: 'apply_sgd' | 'apply_adam' | 'apply_rmsprop';
  attrs: Record<string, number>;
  /** The inputs after var and grad, in order: 'slot' tensors shaped like var, or the named scalars. */
  rest: ('slot' | 'lr' | 'step')[];
}

export const UPDATE_CASES: UpdateCase[] = [
  { name: 'sgd', op: 'apply_sgd', attrs: {}, rest: ['lr'] },
  { name: 'sgd, Nesterov momentum, weight decay', op: 'apply_sgd', attrs: { momentum: 0.9, nesterov: 1, weight_decay: 0.1 }, rest: ['lr', 'slot'] },
  { name: 'adamw', op: 'apply_adam', attrs: { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, weight_decay: 0.004 }, rest: ['slot', 'slot', 'lr', 'step'] },
  { name: 'rmsprop, momentum, centered', op: 'apply_rmsprop', attrs: { rho: 0.9, momentum: 0.5, epsilon: 1e-7, centered: 1, weight_decay: 0.1 }, rest: ['slot', 'lr', 'slot', 'slot'] },
];

/**
 * One update of a [rows, cols] var (slots filled with positive values, as second moments are), with
 * or without a skip input; returns the graph, its feeds and the state it updates in place (var,
 * then the slots), which fetching after the run reads.
 */
export function updateGraph(c: UpdateCase, shape: number[], skip: number | undefined, rand: () => number) {
  const g = new addon.Graph();
  const n = shape.reduce((a, b) => a * b, 1);
  const feeds: Record<string, Float32Array> = {};
  const tensor = (name: string, positive: boolean) => {
    feeds[name] = Float32Array.from({ length: n }, () => (positive ? Math.abs(rand()) + 0.1 : rand()));
    return g.input(name, shape);
  };
  const state = [tensor('var', false)];
  const inputs = [state[0], tensor('grad', false)];
  c.rest.forEach((kind, i) => {
    if (kind === 'slot') {
      state.push(tensor(`slot${i}`, true));
      inputs.push(state.at(-1)!);
    } else {
      feeds[kind] = Float32Array.of(kind === 'lr' ? 0.01 : 3);
      inputs.push(g.input(kind, []));
    }
  });
  if (skip !== undefined) {
    feeds.skip = Float32Array.of(skip);
    inputs.push(g.input('skip', []));
  }
  g.op(c.op, 'update', inputs, c.attrs);
  return { g, feeds, state };
}
