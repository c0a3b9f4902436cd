import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RUN_FILE_VERSION, type RunFile } from './runFile.js';
import { readTfCheckpointWeights } from './tfCheckpoint.js';
import { readWeightsFile, type Weights } from './weightsFile.js';

/** Reads `<dir>/run.json`; throws with the reason (no such run, not a Kiln run). */
export function readRun(dir: string): RunFile {
  const path = join(dir, 'run.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `${dir} is not a Kiln run (it has no run.json)` : `cannot read ${path}: ${e.message}`, { cause: err });
  }
  let run: unknown;
  try {
    run = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const r = run as Partial<RunFile>;
  if (typeof run !== 'object' || run === null || r.format !== 'kiln-run') throw new Error(`${path} is not a Kiln run file ("format" must be "kiln-run")`);
  if (typeof r.version !== 'number' || r.version > RUN_FILE_VERSION) throw new Error(`${path} was made by a newer Kiln (run format version ${String(r.version)}): update Kiln to read it`);
  if (typeof r.model !== 'object' || typeof r.training !== 'object') throw new Error(`${path} has no model or training settings`);
  return run as RunFile;
}

/**
 * The weights of a checkpoint: a TensorFlow checkpoint (a prefix `.../ckpt-7`, its `.index`, or a
 * folder with a `checkpoint` file) or, from runs of Kiln before run format 2, a `.weights.npz`.
 */
export function readCheckpointWeights(path: string): Weights {
  return path.endsWith('.weights.npz') ? readWeightsFile(path).weights : readTfCheckpointWeights(path).weights;
}

/** The weights of one of a run's checkpoints, as run.json names it (relative to the run folder). */
export function readRunWeights(dir: string, checkpoint: string): Weights {
  return readCheckpointWeights(join(dir, checkpoint));
}

/**
 * The run folder a checkpoint path belongs to, or null when `path` is not a checkpoint inside a
 * run: `RUN/checkpoints/last` (a folder), `RUN/checkpoints/last/ckpt-7[.index]`, or a version 1
 * `RUN/checkpoints/last.weights.npz`.
 */
export function checkpointRunDir(path: string): string | null {
  let folder: string;
  if (path.endsWith('.weights.npz')) folder = dirname(path);
  else if (existsSync(path) && statSync(path).isDirectory()) folder = existsSync(join(path, 'checkpoint')) ? dirname(path) : '';
  else if (existsSync(path.endsWith('.index') ? path : `${path}.index`)) folder = dirname(dirname(path));
  else return null;
  if (basename(folder) !== 'checkpoints') return null;
  const runDir = dirname(folder);
  return existsSync(join(runDir, 'run.json')) ? runDir : null;
}
