/**
 * Which layer and which phase a step-graph node belongs to, from the names the engine gives
 * nodes: `<layer>/<suffix>` (forward, as lowering names them), `.../grad/...` (autodiff),
 * `<layer>/<weight>/update` and `.../clip...` (optimizer), `optimizer/...` (global clipping),
 * `loss/...` and `<weight>/regularizer/...` (loss), `metrics/...`. Fused nodes join their parts
 * with '+', the first part being the one that does the work.
 */
import type { LayerRef, ProfilePhase } from './ProfileReport.js';

/** The first node of a fused group. */
export const leadNode = (node: string): string => node.split('+')[0];

/** The forward node whose gradient this is (`dense/matmul/grad/da` -> `dense/matmul`), or null. */
export function forwardNodeOf(node: string): string | null {
  const at = leadNode(node).indexOf('/grad/');
  return at < 0 ? null : leadNode(node).slice(0, at);
}

export function phaseOf(node: string): ProfilePhase {
  const name = leadNode(node);
  const parts = name.split('/');
  // A weight's update and clipping are `<layer>/<weight>/...`: at least two parts before them.
  const weightStep = (i: number) => i >= 2;
  if (parts[0] === 'optimizer' || (weightStep(parts.length - 1) && /^update(_\d+)?$/.test(parts.at(-1)!)) || (weightStep(parts.indexOf('clip')) && !parts.includes('grad'))) return 'optimizer';
  if (parts.includes('grad')) return 'backward';
  if (parts[0] === 'metrics') return 'metrics';
  if (parts[0] === 'loss' || parts.includes('regularizer')) return 'loss';
  return 'forward';
}

/** Finds a node's layer by its name prefix; the longest layer name wins ('dense_1' over 'dense'). */
export class LayerIndex {
  private readonly byName: [string, LayerRef][];

  constructor(layers: LayerRef[]) {
    this.byName = layers.map((l): [string, LayerRef] => [l.name, l]).sort((a, b) => b[0].length - a[0].length);
  }

  layerOf(node: string): LayerRef | null {
    const name = leadNode(node);
    for (const [prefix, layer] of this.byName) {
      if (name === prefix || name.startsWith(`${prefix}/`) || name.startsWith(`${prefix}:`)) return layer;
    }
    return null;
  }
}
