import { useCallback, useMemo, useState } from 'react';
import type { IProfileService, LiveProfileRequest, ProfileRequest } from '../../../common/contract/profile.js';
import type { ProfileReport } from '../../../common/profile/index.js';
import { createProxy } from '../../../common/rpc/index.js';
import type { HostAdapter } from '../../host/HostAdapter.js';

export interface ProfileState {
  report: ProfileReport | null;
  running: boolean;
  error: string | null;
}

export interface ProfileActions {
  /** A dedicated profiling run of a model on its data. */
  run(request: ProfileRequest): Promise<void>;
  /** A window of steps of the studio's running run, profiled while it trains. */
  runLive(request: LiveProfileRequest): Promise<void>;
}

/** Runs profiles through the host's IProfileService and keeps the latest report (a failed run keeps the previous one). */
export function useProfile(host: HostAdapter): ProfileState & ProfileActions {
  const service = useMemo(() => createProxy<IProfileService>(host), [host]);
  const [state, setState] = useState<ProfileState>({ report: null, running: false, error: null });
  const settle = useCallback(async (profile: () => Promise<ProfileReport>) => {
    setState((s) => ({ ...s, running: true, error: null }));
    try {
      const report = await profile();
      setState({ report, running: false, error: null });
    } catch (err) {
      const message = (err as { message?: unknown } | null)?.message;
      setState((s) => ({ ...s, running: false, error: typeof message === 'string' && message ? message : String(err) }));
    }
  }, []);
  const run = useCallback((request: ProfileRequest) => settle(() => service.profile(request)), [service, settle]);
  const runLive = useCallback((request: LiveProfileRequest) => settle(() => service.profileLiveRun(request)), [service, settle]);
  return { ...state, run, runLive };
}
