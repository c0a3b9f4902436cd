import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseProject, projectName, serializeProject, weightsFileFor, type ProjectFile } from '../../../common/project/projectFile.js';
import { checkWeights, modelWeightShapes, readWeightsFile, writeWeightsFile, type Weights } from '../training/weightsFile.js';
import { writeFileAtomic } from '../writeFileAtomic.js';

/** A project that could not be opened or saved, with every problem found. */
export class ProjectError extends Error {
  constructor(readonly path: string, readonly problems: string[]) {
    super(`${path}: ${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`);
  }
}

export interface LoadedProject {
  path: string;
  /** NAME of NAME.kiln.json. */
  name: string;
  project: ProjectFile;
  /** The weights it holds (from its .npz), checked against the model; absent when it holds none. */
  weights?: Weights;
  /** Set when the file was of an older version (migrated in memory; saving writes the current one). */
  migratedFrom?: number;
}

/** Reads, validates and migrates a project and its weights: all of it, or a ProjectError. */
export function loadProject(path: string): LoadedProject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ProjectError(path, [e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a folder, not a project file (NAME.kiln.json)' : e.message]);
  }
  const parsed = parseProject(text);
  if (!parsed.ok) throw new ProjectError(path, parsed.errors);
  const { project } = parsed;
  const loaded: LoadedProject = { path, name: projectName(basename(path)), project };
  if (parsed.migratedFrom !== undefined) loaded.migratedFrom = parsed.migratedFrom;
  if (project.weights !== undefined) {
    const read = readProjectWeights(path, project);
    if (!read.ok) throw new ProjectError(path, read.problems);
    loaded.weights = read.weights;
  }
  return loaded;
}

/** The weights file a project names, read beside it and checked against its model. */
export function readProjectWeights(path: string, project: ProjectFile): { ok: true; file: string; weights: Weights } | { ok: false; problems: string[] } {
  if (project.weights === undefined) return { ok: false, problems: ['it names no weights file'] };
  const file = join(dirname(path), project.weights);
  if (!existsSync(file)) return { ok: false, problems: [`its weights file ${project.weights} is missing (expected at ${file})`] };
  let read;
  try {
    read = readWeightsFile(file);
  } catch (err) {
    return { ok: false, problems: [(err as Error).message] };
  }
  // A model Kiln cannot analyse (say, a layer type this version lacks) keeps its weights unchecked.
  const model = modelWeightShapes(project.model);
  if (model.ok) {
    const problems = checkWeights(model.shapes, read.weights, read.shapes, project.weights);
    if (problems.length > 0) return { ok: false, problems };
  }
  return { ok: true, file, weights: read.weights };
}

/**
 * Saves a project atomically (temporary file + fsync + rename), weights first so the project file
 * never names a weights file that is not complete. With `weights`, they go to NAME.weights.npz
 * beside it (shapes from the model, which must then be valid). Returns what was written.
 */
export function saveProject(path: string, project: ProjectFile, weights?: Weights): ProjectFile {
  const out: ProjectFile = { ...project };
  if (weights) {
    const model = modelWeightShapes(project.model);
    if (!model.ok) throw new ProjectError(path, [`cannot save weights for a model with problems: ${model.problems.join('; ')}`]);
    const problems = checkWeights(model.shapes, weights, new Map(), 'the weights');
    if (problems.length > 0) throw new ProjectError(path, problems);
    out.weights = weightsFileFor(basename(path));
    writeWeightsFile(join(dirname(path), out.weights), weights, model.shapes);
  }
  writeFileAtomic(path, serializeProject(out));
  return out;
}
