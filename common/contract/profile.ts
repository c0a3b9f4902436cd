/**
 * The profiler's RPC service: a dedicated profiling run of the editor's model on a dataset (a few
 * warm-up steps, then N steps with the engine's per-op timers on), or a window of N steps of the
 * studio's running training run, answered with the report. The studio draws the report and builds
 * the Chrome trace and CSV from it (common/profile).
 * Served on the engine host's connection beside IEngineService.
 */
import type { ModelDoc } from '../model/ModelDoc.js';
import type { TrainingConfig } from '../model/trainingConfig.js';
import type { ProfileReport } from '../profile/ProfileReport.js';
import type { DataChoices } from './engine.js';

export interface ProfileRequest {
  model: ModelDoc;
  training: TrainingConfig;
  /** A dataset spec, as TrainConfig's: `sample:NAME` or a path. */
  dataset: string;
  data?: DataChoices;
  /** Steps to profile after the warm-up (default 50, at most MAX_PROFILE_STEPS). */
  steps?: number;
}

/** A window of the running run's steps, profiled while it trains. */
export interface LiveProfileRequest {
  /** The run: its id in the runs service (its folder in the studio's logdir). */
  run: string;
  /** Steps to profile from the next whole batch on (default LIVE_PROFILE_STEPS, at most MAX_PROFILE_STEPS). */
  steps?: number;
}

export const MAX_PROFILE_STEPS = 10_000;
export const LIVE_PROFILE_STEPS = 50;

/** Error codes of the profile service besides the engine's (INVALID_MODEL, INVALID_CONFIG, UNKNOWN_DATASET, INVALID_DATA). */
export const ProfileErrorCode = {
  busy: 'PROFILE_ACTIVE',
  failed: 'PROFILE_FAILED',
} as const;

export interface IProfileService {
  profile(request: ProfileRequest): Promise<ProfileReport>;
  /** Resolves once the window's last step is done; UNKNOWN_RUN when the run is not training in this studio. */
  profileLiveRun(request: LiveProfileRequest): Promise<ProfileReport>;
}
