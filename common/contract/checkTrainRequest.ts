import type { LayerDoc, ModelDoc } from '../model/ModelDoc.js';
import { validateTrainingConfig } from '../project/projectFile.js';
import type { DataChoices, TrainConfig, TrainRequest } from './engine.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkLayer(v: unknown, i: number): string | null {
  if (!isRecord(v)) return `layer ${i + 1} is not an object`;
  if (typeof v.id !== 'string' || typeof v.name !== 'string') return `layer ${i + 1} needs an "id" and a "name"`;
  if (typeof v.type !== 'string') return `layer '${v.name}' needs a "type"`;
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

/** Every problem with a training configuration, named by field path ("training.epochs must be ..."); the editor shows these live. */
export function trainConfigProblems(v: Partial<Record<keyof TrainConfig, unknown>>): string[] {
  const problems: string[] = [];
  if (typeof v.dataset !== 'string' || v.dataset.trim() === '') problems.push('Choose a dataset.');
  const training = validateTrainingConfig(v.training);
  if (!training.ok) problems.push(...training.errors);
  return problems;
}

function wholeNumber(v: unknown, min: number, max: number): boolean {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
}

/** The problem with a set of data choices, or null; the values' meaning is checked where the data is read. */
function dataChoicesProblem(v: unknown): string | null {
  if (v === undefined) return null;
  if (!isRecord(v)) return 'the data choices must be an object';
  if (v.target !== undefined && typeof v.target !== 'string') return 'the target column must be a column name';
  const size = v.imageSize;
  if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((d) => wholeNumber(d, 1, 8192)))) return `the image size must be a height and a width from 1 to 8192 pixels, got ${JSON.stringify(size)}`;
  if (v.colorMode !== undefined && v.colorMode !== 'rgb' && v.colorMode !== 'grayscale') return `the color mode must be rgb or grayscale, got ${JSON.stringify(v.colorMode)}`;
  const split = v.validationSplit;
  if (split !== undefined && !(typeof split === 'number' && split >= 0 && split < 1)) return `the validation split must be a fraction from 0 up to (not including) 1, got ${JSON.stringify(split)}`;
  return null;
}

function checkConfig(v: unknown): Checked<TrainConfig> {
  if (!isRecord(v)) return { ok: false, message: 'the training configuration is missing' };
  const [problem] = trainConfigProblems(v);
  if (problem) return { ok: false, message: problem };
  const dataProblem = dataChoicesProblem(v.data);
  if (dataProblem) return { ok: false, message: dataProblem };
  const training = validateTrainingConfig(v.training);
  if (!training.ok) return { ok: false, message: training.errors[0] };
  return { ok: true, value: { dataset: v.dataset as string, training: training.config, ...(v.data !== undefined ? { data: v.data as DataChoices } : {}) } };
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
