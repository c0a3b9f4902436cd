/**
 * A tight reader of one TensorBoard run's event records, for the run store: it walks the record
 * stream and the Event / Summary / Value / Tensor protos by hand, without building an object per
 * event, and extracts (step, wall time, value) per scalar tag into typed columns, only for the
 * tags it is asked for; optionally it summarizes every scalar tag (count, last value, extremes:
 * the runs list of runs without run.json). Writers repeat the same values in the same order, so
 * a value whose bytes equal the tag's last but for its float is read without parsing. The rare
 * events that hold anything else (histograms, text, hparams, a SessionLog START) go through the
 * full decoder into a RunSeries, `extras`.
 *
 * It reads scalars exactly as RunSeries does (common/formats/tfevents/RunSeries.ts: old-style
 * simple_value, or a one-element tensor of a tag the "scalars" plugin owns, the plugin learnt from
 * the tag's first metadata; a START at step s drops the points at steps >= s), and frames records
 * as scanRecords does: data CRCs are checked, a corrupt record is skipped and reported, a record
 * still being written is left for the next call, a corrupt length stops reading for good.
 *
 * One scanner per run (one folder); feed it each file's bytes in order, in as many chunks as
 * they arrive.
 */
import { maskCrc32c } from '../../../common/formats/crc32c.js';
import { decodeUtf8, ProtoError, ProtoReader } from '../../../common/formats/protobuf.js';
import {
  DataType, decodeEvent, decodeTensor, HISTOGRAMS_PLUGIN, HPARAMS_PLUGIN, RunSeries, SCALARS_PLUGIN, TEXT_PLUGIN,
} from '../../../common/formats/tfevents/index.js';

// CRC-32C slicing-by-8 tables, as common/formats/crc32c.ts builds them: its crc32c() takes a view
// and destructures its tables with an iterator on every call, which over tens of thousands of
// short records cost as much as the checksums themselves; this one takes a range of the buffer.
const TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[0][b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) for (let k = 1; k < 8; k++) tables[k][b] = (tables[k - 1][b] >>> 8) ^ tables[0][tables[k - 1][b] & 0xff];
  return tables;
})();

/** The masked CRC-32C of bytes[start, end). */
function maskedCrc(bytes: Uint8Array, start: number, end: number): number {
  const T0 = TABLES[0], T1 = TABLES[1], T2 = TABLES[2], T3 = TABLES[3], T4 = TABLES[4], T5 = TABLES[5], T6 = TABLES[6], T7 = TABLES[7];
  let c = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c = T7[lo & 0xff] ^ T6[(lo >>> 8) & 0xff] ^ T5[(lo >>> 16) & 0xff] ^ T4[lo >>> 24]
      ^ T3[bytes[i + 4]] ^ T2[bytes[i + 5]] ^ T1[bytes[i + 6]] ^ T0[bytes[i + 7]];
  }
  for (; i < end; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return maskCrc32c(~c >>> 0);
}

const HEADER = 12;
const FOOTER = 4;
const TWO_32 = 4294967296;
const SESSION_START = 1;
/** Plugins whose values `extras` keeps. */
const EXTRA_PLUGINS = new Set([HISTOGRAMS_PLUGIN, TEXT_PLUGIN, HPARAMS_PLUGIN]);

/** One scalar tag's points as growing columns: steps, Unix seconds, values. */
export class ScalarColumns {
  step = new Float64Array(64);
  wall = new Float64Array(64);
  value = new Float64Array(64);
  length = 0;

  push(step: number, wall: number, value: number): void {
    if (this.length === this.step.length) this.grow(this.length * 2);
    this.step[this.length] = step;
    this.wall[this.length] = wall;
    this.value[this.length] = value;
    this.length++;
  }

  /** Drops the points at steps >= `step` (a run restarted there). */
  dropFrom(step: number): void {
    let k = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.step[i] >= step) continue;
      this.step[k] = this.step[i];
      this.wall[k] = this.wall[i];
      this.value[k] = this.value[i];
      k++;
    }
    this.length = k;
  }

  /** Bytes held (what the store's memory cap counts). */
  get bytes(): number { return this.step.length * 24; }

  private grow(capacity: number): void {
    for (const key of ['step', 'wall', 'value'] as const) {
      const next = new Float64Array(capacity);
      next.set(this[key].subarray(0, this.length));
      this[key] = next;
    }
  }
}

/** What the scanner knows of a tag. */
export interface TagEntry {
  tag: string;
  /** The owning plugin, once a value's metadata named it. */
  plugin: string;
  /** Scalar points seen (0 for other plugins), the last one, and the extremes (restarts included). */
  count: number;
  lastStep: number;
  lastValue: number;
  min: number;
  max: number;
  /** Present for the tags asked for. */
  columns?: ScalarColumns;
  /** The tag's UTF-8 bytes and its last metadata's, to recognise them without decoding. */
  bytes: Uint8Array;
  metadata?: Uint8Array;
  /**
   * The tag's last float32 scalar value as bytes, and where its float sits: a value equal to it
   * but for those 4 bytes is the same tag, plugin and shape, so it is read without parsing.
   */
  template?: Uint8Array;
  floatAt: number;
  /** Where the tag field ends in `template`. */
  tagEnd: number;
}

export interface ScanError {
  offset: number;
  message: string;
}

export class EventsScanner {
  /** Every tag seen, by name. */
  readonly tags = new Map<string, TagEntry>();
  /** Histograms, text and hparams (and scalars of the events that hold them, which are not used). */
  readonly extras = new RunSeries();
  /** Wall time of the first event read: the run's start. */
  firstWall: number | undefined;
  lastWall = 0;
  private readonly byHash = new Map<number, TagEntry[]>();
  /** The tag of each value position in the last summary: writers repeat the same tags in the same order. */
  private readonly recent: (TagEntry | undefined)[] = [];
  private view: DataView = new DataView(new ArrayBuffer(0));
  private buf: Uint8Array = new Uint8Array(0);

  /**
   * `wanted`: the scalar tags to keep points of. `summarize`: keep every scalar tag's count, last
   * value and extremes (the runs list of runs without run.json); without it, a value of a tag not
   * wanted is skipped as soon as its tag is recognised, which is most of the work saved.
   */
  constructor(readonly wanted: ReadonlySet<string>, readonly summarize = true) {}

  /** Bytes held by the columns and (roughly) the extras. */
  get bytes(): number {
    let n = 0;
    for (const e of this.tags.values()) n += 200 + (e.columns?.bytes ?? 0);
    for (const points of this.extras.histograms.values()) for (const p of points) n += 64 + p.buckets.length * 48;
    return n;
  }

  /**
   * Reads the records in `bytes` (`base`: their offset in the file). Returns where to go on from
   * (`end`), and `stuck` when a record's length is corrupt (nothing after it can be read).
   */
  scan(bytes: Uint8Array, base: number, errors: ScanError[]): { end: number; stuck: boolean } {
    // A plain Uint8Array over the same memory: a Node Buffer's slice() is a view, not the copy kept entries need.
    this.buf = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const view = this.view;
    let at = 0;
    while (bytes.length - at >= HEADER) {
      const length = view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32;
      if (view.getUint32(at + 8, true) !== maskedCrc(bytes, at, at + 8)) {
        errors.push({ offset: base + at, message: `the record at byte ${base + at} has a corrupt length (CRC mismatch); the ${bytes.length - at} bytes from there on cannot be read` });
        return { end: base + at, stuck: true };
      }
      if (length > bytes.length - at - HEADER - FOOTER) break;  // not all written yet
      const start = at + HEADER;
      const stop = start + length;
      if (view.getUint32(stop, true) !== maskedCrc(bytes, start, stop)) {
        errors.push({ offset: base + at, message: `the record at byte ${base + at} (${length} bytes) is corrupt (CRC mismatch) and was skipped` });
      } else {
        try {
          this.event(start, stop);
        } catch (err) {
          if (!(err instanceof ProtoError)) throw err;
          errors.push({ offset: base + at, message: `the record at byte ${base + at} is not a valid Event (${err.message}) and was skipped` });
        }
      }
      at = stop + FOOTER;
    }
    return { end: base + at, stuck: false };
  }

  // -------------------------------------------------------------------------------------------
  // Protobuf by hand. `pos` is threaded through return values; varints are read by `varint`,
  // which leaves its value in `this.v`.

  private v = 0;

  private varint(pos: number, end: number): number {
    if (pos >= end) throw new ProtoError('truncated varint');
    const b = this.buf;
    let byte = b[pos++];
    if (byte < 0x80) { this.v = byte; return pos; }
    // As ProtoReader.int: low and high 32 bits, then a signed int64 (exact up to 2^53).
    let lo = byte & 0x7f;
    let hi = 0;
    for (let shift = 7; ; shift += 7) {
      if (pos >= end) throw new ProtoError('truncated varint');
      if (shift >= 70) throw new ProtoError('varint longer than 10 bytes');
      byte = b[pos++];
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) { lo |= (byte & 0x0f) << 28; hi = (byte & 0x7f) >> 4; }
      else hi |= (byte & 0x7f) << (shift - 32);
      if (byte < 0x80) break;
    }
    lo >>>= 0;
    hi >>>= 0;
    this.v = hi >= 0x80000000 ? (hi - TWO_32) * TWO_32 + lo : hi * TWO_32 + lo;
    return pos;
  }

  private skip(wire: number, pos: number, end: number): number {
    switch (wire) {
      case 0: return this.varint(pos, end);
      case 1: return pos + 8;
      case 2: pos = this.varint(pos, end); return pos + this.v;
      case 5: return pos + 4;
      default: throw new ProtoError(`unsupported wire type ${wire}`);
    }
  }

  private event(start: number, end: number): void {
    let pos = start;
    let wall = 0;
    let step = 0;
    let summaryStart = -1, summaryEnd = -1;
    let special = false;
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      if (key === 0x09) { wall = this.view.getFloat64(pos, true); pos += 8; }
      else if (key === 0x10) { pos = this.varint(pos, end); step = this.v; }
      else if (key === 0x2a) { pos = this.varint(pos, end); summaryStart = pos; pos += this.v; summaryEnd = pos; }
      else if (key === 0x3a) {
        pos = this.varint(pos, end);
        const stop = pos + this.v;
        special = this.sessionStart(pos, stop) || special;
        pos = stop;
      }
      else pos = this.skip(key & 7, pos, end);
      if (pos > end) throw new ProtoError('a field runs past the end of the event');
    }
    this.firstWall ??= wall;
    this.lastWall = wall;
    if (special) {
      for (const e of this.tags.values()) e.columns?.dropFrom(step);
    }
    if (summaryStart >= 0) special = this.summary(summaryStart, summaryEnd, step, wall) || special;
    if (special) this.extras.add(decodeEvent(this.buf.subarray(start, end)));
  }

  private sessionStart(pos: number, end: number): boolean {
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      if (key === 0x08) { pos = this.varint(pos, end); if (this.v === SESSION_START) return true; }
      else pos = this.skip(key & 7, pos, end);
    }
    return false;
  }

  /** Reads the scalars; true when the summary holds something else for `extras`. */
  private summary(pos: number, end: number, step: number, wall: number): boolean {
    let other = false;
    let k = 0;
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      if (key !== 0x0a) { pos = this.skip(key & 7, pos, end); continue; }
      pos = this.varint(pos, end);
      const stop = pos + this.v;
      const seen = this.recent[k];
      const template = seen?.template;
      if (template && !this.summarize && !seen.columns && template.length === stop - pos && samePrefix(template, seen.tagEnd, this.buf, pos)) {
        // A value of a scalar tag not wanted, the same size as the last: nothing to read.
      } else if (template && matchesTemplate(template, seen.floatAt, this.buf, pos, stop)) {
        this.point(seen, step, wall, this.view.getFloat32(pos + seen.floatAt, true));
      } else if (!this.value(pos, stop, step, wall, k)) {
        other = true;
      }
      k++;
      pos = stop;
    }
    return other;
  }

  /** One Summary.Value; false when it is not a scalar. */
  private value(pos: number, end: number, step: number, wall: number, k: number): boolean {
    const start = pos;
    let tagStart = 0, tagEnd = 0;
    let simple: number | undefined;
    let tensorStart = -1, tensorEnd = -1;
    let metaStart = -1, metaEnd = -1;
    let histo = false;
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      switch (key) {
        case 0x0a: pos = this.varint(pos, end); tagStart = pos; pos += this.v; tagEnd = pos; break;
        case 0x15: simple = this.view.getFloat32(pos, true); pos += 4; break;
        case 0x2a: histo = true; pos = this.skip(2, pos, end); break;
        case 0x42: pos = this.varint(pos, end); tensorStart = pos; pos += this.v; tensorEnd = pos; break;
        case 0x4a: pos = this.varint(pos, end); metaStart = pos; pos += this.v; metaEnd = pos; break;
        default: pos = this.skip(key & 7, pos, end);
      }
    }
    if (pos > end) throw new ProtoError('a summary value runs past its end');
    const seen = this.recent[k];
    const entry = seen && sameBytes(seen.bytes, this.buf, tagStart, tagEnd) ? seen : (this.recent[k] = this.entry(tagStart, tagEnd));
    if (metaStart >= 0 && !sameBytes(entry.metadata, this.buf, metaStart, metaEnd)) {
      entry.metadata = this.buf.slice(metaStart, metaEnd);
      this.plugin(entry, metaStart, metaEnd);
    }
    if (simple !== undefined) {
      entry.plugin = SCALARS_PLUGIN;
      this.point(entry, step, wall, simple);
      return true;
    }
    if (histo) {
      entry.plugin = HISTOGRAMS_PLUGIN;
      return false;
    }
    if (tensorStart < 0) return true;  // nothing Kiln shows (images, audio)
    if (entry.plugin !== SCALARS_PLUGIN) return !EXTRA_PLUGINS.has(entry.plugin);
    const value = this.scalarTensor(tensorStart, tensorEnd);
    if (value === undefined) return true;
    this.point(entry, step, wall, value);
    if (this.canonical(tensorStart, tensorEnd)) {
      entry.template = this.buf.slice(start, end);
      entry.floatAt = tensorStart + 6 - start;
      entry.tagEnd = tagEnd - start;
    }
    return true;
  }

  private point(entry: TagEntry, step: number, wall: number, value: number): void {
    entry.count++;
    entry.lastStep = step;
    entry.lastValue = value;
    if (value < entry.min) entry.min = value;
    if (value > entry.max) entry.max = value;
    entry.columns?.push(step, wall, value);
  }

  /** The tag's entry, found by its bytes (a string is decoded only for a new tag). */
  private entry(start: number, end: number): TagEntry {
    const b = this.buf;
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const list = this.byHash.get(h);
    if (list) for (const e of list) if (sameBytes(e.bytes, b, start, end)) return e;
    const tag = decodeUtf8(b, start, end);
    const e: TagEntry = { tag, plugin: '', count: 0, lastStep: 0, lastValue: NaN, min: Infinity, max: -Infinity, bytes: b.slice(start, end), floatAt: 0, tagEnd: 0 };
    if (this.wanted.has(tag)) e.columns = new ScalarColumns();
    if (list) list.push(e);
    else this.byHash.set(h, [e]);
    this.tags.set(tag, e);
    return e;
  }

  /** SummaryMetadata.plugin_data.plugin_name, remembered per tag. */
  private plugin(entry: TagEntry, pos: number, end: number): void {
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      if (key !== 0x0a) { pos = this.skip(key & 7, pos, end); continue; }
      pos = this.varint(pos, end);
      let p = pos;
      const stop = pos + this.v;
      pos = stop;
      while (p < stop) {
        p = this.varint(p, stop);
        const k = this.v;
        if (k !== 0x0a) { p = this.skip(k & 7, p, stop); continue; }
        p = this.varint(p, stop);
        const s = p, e = p + this.v;
        p = e;
        if (e > s) entry.plugin = decodeUtf8(this.buf, s, e);  // an empty name is no name
      }
    }
  }

  /**
   * A one-element numeric tensor's value, or undefined (another shape, or strings). The usual
   * forms (float32 or float64 in float_val, double_val or tensor_content) are read here; the rest
   * goes through the full TensorProto decoder.
   */
  private scalarTensor(pos: number, end: number): number | undefined {
    if (this.canonical(pos, end)) return this.view.getFloat32(pos + 6, true);
    const start = pos;
    let dtype = 0;
    let size = 1;
    let value: number | undefined;
    let values = 0;
    let unusual = false;
    let content = false;
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      switch (key) {
        case 0x08: pos = this.varint(pos, end); dtype = this.v; break;
        case 0x12: { pos = this.varint(pos, end); const stop = pos + this.v; size = this.shapeSize(pos, stop); pos = stop; break; }
        case 0x2a: { pos = this.varint(pos, end); values += this.v / 4; if (this.v >= 4) value = this.view.getFloat32(pos, true); pos += this.v; break; }
        case 0x2d: values++; value = this.view.getFloat32(pos, true); pos += 4; break;
        case 0x32: { pos = this.varint(pos, end); values += this.v / 8; if (this.v >= 8) value = this.view.getFloat64(pos, true); pos += this.v; break; }
        case 0x31: values++; value = this.view.getFloat64(pos, true); pos += 8; break;
        case 0x22: {
          pos = this.varint(pos, end);
          const n = this.v;
          content = true;
          if (dtype === DataType.FLOAT && n === 4) { values++; value = this.view.getFloat32(pos, true); }
          else if (dtype === DataType.DOUBLE && n === 8) { values++; value = this.view.getFloat64(pos, true); }
          else unusual = true;
          pos += n;
          break;
        }
        default: unusual = true; pos = this.skip(key & 7, pos, end);
      }
    }
    // decodeTensor's rules: typed values are repeated up to the shape's size; content must fill it.
    if (unusual || (dtype !== DataType.FLOAT && dtype !== DataType.DOUBLE) || values !== 1 || (content && size !== 1)) {
      const t = decodeTensor(new ProtoReader(this.buf, start, end, 'tensor'));
      return t.values.length === 1 ? t.values[0] : undefined;
    }
    return size <= 1 ? value : undefined;
  }

  /** What TensorFlow and Kiln write for a float32 scalar: dtype 1, shape {}, float_val [v]. */
  private canonical(pos: number, end: number): boolean {
    const b = this.buf;
    return end - pos === 10 && b[pos] === 0x08 && b[pos + 1] === DataType.FLOAT && b[pos + 2] === 0x12 && b[pos + 3] === 0 && b[pos + 4] === 0x2a && b[pos + 5] === 4;
  }

  private shapeSize(pos: number, end: number): number {
    let size = 1;
    while (pos < end) {
      pos = this.varint(pos, end);
      const key = this.v;
      if (key !== 0x12) { pos = this.skip(key & 7, pos, end); continue; }
      pos = this.varint(pos, end);
      const stop = pos + this.v;
      let dim = 0;
      while (pos < stop) {
        pos = this.varint(pos, stop);
        const k = this.v;
        if (k === 0x08) { pos = this.varint(pos, stop); dim = this.v; }
        else pos = this.skip(k & 7, pos, stop);
      }
      size *= dim;
    }
    return size;
  }
}

function sameBytes(known: Uint8Array | undefined, b: Uint8Array, start: number, end: number): boolean {
  if (known === undefined || known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== b[start + i]) return false;
  return true;
}

/** Whether the first `n` bytes of `known` are at b[start]. */
function samePrefix(known: Uint8Array, n: number, b: Uint8Array, start: number): boolean {
  for (let i = 0; i < n; i++) if (known[i] !== b[start + i]) return false;
  return true;
}

function matchesTemplate(template: Uint8Array, floatAt: number, b: Uint8Array, start: number, end: number): boolean {
  if (template.length !== end - start) return false;
  for (let i = 0; i < floatAt; i++) if (template[i] !== b[start + i]) return false;
  for (let i = floatAt + 4; i < template.length; i++) if (template[i] !== b[start + i]) return false;
  return true;
}
