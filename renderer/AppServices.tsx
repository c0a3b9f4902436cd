import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { HostAdapter } from './host/HostAdapter.js';
import type { DataState, DataStore } from './stores/dataStore.js';
import type { EditorState, EditorStore } from './stores/editorStore.js';
import type { ProjectState, ProjectStore } from './stores/projectStore.js';
import type { RunsStore } from './stores/runsStore.js';
import type { UiState, UiStore } from './stores/uiStore.js';
import type { MetricsBuffer } from './stores/metricsBuffer.js';
import type { RunState, RunStore } from './stores/runStore.js';

/** The app's long-lived objects, made once in main.tsx (or by a test) and handed down. */
export interface AppServices {
  host: HostAdapter;
  editor: EditorStore;
  data: DataStore;
  run: RunStore;
  project: ProjectStore;
  runs: RunsStore;
  ui: UiStore;
  metrics: MetricsBuffer;
}

const ServicesContext = createContext<AppServices | null>(null);

export function AppServicesProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices needs an <AppServicesProvider> above it');
  return services;
}

export function useEditor<T>(selector: (state: EditorState) => T): T {
  return useStore(useServices().editor, selector);
}

export function useData<T>(selector: (state: DataState) => T): T {
  return useStore(useServices().data, selector);
}

export function useProject<T>(selector: (state: ProjectState) => T): T {
  return useStore(useServices().project, selector);
}

export function useUi<T>(selector: (state: UiState) => T): T {
  return useStore(useServices().ui, selector);
}

export function useRun<T>(selector: (state: RunState) => T): T {
  return useStore(useServices().run, selector);
}

/** Re-renders on metric changes, at most once per animation frame; returns the buffer's version. */
export function useMetricsVersion(): number {
  const { metrics } = useServices();
  return useSyncExternalStore(metrics.subscribe, metrics.getVersion, metrics.getVersion);
}
