// Image augmentation layers against Keras 3 in training mode: with fixed factors (lower == upper,
// so nothing is random) Keras's layer(x, training=True) equals the engine op that Kiln's layer
// lowers to, within 1e-4; RandomFlip, which Keras always randomises, is checked per sample
// (each output is the input or its mirror) and by how often it flips.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { lowerModel, type ModelDoc } from '../../common/model/index.js';
import { layerDef, resolveParams, type LowerCtx } from '../../common/model/layers/index.js';
import type { NativeAddon } from '../../electron/host/addon.js';
import type { EngineAttr } from '../../common/model/engineSpec.js';
import type { ParamValue } from '../../common/model/ModelDoc.js';
import { prng } from '../support/specs.js';
import { tensorflowMissing } from './tensorflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// KILN_ADDON points the test at another build of the addon, as the op suite's harness does.
const addonPath = process.env.KILN_ADDON ?? `${root}native/build/Release/kiln_native.node`;
interface Graph {
  input(name: string, shape: number[], dtype?: string): string;
  op(op: string, name: string, inputs: string[], attrs?: Record<string, unknown>): string[];
  run(feeds: Record<string, Float32Array | Int32Array>, fetch: string[]): Promise<Record<string, Float32Array>>;
}
const addon = createRequire(import.meta.url)(addonPath) as { Graph: new () => Graph } & Pick<NativeAddon, 'Model'>;
const missing = tensorflowMissing();

interface Case {
  type: string;
  params: Record<string, ParamValue>;
  shape: number[];
  /** Values in [0, scale). */
  scale?: number;
}

function values(shape: number[], seed: number, scale: number): number[] {
  const r = prng(seed);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * scale);
}

/** Kiln: the training-mode node the layer lowers to, run once through the engine with a seed. */
async function kiln(c: Case, x: number[], seed = 7): Promise<number[]> {
  const def = layerDef(c.type);
  if (!def) throw new Error(`no layer ${c.type}`);
  const resolved = resolveParams(def, c.params);
  if ('problems' in resolved) throw new Error(resolved.problems.join('; '));
  const nodes: { op: string; attrs: Record<string, EngineAttr>; mode?: string }[] = [];
  const shape = [null, ...c.shape.slice(1)];
  const problem = def.shape([shape], resolved.params);
  if ('problem' in problem) throw new Error(problem.problem);
  const ctx = {
    layer: { id: 'aug', name: 'aug', type: c.type, params: c.params },
    inputShapes: [shape],
    outputShape: shape,
    node: (op: string, _suffix: string, _inputs: string[], attrs: Record<string, EngineAttr> = {}, extra: { mode?: string } = {}) => {
      nodes.push({ op, attrs, mode: extra.mode });
      return 'aug';
    },
  } as unknown as LowerCtx;
  def.lower(ctx, ['x'], resolved.params);
  const train = nodes.find((n) => n.mode === 'train');
  if (!train) throw new Error('no training node');
  const g = new addon.Graph();
  const xi = g.input('x', c.shape);
  const s = g.input('seed', [], 'int32');
  const [y] = g.op(train.op, 'y', [xi, s], train.attrs);
  const r = await g.run({ x: Float32Array.from(x), seed: Int32Array.of(seed) }, [y]);
  return Array.from(r[y]);
}

function keras(cases: { class_name: string; config: Record<string, ParamValue>; shape: number[]; x: number[] }[]): { y?: number[]; error?: string }[] {
  const out = execFileSync(`${root}.venv/bin/python`, [`${root}test/conformance/keras_augment.py`], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as { y?: number[]; error?: string }[];
}

const SHAPE = [2, 7, 6, 2];
const FILLS = ['reflect', 'wrap', 'constant', 'nearest'];
const fixed = (v: number) => [v, v];

const GEOMETRIC: Case[] = [];
for (const fill_mode of FILLS) {
  for (const interpolation of ['bilinear', 'nearest']) {
    const common = { fill_mode, interpolation, fill_value: fill_mode === 'constant' ? 0.5 : 0 };
    GEOMETRIC.push(
      { type: 'RandomRotation', params: { factor: fixed(0.1), ...common }, shape: SHAPE },
      { type: 'RandomRotation', params: { factor: fixed(-0.37), ...common }, shape: SHAPE },
      { type: 'RandomZoom', params: { height_factor: fixed(-0.3), ...common }, shape: SHAPE },
      { type: 'RandomZoom', params: { height_factor: fixed(0.45), width_factor: fixed(-0.2), ...common }, shape: SHAPE },
      { type: 'RandomTranslation', params: { height_factor: fixed(-0.2), width_factor: fixed(0.3), ...common }, shape: SHAPE },
      { type: 'RandomTranslation', params: { height_factor: fixed(0.55), width_factor: fixed(-0.7), ...common }, shape: SHAPE },
    );
  }
  // a quarter turn of a non-square image lands on half-pixels: bilinear only
  GEOMETRIC.push({ type: 'RandomRotation', params: { factor: fixed(0.25), fill_mode }, shape: SHAPE });
}

const COLOR: Case[] = [
  { type: 'RandomBrightness', params: { factor: fixed(0.2) }, shape: SHAPE, scale: 255 },
  { type: 'RandomBrightness', params: { factor: fixed(-0.3), value_range: [0, 1] }, shape: SHAPE, scale: 1 },
  { type: 'RandomBrightness', params: { factor: fixed(0.1), value_range: [-1, 1] }, shape: SHAPE, scale: 1 },
  { type: 'RandomContrast', params: { factor: [-0.4, 0.4] }, shape: SHAPE, scale: 255 },
  { type: 'RandomContrast', params: { factor: [-0.5, 0.5], value_range: [0, 1] }, shape: SHAPE, scale: 1 },
  { type: 'RandomContrast', params: { factor: [-0.2, 0.2], value_range: [-1, 1] }, shape: SHAPE, scale: 1 },
  { type: 'RandomContrast', params: { factor: 0 }, shape: SHAPE, scale: 255 },
];

describe.skipIf(missing !== null)('augmentation layers against Keras 3 (training=True, fixed factors)', () => {
  const CASES = [...GEOMETRIC, ...COLOR];
  const inputs = CASES.map((c) => values(c.shape, 11, c.scale ?? 1));
  let expected: { y?: number[]; error?: string }[] = [];
  beforeAll(() => {
    expected = keras(CASES.map((c, i) => ({ class_name: c.type, config: c.params, shape: c.shape, x: inputs[i] })));
  }, 120_000);

  it.each(CASES.map((c, i) => [`${c.type} ${JSON.stringify(c.params)}`, i] as const))('%s', async (_, i) => {
    const c = CASES[i];
    const x = inputs[i];
    const k = expected[i];
    if (k.error) throw new Error(k.error);
    const y = await kiln(c, x);
    const scale = c.scale ?? 1;
    let worst = 0;
    y.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - k.y![i]) / scale)));
    expect(worst).toBeLessThan(1e-4);
  });

  it('RandomFlip: each sample is the input or its mirror, in Keras and in Kiln, about half flipped', { timeout: 60_000 }, async () => {
    const shape = [64, 3, 4, 2];
    const [n, h, w, ch] = shape;
    const x = values(shape, 5, 1);
    const mirror = (mode: string) => {
      const out = new Array<number>(x.length);
      for (let s = 0; s < n; s++)
        for (let r = 0; r < h; r++)
          for (let col = 0; col < w; col++)
            for (let c = 0; c < ch; c++) {
              const rr = mode === 'horizontal' ? r : h - 1 - r;
              const cc = mode === 'vertical' ? col : w - 1 - col;
              out[((s * h + r) * w + col) * ch + c] = x[((s * h + rr) * w + cc) * ch + c];
            }
      return out;
    };
    const modes = ['horizontal', 'vertical', 'horizontal_and_vertical'];
    const results = keras(modes.map((mode) => ({ class_name: 'RandomFlip', config: { mode }, shape, x })));
    for (const [i, mode] of modes.entries()) {
      const m = mirror(mode);
      const per = h * w * ch;
      for (const y of [results[i].y!, await kiln({ type: 'RandomFlip', params: { mode }, shape }, x, 3)]) {
        let flipped = 0;
        for (let s = 0; s < n; s++) {
          const near = (ref: number[]) => y.slice(s * per, (s + 1) * per).every((v, k) => Math.abs(v - ref[s * per + k]) < 1e-6);
          const same = near(x), mirrored = near(m);
          expect(same || mirrored).toBe(true);
          if (mirrored && !same) flipped++;
        }
        expect(flipped).toBeGreaterThan(n * 0.25);
        expect(flipped).toBeLessThan(n * 0.75);
      }
    }
  });
});

describe('augmentation layers in a model', () => {
  const doc = (augment: { type: string; params: Record<string, ParamValue> }[], dense: boolean): ModelDoc => {
    const layers: ModelDoc['layers'] = [{ id: 'in', name: 'in', type: 'Input', params: { shape: [6, 5, 2] } }];
    augment.forEach((a, i) => layers.push({ id: `a${i}`, name: `aug_${i}`, ...a }));
    if (dense) layers.push({ id: 'f', name: 'flat', type: 'Flatten', params: {} }, { id: 'd', name: 'dense', type: 'Dense', params: { units: 1 } });
    return { layers, edges: layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id })) };
  };
  const lower = (d: ModelDoc) => {
    const lowered = lowerModel(d, { loss: 'mean_squared_error', optimizer: { type: 'sgd', learningRate: 0.01 }, metrics: [], batchSize: 4, epochs: 1, validationSplit: 0, seed: 3, callbacks: {} });
    if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
    return new addon.Model(lowered.spec, { backend: 'cpu' });
  };
  const all: { type: string; params: Record<string, ParamValue> }[] = [
    { type: 'RandomFlip', params: { mode: 'horizontal' } },
    { type: 'RandomTranslation', params: { height_factor: 0.1, width_factor: 0.1 } },
    { type: 'RandomRotation', params: { factor: 0.1 } },
    { type: 'RandomZoom', params: { height_factor: 0.2 } },
    { type: 'RandomBrightness', params: { factor: 0.1, value_range: [0, 1] } },
    { type: 'RandomContrast', params: { factor: 0.2, value_range: [0, 1] } },
  ];

  it('trains with a fresh seed per step, and passes inputs through in inference', async () => {
    const x = Float32Array.from(values([8, 6, 5, 2], 3, 1));
    const model = lower(doc(all, true));
    await model.fit({ x, y: new Float32Array(8).fill(0.5) }, { epochs: 2, batchSize: 4, shuffle: false });
    expect(Array.from((await lower(doc(all, false)).predict({ x }))[0])).toEqual(Array.from(x));
  });

  it('explains a wrong input rank or factor in the user\'s terms', () => {
    const d = doc([{ type: 'RandomRotation', params: { factor: 0.1 } }], false);
    d.layers[0].params = { shape: [6, 5] };
    expect(lowerModel(d, { loss: 'mean_squared_error', optimizer: { type: 'sgd', learningRate: 0.01 }, metrics: [], batchSize: 4, epochs: 1, validationSplit: 0, seed: 3, callbacks: {} }).ok).toBe(false);
    const def = layerDef('RandomRotation')!;
    const p = resolveParams(def, { factor: 0.1 });
    if ('problems' in p) throw new Error(p.problems.join());
    expect(def.shape([[null, 6, 5]], p.params)).toEqual({ problem: 'needs images: a rank-4 input (batch, height, width, channels) but receives (None, 6, 5)' });
    const bad = resolveParams(def, { factor: 1.5 });
    if ('problems' in bad) throw new Error(bad.problems.join());
    expect(def.shape([[null, 6, 5, 1]], bad.params)).toEqual({
      problem: 'factor must be a number from -1 to 1 (it means the range [-factor, factor]) or a pair (lower, upper), got 1.5',
    });
  });
});
