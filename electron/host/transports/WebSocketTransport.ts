import type { WebSocket } from 'ws';
import { BaseTransport } from '../../../common/rpc/index.js';

/** RPC over one WebSocket connection accepted by `kiln serve`. */
export class WebSocketTransport extends BaseTransport {
  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('message', (data, isBinary) => this.received(isBinary ? '<binary frame>' : data.toString()));
    socket.on('close', (code) => this.closed(`socket closed (${code})`));
    socket.on('error', (err) => this.closed(`socket error: ${err.message}`));
  }

  send(text: string): void {
    if (this.closedAlready || this.socket.readyState !== this.socket.OPEN) throw new Error('socket is closed');
    this.socket.send(text);
  }

  protected closeChannel(): void {
    this.socket.close();
  }
}
