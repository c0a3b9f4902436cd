import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A folder that exists where an export was to go, and the user has not said to replace it. */
export class FolderExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists: choose another folder, or replace it (kiln export --replace)`);
  }
}

/**
 * Writes `files` (relative path → bytes) as the folder `out`, all or nothing: into a temporary
 * sibling folder first, renamed into place once complete. A failure (disk full, permission
 * denied) leaves no partial folder behind; `replace` swaps out an existing folder the same way.
 */
export function writeFolderAtomic(out: string, files: ReadonlyMap<string, Uint8Array>, replace = false): void {
  if (existsSync(out) && !replace) throw new FolderExistsError(out);
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const temp = join(parent, `.${basename(out)}.${tag}.tmp`);
  try {
    for (const [path, bytes] of files) {
      const file = join(temp, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
    if (existsSync(out)) {
      const old = join(parent, `.${basename(out)}.${tag}.old`);
      renameSync(out, old);
      renameSync(temp, out);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(temp, out);
    }
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}
