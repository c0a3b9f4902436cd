import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import { paths } from './appRoot.js';
import { EngineRelay } from './EngineRelay.js';
import { handleServingRequest, type ServedModel } from './serving/servingApi.js';
import { WebSocketTransport } from './transports/WebSocketTransport.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Defaults to a fresh random token; tests may pass their own. */
  token?: string;
  rendererDir?: string;
  /** Also answer TensorFlow Serving's REST API for this model under /v1/models/. */
  model?: ServedModel;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  relay: EngineRelay;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

const COOKIE = 'kiln_token';
/** The largest request body the model API reads. */
const MAX_BODY = 256 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error(`the request body is larger than ${MAX_BODY / 2 ** 20} MiB`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

/**
 * `kiln serve`: the studio's static files and a WebSocket to the engine, on loopback by default.
 * Every request must carry the token from the printed URL (query) or the cookie the page got with it.
 * The Host header is checked too, so a web page elsewhere cannot reach the server by DNS rebinding.
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('hex');
  const root = options.rendererDir ?? paths.rendererDir;
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`the studio's page is not built (${join(root, 'index.html')} is missing): run "npm run build"`);
  }
  const relay = new EngineRelay();
  let port = 0;

  // Listening on every interface (0.0.0.0 or ::) means the user wants other machines to connect,
  // under whatever name they use; the token still guards every request.
  const anyInterface = host === '0.0.0.0' || host === '::';
  const allowedHost = (req: IncomingMessage): boolean => {
    if (anyInterface) return true;
    const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
    return names.has(req.headers.host ?? '');
  };
  const authorised = (req: IncomingMessage, url: URL): boolean => sameToken(url.searchParams.get('token'), token) || sameToken(cookieToken(req), token);

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!allowedHost(req)) return refuse(res, 421, 'Kiln: unexpected Host header');
    // TensorFlow Serving's clients send no token: the model API is open to this machine's programs,
    // but not to web pages elsewhere (a browser sends their Origin).
    if (options.model && url.pathname.startsWith('/v1/')) {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) return refuse(res, 403, 'Kiln: the model API does not answer other web pages');
      void (async () => {
        try {
          const body = req.method === 'POST' ? await readBody(req) : undefined;
          const reply = await handleServingRequest(options.model!, req.method ?? 'GET', url.pathname, body);
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
        } catch (err) {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
        }
      })();
      return;
    }
    if (!authorised(req, url)) return refuse(res, 403, 'Kiln: this address needs its access token: open the URL that "kiln serve" printed');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Kiln: method not allowed');
    const relative = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^([/\\])+/, '');
    const file = join(root, relative);
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return refuse(res, 404, 'Kiln: not found');
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    };
    if (url.searchParams.has('token')) headers['set-cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A browser always sends Origin: only the studio's own page may open the socket.
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://${req.headers.host}`;
    if (url.pathname !== '/rpc' || !allowedHost(req) || !originOk || !authorised(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => relay.attach(new WebSocketTransport(ws)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  relay.warmUp();
  const urlHost = anyInterface ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    relay,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await relay.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
