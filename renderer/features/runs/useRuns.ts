import { createContext, useContext, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { RunsState, RunsStore } from '../../stores/runsStore.js';

const RunsContext = createContext<RunsStore | null>(null);

/** The Runs view hands its store down through this. */
export const RunsStoreProvider = RunsContext.Provider;

export function useRunsStore(): RunsStore {
  const store = useContext(RunsContext);
  if (!store) throw new Error('useRunsStore needs a <RunsStoreProvider> above it (RunsView provides one)');
  return store;
}

export function useRuns<T>(selector: (state: RunsState) => T): T {
  return useStore(useRunsStore(), selector);
}

export interface Fetched<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
}

/**
 * Fetches one run's data (histograms, a confusion matrix) again whenever `key` changes; null
 * fetches nothing. An answer to an older key is dropped; the last data stays shown until the next.
 */
export function useRunData<T>(key: string | null, fetch: () => Promise<T>): Fetched<T> {
  const [state, setState] = useState<Fetched<T> & { key: string | null }>({ key: null, data: undefined, error: null, loading: false });
  useEffect(() => {
    if (key === null) return;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    fetch().then(
      (data) => current && setState({ key, data, error: null, loading: false }),
      (err: unknown) => current && setState({ key, data: undefined, error: (err as { message?: string })?.message ?? String(err), loading: false }),
    );
    return () => {
      current = false;
    };
    // `fetch` is a fresh closure each render; the key says when to fetch again.
  }, [key]);
  return key === null ? { data: undefined, error: null, loading: false } : state;
}
