import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineInfo, KilnBridge } from '../../../common/contract/index.js';
import { MemoryTransport, RpcServer, type RpcCallError } from '../../../common/rpc/index.js';
import { createElectronHost } from '../../../renderer/host/electronHost.js';

/** A fake preload bridge: each engine "process" is an RpcServer on a MemoryTransport pair. */
class FakeBridge implements KilnBridge {
  readonly platform = 'electron' as const;
  generation = 0;
  restarts = 0;
  private engineSide!: MemoryTransport;
  private pageSide!: MemoryTransport;
  server!: RpcServer;
  private messageListeners = new Set<(text: string) => void>();
  private stopListeners = new Set<(reason: string) => void>();
  /** Calls the engine never answers, to test calls in flight at a crash. */
  hang = false;

  constructor() {
    this.startEngine();
  }

  private startEngine(): void {
    this.generation++;
    const generation = this.generation;
    [this.pageSide, this.engineSide] = MemoryTransport.pair();
    const service = {
      ping: async (): Promise<EngineInfo> => ({ version: 'test', pid: 1000 + generation }),
      slow: () => new Promise(() => undefined),
    };
    this.server = new RpcServer(this.engineSide, service);
    this.pageSide.onMessage((text) => {
      for (const listener of [...this.messageListeners]) listener(text);
    });
  }

  /** The system dialog, answered by the test. */
  pickedPath: string | null = null;
  async pickDataPath(): Promise<string | null> {
    return this.pickedPath;
  }
  async pickProjectToOpen(): Promise<string | null> {
    return this.pickedPath;
  }
  async pickProjectSavePath(): Promise<string | null> {
    return this.pickedPath;
  }

  sendToEngine(text: string): void {
    this.pageSide.send(text);
  }
  onEngineMessage(listener: (text: string) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }
  onEngineStopped(listener: (reason: string) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }
  async restartEngine(): Promise<void> {
    this.restarts++;
    this.startEngine();
  }
  crash(reason: string): void {
    this.engineSide.close();
    for (const listener of [...this.stopListeners]) listener(reason);
  }
  listenerCount(): number {
    return this.messageListeners.size;
  }
}

afterEach(() => vi.restoreAllMocks());

describe('electronHost', () => {
  it('calls the engine and forwards its events', async () => {
    const bridge = new FakeBridge();
    const host = createElectronHost(bridge);
    const events: [string, unknown][] = [];
    host.onEvent((event, data) => events.push([event, data]));
    expect(host.kind).toBe('electron');
    expect(await host.call('ping')).toEqual({ version: 'test', pid: 1001 });
    bridge.server.emit('run.didEnd', { runId: 'r', status: 'completed' });
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toEqual(['run.didEnd', { runId: 'r', status: 'completed' }]);
  });

  it('on engine stop: fails calls in flight with ENGINE_STOPPED, emits engine.didStop, restarts on the next call', async () => {
    const bridge = new FakeBridge();
    const host = createElectronHost(bridge);
    const events: [string, unknown][] = [];
    host.onEvent((event, data) => events.push([event, data]));
    const inFlight = host.call('slow');
    await Promise.resolve();
    bridge.crash('the engine host crashed');
    await expect(inFlight).rejects.toMatchObject({ code: 'ENGINE_STOPPED' } satisfies Partial<RpcCallError>);
    expect(events).toEqual([['engine.didStop', { reason: 'the engine host crashed' }]]);
    expect(bridge.restarts).toBe(0);
    expect(bridge.listenerCount()).toBe(0);
    // The next call starts a new engine first, then goes to it.
    expect(await host.call('ping')).toEqual({ version: 'test', pid: 1002 });
    expect(bridge.restarts).toBe(1);
    expect(bridge.listenerCount()).toBe(1);
    // Two calls at once share one restart.
    bridge.crash('again');
    const [a, b] = await Promise.all([host.call('ping'), host.call('ping')]);
    expect(a).toEqual({ version: 'test', pid: 1003 });
    expect(b).toEqual({ version: 'test', pid: 1003 });
    expect(bridge.restarts).toBe(2);
  });

  it('reports a failed restart as ENGINE_STOPPED and tries again on the next call', async () => {
    const bridge = new FakeBridge();
    const host = createElectronHost(bridge);
    bridge.crash('boom');
    const restart = vi.spyOn(bridge, 'restartEngine').mockRejectedValueOnce(new Error('no engine binary'));
    await expect(host.call('ping')).rejects.toMatchObject({ code: 'ENGINE_STOPPED', message: expect.stringContaining('no engine binary') });
    expect(await host.call('ping')).toEqual({ version: 'test', pid: 1002 });
    expect(restart).toHaveBeenCalledTimes(2);
  });
});
