/**
 * The engine host process: plain Node, never imports 'electron'. It loads the native addon and
 * serves the engine over RPC to every connection it is given:
 * - under `kiln serve` and the CLI it is forked with child_process and talks over the IPC channel;
 * - under Electron it is a utilityProcess and receives one MessagePort per window from main.
 */
import type { EngineEvents } from '../../common/contract/index.js';
import { RpcServer, type Transport } from '../../common/rpc/index.js';
import { EngineService } from './EngineService.js';
import { MessagePortTransport, type PortLike } from './transports/MessagePortTransport.js';
import { NodeIpcTransport } from './transports/NodeIpcTransport.js';

const connections = new Set<RpcServer>();

const service = new EngineService(<K extends keyof EngineEvents>(event: K, data: EngineEvents[K]) => {
  for (const server of connections) {
    try {
      server.emit(event, data);
    } catch {
      // That connection is closing; its close handler removes it.
    }
  }
});

function serve(transport: Transport): void {
  const server = new RpcServer(transport, service);
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
