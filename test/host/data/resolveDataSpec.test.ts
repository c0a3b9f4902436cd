import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../../common/formats/npy.js';
import { writeNpz } from '../../../common/formats/npz.js';
import { readSamples } from '../../../electron/host/data/readSamples.js';
import { detectFormat, DataSpecError, resolveDataSpec } from '../../../electron/host/data/resolveDataSpec.js';
import { dataOptionsFromFlags, loadDataSpec } from '../../../electron/host/training/dataSpec.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-data-'));
  process.env.KILN_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function png(path: string, w: number, h: number, rgb: [number, number, number]) {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
  writeFileSync(path, PNG.sync.write(p));
}
function jpg(path: string, w: number, h: number, v: number) {
  writeFileSync(path, jpeg.encode({ width: w, height: h, data: Buffer.alloc(w * h * 4, v) }, 95).data);
}
function idx(type: number, dims: number[], values: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(values)]);
}

describe('image folders', () => {
  let images: string;
  beforeAll(() => {
    images = join(dir, 'pets');
    for (const c of ['cats', 'dogs']) mkdirSync(join(images, c, 'more'), { recursive: true });
    for (let i = 0; i < 5; i++) png(join(images, 'cats', `c${i}.png`), 4, 6, [200, 10, 10]);
    png(join(images, 'cats', 'more', 'nested.png'), 2, 2, [200, 10, 10]);
    for (let i = 0; i < 4; i++) jpg(join(images, 'dogs', `d${i}.jpg`), 8, 8, 50);
    writeFileSync(join(images, 'dogs', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    writeFileSync(join(images, 'dogs', 'notes.md'), 'not an image');
    writeFileSync(join(images, 'dogs', 'old.gif'), 'GIF89a');
  });

  it('reads PNG and JPEG by class folder, resized, float32 0..255; skips and lists unreadable images', () => {
    expect(detectFormat(images)).toBe('image-folder');
    const s = resolveDataSpec(images, { imageSize: [3, 2] });
    expect(s.train.count).toBe(10);
    expect(s.train.classNames).toEqual(['cats', 'dogs']);
    expect(s.train.x[0].shape).toEqual([3, 2, 3]);
    const x = readSamples(s.train.x[0], 0, s.train.count);
    expect(x).toBeInstanceOf(Float32Array);
    expect(Array.from(x.subarray(0, 3))).toEqual([200, 10, 10]);
    const y = Array.from(s.train.y[0].data);
    expect(y.filter((v) => v === 0)).toHaveLength(6);
    expect(y.filter((v) => v === 1)).toHaveLength(4);
    expect(s.train.notes[0]).toBe(`skipped 1 unreadable image: ${join('dogs', 'broken.png')}`);
    expect(s.train.notes[1]).toMatch(/left out 1 BMP\/GIF file/);
    expect(s.description).toMatch(/1 unreadable skipped/);
    const dog = x.subarray(9 * 18, 9 * 18 + 3);  // JPEG gray 50, lossy
    for (const v of dog) expect(Math.abs(v - 50)).toBeLessThan(3);
  });

  it('grayscale, and a validation split that is the same under the same seed (Keras\'s file shuffle)', () => {
    const a = resolveDataSpec(images, { imageSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.3, seed: 1 });
    expect(a.train.x[0].shape).toEqual([2, 2, 1]);
    // 11 files (broken.png included, as Keras lists it): int(0.3 * 11) = 3 held out, 8 for training, 1 of them unreadable.
    expect(a.validation!.count + a.train.count).toBe(10);
    const b = resolveDataSpec(images, { imageSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.3, seed: 1 });
    expect(b.train.y[0].data).toEqual(a.train.y[0].data);
    expect(readSamples(b.validation!.x[0], 0, 3)).toEqual(readSamples(a.validation!.x[0], 0, 3));
    const c = resolveDataSpec(images, { imageSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.3, seed: 2 });
    expect([c.train.y[0].data, c.validation!.y[0].data]).not.toEqual([a.train.y[0].data, a.validation!.y[0].data]);
  });

  it('refuses a folder with one class, or with no images', () => {
    const one = join(dir, 'one');
    mkdirSync(join(one, 'only'), { recursive: true });
    png(join(one, 'only', 'a.png'), 2, 2, [1, 2, 3]);
    png(join(one, 'only', 'b.png'), 2, 2, [1, 2, 3]);
    expect(() => resolveDataSpec(one, { imageSize: [2, 2] })).toThrow('one has only one class ("only", 2 samples)');
    const broken = join(dir, 'broken');
    for (const c of ['a', 'b']) {
      mkdirSync(join(broken, c), { recursive: true });
      writeFileSync(join(broken, c, 'x.png'), 'nope');
    }
    expect(() => resolveDataSpec(broken)).toThrow(/broken has no samples \(skipped 2 unreadable images: .*x\.png/);
  });

  it('reads DIR/train and DIR/test as training and test data', () => {
    const root = join(dir, 'split');
    for (const part of ['train', 'test']) for (const c of ['a', 'b']) {
      mkdirSync(join(root, part, c), { recursive: true });
      png(join(root, part, c, '1.png'), 2, 2, c === 'a' ? [0, 0, 0] : [255, 255, 255]);
    }
    const s = resolveDataSpec(root, { imageSize: [2, 2] });
    expect(s.train.count).toBe(2);
    expect(s.test!.count).toBe(2);
    expect(Array.from(s.test!.y[0].data)).toEqual([0, 1]);
  });
});

describe('IDX files', () => {
  it('reads train/t10k images and labels, gzipped or not', () => {
    const d = join(dir, 'mnist');
    mkdirSync(d);
    const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [3, 2, 2], pixels)));
    writeFileSync(join(d, 'train-labels-idx1-ubyte.gz'), gzipSync(idx(0x08, [3], Uint8Array.of(0, 1, 2))));
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx(0x08, [2, 2, 2], pixels.subarray(0, 8)));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idx(0x08, [2], Uint8Array.of(2, 0)));
    expect(detectFormat(d)).toBe('idx');
    const s = resolveDataSpec(d);
    expect(s.train.count).toBe(3);
    expect(s.train.x[0]).toEqual({ shape: [2, 2], data: Float32Array.from(pixels) });
    expect(s.train.y[0].data).toEqual(Int32Array.of(0, 1, 2));
    expect(s.test!.y[0].data).toEqual(Int32Array.of(2, 0));
    expect(s.description).toMatch(/3 training and 2 test samples/);
    // One images file: its labels file is found beside it.
    expect(resolveDataSpec(join(d, 't10k-images-idx3-ubyte')).train.count).toBe(2);
  });
  it('names a mismatched pair and a corrupt gzip', () => {
    const d = join(dir, 'badidx');
    mkdirSync(d);
    writeFileSync(join(d, 'train-images-idx3-ubyte'), idx(0x08, [3, 1, 1], Uint8Array.of(1, 2, 3)));
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), idx(0x08, [2], Uint8Array.of(0, 1)));
    expect(() => resolveDataSpec(d)).toThrow(/has 3 images but .*train-labels-idx1-ubyte has 2 labels/);
    writeFileSync(join(d, 'x-images-idx3-ubyte.gz'), 'not gzip');
    writeFileSync(join(d, 'x-labels-idx1-ubyte'), idx(0x08, [2], Uint8Array.of(0, 1)));
    expect(() => resolveDataSpec(join(d, 'x-images-idx3-ubyte.gz'))).toThrow(/is not a readable gzip file/);
  });
});

describe('text folders', () => {
  it('vectorizes an IMDB-style folder with a vocabulary from the training split', () => {
    const d = join(dir, 'imdb');
    for (const c of ['neg', 'pos']) mkdirSync(join(d, c), { recursive: true });
    writeFileSync(join(d, 'pos', '1.txt'), 'A great, GREAT film!');
    writeFileSync(join(d, 'pos', '2.txt'), 'great acting');
    writeFileSync(join(d, 'neg', '1.txt'), 'A bad film.');
    writeFileSync(join(d, 'neg', '2.txt'), 'bad bad acting');
    expect(detectFormat(d)).toBe('text-folder');
    const s = resolveDataSpec(d, { maxTokens: 5, sequenceLength: 4 });
    expect(s.preprocessing!.vocabulary).toEqual(['', '[UNK]', 'great', 'bad', 'film']);
    expect(s.train.x[0].shape).toEqual([4]);
    expect(s.train.x[0].data).toBeInstanceOf(Int32Array);
    // Files in Keras's order: neg/1, neg/2, pos/1, pos/2.
    expect(Array.from(readSamples(s.train.x[0], 0, 4))).toEqual([1, 3, 4, 0, 3, 3, 1, 0, 1, 2, 2, 4, 2, 1, 0, 0]);
    expect(Array.from(s.train.y[0].data)).toEqual([0, 0, 1, 1]);
  });
});

describe('the dataset spec', () => {
  it('reads CSV with --target and a seeded validation split; reports a malformed row by line', () => {
    const csv = join(dir, 'table.csv');
    writeFileSync(csv, 'a,b,label\n' + Array.from({ length: 10 }, (_, i) => `${i},${i % 2 ? 'x' : 'y'},${i % 3 ? 'p' : 'q'}`).join('\n'));
    const s = loadDataSpec('table.csv', { inputs: ['in'], outputs: ['out'] }, dir, { target: 'label', validationSplit: 0.2, seed: 3 });
    expect(s.train.x[0]).toMatchObject({ shape: [8, 3] });
    expect(s.validation!.y[0]).toMatchObject({ shape: [2] });
    expect(s.classNames).toEqual(['p', 'q']);
    writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,2\n3\n');
    expect(() => loadDataSpec('bad.csv', { inputs: ['in'], outputs: ['out'] }, dir)).toThrow('bad.csv, line 3: 1 cells where the first row has 2');
  });

  it('reads .npz and a folder of .npy files; refuses what it does not know', () => {
    const npz = join(dir, 'd.npz');
    writeFileSync(npz, writeNpz({ x_train: { shape: [2, 3], data: new Float32Array(6) }, y_train: { shape: [2], data: Int32Array.of(0, 1) } }));
    expect(loadDataSpec(npz, { inputs: ['in'], outputs: ['out'] }).description).toBe(`${npz} (2 samples)`);
    const npy = join(dir, 'arrays');
    mkdirSync(npy);
    writeFileSync(join(npy, 'x_train.npy'), writeNpy({ shape: [3, 2], data: new Float64Array(6).fill(0.5) }));
    writeFileSync(join(npy, 'y_train.npy'), writeNpy({ shape: [3], data: Int32Array.of(0, 1, 0) }));
    expect(detectFormat(npy)).toBe('npy');
    const a = resolveDataSpec(npy);
    expect(a.train.x[0]).toEqual({ shape: [2], data: new Float32Array(6).fill(0.5) });
    expect(() => resolveDataSpec(join(dir, 'nothing-here'))).toThrow(DataSpecError);
    expect(() => resolveDataSpec(join(dir, 'missing.csv'))).toThrow(/does not exist/);
  });

  it('parses the data flags', () => {
    expect(dataOptionsFromFlags({ target: 'y', 'image-size': '180x160', 'validation-split': '0.2', 'color-mode': 'grayscale' }, 7)).toEqual({
      target: 'y', imageSize: [180, 160], validationSplit: 0.2, colorMode: 'grayscale', seed: 7,
    });
    expect(() => dataOptionsFromFlags({ 'image-size': 'big' })).toThrow(/--image-size must be HxW/);
    expect(() => dataOptionsFromFlags({ 'validation-split': '1.5' })).toThrow(/--validation-split must be a fraction/);
  });

  it('still reads sample:iris', () => {
    const s = loadDataSpec('sample:iris', { inputs: ['in'], outputs: ['out'] });
    expect(s.description).toBe('sample:iris (150 samples)');
    expect(s.train.x[0]).toMatchObject({ shape: [150, 4] });
  });
});
