import { BaseTransport } from '../../common/rpc/index.js';

/** The URL without its query string, so that reasons shown to the user never carry the token. */
function withoutQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at);
}

function describeClose(url: string, opened: boolean, event: CloseEvent, connectHint?: string): string {
  const where = withoutQuery(url);
  const detail = event.reason ? `: ${event.reason}` : '';
  if (!opened) return `cannot connect to ${where} (code ${event.code}${detail})${connectHint ? `; ${connectHint}` : ''}`;
  if (event.code === 1000 || event.code === 1001) return `the server closed the connection${detail || ` (code ${event.code})`}`;
  return `the connection to ${where} was lost (code ${event.code}${detail})`;
}

/** A transport over the browser's WebSocket: sends wait in a queue until the socket opens. */
export class WebSocketTransport extends BaseTransport {
  private readonly socket: WebSocket;
  private queue: string[] = [];
  private opened = false;

  /** `connectHint` is added to the reason when the socket never opens (e.g. a missing token). */
  constructor(
    readonly url: string,
    private readonly connectHint?: string,
  ) {
    super();
    this.socket = new WebSocket(url);
    this.socket.addEventListener('open', () => {
      this.opened = true;
      const queued = this.queue;
      this.queue = [];
      for (const text of queued) this.socket.send(text);
    });
    this.socket.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data === 'string') this.received(event.data);
    });
    this.socket.addEventListener('close', (event: CloseEvent) => {
      this.queue = [];
      this.closed(describeClose(url, this.opened, event, this.connectHint));
    });
    // An 'error' is always followed by 'close', which carries the code we report.
  }

  get isOpen(): boolean {
    return this.opened && !this.closedAlready;
  }

  send(text: string): void {
    if (this.closedAlready) throw new Error(`the connection to ${withoutQuery(this.url)} is closed`);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
    else this.queue.push(text);
  }

  protected closeChannel(): void {
    this.queue = [];
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) {
      this.socket.close(1000, 'closed by the page');
    }
  }
}
