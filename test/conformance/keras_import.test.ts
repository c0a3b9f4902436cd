// Keras models imported into Kiln: test/conformance/keras_models.py builds eight models in Keras 3
// and saves each as .keras and to_json(); Kiln imports them and must count the same parameters
// and predict what Keras predicted, within 1e-4, with the imported weights.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpz, writeNpz } from '../../common/formats/npz.js';
import { analyzeModel, defaultTrainingConfig, lowerModel } from '../../common/model/index.js';
import { fromKerasConfig } from '../../common/model/keras/fromKerasConfig.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import { importKerasFile } from '../../electron/host/keras/importKeras.js';
import { worstRelative } from '../support/layerConformance.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addon = createRequire(import.meta.url)(`${root}native/build/Release/kiln_native.node`) as NativeAddon;
const missing = tensorflowMissing();

const MODELS = ['mlp', 'cnn', 'skips', 'text', 'conv1d', 'two_heads', 'separable', 'normalized'];

interface Expect {
  params: number;
  inputs: { name: string; shape: number[]; dtype: string; data: number[] }[];
  outputs: { name: string; shape: number[]; data: number[] }[];
}

describe.skipIf(missing !== null && !process.env.CI)(`Keras models imported into Kiln${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-keras-models-'));
    execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/keras_models.py`, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    });
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(MODELS)('%s: same parameter count and predictions as Keras', async (name) => {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.expect.json`), 'utf8')) as Expect;
    const imported = await importKerasFile(join(dir, `${name}.keras`));
    expect(imported.issues.map((i) => i.message)).toEqual([]);
    expect(imported.training?.optimizer).toBeDefined();

    const analysis = analyzeModel(imported.model);
    expect(analysis.order.reduce((a, o) => a + o.trainable + o.nonTrainable, 0)).toBe(expected.params);

    const outputs = analysis.outputs.map((id) => imported.model.layers.find((l) => l.id === id)!.name);
    expect(outputs).toEqual(expected.outputs.map((o) => o.name));
    const batch = expected.inputs[0].shape[0];
    const lowered = lowerModel(imported.model, { ...defaultTrainingConfig(), loss: Object.fromEntries(outputs.map((o) => [o, 'mean_squared_error'])), metrics: [], batchSize: batch });
    if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
    const model = new addon.Model(lowered.spec, { backend: 'cpu' });
    model.setWeights(imported.weights);
    const xs = lowered.spec.inputs.map((input, i) => {
      const x = expected.inputs[i];
      expect(input.name).toBe(x.name.startsWith('keras_tensor') ? input.name : x.name);
      return input.dtype === 'int32' ? Int32Array.from(x.data) : Float32Array.from(x.data);
    });
    const ys = await model.predict({ x: xs }, { batchSize: batch });
    expect(ys.length).toBe(expected.outputs.length);
    ys.forEach((y, i) => {
      expect(y.length, expected.outputs[i].name).toBe(expected.outputs[i].data.length);
      expect(worstRelative(y, expected.outputs[i].data), expected.outputs[i].name).toBeLessThan(1e-4);
    });
  }, 60_000);

  it.each(MODELS)('%s: kiln summary counts and kiln import + kiln predict give what Keras gives', async (name) => {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.expect.json`), 'utf8')) as Expect;
    const kiln = (...args: string[]) => execFileSync(process.execPath, [`${root}bin/kiln.js`, ...args], { cwd: dir, encoding: 'utf8' });
    expect((JSON.parse(kiln('summary', `${name}.keras`, '--json')) as { totalParams: number }).totalParams).toBe(expected.params);
    kiln('import', `${name}.keras`, '--out', `${name}.kiln.json`);
    const inputs = Object.fromEntries(expected.inputs.map((x) => [x.name, { shape: x.shape, data: x.dtype === 'int32' ? Int32Array.from(x.data) : Float32Array.from(x.data) }]));
    writeFileSync(join(dir, `${name}.in.npz`), writeNpz(inputs));
    kiln('predict', `${name}.kiln.json`, '--input', `${name}.in.npz`, '--output', `${name}.out.npz`);
    const ys = parseNpz(readFileSync(join(dir, `${name}.out.npz`)));
    for (const o of expected.outputs) {
      expect(ys.get(o.name)?.shape, o.name).toEqual(o.shape);
      expect(worstRelative(ys.get(o.name)!.data, o.data), o.name).toBeLessThan(1e-4);
    }
  }, 60_000);

  it.each(MODELS)('%s: to_json() imports as the same model as the .keras archive', async (name) => {
    const fromArchive = await importKerasFile(join(dir, `${name}.keras`));
    const fromJson = await importKerasFile(join(dir, `${name}.json`));
    expect(fromJson.model).toEqual(fromArchive.model);
    expect(fromJson.training).toEqual(fromArchive.training);
    expect(fromJson.weights).toEqual({});
    expect(fromKerasConfig(readFileSync(join(dir, `${name}.json`), 'utf8')).model).toEqual(fromArchive.model);
  });

  it('reads the compile config', async () => {
    const mlp = await importKerasFile(join(dir, 'mlp.keras'));
    expect(mlp.training).toEqual({ optimizer: { type: 'adam', learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const conv1d = await importKerasFile(join(dir, 'conv1d.keras'));
    expect(conv1d.training?.optimizer).toMatchObject({ type: 'adamw', learningRate: 0.01, weightDecay: 0.01, schedule: { type: 'exponential', decaySteps: 100, decayRate: 0.9, staircase: false } });
    expect(conv1d.training?.loss).toEqual({ type: 'sparse_categorical_crossentropy', fromLogits: true });
    const heads = await importKerasFile(join(dir, 'two_heads.keras'));
    expect(heads.training).toMatchObject({ loss: { cls: 'sparse_categorical_crossentropy', reg: 'mean_squared_error' }, metrics: ['accuracy', 'mean_absolute_error'] });
  });

  it('names the file and the problem when an archive is missing or corrupt', async () => {
    await expect(importKerasFile(join(dir, 'nope.keras'))).rejects.toThrow(/nope\.keras does not exist/);
    await expect(importKerasFile(join(dir, 'model.onnx'))).rejects.toThrow(/Kiln imports \.keras archives/);
    const notZip = join(dir, 'not_a_zip.keras');
    writeFileSync(notZip, readFileSync(join(dir, 'mlp.json')));
    await expect(importKerasFile(notZip)).rejects.toThrow(/not_a_zip\.keras is not a \.keras archive: it is not a zip file/);

    const files = unzipSync(readFileSync(join(dir, 'mlp.keras')));
    const rezip = (name: string, edit: (f: Record<string, Uint8Array>) => void) => {
      const copy = { ...files };
      edit(copy);
      const path = join(dir, `${name}.keras`);
      writeFileSync(path, zipSync(copy));
      return path;
    };
    const noConfig = rezip('no_config', (f) => delete f['config.json']);
    await expect(importKerasFile(noConfig)).rejects.toThrow(`${noConfig} is not a .keras archive: it has no config.json`);
    const badH5 = rezip('bad_h5', (f) => (f['model.weights.h5'] = strToU8('not hdf5')));
    await expect(importKerasFile(badH5)).rejects.toThrow(/bad_h5\.keras's model\.weights\.h5 is not a valid HDF5 file/);

    const config = JSON.parse(strFromU8(files['config.json'])) as { config: { layers: { config: Record<string, unknown> }[] } };
    const last = config.config.layers.at(-1)!.config;
    const wider = rezip('wider', (f) => (f['config.json'] = strToU8(JSON.stringify({ ...config, config: { ...config.config, layers: [...config.config.layers.slice(0, -1), { ...config.config.layers.at(-1), config: { ...last, units: 11 } }] } }))));
    await expect(importKerasFile(wider)).rejects.toThrow(`weight kernel of Dense '${String(last.name)}' has shape (32, 10), but the model needs (32, 11)`);
    const noBias = rezip('no_bias', (f) => (f['config.json'] = strToU8(JSON.stringify({ ...config, config: { ...config.config, layers: [...config.config.layers.slice(0, -1), { ...config.config.layers.at(-1), config: { ...last, use_bias: false } }] } }))));
    await expect(importKerasFile(noBias)).rejects.toThrow(`has 2 weights for Dense '${String(last.name)}' ((32, 10), (10,)), but Kiln's Dense has 1 (kernel (32, 10))`);
  });
});
