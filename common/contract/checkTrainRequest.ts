import type { LayerDoc, ModelDoc } from '../model/ModelDoc.js';
import type { TrainConfig, TrainRequest } from './engine.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkLayer(v: unknown, i: number): string | null {
  if (!isRecord(v)) return `layer ${i + 1} is not an object`;
  if (typeof v.id !== 'string' || typeof v.name !== 'string') return `layer ${i + 1} needs an "id" and a "name"`;
  if (v.type !== 'Input' && v.type !== 'Dense') return `layer '${v.name}' has type ${JSON.stringify(v.type)}: supported types are Input and Dense`;
  if (!isRecord(v.params)) return `layer '${v.name}' needs "params"`;
  return null;
}

function checkModel(v: unknown): Checked<ModelDoc> {
  if (!isRecord(v) || !Array.isArray(v.layers) || !Array.isArray(v.edges)) {
    return { ok: false, message: 'the model needs "layers" and "edges" lists' };
  }
  for (const [i, layer] of v.layers.entries()) {
    const problem = checkLayer(layer, i);
    if (problem) return { ok: false, message: problem };
  }
  for (const edge of v.edges) {
    if (!isRecord(edge) || typeof edge.from !== 'string' || typeof edge.to !== 'string') {
      return { ok: false, message: 'every connection needs "from" and "to" layer ids' };
    }
  }
  return { ok: true, value: { layers: v.layers as LayerDoc[], edges: v.edges as ModelDoc['edges'] } };
}

function positiveInt(v: unknown, name: string, max: number): string | null {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max ? null : `${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`;
}

function checkConfig(v: unknown): Checked<TrainConfig> {
  if (!isRecord(v)) return { ok: false, message: 'the training configuration is missing' };
  const problem =
    (typeof v.dataset === 'string' ? null : 'choose a dataset') ??
    positiveInt(v.epochs, 'epochs', 1_000_000) ??
    positiveInt(v.batchSize, 'batch size', 1_000_000) ??
    (typeof v.learningRate === 'number' && v.learningRate > 0 && v.learningRate <= 10 ? null : `learning rate must be a number above 0 and at most 10, got ${JSON.stringify(v.learningRate)}`) ??
    (Number.isInteger(v.seed) && (v.seed as number) >= 0 ? null : `seed must be a whole number of 0 or more, got ${JSON.stringify(v.seed)}`);
  if (problem) return { ok: false, message: problem };
  return { ok: true, value: { dataset: v.dataset as string, epochs: v.epochs as number, batchSize: v.batchSize as number, learningRate: v.learningRate as number, seed: v.seed as number } };
}

/** Checks the structure of a train request that arrived over the wire (its meaning is checked by lowerModel). */
export function checkTrainRequest(v: unknown): Checked<TrainRequest> & { field?: 'model' | 'config' } {
  if (!isRecord(v)) return { ok: false, message: 'a train request needs a "model" and a "config"', field: 'model' };
  const model = checkModel(v.model);
  if (!model.ok) return { ...model, field: 'model' };
  const config = checkConfig(v.config);
  if (!config.ok) return { ...config, field: 'config' };
  return { ok: true, value: { model: model.value, config: config.value } };
}
