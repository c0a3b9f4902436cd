// `node bench/runsDashboard.js`: what the live Runs view costs the training it watches (issue 7:
// within 5% of a headless run). Starts `kiln serve` on a fresh logdir and trains LeNet-5 on
// sample:mnist many times through the engine's RPC, interleaving
//  - headless: no page open;
//  - dashboard: the studio open in Chromium on the Runs view, its charts following the run live
//    (the runs store polls the running run's scalars about 6 times a second);
//  - same CPU, no page (all cores only): a plain process that burns the CPU time Chromium used in
//    the round before, in 5 ms bursts: what any program using that much CPU costs the training.
// Twice: training on every core, and with the training setting cpuThreads = cores - 1, which
// leaves a core to the studio (skipped on a one-core machine). Throughput is the steady state:
// samples between the first and the last metric batch over the time between them (startup and
// data loading excluded). Prints each round (with the chart updates and the CPU time Chromium's
// processes and the `kiln serve` process tree used during it, read from /proc), the medians and
// the ratios; asserts nothing. Needs `npm run build` (with the Runs view wired into the app).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
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
const EPOCHS = Number(process.env.EPOCHS ?? 15);
const lenet = TEMPLATES.find((t) => t.id === 'lenet5');
const requestFor = (extra) => ({ model: lenet.model, config: { dataset: lenet.data, training: { ...lenet.training, epochs: EPOCHS, ...extra } } });

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
async function trainOnce(rpc, request) {
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

/** A process that keeps a core busy `share` of the time (0..1), in 5 ms bursts. */
function burner(share) {
  const on = 5;
  const period = Math.max(on, on / Math.max(share, 1e-3));
  return spawn(process.execPath, ['-e', `setInterval(() => { const end = performance.now() + ${on}; while (performance.now() < end); }, ${period})`], { stdio: 'ignore' });
}

const logdir = mkdtempSync(join(tmpdir(), 'kiln-runs-bench-'));
const serve = await startServe(logdir);
const rpc = await connect(serve.port, serve.token);
const browser = await chromium.launch({ executablePath: process.env.KILN_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking'] });
const chromiumCpu = () => cpuSeconds(process.pid, /chrom/i);
const hostCpu = () => cpuSeconds(serve.child.pid, /./);

/** One training with the Runs view open; samples/s, chart updates and Chromium's CPU seconds. */
async function withDashboard(request) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
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
    const [chromiumBefore, hostBefore, started] = [chromiumCpu(), hostCpu(), performance.now()];
    const samples = await trainOnce(rpc, request);
    const seconds = (performance.now() - started) / 1000;
    const [chromium, host] = [chromiumCpu() - chromiumBefore, hostCpu() - hostBefore];
    await page.evaluate(() => window.dispatchEvent(new Event('bench-stop')));
    return { samples, seconds, chromium, host, updates: await polls };
  } finally {
    await page.close();
  }
}

/** Interleaved rounds of one configuration; prints each round and the medians. */
async function measure(label, request, control) {
  const f = { headless: [], dashboard: [], control: [], chromium: [], updates: [] };
  console.log(`${label}: warm-up ${(await trainOnce(rpc, request)).toFixed(0)} samples/s`); // data cache, page cache
  for (let round = 0; round < ROUNDS; round++) {
    const hostBefore = hostCpu();
    f.headless.push(await trainOnce(rpc, request));
    const hostHeadless = hostCpu() - hostBefore;
    const d = await withDashboard(request);
    f.dashboard.push(d.samples);
    f.chromium.push(d.chromium / d.seconds);
    f.updates.push(d.updates / d.seconds);
    let line = `  round ${round + 1}: headless ${f.headless.at(-1).toFixed(0)} samples/s, dashboard ${d.samples.toFixed(0)} samples/s (${d.updates} chart updates in ${d.seconds.toFixed(1)} s); ` +
      `CPU s: Chromium ${d.chromium.toFixed(2)} (${((d.chromium / Math.max(1, d.updates)) * 1000).toFixed(0)} ms an update), kiln serve ${d.host.toFixed(2)} (headless ${hostHeadless.toFixed(2)})`;
    if (control) {
      const load = burner(d.chromium / d.seconds);
      try {
        f.control.push(await trainOnce(rpc, request));
      } finally {
        load.kill();
      }
      line += `; same CPU, no page ${f.control.at(-1).toFixed(0)} samples/s`;
    }
    console.log(line);
  }
  const h = median(f.headless);
  const pct = (x) => `${((median(x) / h) * 100).toFixed(1)}% of headless`;
  console.log(`  median: headless ${h.toFixed(0)} samples/s, with the Runs view ${median(f.dashboard).toFixed(0)} samples/s: ${pct(f.dashboard)}` +
    (control ? `; a process using Chromium's CPU instead: ${pct(f.control)}` : '') +
    `; ${median(f.updates).toFixed(1)} chart updates/s, Chromium busy ${(median(f.chromium) * 100).toFixed(0)}% of a core`);
}

try {
  const cores = cpus().length;
  await measure(`training on all ${cores} cores`, requestFor({}), true);
  if (cores > 1) await measure(`training on ${cores - 1} of ${cores} cores (cpuThreads ${cores - 1}: a core left to the studio)`, requestFor({ cpuThreads: cores - 1 }), false);
} finally {
  await browser.close();
  rpc.client.close();
  serve.child.kill('SIGTERM');
  rmSync(logdir, { recursive: true, force: true });
}
