/** What the editor shows beside the document, recomputed on every edit (and reused where the edit left its inputs alone). */
import { analyzeModel, type ModelAnalysis, type ModelDoc, type ModelIssue, type Point, type Shape } from '../../../common/model/index.js';
import { edgeKey } from './edit.js';
import { positionsOf } from './layoutEdits.js';

export interface Derived {
  model: ModelDoc;
  /** Analysis of `model` (order, shapes, weights, issues). */
  report: ModelAnalysis;
  /** `report.issues` grouped by layer id (issues of no single layer are under ''). */
  issuesByLayer: ReadonlyMap<string, ModelIssue[]>;
  /** Parameters (trainable and not) per layer, where its input shape is known. */
  paramCounts: ReadonlyMap<string, number>;
  totalParams: number;
  /** The tensor shape flowing along each connection (by `edgeKey`), where its source's shape is known. */
  edgeShapes: ReadonlyMap<string, Shape>;
  /** Every layer's canvas position (stored, or placed by auto-layout). */
  positions: ReadonlyMap<string, Point>;
}

type Analysis = Pick<Derived, 'report' | 'issuesByLayer' | 'paramCounts' | 'totalParams' | 'edgeShapes'>;

function analyze(model: ModelDoc): Analysis {
  const report = analyzeModel(model);
  const issuesByLayer = new Map<string, ModelIssue[]>();
  for (const issue of report.issues) {
    const key = issue.layerId ?? '';
    issuesByLayer.set(key, [...(issuesByLayer.get(key) ?? []), issue]);
  }
  const paramCounts = new Map<string, number>();
  let totalParams = 0;
  for (const info of report.order) {
    if (info.def.inputs === 0) continue;
    paramCounts.set(info.layer.id, info.trainable + info.nonTrainable);
    totalParams += info.trainable + info.nonTrainable;
  }
  const edgeShapes = new Map<string, Shape>();
  for (const e of model.edges) {
    const shape = report.shapes.get(e.from);
    if (shape) edgeShapes.set(edgeKey(e), shape);
  }
  return { report, issuesByLayer, paramCounts, totalParams, edgeShapes };
}

/** Derived data for `model`; `previous` lends what depends only on parts the edit did not replace (moving layers re-analyses nothing). */
export function derive(model: ModelDoc, previous?: Derived): Derived {
  const sameGraph = previous !== undefined && previous.model.layers === model.layers && previous.model.edges === model.edges;
  const analysis = sameGraph && previous.model.outputs === model.outputs ? previous : analyze(model);
  const positions = sameGraph && previous.model.layout?.positions === model.layout?.positions ? previous.positions : positionsOf(model);
  const { report, issuesByLayer, paramCounts, totalParams, edgeShapes } = analysis;
  return { model, report, issuesByLayer, paramCounts, totalParams, edgeShapes, positions };
}
