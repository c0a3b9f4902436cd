// Kiln's FlatBuffers builder (common/export/tflite/flatbuffers.ts): it must write the bytes the
// reference builder writes (the golden buffer below came from the official `flatbuffers` Python
// package, 25.12.19, building the same objects), and the format's rules must hold on their own.
import { describe, expect, it } from 'vitest';
import { FlatBufferBuilder } from '../../../common/export/tflite/flatbuffers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/*
 * b = Builder(16); name = b.CreateString("kiln \u2713")
 * b.StartVector(1, 5, 16); [b.PrependUint8(v) for v in reversed([1, 2, 3, 250, 255])]; data = b.EndVector()
 * b.StartVector(4, 3, 4); [b.PrependInt32(v) for v in reversed([-1, 28, 3])]; ints = b.EndVector()
 * child(i, f): StartObject(3); PrependInt32Slot(0, i, 0); PrependFloat32Slot(2, f, 0.0); EndObject()
 * children = vector of child(7, 1.5), child(9, -0.25), child(0, 0.0)
 * root: StartObject(8); slots 0 name, 1 int8 -3, 2 bool True, 3 data, 4 ints, 5 children,
 *       6 uint32 3, 7 int32 -1 (default -1); Finish(root, file_identifier=b"TFL3")
 */
const GOLDEN =
  '2800000054464c33000000000000000000000000000012001c0018001700160010000c00080004001200000003000000140000005800000064000000000001fd70000000' +
  '03000000380000001c00000008000000040006000400000000000a000e000800000004000a000000000080be0900000000000a000c000800000004000a0000000000c03f' +
  '0700000003000000ffffffff1c0000000300000005000000010203faff0000000000000000000000080000006b696c6e20e29c9300000000';

function buildSample(initialSize: number): Uint8Array {
  const b = new FlatBufferBuilder(initialSize);
  const name = b.createString('kiln \u2713');
  const data = b.createBytes(Uint8Array.from([1, 2, 3, 250, 255]), 16);
  const ints = b.createInt32Vector([-1, 28, 3]);
  const child = (i: number, f: number) => {
    b.startTable(3);
    b.add(0, 'int32', i, 0);
    b.add(2, 'float32', f, 0);
    return b.endTable();
  };
  const children = b.createOffsetVector([child(7, 1.5), child(9, -0.25), child(0, 0)]);
  b.startTable(8);
  b.addOffset(0, name);
  b.add(1, 'int8', -3, 0);
  b.add(2, 'bool', true, false);
  b.addOffset(3, data);
  b.addOffset(4, ints);
  b.addOffset(5, children);
  b.add(6, 'uint32', 3, 0);
  b.add(7, 'int32', -1, -1);
  return b.finish(b.endTable(), 'TFL3');
}

describe('FlatBufferBuilder', () => {
  it("writes the reference builder's bytes, whatever its starting capacity", () => {
    expect(hex(buildSample(16))).toBe(GOLDEN);
    expect(hex(buildSample(1 << 16))).toBe(GOLDEN);
  });

  it('starts with the root offset and the file identifier, and reads back through the vtable', () => {
    const bytes = buildSample(16);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const root = view.getUint32(0, true);
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('TFL3');
    const vtable = root - view.getInt32(root, true);
    const field = (slot: number) => view.getUint16(vtable + 4 + 2 * slot, true);
    expect(view.getUint16(vtable, true)).toBe(4 + 2 * 7);  // field 7 holds its default: the vtable stops before it
    expect(view.getInt8(root + field(1))).toBe(-3);
    const data = root + field(3) + view.getUint32(root + field(3), true);
    expect((data + 4) % 16).toBe(0);  // the bytes themselves are aligned
    expect(Array.from(bytes.subarray(data + 4, data + 9))).toEqual([1, 2, 3, 250, 255]);
  });

  it('leaves out scalars equal to their default and shares identical vtables', () => {
    const b = new FlatBufferBuilder();
    const table = (v: number) => {
      b.startTable(3);
      b.add(0, 'float32', v, 0);
      b.add(1, 'int32', 7, 0);
      b.add(2, 'int32', 5, 5);
      return b.endTable();
    };
    table(0.5);
    const size = b.offset();
    table(0.25);
    expect(b.offset() - size).toBe(12);  // vtable offset, float and int: no second vtable, no third field
  });

  it('refuses what the format cannot hold', () => {
    const b = new FlatBufferBuilder();
    b.startTable(1);
    expect(() => b.createString('x')).toThrow(/while a table is being built/);
    expect(() => b.add(3, 'int32', 1, 0)).toThrow(/field 3 is outside the table/);
    b.endTable();
    expect(() => b.finish(0, 'TOO LONG')).toThrow(/4 ASCII characters/);
  });
});
