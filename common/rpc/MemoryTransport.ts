import { BaseTransport } from './Transport.js';

/** An in-process pair of transports, for tests and for hosting the engine in the same process. */
export class MemoryTransport extends BaseTransport {
  private peer: MemoryTransport | undefined;

  static pair(): [MemoryTransport, MemoryTransport] {
    const a = new MemoryTransport();
    const b = new MemoryTransport();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  send(text: string): void {
    const peer = this.peer;
    if (this.closedAlready || !peer) throw new Error('transport is closed');
    // Asynchronous like every real transport, so tests see real orderings.
    void Promise.resolve().then(() => peer.received(text));
  }

  protected closeChannel(): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer) void Promise.resolve().then(() => peer.closed('peer closed'));
  }
}
