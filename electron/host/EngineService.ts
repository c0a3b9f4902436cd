import { randomUUID } from 'node:crypto';
import {
  EngineErrorCode,
  checkTrainRequest,
  type DataChoices,
  type DatasetInfo,
  type DataSummary,
  type EngineEvents,
  type EngineInfo,
  type IEngineService,
  type RunEnd,
  type TrainConfig,
  type TrainRequest,
} from '../../common/contract/index.js';
import { checkDataFitsModel } from '../../common/data/checkLabels.js';
import { DataError } from '../../common/data/dataset.js';
import { analyzeModel, type TrainingConfig } from '../../common/model/index.js';
import { ServiceError } from '../../common/rpc/index.js';
import { loadAddon } from './addon.js';
import { inspectData } from './data/inspectData.js';
import { listDatasets } from './datasets.js';
import { MetricsBatcher } from './MetricsBatcher.js';
import { DataSpecError, loadDataSpec, type DataSplits } from './training/dataSpec.js';
import { runTraining, TrainingError } from './training/runTraining.js';

type Emit = <K extends keyof EngineEvents>(event: K, data: EngineEvents[K]) => void;

/** A data problem as the service's error: an unknown spec, or data that cannot be read or trained on. */
function dataError(err: unknown): never {
  if (err instanceof DataSpecError) throw new ServiceError(EngineErrorCode.unknownDataset, err.message);
  if (err instanceof DataError) throw new ServiceError(EngineErrorCode.invalidData, err.message);
  throw err;
}

/**
 * The training settings as sent, with the validation split where it belongs: sources that split
 * themselves (CSV, folders) have held it out already; for the others runTraining holds out the
 * last samples, as Keras's fit(validation_split=...) does.
 */
function withValidation(config: TrainConfig, splits: DataSplits): TrainingConfig {
  const split = config.data?.validationSplit ?? config.training.validationSplit;
  return { ...config.training, validationSplit: splits.validation ? 0 : split };
}

/** The engine host's service: validates requests, reads datasets, and runs training in the native engine. */
export class EngineService implements IEngineService {
  private active: { runId: string; controller: AbortController } | undefined;

  /** `baseDir`: where relative dataset paths start. */
  constructor(private readonly emit: Emit, private readonly baseDir = process.cwd()) {}

  async ping(): Promise<EngineInfo> {
    return { version: loadAddon().version(), pid: process.pid };
  }

  async listDatasets(): Promise<DatasetInfo[]> {
    return listDatasets().map(({ id, name, rows, features, classes, classNames, source }) => ({ id, name, rows, features, classes, classNames, source }));
  }

  async inspectData(params: { spec: string; choices?: DataChoices }): Promise<DataSummary> {
    if (typeof params?.spec !== 'string') throw new ServiceError(EngineErrorCode.unknownDataset, 'inspectData needs a dataset "spec"');
    try {
      return inspectData(params.spec, params.choices ?? {}, this.baseDir);
    } catch (err) {
      return dataError(err);
    }
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
    const analysis = analyzeModel(model);
    if (analysis.issues.length > 0) {
      throw new ServiceError(EngineErrorCode.invalidModel, analysis.issues.map((i) => i.message).join('; '), { issues: analysis.issues });
    }
    const nameOf = (id: string) => model.layers.find((l) => l.id === id)!.name;
    let splits: DataSplits;
    try {
      splits = loadDataSpec(config.dataset, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, this.baseDir, { ...config.data, seed: config.training.seed });
    } catch (err) {
      return dataError(err);
    }
    const training = withValidation(config, splits);
    const misfit = checkDataFitsModel(analysis, training, { ...splits.datasets.train, ...(splits.classNames ? { classNames: splits.classNames } : {}) });
    if (misfit.length > 0) throw new ServiceError(EngineErrorCode.invalidModel, misfit.join('; '), { issues: misfit.map((message) => ({ layerId: null, message })) });

    const runId = randomUUID();
    const controller = new AbortController();
    this.active = { runId, controller };
    const batcher = new MetricsBatcher((points) => this.emit('run.didMetrics', { runId, points }));
    let steps = 0;
    const ended = runTraining({
      model, training, data: splits.train,
      ...(splits.validation ? { validation: splits.validation } : {}),
      signal: controller.signal,
      onStep: (s) => {
        steps = (s.epoch - 1) * s.steps + s.step;
        batcher.add([{ step: steps, epoch: s.epoch - 1, loss: s.batch.loss, ...(s.dataWait !== undefined ? { dataWait: s.dataWait } : {}) }]);
      },
    }).then(
      (r): RunEnd => ({
        runId, status: r.status, steps,
        ...(r.final?.loss !== undefined ? { loss: r.final.loss } : {}),
        ...(r.final?.accuracy !== undefined ? { accuracy: r.final.accuracy } : {}),
        ...(r.error ? { error: { code: 'ENGINE_ERROR', message: r.error } } : {}),
      }),
      (err: unknown): RunEnd => ({ runId, status: 'failed', error: { code: err instanceof TrainingError ? EngineErrorCode.invalidModel : 'ENGINE_ERROR', message: (err as Error).message } }),
    );
    void ended.then(async (end) => {
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
    this.active.controller.abort();
  }
}
