import type { ModelDoc } from '../model/ModelDoc.js';
import type { TrainingConfig } from '../model/trainingConfig.js';

/** Choices the user can make about how a dataset is read (the CLI's data flags). */
export interface DataChoices {
  /** CSV: the column to predict (default: the last). */
  target?: string;
  /** Image folders: [height, width] (default 256x256, as Keras). */
  imageSize?: [number, number];
  colorMode?: 'rgb' | 'grayscale';
  /** Fraction held out for validation (CSV, image and text folders, after a seeded shuffle). */
  validationSplit?: number;
}

/** What the studio sends with the model when the user presses Train. */
export interface TrainConfig {
  /** A dataset spec: `sample:NAME`, or a path to a .csv, .npz, IDX files, or a folder of class folders. */
  dataset: string;
  data?: DataChoices;
  /** Keras's compile() and fit() settings, as project files hold them. */
  training: TrainingConfig;
}

export interface TrainRequest {
  model: ModelDoc;
  config: TrainConfig;
}

/** A built-in sample dataset, as the studio lists it. */
export interface DatasetInfo {
  id: string;
  name: string;
  rows: number;
  features: number;
  classes: number;
  classNames: string[];
  source: string;
}

/** One column of a table, as Kiln understood it. */
export interface DataColumn {
  name: string;
  type: 'numeric' | 'categorical';
  role: 'feature' | 'target';
  missing: number;
}

/** What Kiln understood of a dataset, shown in the Data panel before training. */
export interface DataSummary {
  spec: string;
  format: 'sample' | 'csv' | 'npz' | 'npy' | 'idx' | 'image-folder' | 'text-folder';
  /** "flowers (image folder: 150 files, 3 classes, 64x64 RGB): 120 training and 30 validation samples". */
  description: string;
  /** One sample's shape per model input (no batch axis), and what its values are. */
  inputs: { shape: number[]; dtype: 'float32' | 'int32' }[];
  /** Class labels with their counts in the training split, or numeric targets of this shape. */
  target: { kind: 'classes'; classNames: string[]; counts: number[] } | { kind: 'values'; shape: number[] };
  splits: { train: number; validation: number; test: number };
  /** What the loader did that the user should know: skipped images, dropped rows. */
  notes: string[];
  /** Tables: every column and the first rows as written in the file. */
  table?: { columns: DataColumn[]; head: string[][]; rows: number };
  /** Image data: a few training samples as PNG data URLs with their labels. */
  images?: { src: string; label: string }[];
  /** The choices in effect (defaults filled in). */
  choices: DataChoices;
}

/** Where training runs: the CPU, and the GPU or why it is not used. */
/** A GPU's state, sampled when asked (the status bar polls it every 2 seconds while a GPU is usable). */
export interface DeviceUsage {
  /** Percent of the last sample period a kernel ran; -1 when the driver does not say. */
  utilization: number;
  /** What Kiln holds on the device, and the limit set for it (0: grows as needed). */
  kilnBytes: number;
  limitBytes: number;
  /** The whole device, every process. */
  usedBytes: number;
  totalBytes: number;
}

export interface DeviceInfo {
  backend: 'cpu' | 'cuda';
  /** "2 threads", "NVIDIA H100 80GB HBM3, 80 GiB". */
  name: string;
  available: boolean;
  /** Why the device is not used (no driver, no device, no plugin). */
  reason?: string;
}

export interface EngineInfo {
  version: string;
  /** The engine host's process id: lets the UI and tests tell hosts apart. */
  pid: number;
  devices?: DeviceInfo[];
}

export interface MetricPoint {
  /** From 1, counted over the whole run. */
  step: number;
  /** From 0. */
  epoch: number;
  loss: number;
  /** Seconds the step waited for its batch (the data pipeline's share, for the profiler). */
  dataWait?: number;
}

export type RunStatus = 'completed' | 'stopped' | 'failed';

export interface RunEnd {
  runId: string;
  status: RunStatus;
  loss?: number;
  accuracy?: number;
  steps?: number;
  error?: { code: string; message: string };
}

/** The engine host's RPC service. Every method takes one params object and resolves with plain data. */
export interface IEngineService {
  ping(): Promise<EngineInfo>;
  listDatasets(): Promise<DatasetInfo[]>;
  /** Reads a dataset spec and says what Kiln understood, without training. */
  inspectData(params: { spec: string; choices?: DataChoices }): Promise<DataSummary>;
  /** `run`: the run's folder in the studio's logdir (its id in the runs service). */
  startRun(request: TrainRequest): Promise<{ runId: string; run?: string }>;
  stopRun(params: { runId: string }): Promise<void>;
  /** The GPU's load and memory now, or null without a usable GPU. */
  deviceUsage(): Promise<DeviceUsage | null>;
}

/** Events from the engine host, and `engine.didStop`, which its supervisor emits when the host process ends. */
export interface EngineEvents {
  /** Batched: at most 20 of these a second, each with every step since the last. */
  'run.didMetrics': { runId: string; points: MetricPoint[] };
  'run.didEnd': RunEnd;
  'engine.didStop': { reason: string };
}

export type EngineEventName = keyof EngineEvents;

/** The most metric batches a second that reach the renderer. */
export const METRICS_MAX_HZ = 20;

/** Error codes of the engine service. */
export const EngineErrorCode = {
  invalidModel: 'INVALID_MODEL',
  invalidConfig: 'INVALID_CONFIG',
  unknownDataset: 'UNKNOWN_DATASET',
  invalidData: 'INVALID_DATA',
  unknownRun: 'UNKNOWN_RUN',
  busy: 'RUN_ACTIVE',
  engineStopped: 'ENGINE_STOPPED',
} as const;
