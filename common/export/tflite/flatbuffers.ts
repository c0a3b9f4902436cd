/**
 * A minimal FlatBuffers builder (https://flatbuffers.dev/internals/), enough to write TensorFlow
 * Lite models: tables of scalars and offsets, strings, vectors of int32, bytes and offsets, and a
 * root with a file identifier. The buffer grows from its end towards its start, so children are
 * written before the tables that point at them and every offset points forward. It follows the
 * reference builders step by step (alignment counted from the end, scalars equal to their default
 * left out, identical vtables shared), so it writes the bytes they write.
 */
import { encodeUtf8 } from '../../formats/protobuf.js';

/** Where an object starts, counted in bytes from the end of the buffer (what the builder returns). */
export type Offset = number;

export type ScalarKind = 'bool' | 'int8' | 'uint8' | 'int32' | 'uint32' | 'float32';

const SIZE: Record<ScalarKind, number> = { bool: 1, int8: 1, uint8: 1, int32: 4, uint32: 4, float32: 4 };

/** FlatBuffers' offsets are 32-bit: no buffer may reach 2 GiB. */
const MAX_SIZE = 2 ** 31 - 1;

export class FlatBufferBuilder {
  private buf: Uint8Array;
  private view: DataView;
  /** The first byte in use; everything from here to the end has been written. */
  private head: number;
  private minAlign = 1;
  /** Per field of the table being built: where its value was written (0: not written). */
  private fields: number[] | null = null;
  private tableEnd = 0;
  private readonly vtables = new Map<string, Offset>();

  constructor(initialSize = 1024) {
    this.buf = new Uint8Array(Math.max(initialSize, 16));
    this.view = new DataView(this.buf.buffer);
    this.head = this.buf.length;
  }

  /** Bytes written so far. */
  offset(): Offset {
    return this.buf.length - this.head;
  }

  /** Doubles the buffer until `needed` more bytes fit before the head, keeping the data at the end. */
  private reserve(needed: number): void {
    if (this.head >= needed) return;
    let size = this.buf.length;
    while (size - this.offset() < needed) size *= 2;
    if (this.offset() + needed > MAX_SIZE) throw new Error(`a FlatBuffer holds at most 2 GiB, but this one needs ${this.offset() + needed} bytes`);
    const grown = new Uint8Array(Math.min(size, MAX_SIZE));
    grown.set(this.buf.subarray(this.head), grown.length - this.offset());
    this.head += grown.length - this.buf.length;
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** Pads with zeros so that a `size`-byte value written after `additional` more bytes is aligned. */
  private prep(size: number, additional: number): void {
    if (size > this.minAlign) this.minAlign = size;
    const padding = (-(this.offset() + additional)) & (size - 1);
    this.reserve(padding + size + additional);
    this.buf.fill(0, this.head - padding, this.head);
    this.head -= padding;
  }

  private place(kind: ScalarKind | 'uint16', value: number | boolean): void {
    const v = Number(value);
    switch (kind) {
      case 'bool':
      case 'uint8': this.view.setUint8(--this.head, v); break;
      case 'int8': this.view.setInt8(--this.head, v); break;
      case 'uint16': this.view.setUint16((this.head -= 2), v, true); break;
      case 'int32': this.view.setInt32((this.head -= 4), v, true); break;
      case 'uint32': this.view.setUint32((this.head -= 4), v, true); break;
      case 'float32': this.view.setFloat32((this.head -= 4), v, true); break;
    }
  }

  /** Writes a uoffset to `target`, relative to where it lands. */
  private prependOffset(target: Offset): void {
    this.prep(4, 0);
    if (target > this.offset()) throw new Error('FlatBufferBuilder: an offset must point to an object written before it');
    this.place('uint32', this.offset() - target + 4);
  }

  private startVector(elemSize: number, count: number, alignment: number): void {
    this.notInTable('a vector');
    this.prep(4, elemSize * count);
    this.prep(alignment, elemSize * count);
  }

  private endVector(count: number): Offset {
    this.place('uint32', count);
    return this.offset();
  }

  private notInTable(what: string): void {
    if (this.fields) throw new Error(`FlatBufferBuilder: ${what} cannot be written while a table is being built`);
  }

  /** A string: its UTF-8 bytes, NUL-terminated. */
  createString(text: string): Offset {
    const bytes = encodeUtf8(text);
    this.notInTable('a string');
    this.prep(4, bytes.length + 1);
    this.place('uint8', 0);
    this.head -= bytes.length;
    this.buf.set(bytes, this.head);
    return this.endVector(bytes.length);
  }

  /** A [ubyte] vector whose first byte is aligned to `alignment` (a power of two). */
  createBytes(bytes: Uint8Array, alignment = 1): Offset {
    this.startVector(1, bytes.length, alignment);
    this.head -= bytes.length;
    this.buf.set(bytes, this.head);
    return this.endVector(bytes.length);
  }

  createInt32Vector(values: ArrayLike<number>): Offset {
    this.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) this.place('int32', values[i]);
    return this.endVector(values.length);
  }

  /** A vector of tables, strings or vectors written before it. */
  createOffsetVector(offsets: Offset[]): Offset {
    this.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) this.prependOffset(offsets[i]);
    return this.endVector(offsets.length);
  }

  /** Starts a table with `fieldCount` fields (its schema's, deprecated ones included). */
  startTable(fieldCount: number): void {
    this.notInTable('a table');
    this.fields = new Array<number>(fieldCount).fill(0);
    this.tableEnd = this.offset();
  }

  private field(slot: number): void {
    if (!this.fields || slot >= this.fields.length) throw new Error(`FlatBufferBuilder: field ${slot} is outside the table being built`);
    this.fields[slot] = this.offset();
  }

  /** A scalar field; left out when it equals the schema's default, which readers then return. */
  add(slot: number, kind: ScalarKind, value: number | boolean, defaultValue: number | boolean): void {
    const same = kind === 'float32' ? Math.fround(Number(value)) === Math.fround(Number(defaultValue)) : Number(value) === Number(defaultValue);
    if (same) return;
    this.prep(SIZE[kind], 0);
    this.place(kind, value);
    this.field(slot);
  }

  /** A field pointing to a table, string or vector written before this table started. */
  addOffset(slot: number, target: Offset): void {
    this.prependOffset(target);
    this.field(slot);
  }

  /** Ends the table: writes its vtable, or points it to an identical one already written. */
  endTable(): Offset {
    const fields = this.fields;
    if (!fields) throw new Error('FlatBufferBuilder: endTable without startTable');
    this.prep(4, 0);
    this.place('int32', 0);  // the table's offset to its vtable, filled in below
    const table = this.offset();
    let used = fields.length;
    while (used > 0 && fields[used - 1] === 0) used--;
    const entries = fields.slice(0, used).map((at) => (at === 0 ? 0 : table - at));
    const size = table - this.tableEnd;
    const key = `${entries.join(',')}/${size}`;
    let vtable = this.vtables.get(key);
    if (vtable === undefined) {
      for (let i = entries.length - 1; i >= 0; i--) {
        this.prep(2, 0);
        this.place('uint16', entries[i]);
      }
      this.prep(2, 0);
      this.place('uint16', size);
      this.prep(2, 0);
      this.place('uint16', (entries.length + 2) * 2);
      vtable = this.offset();
      this.vtables.set(key, vtable);
    }
    this.view.setInt32(this.buf.length - table, vtable - table, true);
    this.fields = null;
    return table;
  }

  /** The finished buffer: the root table's offset, then the 4-character file identifier if given. */
  finish(root: Offset, fileIdentifier?: string): Uint8Array {
    this.notInTable('the root');
    if (fileIdentifier !== undefined && !/^[\x20-\x7e]{4}$/.test(fileIdentifier)) throw new Error(`a FlatBuffers file identifier has 4 ASCII characters, got "${fileIdentifier}"`);
    this.prep(this.minAlign, fileIdentifier === undefined ? 4 : 8);
    if (fileIdentifier !== undefined) {
      this.prep(4, 4);
      for (let i = 3; i >= 0; i--) this.place('uint8', fileIdentifier.charCodeAt(i));
    }
    this.prependOffset(root);
    return this.buf.slice(this.head);
  }
}
