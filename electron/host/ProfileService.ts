/**
 * The profile service (IProfileService): checks a profiling request as a train request is checked,
 * reads the dataset, and runs a dedicated profiling run (electron/host/profile/profileRun.ts); or
 * profiles a window of steps of the studio's running run (`live`: the run launcher). One profile
 * at a time: two at once would time each other.
 */
import { checkTrainRequest, EngineErrorCode } from '../../common/contract/index.js';
import {
  LIVE_PROFILE_STEPS, MAX_PROFILE_STEPS, ProfileErrorCode, type IProfileService, type LiveProfileRequest, type ProfileRequest,
} from '../../common/contract/profile.js';
import { checkDataFitsModel } from '../../common/data/checkLabels.js';
import { DataError } from '../../common/data/dataset.js';
import { analyzeModel } from '../../common/model/index.js';
import type { PeakInfo, ProfileReport } from '../../common/profile/index.js';
import { ServiceError } from '../../common/rpc/index.js';
import { LiveProfileError } from './profile/liveProfile.js';
import { cachedPeak } from './profile/peakProbe.js';
import { profileRun } from './profile/profileRun.js';
import { kilnConfigDir } from './project/configDir.js';
import { DataSpecError, loadDataSpec } from './training/dataSpec.js';
import { TrainingError } from './training/runTraining.js';

/** What profiles the studio's running run: the run launcher. */
export interface LiveRunProfiles {
  profileLive(run: string, steps: number, options?: { peak?: PeakInfo }): Promise<ProfileReport>;
}

function checkSteps(steps: unknown): void {
  if (steps !== undefined && !(Number.isInteger(steps) && (steps as number) >= 1 && (steps as number) <= MAX_PROFILE_STEPS)) {
    throw new ServiceError(EngineErrorCode.invalidConfig, `the number of steps to profile must be a whole number from 1 to ${MAX_PROFILE_STEPS}, got ${JSON.stringify(steps)}`);
  }
}

export class ProfileService implements IProfileService {
  private running = false;

  /**
   * `baseDir`: where relative dataset paths start; `configDir`: where the machine's measured peak is
   * cached; `live`: the studio's runs, for profiles of the running one.
   */
  constructor(private readonly baseDir = process.cwd(), private readonly configDir = kilnConfigDir(), private readonly live?: LiveRunProfiles) {}

  async profileLiveRun(request: LiveProfileRequest): Promise<ProfileReport> {
    if (this.running) throw new ServiceError(ProfileErrorCode.busy, 'A profile is already running: wait for it to finish.');
    if (typeof request?.run !== 'string') throw new ServiceError(EngineErrorCode.unknownRun, 'profileLiveRun needs the "run" to profile');
    checkSteps(request.steps);
    if (!this.live) throw new ServiceError(EngineErrorCode.unknownRun, `the run "${request.run}" is not training in this studio`);
    this.running = true;
    try {
      const peak = cachedPeak({ configDir: this.configDir });
      return await this.live.profileLive(request.run, request.steps ?? LIVE_PROFILE_STEPS, peak ? { peak } : {});
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      if (err instanceof LiveProfileError) throw new ServiceError(ProfileErrorCode.failed, err.message);
      throw new ServiceError(ProfileErrorCode.failed, `profiling the run failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  async profile(request: ProfileRequest): Promise<ProfileReport> {
    if (this.running) throw new ServiceError(ProfileErrorCode.busy, 'A profile is already running: wait for it to finish.');
    const checked = checkTrainRequest({ model: request?.model, config: { dataset: request?.dataset, training: request?.training, ...(request?.data !== undefined ? { data: request.data } : {}) } });
    if (!checked.ok) throw new ServiceError(checked.field === 'config' ? EngineErrorCode.invalidConfig : EngineErrorCode.invalidModel, checked.message);
    const steps = request.steps;
    checkSteps(steps);
    const { model, config } = checked.value;
    const analysis = analyzeModel(model);
    if (analysis.issues.length > 0) throw new ServiceError(EngineErrorCode.invalidModel, analysis.issues.map((i) => i.message).join('; '), { issues: analysis.issues });
    const nameOf = (id: string) => model.layers.find((l) => l.id === id)!.name;

    this.running = true;
    try {
      let splits;
      try {
        splits = loadDataSpec(config.dataset, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, this.baseDir, { ...config.data, seed: config.training.seed });
      } catch (err) {
        if (err instanceof DataSpecError) throw new ServiceError(EngineErrorCode.unknownDataset, err.message);
        if (err instanceof DataError) throw new ServiceError(EngineErrorCode.invalidData, err.message);
        throw err;
      }
      const misfit = checkDataFitsModel(analysis, config.training, { ...splits.datasets.train, ...(splits.classNames ? { classNames: splits.classNames } : {}) });
      if (misfit.length > 0) throw new ServiceError(EngineErrorCode.invalidModel, misfit.join('; '), { issues: misfit.map((message) => ({ layerId: null, message })) });
      return await profileRun({ model, training: config.training, data: splits.train, configDir: this.configDir, ...(steps !== undefined ? { steps } : {}) });
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      if (err instanceof TrainingError) throw new ServiceError(EngineErrorCode.invalidModel, err.message, { issues: err.problems.map((message) => ({ layerId: null, message })) });
      throw new ServiceError(ProfileErrorCode.failed, `profiling failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
