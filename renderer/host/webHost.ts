import type { HostAdapter } from './HostAdapter.js';
import { createRpcHost, type RpcHostAdapter } from './rpcHost.js';
import { WebSocketTransport } from './WebSocketTransport.js';

type PageLocation = Pick<Location, 'protocol' | 'host' | 'search'>;

/** Where `kiln serve` listens for RPC, given the page's location: `ws(s)://<host>/rpc?token=<token>`. */
export function rpcUrl(location: PageLocation): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/rpc?token=${encodeURIComponent(token)}`;
}

/** The browser host: RPC over a WebSocket to `kiln serve`, reconnecting on the next call after a drop. */
export function createWebHost(location: PageLocation = window.location): RpcHostAdapter & HostAdapter {
  const url = rpcUrl(location);
  const hint = new URLSearchParams(location.search).get('token')
    ? undefined
    : 'this page was opened without its ?token=…: open the exact URL that `kiln serve` printed';
  return createRpcHost('web', () => new WebSocketTransport(url, hint));
}
