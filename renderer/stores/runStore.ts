import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  EngineErrorCode,
  type EngineEvents,
  type DatasetInfo,
  type DeviceUsage,
  type EngineInfo,
  type IEngineService,
  type RunEnd,
  type TrainConfig,
} from '../../common/contract/index.js';
import { defaultTrainingConfig, type ModelDoc, type TrainingConfig } from '../../common/model/index.js';
import { createProxy, RpcErrorCode, type Disposable } from '../../common/rpc/index.js';
import { HostEvent, type HostAdapter, type HostDisconnect } from '../host/HostAdapter.js';
import type { MetricsBuffer } from './metricsBuffer.js';

export type RunUiStatus =
  | 'connecting'
  | 'ready'
  | 'training'
  | 'completed'
  | 'stopped'
  | 'failed'
  | 'engine-stopped'
  /** The page cannot reach the server (web host only); the next call retries. */
  | 'disconnected';

/** The starter model's settings: Keras's defaults (Adam at 0.001) in batches of 16 for Iris's 150 rows. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  dataset: 'sample:iris',
  training: { ...defaultTrainingConfig(), batchSize: 16, epochs: 100 },
};

export interface RunState {
  status: RunUiStatus;
  runId: string | null;
  /** What the user should read about the engine and the current run. */
  message: string;
  config: TrainConfig;
  engine: EngineInfo | null;
  /** The datasets the engine offers, as it reported them on connect. */
  datasets: DatasetInfo[];
  /** Final figures of the last run that ended, if it reported them. */
  finalLoss: number | null;
  finalAccuracy: number | null;
  /** The GPU's load and memory at the last refreshDeviceUsage() (null without a usable GPU). */
  deviceUsage: DeviceUsage | null;
  refreshDeviceUsage(): Promise<void>;
  /** Asks the engine who it is; 'ready' when it answers. */
  connect(): Promise<void>;
  setConfig(patch: Partial<TrainConfig>): void;
  setTraining(patch: Partial<TrainingConfig>): void;
  train(): Promise<void>;
  stop(): Promise<void>;
  /** Stops listening to the host. */
  dispose(): void;
}

export type RunStore = StoreApi<RunState>;

export interface RunStoreOptions {
  host: HostAdapter;
  metrics: MetricsBuffer;
  /** The model to train, read when Train is pressed. */
  getModel(): ModelDoc;
  config?: Partial<TrainConfig>;
}

interface CallError {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as CallError | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error's message, with the issues a service attached (e.g. INVALID_MODEL's per-layer problems). */
function errorText(err: unknown): string {
  const e = (err ?? {}) as CallError;
  const base = typeof e.message === 'string' && e.message ? e.message : String(err);
  const details = e.details as { issues?: unknown } | undefined;
  const issues = Array.isArray(details?.issues)
    ? details.issues
        .map((i: unknown) => (typeof (i as { message?: unknown })?.message === 'string' ? (i as { message: string }).message : null))
        .filter((m): m is string => m !== null && !base.includes(m))
    : [];
  return issues.length > 0 ? `${base}: ${issues.join('; ')}` : base;
}

export function formatLoss(loss: number | null | undefined): string {
  return typeof loss === 'number' && Number.isFinite(loss) ? loss.toFixed(4) : '—';
}

export function formatAccuracy(accuracy: number | null | undefined): string {
  return typeof accuracy === 'number' && Number.isFinite(accuracy) ? `${(accuracy * 100).toFixed(1)}%` : '—';
}

function endMessage(end: RunEnd): string {
  const figures = [
    typeof end.loss === 'number' ? `loss ${formatLoss(end.loss)}` : null,
    typeof end.accuracy === 'number' ? `accuracy ${formatAccuracy(end.accuracy)}` : null,
    typeof end.steps === 'number' ? `${end.steps} steps` : null,
  ].filter((f) => f !== null);
  const tail = figures.length > 0 ? `: ${figures.join(', ')}` : '';
  switch (end.status) {
    case 'completed':
      return `Training completed${tail}.`;
    case 'stopped':
      return `Training stopped${tail}.`;
    default:
      return `Training failed: ${end.error?.message ?? 'the engine gave no reason'}.`;
  }
}

export function engineStoppedMessage(reason: string): string {
  return `The engine stopped (${reason}). Press Train to start a new one.`;
}

export function disconnectedMessage(reason: string): string {
  return `Cannot reach the Kiln engine: ${reason}. Check that \`kiln serve\` is running, then press Train to retry or reload the page.`;
}

type PendingEvent = { name: 'run.didMetrics'; data: EngineEvents['run.didMetrics'] } | { name: 'run.didEnd'; data: RunEnd };

/**
 * The state of training: talks to the engine through the host, feeds metric events into the
 * metrics buffer (outside React) and keeps the user-facing status and message.
 */
export function createRunStore(options: RunStoreOptions): RunStore {
  const { host, metrics, getModel } = options;
  const engine = createProxy<IEngineService>(host);
  let subscription: Disposable | undefined;
  /** Events that arrive while startRun has not answered yet; replayed once the run id is known. */
  let pendingEvents: PendingEvent[] | null = null;
  let stopRequested = false;
  /** Bumped on every train(), so an old startRun answer cannot touch a newer run. */
  let attempt = 0;

  const store = createStore<RunState>()((set, get) => {
    const handleMetrics = (data: EngineEvents['run.didMetrics']): void => {
      if (!data || data.runId !== get().runId || !Array.isArray(data.points)) return;
      metrics.append(data.points);
    };

    const handleEnd = (end: RunEnd): void => {
      if (!end || end.runId !== get().runId) return;
      metrics.flush();
      set({
        status: end.status === 'completed' || end.status === 'stopped' ? end.status : 'failed',
        message: endMessage(end),
        finalLoss: typeof end.loss === 'number' ? end.loss : null,
        finalAccuracy: typeof end.accuracy === 'number' ? end.accuracy : null,
      });
    };

    const onEvent = (event: string, data: unknown): void => {
      switch (event) {
        case 'run.didMetrics':
        case 'run.didEnd': {
          const item = { name: event, data } as PendingEvent;
          if (pendingEvents && get().runId === null) pendingEvents.push(item);
          else if (item.name === 'run.didMetrics') handleMetrics(item.data);
          else handleEnd(item.data);
          break;
        }
        case 'engine.didStop': {
          const reason = (data as EngineEvents['engine.didStop'] | undefined)?.reason ?? 'no reason given';
          pendingEvents = null;
          metrics.flush();
          set({ status: 'engine-stopped', runId: null, engine: null, message: engineStoppedMessage(reason) });
          break;
        }
        case HostEvent.didDisconnect: {
          const reason = (data as HostDisconnect | undefined)?.reason ?? 'the connection closed';
          pendingEvents = null;
          metrics.flush();
          set({ status: 'disconnected', runId: null, engine: null, message: disconnectedMessage(reason) });
          break;
        }
        default:
          break;
      }
    };
    subscription = host.onEvent(onEvent);

    /** Shows a failed call in the user's terms, unless an event already explained it. */
    const showCallError = (err: unknown, what: string): void => {
      const code = errorCode(err);
      if (code === RpcErrorCode.closed) {
        if (get().status !== 'disconnected') set({ status: 'disconnected', runId: null, message: disconnectedMessage(errorText(err)) });
        return;
      }
      if (code === EngineErrorCode.engineStopped) {
        if (get().status !== 'engine-stopped') set({ status: 'engine-stopped', runId: null, message: engineStoppedMessage(errorText(err)) });
        return;
      }
      set({ status: 'failed', runId: null, message: `${what}: ${errorText(err)}` });
    };

    return {
      status: 'connecting',
      runId: null,
      message: 'Connecting to the engine…',
      config: { ...DEFAULT_TRAIN_CONFIG, ...options.config },
      engine: null,
      datasets: [],
      finalLoss: null,
      finalAccuracy: null,
      deviceUsage: null,

      async refreshDeviceUsage() {
        try {
          set({ deviceUsage: await engine.deviceUsage() });
        } catch {
          set({ deviceUsage: null });  // the engine is gone: the status pill says so
        }
      },

      async connect() {
        set({ status: 'connecting', message: 'Connecting to the engine…' });
        try {
          const [info, datasets] = await Promise.all([engine.ping(), engine.listDatasets()]);
          if (get().status !== 'connecting') return;
          set({ status: 'ready', engine: info, datasets, message: `Engine ${info.version} ready. Press Train to fit the model.` });
        } catch (err) {
          if (get().status === 'connecting') showCallError(err, 'The engine did not answer');
        }
      },

      setConfig(patch) {
        set({ config: { ...get().config, ...patch } });
      },

      setTraining(patch) {
        set({ config: { ...get().config, training: { ...get().config.training, ...patch } } });
      },

      async train() {
        if (get().status === 'training') return;
        const mine = ++attempt;
        metrics.clear();
        metrics.flush();
        pendingEvents = [];
        stopRequested = false;
        set({ status: 'training', runId: null, finalLoss: null, finalAccuracy: null, message: 'Starting training…' });
        try {
          const { runId } = await engine.startRun({ model: getModel(), config: { ...get().config } });
          if (mine !== attempt || get().status !== 'training') return;
          const queued = pendingEvents ?? [];
          pendingEvents = null;
          const { dataset: spec, training: t } = get().config;
          const dataset = get().datasets.find((d) => `sample:${d.id}` === spec)?.name ?? spec;
          const lr = t.optimizer.learningRate === undefined ? '' : ` at learning rate ${t.optimizer.learningRate}`;
          set({ runId, message: `Training on ${dataset}: ${t.epochs} epochs, batch size ${t.batchSize}, ${t.optimizer.type}${lr}…` });
          for (const item of queued) {
            if (item.name === 'run.didMetrics') handleMetrics(item.data);
            else handleEnd(item.data);
          }
          if (stopRequested && get().status === 'training') await get().stop();
        } catch (err) {
          if (mine !== attempt) return;
          pendingEvents = null;
          showCallError(err, 'Cannot start training');
        }
      },

      async stop() {
        const { status, runId } = get();
        if (status !== 'training') return;
        if (runId === null) {
          stopRequested = true;
          set({ message: 'Stopping…' });
          return;
        }
        set({ message: 'Stopping…' });
        try {
          await engine.stopRun({ runId });
        } catch (err) {
          if (get().runId !== runId || get().status !== 'training') return;
          if (errorCode(err) === EngineErrorCode.unknownRun) {
            set({ status: 'stopped', message: 'Training stopped.' });
          } else if (errorCode(err) === RpcErrorCode.closed || errorCode(err) === EngineErrorCode.engineStopped) {
            showCallError(err, 'Cannot stop training');
          } else {
            set({ message: `Cannot stop training: ${errorText(err)}` });
          }
        }
      },

      dispose() {
        subscription?.dispose();
        subscription = undefined;
      },
    };
  });
  return store;
}
