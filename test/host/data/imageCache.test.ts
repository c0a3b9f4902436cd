// Image folders are decoded by the worker pool into a cache file the engine maps: the same
// tensors as decoding each image directly, reused while the files are unchanged, made again when
// one changes, and never read when a build was cut short.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMapped, splitIndices, type DataTensor, type MappedValues } from '../../../common/data/dataset.js';
import { resizeBilinear, toChannels } from '../../../common/data/image.js';
import { decodeImage, IMAGE_EXTENSIONS } from '../../../electron/host/data/decodeImage.js';
import { indexClassFolders } from '../../../electron/host/data/folders.js';
import { readSamples } from '../../../electron/host/data/readSamples.js';
import { resolveDataSpec } from '../../../electron/host/data/resolveDataSpec.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-image-cache-'));
const cacheDir = join(dir, 'cache', 'images');
const folder = join(dir, 'shapes');
beforeAll(() => {
  process.env.KILN_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PNG of w x h pixels with a gradient that depends on `seed`, RGBA or gray. */
function png(path: string, w: number, h: number, seed: number, gray = false) {
  const p = new PNG({ width: w, height: h, colorType: gray ? 0 : 6, inputColorType: 6 });
  for (let i = 0; i < w * h; i++) p.data.set([(seed * 37 + i * 5) % 256, (seed * 11 + i * 3) % 256, (seed * 7 + i) % 256, 255], i * 4);
  writeFileSync(path, PNG.sync.write(p, { colorType: gray ? 0 : 6 }));
}

const options = { imageSize: [5, 7] as [number, number], validationSplit: 0.25, seed: 5 };
const mapped = (t: DataTensor) => t.data as MappedValues;
const cacheFiles = () => readdirSync(cacheDir).sort();

beforeAll(() => {
  for (const c of ['circle', 'square', 'star']) mkdirSync(join(folder, c, 'more'), { recursive: true });
  for (let i = 0; i < 24; i++) png(join(folder, ['circle', 'square', 'star'][i % 3], `${i}.png`), 6 + (i % 5), 4 + (i % 3), i, i % 4 === 0);
  png(join(folder, 'star', 'more', 'nested.png'), 9, 9, 99);
  writeFileSync(join(folder, 'square', 'photo.jpg'), jpeg.encode({ width: 8, height: 6, data: Buffer.alloc(8 * 6 * 4, 120) }, 90).data);
  writeFileSync(join(folder, 'circle', 'corrupt.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 9, 9, 9]));
});

/** What each split should hold: every readable image decoded directly, in Keras's order and split. */
function expected() {
  const ix = indexClassFolders(folder, IMAGE_EXTENSIONS);
  const split = splitIndices(ix.files.length, options.validationSplit, options.seed);
  const part = (indices: Int32Array) => {
    const x: number[] = [];
    const y: number[] = [];
    for (const i of indices) {
      try {
        x.push(...resizeBilinear(toChannels(decodeImage(readFileSync(ix.files[i])), 3), 5, 7));
        y.push(ix.labels[i]);
      } catch { /* skipped */ }
    }
    return { x: Float32Array.from(x), y: Int32Array.from(y) };
  };
  return { train: part(split.train), validation: part(split.validation!) };
}

describe('the image decode cache', () => {
  it('holds the same tensors as a direct decode, each split one contiguous range; skips and lists corrupt images', () => {
    const s = resolveDataSpec(folder, options);
    const want = expected();
    const [train, validation] = [s.train.x[0], s.validation!.x[0]];
    expect(isMapped(train.data) && isMapped(validation.data)).toBe(true);
    expect(readSamples(train, 0, s.train.count)).toEqual(want.train.x);
    expect(readSamples(validation, 0, s.validation!.count)).toEqual(want.validation.x);
    expect(s.train.y[0].data).toEqual(want.train.y);
    expect(s.validation!.y[0].data).toEqual(want.validation.y);
    expect(mapped(validation).offset).toBe(mapped(train).offset + mapped(train).length * 4);
    expect(s.train.count + s.validation!.count).toBe(26);
    expect(s.train.notes).toEqual([`skipped 1 unreadable image: ${join('circle', 'corrupt.png')}`]);
    expect(s.description).toMatch(/27 files, 3 classes, 5x7 RGB, 1 unreadable skipped/);
  });

  it('is reused while the files are unchanged (no decode), and made again when one changes', () => {
    const first = resolveDataSpec(folder, options);
    const path = mapped(first.train.x[0]).path;
    const before = statSync(path);
    const again = resolveDataSpec(folder, options);
    expect(mapped(again.train.x[0])).toEqual(mapped(first.train.x[0]));
    expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(path).ino).toBe(before.ino);
    expect(again.train.notes).toEqual(first.train.notes);  // skipped images are still listed

    // Another size or split is another cache, beside this one.
    resolveDataSpec(folder, { ...options, imageSize: [3, 3] });
    expect(cacheFiles().filter((f) => f.endsWith('.npy'))).toHaveLength(2);

    png(join(folder, 'square', '1.png'), 7, 5, 500);
    utimesSync(join(folder, 'square', '1.png'), new Date(), new Date(Date.now() + 5000));
    const changed = resolveDataSpec(folder, options);
    expect(mapped(changed.train.x[0]).path).not.toBe(path);
    expect(readSamples(changed.train.x[0], 0, changed.train.count)).toEqual(expected().train.x);
    // The folder's outdated cache is gone; the other size's stays.
    expect(cacheFiles().some((f) => f.startsWith(path.slice(cacheDir.length + 1, -4)))).toBe(false);
    expect(cacheFiles().filter((f) => f.endsWith('.npy'))).toHaveLength(2);
  });

  it('never reads a cache that a crash cut short: a truncated file, a missing record, a dead build\'s temporary file', () => {
    const s = resolveDataSpec(folder, options);
    const { path } = mapped(s.train.x[0]);
    const json = path.replace(/\.npy$/, '.json');
    const want = expected().train.x;

    truncateSync(path, statSync(path).size - 100);
    const afterTruncate = resolveDataSpec(folder, options);
    expect(readSamples(afterTruncate.train.x[0], 0, afterTruncate.train.count)).toEqual(want);

    unlinkSync(json);
    const before = statSync(path).mtimeMs;
    const afterMissing = resolveDataSpec(folder, options);
    expect(statSync(path).mtimeMs).toBeGreaterThanOrEqual(before);
    expect(readSamples(afterMissing.train.x[0], 0, afterMissing.train.count)).toEqual(want);

    // A build killed mid-way leaves only its temporary file, which the next build removes.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const temp = `${path}.${dead}.tmp`;
    writeFileSync(temp, 'half a cache');
    unlinkSync(json);
    const afterKill = resolveDataSpec(folder, options);
    expect(readSamples(afterKill.train.x[0], 0, afterKill.train.count)).toEqual(want);
    expect(cacheFiles()).not.toContain(temp.slice(cacheDir.length + 1));
  });
});
