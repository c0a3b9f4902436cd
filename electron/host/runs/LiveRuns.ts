/**
 * The scalars of the runs this process is training, in memory as the recorder writes them to
 * their event files (the same float32 values and wall times), so that the dashboard polling a
 * running run sees every step at once, without reading the files back. A run leaves when its
 * files are closed; from then on the run store reads them.
 */
import { ScalarColumns } from './EventsScanner.js';
import type { RunSplit } from '../training/runFile.js';

export class LiveRun {
  /** Columns by split, then by tag. */
  readonly splits = new Map<RunSplit, Map<string, ScalarColumns>>();
  /** The last step written. */
  step = 0;
  /** Applies a rename or notes to the run's run.json (the recorder owns that file while it trains). */
  annotate?: (patch: { displayName?: string; userNotes?: string }) => void;

  constructor(readonly startWall: number) {}

  add(split: RunSplit, tag: string, step: number, wall: number, value: number): void {
    let tags = this.splits.get(split);
    if (!tags) this.splits.set(split, (tags = new Map()));
    let columns = tags.get(tag);
    if (!columns) tags.set(tag, (columns = new ScalarColumns()));
    columns.push(step, wall, Math.fround(value));
    if (step > this.step) this.step = step;
  }
}

/** Live runs by their folder's absolute path. */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();

  start(dir: string, startWall: number): LiveRun {
    const run = new LiveRun(startWall);
    this.runs.set(dir, run);
    return run;
  }

  get(dir: string): LiveRun | undefined {
    return this.runs.get(dir);
  }

  end(dir: string): void {
    this.runs.delete(dir);
  }
}
