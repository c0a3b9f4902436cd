import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../common/data/dataset.js';
import { writeNpz } from '../../common/formats/npz.js';
import { inspectData } from '../../electron/host/data/inspectData.js';
import { DataSpecError } from '../../electron/host/data/resolveDataSpec.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kiln-inspect-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Decodes a preview's data URL back to its pixels. */
function pixels(src: string): PNG {
  expect(src.startsWith('data:image/png;base64,')).toBe(true);
  return PNG.sync.read(Buffer.from(src.slice('data:image/png;base64,'.length), 'base64'));
}

describe('inspectData: what the Data panel shows', () => {
  it('a CSV: columns with their types, the target, the first rows as written, class counts and splits', () => {
    const rows = ['size,weight,colour,kind', ...Array.from({ length: 20 }, (_, i) => `${i},${i * 1.5},${i % 2 ? 'red' : 'blue'},${i < 12 ? 'apple' : 'pear'}`)];
    writeFileSync(join(dir, 'fruit.csv'), `${rows.join('\n')}\n`);
    const s = inspectData('fruit.csv', {}, dir);
    expect(s.format).toBe('csv');
    expect(s.table!.columns).toEqual([
      { name: 'size', type: 'numeric', role: 'feature', missing: 0 },
      { name: 'weight', type: 'numeric', role: 'feature', missing: 0 },
      { name: 'colour', type: 'categorical', role: 'feature', missing: 0 },
      { name: 'kind', type: 'categorical', role: 'target', missing: 0 },
    ]);
    expect(s.table!.rows).toBe(20);
    expect(s.table!.head).toHaveLength(8);
    expect(s.table!.head[1]).toEqual(['1', '1.5', 'red', 'apple']);
    expect(s.inputs).toEqual([{ shape: [4], dtype: 'float32' }]);  // colour one-hot: 2 + 2
    expect(s.target).toEqual({ kind: 'classes', classNames: ['apple', 'pear'], counts: [12, 8] });
    expect(s.splits).toEqual({ train: 20, validation: 0, test: 0 });
    expect(s.choices).toEqual({ target: 'kind', validationSplit: 0 });
    expect(s.images).toBeUndefined();

    const byWeight = inspectData('fruit.csv', { target: 'weight', validationSplit: 0.25 }, dir);
    expect(byWeight.target).toEqual({ kind: 'values', shape: [] });
    expect(byWeight.table!.columns.find((c) => c.role === 'target')!.name).toBe('weight');
    expect(byWeight.splits).toEqual({ train: 15, validation: 5, test: 0 });
  });

  it('a malformed CSV row or an unknown column is an error with its line or the columns', () => {
    writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,2\n3\n');
    expect(() => inspectData('bad.csv', {}, dir)).toThrow(new DataError('bad.csv, line 3: 1 cells where the first row has 2: fix or remove this row'));
    expect(() => inspectData('fruit.csv', { target: 'nope' }, dir)).toThrow(/has no column "nope": its columns are "size", "weight", "colour", "kind"/);
    expect(() => inspectData('missing.csv', {}, dir)).toThrow(DataError);
    expect(() => inspectData('sample:nope')).toThrow(DataSpecError);
    expect(() => inspectData('  ')).toThrow(DataSpecError);
  });

  it('an image folder: indexed and split, a few images decoded at the thumbnail size, unreadable ones named', () => {
    const root = join(dir, 'shapes');
    for (const [c, rgb] of [['circles', [250, 0, 0]], ['squares', [0, 0, 250]]] as const) {
      mkdirSync(join(root, c), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const p = new PNG({ width: 10, height: 10 });
        for (let k = 0; k < 100; k++) p.data.set([...rgb, 255], k * 4);
        writeFileSync(join(root, c, `${i}.png`), PNG.sync.write(p));
      }
    }
    writeFileSync(join(root, 'squares', 'torn.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]));
    const s = inspectData(root, { imageSize: [32, 16], validationSplit: 0.25 });
    expect(s.format).toBe('image-folder');
    expect(s.inputs).toEqual([{ shape: [32, 16, 3], dtype: 'float32' }]);
    expect(s.splits).toEqual({ train: 10, validation: 3, test: 0 });
    expect(s.target.kind).toBe('classes');
    if (s.target.kind === 'classes') {
      expect(s.target.classNames).toEqual(['circles', 'squares']);
      expect(s.target.counts.reduce((a, b) => a + b)).toBe(10);
    }
    expect(s.choices).toEqual({ imageSize: [32, 16], colorMode: 'rgb', validationSplit: 0.25 });
    const images = s.images!;
    const torn = s.notes.some((n) => n.startsWith(`${join('squares', 'torn.png')} is not a readable image`));
    expect(images.length).toBe(torn ? 9 : 10);
    for (const img of images) {
      const p = pixels(img.src);
      expect([p.width, p.height]).toEqual([16, 32]);  // the training aspect, 32 high by 16 wide
      expect(Array.from(p.data.subarray(0, 3))).toEqual(img.label === 'circles' ? [250, 0, 0] : [0, 0, 250]);
    }
    // The grid takes the classes in turn.
    expect(images.slice(0, 2).map((i) => i.label).sort()).toEqual(['circles', 'squares']);
    expect(inspectData(root, { colorMode: 'grayscale' }).inputs[0].shape).toEqual([256, 256, 1]);
  });

  it('the MNIST sample: digits as images with their labels, the test split, class counts', () => {
    const s = inspectData('sample:mnist');
    expect(s.format).toBe('sample');
    expect(s.inputs).toEqual([{ shape: [28, 28], dtype: 'float32' }]);
    expect(s.splits).toEqual({ train: 8000, validation: 0, test: 2000 });
    expect(s.images).toHaveLength(24);
    expect(new Set(s.images!.map((i) => i.label))).toEqual(new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']));
    const digit = pixels(s.images![0].src);
    expect([digit.width, digit.height]).toEqual([28, 28]);
    expect(Math.max(...digit.data)).toBe(255);
    if (s.target.kind !== 'classes') throw new Error('MNIST has classes');
    expect(s.target.counts.reduce((a, b) => a + b)).toBe(8000);
    expect(inspectData('sample:mnist', { validationSplit: 0.1 }).splits).toEqual({ train: 7200, validation: 800, test: 2000 });
  });

  it('the Iris sample shows its table; an .npz shows its arrays', () => {
    const iris = inspectData('sample:iris');
    expect(iris.table!.columns.find((c) => c.role === 'target')!.name).toBe('species');
    expect(iris.inputs).toEqual([{ shape: [4], dtype: 'float32' }]);
    expect(iris.target).toMatchObject({ kind: 'classes', classNames: ['setosa', 'versicolor', 'virginica'], counts: [50, 50, 50] });

    const npz = join(dir, 'tokens.npz');
    writeFileSync(npz, writeNpz({
      x_train: { shape: [6, 5], data: new Int32Array(30).map((_, i) => i % 7) },
      y_train: { shape: [6], data: new Float32Array([0.5, 1, 1.5, 2, 2.5, 3]) },
    }));
    const s = inspectData(npz);
    expect(s.format).toBe('npz');
    expect(s.inputs).toEqual([{ shape: [5], dtype: 'int32' }]);
    expect(s.target).toEqual({ kind: 'values', shape: [] });
    expect(s.images).toBeUndefined();
  });
});
