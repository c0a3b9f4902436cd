// The run store's tight event reader (electron/host/runs/EventsScanner.ts) against the full decoder
// (RunSeries): the same scalar points for Kiln's, TF2-style and old-style values, every scalar
// tensor form, restarts (SessionLog START), histograms and hparams on the side; records torn,
// corrupt, or split across reads.
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../common/formats/protobuf.js';
import {
  DataType, encodeEvent, encodeRecord, EventWriter, readEvents, RunSeries, SessionEndStatus, type Event,
} from '../../../common/formats/tfevents/index.js';
import { EventsScanner, type ScanError } from '../../../electron/host/runs/EventsScanner.js';

function reference(bytes: Uint8Array): RunSeries {
  const series = new RunSeries();
  for (const e of readEvents(bytes).events) series.add(e);
  return series;
}

function scan(chunks: Uint8Array[], tags: string[]): { scanner: EventsScanner; errors: ScanError[] } {
  const scanner = new EventsScanner(new Set(tags));
  const errors: ScanError[] = [];
  let offset = 0;
  let pending = new Uint8Array(0);
  for (const chunk of chunks) {
    // As the store reads a growing file: what was not consumed is read again with what follows.
    const bytes = new Uint8Array(pending.length + chunk.length);
    bytes.set(pending);
    bytes.set(chunk, pending.length);
    const r = scanner.scan(bytes, offset, errors);
    pending = bytes.subarray(r.end - offset);
    offset = r.end;
  }
  return { scanner, errors };
}

function points(scanner: EventsScanner, tag: string): [number, number, number][] {
  const c = scanner.tags.get(tag)?.columns;
  if (!c) return [];
  return Array.from({ length: c.length }, (_, i) => [c.step[i], c.wall[i], c.value[i]]);
}

const refPoints = (series: RunSeries, tag: string) => (series.scalars.get(tag) ?? []).map((p) => [p.step, p.wallTime, p.value]);

/** A summary value with a hand-made tensor (forms other writers use). */
function tensorValue(tag: string, tensor: (w: ProtoWriter) => void, plugin?: string): Uint8Array {
  const w = new ProtoWriter();
  w.double(1, 1700000000).int(2, 9);
  w.message(5, (s) => s.message(1, (v) => {
    v.string(1, tag);
    v.message(8, tensor);
    if (plugin) v.message(9, (m) => m.message(1, (p) => p.string(1, plugin)));
  }));
  return encodeRecord(w.finish());
}

describe('EventsScanner', () => {
  it('reads Kiln\'s scalars, histograms and hparams as RunSeries does', () => {
    let t = 1700000000;
    const w = new EventWriter({ now: () => (t += 0.25) });
    w.hparams({ kind: 'sessionStart', sessionStart: { hparams: { lr: 0.1, optimizer: 'adam' } } });
    for (let step = 1; step <= 300; step++) w.scalars(step, { batch_loss: 1 / step, batch_accuracy: step / 300, 'wéird/tag ✓': -step });
    w.scalar('epoch_loss', 0.5, 0);
    w.histogram('dense/kernel', [1, 2, 3, 4, 5], 0);
    w.hparams({ kind: 'sessionEnd', sessionEnd: { status: SessionEndStatus.SUCCESS } });
    const bytes = w.take();
    const ref = reference(bytes);
    const { scanner, errors } = scan([bytes], ['batch_loss', 'wéird/tag ✓', 'epoch_loss']);
    expect(errors).toEqual([]);
    for (const tag of ['batch_loss', 'wéird/tag ✓', 'epoch_loss']) expect(points(scanner, tag)).toEqual(refPoints(ref, tag));
    // Tags not asked for are counted, not kept.
    expect(scanner.tags.get('batch_accuracy')).toMatchObject({ count: 300, lastStep: 300, lastValue: 1 });
    expect(scanner.tags.get('batch_accuracy')!.columns).toBeUndefined();
    expect(scanner.tags.get('batch_loss')).toMatchObject({ min: Math.fround(1 / 300), max: 1 });
    expect([...scanner.extras.histograms]).toEqual([...ref.histograms]);
    expect(scanner.extras.hparams).toEqual(ref.hparams);
    expect(scanner.firstWall).toBe(1700000000.25);
  });

  it('reads old-style simple values and every scalar tensor form', () => {
    const records = [
      encodeRecord(encodeEvent({ wallTime: 5, step: 1, summary: [{ tag: 'old', simpleValue: 2.5 }] })),
      encodeRecord(encodeEvent({ wallTime: 6, step: 2, summary: [{ tag: 'old', simpleValue: 0 }] })),
      // float64 in double_val, metadata on the first value only.
      tensorValue('f64', (t) => t.int(1, DataType.DOUBLE).message(2, () => {}).packedDoubles(6, [0.1]), 'scalars'),
      tensorValue('f64', (t) => t.int(1, DataType.DOUBLE).message(2, () => {}).packedDoubles(6, [0.2])),
      // float32 in tensor_content, shape [1].
      tensorValue('content', (t) => { t.int(1, DataType.FLOAT).message(2, (s) => s.message(2, (d) => d.int(1, 1))); t.bytes(4, new Uint8Array(new Float32Array([1.5]).buffer)); }, 'scalars'),
      // int32: through the full decoder.
      tensorValue('int', (t) => t.int(1, DataType.INT32).message(2, () => {}).packedInts(7, [42]), 'scalars'),
      // Two values: not a scalar.
      tensorValue('pair', (t) => t.int(1, DataType.FLOAT).message(2, (s) => s.message(2, (d) => d.int(1, 2))).packedFloats(5, [1, 2]), 'scalars'),
      // A tag of another plugin.
      tensorValue('image', (t) => t.int(1, DataType.FLOAT).message(2, () => {}).packedFloats(5, [3]), 'images'),
    ];
    const bytes = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
    records.reduce((at, r) => (bytes.set(r, at), at + r.length), 0);
    const ref = reference(bytes);
    const tags = ['old', 'f64', 'content', 'int', 'pair', 'image'];
    const { scanner, errors } = scan([bytes], tags);
    expect(errors).toEqual([]);
    for (const tag of tags) expect(points(scanner, tag), tag).toEqual(refPoints(ref, tag));
    expect(points(scanner, 'old').map((p) => p[2])).toEqual([2.5, 0]);
    expect(points(scanner, 'f64').map((p) => p[2])).toEqual([0.1, 0.2]);
    expect(points(scanner, 'int').map((p) => p[2])).toEqual([42]);
    expect(points(scanner, 'pair')).toEqual([]);
  });

  it('drops the points a restart (SessionLog START) supersedes', () => {
    const w = new EventWriter({ now: () => 1 });
    for (let step = 1; step <= 10; step++) w.scalar('loss', step, step);
    w.sessionStart(6);
    for (let step = 6; step <= 8; step++) w.scalar('loss', -step, step);
    const bytes = w.take();
    const { scanner } = scan([bytes], ['loss']);
    expect(points(scanner, 'loss').map((p) => p[2])).toEqual([1, 2, 3, 4, 5, -6, -7, -8]);
    expect(points(scanner, 'loss')).toEqual(refPoints(reference(bytes), 'loss'));
  });

  it('reads records split across reads, leaves a torn final record, and skips a corrupt one', () => {
    const w = new EventWriter({ now: () => 1 });
    const ends: number[] = [];
    for (let step = 1; step <= 50; step++) {
      w.scalar('loss', step / 10, step);
      ends.push(w.pendingBytes);
    }
    const bytes = w.take();
    // Fed in uneven pieces, cutting records anywhere.
    const cuts = [7, 100, 101, 500, 1500, bytes.length];
    const pieces = cuts.map((c, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], c));
    expect(points(scan(pieces, ['loss']).scanner, 'loss').map((p) => p[0])).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

    // A torn last record: everything before it is read, nothing is reported, and the scan ends before it.
    const torn = bytes.subarray(0, ends[48] + 9);
    const t = new EventsScanner(new Set(['loss']));
    const errors: ScanError[] = [];
    expect(t.scan(torn, 0, errors)).toEqual({ end: ends[48], stuck: false });
    expect(errors).toEqual([]);
    expect(t.tags.get('loss')!.columns!.length).toBe(49);

    // A flipped byte in a record's data: that record is skipped and reported, the rest read.
    const corrupt = bytes.slice();
    corrupt[ends[9] + 20] ^= 0xff;
    const c = scan([corrupt], ['loss']);
    expect(c.errors).toEqual([{ offset: ends[9], message: expect.stringContaining('corrupt (CRC mismatch) and was skipped') }]);
    expect(points(c.scanner, 'loss').length).toBe(49);

    // A flipped byte in a record's length: reading stops there for good.
    const badLength = bytes.slice();
    badLength[ends[19] + 1] ^= 0xff;
    const b = new EventsScanner(new Set(['loss']));
    const bErrors: ScanError[] = [];
    expect(b.scan(badLength, 0, bErrors)).toEqual({ end: ends[19], stuck: true });
    expect(bErrors[0].message).toContain('corrupt length');
  });

  it('keeps its own copies of the tags it remembers: the store reuses one read buffer (a Node Buffer, whose slice is a view)', () => {
    const write = (tags: string[]) => {
      const w = new EventWriter({ now: () => 1 });
      for (let step = 1; step <= 3; step++) w.scalars(step, Object.fromEntries(tags.map((t) => [t, step])));
      return w.take();
    };
    const a = write(['loss_a', 'acc_a']);
    const b = write(['loss_b', 'acc_b']);
    const buffer = Buffer.alloc(Math.max(a.length, b.length) + 7);
    const scanner = new EventsScanner(new Set(['loss_a']), false);
    buffer.set(a);
    scanner.scan(buffer.subarray(0, a.length), 0, []);
    buffer.set(b);  // another file read into the same memory
    const other = new EventsScanner(new Set(['loss_b']), false);
    other.scan(buffer.subarray(0, b.length), 0, []);
    buffer.set(a, 7);
    scanner.scan(buffer.subarray(7, 7 + a.length), a.length, []);  // the first file read again, as if appended, elsewhere in the buffer
    expect([...scanner.tags.keys()]).toEqual(['loss_a', 'acc_a']);
    expect(points(scanner, 'loss_a').map((p) => p[0])).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('ignores events it cannot parse as an Event, with an error', () => {
    const good = encodeRecord(encodeEvent({ wallTime: 1, step: 1, summary: [{ tag: 'loss', simpleValue: 1 }] } as Event));
    const bad = encodeRecord(Uint8Array.of(0x2a, 0x7f));  // a summary field longer than the record
    const bytes = new Uint8Array([...good, ...bad, ...good]);
    const { scanner, errors } = scan([bytes], ['loss']);
    expect(points(scanner, 'loss').length).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain('not a valid Event');
  });
});
