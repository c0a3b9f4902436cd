/**
 * One thread of the image decode pool (decodePool.ts): reads, decodes, converts and resizes the
 * images of each job it is sent, and posts back their float32 pixels (null for an unreadable
 * file). Plain Node and the image libraries: no native addon.
 */
import { readFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { resizeBilinear, toChannels } from '../../../common/data/image.js';
import { decodeImage } from './decodeImage.js';
import type { DecodeJob, DecodeResult, DecodeWorkerData } from './decodePool.js';

const { port, signal, height, width, channels } = workerData as DecodeWorkerData;

port.on('message', ({ index, paths }: DecodeJob) => {
  const images = paths.map((path) => {
    try {
      return resizeBilinear(toChannels(decodeImage(readFileSync(path)), channels), height, width);
    } catch {
      return null;  // unreadable or corrupt: the pool skips it and lists it
    }
  });
  port.postMessage({ index, images } satisfies DecodeResult, images.flatMap((p) => (p ? [p.buffer as ArrayBuffer] : [])));
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
