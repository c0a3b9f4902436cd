// The project service on real files in a temporary folder: open/save round trips with weights,
// atomic saves, Keras imports (a .keras archive built here with h5wasm, and model.to_json()),
// the recent list, autosave and recovery, and errors that name the file, the field and the line.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectErrorCode, RECENT_PROJECTS_MAX, withProjectSuffix, type IEngineService, type IProjectService } from '../../common/contract/index.js';
import { parseNpz } from '../../common/formats/npz.js';
import { defaultModel, defaultTrainingConfig, type ModelDoc } from '../../common/model/index.js';
import { newProject, parseProject, serializeProject, type ProjectFile } from '../../common/project/projectFile.js';
import { createProxy, RpcClient, ServiceError } from '../../common/rpc/index.js';
import { EngineProcess } from '../../electron/host/EngineProcess.js';
import { paths } from '../../electron/host/appRoot.js';
import { kilnConfigDir } from '../../electron/host/project/configDir.js';
import { jsonFieldLines, withLine } from '../../electron/host/project/jsonLines.js';
import { saveProject } from '../../electron/host/project/projectStore.js';
import { ProjectService } from '../../electron/host/ProjectService.js';
import { modelWeightShapes, type Weights } from '../../electron/host/training/weightsFile.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-projects-'));
const configDir = join(dir, 'config');
const service = new ProjectService(configDir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic weights for every weight of a model. */
function weightsFor(model: ModelDoc): Weights {
  const shapes = modelWeightShapes(model);
  if (!shapes.ok) throw new Error(shapes.problems.join('; '));
  let seed = 1;
  return Object.fromEntries([...shapes.shapes].map(([name, shape]) => [name, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (seed++ % 17) / 17)]));
}

/** Awaits a rejection and returns the ServiceError. */
async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  if (!(err instanceof ServiceError)) throw new Error(`expected a ServiceError, got ${String(err)}`);
  return err;
}

const tempFiles = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.tmp'));

// --- a Keras 3 Sequential model (4 -> 8 relu -> 3 softmax), as to_json() and as a .keras archive ----

const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const initializer = (class_name: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name, config, registered_name: null });
const dense = (name: string, units: number, activation: string) => ({
  module: 'keras.layers', class_name: 'Dense', registered_name: null,
  config: { name, trainable: true, dtype: policy, units, activation, use_bias: true, kernel_initializer: initializer('GlorotUniform', { seed: null }), bias_initializer: initializer('Zeros'), kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null },
});
const kerasConfig = {
  module: 'keras', class_name: 'Sequential', registered_name: null,
  config: {
    name: 'sequential', trainable: true, dtype: policy,
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'features' } },
      dense('hidden', 8, 'relu'),
      dense('probs', 3, 'softmax'),
    ],
  },
  compile_config: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
};
const kerasWeights = {
  'layers/dense': [{ shape: [4, 8], data: Float32Array.from({ length: 32 }, (_, i) => i / 32) }, { shape: [8], data: new Float32Array(8).fill(0.5) }],
  'layers/dense_1': [{ shape: [8, 3], data: Float32Array.from({ length: 24 }, (_, i) => -i / 24) }, { shape: [3], data: Float32Array.of(1, 2, 3) }],
};

/** A .keras archive as Keras 3's model.save writes it: config.json, metadata.json, model.weights.h5. */
async function writeKerasArchive(path: string): Promise<void> {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const h5Path = join(dir, 'model.weights.h5');
  const file = new h5.File(h5Path, 'w');
  const layers = file.create_group('layers');
  for (const [key, vars] of Object.entries(kerasWeights)) {
    const group = layers.create_group(key.slice('layers/'.length)).create_group('vars');
    vars.forEach((v, i) => group.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype: '<f4' }));
  }
  file.close();
  writeFileSync(path, zipSync({
    'config.json': strToU8(JSON.stringify(kerasConfig)),
    'metadata.json': strToU8(JSON.stringify({ keras_version: '3.12.0', date_saved: '2026-01-01@00:00:00' })),
    'model.weights.h5': readFileSync(h5Path),
  }));
}

describe('ProjectService: opening and saving projects', () => {
  const original = join(dir, 'iris.kiln.json');
  const weights = weightsFor(defaultModel());
  beforeAll(() => {
    saveProject(original, { ...newProject(defaultModel()), data: 'sample:iris' }, weights);
  });

  it('opens a project with its weights and saves it in place without rewriting them', async () => {
    const opened = await service.openProject({ path: original });
    expect(opened).toMatchObject({ path: original, name: 'iris', kind: 'project', hasWeights: true, weightsFrom: join(dir, 'iris.weights.npz'), notes: [] });
    expect(opened.project).toEqual({ ...newProject(defaultModel()), data: 'sample:iris', weights: 'iris.weights.npz' });

    const weightsBefore = readFileSync(join(dir, 'iris.weights.npz'));
    const project: ProjectFile = { ...opened.project, training: { ...opened.project.training, epochs: 99 } };
    const saved = await service.saveProject({ path: original, project, weightsFrom: opened.weightsFrom });
    expect(saved).toMatchObject({ path: original, name: 'iris', hasWeights: true, weightsFrom: join(dir, 'iris.weights.npz'), notes: [] });
    expect(readFileSync(original, 'utf8')).toBe(serializeProject(project));
    expect(readFileSync(join(dir, 'iris.weights.npz'))).toEqual(weightsBefore);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('save as writes the weights beside the new file, and the copy opens with the same weights', async () => {
    const opened = await service.openProject({ path: original });
    mkdirSync(join(dir, 'elsewhere'));
    const target = join(dir, 'elsewhere', 'copy.kiln.json');
    const saved = await service.saveProject({ path: target, project: opened.project, weightsFrom: opened.weightsFrom });
    expect(saved).toMatchObject({ path: target, name: 'copy', hasWeights: true, weightsFrom: join(dir, 'elsewhere', 'copy.weights.npz') });
    expect(saved.project.weights).toBe('copy.weights.npz');
    const npz = parseNpz(readFileSync(join(dir, 'elsewhere', 'copy.weights.npz')));
    expect(npz.get('dense_1/kernel')?.shape).toEqual([4, 16]);
    expect([...npz.get('dense_2/bias')!.data]).toEqual([...weights['dense_2/bias']]);
    await expect(service.openProject({ path: target })).resolves.toMatchObject({ hasWeights: true, project: { weights: 'copy.weights.npz' } });
  });

  it('drops weights that no longer fit the edited model, saying why, so the project still opens', async () => {
    const opened = await service.openProject({ path: original });
    const model = structuredClone(opened.project.model);
    model.layers[1].params.units = 32;
    const target = join(dir, 'wider.kiln.json');
    const saved = await service.saveProject({ path: target, project: { ...opened.project, model }, weightsFrom: opened.weightsFrom });
    expect(saved.hasWeights).toBe(false);
    expect(saved.weightsFrom).toBeUndefined();
    expect(saved.project.weights).toBeUndefined();
    expect(saved.notes[0]).toMatch(/^its weights no longer fit the model \(iris\.weights\.npz: weight 'dense_1\/kernel' has shape \(4, 16\) but the model needs \(4, 32\) and \d+ more\), so it was saved without them: train it again$/);
    await expect(service.openProject({ path: target })).resolves.toMatchObject({ hasWeights: false, notes: [] });
  });

  it('opens a project whose weights file is missing, without its weights', async () => {
    const path = join(dir, 'lost.kiln.json');
    writeFileSync(path, serializeProject({ ...newProject(defaultModel()), weights: 'lost.weights.npz' }));
    const opened = await service.openProject({ path });
    expect(opened.hasWeights).toBe(false);
    expect(opened.project.weights).toBeUndefined();
    expect(opened.notes).toEqual([`Opened without weights: its weights file lost.weights.npz is missing (expected at ${join(dir, 'lost.weights.npz')}).`]);
    // An upload has no folder to find weights in.
    const uploaded = await service.openProjectText({ fileName: 'iris.kiln.json', content: readFileSync(join(dir, 'iris.kiln.json'), 'utf8') });
    expect(uploaded).toMatchObject({ path: null, name: 'iris', kind: 'project', hasWeights: false });
    expect(uploaded.notes).toEqual(['Opened without weights: its weights file iris.weights.npz stays behind: an upload brings only the project file (open it by its path to keep them).']);
  });

  it('migrates an older project and says so', async () => {
    const path = join(dir, 'old.kiln.json');
    writeFileSync(path, JSON.stringify({ format: 'kiln-project', version: 1, model: defaultModel() }));
    const opened = await service.openProject({ path });
    expect(opened.project.version).toBe(2);
    expect(opened.project.training).toEqual(defaultTrainingConfig());
    expect(opened.notes).toEqual(['It was made by an older Kiln (version 1): saving writes the current version.']);
  });

  it('refuses a path that is not NAME.kiln.json, or not a full path, with the reason', async () => {
    const project = newProject(defaultModel());
    const json = await failure(service.saveProject({ path: join(dir, 'model.json'), project }));
    expect(json.code).toBe(ProjectErrorCode.invalidPath);
    expect(json.message).toBe(`${join(dir, 'model.json')}: Kiln saves projects as NAME.kiln.json: save as ${join(dir, 'model.kiln.json')}`);
    const relative = await failure(service.saveProject({ path: 'model.kiln.json', project }));
    expect(relative.message).toBe('model.kiln.json is not a full path: give the whole path, from the root folder or ~/');
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
    expect(withProjectSuffix('/a/model')).toBe('/a/model.kiln.json');
    expect(withProjectSuffix('/a/model.JSON')).toBe('/a/model.kiln.json');
  });

  it('refuses to save a document with problems, naming each field', async () => {
    const project = { ...newProject(defaultModel()), training: { ...defaultTrainingConfig(), epochs: 0 } };
    const err = await failure(service.saveProject({ path: join(dir, 'bad.kiln.json'), project }));
    expect(err.code).toBe(ProjectErrorCode.invalidProject);
    expect(err.message).toBe('the project to save: training.epochs must be a whole number of at least 1, not 0');
    expect(existsSync(join(dir, 'bad.kiln.json'))).toBe(false);
  });

  it('saves atomically: a failed write leaves neither a partial file nor a temporary one', async () => {
    const project = newProject(defaultModel());
    const missing = await failure(service.saveProject({ path: join(dir, 'no-such-folder', 'x.kiln.json'), project }));
    expect(missing.code).toBe(ProjectErrorCode.writeFailed);
    expect(missing.message).toBe(`${join(dir, 'no-such-folder', 'x.kiln.json')}: its folder ${join(dir, 'no-such-folder')} does not exist`);

    // The temporary file is written, then renaming it over a folder fails.
    const folder = join(dir, 'folder.kiln.json');
    mkdirSync(folder);
    const over = await failure(service.saveProject({ path: folder, project }));
    expect(over.code).toBe(ProjectErrorCode.writeFailed);
    expect(over.message).toBe(`${folder}: could not be written: ${folder} is a folder, not a file`);
    expect(readdirSync(folder)).toEqual([]);
    expect(tempFiles(dir)).toEqual([]);
  });
});

describe('ProjectService: importing Keras models', () => {
  const archive = join(dir, 'classifier.keras');
  const json = join(dir, 'classifier.json');
  beforeAll(async () => {
    await writeKerasArchive(archive);
    writeFileSync(json, JSON.stringify(kerasConfig));
  });

  it('imports a .keras archive as an editable graph with its weights, which saving keeps', async () => {
    const opened = await service.openProject({ path: archive });
    expect(opened).toMatchObject({ path: null, name: 'classifier', kind: 'keras-import', hasWeights: true, weightsFrom: archive });
    expect(opened.project.model.layers.map((l) => [l.name, l.type])).toEqual([['features', 'Input'], ['hidden', 'Dense'], ['probs', 'Dense']]);
    expect(opened.project.training).toMatchObject({ loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    expect(opened.notes).toEqual([
      `Imported 3 layers from ${archive} with its weights.`,
      'Its compile settings (loss, optimizer, metrics) became the training settings.',
    ]);

    const target = join(dir, 'classifier.kiln.json');
    const saved = await service.saveProject({ path: target, project: opened.project, weightsFrom: opened.weightsFrom });
    expect(saved).toMatchObject({ hasWeights: true, weightsFrom: join(dir, 'classifier.weights.npz'), notes: [] });
    const npz = parseNpz(readFileSync(join(dir, 'classifier.weights.npz')));
    expect(npz.get('hidden/kernel')?.shape).toEqual([4, 8]);
    expect([...npz.get('hidden/kernel')!.data]).toEqual([...kerasWeights['layers/dense'][0].data]);
    expect([...npz.get('probs/bias')!.data]).toEqual([1, 2, 3]);
    await expect(service.openProject({ path: target })).resolves.toMatchObject({ kind: 'project', hasWeights: true });
  });

  it('imports an uploaded archive (base64) without weights, and says so', async () => {
    const opened = await service.openProjectText({ fileName: 'classifier.keras', content: readFileSync(archive).toString('base64') });
    expect(opened).toMatchObject({ path: null, kind: 'keras-import', hasWeights: false });
    expect(opened.weightsFrom).toBeUndefined();
    expect(opened.notes[0]).toBe('Imported 3 layers from classifier.keras without its weights (an uploaded archive cannot lend them to the saved project: open it by its path for that).');
  });

  it('imports model.to_json() by path and by upload', async () => {
    const byPath = await service.openProject({ path: json });
    const byUpload = await service.openProjectText({ fileName: 'classifier.json', content: JSON.stringify(kerasConfig) });
    expect(byPath).toMatchObject({ kind: 'keras-import', hasWeights: false, name: 'classifier' });
    expect(byUpload.project).toEqual(byPath.project);
    expect(byPath.notes[0]).toBe(`Imported 3 layers from ${json} without weights (the file holds only the architecture).`);
  });

  it('names the uploaded file, not a temporary one, when an archive is damaged', async () => {
    const err = await failure(service.openProjectText({ fileName: 'broken.keras', content: Buffer.from('not a zip').toString('base64') }));
    expect(err.code).toBe(ProjectErrorCode.importFailed);
    expect(err.message).toMatch(/^broken\.keras: broken\.keras is not a \.keras archive: it is not a zip file/);
    expect(err.message).not.toContain(tmpdir());
  });
});

describe('ProjectService: errors in the user\'s terms', () => {
  it('points at the line and column of a JSON syntax error', async () => {
    const path = join(dir, 'syntax.kiln.json');
    writeFileSync(path, '{\n  "format": "kiln-project",\n  "version": 2\n  "model": {}\n}\n');
    const err = await failure(service.openProject({ path }));
    expect(err.code).toBe(ProjectErrorCode.invalidProject);
    expect(err.message).toBe(`${path}: is not valid JSON: expected ',' or '}', found "\\"" at line 4, column 3`);
    expect(err.details).toEqual({ file: path, problems: [`is not valid JSON: expected ',' or '}', found "\\"" at line 4, column 3`] });
  });

  it('names every invalid field with its line', async () => {
    const project = newProject(defaultModel()) as unknown as { model: { layers: { params: unknown }[] }; training: Record<string, unknown> };
    project.model.layers[1].params = 5;
    project.training.epochs = 'ten';
    const text = JSON.stringify(project, null, 2);
    const lines = text.split('\n');
    const line = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const err = await failure(service.openProjectText({ fileName: 'fields.kiln.json', content: text }));
    expect(err.message).toBe([
      'fields.kiln.json has 2 problems:',
      `  model.layers[1].params must be an object, not 5 (line ${line('"params": 5')})`,
      `  training.epochs must be a whole number of at least 1, not "ten" (line ${line('"epochs"')})`,
    ].join('\n'));
  });

  it('says which files it opens, and which file is missing', async () => {
    const onnx = await failure(service.openProject({ path: join(dir, 'model.onnx') }));
    expect(onnx.code).toBe(ProjectErrorCode.unsupportedFile);
    expect(onnx.message).toMatch(/model\.onnx: is not a file Kiln opens: Kiln opens projects \(NAME\.kiln\.json\) and Keras models/);
    const missing = await failure(service.openProject({ path: join(dir, 'nowhere.kiln.json') }));
    expect(missing.code).toBe(ProjectErrorCode.notFound);
    expect(missing.message).toBe(`${join(dir, 'nowhere.kiln.json')} does not exist`);
    const other = await failure(service.openProjectText({ fileName: 'package.json', content: '{"name": "x"}' }));
    expect(other.message).toBe('package.json: is neither a Kiln project (it has no "format": "kiln-project") nor a Keras model (model.to_json())');
  });

  it('finds field lines in nested JSON and falls back to the nearest field present', () => {
    const lines = jsonFieldLines('{\n "a": [\n  {"b": 1},\n  {\n   "c": "x\\"y"\n  }\n ]\n}');
    expect(Object.fromEntries(lines)).toEqual({ '': 1, a: 2, 'a[0]': 3, 'a[0].b': 3, 'a[1]': 4, 'a[1].c': 5 });
    expect(withLine('a[1].d is not a known field', lines)).toBe('a[1].d is not a known field (line 4)');
    expect(withLine('not a Kiln project', lines)).toBe('not a Kiln project');
    expect(() => jsonFieldLines('[1, 2,]')).toThrow('expected a value, found "]" at line 1, column 7');
    expect(() => jsonFieldLines('{"a": "open')).toThrow('a string is not closed at line 1, column 12');
  });
});

describe('ProjectService: recent projects', () => {
  it('lists the last 10 opened or saved, most recent first, leaving out missing files', async () => {
    const folder = join(dir, 'recent');
    mkdirSync(folder);
    const local = new ProjectService(join(folder, 'config'));
    await expect(local.recentProjects()).resolves.toEqual([]);
    const pathOf = (i: number) => join(folder, `p${i}.kiln.json`);
    for (let i = 0; i < 12; i++) await local.saveProject({ path: pathOf(i), project: newProject(defaultModel()) });
    let recent = await local.recentProjects();
    expect(recent).toHaveLength(RECENT_PROJECTS_MAX);
    expect(recent.map((r) => r.name)).toEqual(['p11', 'p10', 'p9', 'p8', 'p7', 'p6', 'p5', 'p4', 'p3', 'p2']);

    utimesSync(pathOf(5), new Date('2025-03-04T05:06:07Z'), new Date('2025-03-04T05:06:07Z'));
    await local.openProject({ path: pathOf(5) });
    rmSync(pathOf(10));
    recent = await local.recentProjects();
    expect(recent.map((r) => r.name)).toEqual(['p5', 'p11', 'p9', 'p8', 'p7', 'p6', 'p4', 'p3', 'p2']);
    expect(recent[0]).toEqual({ path: pathOf(5), name: 'p5', savedAt: '2025-03-04T05:06:07.000Z' });
  });

  it('keeps settings in KILN_CONFIG_DIR, else $XDG_CONFIG_HOME/kiln, else ~/.config/kiln', () => {
    expect(kilnConfigDir({ KILN_CONFIG_DIR: '/c', XDG_CONFIG_HOME: '/x' })).toBe('/c');
    expect(kilnConfigDir({ XDG_CONFIG_HOME: '/x' })).toBe(join('/x', 'kiln'));
    expect(kilnConfigDir({})).toMatch(/[\\/]\.config[\\/]kiln$/);
  });
});

describe('ProjectService: autosave and recovery', () => {
  it('writes, recovers and clears the unsaved document', async () => {
    const local = new ProjectService(join(dir, 'autosave-config'));
    await expect(local.recoverAutosave()).resolves.toBeNull();
    const project = { ...newProject(defaultModel()), data: 'sample:iris' };
    const { savedAt } = await local.autosave({ project, path: null, name: 'Untitled' });
    expect(Date.parse(savedAt)).not.toBeNaN();
    await expect(local.recoverAutosave()).resolves.toEqual({ project, path: null, name: 'Untitled', savedAt });
    const again = await local.autosave({ project, path: '/p/iris.kiln.json', name: 'iris', weightsFrom: '/p/iris.weights.npz' });
    await expect(local.recoverAutosave()).resolves.toEqual({ project, path: '/p/iris.kiln.json', name: 'iris', weightsFrom: '/p/iris.weights.npz', savedAt: again.savedAt });
    expect(tempFiles(join(dir, 'autosave-config'))).toEqual([]);
    await local.clearAutosave();
    await expect(local.recoverAutosave()).resolves.toBeNull();
    await expect(local.clearAutosave()).resolves.toBeUndefined();
  });

  it('refuses to autosave junk, and reports a damaged autosave file so the user can discard it', async () => {
    const config = join(dir, 'damaged-config');
    const local = new ProjectService(config);
    const junk = await failure(local.autosave({ project: { format: 'kiln-project', version: 2 } as unknown as ProjectFile, name: 'x' }));
    expect(junk.message.split('\n').slice(0, 2)).toEqual(['the document to autosave has 2 problems:', '  model must be an object, not undefined']);
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'autosave.json'), '{"format": "kiln-autosave", "trunc');
    const damaged = await failure(local.recoverAutosave());
    expect(damaged.message).toBe(`${join(config, 'autosave.json')}: the autosaved document is damaged (it is not valid JSON): discard it`);
    await local.clearAutosave();
    await expect(local.recoverAutosave()).resolves.toBeNull();
  });
});

describe.skipIf(!existsSync(paths.engineHostEntry))('the engine host process', () => {
  it('serves the project service on the same connection as the engine', async () => {
    const config = join(dir, 'host-config');
    const previous = process.env.KILN_CONFIG_DIR;
    process.env.KILN_CONFIG_DIR = config;
    const engine = EngineProcess.start();
    try {
      const client = new RpcClient(engine.transport);
      const api = createProxy<IEngineService & IProjectService>(client);
      await expect(api.ping()).resolves.toMatchObject({ pid: engine.pid });
      const path = join(dir, 'via-host.kiln.json');
      await api.saveProject({ path, project: newProject(defaultModel()) });
      await expect(api.recentProjects()).resolves.toEqual([expect.objectContaining({ path, name: 'via-host' })]);
      expect(parseProject(readFileSync(path, 'utf8')).ok).toBe(true);
      // Only the services' methods are served, not their fields.
      await expect(client.call('emit', {})).rejects.toMatchObject({ code: 'RPC_UNKNOWN_METHOD' });
    } finally {
      await engine.stop();
      if (previous === undefined) delete process.env.KILN_CONFIG_DIR;
      else process.env.KILN_CONFIG_DIR = previous;
    }
  });
});
