// A model's CPU threads (new Model(spec, { threads })): the training setting cpuThreads and
// `kiln train --threads` leave cores to the rest of the machine. The pool a model gets has that
// many threads (the profiled timeline has one lane each), trains to the same weights as the
// default pool, and bad counts are refused before anything is built.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { NativeAddon, NativeModel } from '../../electron/host/addon.js';
import { classificationData, cnnSpec } from '../support/specs.js';

const addonPath = process.env.KILN_ADDON ?? fileURLToPath(new URL('../../native/build/Release/kiln_native.node', import.meta.url));
const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;

const spec = cnnSpec({ input: [12, 12, 1], filters: 8, kernel: 3, pool: 2, classes: 4 }, { type: 'adam', learningRate: 0.01 });
const data = classificationData(96, [12, 12, 1], 4, 3);

async function trained(threads?: number): Promise<NativeModel> {
  const m = new addon.Model(spec, threads === undefined ? undefined : { backend: 'cpu', threads });
  m.setProfiling(true);
  await m.fit(data, { epochs: 2, batchSize: 16, shuffle: false });
  return m;
}

describe('a model with a set number of CPU threads', () => {
  it('computes on that many threads and trains to the weights the default pool gives', async () => {
    const reference = (await trained()).getWeights();
    for (const threads of [1, 3]) {
      const m = await trained(threads);
      expect(m.profileTimeline().threads).toBe(threads);
      const weights = m.getWeights();
      for (const [name, w] of Object.entries(reference)) {
        const scale = Math.max(1e-3, ...Array.from(w, Math.abs));
        const worst = Math.max(...Array.from(w, (v, i) => Math.abs(v - weights[name][i])));
        expect(worst / scale, `${name} with ${threads} threads`).toBeLessThan(1e-4);
      }
    }
  });

  it('refuses a count that is not a whole number from 1 to 256, and threads on another backend', () => {
    for (const [threads, shown] of [[0, '0'], [1.5, '1.5'], [257, '257'], ['2', 'not a number']]) {
      expect(() => new addon.Model(spec, { backend: 'cpu', threads: threads as number })).toThrow(`options.threads is ${shown}; it must be a whole number between 1 and 256`);
    }
    expect(() => new addon.Model(spec, { backend: 'reference', threads: 2 })).toThrow("options.threads applies to the cpu backend only (this model is on 'reference')");
  });
});
