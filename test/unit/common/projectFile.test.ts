// The project file: validation with field paths, defaults, migrations, newer versions refused.
import { describe, expect, it } from 'vitest';
import { analyzeModel, defaultModel, defaultTrainingConfig, lowerModel, type ModelDoc } from '../../../common/model/index.js';
import { newProject, parseProject, projectName, serializeProject, validateTrainingConfig, weightsFileFor } from '../../../common/project/projectFile.js';

const errorsOf = (doc: unknown) => {
  const r = parseProject(doc);
  return r.ok ? [] : r.errors;
};

describe('project files', () => {
  it('round-trips a project through its text', () => {
    const project = { ...newProject(defaultModel()), weights: 'iris.weights.npz', data: 'sample:iris' };
    const text = serializeProject(project);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseProject(text)).toEqual({ ok: true, project });
  });

  it('migrates version 1 (model only) to the current version with default training settings', () => {
    const r = parseProject({ format: 'kiln-project', version: 1, model: defaultModel() });
    expect(r).toEqual({ ok: true, project: { format: 'kiln-project', version: 2, model: defaultModel(), training: defaultTrainingConfig() }, migratedFrom: 1 });
  });

  it('refuses a project made by a newer Kiln, and what is not a project', () => {
    expect(errorsOf({ format: 'kiln-project', version: 7, model: {} })).toEqual(['made by a newer Kiln (version 7): update Kiln to open it']);
    expect(errorsOf('{"format": "something"}')[0]).toMatch(/^not a Kiln project: "format" must be "kiln-project", not "something"/);
    expect(errorsOf('{oops')[0]).toMatch(/^the file is not valid JSON/);
    expect(errorsOf({ format: 'kiln-project', version: 'two' })).toEqual(['version must be a whole number of at least 1, not "two"']);
  });

  it('names the path of every bad field', () => {
    const model = defaultModel();
    const doc = {
      format: 'kiln-project', version: 2,
      model: { ...model, layers: [...model.layers.slice(0, 2), { ...model.layers[2], params: [] }, { id: 'x', name: 3, type: 'Dense', params: {} }], edges: [{ from: 'input', to: 1 }] },
      training: { ...defaultTrainingConfig(), batchSize: 0, loss: 'hinge', optimizer: { type: 'adam', learningRate: -1 }, metrics: ['accuracy', 'f1'], validationSplit: 1, callbacks: { earlyStopping: { patience: 1.5 }, reduceLROnPlateau: { factor: 2 } } },
      weights: 'w.bin',
      colour: 'red',
    };
    expect(errorsOf(doc)).toEqual([
      'colour is not a known field (known: format, version, model, training, weights, data)',
      'model.layers[2].params must be an object, not a list',
      'model.layers[3].name must be a string, not 3',
      'model.edges[0].to must be a string, not 1',
      'training.loss must be one of "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error", "mean_absolute_error", "huber", not "hinge"',
      'training.optimizer.learningRate must be a number above 0, not -1',
      'training.metrics[1] must be one of "accuracy", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy", "mean_absolute_error", "mean_squared_error", not "f1"',
      'training.batchSize must be a whole number of at least 1, not 0',
      'training.validationSplit must be a number of at least 0 and below 1, not 1',
      'training.callbacks.earlyStopping.patience must be a whole number of at least 0, not 1.5',
      'training.callbacks.reduceLROnPlateau.factor must be a number above 0 and below 1, not 2',
      'weights must name a .npz file, not "w.bin"',
    ]);
  });

  it("fills absent training fields and callback settings with Keras's defaults", () => {
    const r = validateTrainingConfig({ epochs: 3, loss: { out: 'mean_squared_error', cls: { type: 'binary_crossentropy', fromLogits: true } }, callbacks: { earlyStopping: { monitor: 'val_accuracy' }, reduceLROnPlateau: {} } });
    expect(r.ok && r.config).toEqual({
      ...defaultTrainingConfig(),
      epochs: 3,
      loss: { out: 'mean_squared_error', cls: { type: 'binary_crossentropy', fromLogits: true } },
      callbacks: {
        earlyStopping: { monitor: 'val_accuracy', patience: 0, minDelta: 0, mode: 'auto', restoreBestWeights: false },
        reduceLROnPlateau: { monitor: 'val_loss', factor: 0.1, patience: 10, minDelta: 1e-4, cooldown: 0, minLr: 0 },
      },
    });
  });

  it("takes Keras's dtype policies, mixed_float16 (with loss scaling) included, and lowers them to the engine", () => {
    for (const precision of ['float32', 'mixed_bfloat16', 'mixed_float16'] as const) {
      const r = validateTrainingConfig({ precision });
      expect(r.ok && r.config.precision).toBe(precision);
    }
    expect(errorsOf({ format: 'kiln-project', version: 2, model: defaultModel(), training: { ...defaultTrainingConfig(), precision: 'float16' } })).toEqual([
      'training.precision must be one of "float32", "mixed_bfloat16", "mixed_float16", not "float16"',
    ]);
    const threads = validateTrainingConfig({ cpuThreads: 3 });
    expect(threads.ok && threads.config.cpuThreads).toBe(3);
    expect(errorsOf({ format: 'kiln-project', version: 2, model: defaultModel(), training: { ...defaultTrainingConfig(), cpuThreads: 0 } })).toEqual([
      expect.stringMatching(/^training\.cpuThreads must be .*1/),
    ]);
    const lowered = lowerModel(defaultModel(), { ...defaultTrainingConfig(), precision: 'mixed_float16' });
    expect(lowered.ok && lowered.spec.precision).toBe('mixed_float16');
  });

  it("keeps the editor's layout: positions and groups round-trip", () => {
    const model: ModelDoc = {
      ...defaultModel(),
      layout: {
        positions: { input: { x: 0, y: 0 }, dense_1: { x: 0, y: 120 }, dense_2: { x: 12.5, y: 240 } },
        groups: [{ id: 'group', name: 'head', layerIds: ['dense_1', 'dense_2'], collapsed: true }],
      },
    };
    const project = newProject(model);
    expect(parseProject(serializeProject(project))).toEqual({ ok: true, project });
  });

  it('names the path of every bad layout field', () => {
    const layout = {
      positions: { input: { x: 0, y: '1' }, dense_1: [], ghost: { x: 0, y: 0 }, dense_2: { x: 0, y: 0, z: 1 } },
      groups: [
        { id: 'g', name: 'head', layerIds: ['dense_2', 'gone', 3], collapsed: 'yes' },
        { id: 'g', name: '', layerIds: 'dense_1', collapsed: false },
        7,
      ],
      zoom: 2,
    };
    expect(errorsOf({ format: 'kiln-project', version: 2, model: { ...defaultModel(), layout }, training: defaultTrainingConfig() })).toEqual([
      'model.layout.zoom is not a known field (known: positions, groups)',
      'model.layout.positions.input.y must be a number, not "1"',
      'model.layout.positions.dense_1 must be an object, not a list',
      'model.layout.positions.ghost names no layer of the model ("ghost"): remove it',
      'model.layout.positions.dense_2.z is not a known field (known: x, y)',
      'model.layout.groups[0].collapsed must be true or false, not "yes"',
      'model.layout.groups[0].layerIds[1] names no layer of the model ("gone"): remove it',
      'model.layout.groups[0].layerIds[2] must be a string, not 3',
      'model.layout.groups[1].id repeats the group id "g": give each group its own',
      'model.layout.groups[1].name must not be empty',
      'model.layout.groups[1].layerIds must be a list of layer ids, not "dense_1"',
      'model.layout.groups[2] must be an object, not 7',
    ]);
    expect(errorsOf({ format: 'kiln-project', version: 2, model: { ...defaultModel(), layout: [] }, training: defaultTrainingConfig() })).toEqual(['model.layout must be an object, not a list']);
  });

  it('leaves the engine blind to the layout', () => {
    const laidOut: ModelDoc = { ...defaultModel(), layout: { positions: { input: { x: 1, y: 2 } }, groups: [{ id: 'g', name: 'all', layerIds: ['input'], collapsed: false }] } };
    expect(analyzeModel(laidOut)).toEqual(analyzeModel(defaultModel()));
    expect(lowerModel(laidOut, defaultTrainingConfig())).toEqual(lowerModel(defaultModel(), defaultTrainingConfig()));
  });

  it('derives file names from the project name', () => {
    expect(projectName('/a/b/mnist.kiln.json')).toBe('mnist');
    expect(weightsFileFor('mnist.kiln.json')).toBe('mnist.weights.npz');
  });
});
