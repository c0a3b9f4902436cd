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

/** A problem with one training setting, in the user's terms. */
export interface ConfigProblem {
  field: keyof TrainConfig;
  message: string;
}

const MAX_EPOCHS = 1_000_000;
const MAX_BATCH = 1_000_000;

function wholeNumber(v: unknown, min: number, max: number): boolean {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
}

/** Every problem with a training configuration (empty when it can be trained); the editor shows these live. */
export function trainConfigProblems(v: Partial<Record<keyof TrainConfig, unknown>>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (typeof v.dataset !== 'string' || v.dataset === '') problems.push({ field: 'dataset', message: 'Choose a dataset.' });
  if (!wholeNumber(v.epochs, 1, MAX_EPOCHS)) problems.push({ field: 'epochs', message: `Epochs must be a whole number from 1 to ${MAX_EPOCHS.toLocaleString('en')}, got ${JSON.stringify(v.epochs)}.` });
  if (!wholeNumber(v.batchSize, 1, MAX_BATCH)) problems.push({ field: 'batchSize', message: `Batch size must be a whole number from 1 to ${MAX_BATCH.toLocaleString('en')}, got ${JSON.stringify(v.batchSize)}.` });
  const lr = v.learningRate;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0 && lr <= 10)) {
    problems.push({ field: 'learningRate', message: `Learning rate must be a number above 0 and at most 10, such as 0.05; got ${JSON.stringify(lr)}.` });
  }
  if (!wholeNumber(v.seed, 0, Number.MAX_SAFE_INTEGER)) problems.push({ field: 'seed', message: `Seed must be a whole number of 0 or more, got ${JSON.stringify(v.seed)}.` });
  return problems;
}

function checkConfig(v: unknown): Checked<TrainConfig> {
  if (!isRecord(v)) return { ok: false, message: 'the training configuration is missing' };
  const [problem] = trainConfigProblems(v);
  if (problem) return { ok: false, message: problem.message };
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
