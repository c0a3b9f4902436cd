/**
 * A tfevents file on disk, written as TensorFlow does: named
 * `events.out.tfevents.<10-digit seconds>.<host>.<pid>.kiln` (the zero-padded time makes name
 * order chronological, which is the order TensorBoard reads a run's files in), created
 * exclusively, starting with the file-version event flushed at once, then appended to.
 *
 *   const file = EventsFile.create(runDir);
 *   file.events.scalars(step, { epoch_loss: 0.3 });   // buffered in memory
 *   file.flush();                                      // appended to the file (call at least every 2 s)
 *   file.close();
 *
 * `flush` hands the bytes to the OS (a crash of the process loses nothing flushed); `sync` also
 * forces them to disk (against power loss), which is too slow to do on every flush.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EventWriter, type EventWriterOptions } from '../../../common/formats/tfevents/index.js';

export function eventsFileName(seconds: number, host = hostname(), pid = process.pid): string {
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost';
  return `events.out.tfevents.${String(Math.floor(seconds)).padStart(10, '0')}.${safeHost}.${pid}.kiln`;
}

export class EventsFile {
  /** Append events here; `flush` writes them. */
  readonly events: EventWriter;
  private fd: number | undefined;

  private constructor(readonly path: string, fd: number, events: EventWriter) {
    this.fd = fd;
    this.events = events;
  }

  /** Creates a new events file in `dir` (made if missing) and flushes its first event. */
  static create(dir: string, options: EventWriterOptions = {}): EventsFile {
    mkdirSync(dir, { recursive: true });
    const now = options.now ?? (() => Date.now() / 1000);
    const start = now();
    // Another writer of this process may have taken this second's name: the next second's
    // still sorts after it.
    for (let seconds = Math.floor(start); ; seconds++) {
      const path = join(dir, eventsFileName(seconds));
      let fd: number;
      try {
        fd = openSync(path, 'ax', 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && seconds < start + 60) continue;
        throw err;
      }
      const file = new EventsFile(path, fd, new EventWriter({ ...options, now }));
      file.flush();
      return file;
    }
  }

  /** Appends the buffered events to the file; returns the number of bytes written. */
  flush(): number {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    const bytes = this.events.take();
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at);
    return bytes.length;
  }

  /** Flushes, then makes the file durable on disk. */
  sync(): void {
    this.flush();
    fsyncSync(this.fd!);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
