import { MessageChannelMain, utilityProcess, type UtilityProcess, type WebContents } from 'electron';

/**
 * Runs the engine host as an Electron utility process, so a crash in native code ends only that
 * process. Each window gets its own MessagePort straight to the engine host; main relays nothing.
 */
export class EngineSupervisor {
  private child: UtilityProcess | undefined;
  private ready: Promise<UtilityProcess> | undefined;
  private restarts: number[] = [];

  constructor(private readonly entry: string) {}

  /** Connects a window to the engine, starting the engine if it is not running. */
  async connect(contents: WebContents): Promise<void> {
    const child = await this.ensureRunning(contents);
    const { port1, port2 } = new MessageChannelMain();
    child.postMessage('connect', [port2]);
    contents.postMessage('kiln:engine-port', null, [port1]);
  }

  /** Starts a fresh engine after it stopped; refuses after 3 restarts within 5 minutes. */
  async restart(contents: WebContents): Promise<void> {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 5 * 60_000);
    if (this.restarts.length >= 3) {
      throw new Error('The engine stopped 3 times in 5 minutes. Save your work and restart Kiln.');
    }
    this.restarts.push(now);
    await this.connect(contents);
  }

  stop(): void {
    this.child?.kill();
  }

  private ensureRunning(contents: WebContents): Promise<UtilityProcess> {
    if (this.ready) return this.ready;
    const child = utilityProcess.fork(this.entry, [], { serviceName: 'Kiln engine', stdio: 'inherit' });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(child));
      child.once('exit', (code) => {
        this.child = undefined;
        this.ready = undefined;
        reject(new Error(`the engine process exited with code ${code} before it started`));
        if (!contents.isDestroyed()) {
          contents.send('kiln:engine-stopped', code === 0 ? 'the engine process exited' : `the engine process ended unexpectedly (exit code ${code})`);
        }
      });
    });
    return this.ready;
  }
}
