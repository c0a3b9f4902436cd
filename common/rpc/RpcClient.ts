import { decodeMessage, encodeMessage } from './codec.js';
import { RpcErrorCode, type RpcError } from './RpcMessage.js';
import { Emitter, type Disposable, type Transport } from './Transport.js';

/** The rejection value of a failed call: the `{code, message, details}` that crossed the process. */
export class RpcCallError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(error: RpcError) {
    super(error.message);
    this.code = error.code;
    this.details = error.details;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: RpcCallError): void;
}

/** Calls methods over a transport and dispatches the events the server emits. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly events = new Emitter<{ event: string; data: unknown }>();
  private closedReason: string | undefined;

  constructor(private readonly transport: Transport) {
    transport.onMessage((text) => this.receive(text));
    transport.onClose((reason) => this.failAll(reason));
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  call(method: string, params?: unknown): Promise<unknown> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new RpcCallError({ code: RpcErrorCode.closed, message: `connection closed: ${this.closedReason}` }));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.transport.send(encodeMessage({ kind: 'call', id, method, params }));
      } catch (err) {
        this.pending.delete(id);
        reject(new RpcCallError({ code: RpcErrorCode.closed, message: (err as Error).message }));
      }
    });
  }

  onEvent(listener: (event: string, data: unknown) => void): Disposable {
    return this.events.on(({ event, data }) => listener(event, data));
  }

  close(): void {
    this.transport.close();
  }

  private receive(text: string): void {
    const decoded = decodeMessage(text);
    if (!decoded.ok) return; // A server never sends garbage on purpose; nothing to answer.
    const message = decoded.message;
    if (message.kind === 'event') {
      this.events.fire({ event: message.event, data: message.data });
      return;
    }
    if (message.kind === 'call' || typeof message.id !== 'number') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.kind === 'result') pending.resolve(message.result);
    else pending.reject(new RpcCallError(message.error));
  }

  private failAll(reason: string): void {
    this.closedReason = reason;
    const error = new RpcCallError({ code: RpcErrorCode.closed, message: `connection closed: ${reason}` });
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
