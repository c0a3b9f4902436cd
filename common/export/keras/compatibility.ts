/**
 * What a `.keras` archive cannot hold of a model. Every catalogue layer is a Keras layer, so only
 * the graph can be in the way: names Keras would confuse, and layers Keras leaves out of the
 * model because no output depends on them.
 */
import { analyzeModel, type ModelAnalysis } from '../../model/analyzeModel.js';
import { kerasName } from '../../model/keras/toKerasCode.js';
import type { ModelDoc } from '../../model/ModelDoc.js';
import { kerasLayerOrder } from './kerasLayerOrder.js';
import type { CompatibilityIssue } from '../compatibility.js';

/** The layers of a model that the Keras export cannot write as they are (empty when it can). */
export function compatibility(model: ModelDoc, analysis: ModelAnalysis = analyzeModel(model)): CompatibilityIssue[] {
  const issues: CompatibilityIssue[] = [];
  const label = (l: { type: string; name: string }) => `${l.type} '${l.name}'`;
  const named = new Map<string, string[]>();
  for (const layer of model.layers) named.set(kerasName(layer.name), [...(named.get(kerasName(layer.name)) ?? []), layer.name]);
  for (const layer of model.layers) {
    const name = kerasName(layer.name);
    const other = named.get(name)!.find((n) => n !== layer.name);
    if (name !== layer.name && other !== undefined) {
      issues.push({ layerId: layer.id, layer: label(layer), reason: `${label(layer)} would be named '${name}' in Keras, which refuses '/' in names, but layer '${other}' is named so too: rename one of them` });
    }
  }
  const kept = new Set(kerasLayerOrder(analysis).map((o) => o.layer.id));
  for (const { layer } of analysis.order) {
    if (!kept.has(layer.id)) {
      issues.push({ layerId: layer.id, layer: label(layer), reason: `${label(layer)} does not lead to any output of the model, so a Keras model would leave it out: connect it to an output or delete it` });
    }
  }
  return issues;
}
