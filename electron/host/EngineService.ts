import { randomUUID } from 'node:crypto';
import {
  EngineErrorCode,
  checkTrainRequest,
  type DatasetInfo,
  type EngineEvents,
  type EngineInfo,
  type IEngineService,
  type RunEnd,
  type TrainRequest,
} from '../../common/contract/index.js';
import { checkDataFit, defaultTrainingConfig, lowerModel } from '../../common/model/index.js';
import { ServiceError } from '../../common/rpc/index.js';
import { loadAddon, type NativeFitEvent, type NativeModel } from './addon.js';
import { getDataset, listDatasets } from './datasets.js';
import { MetricsBatcher } from './MetricsBatcher.js';

type Emit = <K extends keyof EngineEvents>(event: K, data: EngineEvents[K]) => void;

interface ActiveRun {
  runId: string;
  model: NativeModel;
}

/** The engine host's service: validates requests, lowers models, and runs training in the native engine. */
export class EngineService implements IEngineService {
  private active: ActiveRun | undefined;

  constructor(private readonly emit: Emit) {}

  async ping(): Promise<EngineInfo> {
    return { version: loadAddon().version(), pid: process.pid };
  }

  async listDatasets(): Promise<DatasetInfo[]> {
    return listDatasets();
  }

  async startRun(request: TrainRequest): Promise<{ runId: string }> {
    if (this.active) {
      throw new ServiceError(EngineErrorCode.busy, 'A run is already training: stop it before starting another.');
    }
    const checked = checkTrainRequest(request);
    if (!checked.ok) {
      const code = checked.field === 'config' ? EngineErrorCode.invalidConfig : EngineErrorCode.invalidModel;
      throw new ServiceError(code, checked.message);
    }
    const { model, config } = checked.value;
    const data = getDataset(config.dataset);
    if (!data) throw new ServiceError(EngineErrorCode.unknownDataset, `there is no dataset "${config.dataset}": choose one of ${listDatasets().map((d) => d.id).join(', ')}`);
    const training = { ...defaultTrainingConfig(), optimizer: { type: 'sgd' as const, learningRate: config.learningRate }, batchSize: config.batchSize, epochs: config.epochs, seed: config.seed };
    const lowered = lowerModel(model, training);
    const issues = lowered.ok ? checkDataFit(lowered.analysis, data.info) : lowered.issues;
    if (!lowered.ok || issues.length > 0) {
      throw new ServiceError(EngineErrorCode.invalidModel, issues.map((i) => i.message).join('; '), { issues });
    }

    const runId = randomUUID();
    let native: NativeModel;
    try {
      native = new (loadAddon().Model)(lowered.spec);
    } catch (err) {
      throw new ServiceError(EngineErrorCode.invalidModel, (err as Error).message);
    }
    this.active = { runId, model: native };
    const batcher = new MetricsBatcher((points) => this.emit('run.didMetrics', { runId, points }));
    let lastEpoch: NativeFitEvent | undefined;
    const fit = native.fit({ x: data.x, y: data.y }, { epochs: config.epochs, batchSize: config.batchSize, shuffle: true }, (events) => {
      const steps = events.filter((e) => e.type === 'step');
      lastEpoch = events.findLast((e) => e.type === 'epoch') ?? lastEpoch;
      if (steps.length > 0) batcher.add(steps.map((e) => ({ step: e.step, epoch: e.epoch, loss: e.loss, dataWait: e.dataWait })));
    });
    void fit
      .then(
        (r): RunEnd => ({ runId, status: r.stopped ? 'stopped' : 'completed', loss: lastEpoch?.loss, accuracy: lastEpoch?.metrics.accuracy, steps: r.steps }),
        (err: unknown): RunEnd => ({ runId, status: 'failed', error: { code: 'ENGINE_ERROR', message: (err as Error).message } }),
      )
      .then(async (end) => {
        await batcher.drain();
        this.active = undefined;
        this.emit('run.didEnd', end);
      });
    return { runId };
  }

  async stopRun(params: { runId: string }): Promise<void> {
    if (!this.active || this.active.runId !== params?.runId) {
      throw new ServiceError(EngineErrorCode.unknownRun, `no run "${String(params?.runId)}" is training`);
    }
    this.active.model.stop();
  }
}
