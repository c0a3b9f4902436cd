import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { IEngineService } from '../../common/contract/index.js';
import { BaseTransport, RpcClient, createProxy } from '../../common/rpc/index.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeProcess {
  url: string;
  port: number;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the real `kiln serve --port 0 [extraArgs]` command and reads the URL it prints. */
export async function startKilnServe(extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/kiln.js', 'serve', '--port', '0', ...extraArgs], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiln serve printed no URL:\n${output}`)), 20_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`kiln serve exited with ${code}:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token')!,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

class NodeWebSocketTransport extends BaseTransport {
  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('message', (data) => this.received(data.toString()));
    socket.on('close', () => this.closed('socket closed'));
  }
  send(text: string): void {
    this.socket.send(text);
  }
  protected closeChannel(): void {
    this.socket.close();
  }
}

/** An RPC client over the server's WebSocket, as the browser page would connect. */
export async function connectRpc(port: number, token: string): Promise<{ client: RpcClient; engine: IEngineService; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${token}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const client = new RpcClient(new NodeWebSocketTransport(socket));
  return { client, engine: createProxy<IEngineService>(client), socket };
}

/** Resolves with the first event of that name whose data passes the filter. */
export function nextEvent<T>(client: RpcClient, name: string, filter: (data: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const sub = client.onEvent((event, data) => {
      if (event === name && filter(data as T)) {
        sub.dispose();
        resolve(data as T);
      }
    });
  });
}
