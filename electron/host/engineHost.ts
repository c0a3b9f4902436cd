/**
 * The engine host process: plain Node, never imports 'electron'. It loads the native addon and
 * serves the engine over RPC to every connection it is given:
 * - under `kiln serve` and the CLI it is forked with child_process and talks over the IPC channel;
 * - under Electron it is a utilityProcess and receives one MessagePort per window from main.
 * Each connection serves the engine (IEngineService), projects (IProjectService), runs
 * (IRunsService), exports (IExportService) and profiles (IProfileService) together. Training runs
 * go to the studio's logdir (KILN_LOGDIR, else `runs` in Kiln's config folder); the runs service
 * reads the running run's scalars from memory; exports read the runs of the logdir shown.
 */
import type { EngineEvents, RunsEvents } from '../../common/contract/index.js';
import { RpcServer, type Transport } from '../../common/rpc/index.js';
import { EngineService } from './EngineService.js';
import { ExportService } from './ExportService.js';
import { ProfileService } from './ProfileService.js';
import { ProjectService } from './ProjectService.js';
import { LiveRuns } from './runs/LiveRuns.js';
import { RunsService } from './RunsService.js';
import { MessagePortTransport, type PortLike } from './transports/MessagePortTransport.js';
import { NodeIpcTransport } from './transports/NodeIpcTransport.js';

const connections = new Set<RpcServer>();

type Events = EngineEvents & RunsEvents;

function emit<K extends keyof Events>(event: K, data: Events[K]): void {
  for (const server of connections) {
    try {
      server.emit(event, data);
    } catch {
      // That connection is closing; its close handler removes it.
    }
  }
}

const live = new LiveRuns();
const service = new EngineService(emit, { live });
const runs = new RunsService({ launcher: service.launcher, live, emit });

/**
 * One object with the methods of several services, for an RpcServer (which serves one object).
 * Only class methods: fields such as EngineService's `emit` are not for callers.
 */
function unionOf(...services: object[]): object {
  const union: Record<string, unknown> = {};
  for (const service of services) {
    const own = new Set<string>();
    for (let proto = Object.getPrototypeOf(service) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const method: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value;
        if (name === 'constructor' || typeof method !== 'function' || own.has(name)) continue;
        if (Object.hasOwn(union, name)) throw new Error(`two services define "${name}"`);
        own.add(name);
        union[name] = method.bind(service);
      }
    }
  }
  return union;
}

const served = unionOf(service, new ProjectService(), runs, new ExportService(() => runs.shownLogdir), new ProfileService(undefined, undefined, service.launcher));

function serve(transport: Transport): void {
  const server = new RpcServer(transport, served);
  connections.add(server);
  transport.onClose(() => {
    connections.delete(server);
    server.dispose();
  });
}

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: PortLike[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (parentPort) {
  parentPort.on('message', ({ ports }) => {
    for (const port of ports) serve(new MessagePortTransport(port));
  });
} else if (process.send) {
  const transport = new NodeIpcTransport(process);
  serve(transport);
  // The supervisor went away: nothing can reach this engine any more.
  transport.onClose(() => process.exit(0));
} else {
  console.error('kiln engine host: start me with child_process.fork or Electron utilityProcess');
  process.exit(2);
}
