/**
 * The run store's RPC service: runs in a TensorBoard logdir (Kiln's own and any other writer's),
 * their scalars served smoothed and downsampled for drawing, their histograms, confusion
 * matrices and misclassified samples, and the actions on a run.
 *
 * Series are computed on the host from full-resolution data: smoothing (TensorBoard's debiased
 * EMA, or a centred moving average) runs over every point, then both the raw and the smoothed
 * series are downsampled to about `width` points per chart, keeping each bucket's minimum and
 * maximum and the newest point; `downsampled` says when that happened (never silently).
 */
import type { ModelDoc, ParamValue } from '../model/ModelDoc.js';
import type { TrainingConfig } from '../model/trainingConfig.js';

export type RunState = 'running' | 'completed' | 'stopped' | 'failed' | 'crashed';

/** One run as the runs list and the hyperparameter table show it. */
export interface RunSummary {
  /** The run's folder relative to the logdir, '/'-separated: its stable id. */
  id: string;
  /** The display name (renamable; the folder name by default). */
  name: string;
  /** Kiln's runs have run.json; other writers' runs (Keras, PyTorch) are read from their events only. */
  source: 'kiln' | 'tensorboard';
  /** Other writers' runs have no status: 'completed' unless their files are still growing ('running'). */
  status: RunState;
  /** ISO times, when known. */
  createdAt?: string;
  endedAt?: string;
  notes?: string;
  /** Hyperparameters, flattened: optimizer, learning_rate, batch_size, epochs, loss, data, ... */
  hparams: Record<string, ParamValue>;
  /** Final and best values of each metric: `loss`, `val_loss`, `best_val_loss`, ... */
  metrics: Record<string, number>;
  /** Scalar tags, as TensorBoard names them (`epoch_loss`, `batch_loss`, `epoch_learning_rate`, ...), with the splits that have them. */
  tags: { tag: string; splits: ('train' | 'validation' | '')[] }[];
  /** The last step written. */
  step: number;
  /** Per-epoch results exist for these views. */
  has: { histograms: boolean; confusion: boolean; misclassified: boolean };
}

export type XAxis = 'step' | 'epoch' | 'relative' | 'wall';

export interface ScalarQuery {
  runs: string[];
  tags: string[];
  xAxis: XAxis;
  /** 0 (none) to below 1, TensorBoard's slider; for 'moving-average', the window is round(smoothing * 100) points. */
  smoothing: number;
  smoothingKind: 'ema' | 'moving-average';
  /** About how many points each series may have after downsampling (the chart's width in pixels). */
  width: number;
  /**
   * The cursors of series the client holds from earlier answers to the same settings (a live
   * run's polls): a series with no new point is left out of the answer, and a grown one comes as
   * an `append` where it can.
   */
  since?: SeriesCursor[];
}

/**
 * What a client holds of a series, from the answer that gave it: the client sends it back in its
 * next query. Only the host reads its fields; they are checked against the series, and a cursor
 * that does not fit (other settings, a series that was cut) gets the whole series.
 */
export interface SeriesCursor {
  run: string;
  tag: string;
  split: ScalarSeries['split'];
  /** Points of the series the answer covered. */
  count: number;
  /** The settings the answer was computed with. */
  query: string;
  /**
   * Where an append can start: the first index of the newest downsampling bucket, the bucket
   * size, how many raw and smoothed points the answer had before that index, and the EMA's
   * state there (constant: every value so far equals the first).
   */
  resume?: { from: number; bucket: number; raw: number; smoothed: number; ema?: { last: number; n: number; constant: boolean } };
}

/** One drawn series: a run's tag in one split. */
export interface ScalarSeries {
  run: string;
  tag: string;
  split: 'train' | 'validation' | '';
  /** Points at full resolution. */
  count: number;
  /** True when `raw` holds fewer points than `count` (the chart shows a marker). */
  downsampled: boolean;
  /** x in the query's axis (steps, epochs, seconds since the run's start, or Unix seconds). */
  raw: { x: number[]; y: number[] };
  smoothed: { x: number[]; y: number[] };
  /** The newest point, always kept. */
  last: { x: number; y: number; step: number } | null;
  /**
   * Set when the answer extends what the client holds (its `since` cursor): keep the first `raw`
   * raw and `smoothed` smoothed points held, and append these.
   */
  append?: { raw: number; smoothed: number };
  /** To send back in the next query's `since` (absent: every poll gets the whole series). */
  cursor?: SeriesCursor;
}

export interface HistogramSeries {
  run: string;
  /** `dense/kernel` ...; a weight's gradient: `dense/kernel_grad` (common/metrics/histogramTags.ts). */
  tag: string;
  /** One histogram per epoch: bucket edges and counts. */
  steps: { step: number; edges: number[]; counts: number[] }[];
}

export interface ConfusionMatrix {
  run: string;
  epoch: number;
  classNames: string[];
  /** counts[true][predicted] on the validation set. */
  counts: number[][];
}

export interface Misclassified {
  run: string;
  epoch: number;
  /** Up to a few dozen validation samples, each a PNG data URL (images) or a row's cells (tables). */
  samples: { index: number; label: string; predicted: string; image?: string; row?: string[] }[];
}

/** Run events pushed to every connection. */
export interface RunsEvents {
  /** The logdir's runs changed (a run started, ended, was renamed or deleted). */
  'runs.didChange': { logdir: string };
}

export interface IRunsService {
  /** The logdir the studio's runs go to, and the one shown (another may be opened). */
  logdir(): Promise<{ logdir: string }>;
  openLogdir(params: { logdir: string }): Promise<{ logdir: string; runs: RunSummary[] }>;
  listRuns(): Promise<RunSummary[]>;
  scalars(query: ScalarQuery): Promise<ScalarSeries[]>;
  histograms(params: { run: string; tags?: string[] }): Promise<HistogramSeries[]>;
  confusion(params: { run: string; epoch?: number }): Promise<ConfusionMatrix | null>;
  misclassified(params: { run: string; epoch?: number }): Promise<Misclassified | null>;
  renameRun(params: { run: string; name: string }): Promise<RunSummary>;
  setRunNotes(params: { run: string; notes: string }): Promise<RunSummary>;
  /** Removes the run's folder; the caller has asked the user. */
  deleteRun(params: { run: string }): Promise<void>;
  /** Trains on from the run's last checkpoint for its remaining epochs, as a new running run. */
  resumeRun(params: { run: string }): Promise<{ runId: string; run: string }>;
  /** The run's model, training settings and data, to put back into the editor. */
  runConfig(params: { run: string }): Promise<{ model: ModelDoc; training: TrainingConfig; data?: string }>;
}
