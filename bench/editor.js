// `node bench/editor.js`: interaction latency of the graph editor's store on a generated 300-layer
// model (a ResNet-style stack of residual blocks). Each figure is one store action plus everything
// the editor recomputes after it (analysis, parameter counts, edge shapes, positions), which must
// fit in a 16 ms frame. The store is renderer code, outside the Node build, so this bundles it with
// rolldown first. Prints median and 95th-percentile milliseconds; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const ROUNDS = 200;
const WARMUP = 20;
const root = fileURLToPath(new URL('..', import.meta.url));

async function load() {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-editor-'));
  try {
    const bundle = await rolldown({
      input: { store: join(root, 'renderer/stores/editorStore.ts'), model: join(root, 'common/model/index.ts'), layout: join(root, 'common/model/autoLayout.ts') },
      platform: 'node',
      resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
      logLevel: 'warn',
    });
    await bundle.write({ dir, format: 'esm', entryFileNames: '[name].mjs' });
    const store = await import(pathToFileURL(join(dir, 'store.mjs')).href);
    const model = await import(pathToFileURL(join(dir, 'model.mjs')).href);
    const layout = await import(pathToFileURL(join(dir, 'layout.mjs')).href);
    return { ...store, ...model, ...layout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Input, a stem convolution, 42 residual blocks of 7 layers, and a 4-layer classifier head: 300 layers. */
function residualStack() {
  const layers = [];
  const edges = [];
  const add = (type, params, ...inputs) => {
    const id = `l${layers.length}`;
    layers.push({ id, name: id, type, params });
    inputs.forEach((from) => edges.push({ from, to: id }));
    return id;
  };
  const conv = { filters: 16, kernel_size: [3, 3], padding: 'same' };
  let x = add('Conv2D', conv, add('Input', { shape: [32, 32, 3] }));
  for (let b = 0; b < 42; b++) {
    const y = add('BatchNormalization', {}, add('Conv2D', conv, x));
    const z = add('BatchNormalization', {}, add('Conv2D', conv, add('ReLU', {}, y)));
    x = add('ReLU', {}, add('Add', {}, x, z));
  }
  const features = add('Dense', { units: 64, activation: 'relu' }, add('GlobalAveragePooling2D', {}, x));
  add('Dense', { units: 10, activation: 'softmax' }, add('Dropout', { rate: 0.2 }, features));
  return { layers, edges };
}

function measure(name, run, reset = () => {}) {
  const times = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const start = performance.now();
    const refused = run(i);
    const ms = performance.now() - start;
    if (refused) throw new Error(`${name}: ${refused}`);
    reset(i);
    if (i >= WARMUP) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  console.log(`${name.padEnd(34)} median ${at(0.5).toFixed(2).padStart(6)} ms   p95 ${at(0.95).toFixed(2).padStart(6)} ms`);
}

const { createEditorStore, analyzeModel, autoLayout } = await load();
const doc = residualStack();
const editor = createEditorStore(doc);
const s = () => editor.getState();
s().autoLayout();
const laidOut = s().model;
const report = analyzeModel(laidOut);
console.log(`editor store on a ${doc.layers.length}-layer residual stack (${doc.edges.length} connections, ${report.issues.length} issues), ${ROUNDS} rounds`);

const mid = doc.layers.find((l) => l.type === 'Conv2D' && Number(l.id.slice(1)) > 150).id;
measure('analyzeModel alone', () => void analyzeModel(laidOut));
measure('autoLayout alone', () => void autoLayout(laidOut));
measure('setParam (kernel_size, mid-graph)', (i) => s().setParam(mid, 'kernel_size', i % 2 ? [3, 3] : [5, 5]));
measure('addLayer (Dense)', () => s().addLayer('Dense', { x: 0, y: -200 }), () => s().undo());
measure('moveLayers (one layer, drag end)', (i) => s().moveLayers({ [mid]: { x: i, y: 1000 } }));
measure('moveLayers (30 layers)', (i) => s().moveLayers(Object.fromEntries(doc.layers.slice(100, 130).map((l, k) => [l.id, { x: i, y: k * 50 }]))));
measure('autoLayout (action)', () => s().autoLayout(), () => s().undo());
s().setParam(mid, 'kernel_size', [7, 7]);
measure('undo + redo of a setParam', () => (s().undo(), s().redo(), null));
