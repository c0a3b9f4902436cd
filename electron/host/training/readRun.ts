import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunFile } from './runTraining.js';

/** Reads `<dir>/run.json`; throws with the reason (no such run, not a Kiln run). */
export function readRun(dir: string): RunFile {
  const path = join(dir, 'run.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `${dir} is not a Kiln run (it has no run.json)` : `cannot read ${path}: ${e.message}`, { cause: err });
  }
  let run: unknown;
  try {
    run = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const r = run as Partial<RunFile>;
  if (typeof run !== 'object' || run === null || r.format !== 'kiln-run') throw new Error(`${path} is not a Kiln run file ("format" must be "kiln-run")`);
  if (typeof r.version !== 'number' || r.version > 1) throw new Error(`${path} was made by a newer Kiln (run format version ${String(r.version)}): update Kiln to read it`);
  if (typeof r.model !== 'object' || typeof r.training !== 'object') throw new Error(`${path} has no model or training settings`);
  return run as RunFile;
}
