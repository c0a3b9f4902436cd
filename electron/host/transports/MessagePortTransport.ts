import { BaseTransport } from '../../../common/rpc/index.js';

/** The parts of Electron's MessagePortMain we use, typed here so the host never imports 'electron'. */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

/** RPC over a MessagePort handed to the engine host (Electron's utility process) by the main process. */
export class MessagePortTransport extends BaseTransport {
  constructor(private readonly port: PortLike) {
    super();
    port.on('message', ({ data }) => this.received(typeof data === 'string' ? data : JSON.stringify(data ?? null)));
    port.on('close', () => this.closed('port closed'));
    port.start();
  }

  send(text: string): void {
    if (this.closedAlready) throw new Error('port is closed');
    this.port.postMessage(text);
  }

  protected closeChannel(): void {
    this.port.close();
  }
}
