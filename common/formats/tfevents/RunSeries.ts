/**
 * A run's time series, gathered from its events in file order, the way TensorBoard's loaders
 * interpret them (tensorboard/data_compat.py, plugin_event_accumulator.py):
 * - scalars: old-style simple_value, or a one-element tensor of a tag owned by the "scalars"
 *   plugin (Keras/TF2, Kiln);
 * - histograms: a [k, 3] tensor of the "histograms" plugin, or an old-style HistogramProto,
 *   converted as TensorBoard does (empty outer buckets dropped, min/max as the outer edges);
 * - text: string tensors of the "text" plugin;
 * - hparams: the plugin's experiment, session start and session end, the latest of each.
 * Metadata may come only with a tag's first value, so the plugin of each tag is remembered.
 * A SessionLog START at step s drops the points at steps >= s (a run resumed from a checkpoint).
 *
 * `add` takes events one at a time, so a logdir tail can feed it as records arrive;
 * `readScalars`/`readHistograms` are the one-shot forms.
 */
import { decodeUtf8 } from '../protobuf.js';
import { SessionStatus, type Event } from './event.js';
import { decodeHParamsPluginData, HPARAMS_PLUGIN, type Experiment, type SessionEnd, type SessionStart } from './hparams.js';
import type { HistogramProto, SummaryValue } from './summary.js';
import { HISTOGRAMS_PLUGIN, SCALARS_PLUGIN, TEXT_PLUGIN, type HistogramBucket } from './values.js';

export interface ScalarPoint {
  step: number;
  wallTime: number;
  value: number;
}

export interface HistogramPoint {
  step: number;
  wallTime: number;
  buckets: HistogramBucket[];
}

export interface TextPoint {
  step: number;
  wallTime: number;
  text: string;
}

export interface RunHParams {
  experiment?: Experiment;
  sessionStart?: SessionStart;
  sessionEnd?: SessionEnd;
}

export class RunSeries {
  readonly scalars = new Map<string, ScalarPoint[]>();
  readonly histograms = new Map<string, HistogramPoint[]>();
  readonly texts = new Map<string, TextPoint[]>();
  readonly hparams: RunHParams = {};
  /** Tags seen with the plugin that owns them. */
  readonly plugins = new Map<string, string>();

  add(event: Event): void {
    if (event.sessionLog?.status === SessionStatus.START) this.dropFrom(event.step);
    for (const value of event.summary ?? []) this.addValue(value, event.step, event.wallTime);
  }

  private addValue(v: SummaryValue, step: number, wallTime: number): void {
    if (v.metadata?.pluginName) this.plugins.set(v.tag, v.metadata.pluginName);
    if (v.simpleValue !== undefined) {
      this.plugins.set(v.tag, SCALARS_PLUGIN);
      push(this.scalars, v.tag, { step, wallTime, value: v.simpleValue });
    } else if (v.histo) {
      this.plugins.set(v.tag, HISTOGRAMS_PLUGIN);
      push(this.histograms, v.tag, { step, wallTime, buckets: fromHistogramProto(v.histo) });
    } else if (v.tensor) {
      const t = v.tensor;
      switch (this.plugins.get(v.tag)) {
        case SCALARS_PLUGIN:
          if (t.values.length === 1) push(this.scalars, v.tag, { step, wallTime, value: t.values[0] });
          break;
        case HISTOGRAMS_PLUGIN:
          if (t.shape.length === 2 && t.shape[1] === 3) {
            const buckets: HistogramBucket[] = [];
            for (let i = 0; i + 2 < t.values.length; i += 3) buckets.push({ left: t.values[i], right: t.values[i + 1], count: t.values[i + 2] });
            push(this.histograms, v.tag, { step, wallTime, buckets });
          }
          break;
        case TEXT_PLUGIN:
          if (t.strings?.length) push(this.texts, v.tag, { step, wallTime, text: t.strings.map((s) => decodeUtf8(s)).join('\n') });
          break;
        case HPARAMS_PLUGIN: {
          const data = v.metadata?.pluginContent && decodeHParamsPluginData(v.metadata.pluginContent);
          if (data?.kind === 'experiment') this.hparams.experiment = data.experiment;
          else if (data?.kind === 'sessionStart') this.hparams.sessionStart = data.sessionStart;
          else if (data?.kind === 'sessionEnd') this.hparams.sessionEnd = data.sessionEnd;
          break;
        }
      }
    }
  }

  private dropFrom(step: number): void {
    for (const series of [this.scalars, this.histograms, this.texts] as Map<string, { step: number }[]>[]) {
      for (const [tag, points] of series) {
        const kept = points.filter((p) => p.step < step);
        if (kept.length !== points.length) series.set(tag, kept);
      }
    }
  }
}

function push<T>(map: Map<string, T[]>, tag: string, point: T): void {
  const points = map.get(tag);
  if (points) points.push(point);
  else map.set(tag, [point]);
}

/** data_compat.py's _migrate_histogram_value. */
function fromHistogramProto(h: HistogramProto): HistogramBucket[] {
  const first = h.bucket.findIndex((c) => c > 0);
  if (first < 0) return [];
  let last = h.bucket.length - 1;
  while (h.bucket[last] <= 0) last--;
  const buckets: HistogramBucket[] = [];
  for (let i = first; i <= last; i++) {
    buckets.push({ left: i === first ? h.min : h.bucketLimit[i - 1], right: i === last ? h.max : h.bucketLimit[i], count: h.bucket[i] });
  }
  return buckets;
}

function collect(events: Iterable<Event>): RunSeries {
  const run = new RunSeries();
  for (const e of events) run.add(e);
  return run;
}

/** Every scalar series in `events` (one run's, in file order), by tag. */
export function readScalars(events: Iterable<Event>): Map<string, ScalarPoint[]> {
  return collect(events).scalars;
}

/** Every histogram series in `events`, by tag. */
export function readHistograms(events: Iterable<Event>): Map<string, HistogramPoint[]> {
  return collect(events).histograms;
}
