/**
 * The hparams plugin's data (tensorboard/plugins/hparams/{plugin_data,api}.proto), which makes a
 * run a row of TensorBoard's HParams dashboard:
 * - `sessionStart` (tag "_hparams_/session_start_info") in the run's own event file: its
 *   hyperparameter values. Metrics are the scalar tags of that run and of runs below it.
 * - `sessionEnd` ("_hparams_/session_end_info"): the run's final status.
 * - `experiment` ("_hparams_/experiment"): optional; declares the columns (hparams with domains,
 *   metrics). TensorBoard takes the first one it finds in any run and otherwise infers the columns
 *   from all session starts, so it belongs once at the logdir's root, if anywhere.
 * Each travels as a summary value whose tensor is empty and whose plugin content is the proto.
 */
import { ProtoReader, ProtoWriter } from '../protobuf.js';
import type { SummaryValue } from './summary.js';
import { DataType } from './tensor.js';

export const HPARAMS_PLUGIN = 'hparams';
export const HParamsTag = {
  experiment: '_hparams_/experiment',
  sessionStart: '_hparams_/session_start_info',
  sessionEnd: '_hparams_/session_end_info',
} as const;

/** api.proto's Status of a session. */
export const SessionEndStatus = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, RUNNING: 3 } as const;

export type HParamValue = number | string | boolean;

export interface SessionStart {
  hparams: Record<string, HParamValue>;
  /** Sessions with the same group name are one row (repeats of a trial); empty: the run's name. */
  groupName?: string;
  startTimeSecs?: number;
  modelUri?: string;
}

export interface SessionEnd {
  status: number;
  endTimeSecs?: number;
}

export interface HParamInfo {
  name: string;
  displayName?: string;
  description?: string;
  type?: 'string' | 'bool' | 'float64';
  /** A list of allowed values, or an interval for float64. */
  domain?: { values: HParamValue[] } | { min: number; max: number };
}

export interface MetricInfo {
  tag: string;
  /** The run below the session run holding the scalar ("" for the session run itself, "validation", ...). */
  group?: string;
  displayName?: string;
  description?: string;
  datasetType?: 'training' | 'validation';
}

export interface Experiment {
  name?: string;
  description?: string;
  user?: string;
  timeCreatedSecs?: number;
  hparamInfos: HParamInfo[];
  metricInfos: MetricInfo[];
}

export type HParamsData =
  | { kind: 'experiment'; experiment: Experiment }
  | { kind: 'sessionStart'; sessionStart: SessionStart }
  | { kind: 'sessionEnd'; sessionEnd: SessionEnd };

const TYPES = ['', 'string', 'bool', 'float64'] as const;
const DATASETS = ['', 'training', 'validation'] as const;

// google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4.
function encodeValue(w: ProtoWriter, v: HParamValue): void {
  if (typeof v === 'number') w.double(2, v);
  else if (typeof v === 'string') w.string(3, v);
  else w.bool(4, v);
}

function decodeValue(r: ProtoReader): HParamValue | undefined {
  let v: HParamValue | undefined;
  while (r.next()) {
    switch (r.field) {
      case 2: v = r.double(); break;
      case 3: v = r.string(); break;
      case 4: v = r.bool(); break;
      default: r.skip();
    }
  }
  return v;
}

function encodeExperiment(w: ProtoWriter, e: Experiment): void {
  if (e.description) w.string(1, e.description);
  if (e.user) w.string(2, e.user);
  if (e.timeCreatedSecs) w.double(3, e.timeCreatedSecs);
  for (const h of e.hparamInfos) {
    w.message(4, (m) => {
      m.string(1, h.name);
      if (h.displayName) m.string(2, h.displayName);
      if (h.description) m.string(3, h.description);
      if (h.type) m.int(4, TYPES.indexOf(h.type));
      const domain = h.domain;
      if (domain && 'values' in domain) m.message(5, (l) => { for (const v of domain.values) l.message(1, (x) => encodeValue(x, v)); });
      else if (domain) m.message(6, (i) => i.double(1, domain.min).double(2, domain.max));
    });
  }
  for (const metric of e.metricInfos) {
    w.message(5, (m) => {
      m.message(1, (n) => {
        if (metric.group) n.string(1, metric.group);
        n.string(2, metric.tag);
      });
      if (metric.displayName) m.string(3, metric.displayName);
      if (metric.description) m.string(4, metric.description);
      if (metric.datasetType) m.int(5, DATASETS.indexOf(metric.datasetType));
    });
  }
  if (e.name) w.string(6, e.name);
}

/** Serializes HParamsPluginData (version 0) holding one of the three kinds. */
export function encodeHParamsPluginData(data: HParamsData): Uint8Array {
  const w = new ProtoWriter();
  if (data.kind === 'experiment') w.message(2, (m) => encodeExperiment(m, data.experiment));
  else if (data.kind === 'sessionStart') {
    const s = data.sessionStart;
    w.message(3, (m) => {
      for (const [key, value] of Object.entries(s.hparams)) m.message(1, (entry) => entry.string(1, key).message(2, (v) => encodeValue(v, value)));
      if (s.modelUri) m.string(2, s.modelUri);
      if (s.groupName) m.string(4, s.groupName);
      if (s.startTimeSecs) m.double(5, s.startTimeSecs);
    });
  } else {
    const s = data.sessionEnd;
    w.message(4, (m) => {
      if (s.status) m.int(1, s.status);
      if (s.endTimeSecs) m.double(2, s.endTimeSecs);
    });
  }
  return w.finish();
}

function decodeHParamInfo(r: ProtoReader): HParamInfo {
  const h: HParamInfo = { name: '' };
  while (r.next()) {
    switch (r.field) {
      case 1: h.name = r.string(); break;
      case 2: h.displayName = r.string(); break;
      case 3: h.description = r.string(); break;
      case 4: h.type = TYPES[r.uint()] || undefined; break;
      case 5: {
        const values: HParamValue[] = [];
        const l = r.message('domain_discrete');
        while (l.next()) {
          const v = l.field === 1 ? decodeValue(l.message('value')) : (l.skip(), undefined);
          if (v !== undefined) values.push(v);
        }
        h.domain = { values };
        break;
      }
      case 6: {
        const i = r.message('domain_interval');
        const domain = { min: 0, max: 0 };
        while (i.next()) {
          if (i.field === 1) domain.min = i.double();
          else if (i.field === 2) domain.max = i.double();
          else i.skip();
        }
        h.domain = domain;
        break;
      }
      default: r.skip();
    }
  }
  return h;
}

function decodeMetricInfo(r: ProtoReader): MetricInfo {
  const m: MetricInfo = { tag: '' };
  while (r.next()) {
    switch (r.field) {
      case 1: {
        const n = r.message('name');
        while (n.next()) {
          if (n.field === 1) m.group = n.string();
          else if (n.field === 2) m.tag = n.string();
          else n.skip();
        }
        break;
      }
      case 3: m.displayName = r.string(); break;
      case 4: m.description = r.string(); break;
      case 5: m.datasetType = DATASETS[r.uint()] || undefined; break;
      default: r.skip();
    }
  }
  return m;
}

function decodeExperiment(r: ProtoReader): Experiment {
  const e: Experiment = { hparamInfos: [], metricInfos: [] };
  while (r.next()) {
    switch (r.field) {
      case 1: e.description = r.string(); break;
      case 2: e.user = r.string(); break;
      case 3: e.timeCreatedSecs = r.double(); break;
      case 4: e.hparamInfos.push(decodeHParamInfo(r.message('hparam_info'))); break;
      case 5: e.metricInfos.push(decodeMetricInfo(r.message('metric_info'))); break;
      case 6: e.name = r.string(); break;
      default: r.skip();
    }
  }
  return e;
}

function decodeSessionStart(r: ProtoReader): SessionStart {
  const s: SessionStart = { hparams: {} };
  while (r.next()) {
    switch (r.field) {
      case 1: {
        const entry = r.message('hparams');
        let key = '';
        let value: HParamValue | undefined;
        while (entry.next()) {
          if (entry.field === 1) key = entry.string();
          else if (entry.field === 2) value = decodeValue(entry.message('value'));
          else entry.skip();
        }
        if (value !== undefined) s.hparams[key] = value;
        break;
      }
      case 2: s.modelUri = r.string(); break;
      case 4: s.groupName = r.string(); break;
      case 5: s.startTimeSecs = r.double(); break;
      default: r.skip();
    }
  }
  return s;
}

/** Parses HParamsPluginData; null when it holds none of the three kinds. */
export function decodeHParamsPluginData(bytes: Uint8Array): HParamsData | null {
  const r = new ProtoReader(bytes, 0, bytes.length, 'HParamsPluginData');
  let data: HParamsData | null = null;
  while (r.next()) {
    switch (r.field) {
      case 2: data = { kind: 'experiment', experiment: decodeExperiment(r.message('experiment')) }; break;
      case 3: data = { kind: 'sessionStart', sessionStart: decodeSessionStart(r.message('session_start_info')) }; break;
      case 4: {
        const m = r.message('session_end_info');
        const sessionEnd: SessionEnd = { status: SessionEndStatus.UNKNOWN };
        while (m.next()) {
          if (m.field === 1) sessionEnd.status = m.uint();
          else if (m.field === 2) sessionEnd.endTimeSecs = m.double();
          else m.skip();
        }
        data = { kind: 'sessionEnd', sessionEnd };
        break;
      }
      default: r.skip();
    }
  }
  return data;
}

/** The summary value that carries `data`, under its standard tag. */
export function hparamsSummaryValue(data: HParamsData): SummaryValue {
  return {
    tag: HParamsTag[data.kind],
    metadata: { pluginName: HPARAMS_PLUGIN, pluginContent: encodeHParamsPluginData(data) },
    tensor: { dtype: DataType.FLOAT, shape: [0], values: [] },  // TensorBoard's NULL_TENSOR
  };
}
