/**
 * Bytes of a tfevents file (whole, or a chunk appended since the last read) to events. Never
 * throws on bad input: corrupt records and records that are not Events are reported by offset
 * and skipped; a torn final record is left for the next read (see records.ts).
 */
import { ProtoError } from '../protobuf.js';
import { decodeEvent, type Event } from './event.js';
import { scanRecords, type RecordScan } from './records.js';

export interface EventsRead extends Omit<RecordScan, 'records'> {
  events: Event[];
}

/** Decodes the events in `bytes`; `base` is the file offset of `bytes[0]` (for offsets in errors and `end`). */
export function readEvents(bytes: Uint8Array, base = 0): EventsRead {
  const { records, ...scan } = scanRecords(bytes, base);
  const events: Event[] = [];
  const errors = [...scan.errors];
  for (const record of records) {
    try {
      events.push(decodeEvent(record.data));
    } catch (err) {
      if (!(err instanceof ProtoError)) throw err;
      errors.push({ offset: record.offset, message: `the record at byte ${record.offset} is not a valid Event (${err.message}) and was skipped` });
    }
  }
  errors.sort((a, b) => a.offset - b.offset);
  return { ...scan, events, errors };
}
