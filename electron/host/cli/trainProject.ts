/** `kiln train PROJECT`: trains a project's model on a dataset, writing a run folder. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkDataFitsModel } from '../../../common/data/checkLabels.js';
import { analyzeModel, MAX_CPU_THREADS, PRECISIONS, TRAINING_DEVICES, type Precision, type TrainingConfig, type TrainingDevice } from '../../../common/model/index.js';
import { loadProject } from '../project/projectStore.js';
import { DATA_FLAGS_USAGE, dataOptionsFromFlags, DataSpecError, loadDataSpec } from '../training/dataSpec.js';
import { runTraining, TrainingError } from '../training/runTraining.js';
import { ProgressPrinter } from './progress.js';
import { intOption, UsageError } from './shared.js';

export const TRAIN_USAGE = `Usage: kiln train [PROJECT] [options]

Trains the model of PROJECT (NAME.kiln.json) with its training settings and writes a run folder
LOGDIR/RUN/ that TensorBoard reads (tensorboard --logdir LOGDIR): event files in RUN/train and
RUN/validation, run.json, and TensorFlow checkpoints in RUN/checkpoints/{last,best}.
Classifiers also get a validation confusion matrix per epoch, from the first 1000 validation
samples (set KILN_CONFUSION_SAMPLES=N to change that, 0 to turn it off).
Without PROJECT, trains the starter model (Input(4) -> Dense 16 relu -> Dense 3 softmax) on Iris.

Options:
  --data SPEC        what to train on (default: the project's "data"):
                       sample:iris    a built-in sample dataset
                       FILE.npz       arrays x_train, y_train (and x_test, y_test to evaluate on)
                       FILE.csv       a table (--target COLUMN, default the last column)
                       DIR            IDX files (train-images-idx3-ubyte[.gz], ...), or class
                                      folders of PNG/JPEG images or .txt files (DIR/train, DIR/test)
${DATA_FLAGS_USAGE}
  --epochs N         number of epochs (default: the project's)
  --batch-size N     samples per step (default: the project's)
  --seed N           seed for initial weights, shuffling and dropout (default: the project's)
  --device D         auto (the GPU when one is usable, else the CPU), cpu or gpu (default: the project's, auto)
  --precision P      float32, mixed_bfloat16 or mixed_float16 (bfloat16 or float16 products on the GPU,
                     float16 with dynamic loss scaling; default: the project's, float32)
  --gpu-memory-limit MIB  cap Kiln's GPU memory at MIB (default: grow as needed)
  --threads N        CPU threads the training computes with (default: the project's, one per core)
  --logdir DIR       folder of run folders (default: runs/ beside the project)
  --run NAME         the run folder's name (default: PROJECT-YYYYMMDD-HHMMSS)
  --json             print one JSON object per line: one per epoch, then a summary
  -h, --help         show this text

Without PROJECT (the starter model): --epochs N (200), --batch-size N (16), --lr X (0.05), --seed N (1).

Exit status: 0 when training completed, 1 when it failed, 130 when interrupted (Ctrl+C).`;

/** The --device, --precision, --gpu-memory-limit and --threads flags as training settings (absent flags: none). */
export function deviceFlags(values: Record<string, string | boolean | undefined>): Partial<TrainingConfig> {
  const out: Partial<TrainingConfig> = {};
  const device = values.device as string | undefined;
  if (device !== undefined) {
    if (!(TRAINING_DEVICES as readonly string[]).includes(device)) throw new UsageError(`--device must be one of ${TRAINING_DEVICES.join(', ')}, got "${device}"`, TRAIN_USAGE);
    out.device = device as TrainingDevice;
  }
  const precision = values.precision as string | undefined;
  if (precision !== undefined) {
    if (!(PRECISIONS as readonly string[]).includes(precision)) throw new UsageError(`--precision must be one of ${PRECISIONS.join(', ')}, got "${precision}"`, TRAIN_USAGE);
    out.precision = precision as Precision;
  }
  const limit = intOption(values['gpu-memory-limit'] as string | undefined, 'gpu-memory-limit', undefined, 1);
  if (limit !== undefined) out.gpuMemoryLimitMiB = limit;
  const threads = intOption(values.threads as string | undefined, 'threads', undefined, 1);
  if (threads !== undefined && threads > MAX_CPU_THREADS) throw new UsageError(`--threads must be at most ${MAX_CPU_THREADS}, got ${threads}`, TRAIN_USAGE);
  if (threads !== undefined) out.cpuThreads = threads;
  return out;
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function trainProject(projectArg: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const json = values.json === true;
  if (values.lr !== undefined) throw new UsageError('--lr applies to the starter model only: set a project\'s learning rate in its training settings (training.optimizer.learningRate)', TRAIN_USAGE);
  const loaded = loadProject(resolve(projectArg));
  const { project } = loaded;
  const training = {
    ...project.training,
    epochs: intOption(values.epochs as string | undefined, 'epochs', project.training.epochs, 1),
    batchSize: intOption(values['batch-size'] as string | undefined, 'batch-size', project.training.batchSize, 1),
    seed: intOption(values.seed as string | undefined, 'seed', project.training.seed, 0),
    ...deviceFlags(values),
  };
  let dataOptions;
  try {
    dataOptions = dataOptionsFromFlags(values, training.seed);
  } catch (err) {
    if (err instanceof DataSpecError) throw new UsageError(err.message, TRAIN_USAGE);
    throw err;
  }
  if (dataOptions.validationSplit !== undefined) training.validationSplit = dataOptions.validationSplit;
  else if (training.validationSplit > 0) dataOptions.validationSplit = training.validationSplit;
  const spec = (values.data as string | undefined) ?? project.data;
  if (spec === undefined) throw new UsageError(`${projectArg} names no data: pass --data SPEC (sample:iris, or a .npz with x_train and y_train)`, TRAIN_USAGE);
  // The project's own data path is relative to the project; --data to the current folder.
  const baseDir = values.data !== undefined ? process.cwd() : dirname(loaded.path);

  const analysis = analyzeModel(project.model);
  if (analysis.issues.length > 0) {
    console.error(`kiln: ${projectArg}: the model has problems:\n  ${analysis.issues.map((i) => i.message).join('\n  ')}`);
    return 1;
  }
  const nameOf = (id: string) => project.model.layers.find((l) => l.id === id)!.name;
  let splits;
  try {
    splits = loadDataSpec(spec, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, baseDir, dataOptions);
  } catch (err) {
    if (err instanceof DataSpecError) throw new UsageError(err.message, TRAIN_USAGE);
    throw err;
  }
  for (const note of splits.notes) console.error(`kiln: ${spec}: ${note}`);
  const misfit = checkDataFitsModel(analysis, training, { ...splits.datasets.train, ...(splits.classNames ? { classNames: splits.classNames } : {}) }, { inputs: false });
  if (misfit.length > 0) {
    console.error(`kiln: cannot train ${projectArg} on ${spec}:\n  ${misfit.join('\n  ')}`);
    return 1;
  }

  const logdir = resolve((values.logdir as string | undefined) ?? resolve(dirname(loaded.path), 'runs'));
  let runName = values.run as string | undefined;
  if (runName !== undefined && (runName === '' || /[\\/]/.test(runName) || runName === '.' || runName === '..')) {
    throw new UsageError(`--run must be a plain folder name, got "${runName}"`, TRAIN_USAGE);
  }
  if (runName === undefined) {
    const base = `${loaded.name}-${timestamp()}`;
    runName = base;
    for (let k = 2; existsSync(resolve(logdir, runName)); k++) runName = `${base}-${k}`;
  }

  const out = process.stdout;
  const progress = new ProgressPrinter(out, !json && out.isTTY === true);
  const controller = new AbortController();
  const interrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  if (!json) console.log(`Training ${loaded.name} on ${splits.description} -> ${resolve(logdir, runName)}`);
  try {
    const result = await runTraining({
      model: project.model,
      training,
      data: splits.train,
      ...(splits.validation ? { validation: splits.validation } : {}),
      ...(splits.test ? { test: splits.test } : {}),
      ...(loaded.weights ? { initialWeights: loaded.weights } : {}),
      run: {
        logdir, name: runName, project: loaded.path, data: spec, dataBaseDir: baseDir, dataOptions,
        ...(splits.classNames ? { classNames: splits.classNames } : {}),
      },
      signal: controller.signal,
      onStep: (s) => progress.step(s),
      onEpoch: (e) => {
        if (json) console.log(JSON.stringify({ type: 'epoch', epoch: e.epoch, epochs: e.epochs, ...e.logs, seconds: e.seconds }));
        else progress.epoch(e);
      },
      onNote: (message) => {
        progress.breakLine();
        console.error(message);
      },
    });
    progress.breakLine();
    if (json) {
      console.log(JSON.stringify({
        type: 'end', status: result.status, run: runName, runDir: result.runDir, epochs: result.epochsDone,
        ...(result.final ? { final: result.final } : {}), ...(result.best ? { best: result.best } : {}),
        ...(result.stoppedEarly ? { stoppedEarly: result.stoppedEarly } : {}), ...(result.test ? { test: result.test } : {}),
        ...(result.error ? { error: result.error } : {}),
      }));
    } else {
      if (result.stoppedEarly) console.log(`Epoch ${result.stoppedEarly.epoch}: early stopping`);
      if (result.test) console.log(`Test: ${Object.entries(result.test).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ')}`);
      if (result.status === 'failed') console.error(`kiln: training failed: ${result.error}`);
      else console.log(`Run ${runName} ${result.status} after ${result.epochsDone} epoch${result.epochsDone === 1 ? '' : 's'}: ${result.runDir}`);
    }
    return result.status === 'completed' ? 0 : result.status === 'stopped' ? 130 : 1;
  } catch (err) {
    if (err instanceof TrainingError) {
      console.error(`kiln: cannot train ${projectArg}:\n  ${err.problems.join('\n  ')}`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', interrupt);
  }
}
