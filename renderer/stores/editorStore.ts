import { createStore, type StoreApi } from 'zustand/vanilla';
import { defaultModel, inferShapes, type Activation, type ModelDoc, type ModelIssue, type ShapeReport } from '../../common/model/index.js';

export interface EditorState {
  model: ModelDoc;
  /** Shape inference of `model`, recomputed on every edit. */
  report: ShapeReport;
  /** `report.issues` grouped by layer id (issues of no single layer are under ''). */
  issuesByLayer: ReadonlyMap<string, ModelIssue[]>;
  /** Trainable parameters per Dense layer, where its input shape is known. */
  paramCounts: ReadonlyMap<string, number>;
  totalParams: number;
  setUnits(layerId: string, units: number): void;
  setActivation(layerId: string, activation: Activation): void;
  setModel(model: ModelDoc): void;
}

export type EditorStore = StoreApi<EditorState>;

function derive(model: ModelDoc): Pick<EditorState, 'model' | 'report' | 'issuesByLayer' | 'paramCounts' | 'totalParams'> {
  const report = inferShapes(model);
  const issuesByLayer = new Map<string, ModelIssue[]>();
  for (const issue of report.issues) {
    const key = issue.layerId ?? '';
    issuesByLayer.set(key, [...(issuesByLayer.get(key) ?? []), issue]);
  }
  const paramCounts = new Map<string, number>();
  let totalParams = 0;
  let previous: string | undefined;
  for (const layer of report.order) {
    if (layer.type === 'Dense' && previous !== undefined) {
      const inShape = report.shapes.get(previous);
      const features = inShape && inShape.length === 2 ? inShape[1] : null;
      const { units, use_bias } = layer.params;
      if (typeof features === 'number' && Number.isInteger(units) && units > 0) {
        const count = features * units + (use_bias ? units : 0);
        paramCounts.set(layer.id, count);
        totalParams += count;
      }
    }
    previous = layer.id;
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
