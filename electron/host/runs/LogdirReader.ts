/**
 * Reads a TensorBoard logdir the way TensorBoard does, once (`readLogdir`) or incrementally
 * (`LogdirReader.poll`, for live runs):
 * - a run is every folder, at any depth, that directly holds a file whose name contains
 *   "tfevents" (but not a profiler's `.profile-empty` marker); its name is the folder's path
 *   relative to the logdir with '/' separators, "." for the logdir itself, as in TensorBoard;
 * - a run's files are read in name order (chronological, by the zero-padded time in the name);
 * - each poll reads only the bytes appended since the last one; a record still being written is
 *   left for the next poll; corrupt records are reported by file and offset and skipped.
 *
 * Keras's TensorBoard callback writes `<logdir>/train` and `<logdir>/validation`. Kiln keeps them
 * as separate runs, as TensorBoard does (so run names agree between the two tools), and marks
 * them with `split` and `group` (the parent folder's run name) so the dashboard can draw a
 * group's train and validation series on one chart.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { readEvents, RunSeries, type Event } from '../../../common/formats/tfevents/index.js';

export interface LogdirError {
  file: string;
  /** Byte offset of the bad record in `file`. */
  offset: number;
  message: string;
}

export interface LogdirRun {
  /** TensorBoard's name for the run. */
  name: string;
  dir: string;
  /** Set for Keras's `train` / `validation` folders. */
  split?: 'train' | 'validation';
  /** With `split`: the run name of the folder above, which the split belongs to. */
  group?: string;
  /** Event files, in reading order. */
  files: string[];
  series: RunSeries;
  errors: LogdirError[];
}

export interface RunUpdate {
  run: LogdirRun;
  /** The events read by this poll, in file order. */
  events: Event[];
}

interface FileState {
  offset: number;
  /** Reading stopped for good: a corrupt record length, or the file was cut short. */
  stuck: boolean;
}

export const isEventsFile = (basename: string) => basename.includes('tfevents') && !basename.endsWith('.profile-empty');

/** Every run folder under `logdir`, with its event files in name order. */
export function findRuns(logdir: string): { name: string; dir: string; files: string[] }[] {
  const runs: { name: string; dir: string; files: string[] }[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;  // removed meanwhile, or a dangling link
    }
    if (seen.has(real)) return;  // a symlink loop
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const files: string[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSafe(path)?.isDirectory());
      if (isDir) walk(path);
      else if (isEventsFile(entry.name)) files.push(entry.name);
    }
    if (files.length > 0) {
      const name = relative(logdir, dir).split(sep).join('/') || '.';
      runs.push({ name, dir, files: files.sort() });
    }
  };
  walk(logdir);
  return runs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function kerasSplit(name: string): Pick<LogdirRun, 'split' | 'group'> {
  const slash = name.lastIndexOf('/');
  const last = name.slice(slash + 1);
  if (last !== 'train' && last !== 'validation') return {};
  return { split: last, group: slash < 0 ? '.' : name.slice(0, slash) };
}

export class LogdirReader {
  private readonly runsByName = new Map<string, LogdirRun>();
  private readonly files = new Map<string, FileState>();

  constructor(readonly logdir: string) {}

  /** The runs found so far, by name. */
  get runs(): LogdirRun[] {
    return [...this.runsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Finds new runs and files and reads what was appended since the last poll; returns the runs that changed. */
  poll(): RunUpdate[] {
    const updates: RunUpdate[] = [];
    for (const found of findRuns(this.logdir)) {
      let run = this.runsByName.get(found.name);
      const isNew = !run;
      if (!run) {
        run = { name: found.name, dir: found.dir, ...kerasSplit(found.name), files: [], series: new RunSeries(), errors: [] };
        this.runsByName.set(found.name, run);
      }
      run.files = found.files;
      const events: Event[] = [];
      for (const file of found.files) this.readFile(run, join(found.dir, file), events);
      if (isNew || events.length > 0) updates.push({ run, events });
    }
    return updates;
  }

  private readFile(run: LogdirRun, path: string, events: Event[]): void {
    let state = this.files.get(path);
    if (!state) this.files.set(path, (state = { offset: 0, stuck: false }));
    if (state.stuck) return;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;  // removed since the listing
    }
    try {
      const size = fstatSync(fd).size;
      if (size < state.offset) {
        run.errors.push({ file: path, offset: size, message: `${path} was cut from ${state.offset} to ${size} bytes by another program; it is no longer read` });
        state.stuck = true;
        return;
      }
      if (size === state.offset) return;
      const bytes = new Uint8Array(size - state.offset);
      let got = 0;
      while (got < bytes.length) {
        const n = readSync(fd, bytes, got, bytes.length - got, state.offset + got);
        if (n === 0) break;
        got += n;
      }
      const read = readEvents(bytes.subarray(0, got), state.offset);
      for (const e of read.events) {
        run.series.add(e);
        events.push(e);
      }
      for (const err of read.errors) run.errors.push({ file: path, offset: err.offset, message: `${path}: ${err.message}` });
      state.offset = read.end;
      state.stuck = read.stuck;
    } finally {
      closeSync(fd);
    }
  }
}

/** Reads every run of `logdir` in full. */
export function readLogdir(logdir: string): LogdirRun[] {
  const reader = new LogdirReader(logdir);
  reader.poll();
  return reader.runs;
}
