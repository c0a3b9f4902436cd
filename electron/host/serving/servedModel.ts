/**
 * A trained model loaded for serving: a run, a checkpoint or a project with weights (as the other
 * commands name them), built on the native engine and predicting in batches.
 */
import type { EngineTensor } from '../../../common/model/index.js';
import { loadModelSource } from '../cli/shared.js';
import { buildNativeModel } from '../training/runTraining.js';
import type { ServedModel } from './servingApi.js';

/** The largest batch the engine runs at once for one request. */
const BATCH = 256;

export function loadServedModel(source: string, name?: string): ServedModel {
  const loaded = loadModelSource(source);
  if (!loaded.weights) throw new Error(`${source} holds no trained weights: train it first (kiln train), or serve a run`);
  const { model, spec, analysis } = buildNativeModel(loaded.model, loaded.training, loaded.weights);
  const layerName = (id: string) => analysis.order.find((o) => o.layer.id === id)?.layer.name ?? id;
  const tensor = (t: EngineTensor, layerId: string) => ({ name: layerName(layerId), shape: t.shape, dtype: t.dtype === 'int32' ? 'int32' as const : 'float32' as const });
  const outputShapes = analysis.outputs.map((id) => (analysis.shapes.get(id) ?? []).slice(1) as number[]);
  return {
    name: name ?? loaded.name.replace(/[^\w.-]+/g, '_'),
    version: 1,
    inputs: spec.inputs.map((t, i) => tensor(t, analysis.inputs[i])),
    outputs: analysis.outputs.map((id, k) => ({ name: layerName(id), shape: outputShapes[k], dtype: 'float32' as const })),
    predict: (inputs) => model.predict({ x: inputs }, { batchSize: BATCH }),
  };
}
