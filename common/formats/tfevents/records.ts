/**
 * TFRecord framing, the container of tfevents files: each record is
 *   uint64 length | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
 * all little-endian (tensorflow/core/lib/io/record_writer.cc).
 *
 * `scanRecords` reads what is there and never throws on bad bytes:
 * - a final record cut short (a crash, or a writer still writing it) is left unread and counted
 *   in `leftover`; `end` is where to resume once more bytes arrive;
 * - a record whose data fails its CRC is reported by offset and skipped (its length was sound);
 * - a record whose length fails its CRC is reported, and reading stops there (`stuck`), since
 *   nothing after it can be found.
 */
import { maskedCrc32c } from '../crc32c.js';

const HEADER = 12;  // length + its CRC
const FOOTER = 4;   // the data's CRC

/** Frames `data` as one record. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length % 4294967296, true);
  view.setUint32(4, Math.floor(data.length / 4294967296), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, HEADER);
  view.setUint32(HEADER + data.length, maskedCrc32c(data), true);
  return out;
}

export interface RecordError {
  /** Offset of the record's first byte (in the file, when `base` was given). */
  offset: number;
  message: string;
}

export interface RecordScan {
  /** Whole, CRC-checked records: `data` is a view into the input. */
  records: { offset: number; data: Uint8Array }[];
  /** Offset just past the last record read (or skipped): where to go on when more bytes arrive. */
  end: number;
  /** Bytes after `end` left unread: a torn or still-being-written record, or what follows a corrupt length. */
  leftover: number;
  /** Corrupt records, in file order. */
  errors: RecordError[];
  /** True when a record's length failed its CRC: the bytes after `end` can never be read. */
  stuck: boolean;
}

/**
 * Reads the records in `bytes`. `base` is the file offset of `bytes[0]`, so that offsets in the
 * result are file offsets when `bytes` is a chunk read from the middle of a file.
 */
export function scanRecords(bytes: Uint8Array, base = 0): RecordScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RecordScan['records'] = [];
  const errors: RecordError[] = [];
  let at = 0;
  while (bytes.length - at >= HEADER) {
    const length = view.getUint32(at, true) + view.getUint32(at + 4, true) * 4294967296;
    if (view.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) {
      errors.push({ offset: base + at, message: `the record at byte ${base + at} has a corrupt length (CRC mismatch); the ${bytes.length - at} bytes from there on cannot be read` });
      return { records, end: base + at, leftover: bytes.length - at, errors, stuck: true };
    }
    if (length > bytes.length - at - HEADER - FOOTER) break;  // not all written yet
    const start = at + HEADER;
    const stop = start + length;
    if (view.getUint32(stop, true) === maskedCrc32c(bytes.subarray(start, stop))) records.push({ offset: base + at, data: bytes.subarray(start, stop) });
    else errors.push({ offset: base + at, message: `the record at byte ${base + at} (${length} bytes) is corrupt (CRC mismatch) and was skipped` });
    at = stop + FOOTER;
  }
  return { records, end: base + at, leftover: bytes.length - at, errors, stuck: false };
}
