import { EngineErrorCode } from '../../common/contract/index.js';
import { RpcErrorCode, decodeMessage, encodeMessage, type RpcId, type RpcMessage, type Transport } from '../../common/rpc/index.js';
import { EngineProcess } from './EngineProcess.js';

interface Client {
  transport: Transport;
  no: number;
}

/**
 * Connects many clients (browser tabs of `kiln serve`) to one engine host process. Calls are
 * forwarded with ids made unique per client, replies go back to their caller, events go to all.
 * When the engine process ends, calls in flight fail with ENGINE_STOPPED, every client gets an
 * `engine.didStop` event, and the next call starts a new engine.
 */
export class EngineRelay {
  private engine: EngineProcess | undefined;
  private readonly clients = new Set<Client>();
  private readonly inFlight = new Map<string, { client: Client; id: RpcId }>();
  private nextClientNo = 1;

  constructor(private readonly startEngine: () => EngineProcess = EngineProcess.start) {}

  attach(transport: Transport): void {
    const client: Client = { transport, no: this.nextClientNo++ };
    this.clients.add(client);
    transport.onMessage((text) => this.fromClient(client, text));
    transport.onClose(() => {
      this.clients.delete(client);
      for (const [key, entry] of this.inFlight) if (entry.client === client) this.inFlight.delete(key);
    });
  }

  /** Starts the engine now rather than on the first call. */
  warmUp(): void {
    this.ensureEngine();
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.transport.close();
    await this.engine?.stop();
  }

  private fromClient(client: Client, text: string): void {
    const decoded = decodeMessage(text);
    if (!decoded.ok) return this.send(client, { kind: 'error', id: decoded.id, error: decoded.error });
    const message = decoded.message;
    if (message.kind !== 'call') {
      const id = message.kind === 'event' ? null : message.id;
      return this.send(client, { kind: 'error', id, error: { code: RpcErrorCode.invalid, message: `the engine accepts only calls, got ${message.kind}` } });
    }
    const key = `${client.no}:${message.id}`;
    this.inFlight.set(key, { client, id: message.id });
    try {
      this.ensureEngine().transport.send(encodeMessage({ ...message, id: key }));
    } catch (err) {
      this.inFlight.delete(key);
      this.send(client, { kind: 'error', id: message.id, error: { code: EngineErrorCode.engineStopped, message: `the engine is not reachable: ${(err as Error).message}` } });
    }
  }

  private fromEngine(text: string): void {
    const decoded = decodeMessage(text);
    if (!decoded.ok) return;
    const message = decoded.message;
    if (message.kind === 'event') {
      for (const client of this.clients) this.send(client, message);
      return;
    }
    if (message.kind === 'call' || message.id === null) return;
    const entry = this.inFlight.get(String(message.id));
    if (!entry) return;
    this.inFlight.delete(String(message.id));
    this.send(entry.client, { ...message, id: entry.id });
  }

  private ensureEngine(): EngineProcess {
    if (this.engine && !this.engine.exited) return this.engine;
    const engine = this.startEngine();
    engine.transport.onMessage((text) => this.fromEngine(text));
    engine.onExit((reason) => this.engineStopped(engine, reason));
    this.engine = engine;
    return engine;
  }

  private engineStopped(engine: EngineProcess, reason: string): void {
    if (this.engine === engine) this.engine = undefined;
    for (const { client, id } of this.inFlight.values()) {
      this.send(client, { kind: 'error', id, error: { code: EngineErrorCode.engineStopped, message: `the engine stopped: ${reason}` } });
    }
    this.inFlight.clear();
    for (const client of this.clients) this.send(client, { kind: 'event', event: 'engine.didStop', data: { reason } });
  }

  private send(client: Client, message: RpcMessage): void {
    try {
      client.transport.send(encodeMessage(message));
    } catch {
      // That client is gone; its close handler cleans up.
    }
  }
}
