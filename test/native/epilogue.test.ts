// Fused epilogues on the cpu backend: a matmul or convolution whose output only a bias_add reads
// runs as one step that also adds the bias and, when the next node is an activation the backend
// allows, applies it (writing both the bias_add output, which the activation's gradient reads,
// and the activation's). Outputs and gradients must match the reference backend's; values needed
// elsewhere (fetched) must stop the fusion; a model's profile names the fused steps.
import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../electron/host/addon.js';
import { classificationData, cnnSpec } from '../support/specs.js';
import { addon, random, size, type NativeGraph } from './ops/harness.js';

const models = addon as unknown as Pick<NativeAddon, 'Model'>;

type Attrs = Record<string, unknown>;

function maxAbs(v: Float32Array): number {
  return v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

/** Every element of the cpu result within 1e-4 of the reference's largest magnitude. */
function expectClose(what: string, cpu: Float32Array, ref: Float32Array): void {
  expect(cpu.length, `${what}: length`).toBe(ref.length);
  expect(maxAbs(ref), `${what}: the reference is all zero`).toBeGreaterThan(0);
  const allowed = 1e-4 * maxAbs(ref);
  for (let i = 0; i < ref.length; i++) {
    if (!(Math.abs(cpu[i] - ref[i]) <= allowed)) expect.fail(`${what}[${i}]: cpu ${cpu[i]}, reference ${ref[i]} (allowed error ${allowed})`);
  }
}

interface Layer {
  /** Builds producer -> bias_add [-> activation] on the given inputs; returns [producer, bias_add, output]. */
  build(g: NativeGraph, x: string, w: string, b: string): [string, string, string];
  x: number[];
  w: number[];
  bias: number;
}

function layer(producer: string, x: number[], w: number[], attrs: Attrs, activation?: [string, Attrs?]): Layer {
  return {
    x,
    w,
    bias: w[w.length - 1],
    build(g, xv, wv, bv) {
      const p = g.op(producer, 'p', [xv, wv], attrs)[0];
      const z = g.op('bias_add', 'z', [p, bv])[0];
      return [p, z, activation ? g.op(activation[0], 'y', [z], activation[1])[0] : z];
    },
  };
}

/**
 * Runs the layer (and, when asked, the gradients of sum(output * u) with respect to its inputs)
 * on both backends, fetching the output plus `extra` of the layer's intermediate values.
 */
async function compare(l: Layer, options: { grads?: boolean; extra?: ('producer' | 'bias_add')[] } = {}): Promise<void> {
  const g = new addon.Graph();
  const [x, w, b] = [g.param('x', l.x), g.param('w', l.w), g.param('b', [l.bias])];
  const [p, z, y] = l.build(g, x, w, b);
  const fetch = [y, ...(options.extra ?? []).map((e) => (e === 'producer' ? p : z))];
  const rand = random(11);
  const fill = (shape: number[]) => Float32Array.from({ length: size(shape) }, () => rand());
  const feeds: Record<string, Float32Array> = { [x]: fill(l.x), [w]: fill(l.w), [b]: fill([l.bias]) };
  if (options.grads ?? true) {
    const u = g.input('u', g.shape(y));
    feeds[u] = fill(g.shape(y));
    const loss = g.op('reduce_sum', 'loss', [g.op('mul', 'yu', [y, u])[0]])[0];
    fetch.push(...g.gradients(loss, [x, w, b]));
  }
  const ref = await g.run(feeds, fetch, { backend: 'reference' });
  const cpu = await g.run(feeds, fetch, { backend: 'cpu' });
  for (const v of fetch) expectClose(v, cpu[v] as Float32Array, ref[v] as Float32Array);
}

const dense = (activation?: [string, Attrs?]) => layer('matmul', [37, 29], [29, 45], {}, activation);
const conv = (activation?: [string, Attrs?], attrs: Attrs = {}, x = [3, 12, 13, 5], k = [3, 3, 5, 40]) =>
  layer('conv2d', x, k, { padding: 'same', ...attrs }, activation);

describe('cpu fused epilogues', () => {
  it('matmul -> bias_add -> relu', async () => {
    await compare(dense(['relu']));
  });

  it('conv2d -> bias_add -> leaky_relu', async () => {
    await compare(conv(['leaky_relu', { alpha: 0.1 }]));
  });

  it('conv2d -> bias_add -> sigmoid', async () => {
    await compare(conv(['sigmoid']));
  });

  it('without an activation: matmul -> bias_add and conv2d -> bias_add', async () => {
    await compare(dense());
    await compare(conv());
  });

  const activations: [string, Attrs?][] = [
    ['relu'], ['leaky_relu', { alpha: 0.3 }], ['elu', { alpha: 0.7 }], ['selu'], ['gelu'], ['gelu', { approximate: 1 }],
    ['sigmoid'], ['hard_sigmoid'], ['tanh'], ['softplus'], ['softsign'], ['silu'],
  ];
  it.each(activations.map(([op, attrs]) => ({ op, attrs: attrs ?? {} })))('every allowed activation after matmul and conv2d: $op $attrs', async ({ op, attrs }) => {
    await compare(dense([op, attrs]));
    await compare(conv([op, attrs]));
  });

  it('an activation no epilogue applies (exp) still follows a fused bias', async () => {
    await compare(dense(['exp']));
  });

  it('fetching the bias_add output as well', async () => {
    await compare(dense(['relu']), { extra: ['bias_add'] });
    await compare(conv(['relu']), { extra: ['bias_add'] });
  });

  it('fetching the producer output: no fusion', async () => {
    await compare(dense(['relu']), { extra: ['producer'] });
    await compare(conv(['relu']), { extra: ['producer', 'bias_add'] });
  });

  it('other convolutions: strided, dilated, grouped (im2col), depthwise, conv1d', async () => {
    await compare(conv(['relu'], { strides: [2, 2] }));
    await compare(conv(['relu'], { dilations: [2, 2], padding: 'valid' }));
    await compare(conv(['tanh'], { groups: 5 }, [2, 9, 10, 10], [3, 3, 2, 15]));
    await compare(conv(['relu'], { groups: 6 }, [2, 9, 10, 6], [3, 3, 1, 12]));
    await compare(layer('conv1d', [3, 29, 6], [3, 6, 20], { padding: 'same' }, ['silu']));
  });

  it('batched matmul -> bias_add -> relu', async () => {
    await compare(layer('matmul', [3, 17, 33], [33, 19], {}, ['relu']));
    await compare(layer('matmul', [3, 17, 33], [3, 33, 19], {}, ['relu']));
  });

  it('large enough to run on several threads', async () => {
    await compare(layer('matmul', [300, 257], [257, 130], {}, ['relu']), { grads: false });
    await compare(conv(['relu'], {}, [8, 30, 31, 16], [3, 3, 16, 70]), { grads: false });
  });
});

describe('fused steps in a model', () => {
  async function profiledNodes(backend: 'cpu' | 'reference'): Promise<string[]> {
    const data = classificationData(32, [9, 9, 1], 3, 4);
    const spec = cnnSpec({ input: [9, 9, 1], filters: 4, kernel: 3, pool: 2, classes: 3 }, { type: 'adam' });
    const m = new models.Model(spec, { backend });
    m.setProfiling(true);
    await m.fit(data, { epochs: 1, batchSize: 16, shuffle: false });
    return m.profile().map((p) => p.node);
  }

  it('runs conv -> bias -> relu and dense -> bias as one step each on the cpu backend only', async () => {
    const cpu = await profiledNodes('cpu');
    expect(cpu).toContain('conv/conv2d+conv/bias_add+conv/relu');
    expect(cpu).toContain('dense/matmul+dense/bias_add');
    expect(cpu).not.toContain('conv/relu');
    expect(cpu).not.toContain('dense/bias_add');
    const ref = await profiledNodes('reference');
    expect(ref.filter((n) => n.includes('+'))).toEqual([]);
    expect(ref).toContain('conv/relu');
  });

  it('trains a CNN with fused layers to the weights the reference backend gives', async () => {
    const data = classificationData(64, [9, 9, 2], 3, 5);
    const weights = await Promise.all(
      (['cpu', 'reference'] as const).map(async (backend) => {
        const spec = cnnSpec({ input: [9, 9, 2], filters: 6, kernel: 3, pool: 2, classes: 3 }, { type: 'sgd', learningRate: 0.05 }, 7);
        const m = new models.Model(spec, { backend });
        await m.fit(data, { epochs: 3, batchSize: 16, shuffle: false });
        return m.getWeights();
      }),
    );
    for (const name of Object.keys(weights[1])) expectClose(name, weights[0][name], weights[1][name]);
  });
});
