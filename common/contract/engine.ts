import type { ModelDoc } from '../model/ModelDoc.js';

/** Training settings sent with the model when the user presses Train. */
export interface TrainConfig {
  dataset: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface TrainRequest {
  model: ModelDoc;
  config: TrainConfig;
}

export interface DatasetInfo {
  id: string;
  name: string;
  rows: number;
  features: number;
  classes: number;
  classNames: string[];
  source: string;
}

export interface EngineInfo {
  version: string;
  /** The engine host's process id: lets the UI and tests tell hosts apart. */
  pid: number;
}

export interface MetricPoint {
  step: number;
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
  startRun(request: TrainRequest): Promise<{ runId: string }>;
  stopRun(params: { runId: string }): Promise<void>;
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
  unknownRun: 'UNKNOWN_RUN',
  busy: 'RUN_ACTIVE',
  engineStopped: 'ENGINE_STOPPED',
} as const;
