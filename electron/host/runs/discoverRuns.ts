/**
 * The runs of a logdir, grouped as the dashboard shows them: a Kiln run is a folder with run.json
 * (its own event files, train/ and validation/); another writer's run is a TensorBoard run (a
 * folder with event files, named as TensorBoard names it), except that Keras's `train` and
 * `validation` folders join the folder above them as its splits, so one run carries both.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { RunSplit } from '../training/runFile.js';
import { isEventsFile } from './LogdirReader.js';
import { CHECKPOINTS, RUN_JSON } from './runLayout.js';

export interface FoundRun {
  /** The folder relative to the logdir, '/'-separated; '.' for the logdir itself. */
  id: string;
  dir: string;
  /** Has run.json. */
  kiln: boolean;
  /** The folders holding its event files, by split. */
  splits: Map<RunSplit, string>;
}

export function discoverRuns(logdir: string): FoundRun[] {
  const runs = new Map<string, FoundRun>();
  const get = (id: string, dir: string) => {
    let run = runs.get(id);
    if (!run) runs.set(id, (run = { id, dir, kiln: false, splits: new Map() }));
    return run;
  };
  const seen = new Set<string>();
  const walk = (dir: string) => {
    let real: string;
    let entries: Dirent[];
    try {
      real = realpathSync(dir);
      if (seen.has(real)) return;  // a symlink loop
      seen.add(real);
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;  // removed meanwhile, unreadable, or a dangling link
    }
    const id = relative(logdir, dir).split(sep).join('/') || '.';
    const kiln = entries.some((e) => e.name === RUN_JSON && !e.isDirectory());
    if (kiln) get(id, dir).kiln = true;
    if (entries.some((e) => isEventsFile(e.name) && !e.isDirectory())) {
      const slash = id.lastIndexOf('/');
      const last = id.slice(slash + 1);
      if ((last === 'train' || last === 'validation') && id !== '.') get(slash < 0 ? '.' : id.slice(0, slash), join(dir, '..')).splits.set(last, dir);
      else get(id, dir).splits.set('', dir);
    }
    for (const e of entries) {
      if (kiln && e.name === CHECKPOINTS) continue;
      const path = join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(path))) walk(path);
    }
  };
  walk(logdir);
  return [...runs.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
