// A small CNN as the engine profiles it: the node names and per-step times (µs) of a real
// profile of this model (batch 32, Adam) on the cpu backend.
import { defaultTrainingConfig, lowerModel, type ModelDoc } from '../../../common/model/index.js';
import type { MeasuredTimeline, MeasuredWindow, OpTiming, ThreadSpan } from '../../../common/profile/index.js';

export const cnnDoc: ModelDoc = {
  layers: [
    { id: 'in', name: 'image', type: 'Input', params: { shape: [28, 28, 1] } },
    { id: 'c1', name: 'conv1', type: 'Conv2D', params: { filters: 8, kernel_size: 3, activation: 'relu' } },
    { id: 'p1', name: 'pool', type: 'MaxPooling2D', params: {} },
    { id: 'f', name: 'flat', type: 'Flatten', params: {} },
    { id: 'd1', name: 'fc1', type: 'Dense', params: { units: 64, activation: 'relu' } },
    { id: 'd2', name: 'out', type: 'Dense', params: { units: 10, activation: 'softmax' } },
  ],
  edges: [{ from: 'in', to: 'c1' }, { from: 'c1', to: 'p1' }, { from: 'p1', to: 'f' }, { from: 'f', to: 'd1' }, { from: 'd1', to: 'd2' }],
};

export const BATCH = 32;

export function loweredCnn() {
  const lowered = lowerModel(cnnDoc, { ...defaultTrainingConfig(), batchSize: BATCH });
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  return lowered;
}

/** [node, op, µs per step]. */
export const CNN_PROFILE: [string, string, number][] = [
  ['conv1/conv2d+conv1/bias_add+conv1/relu', 'conv2d', 919],
  ['pool', 'max_pool2d', 327],
  ['flat', 'reshape', 11],
  ['fc1/matmul+fc1/bias_add+fc1/relu', 'matmul', 2094],
  ['out/matmul+out/bias_add', 'matmul', 7],
  ['loss/xent', 'sparse_softmax_xent', 4],
  ['loss/mean', 'reduce_mean', 1],
  ['metrics/argmax', 'argmax', 1],
  ['metrics/cast', 'cast', 0.4],
  ['metrics/cast_1', 'cast', 0.3],
  ['metrics/correct', 'equal', 1],
  ['metrics/mean', 'reduce_mean', 0.4],
  ['loss/mean/grad/seed', 'fill', 1],
  ['loss/mean/grad/count', 'fill', 0.3],
  ['loss/mean/grad/dy_keepdims', 'reshape', 0.2],
  ['loss/mean/grad/dy', 'broadcast_to', 2],
  ['loss/mean/grad/dx', 'div', 1],
  ['loss/xent/grad/dlogits', 'sparse_softmax_xent_grad', 2],
  ['out/bias_add/grad/db', 'sum_to', 1],
  ['out/matmul/grad/da', 'matmul', 2],
  ['out/matmul/grad/db', 'matmul', 4],
  ['fc1/relu/grad/drelu', 'unary_grad', 2],
  ['fc1/bias_add/grad/db', 'sum_to', 1],
  ['fc1/matmul/grad/da', 'matmul', 1288],
  ['fc1/matmul/grad/db', 'matmul', 736],
  ['flat/grad/dx', 'reshape', 14],
  ['pool/grad/dx', 'max_pool2d_grad', 842],
  ['conv1/relu/grad/drelu', 'unary_grad', 861],
  ['conv1/bias_add/grad/db', 'sum_to', 333],
  ['conv1/conv2d/grad/dkernel', 'conv2d_backprop_filter', 391],
  ['conv1/kernel/update', 'apply_adam', 3],
  ['conv1/bias/update', 'apply_adam', 1],
  ['fc1/kernel/update', 'apply_adam', 158],
  ['fc1/bias/update', 'apply_adam', 1],
  ['out/kernel/update', 'apply_adam', 3],
  ['out/bias/update', 'apply_adam', 1],
];

export const opMicros = CNN_PROFILE.reduce((a, [, , us]) => a + us, 0);

export function rowsFor(steps: number, scale = 1): OpTiming[] {
  return CNN_PROFILE.map(([node, op, us]) => ({ node, op, ns: Math.round(us * 1000 * steps * scale), calls: steps }));
}

/** A window whose steps wait `waitShare` of the step on data and spend `otherShare` outside ops. */
export function windowOf(firstStep: number, steps: number, waitShare: number, otherShare = 0.03, loss?: number): MeasuredWindow {
  const stepSeconds = opMicros / 1e6 / (1 - waitShare - otherShare);
  return { firstStep, steps, rows: rowsFor(steps), dataWaitSeconds: stepSeconds * waitShare * steps, wallSeconds: stepSeconds * steps, ...(loss !== undefined ? { loss } : {}) };
}

/**
 * One step of CNN_PROFILE as the engine records it on `threads` threads: a data wait, the ops back
 * to back on the training thread (each op once), and every worker taking the middle half of each
 * op that runs 100 µs or more (its share of the op's parallel loops).
 */
export function timelineOf(step: number, threads: number, waitNs = 50_000): MeasuredTimeline {
  const spans: ThreadSpan[] = [];
  let at = waitNs + 2_000;
  for (const [node, op, us] of CNN_PROFILE) {
    const ns = Math.round(us * 1000);
    spans.push({ thread: 0, node, op, startNs: at, endNs: at + ns });
    if (us >= 100) for (let t = 1; t < threads; t++) spans.push({ thread: t, node, op, startNs: at + ns / 4, endNs: at + (3 * ns) / 4 });
    at += ns + 500;
  }
  spans.sort((a, b) => a.thread - b.thread || a.startNs - b.startNs);
  return { step, stepNs: at + 10_000, dataWaitNs: waitNs, threads, spans };
}
