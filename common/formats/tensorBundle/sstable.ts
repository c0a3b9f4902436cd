/**
 * The LevelDB table ("SSTable") that a bundle's .index file is: sorted key/value entries in
 * prefix-compressed blocks, an index block of block handles, and a 48-byte footer. Follows
 * tensorflow/core/lib/io (now tsl/lib/io): table_builder.cc, block_builder.cc, format.cc, table.cc,
 * including its choices of block size, restart interval and index keys, so the bytes match TF's.
 */
import { crc32c, maskCrc32c, unmaskCrc32c } from '../crc32c.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { snappyDecompress } from './snappy.js';

export type TableEntry = [key: Uint8Array, value: Uint8Array];

const BLOCK_SIZE = 262144;         // table_options.h
const DATA_RESTART_INTERVAL = 16;  // block_builder default (the index block restarts at every entry)
const TRAILER = 5;                 // compression type byte + masked CRC
const FOOTER = 48;                 // two handles padded to 40 bytes + magic
const MAGIC_LOW = 0x8b80fb57, MAGIC_HIGH = 0xdb477524;  // kTableMagicNumber 0xdb4775248b80fb57
const NO_COMPRESSION = 0, SNAPPY = 1;

interface Handle { offset: number; size: number }

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Writing

class BlockBuilder {
  private readonly buf = new ByteWriter();
  private readonly restarts = [0];
  private counter = 0;
  private last: Uint8Array = new Uint8Array(0);

  constructor(private readonly restartInterval: number) {}

  get empty(): boolean { return this.buf.length === 0; }

  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.restartInterval) {
      const n = Math.min(this.last.length, key.length);
      while (shared < n && this.last[shared] === key[shared]) shared++;
    } else {
      this.restarts.push(this.buf.length);
      this.counter = 0;
    }
    this.buf.varint(shared).varint(key.length - shared).varint(value.length).bytes(key.subarray(shared)).bytes(value);
    this.last = key;
    this.counter++;
  }

  sizeEstimate(): number {
    return this.buf.length + 4 * this.restarts.length + 4;
  }

  finish(): Uint8Array {
    for (const r of this.restarts) this.buf.fixed32(r);
    return this.buf.fixed32(this.restarts.length).finish();
  }
}

/** A key >= every key of the block that ends with `last` and < `next`: as short as TF makes it. */
function shortestSeparator(last: Uint8Array, next: Uint8Array): Uint8Array {
  const n = Math.min(last.length, next.length);
  let i = 0;
  while (i < n && last[i] === next[i]) i++;
  if (i < n && last[i] < 0xff && last[i] + 1 < next[i]) {
    const key = last.slice(0, i + 1);
    key[i]++;
    return key;
  }
  return last;
}

/** A short key >= `last`, for the final block. */
function shortSuccessor(last: Uint8Array): Uint8Array {
  const i = last.findIndex((b) => b !== 0xff);
  if (i < 0) return last;
  const key = last.slice(0, i + 1);
  key[i]++;
  return key;
}

function writeBlock(out: ByteWriter, contents: Uint8Array): Handle {
  const handle = { offset: out.length, size: contents.length };
  out.bytes(contents).byte(NO_COMPRESSION).fixed32(maskCrc32c(crc32c(Uint8Array.of(NO_COMPRESSION), crc32c(contents))));
  return handle;
}

const encodeHandle = (h: Handle, w = new ByteWriter()) => w.varint(h.offset).varint(h.size);

/** A table of these entries, whose keys must be strictly increasing bytewise. Uncompressed, as TF writes. */
export function writeTable(entries: readonly TableEntry[]): Uint8Array {
  const out = new ByteWriter();
  const index = new BlockBuilder(1);
  let data = new BlockBuilder(DATA_RESTART_INTERVAL);
  let last: Uint8Array | null = null;
  let pending: Handle | null = null;  // the block just written, indexed once the next key is known
  for (const [key, value] of entries) {
    if (last && compareBytes(key, last) <= 0) throw new RangeError('table keys must be strictly increasing');
    if (pending) {
      index.add(shortestSeparator(last!, key), encodeHandle(pending).finish());
      pending = null;
    }
    last = key;
    data.add(key, value);
    if (data.sizeEstimate() >= BLOCK_SIZE) {
      pending = writeBlock(out, data.finish());
      data = new BlockBuilder(DATA_RESTART_INTERVAL);
    }
  }
  if (!data.empty) pending = writeBlock(out, data.finish());
  const metaindex = writeBlock(out, new BlockBuilder(DATA_RESTART_INTERVAL).finish());
  if (pending) index.add(shortSuccessor(last!), encodeHandle(pending).finish());
  const indexHandle = writeBlock(out, index.finish());

  const footer = encodeHandle(indexHandle, encodeHandle(metaindex));
  while (footer.length < FOOTER - 8) footer.byte(0);
  return out.bytes(footer.fixed32(MAGIC_LOW).fixed32(MAGIC_HIGH).finish()).finish();
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A table that cannot be read; the message says why, in LevelDB's and TensorFlow's words. */
export class TableError extends Error {}

function readHandle(r: ByteReader): Handle {
  try {
    return { offset: r.varint(), size: r.varint() };
  } catch {
    throw new TableError('bad block handle');
  }
}

function readBlock(file: Uint8Array, h: Handle, what: string): Uint8Array {
  const end = h.offset + h.size;
  if (h.offset < 0 || h.size < 0 || end + TRAILER > file.length) throw new TableError(`truncated block read (the ${what} at byte ${h.offset})`);
  const type = file[end];
  const stored = new ByteReader(file, end + 1).fixed32();
  if (unmaskCrc32c(stored) !== crc32c(file.subarray(h.offset, end + 1))) {
    throw new TableError(`block checksum mismatch (the ${what} at byte ${h.offset})`);
  }
  const contents = file.subarray(h.offset, end);
  if (type === NO_COMPRESSION) return contents;
  if (type !== SNAPPY) throw new TableError(`bad block type ${type} (the ${what} at byte ${h.offset})`);
  try {
    return snappyDecompress(contents);
  } catch (err) {
    throw new TableError(`corrupted compressed block contents (the ${what} at byte ${h.offset}: ${(err as Error).message})`);
  }
}

function blockEntries(block: Uint8Array, what: string): TableEntry[] {
  const bad = (why: string) => new TableError(`bad block contents (the ${what}: ${why})`);
  if (block.length < 4) throw bad('shorter than its restart count');
  const restarts = new ByteReader(block, block.length - 4).fixed32();
  const limit = block.length - 4 - 4 * restarts;
  if (limit < 0) throw bad(`${restarts} restart points do not fit in ${block.length} bytes`);
  const r = new ByteReader(block, 0, limit);
  const entries: TableEntry[] = [];
  let key = new Uint8Array(0);
  try {
    while (!r.done) {
      const shared = r.varint(), unshared = r.varint(), valueLength = r.varint();
      if (shared > key.length) throw bad(`an entry shares ${shared} bytes of a ${key.length}-byte key`);
      const next = new Uint8Array(shared + unshared);
      next.set(key.subarray(0, shared));
      next.set(r.bytes(unshared), shared);
      key = next;
      entries.push([key, r.bytes(valueLength)]);
    }
  } catch (err) {
    throw err instanceof TableError ? err : bad((err as Error).message);
  }
  return entries;
}

/** Every entry of a table, in key order, after checking every block's CRC. */
export function readTable(file: Uint8Array): TableEntry[] {
  if (file.length < FOOTER) throw new TableError(`file is too short to be an sstable (${file.length} bytes)`);
  const footer = new ByteReader(file, file.length - FOOTER);
  footer.pos += FOOTER - 8;
  if (footer.fixed32() !== MAGIC_LOW || footer.fixed32() !== MAGIC_HIGH) throw new TableError('not an sstable (bad magic number)');
  footer.pos = file.length - FOOTER;
  readHandle(footer);  // the metaindex: TF writes it empty and reads nothing from it
  const indexBlock = readBlock(file, readHandle(footer), 'index block');

  const entries: TableEntry[] = [];
  for (const [, value] of blockEntries(indexBlock, 'index block')) {
    const handle = readHandle(new ByteReader(value));
    const what = `data block at byte ${handle.offset}`;
    for (const entry of blockEntries(readBlock(file, handle, 'data block'), what)) {
      if (entries.length > 0 && compareBytes(entry[0], entries[entries.length - 1][0]) <= 0) {
        throw new TableError(`keys out of order (the ${what})`);
      }
      entries.push(entry);
    }
  }
  return entries;
}
