/** A bidirectional text channel. Each host (Electron MessagePort, WebSocket, Node IPC, memory) implements it. */
export interface Transport {
  send(text: string): void;
  onMessage(listener: (text: string) => void): Disposable;
  /** Fires once when the other side goes away or close() is called. */
  onClose(listener: (reason: string) => void): Disposable;
  close(): void;
}

export interface Disposable {
  dispose(): void;
}

/** A small listener list, the building block of every transport and event emitter here. */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }

  clear(): void {
    this.listeners.clear();
  }
}

/**
 * Base for transports: keeps the listener lists and makes close fire exactly once.
 * Subclasses call `received` and `closed` from their underlying channel.
 */
export abstract class BaseTransport implements Transport {
  private readonly messages = new Emitter<string>();
  private readonly closes = new Emitter<string>();
  private isClosed = false;

  abstract send(text: string): void;
  protected abstract closeChannel(): void;

  get closedAlready(): boolean {
    return this.isClosed;
  }

  onMessage(listener: (text: string) => void): Disposable {
    return this.messages.on(listener);
  }

  onClose(listener: (reason: string) => void): Disposable {
    return this.closes.on(listener);
  }

  close(): void {
    if (this.isClosed) return;
    this.closeChannel();
    this.closed('closed by this side');
  }

  protected received(text: string): void {
    if (!this.isClosed) this.messages.fire(text);
  }

  protected closed(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closes.fire(reason);
    this.messages.clear();
    this.closes.clear();
  }
}
