/**
 * Imports a Keras model: a `.keras` archive (config, compile config and weights) or the JSON of
 * `model.to_json()` (no weights). The model becomes a Kiln document; its weights are named as
 * Kiln (and Keras 3) name them, `<layer name>/<weight name>`, and checked against the shapes Kiln
 * infers for each layer.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { analyzeModel, formatShape, type ModelAnalysis, type ModelDoc, type ModelIssue, type TrainingConfig } from '../../../common/model/index.js';
import { fromKerasConfig } from '../../../common/model/keras/fromKerasConfig.js';
import { kerasLayerKeys, readKerasArchive, type KerasArchive } from './readKerasArchive.js';

export interface KerasImport {
  model: ModelDoc;
  /** Initial values per Kiln weight name (`dense_1/kernel`); empty for a to_json() file. */
  weights: Record<string, Float32Array>;
  training?: Partial<TrainingConfig>;
  /** What Kiln could not represent, and the model's remaining problems, naming the layer. */
  issues: ModelIssue[];
}

const shapeText = (shape: number[]) => formatShape(shape);

/** Analyses the imported model and adds its problems, except about layers the import already flagged. */
function analyze(model: ModelDoc, issues: ModelIssue[]): ModelAnalysis {
  const analysis = analyzeModel(model);
  const flagged = new Set(issues.map((i) => i.layerId).filter((id): id is string => id !== null));
  for (const issue of analysis.issues) {
    const about = issue.layerId !== null ? flagged.has(issue.layerId) : [...flagged].some((id) => issue.message.includes(`'${id}'`));
    if (!about) issues.push(issue);
  }
  return analysis;
}

/** Matches the archive's variables to the layers' weights; throws on a count or shape mismatch. */
function mapWeights(path: string, archive: KerasArchive, model: ModelDoc, issues: ModelIssue[]): Record<string, Float32Array> {
  const analysis = analyze(model, issues);
  const keys = kerasLayerKeys(archive.config);
  const weights: Record<string, Float32Array> = {};
  const where = `${path}'s model.weights.h5`;
  const done = new Set<string>();
  for (const info of analysis.order) {
    const { layer } = info;
    done.add(layer.id);
    const key = keys.get(layer.name);
    const vars = (key !== undefined ? archive.variables.get(key) : undefined) ?? archive.variables.get(`layers/${layer.name}`) ?? [];
    const label = `${layer.type} '${layer.name}'`;
    if (vars.length !== info.weights.length) {
      const expected = info.weights.map((w) => `${w.name} ${shapeText(w.shape)}`).join(', ') || 'none';
      const found = vars.map((v) => shapeText(v.shape)).join(', ') || 'none';
      throw new Error(`${where} has ${vars.length} weights for ${label} (${found}), but Kiln's ${layer.type} has ${info.weights.length} (${expected})`);
    }
    info.weights.forEach((w, i) => {
      const v = vars[i];
      const same = v.shape.length === w.shape.length && v.shape.every((d, j) => d === w.shape[j]);
      if (!same) throw new Error(`${where}: weight ${w.name} of ${label} has shape ${shapeText(v.shape)}, but the model needs ${shapeText(w.shape)}`);
      weights[`${layer.name}/${w.name}`] = v.data;
    });
  }
  const skipped = model.layers.filter((l) => !done.has(l.id) && ((keys.has(l.name) && (archive.variables.get(keys.get(l.name)!)?.length ?? 0) > 0) || (archive.variables.get(`layers/${l.name}`)?.length ?? 0) > 0));
  if (skipped.length > 0) {
    issues.push({ layerId: skipped[0].id, message: `the weights of ${skipped.map((l) => `${l.type} '${l.name}'`).join(', ')} were not imported because of the problems above: fix them and import the file again` });
  }
  return weights;
}

/** Imports a `.keras` archive or a `model.to_json()` `.json` file. */
export async function importKerasFile(path: string): Promise<KerasImport> {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path} is not valid JSON (${(e as Error).message}): export the model with model.to_json()`, { cause: e });
    }
    const result = fromKerasConfig(config);
    if (result.model.layers.length > 0) analyze(result.model, result.issues);
    return { ...result, weights: {} };
  }
  if (ext !== '.keras') throw new Error(`${path} is not a Keras model: Kiln imports .keras archives (model.save) and .json files (model.to_json())`);
  const archive = await readKerasArchive(path);
  const result = fromKerasConfig(archive.config);
  if (result.model.layers.length === 0) return { ...result, weights: {} };
  const weights = mapWeights(path, archive, result.model, result.issues);
  return { ...result, weights };
}
