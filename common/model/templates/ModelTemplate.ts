/** A model to start from: a layer graph, how to train it, and a built-in dataset that fits it. */
import type { LayerDoc, ModelDoc, ParamValue } from '../ModelDoc.js';
import type { TrainingConfig } from '../trainingConfig.js';

export interface ModelTemplate {
  id: string;
  name: string;
  /** One line, in plain words, for the template picker. */
  description: string;
  model: ModelDoc;
  training: TrainingConfig;
  /** A built-in sample dataset the model trains on as it is (`sample:mnist`), where one fits. */
  data?: string;
}

/** A layer whose id is its name (Keras's automatic name, as a fresh Keras session would give it). */
export function layer(name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc {
  return { id: name, name, type, params };
}

/** A chain of layers, each reading the one before it. */
export function sequential(layers: LayerDoc[]): ModelDoc {
  return { layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) };
}
