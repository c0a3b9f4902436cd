import { BaseTransport } from '../../../common/rpc/index.js';

/** The parts of a Node IPC channel we use: `process` in a forked child, or the ChildProcess in its parent. */
export interface IpcChannel {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
  disconnect?(): void;
  connected?: boolean;
}

/** RPC over child_process's IPC channel; messages travel as JSON text like on every other transport. */
export class NodeIpcTransport extends BaseTransport {
  private readonly onChannelMessage = (message: unknown): void => {
    // Anything that is not text still reaches the RPC layer, which answers it with an error.
    this.received(typeof message === 'string' ? message : JSON.stringify(message ?? null));
  };
  private readonly onDisconnect = (): void => {
    this.detach();
    this.closed('IPC channel disconnected');
  };

  constructor(private readonly channel: IpcChannel) {
    super();
    channel.on('message', this.onChannelMessage);
    channel.on('disconnect', this.onDisconnect);
  }

  send(text: string): void {
    if (this.closedAlready || !this.channel.send || this.channel.connected === false) throw new Error('IPC channel is closed');
    this.channel.send(text);
  }

  protected closeChannel(): void {
    this.detach();
    if (this.channel.connected) this.channel.disconnect?.();
  }

  private detach(): void {
    this.channel.off('message', this.onChannelMessage);
    this.channel.off('disconnect', this.onDisconnect);
  }
}
