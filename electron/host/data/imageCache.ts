/**
 * The decode cache of an image folder, in the role of tf.data's cache(filename): the images,
 * decoded and resized by the worker pool (decodePool.ts), in one float32 .npy of shape
 * [N, height, width, channels] (values 0..255) that the engine maps, so that a folder larger than
 * memory trains. The images are written in the order given (the loader's split order: training
 * images, then validation), each split one contiguous range of the file.
 *
 * A cache is named by the folder and options (folder key) and by its ordered file list with sizes
 * and modification times (content key): a run with the same files reuses it, a changed file makes
 * a new one (the folder's older caches are removed). NAME.npy is written to a temporary file and
 * renamed, then NAME.json (which images were skipped) is written atomically; a cache is used only
 * when both exist and agree, so a crash never leaves a cache that would be read.
 *
 * Folder: $KILN_CACHE_DIR/images, else $XDG_CACHE_HOME/kiln/images, else ~/.cache/kiln/images.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { DataError } from '../../../common/data/dataset.js';
import { npyHeader } from '../../../common/formats/npy.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { decodeInOrder, type ImageSize } from './decodePool.js';
import { readNpyHeader } from './npyFile.js';

/** Bumped when the cache's layout or decoding changes, so that older caches are not read. */
const CACHE_VERSION = 1;

export function imageCacheDir(): string {
  const root = process.env.KILN_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kiln');
  return join(root, 'images');
}

export interface CachedImages {
  /** The .npy file, and the byte offset of its first image. */
  path: string;
  offset: number;
  /** Positions (in the order given) of the files that are not readable images, left out of the file. */
  skipped: number[];
  /** False when this load decoded the images, true when it reused the cache. */
  reused: boolean;
}

interface CacheMeta {
  format: 'kiln-image-cache';
  version: number;
  files: number;
  skipped: number[];
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);

/** The cache's data offset when NAME.npy and NAME.json exist and agree with `files` and `size`. */
function validCache(npy: string, json: string, files: number, size: ImageSize): CachedImages | undefined {
  try {
    const meta = JSON.parse(readFileSync(json, 'utf8')) as CacheMeta;
    if (meta.format !== 'kiln-image-cache' || meta.version !== CACHE_VERSION || meta.files !== files) return undefined;
    const h = readNpyHeader(npy);
    const count = files - meta.skipped.length;
    const shape = [count, size.height, size.width, size.channels];
    if (h.descr !== '<f4' || h.shape.join() !== shape.join()) return undefined;
    if (statSync(npy).size !== h.dataOffset + count * size.height * size.width * size.channels * 4) return undefined;
    return { path: npy, offset: h.dataOffset, skipped: meta.skipped, reused: true };
  } catch {
    return undefined;  // missing, partial or from another version: decode again
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes this folder's older caches, and temporary files of builds whose process is gone. */
function removeStale(dir: string, folderKey: string, name: string): void {
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(`${folderKey}-`)) continue;
    const pid = /\.(\d+)\.tmp$/.exec(f)?.[1];
    const stale = pid !== undefined ? !alive(Number(pid)) : !f.startsWith(`${name}.`);
    if (stale) rmSync(join(dir, f), { force: true });
  }
}

/** Decodes `files` into `npy` through a temporary file; returns the skipped positions. */
function build(npy: string, files: string[], size: ImageSize, what: string): number[] {
  const per = size.height * size.width * size.channels;
  const reserved = npyHeader('<f4', [files.length, size.height, size.width, size.channels]);
  const temp = `${npy}.${process.pid}.tmp`;
  const skipped: number[] = [];
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w', 0o644);
    writeSync(fd, reserved);
    const out = fd;
    decodeInOrder(files, size, (i, pixels) => {
      if (!pixels) skipped.push(i);
      else writeSync(out, new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    });
    // The count is known now: the final header takes the reserved header's place.
    writeSync(fd, npyHeader('<f4', [files.length - skipped.length, size.height, size.width, size.channels], reserved.length), 0, reserved.length, 0);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, npy);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new DataError(`${what}: no space left for its decode cache (${((reserved.length + files.length * per * 4) / 1e9).toFixed(1)} GB) in ${imageCacheDir()}: free some space, or set KILN_CACHE_DIR to a folder on a larger disk`);
    if (e.code === 'EACCES' || e.code === 'EROFS') throw new DataError(`${what}: cannot write its decode cache in ${imageCacheDir()} (${e.message}): set KILN_CACHE_DIR to a folder Kiln can write`);
    throw err;
  }
  return skipped;
}

/**
 * The decoded images of `files` (in that order) from the cache, decoding them when no valid cache
 * exists. `folder` and `variant` (the options that chose the order: split and seed) name the
 * cache; `what` names the folder in messages.
 */
export function cachedImages(folder: string, files: string[], size: ImageSize, variant: string, what: string): CachedImages {
  const dir = imageCacheDir();
  const folderKey = hash([CACHE_VERSION, folder, size, variant]);
  const stats = files.map((f) => {
    const s = statSync(f, { throwIfNoEntry: false });  // a file gone since the listing is skipped as unreadable
    return [relative(folder, f), s?.size ?? null, s?.mtimeMs ?? null];
  });
  const name = `${folderKey}-${hash(stats)}`;
  const npy = join(dir, `${name}.npy`);
  const json = join(dir, `${name}.json`);
  const cached = existsSync(json) ? validCache(npy, json, files.length, size) : undefined;
  if (cached) return cached;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DataError(`${what}: cannot create the image decode cache folder ${dir} (${(err as Error).message}): set KILN_CACHE_DIR to a folder Kiln can write`);
  }
  removeStale(dir, folderKey, name);
  const skipped = build(npy, files, size, what);
  writeFileAtomic(json, `${JSON.stringify({ format: 'kiln-image-cache', version: CACHE_VERSION, files: files.length, skipped } satisfies CacheMeta)}\n`);
  return { path: npy, offset: readNpyHeader(npy).dataOffset, skipped, reused: false };
}
