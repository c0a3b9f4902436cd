// Kiln's SavedModel export (common/export/savedmodel) loaded by TensorFlow itself, for models
// that together use every layer of the catalogue (the templates, kerasCodeModels.ts, the export
// corner cases, and SavedModel-specific ones: dilations and groups where TensorFlow's CPU kernels
// need another form). In one Python process (export_savedmodel.py): `saved_model_cli show --all`
// lists the signature, and tf.saved_model.load's serving_default signature and the TF1 loader in
// a Session must both give Kiln's predictions within 1e-4 (relative, float32). oneDNN is off, so
// the graph runs on TensorFlow's plain CPU kernels, as builds without oneDNN run it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSavedModel } from '../../common/export/savedmodel/index.js';
import { LAYERS, TEMPLATES, type LayerDoc, type ModelDoc, type ParamValue } from '../../common/model/index.js';
import { ONNX_CASES, TFJS_CASES, type ExportCase } from './exportModels.js';
import { differences, runInKiln, type KilnRun } from './exportParity.js';
import { CODE_CASES } from './kerasCodeModels.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = tensorflowMissing();

const layer = (name: string, type: string, params: Record<string, ParamValue> = {}): LayerDoc => ({ id: name, name, type, params });
const sequential = (name: string, layers: LayerDoc[]): ExportCase => ({ name, model: { layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) } });

/** Where the exporter writes another form than the obvious op, and names TensorFlow would refuse as they are. */
const SAVEDMODEL_CASES: ExportCase[] = [
  sequential('dilations', [
    layer('image', 'Input', { shape: [9, 11, 4] }),
    layer('dw_same', 'DepthwiseConv2D', { kernel_size: 3, dilation_rate: [2, 3], depth_multiplier: 2, padding: 'same' }),
    layer('dw_valid', 'DepthwiseConv2D', { kernel_size: [2, 3], dilation_rate: 2, use_bias: false }),
    layer('up_same', 'Conv2DTranspose', { filters: 3, kernel_size: [3, 2], dilation_rate: 2, padding: 'same' }),
    layer('up_valid', 'Conv2DTranspose', { filters: 4, kernel_size: 2, dilation_rate: [3, 1] }),
    layer('grouped', 'Conv2D', { filters: 6, kernel_size: 2, groups: 2, dilation_rate: 2, activation: 'hard_sigmoid' }),
    layer('flat', 'Flatten'),
  ]),
  sequential('odd names', [
    layer('pixels in', 'Input', { shape: [6] }),
    layer('_scaled', 'Rescaling', { scale: 0.5 }),
    layer('dense/1', 'Dense', { units: 3 }),
    layer('save', 'Dense', { units: 2, activation: 'swish' }),
  ]),
];

const CASES: ExportCase[] = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model })), ...CODE_CASES, ...ONNX_CASES, ...TFJS_CASES, ...SAVEDMODEL_CASES];

interface Outputs { [key: string]: { shape: number[]; data: number[] } }
type Stage<T> = T | { error: string };
interface TfResult {
  cli: Stage<{ text: string }>;
  tf2: Stage<{ outputs: Outputs; inputs: Record<string, { shape: (number | null)[]; dtype: string }>; variables: string[] }>;
  tf1: Stage<{ outputs: Outputs; method: string }>;
}

function ok<T extends object>(stage: Stage<T>, what: string): T {
  if ('error' in stage) throw new Error(`${what}: ${stage.error}`);
  return stage;
}

const nameOf = (model: ModelDoc, id: string) => model.layers.find((l) => l.id === id)!.name;

describe('the models exported as SavedModels', () => {
  it('use every layer type of the catalogue', () => {
    const used = new Set(CASES.flatMap((c) => c.model.layers.map((l) => l.type)));
    expect([...LAYERS.keys()].filter((t) => !used.has(t))).toEqual([]);
    expect(CASES.length).toBeGreaterThanOrEqual(10);
  });
});

describe.skipIf(missing !== null && !process.env.CI)(`Kiln's SavedModels loaded by TensorFlow${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  const runs = new Map<string, KilnRun>();
  const results = new Map<string, TfResult>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-savedmodel-'));
    const requests: object[] = [];
    for (const [i, c] of CASES.entries()) {
      const run = await runInKiln(c.model, 500 + i, 4);
      runs.set(c.name, run);
      const exportDir = join(dir, `model_${i}`);
      for (const [path, bytes] of exportSavedModel(c.model, run.analysis, run.weights)) {
        mkdirSync(dirname(join(exportDir, path)), { recursive: true });
        writeFileSync(join(exportDir, path), bytes);
      }
      requests.push({ name: c.name, dir: join(exportDir, '1'), inputs: run.inputs.map((x) => ({ key: x.name, dtype: x.dtype, shape: x.shape, data: Array.from(x.data) })) });
    }
    const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/export_savedmodel.py`], {
      input: JSON.stringify(requests),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', TF_ENABLE_ONEDNN_OPTS: '0', CUDA_VISIBLE_DEVICES: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    (JSON.parse(out) as TfResult[]).forEach((r, i) => results.set(CASES[i].name, r));
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const NAMES = CASES.map((c) => c.name);

  it.each(NAMES)('%s: saved_model_cli show --all lists the serving_default signature', (name) => {
    const { model } = CASES.find((c) => c.name === name)!;
    const { analysis } = runs.get(name)!;
    const text = ok(results.get(name)!.cli, 'saved_model_cli').text;
    expect(text).toContain("MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:");
    expect(text).toContain("signature_def['serving_default']:");
    expect(text).toContain('Method name is: tensorflow/serving/predict');
    for (const id of [...analysis.inputs, ...analysis.outputs]) {
      const shape = analysis.shapes.get(id)!.map((d) => d ?? -1);
      expect(text).toContain(`['${nameOf(model, id)}'] tensor_info:`);
      expect(text).toContain(`shape: (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    }
  });

  it.each(NAMES)("%s: tf.saved_model.load's serving_default signature predicts what Kiln predicts", (name) => {
    const run = runs.get(name)!;
    const tf2 = ok(results.get(name)!.tf2, 'tf.saved_model.load');
    expect(Object.keys(tf2.inputs).sort()).toEqual(run.inputs.map((x) => x.name).sort());
    for (const x of run.inputs) expect(tf2.inputs[x.name], x.name).toEqual({ shape: [null, ...x.shape.slice(1)], dtype: x.dtype });
    // TF2 lifts the restored variables: one per weight of the model.
    expect(tf2.variables).toHaveLength(run.analysis.order.reduce((n, o) => n + o.weights.length, 0));
    for (const y of run.outputs) {
      expect(tf2.outputs[y.name]?.shape, y.name).toEqual(y.shape);
      const d = differences(tf2.outputs[y.name].data, y.data);
      expect(d.rel, `${y.name}: max abs ${d.abs}`).toBeLessThan(1e-4);
    }
  });

  it.each(NAMES)('%s: the TF1 loader, in a Session, predicts what Kiln predicts', (name) => {
    const run = runs.get(name)!;
    const tf1 = ok(results.get(name)!.tf1, 'tf.compat.v1.saved_model.loader.load');
    expect(tf1.method).toBe('tensorflow/serving/predict');
    for (const y of run.outputs) {
      expect(tf1.outputs[y.name]?.shape, y.name).toEqual(y.shape);
      const d = differences(tf1.outputs[y.name].data, y.data);
      expect(d.rel, `${y.name}: max abs ${d.abs}`).toBeLessThan(1e-4);
    }
  });
});
