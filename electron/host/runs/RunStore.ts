/**
 * The host's cache of one logdir's runs, behind the runs service:
 * - the runs list comes from run.json for Kiln's runs (no event file is read to list them) and
 *   from a scan of the event files for other writers' runs (incremental: each list reads only
 *   what was appended since the last);
 * - scalar series load lazily, per (run, split), for the tags asked for, into typed columns
 *   (EventsScanner), and then follow the files as they grow; a run this process is training
 *   is served from memory (LiveRuns), every step as it is written;
 * - loaded series are dropped, least recently used first, when they pass a memory cap.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunState, RunSummary } from '../../../common/contract/index.js';
import { SessionEndStatus, type RunSeries } from '../../../common/formats/tfevents/index.js';
import type { ParamValue } from '../../../common/model/index.js';
import { readRun } from '../training/readRun.js';
import type { RunFile, RunSplit } from '../training/runFile.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { discoverRuns, type FoundRun } from './discoverRuns.js';
import { EventsScanner, type ScalarColumns, type ScanError } from './EventsScanner.js';
import type { LiveRuns } from './LiveRuns.js';
import { isEventsFile } from './LogdirReader.js';
import { runHParams } from './runHParams.js';
import { CONFUSION_JSON, FOREIGN_META_JSON, MISCLASSIFIED_JSON, RUN_JSON } from './runLayout.js';
import { runStatus } from './runStatus.js';

export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;
/** Another writer's run whose files changed this recently is shown as running. */
const RUNNING_WINDOW_MS = 30_000;
/** Bytes read from an event file at a time. */
const CHUNK_BYTES = 32 * 1024 * 1024;
const SPLIT_ORDER: RunSplit[] = ['train', 'validation', ''];

interface Cursor {
  offset: number;
  stuck: boolean;
}

/** One folder of event files (a run's split) and what has been read of it. */
interface SplitState {
  dir: string;
  cursors: Map<string, Cursor>;
  scanner: EventsScanner;
  errors: (ScanError & { file: string })[];
  /** Newest modification time among its files (ms). */
  modified: number;
  lastUsed: number;
}

export interface StoreOptions {
  live?: LiveRuns;
  /** The memory cap of loaded series, in bytes. */
  memoryBytes?: number;
}

/** Rename and notes of a run without run.json, kept in its folder. */
interface ForeignMeta {
  displayName?: string;
  userNotes?: string;
}

export class RunStore {
  private found = new Map<string, FoundRun>();
  private readonly states = new Map<string, SplitState>();
  private readonly runFiles = new Map<string, { mtimeMs: number; size: number; file: RunFile }>();
  private tick = 0;
  /** Reused for every read: what the scanner keeps, it copies. */
  private buffer = Buffer.allocUnsafe(0);

  constructor(readonly logdir: string, private readonly options: StoreOptions = {}) {}

  /** Every run, as the runs list shows it. */
  list(): RunSummary[] {
    this.found = new Map(discoverRuns(this.logdir).map((r) => [r.id, r]));
    const out: RunSummary[] = [];
    for (const run of this.found.values()) {
      const file = run.kiln ? this.tryRunFile(run) : null;
      out.push(file ? this.kilnSummary(run, file) : this.foreignSummary(run));
    }
    return out;
  }

  /** The run's folder and what kind it is; throws for an unknown run. */
  run(id: string): FoundRun {
    let run = this.found.get(id);
    if (!run) {
      this.found = new Map(discoverRuns(this.logdir).map((r) => [r.id, r]));
      run = this.found.get(id);
    }
    if (!run) throw new RangeError(`there is no run "${id}" in ${this.logdir}`);
    return run;
  }

  /** run.json of a Kiln run (cached while the file is unchanged), or null for another writer's run (or an unreadable run.json). */
  runFile(id: string): RunFile | null {
    const run = this.run(id);
    return run.kiln ? this.tryRunFile(run) : null;
  }

  /** The splits a run has event files (or live series) for, in drawing order. */
  splits(id: string): RunSplit[] {
    const run = this.run(id);
    const live = this.options.live?.get(run.dir);
    return SPLIT_ORDER.filter((s) => run.splits.has(s) || live?.splits.has(s));
  }

  /**
   * The columns of `tags` in one split of a run (those it has), current to the last flushed
   * event (a live run: the last step written).
   */
  columns(id: string, split: RunSplit, tags: readonly string[]): Map<string, ScalarColumns> {
    const run = this.run(id);
    const out = new Map<string, ScalarColumns>();
    const live = this.options.live?.get(run.dir);
    if (live) {
      const series = live.splits.get(split);
      for (const tag of tags) {
        const c = series?.get(tag);
        if (c) out.set(tag, c);
      }
      return out;
    }
    const state = this.state(run, split, tags);
    if (!state) return out;
    for (const tag of tags) {
      const c = state.scanner.tags.get(tag)?.columns;
      if (c && c.length > 0) out.set(tag, c);
    }
    this.evict(state);
    return out;
  }

  /** The scalar tags of one split (read so far). */
  tagNames(id: string, split: RunSplit): string[] {
    const run = this.run(id);
    const live = this.options.live?.get(run.dir);
    if (live) return [...(live.splits.get(split)?.keys() ?? [])];
    return [...(this.state(run, split, [])?.scanner.tags.values() ?? [])].filter((e) => e.count > 0).map((e) => e.tag);
  }

  /** Histograms, text and hparams of one split. */
  extras(id: string, split: RunSplit): RunSeries | null {
    return this.state(this.run(id), split, [])?.scanner.extras ?? null;
  }

  /** Records that could not be read, by file and offset. */
  errors(id: string, split: RunSplit): { file: string; offset: number; message: string }[] {
    return this.states.get(key(id, split))?.errors ?? [];
  }

  /** Unix seconds the run started: its run.json's creation, or its first event. */
  startTime(id: string): number {
    const run = this.run(id);
    const live = this.options.live?.get(run.dir);
    if (live) return live.startWall;
    const file = run.kiln ? this.tryRunFile(run) : null;
    if (file) return Date.parse(file.createdAt) / 1000;
    let start = Infinity;
    for (const split of run.splits.keys()) start = Math.min(start, this.state(run, split, [])?.scanner.firstWall ?? Infinity);
    return Number.isFinite(start) ? start : 0;
  }

  /** Bytes held by loaded series. */
  get memoryBytes(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.scanner.bytes;
    return n;
  }

  /**
   * Renames a run or sets its notes: in run.json for Kiln's runs (through its recorder for a run
   * training in this process; refused for one training in another), beside the event files
   * (FOREIGN_META_JSON) for other writers' runs.
   */
  annotate(id: string, patch: { displayName?: string; userNotes?: string }): void {
    const run = this.run(id);
    const live = this.options.live?.get(run.dir);
    if (live?.annotate) {
      live.annotate(patch);
      return;
    }
    const file = run.kiln ? this.tryRunFile(run) : null;
    if (file) {
      if (runStatus(file) === 'running') throw new Error(`run "${id}" is training in another process (${file.host}, pid ${file.pid}): rename it or add notes when it ends`);
      this.writeRunFile(run, { ...file, ...patch });
    } else {
      const path = join(run.dir, FOREIGN_META_JSON);
      writeFileAtomic(path, `${JSON.stringify({ ...readForeignMeta(run.dir), ...patch }, null, 2)}\n`);
    }
  }

  /** Forgets what was read of a run (after it was deleted). */
  forget(id: string): void {
    for (const split of SPLIT_ORDER) this.states.delete(key(id, split));
    this.runFiles.delete(id);
    this.found.delete(id);
  }

  // ---------------------------------------------------------------------------------------------

  private kilnSummary(run: FoundRun, file: RunFile): RunSummary {
    const live = this.options.live?.get(run.dir);
    const status: RunState = live ? 'running' : runStatus(file);
    if (status === 'crashed' && file.status === 'running') {
      // Recorded once, so that a later process with the same pid cannot revive it.
      try {
        this.writeRunFile(run, { ...file, status: 'crashed', endedAt: file.updatedAt });
      } catch {
        // A read-only logdir: shown as crashed, not recorded.
      }
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(file.final ?? {})) metrics[k] = v;
    if (file.best) metrics[`best_${file.best.monitor}`] = file.best.value;
    for (const [k, v] of Object.entries(file.test ?? {})) metrics[`test_${k}`] = v;
    const tags = file.tags ?? this.scannedTags(run);
    return {
      id: run.id,
      name: file.displayName ?? run.id,
      source: 'kiln',
      status,
      createdAt: file.createdAt,
      ...(file.endedAt && status !== 'running' ? { endedAt: file.endedAt } : {}),
      ...(file.userNotes ? { notes: file.userNotes } : {}),
      hparams: runHParams(file),
      metrics,
      tags,
      step: live?.step ?? file.steps,
      has: {
        histograms: file.has?.histograms ?? false,
        confusion: file.has?.confusion ?? existsSync(join(run.dir, CONFUSION_JSON)),
        misclassified: file.has?.misclassified ?? existsSync(join(run.dir, MISCLASSIFIED_JSON)),
      },
    };
  }

  private foreignSummary(run: FoundRun): RunSummary {
    const meta = readForeignMeta(run.dir);
    const metrics: Record<string, number> = {};
    const best: Record<string, number> = {};
    let step = 0;
    let first = Infinity, last = 0, modified = 0;
    let histograms = false;
    let hparams: Record<string, ParamValue> = {};
    let ended: number | undefined;
    const tags = new Map<string, RunSplit[]>();
    for (const split of SPLIT_ORDER) {
      if (!run.splits.has(split)) continue;
      const state = this.state(run, split, []);
      if (!state) continue;
      const s = state.scanner;
      first = Math.min(first, s.firstWall ?? Infinity);
      last = Math.max(last, s.lastWall);
      modified = Math.max(modified, state.modified);
      if (s.extras.hparams.sessionStart) hparams = { ...hparams, ...s.extras.hparams.sessionStart.hparams };
      if (s.extras.hparams.sessionEnd) ended = s.extras.hparams.sessionEnd.status;
      if (s.extras.histograms.size > 0) histograms = true;
      for (const e of s.tags.values()) {
        if (e.count === 0) continue;
        tags.set(e.tag, [...(tags.get(e.tag) ?? []), split]);
        step = Math.max(step, e.lastStep);
        // Final and best values per metric, with Keras's names (loss, val_loss) for its epoch_ tags.
        if (e.tag.startsWith('batch_') || e.tag.startsWith('evaluation_')) continue;
        const name = `${split === 'validation' ? 'val_' : ''}${e.tag.replace(/^epoch_/, '')}`;
        metrics[name] = e.lastValue;
        const b = /loss|error/.test(e.tag) ? e.min : /acc|auc|precision|recall/.test(e.tag) ? e.max : NaN;
        if (Number.isFinite(b)) best[`best_${name}`] = b;
      }
    }
    // The hparams plugin's session end says how a run ended; without one, growing files say it runs.
    const running = ended === undefined ? Date.now() - modified < RUNNING_WINDOW_MS : ended === SessionEndStatus.RUNNING;
    const status: RunState = ended === SessionEndStatus.FAILURE ? 'failed' : running ? 'running' : 'completed';
    return {
      id: run.id,
      name: meta.displayName ?? (run.id === '.' ? basename(this.logdir) : run.id),
      source: 'tensorboard',
      status,
      ...(Number.isFinite(first) ? { createdAt: new Date(first * 1000).toISOString() } : {}),
      ...(!running && last > 0 ? { endedAt: new Date(last * 1000).toISOString() } : {}),
      ...(meta.userNotes ? { notes: meta.userNotes } : {}),
      hparams,
      metrics: { ...metrics, ...best },
      tags: [...tags].map(([tag, splits]) => ({ tag, splits })).sort((a, b) => (a.tag < b.tag ? -1 : 1)),
      step,
      has: { histograms, confusion: false, misclassified: false },
    };
  }

  /** Tags from the event files, for Kiln runs written before run.json listed them. */
  private scannedTags(run: FoundRun): RunSummary['tags'] {
    const tags = new Map<string, RunSplit[]>();
    for (const split of SPLIT_ORDER) {
      if (!run.splits.has(split)) continue;
      for (const e of this.state(run, split, [])?.scanner.tags.values() ?? []) if (e.count > 0) tags.set(e.tag, [...(tags.get(e.tag) ?? []), split]);
    }
    return [...tags].map(([tag, splits]) => ({ tag, splits })).sort((a, b) => (a.tag < b.tag ? -1 : 1));
  }

  /** The split's state, brought up to date, with columns for `tags` (rescanning when it lacks some). */
  private state(run: FoundRun, split: RunSplit, tags: readonly string[]): SplitState | null {
    const dir = run.splits.get(split);
    if (!dir) return null;
    const k = key(run.id, split);
    let state = this.states.get(k);
    if (!state || state.dir !== dir || !tags.every((t) => state!.scanner.wanted.has(t))) {
      const wanted = new Set([...(state?.dir === dir ? state.scanner.wanted : []), ...tags]);
      // Kiln's runs list their tags in run.json: their scans keep only the tags asked for.
      const summarize = !(run.kiln && this.tryRunFile(run)?.tags);
      state = { dir, cursors: new Map(), scanner: new EventsScanner(wanted, summarize), errors: [], modified: 0, lastUsed: 0 };
      this.states.set(k, state);
    }
    state.lastUsed = ++this.tick;
    this.read(state);
    return state;
  }

  /** Reads what was appended to the split's files since the last read. */
  private read(state: SplitState): void {
    let files: string[];
    try {
      files = readdirSync(state.dir).filter(isEventsFile).sort();
    } catch {
      return;  // the folder went away
    }
    for (const name of files) {
      const path = join(state.dir, name);
      let cursor = state.cursors.get(path);
      if (!cursor) state.cursors.set(path, (cursor = { offset: 0, stuck: false }));
      if (cursor.stuck) continue;
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        continue;
      }
      try {
        const stat = fstatSync(fd);
        state.modified = Math.max(state.modified, stat.mtimeMs);
        if (stat.size < cursor.offset) {
          state.errors.push({ file: path, offset: stat.size, message: `${path} was cut from ${cursor.offset} to ${stat.size} bytes by another program; it is no longer read` });
          cursor.stuck = true;
          continue;
        }
        let chunk = CHUNK_BYTES;
        while (cursor.offset < stat.size && !cursor.stuck) {
          const before = cursor.offset;
          const size = Math.min(chunk, stat.size - before);
          if (this.buffer.length < size) this.buffer = Buffer.allocUnsafe(size);
          const bytes = this.buffer.subarray(0, size);
          let got = 0;
          while (got < bytes.length) {
            const n = readSync(fd, bytes, got, bytes.length - got, before + got);
            if (n === 0) break;
            got += n;
          }
          if (got === 0) break;
          const errors: ScanError[] = [];
          const r = state.scanner.scan(bytes.subarray(0, got), before, errors);
          for (const e of errors) state.errors.push({ file: path, offset: e.offset, message: `${path}: ${e.message}` });
          cursor.offset = r.end;
          cursor.stuck = r.stuck;
          if (r.end === before) {
            if (got === stat.size - before) break;  // the rest is a record still being written (or torn)
            chunk *= 2;  // a record larger than the chunk
          }
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Drops the least recently used series until the rest fit the memory cap. */
  private evict(keep: SplitState): void {
    const cap = this.options.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    let total = this.memoryBytes;
    if (total <= cap) return;
    const byAge = [...this.states].filter(([, s]) => s !== keep).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [k, s] of byAge) {
      if (total <= cap) break;
      total -= s.scanner.bytes;
      this.states.delete(k);
    }
  }

  private tryRunFile(run: FoundRun): RunFile | null {
    try {
      return this.readRunFile(run);
    } catch {
      return null;  // unreadable: listed from its event files
    }
  }

  private readRunFile(run: FoundRun): RunFile {
    const path = join(run.dir, RUN_JSON);
    const stat = statSync(path);
    const cached = this.runFiles.get(run.id);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.file;
    const file = readRun(run.dir);
    this.runFiles.set(run.id, { mtimeMs: stat.mtimeMs, size: stat.size, file });
    return file;
  }

  private writeRunFile(run: FoundRun, file: RunFile): void {
    writeFileAtomic(join(run.dir, RUN_JSON), `${JSON.stringify({ ...file, updatedAt: new Date().toISOString() }, null, 2)}\n`);
    this.runFiles.delete(run.id);
  }
}

const key = (id: string, split: RunSplit) => `${id}\u0000${split}`;

function readForeignMeta(dir: string): ForeignMeta {
  try {
    return JSON.parse(readFileSync(join(dir, FOREIGN_META_JSON), 'utf8')) as ForeignMeta;
  } catch {
    return {};
  }
}
