// Kiln's TF.js export loaded by tf.loadLayersModel (@tensorflow/tfjs, CPU backend) from the files
// written to disk, following the weights manifest as TF.js's loaders do: for the templates and
// exportModels.ts's models, which together use every layer TF.js can express, TF.js must predict
// what Kiln predicts on a fixed batch within 1e-4. The models of kerasCodeModels.ts (the whole
// catalogue) must either export or be refused up front by compatibility(), for the reasons TF.js has.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compatibility, exportTfjs } from '../../common/export/tfjs/index.js';
import { analyzeModel, LAYERS, TEMPLATES } from '../../common/model/index.js';
import { TFJS_CASES, type ExportCase } from './exportModels.js';
import { differences, runInKiln } from './exportParity.js';
import { CODE_CASES } from './kerasCodeModels.js';

const CASES: ExportCase[] = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model })), ...TFJS_CASES];

/** The catalogue's layers TF.js cannot run, whatever their parameters (compatibility() names them). */
const NOT_IN_TFJS = ['ZeroPadding1D', 'UpSampling1D', 'Subtract'];

/** Reads an exported model from disk as TF.js's file loaders do: model.json, then each shard its manifest names. */
function fromFolder(dir: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { format: string; generatedBy: string; convertedBy: string | null; modelTopology: object; weightsManifest: tf.io.WeightsManifestConfig };
      const shards = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
      const bytes = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      };
    },
  };
}

let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'kiln-tfjs-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the models exported to TF.js', () => {
  it('use every layer type TF.js can express, and compatibility() finds nothing to refuse in them', () => {
    const used = new Set(CASES.flatMap((c) => c.model.layers.map((l) => l.type)));
    expect([...LAYERS.keys()].filter((t) => !used.has(t))).toEqual(NOT_IN_TFJS);
    for (const c of CASES) expect(compatibility(c.model), c.name).toEqual([]);
  });

  it('refuse up front what TF.js cannot run in the whole-catalogue models, naming the layer and the reason', () => {
    const refused = Object.fromEntries(CODE_CASES.map((c) => [c.name, compatibility(c.model).map((i) => i.reason)]));
    expect(refused).toEqual({
      dense_stack: [
        "ReLU 'relu6': TF.js has no ReLU that combines threshold, max_value and negative_slope: keep at most one of them away from its default",
        "ELU 'elu': TF.js's ELU supports only alpha 1, not 0.5: set alpha to 1",
      ],
      sequence: [
        "Conv1D 'causal': TF.js's Conv1D cannot run padding 'causal' (tfjs-layers has not implemented it): use padding 'valid' or 'same'",
        "ZeroPadding1D 'pad': TF.js has no ZeroPadding1D layer: add a Reshape to (steps, 1, channels), a ZeroPadding2D and a Reshape back",
        "UpSampling1D 'up1d': TF.js has no UpSampling1D layer: add a Reshape to (steps, 1, channels), an UpSampling2D with size (n, 1) and a Reshape back",
        "Conv1D 'grouped': TF.js's Conv1D has no groups: set groups to 1",
      ],
      images: ["GlobalAveragePooling2D 'gavg2d': TF.js's GlobalAveragePooling2D has no keepdims: turn keepdims off and add a Reshape after it"],
      merges: ["Subtract 'subtract': TF.js has no Subtract layer: multiply the second input by -1 (a Rescaling with scale -1) and use Add"],
      mixed: [],
    });
    const mixed = CODE_CASES.find((c) => c.name === 'mixed')!.model;
    expect(() => exportTfjs(mixed, analyzeModel(mixed), {})).toThrow("the weights to export have no embed/embeddings for Embedding 'embed' (shape (50, 8)): export from a checkpoint of this model");
    const merges = CODE_CASES.find((c) => c.name === 'merges')!.model;
    expect(() => exportTfjs(merges, analyzeModel(merges), {})).toThrow("cannot export to TF.js: Subtract 'subtract': TF.js has no Subtract layer");
  });

  it.each(CASES.map((c) => c.name))('%s: tf.loadLayersModel loads it and predicts what Kiln predicts', async (name) => {
    const { model } = CASES.find((c) => c.name === name)!;
    const kiln = await runInKiln(model, 2000 + CASES.findIndex((c) => c.name === name));
    const files = exportTfjs(model, kiln.analysis, kiln.weights);
    expect([...files.keys()]).toEqual(['model.json', 'group1-shard1of1.bin']);
    const folder = join(dir, name);
    mkdirSync(folder);
    for (const [path, bytes] of files) writeFileSync(join(folder, path), bytes);

    const loaded = await tf.loadLayersModel(fromFolder(folder));
    expect(loaded.inputNames).toEqual(kiln.inputs.map((x) => x.name));
    const xs = kiln.inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype));
    const out = loaded.predict(xs.length === 1 ? xs[0] : xs);
    const ys = Array.isArray(out) ? out : [out];
    expect(ys.length).toBe(kiln.outputs.length);
    for (const [i, y] of kiln.outputs.entries()) {
      expect(ys[i].shape, `${name}: ${y.name}`).toEqual(y.shape);
      const d = differences(await ys[i].data(), y.data);
      expect(d.abs, `${name}: ${y.name}, max abs difference`).toBeLessThan(1e-4);
      expect(d.rel, `${name}: ${y.name}, max relative difference`).toBeLessThan(1e-4);
    }
    tf.dispose([...xs, ...ys]);
    loaded.dispose();
  }, 60_000);
});
