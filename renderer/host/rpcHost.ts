import { Emitter, RpcClient, type Transport } from '../../common/rpc/index.js';
import { HostEvent, type HostAdapter } from './HostAdapter.js';

export interface RpcHostAdapter extends HostAdapter {
  /** Closes the connection for good: later calls fail. */
  close(): void;
}

/**
 * A host adapter on an RpcClient. Given a transport it uses that one; given a factory it opens a
 * transport now and, after that one closes, a fresh one on the next call (so pressing Train after
 * the server came back reconnects). When a transport closes on its own it emits
 * `host.didDisconnect` `{ reason }`.
 */
export function createRpcHost(kind: HostAdapter['kind'], transport: Transport | (() => Transport)): RpcHostAdapter {
  const events = new Emitter<{ event: string; data: unknown }>();
  let disposed = false;

  const open = (): RpcClient => {
    const channel = typeof transport === 'function' ? transport() : transport;
    const client = new RpcClient(channel);
    client.onEvent((event, data) => events.fire({ event, data }));
    channel.onClose((reason) => {
      if (!disposed && current === client) events.fire({ event: HostEvent.didDisconnect, data: { reason } });
    });
    return client;
  };

  let current: RpcClient = open();

  return {
    kind,
    call(method, params) {
      if (current.isClosed && !disposed && typeof transport === 'function') current = open();
      return current.call(method, params);
    },
    onEvent(listener) {
      return events.on(({ event, data }) => listener(event, data));
    },
    close() {
      disposed = true;
      current.close();
      events.clear();
    },
  };
}
