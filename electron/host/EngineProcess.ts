import { fork, type ChildProcess } from 'node:child_process';
import { Emitter, type Disposable } from '../../common/rpc/index.js';
import { paths } from './appRoot.js';
import { NodeIpcTransport } from './transports/NodeIpcTransport.js';

/** An engine host started with child_process (for `kiln serve` and the CLI), and its RPC channel. */
export class EngineProcess {
  readonly transport: NodeIpcTransport;
  private readonly exits = new Emitter<string>();
  private exitReason: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.transport = new NodeIpcTransport(child);
    child.on('exit', (code, signal) => {
      this.exitReason = signal ? `the engine process was ended by ${signal}` : `the engine process exited with code ${code}`;
      this.transport.close();
      this.exits.fire(this.exitReason);
    });
    child.on('error', (err) => {
      this.exitReason ??= `the engine process failed: ${err.message}`;
    });
  }

  static start(): EngineProcess {
    const child = fork(paths.engineHostEntry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    return new EngineProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exitReason !== undefined;
  }

  onExit(listener: (reason: string) => void): Disposable {
    return this.exits.on(listener);
  }

  /** Ends the process; resolves when it is gone. */
  stop(): Promise<void> {
    if (this.exitReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.exits.on(() => resolve());
      this.child.kill();
    });
  }
}
