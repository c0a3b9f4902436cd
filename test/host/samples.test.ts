// The built-in sample datasets (assets/datasets/): sizes, label and pixel ranges, and evidence that
// the data are real: a small MLP learns the MNIST digits, and car weight predicts mpg.
import { describe, expect, it } from 'vitest';
import { getDataset, listDatasets } from '../../electron/host/datasets.js';
import { loadAddon } from '../../electron/host/addon.js';
import { mlpSpec } from '../support/specs.js';

const counts = (y: ArrayLike<number>, classes: number) => {
  const c = new Array<number>(classes).fill(0);
  for (let i = 0; i < y.length; i++) c[y[i]]++;
  return c;
};

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
};

describe('sample datasets', () => {
  it('lists Iris, MNIST and Auto MPG with rows, shape, classes, source and licence', () => {
    const list = listDatasets();
    expect(list.map((d) => d.id)).toEqual(['iris', 'mnist', 'auto-mpg']);
    const byId = Object.fromEntries(list.map((d) => [d.id, d]));
    expect(byId.iris).toMatchObject({ name: 'Iris', rows: 150, features: 4, classes: 3, classNames: ['setosa', 'versicolor', 'virginica'], shape: [4], task: 'classification' });
    expect(byId.mnist).toMatchObject({ rows: 8000, testRows: 2000, features: 784, shape: [28, 28], classes: 10, task: 'classification', licence: 'CC BY-SA 3.0' });
    expect(byId['auto-mpg']).toMatchObject({ rows: 392, features: 9, shape: [9], classes: 0, classNames: [], task: 'regression', target: 'mpg' });
    for (const d of list) expect(d.source.length).toBeGreaterThan(10);
  });

  it('keeps Iris as it was: 50 per class, standardised features', () => {
    const iris = getDataset('iris')!;
    expect(iris.y).toBeInstanceOf(Int32Array);
    expect(counts(iris.y, 3)).toEqual([50, 50, 50]);
    expect(iris.x.length).toBe(600);
    expect(Math.abs(mean(iris.x.filter((_, i) => i % 4 === 2)))).toBeLessThan(1e-5);
    expect(iris.yShape).toEqual([]);
  });

  it('MNIST: 10,000 digits, 28x28 pixels 0..255, every digit in both splits, cached', () => {
    const t0 = performance.now();
    const mnist = getDataset('mnist')!;
    const loadMs = performance.now() - t0;
    expect(getDataset('mnist')).toBe(mnist);
    expect(mnist.x.length).toBe(8000 * 784);
    expect(mnist.y.length).toBe(8000);
    expect(mnist.test!.x.length).toBe(2000 * 784);
    expect(mnist.test!.y.length).toBe(2000);
    for (const [y, n] of [[mnist.y, 8000], [mnist.test!.y, 2000]] as const) {
      const c = counts(y, 10);
      expect(c.reduce((a, b) => a + b, 0)).toBe(n);
      for (const k of c) {  // roughly balanced: MNIST has 9-11% of each digit
        expect(k).toBeGreaterThan(n * 0.08);
        expect(k).toBeLessThan(n * 0.125);
      }
    }
    let min = Infinity, max = -Infinity, integral = true, zeros = 0;
    for (const v of mnist.x) {
      if (v < min) min = v;
      if (v > max) max = v;
      if (v !== Math.round(v)) integral = false;
      if (v === 0) zeros++;
    }
    expect([min, max, integral]).toEqual([0, 255, true]);
    expect(zeros / mnist.x.length).toBeGreaterThan(0.7);  // dark background, as in MNIST (about 81%)
    expect(zeros / mnist.x.length).toBeLessThan(0.9);
    // Digits are centred by their centre of mass: the 4-pixel border is nearly empty.
    let border = 0;
    for (let i = 0; i < 8000; i++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      if ((r < 2 || r >= 26 || c < 2 || c >= 26) && mnist.x[i * 784 + r * 28 + c] > 0) border++;
    }
    expect(border / (8000 * (784 - 576))).toBeLessThan(0.01);
    expect(loadMs).toBeLessThan(3000);  // about 0.25 s cold (inflate + convert), then cached
  });

  it('MNIST digits are real: an MLP reaches over 85% training accuracy on 2,000 of them in 2 epochs', async () => {
    const mnist = getDataset('mnist')!;
    const n = 2000;
    const x = mnist.x.slice(0, n * 784).map((v) => v / 255);  // Keras's x_train / 255
    const y = Int32Array.from(mnist.y.subarray(0, n));
    const model = new (loadAddon().Model)(mlpSpec([784, 64, 10], { type: 'adam', learningRate: 0.001 }, 3));
    const epochs: number[] = [];
    await model.fit({ x, y }, { epochs: 2, batchSize: 32 }, (events) => {
      for (const e of events) if (e.type === 'epoch') epochs.push(e.metrics.accuracy);
    });
    const [logits] = await model.predict({ x });
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
    }
    expect(epochs.length).toBe(2);
    expect(correct / n).toBeGreaterThan(0.85);
    // ...and it generalises to the held-out test digits (a check that labels match images).
    const test = mnist.test!;
    const [testLogits] = await model.predict({ x: test.x.map((v) => v / 255) });
    let testCorrect = 0;
    for (let i = 0; i < test.y.length; i++) {
      const row = testLogits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === test.y[i]) testCorrect++;
    }
    expect(testCorrect / test.y.length).toBeGreaterThan(0.8);
  });

  it('Auto MPG: 392 cars, 6 standardised features and origin one-hot, mpg targets, heavier cars use more fuel', () => {
    const cars = getDataset('auto-mpg')!;
    const f = cars.info.features;
    expect(cars.info.featureNames).toEqual(['cylinders', 'displacement', 'horsepower', 'weight', 'acceleration', 'model_year', 'origin=Europe', 'origin=Japan', 'origin=USA']);
    expect(cars.y).toBeInstanceOf(Float32Array);
    expect(cars.yShape).toEqual([1]);
    expect(cars.y.length).toBe(392);
    expect(Math.min(...cars.y)).toBeGreaterThanOrEqual(9);
    expect(Math.max(...cars.y)).toBeLessThanOrEqual(47);
    expect(mean(cars.y)).toBeCloseTo(23.45, 1);  // the 392-row Auto MPG's mean mpg
    // Numeric columns standardised; origin one-hot, as for any CSV Kiln reads.
    for (let j = 0; j < f; j++) {
      const col = Array.from({ length: 392 }, (_, r) => cars.x[r * f + j]);
      if (cars.info.featureNames![j].startsWith('origin=')) {
        expect(col.every((v) => v === 0 || v === 1)).toBe(true);
        continue;
      }
      expect(Math.abs(mean(col))).toBeLessThan(1e-5);
      expect(mean(col.map((v) => v * v))).toBeCloseTo(1, 4);
    }
    // Least-squares line mpg ~ a + b * weight (standardised): b < 0 and a strong correlation.
    const w = Array.from({ length: 392 }, (_, r) => cars.x[r * f + 3]);
    const my = mean(cars.y);
    const cov = mean(w.map((v, r) => v * (cars.y[r] - my)));
    const sy = Math.sqrt(mean(Array.from(cars.y, (v) => (v - my) ** 2)));
    const corr = cov / sy;  // w has unit variance
    expect(corr).toBeLessThan(-0.8);  // about -0.83 in the literature
    const slope = cov;  // per standard deviation of weight
    const residual = mean(w.map((v, r) => (cars.y[r] - my - slope * v) ** 2));
    expect(Math.sqrt(residual)).toBeLessThan(5);  // RMSE of the weight-only line, about 4.3 mpg
  });
});
