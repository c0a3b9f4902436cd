/** What the `kiln` commands share: usage errors, option parsing with --help, Keras-style number formatting, model sources. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ModelDoc, TrainingConfig } from '../../../common/model/index.js';
import { PROJECT_SUFFIX } from '../../../common/project/projectFile.js';
import { KILN_COPY } from '../export/formats.js';
import { loadProject } from '../project/projectStore.js';
import { checkpointRunDir, readCheckpointWeights, readRun, readRunWeights } from '../training/readRun.js';
import type { Weights } from '../training/weightsFile.js';

/** A mistake in how the command was called: exit code 2, with the command's usage (none for null, Kiln's for undefined). */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string | null) {
    super(message);
  }
}

export function intOption(value: string | undefined, name: string, fallback: number, min: number): number;
export function intOption(value: string | undefined, name: string, fallback: undefined, min: number): number | undefined;
export function intOption(value: string | undefined, name: string, fallback: number | undefined, min: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}"`);
  return n;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with `--help`/`-h` on every command: returns undefined after printing `usage` for
 * --help; turns parse errors into UsageErrors that carry `usage`.
 */
export function parseCommand(args: string[], options: Options, usage: string, positionals = 0): { values: Record<string, string | boolean | undefined>; positionals: string[] } | undefined {
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
  if (parsed.values.help) {
    console.log(usage);
    return undefined;
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`, usage);
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** Keras's progress-bar number format: 4 decimals, or scientific below 1e-3. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) > 1e-3 ? v.toFixed(4) : v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** "accuracy: 0.9000 - loss: 0.2000 - val_accuracy: ..." (training figures, then validation; learning_rate left out unless asked). */
export function formatLogs(logs: Record<string, number>, withLearningRate = false): string {
  const keys = Object.keys(logs).filter((k) => withLearningRate || k !== 'learning_rate');
  const rank = (k: string) => (k === 'learning_rate' ? 2 : k.startsWith('val_') ? 1 : 0);
  keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return keys.map((k) => `${k}: ${formatValue(logs[k])}`).join(' - ');
}

/** A trained (or to-be-trained) model named on the command line: a run folder, a checkpoint, or a project. */
export interface ModelSource {
  kind: 'run' | 'checkpoint' | 'project';
  path: string;
  /** The run folder, for a run or one of its checkpoints. */
  runDir?: string;
  name: string;
  model: ModelDoc;
  training: TrainingConfig;
  weights?: Weights;
}

/**
 * Resolves RUN | CHECKPOINT | PROJECT: a run folder (its final weights), one of a run's
 * checkpoints (a TensorFlow checkpoint folder or prefix in RUN/checkpoints/, or an older run's
 * .weights.npz), a NAME.kiln.json, or an export folder (its kiln/ copy of the model).
 */
export function loadModelSource(arg: string, what = 'RUN, CHECKPOINT or PROJECT'): ModelSource {
  const path = resolve(arg);
  const isCheckpointPrefix = existsSync(`${path}.index`);
  if (!existsSync(path) && !isCheckpointPrefix) throw new Error(`${arg} does not exist: give a ${what}`);
  // An export folder: its kiln/ copy of the model (written by kiln export).
  const exported = join(path, KILN_COPY, `model${PROJECT_SUFFIX}`);
  if (!isCheckpointPrefix && statSync(path).isDirectory() && existsSync(exported)) {
    const loaded = loadProject(exported);
    return { kind: 'project', path: exported, name: basename(path), model: loaded.project.model, training: loaded.project.training, ...(loaded.weights ? { weights: loaded.weights } : {}) };
  }
  if (!isCheckpointPrefix && statSync(path).isDirectory() && !existsSync(join(path, 'checkpoint'))) {
    const run = readRun(path);
    const rel = run.checkpoints.final ?? run.checkpoints.last;
    if (!rel) throw new Error(`run ${run.name} has no checkpoint yet (status ${run.status})`);
    return { kind: 'run', path, runDir: path, name: run.name, model: run.model, training: run.training, weights: readRunWeights(path, rel) };
  }
  if (isCheckpointPrefix || path.endsWith('.weights.npz') || path.endsWith('.index') || statSync(path).isDirectory()) {
    const runDir = checkpointRunDir(path);
    if (!runDir) throw new Error(`cannot find the run of checkpoint ${arg}: a checkpoint is read with its run's model, from RUN/checkpoints/ (expected ${join(dirname(dirname(path)), 'run.json')})`);
    const run = readRun(runDir);
    return { kind: 'checkpoint', path, runDir, name: `${run.name}/${relative(runDir, path)}`, model: run.model, training: run.training, weights: readCheckpointWeights(path) };
  }
  if (path.endsWith('.json')) {
    const loaded = loadProject(path);
    return { kind: 'project', path, name: loaded.name, model: loaded.project.model, training: loaded.project.training, ...(loaded.weights ? { weights: loaded.weights } : {}) };
  }
  throw new UsageError(`${arg} is not a ${what}: give a run folder, a checkpoint (RUN/checkpoints/last) or a project (NAME${PROJECT_SUFFIX})`);
}
