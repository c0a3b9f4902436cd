// Image augmentation ops: random_affine (flip, translation, rotation, zoom) and random_color
// (brightness, contrast), seeded per (seed, sample) like dropout.
import { describe, expect, it } from 'vitest';
import { addon, type Dtype } from './harness.js';

type Typed = Float32Array | Float64Array;

async function augment(
  op: 'random_affine' | 'random_color',
  shape: number[],
  x: number[],
  attrs: Record<string, unknown>,
  seed = 1,
  options: { dtype?: Dtype; backend?: 'reference' | 'cpu' } = {},
): Promise<number[]> {
  const dtype = options.dtype ?? 'float64';
  const g = new addon.Graph();
  const xi = g.input('x', shape, dtype);
  const s = g.input('seed', [], 'int32');
  const [y] = g.op(op, 'y', [xi, s], attrs);
  const feed: Typed = dtype === 'float32' ? Float32Array.from(x) : Float64Array.from(x);
  const r = await g.run({ x: feed, seed: Int32Array.of(seed) }, [y], { backend: options.backend });
  return Array.from(r[y]);
}

/** An image [n, h, w, c] whose values are distinct: 100 * sample + index. */
function image(n: number, h: number, w: number, c = 1): number[] {
  return Array.from({ length: n * h * w * c }, (_, k) => Math.floor(k / (h * w * c)) * 100 + (k % (h * w * c)));
}

const at = (v: number[], h: number, w: number, c: number) => (n: number, y: number, x: number, ch = 0) => v[((n * h + y) * w + x) * c + ch];

describe('random_affine', () => {
  it('is a pure function of the seed, and each sample draws its own transform', async () => {
    const one = image(1, 6, 6);
    const x = [...one, ...one, ...one, ...one];
    const attrs = { rotation_lower: -0.5, rotation_upper: 0.5, fill_mode: 'constant' };
    const a = await augment('random_affine', [4, 6, 6, 1], x, attrs, 42);
    const b = await augment('random_affine', [4, 6, 6, 1], x, attrs, 42);
    const c = await augment('random_affine', [4, 6, 6, 1], x, attrs, 43);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const samples = [0, 1, 2, 3].map((n) => a.slice(n * 36, (n + 1) * 36).join());
    expect(new Set(samples).size).toBe(4);
  });

  it('a rotation of 0.25 turns a square image 90 degrees counter-clockwise, exactly with nearest interpolation', async () => {
    for (const interpolation of ['nearest', 'bilinear']) {
      const x = image(1, 5, 5, 2);
      const y = await augment('random_affine', [1, 5, 5, 2], x, { rotation_lower: 0.25, rotation_upper: 0.25, interpolation });
      const X = at(x, 5, 5, 2), Y = at(y, 5, 5, 2);
      for (let r = 0; r < 5; r++) {
        for (let col = 0; col < 5; col++) {
          for (const ch of [0, 1]) {
            if (interpolation === 'nearest') expect(Y(0, r, col, ch)).toBe(X(0, col, 4 - r, ch));
            else expect(Y(0, r, col, ch)).toBeCloseTo(X(0, col, 4 - r, ch), 9);
          }
        }
      }
    }
  });

  it('flips mirror the image: horizontal, vertical, both together; flip_rate 0 never flips', async () => {
    const x = image(2, 3, 4, 2);
    const X = at(x, 3, 4, 2);
    const h = at(await augment('random_affine', [2, 3, 4, 2], x, { flip: 'horizontal', flip_rate: 1 }), 3, 4, 2);
    const v = at(await augment('random_affine', [2, 3, 4, 2], x, { flip: 'vertical', flip_rate: 1 }), 3, 4, 2);
    const hv = at(await augment('random_affine', [2, 3, 4, 2], x, { flip: 'horizontal_and_vertical', flip_rate: 1 }), 3, 4, 2);
    for (let n = 0; n < 2; n++) {
      for (let r = 0; r < 3; r++) {
        for (let col = 0; col < 4; col++) {
          for (const ch of [0, 1]) {
            expect(h(n, r, col, ch)).toBe(X(n, r, 3 - col, ch));
            expect(v(n, r, col, ch)).toBe(X(n, 2 - r, col, ch));
            expect(hv(n, r, col, ch)).toBe(X(n, 2 - r, 3 - col, ch));
          }
        }
      }
    }
    expect(await augment('random_affine', [2, 3, 4, 2], x, { flip: 'horizontal', flip_rate: 0 })).toEqual(x);
  });

  it('flips about half the samples at the default rate, each either mirrored or unchanged', async () => {
    const n = 400;
    const x = Array.from({ length: n }, () => [1, 2, 3]).flat();
    const y = await augment('random_affine', [n, 1, 3, 1], x, { flip: 'horizontal' }, 9);
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      const s = y.slice(3 * i, 3 * i + 3).join();
      expect(['1,2,3', '3,2,1']).toContain(s);
      if (s === '3,2,1') flipped++;
    }
    expect(Math.abs(flipped / n - 0.5)).toBeLessThan(0.08);
  });

  it('translation moves pixels down / right by the fraction of the size, filling with fill_value', async () => {
    const x = image(1, 4, 4);
    const X = at(x, 4, 4, 1);
    for (const interpolation of ['nearest', 'bilinear']) {
      const attrs = { translate_height_lower: 0.25, translate_height_upper: 0.25, translate_width_lower: 0.5, translate_width_upper: 0.5, fill_mode: 'constant', fill_value: -1, interpolation };
      const Y = at(await augment('random_affine', [1, 4, 4, 1], x, attrs), 4, 4, 1);
      for (let r = 0; r < 4; r++) {
        for (let col = 0; col < 4; col++) expect(Y(0, r, col)).toBe(r < 1 || col < 2 ? -1 : X(0, r - 1, col - 2));
      }
    }
  });

  it('fill modes extend the image as Keras documents: reflect (d c b a | a b c d), wrap, constant, nearest', async () => {
    const x = [1, 2, 3, 4];
    const shift = (fill_mode: string) =>
      augment('random_affine', [1, 1, 4, 1], x, { translate_width_lower: 0.5, translate_width_upper: 0.5, fill_mode, fill_value: 9, interpolation: 'nearest' });
    expect(await shift('reflect')).toEqual([2, 1, 1, 2]);
    expect(await shift('wrap')).toEqual([3, 4, 1, 2]);
    expect(await shift('constant')).toEqual([9, 9, 1, 2]);
    expect(await shift('nearest')).toEqual([1, 1, 1, 2]);
  });

  it('zoom scales about the centre: negative zooms in, positive zooms out', async () => {
    const x = image(1, 5, 5);
    const X = at(x, 5, 5, 1);
    const zoom = (v: number, interpolation: string) =>
      augment('random_affine', [1, 5, 5, 1], x, { zoom_height_lower: v, zoom_height_upper: v, zoom_width_same: 1, fill_mode: 'constant', fill_value: -1, interpolation });
    // zoom in 2x: output (r, c) samples input (r / 2 + 1, c / 2 + 1)
    const inNearest = at(await zoom(-0.5, 'nearest'), 5, 5, 1);
    const inBilinear = at(await zoom(-0.5, 'bilinear'), 5, 5, 1);
    for (let r = 0; r < 5; r++) {
      for (let col = 0; col < 5; col++) {
        const sy = r / 2 + 1, sx = col / 2 + 1;
        expect(inNearest(0, r, col)).toBe(X(0, Math.round(sy), Math.round(sx)));
        expect(inBilinear(0, r, col)).toBeCloseTo(5 * sy + sx, 9); // the image is linear: 5 * row + column
      }
    }
    // zoom out 2x: output (r, c) samples input (2r - 2, 2c - 2); the border falls outside
    const out = at(await zoom(1, 'nearest'), 5, 5, 1);
    expect(out(0, 2, 2)).toBe(X(0, 2, 2));
    expect(out(0, 1, 1)).toBe(X(0, 0, 0));
    expect(out(0, 3, 3)).toBe(X(0, 4, 4));
    expect(out(0, 0, 2)).toBe(-1);
    // separate width zoom
    const wide = at(await augment('random_affine', [1, 5, 5, 1], x, { zoom_width_lower: -0.5, zoom_width_upper: -0.5, interpolation: 'nearest' }), 5, 5, 1);
    expect(wide(0, 0, 0)).toBe(X(0, 0, 1));
    expect(wide(0, 4, 4)).toBe(X(0, 4, 3));
  });

  it('gives the same result in float32, and on the cpu backend', async () => {
    const x = image(3, 6, 5, 2);
    const attrs = { rotation_lower: -0.2, rotation_upper: 0.2, zoom_height_lower: -0.3, zoom_height_upper: 0.3, fill_mode: 'reflect' };
    const ref = await augment('random_affine', [3, 6, 5, 2], x, attrs, 5);
    const f32 = await augment('random_affine', [3, 6, 5, 2], x, attrs, 5, { dtype: 'float32' });
    const cpu = await augment('random_affine', [3, 6, 5, 2], x, attrs, 5, { dtype: 'float32', backend: 'cpu' });
    f32.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 2));
    expect(cpu).toEqual(f32);
  });

  it('names the node for a bad input or attribute', () => {
    const g = new addon.Graph();
    g.input('x3', [2, 3, 4]);
    g.input('x', [2, 3, 4, 1]);
    g.input('seed', [], 'int32');
    expect(() => g.op('random_affine', 'aug', ['x3', 'seed'])).toThrow("node 'aug' (random_affine): needs images [batch, height, width, channels] (rank 4), got [2, 3, 4]");
    expect(() => g.op('random_affine', 'aug', ['x', 'seed'], { fill_mode: 'mirror' })).toThrow(
      "node 'aug' (random_affine): fill_mode must be one of reflect, wrap, constant, nearest, got 'mirror'",
    );
    expect(() => g.op('random_affine', 'aug', ['x', 'seed'], { rotation_lower: 0.5, rotation_upper: 0.1 })).toThrow(
      "node 'aug' (random_affine): rotation_lower must not exceed rotation_upper, got 0.5 and 0.1",
    );
    expect(() => g.op('random_affine', 'aug', ['x', 'seed'], { zoom_height_lower: -1 })).toThrow("node 'aug' (random_affine): zoom_height_lower must be above -1, got -1");
    expect(() => g.op('random_color', 'aug', ['x', 'seed'])).toThrow("node 'aug' (random_color): needs brightness_lower/upper or contrast_lower/upper attributes");
  });
});

describe('random_color', () => {
  it('brightness adds factor * (value range) per sample and clips to the range', async () => {
    const x = [0.1, 0.5, 0.95, 0.2];
    expect(await augment('random_color', [1, 2, 2, 1], x, { brightness_lower: 0.1, brightness_upper: 0.1, value_min: 0, value_max: 1 })).toEqual(
      x.map((v) => Math.min(1, v + 0.1)),
    );
    const y = await augment('random_color', [1, 2, 2, 1], [10, 100, 250, 30], { brightness_lower: -0.1, brightness_upper: -0.1 });
    y.forEach((v, i) => expect(v).toBeCloseTo([0, 74.5, 224.5, 4.5][i], 9));
    // random: one delta per sample, within the range
    const n = 50;
    const r = await augment('random_color', [n, 1, 2, 1], new Array<number>(2 * n).fill(100), { brightness_lower: -0.2, brightness_upper: 0.2 }, 3);
    const deltas = Array.from({ length: n }, (_, i) => r[2 * i] - 100);
    for (let i = 0; i < n; i++) expect(r[2 * i + 1]).toBe(r[2 * i]);
    expect(deltas.every((d) => Math.abs(d) <= 0.2 * 255)).toBe(true);
    expect(new Set(deltas).size).toBe(n);
  });

  it('contrast scales each channel about its per-sample mean, then clips', async () => {
    const x = [10, 1, 20, 2, 30, 3, 40, 4]; // [1, 2, 2, 2]: channel means 25 and 2.5
    const y = await augment('random_color', [1, 2, 2, 2], x, { contrast_lower: 2, contrast_upper: 2 });
    expect(y).toEqual([0, 0, 15, 1.5, 35, 3.5, 55, 5.5]);
    const z = await augment('random_color', [1, 2, 2, 2], x, { contrast_lower: 0.5, contrast_upper: 0.5, value_min: 0, value_max: 30 });
    expect(z).toEqual([17.5, 1.75, 22.5, 2.25, 27.5, 2.75, 30, 3.25]);
  });
});
