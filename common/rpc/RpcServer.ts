import { decodeMessage, encodeMessage } from './codec.js';
import { RpcErrorCode, type RpcError, type RpcId } from './RpcMessage.js';
import type { Disposable, Transport } from './Transport.js';

/** An error a service throws on purpose: it reaches the caller as `{code, message, details}`. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function toRpcError(err: unknown): RpcError {
  if (err instanceof ServiceError) return { code: err.code, message: err.message, details: err.details };
  const message = err instanceof Error ? err.message : String(err);
  return { code: RpcErrorCode.internal, message };
}

type Handler = (params: unknown) => unknown;

/**
 * Serves one object's methods over a transport. A malformed message gets an error reply and the
 * server keeps serving; a throwing method becomes an error reply.
 */
export class RpcServer {
  private readonly subscription: Disposable;

  constructor(
    private readonly transport: Transport,
    private readonly service: object,
  ) {
    this.subscription = transport.onMessage((text) => void this.handle(text));
  }

  /** Sends an event to the client. */
  emit(event: string, data?: unknown): void {
    this.transport.send(encodeMessage({ kind: 'event', event, data }));
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async handle(text: string): Promise<void> {
    const decoded = decodeMessage(text);
    if (!decoded.ok) return this.replyError(decoded.id, decoded.error);
    const message = decoded.message;
    if (message.kind !== 'call') {
      return this.replyError(message.kind === 'event' ? null : message.id, {
        code: RpcErrorCode.invalid,
        message: `a server accepts only calls, got ${message.kind}`,
      });
    }
    const handler = this.lookup(message.method);
    if (!handler) {
      return this.replyError(message.id, { code: RpcErrorCode.noMethod, message: `unknown method "${message.method}"` });
    }
    try {
      const result = await handler.call(this.service, message.params);
      this.reply(() => encodeMessage({ kind: 'result', id: message.id, result }));
    } catch (err) {
      this.replyError(message.id, toRpcError(err));
    }
  }

  /** Own methods of the service object or its class, never Object.prototype's. */
  private lookup(method: string): Handler | undefined {
    if (method === 'constructor' || method.startsWith('_')) return undefined;
    let proto: object | null = this.service;
    while (proto && proto !== Object.prototype) {
      if (Object.prototype.hasOwnProperty.call(proto, method)) {
        const value = (proto as Record<string, unknown>)[method];
        return typeof value === 'function' ? (value as Handler) : undefined;
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
    return undefined;
  }

  private replyError(id: RpcId | null, error: RpcError): void {
    this.reply(() => encodeMessage({ kind: 'error', id, error }));
  }

  private reply(encode: () => string): void {
    try {
      this.transport.send(encode());
    } catch {
      // The client went away; nothing is waiting for this reply.
    }
  }
}
