// Training from .npy files the engine memory-maps (samples read on demand, never loaded whole into
// JS or native memory): the same results as from in-memory arrays, and clear errors for files
// that are not what their header says.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../../common/formats/npy.js';
import type { NativeAddon } from '../../../electron/host/addon.js';
import { npyFile } from '../../../electron/host/data/npyFile.js';
import { classificationData, mlpSpec } from '../../support/specs.js';

const addon = createRequire(import.meta.url)(fileURLToPath(new URL('../../../native/build/Release/kiln_native.node', import.meta.url))) as NativeAddon;
const dir = mkdtempSync(join(tmpdir(), 'kiln-npy-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('training from memory-mapped .npy files', () => {
  const data = classificationData(500, [6], 3, 4);
  writeFileSync(join(dir, 'x.npy'), writeNpy({ shape: [500, 6], data: data.x }));
  writeFileSync(join(dir, 'y.npy'), writeNpy({ shape: [500], data: data.y }));
  writeFileSync(join(dir, 'y64.npy'), writeNpy({ shape: [500], data: Float64Array.from(data.y) }));

  it('trains, evaluates and predicts as from arrays in memory', async () => {
    const x = npyFile(join(dir, 'x.npy'));
    const y = npyFile(join(dir, 'y.npy'));
    expect([x.shape, x.dtype, y.shape, y.dtype]).toEqual([[500, 6], 'float32', [500], 'int32']);
    const [fromDisk, inMemory] = [new addon.Model(mlpSpec([6, 16, 3], { type: 'adam' }, 3)), new addon.Model(mlpSpec([6, 16, 3], { type: 'adam' }, 3))];
    await fromDisk.fit({ x, y }, { epochs: 3, batchSize: 32 });
    await inMemory.fit({ x: data.x, y: data.y }, { epochs: 3, batchSize: 32 });
    expect(fromDisk.getWeights()['dense_1/kernel']).toEqual(inMemory.getWeights()['dense_1/kernel']);
    expect(await fromDisk.evaluate({ x, y })).toEqual(await inMemory.evaluate({ x: data.x, y: data.y }));
    expect(await fromDisk.predict({ x })).toEqual(await inMemory.predict({ x: data.x }));
  });

  it('names the file when it is truncated, missing, or of a dtype the engine cannot stream', () => {
    writeFileSync(join(dir, 'short.npy'), writeNpy({ shape: [500, 6], data: data.x }));
    const short = npyFile(join(dir, 'short.npy'));
    truncateSync(join(dir, 'short.npy'), short.offset + 100);
    const m = new addon.Model(mlpSpec([6, 16, 3], { type: 'adam' }));
    expect(() => m.fit({ x: short, y: npyFile(join(dir, 'y.npy')) })).toThrow(/x for 'x': .*short\.npy has \d+ bytes, but its samples need \d+: the file is truncated/);
    expect(() => m.fit({ x: { ...short, path: join(dir, 'gone.npy') }, y: npyFile(join(dir, 'y.npy')) })).toThrow(/cannot open .*gone\.npy/);
    expect(() => npyFile(join(dir, 'y64.npy'))).toThrow(/streaming from disk needs float32 or int32 data, not float64/);
  });
});
