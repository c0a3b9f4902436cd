// Kiln's TensorFlow Lite export run by tf.lite.Interpreter (export_tflite.py): the templates, the
// models of kerasCodeModels.ts (every layer of the catalogue), exportModels.ts's corner cases and
// TensorFlow Lite's own below, with weights in which everything matters. Each file must load and
// allocate with its stored batch of 1, again after resize_tensor_input to a batch of 3, and through
// the 'serving_default' signature runner, with XNNPACK and with TensorFlow Lite's builtin kernels,
// and predict what Kiln predicts within 1e-4.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compatibility, exportTflite, TFLITE_FILE } from '../../common/export/tflite/index.js';
import { LAYERS, TEMPLATES, type LayerDoc, type ParamValue } from '../../common/model/index.js';
import { ONNX_CASES, type ExportCase } from './exportModels.js';
import { differences, runInKiln, type KilnRun } from './exportParity.js';
import { CODE_CASES } from './kerasCodeModels.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = tensorflowMissing();

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });
const chain = (...names: string[]) => names.slice(1).map((to, i) => ({ from: names[i], to }));

/** What TensorFlow Lite's operators do differently from the other formats: dilation, fusion, copies. */
const TFLITE_CASES: ExportCase[] = [
  {
    name: 'tflite_convolutions',
    model: {
      layers: [
        layer('image', 'Input', { shape: [7, 6, 4] }),
        layer('grouped_relu', 'Conv2D', { filters: 6, kernel_size: 3, groups: 2, padding: 'same', activation: 'relu' }),
        layer('dilated_up', 'Conv2DTranspose', { filters: 3, kernel_size: [3, 2], dilation_rate: [2, 3], activation: 'relu' }),
        layer('dilated_same', 'Conv2DTranspose', { filters: 2, kernel_size: 2, dilation_rate: 2, padding: 'same', activation: 'tanh' }),
        layer('relu6', 'ReLU', { max_value: 6 }),
        layer('capped_leaky', 'ReLU', { max_value: 0.5, negative_slope: 0.1 }),
        layer('bn_rows', 'BatchNormalization', { axis: 1 }),
        layer('softmax_rows', 'Softmax', { axis: 1 }),
        layer('channels_first', 'Permute', { dims: [3, 1, 2] }),
        layer('flatten', 'Flatten'),
        layer('scores', 'Dense', { units: 3, activation: 'relu', use_bias: false }),
      ],
      edges: chain('image', 'grouped_relu', 'dilated_up', 'dilated_same', 'relu6', 'capped_leaky', 'bn_rows', 'softmax_rows', 'channels_first', 'flatten', 'scores'),
    },
  },
  {
    // Outputs that are an input, or the same tensor twice, still get tensors of their own.
    name: 'tflite_pass_through',
    model: {
      layers: [
        layer('features', 'Input', { shape: [5] }),
        layer('same_features', 'Dropout', { rate: 0.5 }),
        layer('hidden', 'Dense', { units: 4, activation: 'sigmoid' }),
        layer('noisy', 'GaussianNoise', { stddev: 1 }),
        layer('also_noisy', 'GaussianNoise', { stddev: 2 }),
      ],
      edges: [...chain('features', 'same_features'), ...chain('features', 'hidden', 'noisy'), ...chain('hidden', 'also_noisy')],
      outputs: ['same_features', 'noisy', 'also_noisy'],
    },
  },
];

const CASES: ExportCase[] = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model })), ...CODE_CASES.map((c) => ({ name: c.name, model: c.model })), ...ONNX_CASES, ...TFLITE_CASES];
const NAMES = CASES.map((c) => c.name);

interface Outputs {
  [name: string]: { shape: number[]; data: number[] };
}

type TfliteResult =
  | {
      signatures: Record<string, { inputs: string[]; outputs: string[] }>;
      inputs: { name: string; shape: number[]; shape_signature: number[]; dtype: string }[];
      first: Outputs;
      batch: Outputs;
      runner: Outputs;
      builtin: Outputs;
    }
  | { error: string };

describe('the models exported to TensorFlow Lite', () => {
  it('use every layer type of the catalogue, and TensorFlow Lite can express all of them', () => {
    const used = new Set(CASES.flatMap((c) => c.model.layers.map((l) => l.type)));
    expect([...LAYERS.keys()].filter((t) => !used.has(t))).toEqual([]);
    for (const c of CASES) expect(compatibility(c.model), c.name).toEqual([]);
  });
});

describe.skipIf(missing !== null && !process.env.CI)(`Kiln's TensorFlow Lite export in tf.lite.Interpreter${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const runs = new Map<string, KilnRun>();
  const results = new Map<string, TfliteResult>();
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-tflite-'));
    const jobs: object[] = [];
    for (const [i, c] of CASES.entries()) {
      const run = await runInKiln(c.model, 3000 + i);
      const files = exportTflite(c.model, run.analysis, run.weights);
      expect([...files.keys()]).toEqual([TFLITE_FILE]);
      const path = join(dir, `${c.name}.tflite`);
      writeFileSync(path, files.get(TFLITE_FILE)!);
      runs.set(c.name, run);
      jobs.push({ name: c.name, path, inputs: run.inputs.map((x) => ({ name: x.name, shape: x.shape, dtype: x.dtype, data: Array.from(x.data) })) });
    }
    const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/export_tflite.py`], {
      input: JSON.stringify(jobs),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    (JSON.parse(out) as TfliteResult[]).forEach((r, i) => results.set(CASES[i].name, r));
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(NAMES)('%s: loads with a dynamic batch and a serving_default signature named after the Input and output layers', (name) => {
    const r = results.get(name)!;
    if ('error' in r) throw new Error(`tf.lite.Interpreter failed on ${name}: ${r.error}`);
    const run = runs.get(name)!;
    const sorted = (names: string[]) => [...names].sort();
    expect(Object.keys(r.signatures)).toEqual(['serving_default']);
    expect(sorted(r.signatures.serving_default.inputs)).toEqual(sorted(run.inputs.map((x) => x.name)));
    expect(sorted(r.signatures.serving_default.outputs)).toEqual(sorted(run.outputs.map((y) => y.name)));
    expect(r.inputs).toEqual(run.inputs.map((x) => ({ name: x.name, shape: [1, ...x.shape.slice(1)], shape_signature: [-1, ...x.shape.slice(1)], dtype: x.dtype })));
  });

  it.each(NAMES)('%s: predicts what Kiln predicts, at batch 1, at batch 3, through the signature runner and with the builtin kernels', (name) => {
    const r = results.get(name)!;
    if ('error' in r) throw new Error(`tf.lite.Interpreter failed on ${name}: ${r.error}`);
    const run = runs.get(name)!;
    for (const [mode, got] of Object.entries({ first: r.first, batch: r.batch, runner: r.runner, builtin: r.builtin })) {
      expect(Object.keys(got).sort(), mode).toEqual(run.outputs.map((y) => y.name).sort());
      for (const y of run.outputs) {
        const samples = mode === 'first' ? 1 : y.shape[0];
        const expected = y.data.subarray(0, samples * (y.data.length / y.shape[0]));
        expect(got[y.name].shape, `${name} (${mode}): ${y.name}`).toEqual([samples, ...y.shape.slice(1)]);
        const d = differences(got[y.name].data, expected);
        expect(d.abs, `${name} (${mode}): ${y.name}, max abs difference`).toBeLessThan(1e-4);
        expect(d.rel, `${name} (${mode}): ${y.name}, max relative difference`).toBeLessThan(1e-4);
      }
    }
  });
});
