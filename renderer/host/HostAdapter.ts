import type { Disposable } from '../../common/rpc/index.js';

export type { Disposable };

/**
 * How the renderer reaches the engine, whatever carries the messages (Electron's preload bridge, a
 * WebSocket to `kiln serve`, or memory in tests). The engine's typed view is
 * `createProxy<IEngineService>(adapter)`.
 */
export interface HostAdapter {
  readonly kind: 'electron' | 'web' | 'test';
  call(method: string, params?: unknown): Promise<unknown>;
  onEvent(listener: (event: string, data: unknown) => void): Disposable;
}

/** Events a host adapter makes up itself (the engine's own events are in common/contract). */
export const HostEvent = {
  /** The connection to the server went away (web host): `{ reason }`. The next call reconnects. */
  didDisconnect: 'host.didDisconnect',
} as const;

export interface HostDisconnect {
  reason: string;
}
