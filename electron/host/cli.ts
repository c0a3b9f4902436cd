import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineEvents, IEngineService, TrainConfig } from '../../common/contract/index.js';
import { defaultModel } from '../../common/model/index.js';
import { RpcClient, createProxy } from '../../common/rpc/index.js';
import { appRoot } from './appRoot.js';
import { formatBench, runBench, WORKLOADS } from './bench/report.js';
import type { WorkloadName } from './bench/workloads.js';
import { EngineProcess } from './EngineProcess.js';
import { startServer } from './serve.js';

const USAGE = `Usage: kiln <command> [options]

Commands:
  serve      Serve the studio in a browser on this machine
             --port N    port to listen on (default 5840; 0 picks a free one)
             --host H    address to listen on (default 127.0.0.1)
  train      Train the starter model (Input(4) -> Dense 16 relu -> Dense 3 softmax) on Iris
             --epochs N  (default 200)   --batch-size N (default 16)
             --lr X      (default 0.05)  --seed N       (default 1)
  bench      Measure the engine on workloads W1-W5 next to Keras and PyTorch (when installed)
             --json          print one JSON object instead of a table
             --workloads L   a comma-separated subset, e.g. W1,W3
             --no-peers      measure Kiln only
  version    Print Kiln's version and the native engine's

  kiln help  Show this text`;

class UsageError extends Error {}

function intOption(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}"`);
  return n;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const port = intOption(values.port, 'port', 5840, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const server = await startServer({ port, host: values.host }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use: pass --port 0 to pick a free one`);
    throw err;
  });
  console.log(`Kiln is serving the studio at ${server.url}`);
  if (values.host === '0.0.0.0' || values.host === '::') {
    console.log('It listens on every network interface: anyone on your network with this token can use it.');
  }
  console.log('Open that URL in a browser (it carries the access token). Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

async function train(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' } },
  });
  const learningRate = values.lr === undefined ? 0.05 : Number(values.lr);
  if (!(learningRate > 0)) throw new UsageError(`--lr must be a number above 0, got "${values.lr}"`);
  const config: TrainConfig = {
    dataset: 'iris',
    epochs: intOption(values.epochs, 'epochs', 200, 1),
    batchSize: intOption(values['batch-size'], 'batch-size', 16, 1),
    learningRate,
    seed: intOption(values.seed, 'seed', 1, 0),
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
          if (p.epoch !== lastEpoch && (p.epoch % 10 === 0 || p.epoch === config.epochs - 1)) {
            console.log(`epoch ${p.epoch + 1}/${config.epochs}  step ${p.step}  loss ${p.loss.toFixed(4)}`);
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
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, workloads: { type: 'string' }, 'no-peers': { type: 'boolean' } } });
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
  return 0;
}

/** Runs the `kiln` command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'train':
        return await train(rest);
      case 'bench':
        return await bench(rest);
      case 'version':
      case '--version':
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
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`kiln: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`kiln: ${(err as Error).message}`);
    return 1;
  }
}
