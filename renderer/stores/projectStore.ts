import { createStore, type StoreApi } from 'zustand/vanilla';
import { withProjectSuffix, type AutosavedDocument, type IProjectService, type OpenedProject, type RecentProject } from '../../common/contract/project.js';
import { defaultModel, defaultTrainingConfig, type ModelDoc, type TrainingConfig } from '../../common/model/index.js';
import { newProject, PROJECT_SUFFIX, serializeProject, type ProjectFile } from '../../common/project/projectFile.js';
import { createProxy } from '../../common/rpc/index.js';
import type { BrowserFiles, HostAdapter } from '../host/HostAdapter.js';

/** What the project store needs of the editor's store. */
export interface ProjectEditorState {
  model: ModelDoc;
  /** Whether the model changed since the last markSaved(). */
  dirty: boolean;
  markSaved(): void;
  /** Replaces the document and clears the undo history. */
  setModel(model: ModelDoc): void;
}

export type ProjectEditor = Pick<StoreApi<ProjectEditorState>, 'getState' | 'subscribe'>;

export interface ProjectState {
  /** The project file; null until the document is saved (a new project, an import, an upload). */
  path: string | null;
  name: string;
  /** Unsaved changes: the editor's, or those of an import, a restored autosave, or markChanged(). */
  dirty: boolean;
  /** The window title, with the dirty marker: "iris • — Kiln". */
  title: string;
  hasWeights: boolean;
  recent: RecentProject[];
  status: 'idle' | 'busy' | 'failed';
  /** What the user should read about the last action. */
  message: string;
  /** An autosaved document found at start, held until the user restores or discards it. */
  recovered: AutosavedDocument | null;
  /** Browser host on this machine: the user may type where to save (then saveAs(path)) or download(). */
  savePrompt: { suggestedPath: string } | null;
  /** Loads the recent list, offers an autosaved document, starts autosaving. */
  start(): Promise<void>;
  newProject(model?: ModelDoc, training?: TrainingConfig, data?: string): void;
  /** Electron: the open dialog; browser: the file picker. */
  open(): Promise<void>;
  openPath(path: string): Promise<void>;
  /** To the project's file, or as saveAs() when it has none. */
  save(): Promise<void>;
  /** To `path`; without one: Electron's save dialog, else savePrompt (browser, local server), else a download. */
  saveAs(path?: string): Promise<void>;
  /** The project file as a browser download (its weights stay on the server). */
  download(): void;
  cancelSavePrompt(): void;
  /** The training settings or the data changed (they live outside the editor). */
  markChanged(): void;
  restoreRecovered(): void;
  discardRecovered(): Promise<void>;
  /** Writes the document to the autosave file if it has changes not yet written there. */
  autosaveNow(): Promise<void>;
  dispose(): void;
}

export type ProjectStore = StoreApi<ProjectState>;

interface UnloadTarget {
  addEventListener(type: 'beforeunload', listener: () => void): void;
  removeEventListener(type: 'beforeunload', listener: () => void): void;
}

export interface ProjectStoreOptions {
  host: HostAdapter;
  editor: ProjectEditor;
  getTraining(): TrainingConfig;
  setTraining(training: TrainingConfig): void;
  getData(): string | undefined;
  setData(data: string | undefined): void;
  /** Browser host: the file picker and downloads (renderer/host/browserFiles.ts). */
  browserFiles?: BrowserFiles;
  /** Browser host: whether `kiln serve` runs on this machine, so typed paths name the user's files. */
  serverIsLocal?: boolean;
  /** Autosave period while the document has changes (default 10 s). */
  autosaveMs?: number;
  /** Where to listen for `beforeunload` (the window), to autosave before the page goes. */
  unloadTarget?: UnloadTarget;
}

export const UNTITLED = 'Untitled';

function titleOf(name: string, dirty: boolean): string {
  return `${name}${dirty ? ' •' : ''} — Kiln`;
}

function errorText(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : String(err);
}

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The open document as a project: its file, recent projects, autosave and recovery. */
export function createProjectStore(options: ProjectStoreOptions): ProjectStore {
  const { host, editor } = options;
  const projects = createProxy<IProjectService>(host);
  /** The project's weights file name and the file its weights come from (see saveProject). */
  let weights: { ref?: string; from?: string } = {};
  /** Changes outside the editor, counted so a save can tell whether more came while it ran. */
  let changes = 0;
  let savedChanges = 0;
  let lastAutosave = '';
  let autosaving = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const onUnload = () => void store.getState().autosaveNow();

  const store = createStore<ProjectState>()((set, get) => {
    const refreshDirty = (): void => {
      const dirty = editor.getState().dirty || changes !== savedChanges;
      const title = titleOf(get().name, dirty);
      if (dirty !== get().dirty || title !== get().title) set({ dirty, title });
    };
    const unsubscribe = editor.subscribe(refreshDirty);

    const build = (model: ModelDoc = editor.getState().model): ProjectFile => {
      const project = newProject(model, options.getTraining());
      const data = options.getData();
      if (data !== undefined) project.data = data;
      if (weights.ref !== undefined) project.weights = weights.ref;
      return project;
    };

    const refreshRecent = async (): Promise<void> => {
      try {
        set({ recent: await projects.recentProjects() });
      } catch {
        // The recent list is a convenience: the last one shown stays.
      }
    };

    /** The document now shown was saved, opened or dropped: an autosave of the one before is stale. */
    const forgetAutosave = (): void => {
      lastAutosave = '';
      // Failing to clear only means the stale document is offered once more at the next start.
      if (!get().recovered) void projects.clearAutosave().catch(() => undefined);
    };

    /** Shows a document; `unsaved` when it exists in no project file yet. */
    const show = (model: ModelDoc, training: TrainingConfig, data: string | undefined, unsaved: boolean): void => {
      editor.getState().setModel(model);
      editor.getState().markSaved();
      options.setTraining(training);
      options.setData(data);
      // A document in no project file yet counts as one change not saved.
      savedChanges = changes;
      if (unsaved) changes++;
    };

    const apply = (opened: OpenedProject): void => {
      show(opened.project.model, opened.project.training, opened.project.data, opened.kind === 'keras-import');
      weights = { ref: opened.project.weights, from: opened.weightsFrom };
      const notes = opened.kind === 'project' ? [`Opened ${opened.path ?? opened.name}.`, ...opened.notes] : opened.notes;
      set({ path: opened.path, name: opened.name, hasWeights: opened.hasWeights, savePrompt: null, status: 'idle', message: notes.join(' ') });
      refreshDirty();
      forgetAutosave();
    };

    const attempt = async (doing: string, action: () => Promise<void>): Promise<void> => {
      set({ status: 'busy', message: doing });
      try {
        await action();
      } catch (err) {
        set({ status: 'failed', message: errorText(err) });
      }
    };

    /** Asks the user (a dialog, a file picker); null when they cancel or it fails, saying why. */
    const choose = async <T>(ask: () => Promise<T | null>): Promise<T | null> => {
      try {
        return await ask();
      } catch (err) {
        set({ status: 'failed', message: errorText(err) });
        return null;
      }
    };

    const saveTo = (path: string): Promise<void> =>
      attempt(`Saving ${path}…`, async () => {
        const model = editor.getState().model;
        const changesBefore = changes;
        const saved = await projects.saveProject({ path, project: build(model), ...(weights.from ? { weightsFrom: weights.from } : {}) });
        weights = { ref: saved.project.weights, from: saved.weightsFrom };
        // Edits made while the file was being written are not in it: they stay unsaved.
        const complete = editor.getState().model === model && changes === changesBefore;
        if (complete) {
          editor.getState().markSaved();
          savedChanges = changesBefore;
        }
        set({ path: saved.path, name: saved.name, hasWeights: saved.hasWeights, savePrompt: null, status: 'idle', message: [`Saved ${saved.path}.`, ...saved.notes].join(' ') });
        refreshDirty();
        if (complete) forgetAutosave();
        await refreshRecent();
      });

    return {
      path: null,
      name: UNTITLED,
      dirty: false,
      title: titleOf(UNTITLED, false),
      hasWeights: false,
      recent: [],
      status: 'idle',
      message: '',
      recovered: null,
      savePrompt: null,

      async start() {
        if (timer !== undefined) return;
        timer = setInterval(() => void get().autosaveNow(), options.autosaveMs ?? 10_000);
        options.unloadTarget?.addEventListener('beforeunload', onUnload);
        const recover = async () => {
          try {
            const recovered = await projects.recoverAutosave();
            if (recovered) set({ recovered, message: `Kiln found unsaved changes to ${recovered.name} from ${when(recovered.savedAt)}: restore or discard them.` });
          } catch (err) {
            set({ status: 'failed', message: errorText(err) });
          }
        };
        await Promise.all([refreshRecent(), recover()]);
      },

      newProject(model = defaultModel(), training = defaultTrainingConfig(), data) {
        show(model, training, data, false);
        weights = {};
        set({ path: null, name: UNTITLED, hasWeights: false, savePrompt: null, status: 'idle', message: 'New project.' });
        refreshDirty();
        forgetAutosave();
      },

      async open() {
        if (host.pickProjectToOpen) {
          const path = await choose(() => host.pickProjectToOpen!());
          if (path) await get().openPath(path);
          return;
        }
        if (!options.browserFiles) {
          set({ status: 'failed', message: 'This host has no way to choose a file.' });
          return;
        }
        const { pickFile } = options.browserFiles;
        const file = await choose(() => pickFile(`${PROJECT_SUFFIX},.json,.keras`));
        if (file) await attempt(`Opening ${file.fileName}…`, async () => apply(await projects.openProjectText(file)));
      },

      openPath(path) {
        return attempt(`Opening ${path}…`, async () => {
          apply(await projects.openProject({ path }));
          await refreshRecent();
        });
      },

      async save() {
        const { path } = get();
        await (path ? saveTo(path) : get().saveAs());
      },

      async saveAs(path) {
        if (path !== undefined) return saveTo(withProjectSuffix(path.trim()));
        const fileName = `${get().name}${PROJECT_SUFFIX}`;
        if (host.pickProjectSavePath) {
          const chosen = await choose(() => host.pickProjectSavePath!(fileName));
          if (chosen) await saveTo(chosen);
          return;
        }
        if (!options.browserFiles) {
          set({ status: 'failed', message: 'This host has no way to choose where to save.' });
          return;
        }
        if (options.serverIsLocal) {
          const near = get().path ?? get().recent[0]?.path;
          const folder = near ? near.slice(0, Math.max(near.lastIndexOf('/'), near.lastIndexOf('\\')) + 1) : '~/';
          set({ savePrompt: { suggestedPath: `${folder}${fileName}` } });
          return;
        }
        get().download();
      },

      download() {
        if (!options.browserFiles) return;
        const fileName = `${get().name}${PROJECT_SUFFIX}`;
        const project = build();
        delete project.weights;
        options.browserFiles.downloadText(fileName, serializeProject(project));
        editor.getState().markSaved();
        savedChanges = changes;
        const note = get().hasWeights ? ' Its weights are not in the download: save it by path (Kiln on this machine) to keep them.' : '';
        set({ savePrompt: null, status: 'idle', message: `Downloaded ${fileName}.${note}` });
        refreshDirty();
        forgetAutosave();
      },

      cancelSavePrompt() {
        set({ savePrompt: null });
      },

      markChanged() {
        changes++;
        refreshDirty();
      },

      restoreRecovered() {
        const doc = get().recovered;
        if (!doc) return;
        show(doc.project.model, doc.project.training, doc.project.data, true);
        weights = { ref: doc.project.weights, from: doc.weightsFrom };
        lastAutosave = '';
        set({ recovered: null, path: doc.path, name: doc.name, hasWeights: doc.weightsFrom !== undefined, status: 'idle', message: `Restored the unsaved changes from ${when(doc.savedAt)}: save to keep them.` });
        refreshDirty();
      },

      async discardRecovered() {
        set({ recovered: null, status: 'idle', message: 'Discarded the unsaved changes.' });
        try {
          await projects.clearAutosave();
        } catch (err) {
          set({ status: 'failed', message: errorText(err) });
        }
      },

      async autosaveNow() {
        // An offered recovery must not be overwritten before the user has chosen.
        if (autosaving || get().recovered || !get().dirty) return;
        const { path, name } = get();
        const doc = { project: build(), path, name, ...(weights.from ? { weightsFrom: weights.from } : {}) };
        const text = JSON.stringify(doc);
        if (text === lastAutosave) return;
        autosaving = true;
        try {
          await projects.autosave(doc);
          lastAutosave = text;
        } catch (err) {
          set({ message: `Autosave failed: ${errorText(err)}` });
        } finally {
          autosaving = false;
        }
      },

      dispose() {
        clearInterval(timer);
        timer = undefined;
        unsubscribe();
        options.unloadTarget?.removeEventListener('beforeunload', onUnload);
      },
    };
  });
  return store;
}
