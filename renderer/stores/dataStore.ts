import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DataChoices, DatasetInfo, DataSummary, IEngineService } from '../../common/contract/index.js';
import { createProxy } from '../../common/rpc/index.js';
import type { HostAdapter } from '../host/HostAdapter.js';

export interface DataState {
  /** The built-in samples the engine offers. */
  samples: DatasetInfo[];
  /** The dataset spec being shown (`sample:iris`, a path). */
  spec: string;
  choices: DataChoices;
  status: 'idle' | 'loading' | 'ready' | 'error';
  summary: DataSummary | null;
  /** Why the last spec could not be read, in the user's terms. */
  error: string | null;
  /** Lists the samples and reads the initial spec. */
  load(): Promise<void>;
  /** Reads a spec (with the choices that apply to it) and shows what Kiln understood. */
  choose(spec: string, choices?: DataChoices): Promise<void>;
  /** Changes a choice (target column, image size, ...) and reads the data again. */
  setChoices(patch: DataChoices): Promise<void>;
}

export type DataStore = StoreApi<DataState>;

export interface DataStoreOptions {
  host: HostAdapter;
  spec?: string;
  /** Called with each dataset the engine read: the app points training and the model's Input at it. */
  onChosen(summary: DataSummary): void;
}

/** The Data panel's state: which dataset, its choices, and what the engine understood of it. */
export function createDataStore(options: DataStoreOptions): DataStore {
  const engine = createProxy<IEngineService>(options.host);
  /** Bumped on every read, so that a slow answer cannot replace a newer one. */
  let request = 0;
  return createStore<DataState>()((set, get) => ({
    samples: [],
    spec: options.spec ?? 'sample:iris',
    choices: {},
    status: 'idle',
    summary: null,
    error: null,

    async load() {
      try {
        set({ samples: await engine.listDatasets() });
      } catch {
        // The run store reports an unreachable engine; the panel keeps its spec field usable.
      }
      await get().choose(get().spec, get().choices);
    },

    async choose(spec, choices = {}) {
      const mine = ++request;
      set({ spec, choices, status: 'loading', error: null });
      try {
        const summary = await engine.inspectData({ spec, choices });
        if (mine !== request) return;
        set({ status: 'ready', summary, choices: summary.choices });
        options.onChosen(summary);
      } catch (err) {
        if (mine !== request) return;
        const message = (err as { message?: unknown })?.message;
        set({ status: 'error', summary: null, error: typeof message === 'string' ? message : String(err) });
      }
    },

    async setChoices(patch) {
      await get().choose(get().spec, { ...get().choices, ...patch });
    },
  }));
}
