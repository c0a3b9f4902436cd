// Kiln's Keras export opened by Keras 3. For every template and the models of kerasCodeModels.ts
// (together every layer of the catalogue), Kiln's engine trains two steps from seeded random
// weights and predicts a fixed batch; the archive written from the trained weights is opened with
// keras.models.load_model (export_keras.py), which must compile it without a warning, rebuild
// model.layers in the archive's order and predict what Kiln predicts within 1e-4. The train.py
// beside it must run one epoch under MirroredStrategy (here one CPU replica) on tiny data in each
// form it reads (.npz, CSV, an image folder), and under MultiWorkerMirroredStrategy when TF_CONFIG
// names a one-worker cluster.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KerasTrainingData } from '../../common/export/keras/index.js';
import { writeNpz } from '../../common/formats/npz.js';
import { analyzeModel, LAYERS, lowerModel, TEMPLATES, type ModelDoc, type TrainingConfig } from '../../common/model/index.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import { kerasExportFiles } from '../../electron/host/export/kerasArchive.js';
import { worstRelative } from '../support/layerConformance.js';
import { CODE_CASES, type CodeCase } from './kerasCodeModels.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;
const missing = tensorflowMissing();
const PYTHON_ENV = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' };

const CASES: CodeCase[] = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model, training: t.training })), ...CODE_CASES];
const BATCH = 4;

/** Seeded uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const size = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** Weights of a sensible scale (variances positive), so that deep models neither vanish nor explode. */
function randomWeights(model: ModelDoc, rand: () => number): Record<string, Float32Array> {
  const weights: Record<string, Float32Array> = {};
  for (const info of analyzeModel(model).order) {
    for (const w of info.weights) {
      const fanIn = w.shape.length >= 2 ? size(w.shape.slice(0, -1)) : 1;
      const scale = w.shape.length >= 2 ? 1 / Math.sqrt(fanIn) : 0.2;
      const draw = w.name.endsWith('variance') ? () => 0.5 + rand() : w.name === 'count' ? () => 100 : () => (2 * rand() - 1) * scale;
      weights[`${info.layer.name}/${w.name}`] = Float32Array.from({ length: size(w.shape) }, draw);
    }
  }
  return weights;
}

/** Random inputs for `samples` samples: token indices below the smallest Embedding's input_dim, else [0, 1). */
function randomInputs(model: ModelDoc, samples: number, rand: () => number): { shape: number[]; dtype: 'float32' | 'int32'; data: Float32Array | Int32Array }[] {
  const analysis = analyzeModel(model);
  const vocabulary = Math.min(...analysis.order.filter((o) => o.layer.type === 'Embedding').map((o) => o.params.input_dim as number));
  return analysis.inputs.map((id) => {
    const info = analysis.order.find((o) => o.layer.id === id)!;
    const shape = [samples, ...(info.shape.slice(1) as number[])];
    const int = info.params.dtype === 'int32';
    return { shape, dtype: int ? 'int32' : 'float32', data: int ? Int32Array.from({ length: size(shape) }, () => Math.floor(rand() * vocabulary)) : Float32Array.from({ length: size(shape) }, rand) };
  });
}

/** Kiln trains two steps from random weights and predicts a batch: the trained weights, the batch and the predictions. */
async function trainAndPredict(c: CodeCase, seed: number) {
  const rand = random(seed);
  const training: TrainingConfig = { ...c.training, batchSize: BATCH };
  const lowered = lowerModel(c.model, training);
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  const engine = new addon.Model(lowered.spec, { backend: 'cpu' });
  engine.setWeights(randomWeights(c.model, rand));
  const trainX = randomInputs(c.model, 2 * BATCH, rand);
  const trainY = lowered.spec.targets.map((t) => {
    const n = 2 * BATCH * size(t.shape);
    if (t.dtype !== 'int32') return Float32Array.from({ length: n }, rand);
    const classes = lowered.analysis.shapes.get(lowered.analysis.outputs[lowered.spec.targets.indexOf(t)])!.at(-1) as number;
    return Int32Array.from({ length: n }, () => Math.floor(rand() * classes));
  });
  await engine.fit({ x: trainX.map((x) => x.data), y: trainY }, { epochs: 1, batchSize: BATCH, shuffle: false });
  const inputs = randomInputs(c.model, BATCH, rand);
  const predictions = await engine.predict({ x: inputs.map((x) => x.data) }, { batchSize: BATCH });
  return { weights: engine.getWeights(), inputs, predictions, analysis: lowered.analysis };
}

type KerasResult =
  | { outputs: { shape: number[]; data: number[] }[]; layers: string[]; inputs: string[]; output_names: string[]; optimizer: string; loss: unknown; warnings: string[] }
  | { error: string };

describe('the models exported to Keras', () => {
  it('use every layer type of the catalogue', () => {
    const used = new Set(CASES.flatMap((c) => c.model.layers.map((l) => l.type)));
    expect([...LAYERS.keys()].filter((t) => !used.has(t))).toEqual([]);
    expect(CASES.length).toBeGreaterThanOrEqual(10);
  });
});

describe.skipIf(missing !== null && !process.env.CI)(`Kiln's .keras archives opened by keras.models.load_model${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  const kiln = new Map<string, Awaited<ReturnType<typeof trainAndPredict>>>();
  const archives = new Map<string, Map<string, Uint8Array>>();
  const results = new Map<string, KerasResult>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-export-keras-'));
    const cases = [];
    for (const [i, c] of CASES.entries()) {
      const run = await trainAndPredict(c, 1000 + i);
      kiln.set(c.name, run);
      const files = await kerasExportFiles({ model: c.model, analysis: run.analysis, weights: run.weights, training: c.training, name: c.name });
      archives.set(c.name, files);
      const path = join(dir, `${c.name}.keras`);
      writeFileSync(path, files.get('model.keras')!);
      cases.push({ path, inputs: run.inputs.map((x) => ({ shape: x.shape, dtype: x.dtype, data: Array.from(x.data) })) });
    }
    const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/export_keras.py`], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: PYTHON_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    (JSON.parse(out) as KerasResult[]).forEach((r, i) => results.set(CASES[i].name, r));
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const opened = (name: string) => {
    const r = results.get(name)!;
    if ('error' in r) throw new Error(`keras.models.load_model refused ${name}.keras: ${r.error}`);
    return r;
  };

  it.each(CASES.map((c) => c.name))('%s: load_model opens it compiled, without a warning, and predicts what Kiln predicts', (name) => {
    const keras = opened(name);
    const { predictions, analysis } = kiln.get(name)!;
    expect(keras.warnings).toEqual([]);
    const config = JSON.parse(strFromU8(unzipSync(archives.get(name)!.get('model.keras')!)['config.json'])) as { config: { layers: { name: string }[] }; compile_config: { optimizer: { class_name: string } } };
    expect(keras.layers).toEqual(config.config.layers.map((l) => l.name));
    expect(keras.optimizer).toBe(config.compile_config.optimizer.class_name);
    const names = (ids: string[]) => ids.map((id) => analysis.order.find((o) => o.layer.id === id)!.layer.name);
    expect(keras.inputs).toEqual(names(analysis.inputs));
    expect(keras.output_names).toEqual(names(analysis.outputs));
    expect(keras.outputs).toHaveLength(predictions.length);
    keras.outputs.forEach((y, i) => {
      expect(y.shape).toEqual([BATCH, ...(analysis.shapes.get(analysis.outputs[i])!.slice(1) as number[])]);
      expect(worstRelative(y.data, predictions[i]), `${name} output ${keras.output_names[i]}`).toBeLessThan(1e-4);
    });
  });

  /** Writes the export with train.py for `data` (written by `write` into the folder), runs it for one epoch, and returns its output. */
  async function runTrainScript(name: string, data: KerasTrainingData, write: (folder: string) => void, more: { env?: Record<string, string>; training?: Partial<TrainingConfig> } = {}): Promise<{ folder: string; out: string }> {
    const c = CASES.find((x) => x.name === name)!;
    const folder = join(dir, `train_${name}_${data.format}`);
    mkdirSync(folder);
    write(folder);
    const { weights, analysis } = kiln.get(name)!;
    const training = { ...c.training, epochs: 1, batchSize: 4, ...more.training };
    const files = await kerasExportFiles({ model: c.model, analysis, weights, training, name, data: { ...data, path: join(folder, data.path) } });
    for (const [file, bytes] of files) writeFileSync(join(folder, file), bytes);
    const out = execFileSync(`${root}.venv/bin/python`, ['train.py'], { cwd: folder, encoding: 'utf8', env: { ...PYTHON_ENV, ...more.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return { folder, out };
  }

  const labels = (n: number, classes: number) => Int32Array.from({ length: n }, (_, i) => i % classes);
  const floats = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 10) / 10);

  it('train.py trains an .npz under MirroredStrategy and saves the trained model', async () => {
    const { folder, out } = await runTrainScript('mlp', { path: 'data.npz', format: 'npz' }, (f) => writeFileSync(join(f, 'data.npz'), writeNpz({ x_train: { shape: [16, 4], data: floats(64) }, y_train: { shape: [16], data: labels(16, 3) } })));
    expect(out).toContain('Training with MirroredStrategy\n1 replica(s) in sync');
    expect(existsSync(join(folder, 'trained.keras'))).toBe(true);
  }, 150_000);

  it('train.py reads x_train_<input> and y_train_<output> for a model with several inputs and outputs', async () => {
    const arrays = {
      x_train_left: { shape: [16, 6], data: floats(96) },
      x_train_right: { shape: [16, 6], data: floats(96) },
      y_train_class_out: { shape: [16], data: labels(16, 3) },
      y_train_value_out: { shape: [16, 1], data: floats(16) },
    };
    const { out } = await runTrainScript('merges', { path: 'data.npz', format: 'npz' }, (f) => writeFileSync(join(f, 'data.npz'), writeNpz(arrays)));
    expect(out).toContain('Training with MirroredStrategy');
  }, 150_000);

  it('train.py trains under MultiWorkerMirroredStrategy when TF_CONFIG names a cluster', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const tfConfig = JSON.stringify({ cluster: { worker: [`localhost:${port}`] }, task: { type: 'worker', index: 0 } });
    const arrays = { x_train_tokens: { shape: [16, 10], data: Int32Array.from({ length: 160 }, (_, i) => i % 50) }, x_train_numbers: { shape: [16, 5], data: floats(80) }, y_train: { shape: [16, 1], data: floats(16) } };
    const { folder, out } = await runTrainScript('mixed', { path: 'data.npz', format: 'npz' }, (f) => writeFileSync(join(f, 'data.npz'), writeNpz(arrays)), { env: { TF_CONFIG: tfConfig } });
    expect(out).toContain('Training with MultiWorkerMirroredStrategy (TF_CONFIG names the cluster)\n1 replica(s) in sync');
    expect(existsSync(join(folder, 'trained.keras'))).toBe(true);
  }, 150_000);

  it('train.py reads a CSV table: numbers, a text column one-hot, standardised as Kiln did', async () => {
    const rows = ['a,b,c,d,e,f,g,colour,mpg', ...Array.from({ length: 12 }, (_, i) => `${[1, 2, 3, 4, 5, 6, 7].map((k) => (i * k) % 11).join(',')},${i % 2 ? 'red' : 'blue'},${10 + i}`), '1,2,3,4,5,6,7,?,20'];
    const standardize = { mean: [5, 5, 5, 5, 5, 5, 5, 0.5, 0.5], std: [3, 3, 3, 3, 3, 3, 3, 0.5, 0.5] };
    const { folder, out } = await runTrainScript('regression', { path: 'cars.csv', format: 'csv', target: 'mpg', standardize }, (f) => writeFileSync(join(f, 'cars.csv'), `${rows.join('\n')}\n`));
    expect(out).toContain('Training with MirroredStrategy');
    expect(existsSync(join(folder, 'trained.keras'))).toBe(true);
  }, 150_000);

  it('train.py reads an image folder with image_dataset_from_directory, holding out a validation split', async () => {
    const write = (f: string) => {
      for (const label of ['cat', 'dog']) {
        mkdirSync(join(f, 'images', label), { recursive: true });
        for (let k = 0; k < 4; k++) {
          const png = new PNG({ width: 28, height: 28, colorType: 0 });
          for (let p = 0; p < 28 * 28; p++) png.data.set([p % 256, p % 256, p % 256, 255], p * 4);
          writeFileSync(join(f, 'images', label, `${k}.png`), PNG.sync.write(png, { colorType: 0 }));
        }
      }
    };
    const { out } = await runTrainScript('lenet5', { path: 'images', format: 'image-folder' }, write, { training: { validationSplit: 0.25 } });
    expect(out).toContain('Training with MirroredStrategy');
    expect(out).toMatch(/Using 2 files for validation/);
  }, 150_000);
});
