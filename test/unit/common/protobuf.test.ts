// The protobuf wire format: known byte vectors (protobuf.dev's encoding guide), round trips of
// every wire type, 64-bit and negative varints, packed fields, unknown fields skipped, and
// errors that name the field and the offset.
import { describe, expect, it } from 'vitest';
import { decodeUtf8, encodeUtf8, ProtoError, ProtoReader, ProtoWriter, WireType } from '../../../common/formats/protobuf.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('ProtoWriter', () => {
  it('writes the encoding guide examples byte for byte', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, (m) => m.int(1, 150)).finish())).toBe('1a03089601');
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().int(1, -2).finish())).toBe('08feffffffffffffffff01');
  });

  it('writes fixed-width fields little-endian', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().double(1, 1).finish())).toBe('09000000000000f03f');
    expect(hex(new ProtoWriter().fixed32(3, -1).finish())).toBe('1dffffffff');
    expect(hex(new ProtoWriter().fixed64(4, 0x0102030405060708n).finish())).toBe('210807060504030201');
    expect(hex(new ProtoWriter().packedDoubles(6, [1, -2]).finish())).toBe('3210000000000000f03f00000000000000c0');
    expect(hex(new ProtoWriter().packedFloats(5, []).finish())).toBe('2a00');
  });

  it('writes 64-bit varints from numbers and bigints, and the largest field number', () => {
    expect(hex(new ProtoWriter().int(1, 2 ** 32).finish())).toBe('088080808010');
    expect(hex(new ProtoWriter().int(1, Number.MAX_SAFE_INTEGER).finish())).toBe('08ffffffffffffff0f');
    expect(hex(new ProtoWriter().intBig(1, 2n ** 64n - 1n).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().intBig(1, -1n).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().bool(536870911, true).finish())).toBe('f8ffffff0f01');
  });

  it('length-prefixes nested messages of any size, nested in each other, as bytes() would', () => {
    for (const n of [0, 120, 127, 128, 300, 20000, 2100000]) {
      const payload = new Uint8Array(n).map((_, i) => i & 255);
      const nested = new ProtoWriter().int(1, 1).message(2, (m) => m.message(3, (mm) => mm.bytes(4, payload)).int(5, 6)).finish();
      const inner = new ProtoWriter().bytes(4, payload).finish();
      const middle = new ProtoWriter().bytes(3, inner).int(5, 6).finish();
      expect(hex(nested) === hex(new ProtoWriter().int(1, 1).bytes(2, middle).finish()), `payload of ${n} bytes`).toBe(true);
    }
  });

  it('keeps a small nested message intact wherever the buffer has to grow', () => {
    for (let n = 0; n < 200; n++) {
      const prefix = new Uint8Array(n);
      const got = new ProtoWriter().bytes(1, prefix).message(2, (m) => m.int(1, 5)).finish();
      expect(hex(got.subarray(got.length - 4))).toBe('12020805');
    }
  });

  it('refuses values protobuf cannot store', () => {
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(ProtoError);
    expect(() => new ProtoWriter().int(1, -(2 ** 60))).toThrow(/field 1: .* is not an integer/);
    expect(() => new ProtoWriter().int(0, 1)).toThrow(/invalid field number 0/);
  });
});

describe('ProtoReader', () => {
  it('round-trips every wire type, nested messages and repeated fields', () => {
    const w = new ProtoWriter()
      .int(1, -123456789012)
      .int(2, 2 ** 53 - 1)
      .bool(3, true)
      .double(4, Math.PI)
      .float(5, 0.1)
      .fixed32(6, 0xdeadbeef)
      .fixed64(7, 2n ** 63n + 5n)
      .string(8, 'héllo ✓ 😀')
      .bytes(9, new Uint8Array([0, 255]))
      .message(10, (m) => m.string(1, 'inner').message(2, (mm) => mm.int(1, 7)))
      .packedDoubles(11, [1.5, -0, Infinity])
      .packedFloats(12, [0.5, -3])
      .packedInts(13, [0, -1, 300, 2 ** 40])
      .intBig(14, -(2n ** 62n));
    const r = new ProtoReader(w.finish());
    const got: Record<number, unknown> = {};
    const doubles: number[] = [];
    const floats: number[] = [];
    const ints: number[] = [];
    while (r.next()) {
      switch (r.field) {
        case 1: case 2: got[r.field] = r.int(); break;
        case 3: got[3] = r.bool(); break;
        case 4: got[4] = r.double(); break;
        case 5: got[5] = r.float(); break;
        case 6: got[6] = r.fixed32(); break;
        case 7: got[7] = r.fixed64(); break;
        case 8: got[8] = r.string(); break;
        case 9: got[9] = [...r.bytes()]; break;
        case 10: {
          const m = r.message('inner');
          const inner: unknown[] = [];
          while (m.next()) {
            if (m.field === 1) inner.push(m.string());
            else { const mm = m.message(); mm.next(); inner.push(mm.uint()); }
          }
          got[10] = inner;
          break;
        }
        case 11: r.packedDoubles(doubles); break;
        case 12: r.packedFloats(floats); break;
        case 13: r.packedInts(ints); break;
        case 14: got[14] = r.intBig(); break;
      }
    }
    expect(got).toEqual({
      1: -123456789012, 2: 2 ** 53 - 1, 3: true, 4: Math.PI, 5: Math.fround(0.1), 6: 0xdeadbeef, 7: 2n ** 63n + 5n,
      8: 'héllo ✓ 😀', 9: [0, 255], 10: ['inner', 7], 14: -(2n ** 62n),
    });
    expect(doubles).toEqual([1.5, -0, Infinity]);
    expect(floats).toEqual([0.5, -3]);
    expect(ints).toEqual([0, -1, 300, 2 ** 40]);
  });

  it('reads repeated scalars whether packed or not', () => {
    const w = new ProtoWriter().double(1, 1).packedDoubles(1, [2, 3]).double(1, 4).int(2, 5).packedInts(2, [6, 7]);
    const r = new ProtoReader(w.finish());
    const d: number[] = [];
    const i: number[] = [];
    while (r.next()) {
      if (r.field === 1) r.packedDoubles(d);
      else r.packedInts(i);
    }
    expect(d).toEqual([1, 2, 3, 4]);
    expect(i).toEqual([5, 6, 7]);
  });

  it('skips unknown fields of every wire type', () => {
    const w = new ProtoWriter().int(100, 1 << 30).fixed64(101, 1n).string(102, 'x'.repeat(300)).fixed32(103, 1).int(1, 42);
    const r = new ProtoReader(w.finish());
    let value = 0;
    while (r.next()) {
      if (r.field === 1) value = r.int();
      else r.skip();
    }
    expect(value).toBe(42);
  });

  it('reads a view into a larger buffer', () => {
    const inner = new ProtoWriter().int(1, 9).finish();
    const big = new Uint8Array(inner.length + 7);
    big.set(inner, 3);
    const r = new ProtoReader(big.subarray(3, 3 + inner.length));
    expect(r.next() && r.field === 1 && r.int()).toBe(9);
    expect(r.next()).toBe(false);
  });

  it('names the field and offset of malformed input', () => {
    const read = (b: Uint8Array, f: (r: ProtoReader) => void) => () => { const r = new ProtoReader(b, 0, b.length, 'Event'); while (r.next()) f(r); };
    expect(read(bytes('08 96'), (r) => r.int())).toThrow(/^Event: truncated varint at byte 1$/);
    expect(read(bytes('12 05 61 62'), (r) => r.string())).toThrow(/Event: field 2 runs past the end \(5 bytes wanted, 2 left\)/);
    expect(read(bytes('08 01'), (r) => r.double())).toThrow(/Event: field 1 has wire type varint, expected 64-bit/);
    expect(read(bytes('0b'), (r) => r.skip())).toThrow(/unsupported wire type 3 \(start-group\) for field 1/);
    expect(read(bytes('00 01'), (r) => r.skip())).toThrow(/field number 0/);
    expect(read(bytes('0a 03 09 00 00'), (r) => { const m = r.message('inner'); while (m.next()) m.double(); })).toThrow(/^Event\.inner: field 1 runs past the end/);
    expect(read(bytes('0a 03 00 00 00'), (r) => r.packedFloats([]))).toThrow(/packed field 1 has 3 bytes, not a multiple of 4/);
    expect(WireType.LEN).toBe(2);
  });
});

describe('UTF-8', () => {
  it('encodes and decodes every plane like Node does', () => {
    const text = 'a é ✓ 😀 \u0000 \uffff';
    expect(hex(encodeUtf8(text))).toBe(Buffer.from(text, 'utf8').toString('hex'));
    expect(decodeUtf8(Buffer.from(text, 'utf8'))).toBe(text);
    const long = '✓'.repeat(20000);
    expect(decodeUtf8(encodeUtf8(long))).toBe(long);
  });

  it('replaces malformed sequences and lone surrogates', () => {
    expect(decodeUtf8(bytes('61 ff 62 e2 9c 63 c0 80'))).toBe(Buffer.from(bytes('61 ff 62 e2 9c 63 c0 80')).toString('utf8'));
    expect(decodeUtf8(encodeUtf8('x\ud800y'))).toBe('x\ufffdy');
  });
});
