/**
 * The Event proto (tensorboard/compat/proto/event.proto): one per record of a tfevents file.
 * The first event of a file carries `fileVersion` ("brain.Event:2"); later ones a summary, a
 * session log (a restart marker) or a graph.
 */
import { ProtoReader, ProtoWriter } from '../protobuf.js';
import { decodeSummary, encodeSummary, type SummaryValue } from './summary.js';

export const FILE_VERSION = 'brain.Event:2';

/** SessionLog.SessionStatus. A START at step s tells readers to drop points at steps >= s (a resumed run). */
export const SessionStatus = { UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } as const;

export interface SessionLog {
  status: number;
  checkpointPath?: string;
  msg?: string;
}

export interface Event {
  /** Seconds since the epoch. */
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: SummaryValue[];
  sessionLog?: SessionLog;
  /** A serialized GraphDef (kept as bytes: Kiln does not read graphs from event files). */
  graphDef?: Uint8Array;
  /** The program that wrote the file (SourceMetadata.writer), on the first event. */
  sourceWriter?: string;
}

/** Serializes an Event; zero and empty fields are left out, as proto3 writers do. */
export function encodeEvent(e: Event): Uint8Array {
  const w = new ProtoWriter();
  if (e.wallTime !== 0) w.double(1, e.wallTime);
  if (e.step !== 0) w.int(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.graphDef) w.bytes(4, e.graphDef);
  if (e.summary) w.message(5, (s) => encodeSummary(s, e.summary!));
  if (e.sessionLog) {
    const log = e.sessionLog;
    w.message(7, (s) => {
      if (log.status) s.int(1, log.status);
      if (log.checkpointPath) s.string(2, log.checkpointPath);
      if (log.msg) s.string(3, log.msg);
    });
  }
  if (e.sourceWriter) w.message(10, (s) => s.string(1, e.sourceWriter!));
  return w.finish();
}

function decodeSessionLog(r: ProtoReader): SessionLog {
  const log: SessionLog = { status: SessionStatus.UNSPECIFIED };
  while (r.next()) {
    switch (r.field) {
      case 1: log.status = r.uint(); break;
      case 2: log.checkpointPath = r.string(); break;
      case 3: log.msg = r.string(); break;
      default: r.skip();
    }
  }
  return log;
}

/** Parses a serialized Event; throws ProtoError on malformed bytes. */
export function decodeEvent(bytes: Uint8Array): Event {
  const r = new ProtoReader(bytes, 0, bytes.length, 'Event');
  const e: Event = { wallTime: 0, step: 0 };
  while (r.next()) {
    switch (r.field) {
      case 1: e.wallTime = r.double(); break;
      case 2: e.step = r.int(); break;
      case 3: e.fileVersion = r.string(); break;
      case 4: e.graphDef = r.bytes(); break;
      case 5: e.summary = decodeSummary(r.message('summary')); break;
      case 7: e.sessionLog = decodeSessionLog(r.message('session_log')); break;
      case 10: {
        const s = r.message('source_metadata');
        while (s.next()) {
          if (s.field === 1) e.sourceWriter = s.string();
          else s.skip();
        }
        break;
      }
      default: r.skip();
    }
  }
  return e;
}
