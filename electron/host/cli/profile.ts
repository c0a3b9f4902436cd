/** `kiln profile PROJECT|RUN`: where the time of a training step goes, per op and per layer. */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkDataFitsModel } from '../../../common/data/checkLabels.js';
import { analyzeModel } from '../../../common/model/index.js';
import { chromeTrace, profileCsv } from '../../../common/profile/index.js';
import { formatProfile } from '../profile/formatProfile.js';
import { DEFAULT_PROFILE_STEPS, profileRun } from '../profile/profileRun.js';
import { loadProject } from '../project/projectStore.js';
import { DATA_FLAGS, DATA_FLAGS_USAGE, dataOptionsFromFlags, DataSpecError, loadDataSpec } from '../training/dataSpec.js';
import { readRun } from '../training/readRun.js';
import { TrainingError } from '../training/runTraining.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { intOption, loadModelSource, parseCommand, UsageError } from './shared.js';

export const PROFILE_USAGE = `Usage: kiln profile PROJECT|RUN [--data SPEC] [--steps N] [--out trace.json] [--csv tables.csv] [--json]

Trains the model of PROJECT (NAME.kiln.json) or RUN (a run folder) for a few steps with the
engine's per-op timers on, and prints where the time of a step goes: data wait, forward,
backward, optimizer, loss and metrics; per layer and per op, with FLOPs and GFLOP/s against this
machine's measured peak; and findings in plain words. Nothing is saved to the project or run.

Options:
  --data SPEC        what to train on (default: the project's or run's data)
${DATA_FLAGS_USAGE}
  --steps N          steps to profile, after 5 warm-up steps (default ${DEFAULT_PROFILE_STEPS})
  --batch-size N     samples per step (default: the model's training batch size)
  --out FILE         write a Chrome trace of the average step (open it in https://ui.perfetto.dev
                     or chrome://tracing)
  --csv FILE         write the step, op and layer tables as CSV
  --json             print the whole report as one JSON object
  -h, --help         show this text`;

/** The data a run or project names, and the folder its relative paths start from. */
function defaultData(path: string): { spec: string; baseDir: string } | undefined {
  if (statSync(path).isDirectory()) {
    const run = readRun(path);
    if (run.data === undefined) return undefined;
    // A run records the spec as given: relative to its project when it came from the project.
    const projectDir = run.project ? dirname(run.project) : undefined;
    const fromProject = projectDir !== undefined && !run.data.startsWith('sample:') && !isAbsolute(run.data) && existsSync(resolve(projectDir, run.data));
    return { spec: run.data, baseDir: fromProject ? projectDir : process.cwd() };
  }
  if (!path.endsWith('.json')) return undefined;
  const data = loadProject(path).project.data;
  return data === undefined ? undefined : { spec: data, baseDir: dirname(path) };
}

export async function profile(args: string[]): Promise<number> {
  const parsed = parseCommand(args, {
    data: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' }, out: { type: 'string' }, csv: { type: 'string' }, json: { type: 'boolean' }, ...DATA_FLAGS,
  }, PROFILE_USAGE, 1);
  if (!parsed) return 0;
  const values = parsed.values;
  const [arg] = parsed.positionals;
  if (arg === undefined) throw new UsageError('profile needs a PROJECT or a RUN', PROFILE_USAGE);
  const steps = intOption(values.steps as string | undefined, 'steps', DEFAULT_PROFILE_STEPS, 1);
  const source = loadModelSource(arg, 'PROJECT or RUN');
  const training = { ...source.training, batchSize: intOption(values['batch-size'] as string | undefined, 'batch-size', source.training.batchSize, 1) };
  const named = values.data !== undefined ? { spec: values.data as string, baseDir: process.cwd() } : defaultData(source.kind === 'checkpoint' ? dirname(dirname(source.path)) : source.path);
  if (!named) throw new UsageError(`${arg} names no data: pass --data SPEC (sample:iris, or a .npz with x_train and y_train)`, PROFILE_USAGE);

  const analysis = analyzeModel(source.model);
  if (analysis.issues.length > 0) {
    console.error(`kiln: ${arg}: the model has problems:\n  ${analysis.issues.map((i) => i.message).join('\n  ')}`);
    return 1;
  }
  const nameOf = (id: string) => source.model.layers.find((l) => l.id === id)!.name;
  let splits;
  try {
    splits = loadDataSpec(named.spec, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, named.baseDir, dataOptionsFromFlags(values, training.seed));
  } catch (err) {
    if (err instanceof DataSpecError) throw new UsageError(err.message, PROFILE_USAGE);
    throw err;
  }
  const misfit = checkDataFitsModel(analysis, training, { ...splits.datasets.train, ...(splits.classNames ? { classNames: splits.classNames } : {}) }, { inputs: false });
  if (misfit.length > 0) {
    console.error(`kiln: cannot profile ${arg} on ${named.spec}:\n  ${misfit.join('\n  ')}`);
    return 1;
  }

  if (!values.json) console.error(`Profiling ${source.name} on ${splits.description}: ${steps} steps...`);
  let report;
  try {
    report = await profileRun({ model: source.model, training, data: splits.train, steps, ...(source.weights ? { initialWeights: source.weights } : {}) });
  } catch (err) {
    if (err instanceof TrainingError) {
      console.error(`kiln: cannot profile ${arg}:\n  ${err.problems.join('\n  ')}`);
      return 1;
    }
    throw err;
  }
  if (values.out !== undefined) writeFileAtomic(resolve(values.out as string), JSON.stringify(chromeTrace(report)));
  if (values.csv !== undefined) writeFileAtomic(resolve(values.csv as string), profileCsv(report));
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  console.log(formatProfile(report));
  if (values.out !== undefined) console.log(`\nTrace: ${resolve(values.out as string)} (open it in https://ui.perfetto.dev or chrome://tracing)`);
  if (values.csv !== undefined) console.log(`${values.out === undefined ? '\n' : ''}Tables: ${resolve(values.csv as string)}`);
  return 0;
}
