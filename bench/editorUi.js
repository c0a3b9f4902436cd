// `node bench/editorUi.js`: interaction latency of the graph editor in a real browser, on a
// generated 300-layer project (a ResNet-style CNN with a residual MLP head). Starts `kiln serve`,
// opens the studio in Debian's Chromium (headless, --disable-gpu: software raster), opens the
// project through Project → Open…, and times in the page (event timestamps, MutationObserver,
// requestAnimationFrame), from the input event to the paint that shows its result, so the DevTools
// protocol's round trips are not counted:
//  - adding a layer (palette double-click; undone with Ctrl+Z between rounds, which is timed too);
//  - editing a parameter in the inspector (a Dense layer's units, Enter) until its output shape shows;
//  - dragging a node: its first move (which selects it), the frame intervals while it moves, and
//    release to the committed move painted.
// A click on an empty page, timed the same way, gives the floor (the wait for the next frame).
// Prints median and 95th-percentile milliseconds; asserts nothing. Needs `npm run build`.
/* global window, document, getComputedStyle, DOMMatrixReadOnly, requestAnimationFrame, MutationObserver, addEventListener, removeEventListener -- in functions run in the page */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
if (!existsSync(join(root, 'out/renderer/index.html'))) throw new Error('bench/editorUi.js needs the built studio: run `npm run build` first');
const { analyzeModel } = await import(out('common/model/index.js'));
const { autoLayout } = await import(out('common/model/autoLayout.js'));
const { newProject, serializeProject } = await import(out('common/project/projectFile.js'));

const WARMUP = 3;
const ROUNDS = 20;
const DRAGS = 5;
const DRAG_STEPS = 30;
const VIEWPORT = { width: 1440, height: 900 };

/** Keras's layer name for a class: Conv2D -> conv2d, BatchNormalization -> batch_normalization. */
const snakeCase = (type) => type.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * 300 layers, every one valid: a stem, 3 stages of 12 residual blocks (Conv2D, BatchNormalization,
 * ReLU, Conv2D, BatchNormalization, Add, ReLU) joined by strided convolutions, global pooling, and
 * 7 residual MLP blocks (Dense, Dropout, Dense, Add, LayerNormalization) before the classifier.
 * Positions come from auto-layout, as in a project the editor saved.
 */
function residualNetwork() {
  const layers = [];
  const edges = [];
  const counts = new Map();
  const add = (type, params, ...inputs) => {
    const base = snakeCase(type);
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    const id = n === 0 ? base : `${base}_${n}`;
    layers.push({ id, name: id, type, params });
    inputs.forEach((from, index) => edges.push(inputs.length > 1 ? { from, to: id, index } : { from, to: id }));
    return id;
  };
  const conv = (x, filters, strides = 1) => add('Conv2D', { filters, kernel_size: [3, 3], strides: [strides, strides], padding: 'same', use_bias: false }, x);
  const bn = (x) => add('BatchNormalization', {}, x);
  const relu = (x) => add('ReLU', {}, x);
  let x = relu(bn(conv(add('Input', { shape: [28, 28, 1] }), 32)));
  for (const [stage, filters] of [32, 64, 128].entries()) {
    if (stage > 0) x = relu(bn(conv(x, filters, 2)));
    for (let b = 0; b < 12; b++) x = relu(add('Add', {}, x, bn(conv(relu(bn(conv(x, filters))), filters))));
  }
  x = add('Dense', { units: 256, activation: 'relu' }, add('GlobalAveragePooling2D', {}, x));
  const hidden = [];
  for (let b = 0; b < 7; b++) {
    const h = add('Dense', { units: 512, activation: 'relu' }, x);
    hidden.push(h);
    x = add('LayerNormalization', {}, add('Add', {}, x, add('Dense', { units: 256 }, add('Dropout', { rate: 0.1 }, h))));
  }
  add('Dense', { units: 10, activation: 'softmax' }, x);
  const model = { layers, edges };
  model.layout = { positions: autoLayout(model) };
  return { model, hidden };
}

/** Runs in the page: probes timed against the page's own clock. */
function installProbes() {
  /** After the next frame is painted: a task queued from requestAnimationFrame runs once the frame is out. */
  const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now());
    channel.port2.postMessage(null);
  }));
  let frames = null;
  window.kilnBench = {
    pending: null,
    /**
     * Times from the last `event` (its timestamp, when the browser received the input) to the paint
     * after `selector`'s `attribute` (or its text, when null) changes; `pending` resolves with ms.
     */
    arm(event, selector, attribute) {
      const target = document.querySelector(selector);
      if (!target) throw new Error(`nothing on the page matches ${selector}`);
      const read = () => (attribute ? target.getAttribute(attribute) : target.textContent);
      const before = read();
      let start = null;
      const onEvent = (e) => (start = e.timeStamp);
      addEventListener(event, onEvent, { capture: true });
      this.pending = new Promise((resolve, reject) => {
        const observer = new MutationObserver(() => {
          if (read() === before) return;
          stop();
          if (start === null) return reject(new Error(`${selector} changed before any ${event}: ${before} -> ${read()}`));
          void afterPaint().then((painted) => resolve(painted - start));
        });
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`${selector} did not change within 10 s of the ${event}`));
        }, 10_000);
        const stop = () => {
          observer.disconnect();
          clearTimeout(timer);
          removeEventListener(event, onEvent, { capture: true });
        };
        observer.observe(target, attribute ? { attributes: true, attributeFilter: [attribute] } : { childList: true, characterData: true, subtree: true });
      });
    },
    startFrames() {
      frames = [];
      const tick = (t) => {
        if (!frames) return;
        frames.push(t);
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    },
    /** The intervals between the frames since startFrames(). */
    stopFrames() {
      const t = frames;
      frames = null;
      return t.slice(1).map((v, i) => v - t[i]);
    },
  };
}

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95), max: sorted.at(-1) };
}

function report(name, times, note) {
  const { median, p95, max } = summary(times);
  const ms = (v) => v.toFixed(1).padStart(6);
  console.log(`${name.padEnd(40)} median ${ms(median)} ms   p95 ${ms(p95)} ms   max ${ms(max)} ms   ${note}`);
}

/** `kiln serve --port 0` with its own settings folder; resolves with the child and the URL it prints. */
function startServe(configDir) {
  const child = spawn(process.execPath, ['bin/kiln.js', 'serve', '--port', '0'], { cwd: root, env: { ...process.env, KILN_CONFIG_DIR: configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiln serve printed no URL:\n${output}`)), 20_000);
    const read = (chunk) => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`kiln serve exited with ${code}:\n${output}`)));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const node = (page, id) => page.getByTestId(`layer-node-${id}`);

/** Milliseconds from the last `event` that `act` causes to the paint after `selector`'s `attribute` (or text) changes. */
async function timed(page, event, selector, attribute, act) {
  await page.evaluate(([e, s, a]) => window.kilnBench.arm(e, s, a), [event, selector, attribute]);
  await act();
  return page.evaluate(() => window.kilnBench.pending);
}

/** Adds a Dense layer from the palette and undoes it, ROUNDS times (after WARMUP). */
async function measureAdds(page, layers) {
  const count = (n) => page.locator(`[data-testid=model-canvas][data-layers="${n}"]`).waitFor();
  const adds = [];
  const undos = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const add = await timed(page, 'dblclick', '[data-testid=model-canvas]', 'data-layers', () => page.getByTestId('palette-Dense').dblclick());
    await count(layers + 1);
    const undo = await timed(page, 'keydown', '[data-testid=model-canvas]', 'data-layers', () => page.keyboard.press('Control+z'));
    await count(layers);
    if (i >= WARMUP) {
      adds.push(add);
      undos.push(undo);
    }
  }
  return { adds, undos };
}

/**
 * Zooms to fit, pans layer `id` (stored at `position`) to the middle of the canvas by dragging free
 * canvas, zooms in on it; its centre on screen.
 */
async function bringIntoView(page, id, position) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('f');
  await sleep(400);  // the fit is animated
  const area = await page.getByTestId('model-canvas').boundingBox();
  const middle = { x: area.x + area.width / 2, y: area.y + area.height / 2 };
  const centreOf = () => page.evaluate(([layer, at]) => {
    const drawn = document.querySelector(`[data-testid=layer-node-${layer}]`);
    if (drawn) {
      const box = drawn.getBoundingClientRect();
      return { x: box.x + box.width / 2, y: box.y + box.height / 2, width: box.width };
    }
    // A canvas may leave out what is off screen: where it would draw the layer, by its transform.
    const viewport = document.querySelector('.react-flow__viewport');
    const m = new DOMMatrixReadOnly(getComputedStyle(viewport).transform);
    const origin = viewport.parentElement.getBoundingClientRect();
    return { x: origin.x + m.e + (at.x + 110) * m.a, y: origin.y + m.f + (at.y + 45) * m.a, width: 220 * m.a };
  }, [id, position]);
  const recentre = async () => {
    for (let at = await centreOf(); Math.hypot(middle.x - at.x, middle.y - at.y) > 30; at = await centreOf()) {
      const grab = await page.evaluate(({ x, y, width, height }) => {
        // The free spot of the canvas nearest its middle.
        let best = null;
        for (let gy = y + 20; gy < y + height - 20; gy += 20) for (let gx = x + 20; gx < x + width - 20; gx += 20) {
          const d = Math.hypot(gx - x - width / 2, gy - y - height / 2);
          if ((!best || d < best.d) && document.elementFromPoint(gx, gy)?.classList.contains('react-flow__pane')) best = { x: gx, y: gy, d };
        }
        return best;
      }, area);
      if (!grab) throw new Error('no free spot on the canvas to pan from');
      const to = (v, d, max) => Math.max(5, Math.min(max - 5, v + d));
      await page.mouse.move(grab.x, grab.y);
      await page.mouse.down();
      await page.mouse.move(to(grab.x, middle.x - at.x, VIEWPORT.width), to(grab.y, middle.y - at.y, VIEWPORT.height), { steps: 5 });
      await page.mouse.up();
    }
  };
  await recentre();
  // The wheel zooms about the pointer, which stays on the layer.
  for (let at = await centreOf(); at.width < 180; at = await centreOf()) {
    await page.mouse.move(at.x, at.y);
    await page.mouse.wheel(0, -400);
    await sleep(50);
  }
  await recentre();
  return centreOf();
}

/** Drags layer `id` DRAGS times: press, DRAG_STEPS small moves, release; each move undone before the next. */
async function measureDrags(page, id, position) {
  const from = await bringIntoView(page, id, position);
  const grab = { x: from.x, y: from.y - 20 };  // the node's head, clear of its ports
  const starts = [];
  const frames = [];
  const drops = [];
  for (let d = 0; d < DRAGS; d++) {
    await page.mouse.move(grab.x, grab.y);
    await page.mouse.down();
    // The first move starts the drag and selects the layer.
    starts.push(await timed(page, 'pointermove', `[data-testid=layer-node-${id}]`, 'class', () => page.mouse.move(grab.x + 3, grab.y + 2)));
    await page.evaluate(() => window.kilnBench.startFrames());
    // Each move is sent once the page has taken the last one, as a mouse sampled every frame.
    for (let i = 2; i <= DRAG_STEPS; i++) await page.mouse.move(grab.x + 3 * i, grab.y + 2 * i);
    frames.push(...await page.evaluate(() => window.kilnBench.stopFrames()));
    drops.push(await timed(page, 'pointerup', '[data-testid=undo]', 'title', () => page.mouse.up()));
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Escape');
    await page.waitForFunction(([layer, x]) => {
      const box = document.querySelector(`[data-testid=layer-node-${layer}]`).getBoundingClientRect();
      return Math.abs(box.x + box.width / 2 - x) < 2;
    }, [id, from.x]);
  }
  return { starts, frames, drops };
}

/** Sets Dense layer `id`'s units in the inspector, alternating 384 and 512, until its output shape shows it. */
async function measureEdits(page, id, position) {
  await bringIntoView(page, id, position);
  await node(page, id).click();
  const units = page.getByTestId('param-units');
  const edits = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    await units.fill(i % 2 ? '512' : '384');
    const ms = await timed(page, 'keydown', `[data-testid=output-shape-${id}]`, null, () => units.press('Enter'));
    if (i >= WARMUP) edits.push(ms);
  }
  return edits;
}

/** The probe's floor: a click that sets one attribute on an empty page, to painted (waiting for the frame included). */
async function measureFloor(browser) {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.setContent('<button type="button" onclick="this.dataset.clicks = Number(this.dataset.clicks ?? 0) + 1">click</button>');
  await page.evaluate(installProbes);
  const clicks = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const ms = await timed(page, 'click', 'button', 'data-clicks', () => page.click('button'));
    if (i >= WARMUP) clicks.push(ms);
  }
  await page.close();
  return clicks;
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-ui-'));
let serve;
let browser;
try {
  const network = residualNetwork();
  const analysis = analyzeModel(network.model);
  if (analysis.issues.length > 0) throw new Error(`the generated model has problems: ${analysis.issues.map((i) => i.message).join('; ')}`);
  const file = join(dir, 'resnet300.kiln.json');
  // MNIST's digits: without a dataset the studio would fit the Input to Iris's 4 features.
  writeFileSync(file, serializeProject({ ...newProject(network.model), data: 'sample:mnist' }));

  serve = await startServe(join(dir, 'config'));
  browser = await chromium.launch({
    executablePath: process.env.KILN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (err) => console.error('page error:', err));
  page.on('dialog', (d) => void d.accept());
  await page.goto(serve.url);
  await page.getByTestId('engine-status').and(page.locator('[data-status="ready"]')).waitFor({ timeout: 20_000 });

  await page.getByTestId('project-menu').click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('menu-open').click();
  await (await chooser).setFiles(file);
  await page.locator(`[data-testid=model-canvas][data-layers="${network.model.layers.length}"]`).waitFor({ timeout: 30_000 });
  await page.getByTestId('dataset').filter({ hasText: /sample:mnist \(/ }).waitFor({ timeout: 20_000 });
  const shown = await page.getByTestId('model-issues').getAttribute('data-count');
  if (shown !== '0') throw new Error(`the studio shows ${shown} problems in the generated model: ${await page.getByTestId('model-issues').textContent()}`);
  await page.evaluate(installProbes);

  const { adds, undos } = await measureAdds(page, network.model.layers.length);
  const convs = network.model.layers.filter((l) => l.type === 'Conv2D');
  const dragged = convs[Math.floor(convs.length / 2)].id;
  const { starts, frames, drops } = await measureDrags(page, dragged, network.model.layout.positions[dragged]);
  // A hidden layer of the MLP head: its output shape changes, the graph stays valid.
  const edited = network.hidden[3];
  const edits = await measureEdits(page, edited, network.model.layout.positions[edited]);
  console.log(`editor UI in Chromium ${browser.version()} (headless, software rendering), ${VIEWPORT.width}x${VIEWPORT.height}: ` +
    `a ${network.model.layers.length}-layer project (${network.model.edges.length} connections, every layer valid)`);
  report('reference: a click on an empty page', await measureFloor(browser), 'the floor: one attribute set, to painted');
  report('add a layer (palette double-click)', adds, `${ROUNDS} rounds`);
  report('undo the add (Ctrl+Z)', undos, `${ROUNDS} rounds`);
  report(`edit a parameter (${edited} units, Enter)`, edits, `${ROUNDS} rounds`);
  report(`drag a node (${dragged}): first move`, starts, `${DRAGS} drags: the move that selects it, to painted`);
  report('drag a node: frame interval', frames, `${frames.length} frames over ${DRAGS} drags of ${DRAG_STEPS} moves`);
  report('drag a node: release to drop painted', drops, `${DRAGS} drags`);
} finally {
  await browser?.close();
  serve?.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
