import {
  EngineErrorCode,
  checkTrainRequest,
  type DataChoices,
  type DeviceInfo,
  type DeviceUsage,
  type DatasetInfo,
  type DataSummary,
  type EngineInfo,
  type IEngineService,
  type TrainRequest,
} from '../../common/contract/index.js';
import { ServiceError } from '../../common/rpc/index.js';
import { loadAddon } from './addon.js';
import { inspectData } from './data/inspectData.js';
import { listDatasets } from './datasets.js';
import { LiveRuns } from './runs/LiveRuns.js';
import { dataError, RunLauncher, type Emit } from './runs/RunLauncher.js';
import { studioLogdir } from './runs/studioLogdir.js';

export interface EngineServiceOptions {
  /** Where relative dataset paths start (default: the working folder). */
  baseDir?: string;
  /** Where every run's folder goes (default: studioLogdir()). */
  logdir?: string;
  /** Receives the running run's scalars (the dashboard reads them from there). */
  live?: LiveRuns;
}

/**
 * The engine host's service: validates requests, reads datasets, and runs training in the native
 * engine, each run written to a run folder in the studio's logdir (`launcher`, which the runs
 * service also uses to resume runs).
 */
export class EngineService implements IEngineService {
  readonly launcher: RunLauncher;
  private readonly baseDir: string;

  constructor(emit: Emit, options: EngineServiceOptions = {}) {
    this.baseDir = options.baseDir ?? process.cwd();
    this.launcher = new RunLauncher(emit, { baseDir: this.baseDir, logdir: options.logdir ?? studioLogdir(), live: options.live ?? new LiveRuns() });
  }

  async ping(): Promise<EngineInfo> {
    const addon = loadAddon();
    const devices: DeviceInfo[] = addon.devices().map((d) => {
      if (d.backend === 'cpu') return { backend: 'cpu', name: `${d.threads} threads`, available: true };
      if (!d.available) return { backend: 'cuda', name: 'GPU', available: false, reason: d.reason };
      return { backend: 'cuda', name: `${d.name}, ${(d.memoryBytes / 2 ** 30).toFixed(0)} GiB`, available: true };
    });
    return { version: addon.version(), pid: process.pid, devices };
  }

  async deviceUsage(): Promise<DeviceUsage | null> {
    const u = loadAddon().gpuUsage();
    return u && { utilization: u.utilization, kilnBytes: u.kilnBytes, limitBytes: u.limitBytes, usedBytes: u.totalBytes - u.freeBytes, totalBytes: u.totalBytes };
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

  /** Starts training; `run` is the run folder's id in the studio's logdir (the runs service's run id). */
  async startRun(request: TrainRequest): Promise<{ runId: string; run: string }> {
    this.launcher.assertIdle();
    const checked = checkTrainRequest(request);
    if (!checked.ok) {
      const code = checked.field === 'config' ? EngineErrorCode.invalidConfig : EngineErrorCode.invalidModel;
      throw new ServiceError(code, checked.message);
    }
    const { model, config } = checked.value;
    return this.launcher.launch({ model, training: config.training, dataset: config.dataset, dataOptions: { ...config.data, seed: config.training.seed } });
  }

  async stopRun(params: { runId: string }): Promise<void> {
    this.launcher.stop(params?.runId);
  }
}
