/**
 * TensorBoard's Summary protos (tensorboard/compat/proto/summary.proto): a summary is a list of
 * values, each a tag with one of simple_value (old-style scalars, as PyTorch writes them), histo
 * (old-style HistogramProto) or tensor (TF2: scalars, [k, 3] histograms, text, hparams), plus
 * metadata naming the plugin that owns the tag. Images and audio are skipped when read.
 */
import { ProtoReader, ProtoWriter } from '../protobuf.js';
import { decodeTensor, encodeTensor, type Tensor } from './tensor.js';

/** SummaryMetadata.DataClass. */
export const DataClass = { UNKNOWN: 0, SCALAR: 1, TENSOR: 2, BLOB_SEQUENCE: 3 } as const;

export interface SummaryMetadata {
  /** The owning plugin: "scalars", "histograms", "text", "hparams", ... */
  pluginName: string;
  /** The plugin's own serialized proto (empty for scalars, histograms and text). */
  pluginContent?: Uint8Array;
  displayName?: string;
  description?: string;
  dataClass?: number;
}

/** The legacy HistogramProto: bucket i spans (bucketLimit[i-1], bucketLimit[i]], bucket 0 from -DBL_MAX. */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

export interface SummaryValue {
  tag: string;
  /** Required on a tag's first value only (TensorBoard remembers it per tag); Kiln writes it on every one, as TensorFlow does. */
  metadata?: SummaryMetadata;
  simpleValue?: number;
  histo?: HistogramProto;
  tensor?: Tensor;
}

function encodeMetadata(w: ProtoWriter, m: SummaryMetadata): void {
  w.message(1, (p) => {
    p.string(1, m.pluginName);
    if (m.pluginContent?.length) p.bytes(2, m.pluginContent);
  });
  if (m.displayName) w.string(2, m.displayName);
  if (m.description) w.string(3, m.description);
  if (m.dataClass) w.int(4, m.dataClass);
}

function encodeHistogram(w: ProtoWriter, h: HistogramProto): void {
  w.double(1, h.min).double(2, h.max).double(3, h.num).double(4, h.sum).double(5, h.sumSquares);
  w.packedDoubles(6, h.bucketLimit).packedDoubles(7, h.bucket);
}

/** Writes a Summary message's fields. */
export function encodeSummary(w: ProtoWriter, values: SummaryValue[]): void {
  for (const v of values) {
    w.message(1, (m) => {
      m.string(1, v.tag);
      if (v.simpleValue !== undefined) m.float(2, v.simpleValue);
      if (v.histo) m.message(5, (h) => encodeHistogram(h, v.histo!));
      if (v.tensor) m.message(8, (t) => encodeTensor(t, v.tensor!));
      if (v.metadata) m.message(9, (md) => encodeMetadata(md, v.metadata!));
    });
  }
}

function decodeMetadata(r: ProtoReader): SummaryMetadata {
  const m: SummaryMetadata = { pluginName: '' };
  while (r.next()) {
    switch (r.field) {
      case 1: {
        const p = r.message('plugin_data');
        while (p.next()) {
          if (p.field === 1) m.pluginName = p.string();
          else if (p.field === 2) m.pluginContent = p.bytes();
          else p.skip();
        }
        break;
      }
      case 2: m.displayName = r.string(); break;
      case 3: m.description = r.string(); break;
      case 4: m.dataClass = r.uint(); break;
      default: r.skip();
    }
  }
  return m;
}

function decodeHistogram(r: ProtoReader): HistogramProto {
  const h: HistogramProto = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  while (r.next()) {
    switch (r.field) {
      case 1: h.min = r.double(); break;
      case 2: h.max = r.double(); break;
      case 3: h.num = r.double(); break;
      case 4: h.sum = r.double(); break;
      case 5: h.sumSquares = r.double(); break;
      case 6: r.packedDoubles(h.bucketLimit); break;
      case 7: r.packedDoubles(h.bucket); break;
      default: r.skip();
    }
  }
  return h;
}

function decodeValue(r: ProtoReader): SummaryValue {
  const v: SummaryValue = { tag: '' };
  while (r.next()) {
    switch (r.field) {
      case 1: v.tag = r.string(); break;
      case 2: v.simpleValue = r.float(); break;
      case 5: v.histo = decodeHistogram(r.message('histo')); break;
      case 8: v.tensor = decodeTensor(r.message('tensor')); break;
      case 9: v.metadata = decodeMetadata(r.message('metadata')); break;
      default: r.skip();
    }
  }
  return v;
}

/** Reads a Summary message. */
export function decodeSummary(r: ProtoReader): SummaryValue[] {
  const values: SummaryValue[] = [];
  while (r.next()) {
    if (r.field === 1) values.push(decodeValue(r.message('value')));
    else r.skip();
  }
  return values;
}
