import { createStore, type StoreApi } from 'zustand/vanilla';
import { analyzeModel, defaultModel, type ModelAnalysis, type ModelDoc, type ModelIssue } from '../../common/model/index.js';

export interface EditorState {
  model: ModelDoc;
  /** Analysis of `model` (order, shapes, weights, issues), recomputed on every edit. */
  report: ModelAnalysis;
  /** `report.issues` grouped by layer id (issues of no single layer are under ''). */
  issuesByLayer: ReadonlyMap<string, ModelIssue[]>;
  /** Parameters (trainable and not) per layer, where its input shape is known. */
  paramCounts: ReadonlyMap<string, number>;
  totalParams: number;
  setUnits(layerId: string, units: number): void;
  setActivation(layerId: string, activation: string): void;
  setModel(model: ModelDoc): void;
}

export type EditorStore = StoreApi<EditorState>;

function derive(model: ModelDoc): Pick<EditorState, 'model' | 'report' | 'issuesByLayer' | 'paramCounts' | 'totalParams'> {
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
  return { model, report, issuesByLayer, paramCounts, totalParams };
}

/** The editor's document and everything derived from it. */
export function createEditorStore(initial: ModelDoc = defaultModel()): EditorStore {
  return createStore<EditorState>()((set, get) => {
    const updateLayer = (layerId: string, update: (layer: ModelDoc['layers'][number]) => ModelDoc['layers'][number]): void => {
      const { model } = get();
      if (!model.layers.some((l) => l.id === layerId)) return;
      set(derive({ ...model, layers: model.layers.map((l) => (l.id === layerId ? update(l) : l)) }));
    };
    return {
      ...derive(initial),
      setUnits(layerId, units) {
        updateLayer(layerId, (l) => (l.type === 'Dense' && l.params.units !== units ? { ...l, params: { ...l.params, units } } : l));
      },
      setActivation(layerId, activation) {
        updateLayer(layerId, (l) => (l.type === 'Dense' ? { ...l, params: { ...l.params, activation } } : l));
      },
      setModel(model) {
        set(derive(model));
      },
    };
  });
}
