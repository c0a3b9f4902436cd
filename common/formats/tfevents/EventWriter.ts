/**
 * Builds the bytes of a tfevents file in memory: `new EventWriter()` starts with the file-version
 * event every file begins with; `scalar`, `scalars`, `histogram`, `text`, `hparams`,
 * `sessionStart` and `write` append framed records; `take()` hands over what has accumulated
 * since the last call (the host appends it to the file and flushes). No IO here.
 */
import { encodeEvent, FILE_VERSION, SessionStatus, type Event } from './event.js';
import { hparamsSummaryValue, type HParamsData } from './hparams.js';
import { encodeRecord } from './records.js';
import type { SummaryValue } from './summary.js';
import { histogramValue, scalarValue, textValue, type HistogramBucket } from './values.js';

export interface EventWriterOptions {
  /** Recorded as the file's SourceMetadata.writer. */
  writer?: string;
  /** Wall time in seconds, for events given none. */
  now?: () => number;
}

export class EventWriter {
  private chunks: Uint8Array[] = [];
  private pending = 0;
  private readonly now: () => number;

  constructor(options: EventWriterOptions = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    this.write({ wallTime: this.now(), step: 0, fileVersion: FILE_VERSION, sourceWriter: options.writer ?? 'kiln' });
  }

  /** Bytes waiting for `take()`. */
  get pendingBytes(): number { return this.pending; }

  write(event: Event): void {
    const record = encodeRecord(encodeEvent(event));
    this.chunks.push(record);
    this.pending += record.length;
  }

  summary(step: number, values: SummaryValue[], wallTime = this.now()): void {
    this.write({ wallTime, step, summary: values });
  }

  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.summary(step, [scalarValue(tag, value)], wallTime);
  }

  /** Several scalars of one step in one event (smaller than one event each). */
  scalars(step: number, values: Record<string, number>, wallTime?: number): void {
    this.summary(step, Object.entries(values).map(([tag, value]) => scalarValue(tag, value)), wallTime);
  }

  /** A histogram of raw values (bucketed here) or of buckets already counted. */
  histogram(tag: string, data: ArrayLike<number> | HistogramBucket[], step: number, options: { bucketCount?: number; wallTime?: number } = {}): void {
    this.summary(step, [histogramValue(tag, data, options.bucketCount)], options.wallTime);
  }

  text(tag: string, markdown: string, step: number, wallTime?: number): void {
    this.summary(step, [textValue(tag, markdown)], wallTime);
  }

  hparams(data: HParamsData, step = 0, wallTime?: number): void {
    this.summary(step, [hparamsSummaryValue(data)], wallTime);
  }

  /** Marks a (re)start at `step`: readers drop this run's points at steps >= step, left over from before a resume. */
  sessionStart(step: number, wallTime = this.now()): void {
    this.write({ wallTime, step, sessionLog: { status: SessionStatus.START } });
  }

  /** Everything written since the last call, as one buffer; the writer is then empty. */
  take(): Uint8Array {
    const out = new Uint8Array(this.pending);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    this.chunks = [];
    this.pending = 0;
    return out;
  }
}
