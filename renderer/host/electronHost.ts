import { EngineErrorCode, type KilnBridge } from '../../common/contract/index.js';
import { BaseTransport, Emitter, RpcCallError, RpcClient } from '../../common/rpc/index.js';
import type { HostAdapter } from './HostAdapter.js';

declare global {
  interface Window {
    /** Electron's preload bridge; absent in a plain browser. */
    kiln?: KilnBridge;
  }
}

/** RPC text over the preload bridge, for one engine host's lifetime. */
class BridgeTransport extends BaseTransport {
  private readonly unsubscribe: () => void;

  constructor(private readonly bridge: KilnBridge) {
    super();
    this.unsubscribe = bridge.onEngineMessage((text) => this.received(text));
  }

  send(text: string): void {
    if (this.closedAlready) throw new Error('the engine has stopped');
    this.bridge.sendToEngine(text);
  }

  protected closeChannel(): void {
    this.unsubscribe();
  }
}

/**
 * The Electron host: RPC over `window.kiln`. When the engine host stops it fails the calls in
 * flight with ENGINE_STOPPED and emits `engine.didStop` `{ reason }`; the next call first awaits
 * `restartEngine()`, so pressing Train after a crash starts a new engine.
 */
export function createElectronHost(bridge: KilnBridge): HostAdapter {
  const events = new Emitter<{ event: string; data: unknown }>();
  const inFlight = new Set<(error: RpcCallError) => void>();
  let transport: BridgeTransport;
  let client: RpcClient;
  let stopped = false;
  let restarting: Promise<void> | undefined;

  const connect = (): void => {
    transport = new BridgeTransport(bridge);
    client = new RpcClient(transport);
    client.onEvent((event, data) => events.fire({ event, data }));
  };
  connect();

  bridge.onEngineStopped((reason) => {
    stopped = true;
    const error = new RpcCallError({ code: EngineErrorCode.engineStopped, message: `the engine stopped: ${reason}` });
    for (const reject of [...inFlight]) reject(error);
    inFlight.clear();
    transport.close();
    events.fire({ event: 'engine.didStop', data: { reason } });
  });

  const restart = (): Promise<void> => {
    restarting ??= bridge
      .restartEngine()
      .then(() => {
        stopped = false;
        connect();
      })
      .finally(() => {
        restarting = undefined;
      });
    return restarting;
  };

  return {
    kind: 'electron',
    async call(method, params) {
      if (stopped) {
        try {
          await restart();
        } catch (err) {
          throw new RpcCallError({
            code: EngineErrorCode.engineStopped,
            message: `the engine could not be restarted: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      }
      return new Promise<unknown>((resolve, reject) => {
        inFlight.add(reject);
        client.call(method, params).then(
          (value) => {
            inFlight.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            inFlight.delete(reject);
            reject(error);
          },
        );
      });
    },
    onEvent(listener) {
      return events.on(({ event, data }) => listener(event, data));
    },
    pickDataPath: (kind) => bridge.pickDataPath(kind),
    pickProjectToOpen: () => bridge.pickProjectToOpen(),
    pickProjectSavePath: (defaultName) => bridge.pickProjectSavePath(defaultName),
  };
}
