// Event files on disk: names and appends, run discovery as TensorBoard does it (any depth, Keras's
// train/validation folders), incremental reading of appended bytes and of a record written in two
// halves, corrupt records reported by file and offset.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventWriter } from '../../../common/formats/tfevents/index.js';
import { EventsFile, eventsFileName } from '../../../electron/host/runs/eventsFile.js';
import { findRuns, LogdirReader, readLogdir } from '../../../electron/host/runs/LogdirReader.js';

let dir = '';
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kiln-logdir-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const losses = (reader: LogdirReader, run: string) => reader.runs.find((r) => r.name === run)!.series.scalars.get('loss')?.map((p) => p.value) ?? [];

describe('EventsFile', () => {
  it('names files like TensorFlow, zero-padded so that name order is time order', () => {
    expect(eventsFileName(1700000000.9, 'my-host.local', 42)).toBe('events.out.tfevents.1700000000.my-host.local.42.kiln');
    expect(eventsFileName(5, 'a/b', 1)).toBe('events.out.tfevents.0000000005.a_b.1.kiln');
  });

  it('flushes the version event at once, appends on flush, and never reuses a name', () => {
    const now = () => 1700000000;
    const a = EventsFile.create(join(dir, 'run'), { now });
    const b = EventsFile.create(join(dir, 'run'), { now });
    expect(a.path).not.toBe(b.path);
    expect([a.path, b.path].map((p) => p.split('/').pop()).sort()).toEqual(readdirSync(join(dir, 'run')).sort());
    const size = statSync(a.path).size;
    expect(size).toBeGreaterThan(0);
    a.events.scalar('loss', 1, 1);
    expect(statSync(a.path).size).toBe(size);
    expect(a.flush()).toBeGreaterThan(0);
    a.events.scalar('loss', 0.5, 2);
    a.sync();
    a.close();
    b.close();
    expect(() => a.flush()).toThrow(/is closed/);
    const [run] = readLogdir(dir);
    expect(run.files.length).toBe(2);
    expect(run.series.scalars.get('loss')!.map((p) => p.value)).toEqual([1, 0.5]);
  });
});

describe('LogdirReader', () => {
  function writeRun(path: string, name: string, values: number[], first = 0) {
    mkdirSync(path, { recursive: true });
    const w = new EventWriter({ now: () => 1 });
    values.forEach((v, i) => w.scalar('loss', v, first + i));
    writeFileSync(join(path, name), w.take());
  }

  it('finds runs at any depth, ignores other files and profiler markers, and reads files in name order', () => {
    writeRun(dir, 'events.out.tfevents.0000000001.h.1', [1]);
    writeRun(join(dir, 'a'), 'events.out.tfevents.0000000002.h.1.kiln', [3], 1);
    writeRun(join(dir, 'a'), 'events.out.tfevents.0000000001.h.1.kiln', [2], 0);
    writeRun(join(dir, 'keras', 'train'), 'events.out.tfevents.0000000001.h.1.v2', [4]);
    writeRun(join(dir, 'keras', 'validation'), 'events.out.tfevents.0000000001.h.2.v2', [5]);
    writeFileSync(join(dir, 'keras', 'events.out.tfevents.0000000003.h.profile-empty'), '');
    mkdirSync(join(dir, 'empty', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'empty', 'deeper', 'notes.txt'), 'x');

    expect(findRuns(dir).map((r) => [r.name, r.files])).toEqual([
      ['.', ['events.out.tfevents.0000000001.h.1']],
      ['a', ['events.out.tfevents.0000000001.h.1.kiln', 'events.out.tfevents.0000000002.h.1.kiln']],
      ['keras/train', ['events.out.tfevents.0000000001.h.1.v2']],
      ['keras/validation', ['events.out.tfevents.0000000001.h.2.v2']],
    ]);
    const runs = readLogdir(dir);
    expect(runs.map((r) => [r.name, r.split, r.group, r.series.scalars.get('loss')!.map((p) => p.value)])).toEqual([
      ['.', undefined, undefined, [1]],
      ['a', undefined, undefined, [2, 3]],
      ['keras/train', 'train', 'keras', [4]],
      ['keras/validation', 'validation', 'keras', [5]],
    ]);
    expect(runs.every((r) => r.errors.length === 0)).toBe(true);
  });

  it('reads only appended bytes, and a record written in two halves once it is whole', () => {
    const file = EventsFile.create(join(dir, 'live'), { now: () => 7 });
    const reader = new LogdirReader(dir);
    expect(reader.poll().map((u) => [u.run.name, u.events.length])).toEqual([['live', 1]]);
    expect(reader.poll()).toEqual([]);

    file.events.scalar('loss', 1, 1);
    file.flush();
    const w = new EventWriter({ now: () => 7 });
    w.take();
    w.scalar('loss', 2, 2);
    const record = w.take();
    appendFileSync(file.path, record.subarray(0, 10));
    expect(reader.poll().map((u) => u.events.map((e) => e.step))).toEqual([[1]]);
    expect(losses(reader, 'live')).toEqual([1]);
    appendFileSync(file.path, record.subarray(10, 30));
    expect(reader.poll()).toEqual([]);
    appendFileSync(file.path, record.subarray(30));
    expect(reader.poll().map((u) => u.events.map((e) => e.step))).toEqual([[2]]);
    expect(losses(reader, 'live')).toEqual([1, 2]);

    writeRun(join(dir, 'later'), 'events.out.tfevents.0000000009.h.1.kiln', [8]);
    expect(reader.poll().map((u) => u.run.name)).toEqual(['later']);
    expect(reader.runs.map((r) => r.name)).toEqual(['later', 'live']);
    expect(reader.runs.every((r) => r.errors.length === 0)).toBe(true);
    file.close();
  });

  it('reports a corrupt record by file and offset and reads on past it', () => {
    const path = join(dir, 'run', 'events.out.tfevents.0000000001.h.1.kiln');
    writeRun(join(dir, 'run'), 'events.out.tfevents.0000000001.h.1.kiln', [1, 2, 3]);
    const bytes = readFileSync(path);
    const w = new EventWriter({ now: () => 1 });
    w.scalar('loss', 1, 0);
    const recordStart = w.pendingBytes;  // the record of the second value
    bytes[recordStart + 20] ^= 0xff;
    writeFileSync(path, bytes);
    const [run] = readLogdir(dir);
    expect(run.series.scalars.get('loss')!.map((p) => p.value)).toEqual([1, 3]);
    expect(run.errors).toEqual([{ file: path, offset: recordStart, message: expect.stringContaining(`${path}: the record at byte ${recordStart}`) as string }]);
  });

  it('stops reading a file that another program cut short', () => {
    const path = join(dir, 'run', 'events.out.tfevents.0000000001.h.1.kiln');
    writeRun(join(dir, 'run'), 'events.out.tfevents.0000000001.h.1.kiln', [1, 2]);
    const reader = new LogdirReader(dir);
    reader.poll();
    writeFileSync(path, readFileSync(path).subarray(0, 30));
    expect(reader.poll()).toEqual([]);
    expect(reader.runs[0].errors[0].message).toMatch(/was cut from \d+ to 30 bytes by another program/);
    expect(losses(reader, 'run')).toEqual([1, 2]);
  });
});
