/**
 * Protocol Buffers' wire format (https://protobuf.dev/programming-guides/encoding/), schema-free:
 * the caller knows its field numbers and types, as in hand-written codecs for TensorBoard's
 * events, SavedModel, ONNX and TFLite.
 *
 * - `ProtoWriter` appends fields: `w.double(1, x)`, `w.string(3, s)`, `w.message(5, (m) => ...)`,
 *   `w.packedFloats(5, values)`, then `w.finish()` gives the bytes. Every call writes its field,
 *   defaults included: leaving out proto3 defaults is the caller's choice.
 * - `ProtoReader` walks fields: `while (r.next()) switch (r.field) { case 1: x = r.double(); break;
 *   default: r.skip(); }`. Each value reader checks the field's wire type, so a schema mismatch is
 *   an error that names the field and the offset, not garbage. `r.message()` returns a reader over
 *   the nested bytes; `r.packed*()` accept both packed and one-value-per-field encodings, as
 *   parsers must.
 *
 * 64-bit integers come and go as JS numbers (exact up to 2^53, which covers steps, sizes and
 * shapes) or, with the `*Big` variants, as bigint. Negative int32/int64 use the 10-byte two's
 * complement varint, as protobuf does; zigzag (sint32/sint64) is not supported.
 */

export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const TWO_32 = 4294967296;

/** Malformed or unexpected protobuf bytes: says which field and where. */
export class ProtoError extends Error {}

// ---------------------------------------------------------------------------------------------
// UTF-8 (strings are UTF-8 on the wire; common/ has no TextEncoder in its libs)

export function encodeUtf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;  // a lone surrogate
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
    else { out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
  }
  return out.slice(0, n);
}

/** Decodes UTF-8, replacing malformed sequences with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start <= 8192) {
    let ascii = true;
    for (let i = start; i < end && ascii; i++) ascii = bytes[i] < 0x80;
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let out = '';
  let codes: number[] = [];
  for (let i = start; i < end;) {
    const b = bytes[i];
    let c = 0xfffd;
    let len = 1;
    if (b < 0x80) c = b;
    else if (b >= 0xc2 && b < 0xf5) {
      len = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
      c = b & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
      for (let k = 1; k < len; k++) {
        const next = bytes[i + k];
        if (i + k >= end || (next & 0xc0) !== 0x80) { c = 0xfffd; len = k; break; }
        c = (c << 6) | (next & 63);
      }
      const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
      if (c !== 0xfffd && (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))) c = 0xfffd;
    }
    i += len;
    if (c >= 0x10000) codes.push(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 1023));
    else codes.push(c);
    if (codes.length > 8192) { out += String.fromCharCode(...codes); codes = []; }
  }
  return out + String.fromCharCode(...codes);
}

// ---------------------------------------------------------------------------------------------
// Writing

export class ProtoWriter {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  /** The bytes written so far (a copy; the writer can go on). */
  finish(): Uint8Array { return this.buf.slice(0, this.pos); }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  private tag(field: number, wire: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new ProtoError(`invalid field number ${field}`);
    this.rawVarint((field * 8 + wire) % TWO_32, Math.floor(field / 0x20000000));
  }

  /** A varint from its low and high 32 bits (both unsigned). */
  private rawVarint(lo: number, hi: number): void {
    this.reserve(10);
    while (hi > 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  /** An int32/int64/uint32/uint64/enum value as a number (negative ones as 64-bit two's complement). */
  private varintNumber(value: number, what: string): void {
    if (!Number.isSafeInteger(value) && !(Number.isInteger(value) && value >= 0 && value < 2 ** 64)) {
      throw new ProtoError(`${what}: ${value} is not an integer protobuf can store`);
    }
    if (value >= 0) this.rawVarint(value % TWO_32, Math.floor(value / TWO_32));
    else {
      const hi = Math.floor(value / TWO_32);  // two's complement of a negative value below 2^53
      this.rawVarint((value - hi * TWO_32) >>> 0, hi >>> 0);
    }
  }

  private varintBig(value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.rawVarint(Number(v & 0xffffffffn), Number(v >> 32n));
  }

  /** int32, int64, uint32, uint64 or an enum. */
  int(field: number, value: number): this {
    this.tag(field, WireType.VARINT);
    this.varintNumber(value, `field ${field}`);
    return this;
  }

  /** int64/uint64 as bigint (values beyond 2^53). */
  intBig(field: number, value: bigint): this {
    this.tag(field, WireType.VARINT);
    this.varintBig(value);
    return this;
  }

  bool(field: number, value: boolean): this { return this.int(field, value ? 1 : 0); }

  double(field: number, value: number): this {
    this.tag(field, WireType.I64);
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WireType.I32);
    this.reserve(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  /** fixed32 (unsigned) or sfixed32 (negative values are stored as two's complement). */
  fixed32(field: number, value: number): this {
    this.tag(field, WireType.I32);
    this.reserve(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
    return this;
  }

  /** fixed64 or sfixed64. */
  fixed64(field: number, value: bigint): this {
    this.tag(field, WireType.I64);
    this.reserve(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, value), true);
    this.pos += 8;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.LEN);
    this.varintNumber(value.length, `field ${field}`);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  string(field: number, value: string): this {
    // Tags and names are nearly always ASCII: copy them without an intermediate buffer.
    for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return this.bytes(field, encodeUtf8(value));
    this.tag(field, WireType.LEN);
    this.varintNumber(value.length, `field ${field}`);
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.buf[this.pos++] = value.charCodeAt(i);
    return this;
  }

  /**
   * A nested message: `write` gets this same writer and appends the message's fields. Its length
   * is only known afterwards: one byte is set aside for it, and the content is moved up in the
   * rare case that the length needs more.
   */
  message(field: number, write: (w: ProtoWriter) => void): this {
    this.tag(field, WireType.LEN);
    this.reserve(1);
    const lengthAt = this.pos++;
    write(this);
    const n = this.pos - lengthAt - 1;
    let extra = 0;
    for (let v = n; v > 0x7f; v = Math.floor(v / 128)) extra++;
    if (extra > 0) {
      this.reserve(extra);
      this.buf.copyWithin(lengthAt + 1 + extra, lengthAt + 1, this.pos);
    }
    this.pos += extra;
    let at = lengthAt;
    let v = n;
    for (; v > 0x7f; v >>>= 7) this.buf[at++] = (v & 0x7f) | 0x80;
    this.buf[at] = v;
    return this;
  }

  packedDoubles(field: number, values: ArrayLike<number>): this {
    return this.packedFixed(field, values.length * 8, (view, at) => {
      for (let i = 0; i < values.length; i++) view.setFloat64(at + i * 8, values[i], true);
    });
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.packedFixed(field, values.length * 4, (view, at) => {
      for (let i = 0; i < values.length; i++) view.setFloat32(at + i * 4, values[i], true);
    });
  }

  /** Packed int32/int64/uint32/uint64/enum/bool values. */
  packedInts(field: number, values: ArrayLike<number>): this {
    return this.message(field, () => {
      for (let i = 0; i < values.length; i++) this.varintNumber(values[i], `field ${field}[${i}]`);
    });
  }

  private packedFixed(field: number, size: number, fill: (view: DataView, at: number) => void): this {
    this.tag(field, WireType.LEN);
    this.varintNumber(size, `field ${field}`);
    this.reserve(size);
    fill(this.view, this.pos);
    this.pos += size;
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start-group', 'end-group', '32-bit'];

export class ProtoReader {
  /** The current field's number and wire type, valid after `next()` returned true. */
  field = 0;
  wire: WireType = WireType.VARINT;
  private pos: number;
  private readonly view: DataView;

  /**
   * Reads `buf[start, end)`; `what` names the message in errors. `parent`: the reader this one's
   * span is nested in (shares its view; errors name the path from the outermost message).
   */
  constructor(private readonly buf: Uint8Array, start = 0, private readonly end = buf.length, private readonly what = 'message', private readonly parent?: ProtoReader) {
    this.pos = start;
    this.view = parent?.view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private path(): string { return this.parent ? `${this.parent.path()}.${this.what}` : this.what; }

  private fail(message: string, at = this.pos): never {
    throw new ProtoError(`${this.path()}: ${message} at byte ${at}`);
  }

  /** Moves to the next field; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    const lo = this.rawVarint();
    const wire = lo & 7;
    const field = (lo >>> 3) + this.hi * 0x20000000;
    if (field === 0) this.fail('field number 0', at);
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) this.fail(`unsupported wire type ${wire} (${WIRE_NAMES[wire] ?? 'unknown'}) for field ${field}`, at);
    this.field = field;
    this.wire = wire;
    return true;
  }

  /** The high 32 bits of the last varint read by `rawVarint`. */
  private hi = 0;

  /** Reads a varint: returns its low 32 bits (unsigned) and leaves the high 32 in `this.hi`. */
  private rawVarint(): number {
    const first = this.buf[this.pos];
    if (first < 0x80 && this.pos < this.end) {  // most tags and small values: one byte
      this.pos++;
      this.hi = 0;
      return first;
    }
    let lo = 0;
    let hi = 0;
    const start = this.pos;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) { lo |= (b & 0x0f) << 28; hi = (b & 0x7f) >> 4; }
      else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) {
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  private expect(wire: WireType): void {
    if (this.wire !== wire) this.fail(`field ${this.field} has wire type ${WIRE_NAMES[this.wire]}, expected ${WIRE_NAMES[wire]}`);
  }

  private take(n: number): number {
    const at = this.pos;
    if (n > this.end - at) this.fail(`field ${this.field} runs past the end (${n} bytes wanted, ${this.end - at} left)`);
    this.pos += n;
    return at;
  }

  /** int64/int32 as a signed number (exact while |value| <= 2^53). */
  int(): number {
    this.expect(WireType.VARINT);
    const lo = this.rawVarint();
    const hi = this.hi;
    return hi >= 0x80000000 ? (hi - TWO_32) * TWO_32 + lo : hi * TWO_32 + lo;
  }

  /** uint64/uint32/enum as a non-negative number (exact below 2^53). */
  uint(): number {
    this.expect(WireType.VARINT);
    const lo = this.rawVarint();
    return this.hi * TWO_32 + lo;
  }

  /** int64 as bigint (signed); wrap with BigInt.asUintN(64, ...) for uint64. */
  intBig(): bigint {
    this.expect(WireType.VARINT);
    const lo = this.rawVarint();
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(lo));
  }

  bool(): boolean { return this.uint() !== 0; }

  double(): number {
    this.expect(WireType.I64);
    return this.view.getFloat64(this.take(8), true);
  }

  float(): number {
    this.expect(WireType.I32);
    return this.view.getFloat32(this.take(4), true);
  }

  /** fixed32 (use `| 0` on the result for sfixed32). */
  fixed32(): number {
    this.expect(WireType.I32);
    return this.view.getUint32(this.take(4), true);
  }

  /** fixed64 (use BigInt.asIntN(64, ...) for sfixed64). */
  fixed64(): bigint {
    this.expect(WireType.I64);
    return this.view.getBigUint64(this.take(8), true);
  }

  /** A length-delimited field's bytes: a view into the input, not a copy. */
  bytes(): Uint8Array {
    const [start, end] = this.span();
    return this.buf.subarray(start, end);
  }

  string(): string {
    const [start, end] = this.span();
    return decodeUtf8(this.buf, start, end);
  }

  /** A reader over a nested message; `what` names it in errors. */
  message(what = `field ${this.field}`): ProtoReader {
    const [start, end] = this.span();
    return new ProtoReader(this.buf, start, end, what, this);
  }

  private span(): [number, number] {
    this.expect(WireType.LEN);
    const lo = this.rawVarint();
    const n = this.hi * TWO_32 + lo;
    const start = this.take(n);
    return [start, start + n];
  }

  /** Appends a repeated double field's values (packed or not) to `out`. */
  packedDoubles(out: number[]): void { this.packedFixed(WireType.I64, 8, out, (at) => this.view.getFloat64(at, true)); }

  /** Appends a repeated float field's values (packed or not) to `out`. */
  packedFloats(out: number[]): void { this.packedFixed(WireType.I32, 4, out, (at) => this.view.getFloat32(at, true)); }

  /** Appends a repeated int32/int64/enum/bool field's values (packed or not) to `out`, signed. */
  packedInts(out: number[]): void {
    if (this.wire !== WireType.LEN) { out.push(this.int()); return; }
    const [start, end] = this.span();
    const inner = new ProtoReader(this.buf, start, end, `field ${this.field}`, this);
    inner.field = this.field;
    while (inner.pos < end) out.push(inner.int());
  }

  private packedFixed(wire: WireType, size: number, out: number[], read: (at: number) => number): void {
    if (this.wire !== WireType.LEN) {
      this.expect(wire);
      out.push(read(this.take(size)));
      return;
    }
    const [start, end] = this.span();
    if ((end - start) % size !== 0) this.fail(`packed field ${this.field} has ${end - start} bytes, not a multiple of ${size}`, start);
    for (let at = start; at < end; at += size) out.push(read(at));
  }

  /** Skips the current field's value (an unknown field). */
  skip(): void {
    switch (this.wire) {
      case WireType.VARINT: this.rawVarint(); break;
      case WireType.I64: this.take(8); break;
      case WireType.I32: this.take(4); break;
      case WireType.LEN: this.span(); break;
    }
  }
}
