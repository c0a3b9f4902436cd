/**
 * A model document as Keras 3's serialized Functional model: the `config.json` of a `.keras`
 * archive (and `model.to_json()`), the inverse of common/model/keras/fromKerasConfig.ts. Layers
 * are listed in the order Keras rebuilds `model.layers` (kerasLayerOrder.ts), each called once on
 * Keras 3 `__keras_tensor__` arguments; `compile_config` holds the training settings when given.
 * Layer names are Keras's ('/' becomes '_', as in the generated code).
 */
import { analyzeModel, type ModelAnalysis } from '../../model/analyzeModel.js';
import { kerasName } from '../../model/keras/toKerasCode.js';
import type { ModelDoc } from '../../model/ModelDoc.js';
import type { TrainingConfig } from '../../model/trainingConfig.js';
import { compileConfig } from './kerasCompileConfig.js';
import { kerasLayerOrder } from './kerasLayerOrder.js';
import { inputLayerConfig, kerasTensor, layerConfig } from './kerasLayerConfig.js';
import type { Json, JsonObject } from './kerasJson.js';

/** The Keras that Kiln's archives are written for and checked against (the conformance tests' .venv). */
export const KERAS_VERSION = '3.15.1';

export interface KerasConfigOptions {
  /** The model's analysis, when the caller has it. */
  analysis?: ModelAnalysis;
  /** Training settings: written as the compile_config that load_model compiles with. */
  training?: TrainingConfig;
  /** The keras.Model's name (default "model"). */
  name?: string;
}

/** A layer reference, or a list of them when there are several (as Keras writes input_layers and output_layers). */
const oneOrList = (names: string[]): Json => (names.length === 1 ? [names[0], 0, 0] : names.map((n) => [n, 0, 0]));

/** The config.json object of a checked model (analysis without issues). */
export function kerasConfig(model: ModelDoc, options: KerasConfigOptions = {}): JsonObject {
  const analysis = options.analysis ?? analyzeModel(model);
  const infos = new Map(analysis.order.map((o) => [o.layer.id, o]));
  const name = (id: string) => kerasName(infos.get(id)!.layer.name);
  const layers = kerasLayerOrder(analysis).map((info) => {
    if (info.def.inputs === 0) return inputLayerConfig(info, name(info.layer.id));
    const ins = info.inputs.map((id) => infos.get(id)!);
    const args = ins.map((i) => kerasTensor(name(i.layer.id), i.shape, i.def.inputs === 0 ? (i.params.dtype as string) : 'float32'));
    return layerConfig(info, name(info.layer.id), args, ins.map((i) => i.shape));
  });
  const outputs = analysis.outputs.filter((id) => infos.has(id));
  const root: JsonObject = {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: kerasName(options.name ?? 'model'),
      trainable: true,
      layers,
      input_layers: oneOrList(analysis.inputs.filter((id) => infos.has(id)).map(name)),
      output_layers: oneOrList(outputs.map(name)),
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
  if (options.training) root.compile_config = compileConfig(options.training, outputs.map((id) => ({ name: infos.get(id)!.layer.name, keras: name(id) })));
  return root;
}

/** metadata.json: the Keras version and when the archive was written (Keras's local-time format). */
export function kerasMetadata(date: Date): JsonObject {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  return { keras_version: KERAS_VERSION, date_saved: `${day}@${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}` };
}
