/**
 * The order of a Functional model's `model.layers` as Keras 3 rebuilds it on load
 * (keras/src/ops/function.py, map_graph): by depth, the longest path to an output, deepest first;
 * layers of equal depth in the order a depth-first walk from the outputs first reaches them. The
 * weights file names each layer's group after its class, numbered in this order (`dense`,
 * `dense_1`, ...), so the archive must list its layers in the same order for Keras to find them.
 */
import type { LayerInfo, ModelAnalysis } from '../../model/analyzeModel.js';

/** The layers Keras keeps (every layer an output depends on; a checked model's Inputs all are), in `model.layers` order. */
export function kerasLayerOrder(analysis: ModelAnalysis): LayerInfo[] {
  const byId = new Map(analysis.order.map((o) => [o.layer.id, o]));
  const firstSeen = new Map<string, number>();
  const finished = new Set<string>();
  const inputsFirst: string[] = [];
  const walk = (id: string): void => {
    if (finished.has(id)) return;
    if (!firstSeen.has(id)) firstSeen.set(id, firstSeen.size);
    for (const input of byId.get(id)!.inputs) walk(input);
    finished.add(id);
    inputsFirst.push(id);
  };
  for (const id of analysis.outputs) if (byId.has(id)) walk(id);

  // Every reader of a layer comes after it in inputsFirst, so walking it backwards settles each depth before it is read.
  const depth = new Map<string, number>();
  for (const id of [...inputsFirst].reverse()) {
    const d = depth.get(id) ?? 0;
    depth.set(id, d);
    for (const input of byId.get(id)!.inputs) depth.set(input, Math.max(d + 1, depth.get(input) ?? 0));
  }
  return [...depth.keys()].sort((a, b) => depth.get(b)! - depth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!).map((id) => byId.get(id)!);
}
