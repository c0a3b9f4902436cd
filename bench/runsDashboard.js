// `node bench/runsDashboard.js`: what the live Runs view costs the training it watches (issue 7:
// within 5% of a headless run). Starts `kiln serve` on a fresh logdir and trains LeNet-5 on
// sample:mnist several times through the engine's RPC, alternating
//  - headless: no page open;
//  - dashboard: the studio open in Chromium on the Runs view, its charts following the run live
//    (the runs store polls the running run's scalars about 6 times a second).
// Throughput is the steady state: samples between the first and the last metric batch over the
// time between them (startup and data loading excluded). Prints each round (with the chart
// updates and the CPU time Chromium's processes and the `kiln serve` process tree used during it,
// read from /proc), the medians and their ratio; asserts nothing. Needs `npm run build` (with the
// Runs view wired into the app).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

/* global window, document, MutationObserver -- in functions run in the page */
const root = fileURLToPath(new URL('..', import.meta.url));
const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
const { TEMPLATES } = await import(out('common/model/index.js'));
const { BaseTransport, RpcClient, createProxy } = await import(out('common/rpc/index.js'));

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const EPOCHS = Number(process.env.EPOCHS ?? 5);
const lenet = TEMPLATES.find((t) => t.id === 'lenet5');
const request = { model: lenet.model, config: { dataset: lenet.data, training: { ...lenet.training, epochs: EPOCHS } } };

function startServe(logdir) {
  const child = spawn(process.execPath, ['bin/kiln.js', 'serve', '--port', '0', '--logdir', logdir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const read = (chunk) => {
      text += chunk;
      const match = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+))/.exec(text);
      if (match) resolve({ child, url: match[1], port: match[2], token: match[3] });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`kiln serve exited with ${code}:\n${text}`)));
  });
}

class SocketTransport extends BaseTransport {
  constructor(socket) {
    super();
    this.socket = socket;
    socket.on('message', (data) => this.received(data.toString()));
    socket.on('close', () => this.closed('socket closed'));
  }
  send(text) {
    this.socket.send(text);
  }
  closeChannel() {
    this.socket.close();
  }
}

async function connect(port, token) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${token}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const client = new RpcClient(new SocketTransport(socket));
  return { client, engine: createProxy(client) };
}

/** Trains once; samples/s between the first and the last metric batch. */
async function trainOnce(rpc) {
  let first = null;
  let last = null;
  const ended = new Promise((resolve) => {
    const sub = rpc.client.onEvent((event, data) => {
      if (event === 'run.didMetrics' && data.points.length > 0) {
        const now = performance.now();
        const step = data.points.at(-1).step;
        first ??= { now, step };
        last = { now, step };
      }
      if (event === 'run.didEnd') {
        sub.dispose();
        resolve(data);
      }
    });
  });
  await rpc.engine.startRun(request);
  const end = await ended;
  if (end.status !== 'completed') throw new Error(`the run ended ${end.status}: ${end.error?.message ?? ''}`);
  return ((last.step - first.step) * request.config.training.batchSize) / ((last.now - first.now) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds (user + system) used so far by the processes below `root` whose command matches `name` (Linux /proc; 0 elsewhere). */
function cpuSeconds(root, name) {
  const procs = new Map();
  let pids;
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      procs.set(Number(pid), { comm: stat.slice(stat.indexOf('(') + 1, close), parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid) => {
    for (let p = procs.get(pid); p; p = procs.get(p.parent)) if (p.parent === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) if ((pid === root || below(pid)) && name.test(p.comm)) ticks += p.ticks;
  return ticks / 100;  // USER_HZ
}

const logdir = mkdtempSync(join(tmpdir(), 'kiln-runs-bench-'));
const serve = await startServe(logdir);
const rpc = await connect(serve.port, serve.token);
const browser = await chromium.launch({ executablePath: process.env.KILN_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking'] });
const figures = { headless: [], dashboard: [], chromium: [], updates: [] };
const chromiumCpu = () => cpuSeconds(process.pid, /chrom/i);
const hostCpu = () => cpuSeconds(serve.child.pid, /./);
try {
  console.log(`warm-up: ${(await trainOnce(rpc)).toFixed(0)} samples/s`); // data cache, page cache
  for (let round = 0; round < ROUNDS; round++) {
    const hostBefore = hostCpu();
    figures.headless.push(await trainOnce(rpc));
    const hostHeadless = hostCpu() - hostBefore;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(serve.url);
    await page.getByTestId('mode-runs').click();
    await page.getByTestId('runs-view').waitFor();
    const polls = page.evaluate(() => new Promise((resolve) => {
      // Counts chart updates while the run trains, to show the view was live.
      let n = 0;
      const observer = new MutationObserver(() => n++);
      observer.observe(document.querySelector('[data-testid="runs-view"]'), { attributes: true, subtree: true, attributeFilter: ['data-points'] });
      window.addEventListener('bench-stop', () => resolve(n), { once: true });
    }));
    const [chromiumBefore, hostBefore2, started] = [chromiumCpu(), hostCpu(), performance.now()];
    const samples = await trainOnce(rpc);
    const seconds = (performance.now() - started) / 1000;
    const [chromium, host] = [chromiumCpu() - chromiumBefore, hostCpu() - hostBefore2];
    await page.evaluate(() => window.dispatchEvent(new Event('bench-stop')));
    figures.dashboard.push(samples);
    const updates = await polls;
    figures.chromium.push(chromium / seconds);
    figures.updates.push(updates / seconds);
    console.log(`round ${round + 1}: headless ${figures.headless.at(-1).toFixed(0)} samples/s, dashboard ${samples.toFixed(0)} samples/s (${updates} chart updates in ${seconds.toFixed(1)} s); ` +
      `CPU s: Chromium ${chromium.toFixed(2)} (${((chromium / Math.max(1, updates)) * 1000).toFixed(0)} ms an update), kiln serve ${host.toFixed(2)} (headless ${hostHeadless.toFixed(2)})`);
    await page.close();
  }
  const h = median(figures.headless);
  const d = median(figures.dashboard);
  console.log(`median: headless ${h.toFixed(0)} samples/s, with the Runs view ${d.toFixed(0)} samples/s: ${((d / h) * 100).toFixed(1)}% of headless; ` +
    `${median(figures.updates).toFixed(1)} chart updates/s, Chromium busy ${(median(figures.chromium) * 100).toFixed(0)}% of a core`);
} finally {
  await browser.close();
  rpc.client.close();
  serve.child.kill('SIGTERM');
  rmSync(logdir, { recursive: true, force: true });
}
