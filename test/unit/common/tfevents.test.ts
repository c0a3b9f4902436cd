// tfevents: CRC-32C and the reference record vector, torn and corrupt records, Event/Summary/
// hparams round trips, and the series a reader builds from TF2-style and old-style values.
import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../../common/formats/crc32c.js';
import { ProtoWriter } from '../../../common/formats/protobuf.js';
import {
  DataType, decodeEvent, decodeHParamsPluginData, encodeEvent, encodeRecord, EventWriter, FILE_VERSION, histogramBuckets,
  readEvents, readHistograms, readScalars, RunSeries, scanRecords, SessionEndStatus, SessionStatus, type Event,
  type HParamsData,
} from '../../../common/formats/tfevents/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A small file: the version event and three scalar events. */
function smallFile(): { bytes: Uint8Array; ends: number[] } {
  const w = new EventWriter({ now: () => 1700000000.5 });
  const ends = [w.pendingBytes];
  for (let step = 1; step <= 3; step++) {
    w.scalar('loss', 1 / step, step);
    ends.push(w.pendingBytes);
  }
  return { bytes: w.take(), ends };
}

describe('CRC-32C and record framing', () => {
  it('matches the standard check value and TensorBoard\'s masked test vector', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    const data = new Uint8Array([0x1a, 0x11, ...ascii('CRC test, one two')]);
    expect(maskedCrc32c(data)).toBe(0x5794d08a);
    const event = encodeEvent({ wallTime: 0, step: 0, fileVersion: 'CRC test, one two' });
    expect(hex(event)).toBe(hex(data));
    expect(hex(encodeRecord(event))).toBe('1300000000000000' + '0c91321b' + '1a1143524320746573742c206f6e652074776f' + '8ad09457');
  });

  it('computes the same CRC over unaligned views and any length', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 255);
    const bytewise = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (const [start, end] of [[0, 0], [1, 2], [3, 20], [5, 1000], [7, 999]]) {
      expect(crc32c(data.subarray(start, end))).toBe(bytewise(data.subarray(start, end)));
    }
  });

  it('reads every whole record before a torn end, at every truncation length, without throwing', () => {
    const { bytes, ends } = smallFile();
    for (let length = 0; length <= bytes.length; length++) {
      const read = readEvents(bytes.subarray(0, length));
      const whole = ends.filter((e) => e <= length);
      const end = whole.length ? whole[whole.length - 1] : 0;
      expect(read.events.length, `length ${length}`).toBe(whole.length);
      expect(read.end).toBe(end);
      expect(read.leftover).toBe(length - end);
      expect(read.errors).toEqual([]);
      expect(read.stuck).toBe(false);
    }
    expect(readScalars(readEvents(bytes).events).get('loss')!.map((p) => p.value)).toEqual([1, 0.5, Math.fround(1 / 3)]);
  });

  it('goes on from `end` when the rest of a torn record arrives', () => {
    const { bytes, ends } = smallFile();
    const cut = ends[1] + 5;
    const first = readEvents(bytes.subarray(0, cut));
    expect(first.end).toBe(ends[1]);
    const rest = readEvents(bytes.subarray(first.end), first.end);
    expect(rest.events.map((e) => e.step)).toEqual([2, 3]);
    expect(rest.end).toBe(bytes.length);
  });

  it('reports a corrupt record in the middle by offset, skips it and reads the rest', () => {
    const { bytes, ends } = smallFile();
    const bad = bytes.slice();
    bad[ends[1] + 14] ^= 0x40;  // a byte of record 2's data
    const read = readEvents(bad);
    expect(read.events.map((e) => e.step)).toEqual([0, 1, 3]);
    expect(read.errors).toEqual([{ offset: ends[1], message: expect.stringMatching(new RegExp(`record at byte ${ends[1]} .* is corrupt \\(CRC mismatch\\)`)) as string }]);
    expect(read.end).toBe(bytes.length);
  });

  it('stops at a corrupt length, reporting what cannot be read', () => {
    const { bytes, ends } = smallFile();
    const bad = bytes.slice();
    bad[ends[2]] ^= 0x01;  // record 3's length
    const read = scanRecords(bad, 1000);
    expect(read.records.map((r) => r.offset)).toEqual([1000, 1000 + ends[0], 1000 + ends[1]]);
    expect(read.stuck).toBe(true);
    expect(read.end).toBe(1000 + ends[2]);
    expect(read.leftover).toBe(bytes.length - ends[2]);
    expect(read.errors[0].message).toMatch(new RegExp(`record at byte ${1000 + ends[2]} has a corrupt length`));
  });

  it('reports a well-framed record that is not an Event', () => {
    const junk = encodeRecord(new Uint8Array([0x0b]));
    const { bytes } = smallFile();
    const read = readEvents(new Uint8Array([...junk, ...bytes]));
    expect(read.events.length).toBe(4);
    expect(read.errors).toEqual([{ offset: 0, message: expect.stringMatching(/record at byte 0 is not a valid Event \(Event: unsupported wire type 3/) as string }]);
  });
});

describe('Event and Summary protos', () => {
  it('starts every file with the version event and the writer', () => {
    const [first] = readEvents(new EventWriter({ now: () => 12.25, writer: 'kiln test' }).take()).events;
    expect(first).toEqual({ wallTime: 12.25, step: 0, fileVersion: FILE_VERSION, sourceWriter: 'kiln test' });
  });

  it('round-trips scalars at large steps, histograms, text, session logs and graphs', () => {
    const w = new EventWriter({ now: () => 5 });
    w.scalars(2 ** 40 + 3, { loss: 0.25, accuracy: 0.875 }, 1.5);
    w.scalar('loss', -7.5, Number.MAX_SAFE_INTEGER);
    w.histogram('dense/kernel', [1, 2, 3, 4], 9, { bucketCount: 2 });
    w.text('notes', 'first *run* ✓', 10);
    w.sessionStart(11);
    w.write({ wallTime: 6, step: 12, graphDef: new Uint8Array([1, 2, 3]) });
    const events = readEvents(w.take()).events;
    expect(events[1].step).toBe(2 ** 40 + 3);
    expect(events[1].wallTime).toBe(1.5);
    expect(events[1].summary!.map((v) => [v.tag, v.metadata?.pluginName, v.tensor])).toEqual([
      ['loss', 'scalars', { dtype: DataType.FLOAT, shape: [], values: [0.25] }],
      ['accuracy', 'scalars', { dtype: DataType.FLOAT, shape: [], values: [0.875] }],
    ]);
    expect(events[2].step).toBe(Number.MAX_SAFE_INTEGER);
    expect(events[3].summary![0].tensor).toEqual({ dtype: DataType.DOUBLE, shape: [2, 3], values: [1, 2.5, 2, 2.5, 4, 2] });
    expect(Buffer.from(events[4].summary![0].tensor!.strings![0]).toString()).toBe('first *run* ✓');
    expect(events[5]).toEqual({ wallTime: 5, step: 11, sessionLog: { status: SessionStatus.START } });
    expect([...events[6].graphDef!]).toEqual([1, 2, 3]);
    expect(decodeEvent(encodeEvent({ wallTime: 1, step: -3 })).step).toBe(-3);
  });

  it('round-trips the hparams plugin data', () => {
    const cases: HParamsData[] = [
      { kind: 'sessionStart', sessionStart: { hparams: { lr: 0.001, optimizer: 'adam', augment: false, units: 64 }, groupName: 'trial-1', startTimeSecs: 1700000000 } },
      { kind: 'sessionEnd', sessionEnd: { status: SessionEndStatus.SUCCESS, endTimeSecs: 1700000100 } },
      {
        kind: 'experiment',
        experiment: {
          name: 'sweep', description: 'd', timeCreatedSecs: 3,
          hparamInfos: [
            { name: 'lr', type: 'float64', domain: { min: 1e-4, max: 1e-1 } },
            { name: 'optimizer', displayName: 'Optimizer', type: 'string', domain: { values: ['adam', 'sgd'] } },
            { name: 'augment', type: 'bool' },
          ],
          metricInfos: [{ tag: 'epoch_loss', group: 'validation', displayName: 'Val loss', datasetType: 'validation' }, { tag: 'epoch_accuracy' }],
        },
      },
    ];
    for (const data of cases) {
      const w = new EventWriter();
      w.hparams(data);
      const value = readEvents(w.take()).events[1].summary![0];
      expect(value.tag).toBe(`_hparams_/${{ experiment: 'experiment', sessionStart: 'session_start_info', sessionEnd: 'session_end_info' }[data.kind]}`);
      expect(value.tensor).toEqual({ dtype: DataType.FLOAT, shape: [0], values: [] });
      expect(decodeHParamsPluginData(value.metadata!.pluginContent!)).toEqual(data);
    }
  });

  it('fills a compactly stored constant tensor to its shape', () => {
    const w = new ProtoWriter().message(5, (s) => s.message(1, (v) => {
      v.string(1, 'h');
      v.message(8, (t) => t.int(1, DataType.FLOAT).message(2, (sh) => sh.message(2, (d) => d.int(1, 2)).message(2, (d) => d.int(1, 3))).packedFloats(5, [0.5]));
      v.message(9, (m) => m.message(1, (p) => p.string(1, 'histograms')));
    }));
    const event = decodeEvent(w.finish());
    expect(event.summary![0].tensor!.values).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });
});

describe('series', () => {
  const ev = (step: number, value: Event['summary']): Event => ({ wallTime: 100 + step, step, summary: value });

  it('reads old-style simple_value and TF2 tensor scalars, with metadata only on a tag\'s first value', () => {
    const events: Event[] = [
      ev(0, [{ tag: 'loss', simpleValue: 2 }]),
      ev(0, [{ tag: 'acc', metadata: { pluginName: 'scalars' }, tensor: { dtype: DataType.FLOAT, shape: [], values: [0.5] } }]),
      ev(1, [{ tag: 'loss', simpleValue: 1 }, { tag: 'acc', tensor: { dtype: DataType.FLOAT, shape: [], values: [0.75] } }]),
      ev(1, [{ tag: 'config', tensor: { dtype: DataType.FLOAT, shape: [], values: [9] } }]),  // no plugin: not a scalar
    ];
    const scalars = readScalars(events);
    expect([...scalars.keys()]).toEqual(['loss', 'acc']);
    expect(scalars.get('loss')).toEqual([{ step: 0, wallTime: 100, value: 2 }, { step: 1, wallTime: 101, value: 1 }]);
    expect(scalars.get('acc')!.map((p) => p.value)).toEqual([0.5, 0.75]);
  });

  it('converts old-style histograms as TensorBoard does', () => {
    const histo = { min: -1, max: 3, num: 6, sum: 4, sumSquares: 14, bucketLimit: [-2, 0, 1, 2, 5, 1e300], bucket: [0, 2, 1, 0, 3, 0] };
    const got = readHistograms([ev(4, [{ tag: 'w', histo }])]).get('w')!;
    expect(got).toEqual([{ step: 4, wallTime: 104, buckets: [{ left: -1, right: 0, count: 2 }, { left: 0, right: 1, count: 1 }, { left: 1, right: 2, count: 0 }, { left: 2, right: 3, count: 3 }] }]);
    expect(readHistograms([ev(0, [{ tag: 'w', histo: { ...histo, bucket: [0, 0, 0, 0, 0, 0] } }])]).get('w')![0].buckets).toEqual([]);
  });

  it('buckets like tf.summary.histogram', () => {
    expect(histogramBuckets([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5).map((b) => [b.left, b.right, b.count])).toEqual([[0, 2, 2], [2, 4, 2], [4, 6, 2], [6, 8, 2], [8, 10, 3]]);
    expect(histogramBuckets([3, 3, NaN], 3)).toEqual([{ left: 3, right: 3, count: 0 }, { left: 3, right: 3, count: 0 }, { left: 3, right: 3, count: 2 }]);
    expect(histogramBuckets([], 2)).toEqual([{ left: 0, right: 0, count: 0 }, { left: 0, right: 0, count: 0 }]);
  });

  it('keeps text, hparams, and drops points a restart replaces', () => {
    const w = new EventWriter({ now: () => 1 });
    w.hparams({ kind: 'sessionStart', sessionStart: { hparams: { lr: 0.1 } } });
    for (let step = 1; step <= 5; step++) w.scalar('loss', step, step);
    w.text('notes', 'hello', 3);
    w.sessionStart(3);  // resumed from the checkpoint of step 2
    w.scalar('loss', 30, 3);
    const run = new RunSeries();
    for (const e of readEvents(w.take()).events) run.add(e);
    expect(run.scalars.get('loss')!.map((p) => [p.step, p.value])).toEqual([[1, 1], [2, 2], [3, 30]]);
    expect(run.texts.get('notes')).toEqual([]);
    expect(run.hparams.sessionStart).toEqual({ hparams: { lr: 0.1 } });
    expect(run.plugins.get('_hparams_/session_start_info')).toBe('hparams');
  });
});
