import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { weightsFileFor, type ProjectFile } from '../../../common/project/projectFile.js';
import { importKerasFile } from '../keras/importKeras.js';
import { checkWeights, modelWeightShapes, readWeightsFile, writeWeightsFile, type Weights } from '../training/weightsFile.js';

export interface CarriedWeights {
  /** The project to write, naming its weights file when it keeps them. */
  project: ProjectFile;
  /** Where the document's weights now come from (absent once they are dropped). */
  weightsFrom?: string;
  hasWeights: boolean;
  notes: string[];
}

/**
 * The weights a project keeps when saved to `target`: those of `source` (a .npz, or the .keras it
 * was imported from), else of the weights file it names beside `target`. They are kept only while
 * they fit the model: the studio edits the graph but not the weights, so a changed layer makes them
 * stale, and a project naming stale weights would not open. Writes NAME.weights.npz beside `target`
 * unless the project already names that same file.
 */
export async function carryWeights(target: string, project: ProjectFile, source: string | undefined): Promise<CarriedWeights> {
  const bare: ProjectFile = { ...project };
  delete bare.weights;
  const from = source ?? (project.weights !== undefined ? join(dirname(target), project.weights) : undefined);
  if (from === undefined) return { project: bare, hasWeights: false, notes: [] };
  if (!existsSync(from)) return { project: bare, hasWeights: false, notes: [`its weights (${from}) are gone, so it was saved without weights`] };

  let weights: Weights;
  let given = new Map<string, number[]>();
  try {
    if (from.toLowerCase().endsWith('.keras')) weights = (await importKerasFile(from)).weights;
    else ({ weights, shapes: given } = readWeightsFile(from));
  } catch (err) {
    return { project: bare, hasWeights: false, notes: [`its weights could not be read (${(err as Error).message}), so it was saved without them`] };
  }
  const inPlace = project.weights !== undefined && resolve(dirname(target), project.weights) === resolve(from);
  const model = modelWeightShapes(project.model);
  if (!model.ok) {
    // Like loadProject: weights of a model Kiln cannot check stay as they are; new ones wait for a valid model.
    if (inPlace) return { project, weightsFrom: from, hasWeights: true, notes: [] };
    return { project: bare, weightsFrom: from, hasWeights: true, notes: ['the model has problems, so its weights are saved once they are fixed'] };
  }
  const problems = checkWeights(model.shapes, weights, given, basename(from));
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` and ${problems.length - 1} more` : '';
    return { project: bare, hasWeights: false, notes: [`its weights no longer fit the model (${problems[0]}${more}), so it was saved without them: train it again`] };
  }
  if (inPlace) return { project, weightsFrom: from, hasWeights: true, notes: [] };
  const file = weightsFileFor(basename(target));
  writeWeightsFile(join(dirname(target), file), weights, model.shapes);
  return { project: { ...bare, weights: file }, weightsFrom: join(dirname(target), file), hasWeights: true, notes: [] };
}
