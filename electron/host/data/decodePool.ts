/**
 * Decodes image files on a pool of worker threads (one per available core) and hands the pixels
 * back in file order, holding only the images in flight: a small reorder window, whatever the
 * folder's size. Small images go in batches (one message for up to 1 MiB of pixels), so that
 * messages do not cost more than decoding. The calling thread blocks while the pool works
 * (Atomics.wait, and messages taken with receiveMessageOnPort), so the data loaders stay synchronous.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export interface ImageSize {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** What each thread receives at start (decodeWorker.ts). */
export interface DecodeWorkerData extends ImageSize {
  port: MessagePort;
  /** Counts results posted; the pool waits on it. */
  signal: Int32Array;
  /** The worker's TypeScript source, when running from sources (sourceWorker.mjs loads it). */
  entry?: string;
}

/** Files `paths` from position `index` on. */
export interface DecodeJob {
  index: number;
  paths: string[];
}

/** Pixels per file of the job, null for a file that is not a readable PNG or JPEG. */
export interface DecodeResult {
  index: number;
  images: (Float32Array | null)[];
}

/** Jobs in flight per thread: enough to keep each busy, few enough to bound memory. */
const PER_THREAD = 4;
/** Pixel bytes per job, in images of the size asked for (at least one image). */
const JOB_BYTES = 1 << 20;
/** No result for this long means the threads are gone (a thread that failed to start cannot say so). */
const STALL_MS = 60_000;

/** The worker's entry: built JavaScript in out/, or its TypeScript source through a loader (tests). */
function workerEntry(): { file: URL; entry?: string } {
  if (!import.meta.url.endsWith('.ts')) return { file: new URL('./decodeWorker.js', import.meta.url) };
  return { file: new URL('./sourceWorker.mjs', import.meta.url), entry: new URL('./decodeWorker.ts', import.meta.url).href };
}

/**
 * Decodes, converts to `size.channels` and resizes every file of `paths` (float32 HWC, 0..255),
 * calling `take(index, pixels)` in index order; pixels are undefined for an unreadable image.
 */
export function decodeInOrder(paths: string[], size: ImageSize, take: (index: number, pixels: Float32Array | undefined) => void): void {
  if (paths.length === 0) return;
  const batch = Math.max(1, Math.min(64, Math.floor(JOB_BYTES / (size.height * size.width * size.channels * 4))));
  const jobs = Math.ceil(paths.length / batch);
  const threads = Math.max(1, Math.min(availableParallelism(), jobs));
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { file, entry } = workerEntry();
  const pool = Array.from({ length: threads }, () => {
    const { port1, port2 } = new MessageChannel();
    const workerData: DecodeWorkerData = { ...size, port: port2, signal, ...(entry ? { entry } : {}) };
    return { worker: new Worker(file, { workerData, transferList: [port2] }), port: port1, busy: 0 };
  });
  const ready = new Map<number, (Float32Array | null)[]>();
  let sent = 0;  // jobs
  let next = 0;
  try {
    while (next < jobs) {
      while (sent < jobs && sent < next + threads * PER_THREAD) {
        const idlest = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
        idlest.port.postMessage({ index: sent * batch, paths: paths.slice(sent * batch, (sent + 1) * batch) } satisfies DecodeJob);
        idlest.busy++;
        sent++;
      }
      // Read the counter before draining: a result posted after the drain changes it, so the wait returns.
      const posted = Atomics.load(signal, 0);
      let received = false;
      for (const w of pool) {
        for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
          const r = m.message as DecodeResult;
          ready.set(r.index / batch, r.images);
          w.busy--;
          received = true;
        }
      }
      for (; ready.has(next); next++) {
        ready.get(next)!.forEach((pixels, k) => take(next * batch + k, pixels ?? undefined));
        ready.delete(next);
      }
      if (!received && Atomics.wait(signal, 0, posted, STALL_MS) === 'timed-out') {
        throw new Error(`the image decoding threads stopped answering (no image decoded in ${STALL_MS / 1000} s, at ${paths[next * batch]})`);
      }
    }
  } finally {
    for (const w of pool) {
      w.port.close();
      void w.worker.terminate();
    }
  }
}
