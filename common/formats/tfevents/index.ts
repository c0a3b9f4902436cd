/**
 * TensorBoard's event files, both directions, without IO (electron/host/runs/ does the files):
 * - write: `EventWriter` (scalars, histograms, text, hparams → framed bytes);
 * - read: `readEvents(bytes)` (tolerates torn and corrupt records), then `RunSeries` /
 *   `readScalars` / `readHistograms` for the series TensorBoard would show.
 * The lower layers (records, CRC-32C, Event/Summary/Tensor/hparams protos) are exported for
 * tools that need them.
 */
export { decodeEvent, encodeEvent, FILE_VERSION, SessionStatus, type Event, type SessionLog } from './event.js';
export { EventWriter, type EventWriterOptions } from './EventWriter.js';
export {
  decodeHParamsPluginData, encodeHParamsPluginData, HPARAMS_PLUGIN, HParamsTag, hparamsSummaryValue, SessionEndStatus,
  type Experiment, type HParamInfo, type HParamsData, type HParamValue, type MetricInfo, type SessionEnd, type SessionStart,
} from './hparams.js';
export { readEvents, type EventsRead } from './readEvents.js';
export { encodeRecord, scanRecords, type RecordError, type RecordScan } from './records.js';
export { readHistograms, readScalars, RunSeries, type HistogramPoint, type RunHParams, type ScalarPoint, type TextPoint } from './RunSeries.js';
export { DataClass, decodeSummary, encodeSummary, type HistogramProto, type SummaryMetadata, type SummaryValue } from './summary.js';
export { DataType, decodeTensor, encodeTensor, type Tensor } from './tensor.js';
export {
  DEFAULT_BUCKET_COUNT, histogramBuckets, histogramValue, HISTOGRAMS_PLUGIN, scalarValue, SCALARS_PLUGIN, TEXT_PLUGIN, textValue,
  type HistogramBucket,
} from './values.js';
