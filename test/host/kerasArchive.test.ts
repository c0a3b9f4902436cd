// The Keras export's files (electron/host/export/kerasArchive.ts), read back without Python: the
// archive's entries as Keras stores them, its weights file in Keras's layout (read with the host's
// own .keras reader), and Kiln's Keras import giving back the model and its weights.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeModel, formatShape, TEMPLATES, type ModelDoc } from '../../common/model/index.js';
import { kerasArchive, kerasExportFiles } from '../../electron/host/export/kerasArchive.js';
import { importKerasFile } from '../../electron/host/keras/importKeras.js';
import { readKerasArchive } from '../../electron/host/keras/readKerasArchive.js';
import { CODE_CASES } from '../conformance/kerasCodeModels.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-keras-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every weight of the model, numbered so that each value tells where it came from. */
function numberedWeights(model: ModelDoc): Record<string, Float32Array> {
  let next = 0;
  return Object.fromEntries(analyzeModel(model).order.flatMap((o) => o.weights.map((w) => [`${o.layer.name}/${w.name}`, Float32Array.from({ length: w.shape.reduce((a, d) => a * d, 1) }, () => next++ % 1000)])));
}

const resnet = TEMPLATES.find((t) => t.id === 'resnet')!;
const mixed = CODE_CASES.find((c) => c.name === 'mixed')!;

describe('kerasArchive', () => {
  it('zips metadata.json, config.json and model.weights.h5 uncompressed, as Keras does', async () => {
    const analysis = analyzeModel(resnet.model);
    const bytes = await kerasArchive({ model: resnet.model, analysis, weights: numberedWeights(resnet.model), training: resnet.training, name: 'resnet', date: new Date(2026, 0, 2, 3, 4, 5) });
    const files = unzipSync(bytes);
    expect(Object.keys(files)).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
    expect(JSON.parse(strFromU8(files['metadata.json']))).toEqual({ keras_version: '3.15.1', date_saved: '2026-01-02@03:04:05' });
    // Stored entries hold their bytes as they are: the HDF5 signature shows in the zip itself.
    expect(Buffer.from(bytes).includes(Buffer.from([0x89, 0x48, 0x44, 0x46]))).toBe(true);
  });

  it("writes each layer's weights under layers/<class in snake case>/vars, the optimizer's state, and the model's own group", async () => {
    const analysis = analyzeModel(resnet.model);
    const weights = numberedWeights(resnet.model);
    const path = join(dir, 'resnet.keras');
    writeFileSync(path, await kerasArchive({ model: resnet.model, analysis, weights, training: resnet.training, name: 'resnet' }));
    const { variables } = await readKerasArchive(path);
    expect(variables.get('layers/conv2d_5')!.map((v) => v.shape)).toEqual([[1, 1, 16, 32]]);
    expect(variables.get('layers/conv2d_5')![0].data).toEqual(weights['conv2d_5/kernel']);
    expect(variables.get('layers/batch_normalization_4')!.map((v) => v.data)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => weights[`batch_normalization_4/${w}`]));
    expect(variables.get('layers/add_1')).toEqual([]);
    expect(variables.get('layers/input_layer')).toEqual([]);
    // Adam: the step, the learning rate, and a momentum and a velocity per trainable weight.
    const trainable = analysis.order.flatMap((o) => o.weights.filter((w) => w.trainable));
    expect(variables.get('optimizer')).toHaveLength(2 + 2 * trainable.length);
    expect(variables.get('optimizer')![1].data).toEqual(Float32Array.of(0.001));
    expect(variables.get('')).toEqual([]);
  });

  it("imports back into Kiln as the same model with the same weights (Normalization's count included)", async () => {
    const analysis = analyzeModel(mixed.model);
    const weights = numberedWeights(mixed.model);
    const path = join(dir, 'mixed.keras');
    writeFileSync(path, await kerasArchive({ model: mixed.model, analysis, weights, training: mixed.training, name: 'mixed' }));
    const imported = await importKerasFile(path);
    expect(imported.issues).toEqual([]);
    expect(imported.weights).toEqual(weights);
    const layers = (m: ModelDoc) => analyzeModel(m).order.map((o) => `${o.layer.type} '${o.layer.name}' ${formatShape(o.shape)}`).sort();
    expect(layers(imported.model)).toEqual(layers(mixed.model));
    expect(imported.training?.loss).toBe('mean_squared_error');
  });

  it('refuses a model Keras cannot hold, naming the layer', async () => {
    const model: ModelDoc = {
      layers: [
        { id: 'i', name: 'in', type: 'Input', params: { shape: [3] } },
        { id: 'x', name: 'a/b', type: 'Dense', params: { units: 2 } },
        { id: 'y', name: 'a_b', type: 'Dense', params: { units: 2 } },
      ],
      edges: [{ from: 'i', to: 'x' }, { from: 'x', to: 'y' }],
    };
    await expect(kerasArchive({ model, analysis: analyzeModel(model), weights: numberedWeights(model), training: resnet.training, name: 'm' })).rejects.toThrow(/cannot export to Keras: Dense 'a\/b' would be named 'a_b'/);
  });
});

describe('kerasExportFiles', () => {
  it('gives model.keras and train.py', async () => {
    const analysis = analyzeModel(resnet.model);
    const files = await kerasExportFiles({ model: resnet.model, analysis, weights: numberedWeights(resnet.model), training: resnet.training, name: 'resnet', data: { path: '/data/digits', format: 'image-folder' } });
    expect([...files.keys()]).toEqual(['model.keras', 'train.py']);
    const script = strFromU8(files.get('train.py')!);
    expect(script).toContain('MODEL_PATH = os.path.join(HERE, "model.keras")');
    expect(script).toContain('DATA_PATH = "/data/digits"');
  });
});
