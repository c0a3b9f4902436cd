/**
 * Which layers of a model TensorFlow Lite cannot run, checked before export. Every catalogue layer
 * has an emitter; the limits are the kernels' ranks: most handle tensors of up to 5 axes (batch
 * included), PRELU and the comparison behind ReLU's threshold broadcast over at most 4.
 */
import { analyzeModel, type LayerInfo, type ModelAnalysis } from '../../model/analyzeModel.js';
import { formatShape, type ModelDoc } from '../../model/ModelDoc.js';
import { EMITTERS } from './layers/index.js';
import type { CompatibilityIssue } from '../compatibility.js';

const MAX_RANK = 5;

/** Layers whose kernel allows fewer axes: the limit and the kernel that sets it. */
function narrowKernel(info: LayerInfo): { rank: number; kernel: string } | null {
  if (info.layer.type === 'PReLU') return { rank: 4, kernel: 'PRELU' };
  if (info.layer.type === 'ReLU' && info.params.threshold !== 0) return { rank: 4, kernel: 'GREATER (for its threshold)' };
  return null;
}

/** The reason `info`'s layer cannot be exported to TensorFlow Lite, or null when it can. */
function incompatibility(info: LayerInfo, inputShapes: LayerInfo['shape'][]): string | null {
  if (info.def.inputs === 0) return null;
  if (!EMITTERS.has(info.layer.type)) return `has no TensorFlow Lite form in Kiln: replace it with a supported layer`;
  const shapes = [...inputShapes, info.shape];
  const widest = shapes.reduce((a, s) => (s.length > a.length ? s : a));
  const narrow = narrowKernel(info);
  const limit = narrow ?? { rank: MAX_RANK, kernel: 'kernels' };
  if (widest.length <= limit.rank) return null;
  return `works on ${formatShape(widest)}, which has ${widest.length} axes, but TensorFlow Lite's ${limit.kernel} handle${narrow ? 's' : ''} at most ${limit.rank} (batch included): reshape to fewer axes before it`;
}

/** The layers TensorFlow Lite cannot express, with the reason; empty when the whole model exports. */
export function compatibility(model: ModelDoc, analysis: ModelAnalysis = analyzeModel(model)): CompatibilityIssue[] {
  const out: CompatibilityIssue[] = [];
  for (const info of analysis.order) {
    const reason = incompatibility(info, info.inputs.map((id) => analysis.shapes.get(id)!));
    const layer = `${info.layer.type} '${info.layer.name}'`;
    if (reason) out.push({ layerId: info.layer.id, layer, reason: `${layer} ${reason}` });
  }
  return out;
}
