import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { EngineEvents, IEngineService, TrainConfig } from '../../common/contract/index.js';
import { defaultModel, defaultTrainingConfig } from '../../common/model/index.js';
import { RpcClient, createProxy } from '../../common/rpc/index.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { appRoot } from './appRoot.js';
import { formatBench, runBench, WORKLOADS } from './bench/report.js';
import type { WorkloadName } from './bench/workloads.js';
import { EngineProcess } from './EngineProcess.js';
import { evaluate } from './cli/evaluate.js';
import { exportModel } from './cli/exportModel.js';
import { importModel } from './cli/importModel.js';
import { predict } from './cli/predict.js';
import { profile } from './cli/profile.js';
import { runs } from './cli/runs.js';
import { intOption, parseCommand, UsageError } from './cli/shared.js';
import { summary } from './cli/summary.js';
import { deviceFlags, TRAIN_USAGE, trainProject } from './cli/trainProject.js';
import { DATA_FLAGS } from './training/dataSpec.js';
import { ProjectError } from './project/projectStore.js';
import { startServer } from './serve.js';
import { loadServedModel } from './serving/servedModel.js';

const USAGE = `Usage: kiln <command> [options]

Commands:
  train      Train a project's model (kiln train PROJECT --data SPEC), or the Iris starter model
  evaluate   Loss and metrics of a trained model on data (kiln evaluate RUN --data SPEC)
  predict    Run a trained model on .npy/.npz inputs (kiln predict RUN --input X.npy --output Y.npy)
  summary    Print a model's layers and parameter counts (kiln summary PROJECT|FILE.keras)
  import     Turn a Keras model into a project (kiln import FILE.keras --out PROJECT)
  export     Export a trained model (kiln export RUN --format savedmodel|onnx|tflite|tfjs|keras --out DIR)
  profile    Where a training step's time goes, per layer and op (kiln profile PROJECT|RUN [--out trace.json])
  runs       List the runs in a log folder (kiln runs LOGDIR)
  serve      Serve the studio in a browser on this machine
             --port N    port to listen on (default 5840; 0 picks a free one)
             --host H    address to listen on (default 127.0.0.1)
             --model RUN also answer TensorFlow Serving's REST API for that model
  bench      Measure the engine on workloads W1-W5 next to Keras and PyTorch (when installed)
             --json          print one JSON object instead of a table
             --workloads L   a comma-separated subset, e.g. W1,W3
             --no-peers      measure Kiln only
  version    Print Kiln's version and the native engine's

  kiln COMMAND --help   Show a command's options
  kiln help             Show this text`;

const SERVE_USAGE = `Usage: kiln serve [--port N] [--host H] [--logdir DIR] [--model RUN|EXPORT|CHECKPOINT|PROJECT [--model-name NAME]]

Serves the studio in a browser on this machine, behind an access token. With --model, the same
port also answers TensorFlow Serving's REST API for that model (no token: TF Serving's clients
send none; web pages elsewhere are refused):
  GET  /v1/models/NAME            status
  GET  /v1/models/NAME/metadata   the serving_default signature
  POST /v1/models/NAME:predict    {"instances": [...]} or {"inputs": ...}

Options:
  --port N          port to listen on (default 5840; 0 picks a free one)
  --host H          address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --logdir DIR      where the studio's runs go, and the runs it shows (default: runs/ in Kiln's config folder)
  --model SOURCE    a run folder, an export folder, a checkpoint or a project with weights
  --model-name NAME the model's name in the API (default: the run's or project's name)
  -h, --help        show this text`;

const BENCH_USAGE = `Usage: kiln bench [--json] [--workloads L] [--no-peers]

Measures the engine on workloads W1-W5 next to Keras and PyTorch (when installed).

Options:
  --json          print one JSON object instead of a table
  --workloads L   a comma-separated subset, e.g. W1,W3
  --no-peers      measure Kiln only
  -h, --help      show this text`;

async function serve(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { port: { type: 'string' }, host: { type: 'string' }, logdir: { type: 'string' }, model: { type: 'string' }, 'model-name': { type: 'string' } }, SERVE_USAGE);
  if (!parsed) return 0;
  const values = parsed.values as { port?: string; host?: string; logdir?: string; model?: string; 'model-name'?: string };
  const port = intOption(values.port, 'port', 5840, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  if (values.logdir !== undefined) {
    if (existsSync(resolve(values.logdir)) && !statSync(resolve(values.logdir)).isDirectory()) {
      throw new UsageError(`--logdir must be a folder, but ${values.logdir} is a file`, SERVE_USAGE);
    }
    // The engine host (started below) writes the studio's runs there and shows them.
    process.env.KILN_LOGDIR = resolve(values.logdir);
  }
  const model = values.model === undefined ? undefined : loadServedModel(values.model, values['model-name']);
  const server = await startServer({ port, host: values.host, ...(model ? { model } : {}) }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use: pass --port 0 to pick a free one`);
    throw err;
  });
  console.log(`Kiln is serving the studio at ${server.url}`);
  if (values.host === '0.0.0.0' || values.host === '::') {
    console.log('It listens on every network interface: anyone on your network with this token can use it.');
  }
  console.log('Open that URL in a browser (it carries the access token). Press Ctrl+C to stop.');
  if (model) {
    const base = server.url.replace(/\/\?token=.*$/, '');
    console.log(`TensorFlow Serving's REST API answers for "${model.name}": POST ${base}/v1/models/${model.name}:predict`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

async function train(args: string[]): Promise<number> {
  const parsed = parseCommand(args, {
    epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' },
    device: { type: 'string' }, precision: { type: 'string' }, 'gpu-memory-limit': { type: 'string' }, threads: { type: 'string' },
    data: { type: 'string' }, logdir: { type: 'string' }, run: { type: 'string' }, json: { type: 'boolean' }, ...DATA_FLAGS,
  }, TRAIN_USAGE, 1);
  if (!parsed) return 0;
  if (parsed.positionals.length > 0) return trainProject(parsed.positionals[0], parsed.values);
  const values = parsed.values as Record<string, string | undefined>;
  const projectOnly = ['data', 'logdir', 'run', 'json', ...Object.keys(DATA_FLAGS)].filter((k) => parsed.values[k] !== undefined);
  if (projectOnly.length > 0) throw new UsageError(`--${projectOnly[0]} needs a PROJECT: kiln train PROJECT --${projectOnly[0]} ...`, TRAIN_USAGE);
  const learningRate = values.lr === undefined ? 0.05 : Number(values.lr);
  if (!(learningRate > 0)) throw new UsageError(`--lr must be a number above 0, got "${values.lr}"`);
  const config: TrainConfig = {
    dataset: 'sample:iris',
    training: {
      ...defaultTrainingConfig(),
      optimizer: { type: 'sgd', learningRate },
      epochs: intOption(values.epochs, 'epochs', 200, 1),
      batchSize: intOption(values['batch-size'], 'batch-size', 16, 1),
      seed: intOption(values.seed, 'seed', 1, 0),
      ...deviceFlags(values),
    },
  };


  const engine = EngineProcess.start();
  const client = new RpcClient(engine.transport);
  const service = createProxy<IEngineService>(client);
  let lastEpoch = -1;
  const done = new Promise<EngineEvents['run.didEnd']>((resolve, reject) => {
    client.onEvent((event, data) => {
      if (event === 'run.didMetrics') {
        const { points } = data as EngineEvents['run.didMetrics'];
        for (const p of points) {
          if (p.epoch !== lastEpoch && (p.epoch % 10 === 0 || p.epoch === config.training.epochs - 1)) {
            console.log(`epoch ${p.epoch + 1}/${config.training.epochs}  step ${p.step}  loss ${p.loss.toFixed(4)}`);
          }
          lastEpoch = p.epoch;
        }
      } else if (event === 'run.didEnd') {
        resolve(data as EngineEvents['run.didEnd']);
      }
    });
    engine.onExit((reason) => reject(new Error(reason)));
  });
  try {
    const { runId } = await service.startRun({ model: defaultModel(), config });
    process.once('SIGINT', () => void service.stopRun({ runId }));
    const end = await done;
    if (end.status === 'failed') {
      console.error(`training failed: ${end.error?.message}`);
      return 1;
    }
    console.log(`${end.status}: ${end.steps} steps, loss ${end.loss?.toFixed(4)}, accuracy ${((end.accuracy ?? 0) * 100).toFixed(1)}%`);
    return 0;
  } finally {
    await engine.stop();
  }
}

async function bench(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { json: { type: 'boolean' }, workloads: { type: 'string' }, 'no-peers': { type: 'boolean' } }, BENCH_USAGE);
  if (!parsed) return 0;
  const values = parsed.values as { json?: boolean; workloads?: string; 'no-peers'?: boolean };
  const names = values.workloads === undefined ? [...WORKLOADS] : values.workloads.split(',').map((w) => w.trim().toUpperCase());
  const unknown = names.filter((n) => !(WORKLOADS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new UsageError(`unknown workload ${unknown.join(', ')}: choose from ${WORKLOADS.join(', ')}`);
  const report = await runBench({
    workloads: names as WorkloadName[],
    peers: !values['no-peers'],
    threads: cpus().length,
    log: (line) => { if (!values.json) console.error(line); },
  });
  console.log(values.json ? JSON.stringify(report) : formatBench(report));
  return 0;
}

function version(): number {
  const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string };
  console.log(`kiln ${pkg.version}`);
  let addon: NativeAddon;
  try {
    addon = loadAddon();
  } catch (error) {
    console.log(`engine: not loaded (${(error as Error).message.split('\n')[0]})`);
    return 0;
  }
  console.log(`engine: ${addon.version()}`);
  for (const d of addon.devices()) {
    if (d.backend === 'cpu') console.log(`cpu: ${d.threads} threads`);
    else if (d.available) console.log(`gpu: ${d.name}, ${(d.memoryBytes / 2 ** 30).toFixed(0)} GiB, compute capability ${d.computeCapability} (cuda backend)`);
    else console.log(`gpu: not used: ${d.reason}`);
  }
  return 0;
}

/** Runs the `kiln` command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'profile':
        return await profile(rest);
      case 'serve':
        return await serve(rest);
      case 'train':
        return await train(rest);
      case 'bench':
        return await bench(rest);
      case 'evaluate':
        return await evaluate(rest);
      case 'predict':
        return await predict(rest);
      case 'summary':
        return await summary(rest);
      case 'import':
        return await importModel(rest);
      case 'export':
        return await exportModel(rest);
      case 'runs':
        return await runs(rest);
      case 'version':
      case '--version':
        if (rest.includes('--help') || rest.includes('-h')) {
          console.log('Usage: kiln version\n\nPrints Kiln\'s version, the native engine\'s and the devices it trains on (and why the GPU is not used, when it is not).');
          return 0;
        }
        return version();
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const usage = err.usage === undefined ? USAGE : err.usage;
      console.error(`kiln: ${err.message}${usage === null ? '' : `\n\n${usage}`}`);
      return 2;
    }
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`kiln: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`kiln: ${err instanceof ProjectError ? err.message : (err as Error).message}`);
    return 1;
  }
}
