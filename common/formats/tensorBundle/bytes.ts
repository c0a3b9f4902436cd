/** Little-endian byte writing and reading with protobuf/LevelDB varints, for the bundle's two layers. */

export class ByteWriter {
  private buf = new Uint8Array(256);
  private n = 0;

  get length(): number { return this.n; }

  private reserve(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.n++] = b;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }

  /** An unsigned varint of up to 2^53 (offsets and sizes of files that fit in memory). */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`cannot write ${v} as an unsigned varint`);
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    return this.byte(v);
  }

  fixed32(v: number): this {
    return this.byte(v & 0xff).byte((v >>> 8) & 0xff).byte((v >>> 16) & 0xff).byte((v >>> 24) & 0xff);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export class ByteReader {
  pos: number;

  constructor(private readonly buf: Uint8Array, start = 0, private readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean { return this.pos >= this.end; }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('it ends in the middle of a value');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A varint of up to 64 bits, two's complement (protobuf's int32/int64), as a number. */
  varint(): number {
    let low = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte();
      low |= (b & 0x7f) << shift;
      if (b < 0x80) return low >>> 0;
    }
    // Past 28 bits: finish in BigInt so that 64-bit and negative values come out right.
    let big = BigInt(low >>> 0);
    for (let shift = 28n; shift < 70n; shift += 7n) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, big));
    }
    throw new RangeError('a varint is longer than 10 bytes');
  }

  fixed32(): number {
    const b = this.bytes(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }
}
