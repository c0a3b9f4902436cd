import { useCallback, useMemo, useState } from 'react';
import type { IProfileService, ProfileRequest } from '../../../common/contract/profile.js';
import type { ProfileReport } from '../../../common/profile/index.js';
import { createProxy } from '../../../common/rpc/index.js';
import type { HostAdapter } from '../../host/HostAdapter.js';

export interface ProfileState {
  report: ProfileReport | null;
  running: boolean;
  error: string | null;
}

/** Runs profiles through the host's IProfileService and keeps the latest report (a failed run keeps the previous one). */
export function useProfile(host: HostAdapter): ProfileState & { run(request: ProfileRequest): Promise<void> } {
  const service = useMemo(() => createProxy<IProfileService>(host), [host]);
  const [state, setState] = useState<ProfileState>({ report: null, running: false, error: null });
  const run = useCallback(async (request: ProfileRequest) => {
    setState((s) => ({ ...s, running: true, error: null }));
    try {
      const report = await service.profile(request);
      setState({ report, running: false, error: null });
    } catch (err) {
      const message = (err as { message?: unknown } | null)?.message;
      setState((s) => ({ ...s, running: false, error: typeof message === 'string' && message ? message : String(err) }));
    }
  }, [service]);
  return { ...state, run };
}
