// The project store against the real ProjectService over an in-memory RPC pair, with files in a
// temporary folder and a minimal editor store (the interface the project store needs). The
// user's choices in dialogs and file pickers are answered by the test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { defaultModel, defaultTrainingConfig, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import { newProject, parseProject, serializeProject } from '../../../common/project/projectFile.js';
import { MemoryTransport, RpcServer } from '../../../common/rpc/index.js';
import { saveProject } from '../../../electron/host/project/projectStore.js';
import { ProjectService } from '../../../electron/host/ProjectService.js';
import { modelWeightShapes } from '../../../electron/host/training/weightsFile.js';
import type { BrowserFiles, HostAdapter, PickedFile } from '../../../renderer/host/HostAdapter.js';
import { createRpcHost, type RpcHostAdapter } from '../../../renderer/host/rpcHost.js';
import { createProjectStore, type ProjectEditorState, type ProjectStore, type ProjectStoreOptions } from '../../../renderer/stores/projectStore.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-project-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The editor store's part the project store uses, plus `edit` for the test's user. */
function createEditor(model: ModelDoc = defaultModel()) {
  return createStore<ProjectEditorState & { edit(model: ModelDoc): void }>()((set) => ({
    model,
    dirty: false,
    markSaved: () => set({ dirty: false }),
    setModel: (next) => set({ model: next, dirty: false }),
    edit: (next) => set({ model: next, dirty: true }),
  }));
}

const withUnits = (model: ModelDoc, units: number): ModelDoc => ({
  ...model,
  layers: model.layers.map((l) => (l.id === 'dense_1' ? { ...l, params: { ...l.params, units } } : l)),
});

class Unload {
  listeners = new Set<() => void>();
  addEventListener(_type: 'beforeunload', listener: () => void) {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'beforeunload', listener: () => void) {
    this.listeners.delete(listener);
  }
  fire() {
    for (const l of this.listeners) l();
  }
}

interface Rig {
  store: ProjectStore;
  editor: ReturnType<typeof createEditor>;
  service: ProjectService;
  host: RpcHostAdapter;
  settings: { training: TrainingConfig; data: string | undefined };
  downloads: { fileName: string; text: string }[];
  unload: Unload;
}

let rigs: Rig[] = [];
let configCount = 0;

/** A studio session; pass the same `config` to play a later session of the same user. */
function makeRig(extra: { host?: Partial<HostAdapter>; picked?: PickedFile | null; serverIsLocal?: boolean; config?: string; autosaveMs?: number } = {}): Rig {
  const config = extra.config ?? join(dir, `config-${++configCount}`);
  const [clientSide, serverSide] = MemoryTransport.pair();
  const service = new ProjectService(config);
  new RpcServer(serverSide, service);
  const host = createRpcHost('test', clientSide);
  const editor = createEditor();
  const settings = { training: defaultTrainingConfig(), data: undefined as string | undefined };
  const downloads: { fileName: string; text: string }[] = [];
  const unload = new Unload();
  const browserFiles: BrowserFiles = {
    pickFile: async () => extra.picked ?? null,
    downloadText: (fileName, text) => downloads.push({ fileName, text }),
  };
  const options: ProjectStoreOptions = {
    host: { ...host, ...extra.host },
    editor,
    getTraining: () => settings.training,
    setTraining: (t) => (settings.training = t),
    getData: () => settings.data,
    setData: (d) => (settings.data = d),
    autosaveMs: extra.autosaveMs ?? 60_000,
    unloadTarget: unload,
  };
  if (!extra.host) Object.assign(options, { browserFiles, serverIsLocal: extra.serverIsLocal ?? false });
  const rig = { store: createProjectStore(options), editor, service, host, settings, downloads, unload };
  rigs.push(rig);
  return rig;
}

afterEach(() => {
  for (const rig of rigs) {
    rig.store.getState().dispose();
    rig.host.close();
  }
  rigs = [];
});

const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('projectStore: new, dirty marker, save and open (Electron dialogs)', () => {
  it('starts untitled and clean; an edit marks it dirty in the title', async () => {
    const { store, editor } = makeRig();
    await store.getState().start();
    expect(store.getState()).toMatchObject({ path: null, name: 'Untitled', dirty: false, title: 'Untitled — Kiln', recovered: null });
    editor.getState().edit(withUnits(editor.getState().model, 8));
    expect(store.getState()).toMatchObject({ dirty: true, title: 'Untitled • — Kiln' });
    editor.getState().markSaved();
    expect(store.getState().dirty).toBe(false);
    // Training settings and data live outside the editor: their owner says when they change.
    store.getState().markChanged();
    expect(store.getState()).toMatchObject({ dirty: true, title: 'Untitled • — Kiln' });
    store.getState().newProject();
    expect(store.getState()).toMatchObject({ dirty: false, message: 'New project.' });
  });

  it('save asks for a path in the dialog, writes the project, marks it clean and lists it as recent', async () => {
    const path = join(dir, 'first.kiln.json');
    const asked: string[] = [];
    const { store, editor, settings } = makeRig({ host: { pickProjectSavePath: async (name) => (asked.push(name), path) } });
    await store.getState().start();
    settings.data = 'sample:iris';
    editor.getState().edit(withUnits(editor.getState().model, 8));
    await store.getState().save();
    expect(asked).toEqual(['Untitled.kiln.json']);
    expect(store.getState()).toMatchObject({ path, name: 'first', dirty: false, title: 'first — Kiln', status: 'idle', message: `Saved ${path}.` });
    expect(readFileSync(path, 'utf8')).toBe(serializeProject({ ...newProject(withUnits(defaultModel(), 8), settings.training), data: 'sample:iris' }));
    expect(store.getState().recent.map((r) => r.path)).toEqual([path]);

    // Save again goes to the same file without asking.
    editor.getState().edit(withUnits(editor.getState().model, 9));
    await store.getState().save();
    expect(asked).toHaveLength(1);
    expect(parseProject(readFileSync(path, 'utf8'))).toMatchObject({ ok: true, project: { model: withUnits(defaultModel(), 9) } });
  });

  it('cancelling a dialog changes nothing', async () => {
    const { store, editor } = makeRig({ host: { pickProjectSavePath: async () => null, pickProjectToOpen: async () => null } });
    editor.getState().edit(withUnits(editor.getState().model, 8));
    await store.getState().save();
    await store.getState().open();
    expect(store.getState()).toMatchObject({ path: null, dirty: true, status: 'idle', message: '' });
  });

  it('opens a project with weights through the dialog and keeps the weights when saving an edit', async () => {
    const path = join(dir, 'trained.kiln.json');
    const shapes = modelWeightShapes(defaultModel());
    if (!shapes.ok) throw new Error('the default model is valid');
    const weights = Object.fromEntries([...shapes.shapes].map(([name, shape]) => [name, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.25)]));
    const training = { ...defaultTrainingConfig(), epochs: 7 };
    saveProject(path, { ...newProject(defaultModel(), training), data: 'sample:iris' }, weights);

    const { store, editor, settings } = makeRig({ host: { pickProjectToOpen: async () => path } });
    await store.getState().open();
    expect(store.getState()).toMatchObject({ path, name: 'trained', hasWeights: true, dirty: false, status: 'idle', message: `Opened ${path}.` });
    expect(editor.getState().model).toEqual(defaultModel());
    expect(settings).toEqual({ training, data: 'sample:iris' });

    editor.getState().edit({ ...editor.getState().model, layers: editor.getState().model.layers.map((l) => (l.id === 'dense_1' ? { ...l, params: { ...l.params, activation: 'tanh' } } : l)) });
    await store.getState().save();
    const saved = parseProject(readFileSync(path, 'utf8'));
    expect(saved).toMatchObject({ ok: true, project: { weights: 'trained.weights.npz' } });
    expect(store.getState().hasWeights).toBe(true);
  });

  it('keeps edits made while a save is in flight unsaved', async () => {
    const path = join(dir, 'racing.kiln.json');
    const { store, editor } = makeRig({ host: { pickProjectSavePath: async () => path } });
    await store.getState().save();
    editor.getState().edit(withUnits(editor.getState().model, 4));
    const saving = store.getState().save();
    editor.getState().edit(withUnits(editor.getState().model, 5));
    await saving;
    expect(store.getState()).toMatchObject({ path, dirty: true });
    expect(parseProject(readFileSync(path, 'utf8'))).toMatchObject({ project: { model: withUnits(defaultModel(), 4) } });
  });

  it('shows what is wrong with a file it cannot open, naming the field and line', async () => {
    const path = join(dir, 'broken.kiln.json');
    writeFileSync(path, '{\n  "format": "kiln-project",\n  "version": 2,\n  "model": {"layers": [], "edges": []},\n  "training": {"epochs": -1}\n}\n');
    const { store, editor } = makeRig({ host: {} });
    const before = editor.getState().model;
    await store.getState().openPath(path);
    expect(store.getState()).toMatchObject({ status: 'failed', message: `${path}: training.epochs must be a whole number of at least 1, not -1 (line 5)` });
    expect(editor.getState().model).toBe(before);
  });
});

describe('projectStore: the browser host (file picker, typed paths, downloads)', () => {
  const keras = {
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'out', units: 2, activation: 'linear', batch_input_shape: [null, 3] } }] },
  };

  it('imports an uploaded Keras JSON as an unsaved document, then saves it to a typed path when the server is local', async () => {
    const { store, editor } = makeRig({ picked: { fileName: 'tiny.json', content: JSON.stringify(keras) }, serverIsLocal: true });
    await store.getState().open();
    expect(store.getState()).toMatchObject({ path: null, name: 'tiny', dirty: true, title: 'tiny • — Kiln', hasWeights: false });
    expect(store.getState().message).toMatch(/^Imported 2 layers from tiny\.json without weights/);
    expect(editor.getState().model.layers.map((l) => l.type)).toEqual(['Input', 'Dense']);

    await store.getState().save();
    expect(store.getState().savePrompt).toEqual({ suggestedPath: '~/tiny.kiln.json' });
    const path = join(dir, 'typed');
    await store.getState().saveAs(path);
    expect(store.getState()).toMatchObject({ path: `${path}.kiln.json`, dirty: false, savePrompt: null });
    expect(parseProject(readFileSync(`${path}.kiln.json`, 'utf8')).ok).toBe(true);
    // Next time the suggestion is beside the project.
    await store.getState().saveAs();
    expect(store.getState().savePrompt).toEqual({ suggestedPath: `${path}.kiln.json` });
  });

  it('downloads the project when the server is elsewhere', async () => {
    const { store, editor, downloads } = makeRig({ serverIsLocal: false });
    editor.getState().edit(withUnits(editor.getState().model, 6));
    await store.getState().save();
    expect(downloads).toHaveLength(1);
    expect(downloads[0].fileName).toBe('Untitled.kiln.json');
    expect(parseProject(downloads[0].text)).toMatchObject({ ok: true, project: { model: withUnits(defaultModel(), 6) } });
    expect(store.getState()).toMatchObject({ dirty: false, message: 'Downloaded Untitled.kiln.json.' });
  });
});

describe('projectStore: autosave and recovery after a crash', () => {
  it('autosaves while dirty, offers the document in the next session, and restores it', async () => {
    const config = join(dir, 'crash-config');
    const first = makeRig({ config, host: {} });
    await first.store.getState().start();
    await first.store.getState().autosaveNow();
    await expect(first.service.recoverAutosave()).resolves.toBeNull(); // nothing to keep while clean
    first.settings.data = 'sample:mnist';
    first.editor.getState().edit(withUnits(first.editor.getState().model, 12));
    first.unload.fire(); // the page goes: beforeunload autosaves
    await until(() => readFileSafe(join(config, 'autosave.json')) !== null);
    first.store.getState().dispose(); // the crash

    const second = makeRig({ config, host: {} });
    await second.store.getState().start();
    const recovered = second.store.getState().recovered;
    expect(recovered).toMatchObject({ name: 'Untitled', path: null, project: { model: withUnits(defaultModel(), 12), data: 'sample:mnist' } });
    expect(second.store.getState().message).toMatch(/^Kiln found unsaved changes to Untitled from .+: restore or discard them\.$/);

    // Edits before the user chooses do not overwrite what is offered.
    second.editor.getState().edit(withUnits(second.editor.getState().model, 2));
    await second.store.getState().autosaveNow();
    await expect(second.service.recoverAutosave()).resolves.toEqual(recovered);

    second.store.getState().restoreRecovered();
    expect(second.editor.getState().model).toEqual(withUnits(defaultModel(), 12));
    expect(second.settings.data).toBe('sample:mnist');
    expect(second.store.getState()).toMatchObject({ recovered: null, dirty: true, title: 'Untitled • — Kiln' });
    expect(second.store.getState().message).toMatch(/^Restored the unsaved changes from .+: save to keep them\.$/);
  });

  it('autosaves every period while dirty and forgets the autosave once saved', async () => {
    const path = join(dir, 'periodic.kiln.json');
    const config = join(dir, 'periodic-config');
    const rig = makeRig({ config, host: { pickProjectSavePath: async () => path }, autosaveMs: 20 });
    await rig.store.getState().start();
    rig.editor.getState().edit(withUnits(rig.editor.getState().model, 3));
    await until(() => readFileSafe(join(config, 'autosave.json')) !== null);
    await expect(rig.service.recoverAutosave()).resolves.toMatchObject({ project: { model: withUnits(defaultModel(), 3) } });
    await rig.store.getState().save();
    await until(() => readFileSafe(join(config, 'autosave.json')) === null);
  });

  it('discarding the offered document removes it', async () => {
    const config = join(dir, 'discard-config');
    const service = new ProjectService(config);
    await service.autosave({ project: newProject(defaultModel()), name: 'lost' });
    const rig = makeRig({ config, host: {} });
    await rig.store.getState().start();
    expect(rig.store.getState().recovered?.name).toBe('lost');
    await rig.store.getState().discardRecovered();
    expect(rig.store.getState()).toMatchObject({ recovered: null, message: 'Discarded the unsaved changes.' });
    await expect(service.recoverAutosave()).resolves.toBeNull();
  });
});

function readFileSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
