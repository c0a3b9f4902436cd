/**
 * The project file, `NAME.kiln.json`: the model document, how to train it, and where its weights
 * and data are. Versioned; `parseProject` validates it field by field (messages name the field
 * path, e.g. "model.layers[3].params must be an object") and migrates older versions. Pure: the
 * host reads and writes the bytes (electron/host/project/projectStore.ts).
 */
import type { LossName, MetricName, OptimizerSpec } from '../model/engineSpec.js';
import type { EdgeDoc, GroupDoc, LayerDoc, LayoutDoc, ModelDoc, ParamValue, Point } from '../model/ModelDoc.js';
import { defaultTrainingConfig, MAX_CPU_THREADS, PRECISIONS, TRAINING_DEVICES, type LossConfig, type TrainingConfig } from '../model/trainingConfig.js';

export const PROJECT_FORMAT = 'kiln-project';
export const PROJECT_VERSION = 2;
export const PROJECT_SUFFIX = '.kiln.json';

export interface ProjectFile {
  format: typeof PROJECT_FORMAT;
  version: typeof PROJECT_VERSION;
  model: ModelDoc;
  training: TrainingConfig;
  /** The weights file beside the project, `NAME.weights.npz` (keys: `<layer>/<weight>`). */
  weights?: string;
  /** The data to train on: `sample:iris`, a path to a .npz, ... (a dataset spec). */
  data?: string;
}

export type ParseProjectResult =
  | { ok: true; project: ProjectFile; migratedFrom?: number }
  | { ok: false; errors: string[] };

export function newProject(model: ModelDoc, training: TrainingConfig = defaultTrainingConfig()): ProjectFile {
  return { format: PROJECT_FORMAT, version: PROJECT_VERSION, model, training };
}

/** The file's text: stable, indented JSON ending in a newline. */
export function serializeProject(project: ProjectFile): string {
  const ordered: ProjectFile = { format: project.format, version: project.version, model: project.model, training: project.training };
  if (project.weights !== undefined) ordered.weights = project.weights;
  if (project.data !== undefined) ordered.data = project.data;
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** `NAME` of `.../NAME.kiln.json` (or of any file name, without its last extension). */
export function projectName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base.endsWith(PROJECT_SUFFIX) ? base.slice(0, -PROJECT_SUFFIX.length) : base.replace(/\.[^.]*$/, '');
}

/** The weights file name that goes with a project file name. */
export function weightsFileFor(fileName: string): string {
  return `${projectName(fileName)}.weights.npz`;
}

// ---------------------------------------------------------------------------------------------

type Json = unknown;

export const LOSSES: readonly LossName[] = ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy', 'mean_squared_error', 'mean_absolute_error', 'huber'];
export const METRICS: readonly MetricName[] = ['accuracy', 'sparse_categorical_accuracy', 'categorical_accuracy', 'binary_accuracy', 'mean_absolute_error', 'mean_squared_error'];
export const OPTIMIZERS: readonly OptimizerSpec['type'][] = ['sgd', 'adam', 'adamw', 'rmsprop'];
const SCHEDULES = ['constant', 'exponential', 'cosine', 'piecewise', 'warmup'] as const;
const MODES = ['auto', 'min', 'max'] as const;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Collects problems under a field path. */
class Checker {
  readonly errors: string[] = [];

  fail(path: string, message: string): void {
    this.errors.push(`${path} ${message}`);
  }

  object(v: Json, path: string): Record<string, Json> | undefined {
    if (isObject(v)) return v;
    this.fail(path, `must be an object, not ${describe(v)}`);
    return undefined;
  }

  string(v: Json, path: string, { empty = false } = {}): string | undefined {
    if (typeof v === 'string' && (empty || v !== '')) return v;
    this.fail(path, typeof v === 'string' ? 'must not be empty' : `must be a string, not ${describe(v)}`);
    return undefined;
  }

  oneOf<T extends string>(v: Json, path: string, options: readonly T[]): T | undefined {
    if (typeof v === 'string' && (options as readonly string[]).includes(v)) return v as T;
    this.fail(path, `must be one of ${options.map((o) => `"${o}"`).join(', ')}, not ${describe(v)}`);
    return undefined;
  }

  number(v: Json, path: string, opts: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean; integer?: boolean } = {}): number | undefined {
    const { min, max, exclusiveMin, exclusiveMax, integer } = opts;
    const ok = typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v))
      && (min === undefined || (exclusiveMin ? v > min : v >= min)) && (max === undefined || (exclusiveMax ? v < max : v <= max));
    if (ok) return v;
    const what = integer ? 'a whole number' : 'a number';
    const range = [
      min !== undefined ? `${exclusiveMin ? 'above' : 'of at least'} ${min}` : '',
      max !== undefined ? `${exclusiveMax ? 'below' : 'at most'} ${max}` : '',
    ].filter(Boolean).join(' and ');
    this.fail(path, `must be ${what}${range ? ` ${range}` : ''}, not ${describe(v)}`);
    return undefined;
  }

  boolean(v: Json, path: string): boolean | undefined {
    if (typeof v === 'boolean') return v;
    this.fail(path, `must be true or false, not ${describe(v)}`);
    return undefined;
  }

  /** Flags keys the schema does not know (a typo would otherwise be silently ignored). */
  known(o: Record<string, Json>, path: string, keys: readonly string[]): void {
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(path ? `${path}.${k}` : k, `is not a known field (known: ${keys.join(', ')})`);
  }
}

function isParamValue(v: Json): v is ParamValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isParamValue);
  if (isObject(v)) return Object.values(v).every(isParamValue);
  return false;
}

function checkModel(c: Checker, v: Json, path: string): ModelDoc | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  c.known(o, path, ['layers', 'edges', 'outputs', 'layout']);
  const before = c.errors.length;
  const layers: LayerDoc[] = [];
  if (!Array.isArray(o.layers)) c.fail(`${path}.layers`, `must be a list of layers, not ${describe(o.layers)}`);
  else {
    o.layers.forEach((l, i) => {
      const p = `${path}.layers[${i}]`;
      const layer = c.object(l, p);
      if (!layer) return;
      c.known(layer, p, ['id', 'name', 'type', 'params']);
      const id = c.string(layer.id, `${p}.id`);
      const name = c.string(layer.name, `${p}.name`);
      const type = c.string(layer.type, `${p}.type`);
      const params = layer.params === undefined ? {} : c.object(layer.params, `${p}.params`);
      if (params) {
        for (const [key, value] of Object.entries(params)) {
          if (!isParamValue(value)) c.fail(`${p}.params.${key}`, 'must be a number, string, boolean, null, or a list or object of those');
        }
      }
      if (id !== undefined && name !== undefined && type !== undefined && params) layers.push({ id, name, type, params: params as Record<string, ParamValue> });
    });
  }
  const edges: EdgeDoc[] = [];
  if (!Array.isArray(o.edges)) c.fail(`${path}.edges`, `must be a list of connections, not ${describe(o.edges)}`);
  else {
    o.edges.forEach((e, i) => {
      const p = `${path}.edges[${i}]`;
      const edge = c.object(e, p);
      if (!edge) return;
      c.known(edge, p, ['from', 'to', 'index']);
      const from = c.string(edge.from, `${p}.from`);
      const to = c.string(edge.to, `${p}.to`);
      const index = edge.index === undefined ? undefined : c.number(edge.index, `${p}.index`, { min: 0, integer: true });
      if (from !== undefined && to !== undefined) edges.push(index === undefined ? { from, to } : { from, to, index });
    });
  }
  let outputs: string[] | undefined;
  if (o.outputs !== undefined) {
    if (!Array.isArray(o.outputs)) c.fail(`${path}.outputs`, `must be a list of layer ids, not ${describe(o.outputs)}`);
    else outputs = o.outputs.map((x, i) => c.string(x, `${path}.outputs[${i}]`) ?? '');
  }
  const layout = o.layout === undefined ? undefined : checkLayout(c, o.layout, `${path}.layout`, new Set(layers.map((l) => l.id)));
  if (c.errors.length > before) return undefined;
  const model: ModelDoc = { layers, edges };
  if (outputs) model.outputs = outputs;
  if (layout) model.layout = layout;
  return model;
}

/** The editor's positions and groups; they must name layers of the model. */
function checkLayout(c: Checker, v: Json, path: string, layerIds: ReadonlySet<string>): LayoutDoc | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  c.known(o, path, ['positions', 'groups']);
  const layerId = (id: string, p: string) => {
    if (!layerIds.has(id)) c.fail(p, `names no layer of the model ("${id}"): remove it`);
  };
  const layout: LayoutDoc = {};
  if (o.positions !== undefined) {
    const positions = c.object(o.positions, `${path}.positions`);
    if (positions) {
      const points: Record<string, Point> = {};
      for (const [id, at] of Object.entries(positions)) {
        const p = `${path}.positions.${id}`;
        layerId(id, p);
        const point = c.object(at, p);
        if (!point) continue;
        c.known(point, p, ['x', 'y']);
        const x = c.number(point.x, `${p}.x`);
        const y = c.number(point.y, `${p}.y`);
        if (x !== undefined && y !== undefined) points[id] = { x, y };
      }
      layout.positions = points;
    }
  }
  if (o.groups !== undefined) {
    if (!Array.isArray(o.groups)) c.fail(`${path}.groups`, `must be a list of groups, not ${describe(o.groups)}`);
    else {
      const ids = new Set<string>();
      const groups: GroupDoc[] = [];
      o.groups.forEach((g, i) => {
        const p = `${path}.groups[${i}]`;
        const group = c.object(g, p);
        if (!group) return;
        c.known(group, p, ['id', 'name', 'layerIds', 'collapsed']);
        const id = c.string(group.id, `${p}.id`);
        if (id !== undefined && ids.has(id)) c.fail(`${p}.id`, `repeats the group id "${id}": give each group its own`);
        if (id !== undefined) ids.add(id);
        const name = c.string(group.name, `${p}.name`);
        const collapsed = c.boolean(group.collapsed, `${p}.collapsed`);
        let members: string[] | undefined;
        if (!Array.isArray(group.layerIds)) c.fail(`${p}.layerIds`, `must be a list of layer ids, not ${describe(group.layerIds)}`);
        else {
          members = group.layerIds.map((x, j) => {
            const member = c.string(x, `${p}.layerIds[${j}]`);
            if (member !== undefined) layerId(member, `${p}.layerIds[${j}]`);
            return member ?? '';
          });
        }
        if (id !== undefined && name !== undefined && collapsed !== undefined && members) groups.push({ id, name, layerIds: members, collapsed });
      });
      layout.groups = groups;
    }
  }
  return layout;
}

function checkLoss(c: Checker, v: Json, path: string): LossName | LossConfig | undefined {
  if (typeof v === 'string') return c.oneOf(v, path, LOSSES);
  const o = c.object(v, path);
  if (!o) return undefined;
  c.known(o, path, ['type', 'fromLogits', 'delta']);
  const type = c.oneOf(o.type, `${path}.type`, LOSSES);
  const out: LossConfig = { type: type ?? 'mean_squared_error' };
  if (o.fromLogits !== undefined) out.fromLogits = c.boolean(o.fromLogits, `${path}.fromLogits`);
  if (o.delta !== undefined) out.delta = c.number(o.delta, `${path}.delta`, { min: 0, exclusiveMin: true });
  return out;
}

function checkOptimizer(c: Checker, v: Json, path: string): OptimizerSpec | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  const numbers = ['learningRate', 'momentum', 'beta1', 'beta2', 'epsilon', 'rho', 'weightDecay', 'clipnorm', 'globalClipnorm', 'clipvalue'] as const;
  c.known(o, path, ['type', ...numbers, 'nesterov', 'centered', 'schedule']);
  const type = c.oneOf(o.type, `${path}.type`, OPTIMIZERS);
  const out: OptimizerSpec = { type: type ?? 'adam' };
  for (const key of numbers) {
    if (o[key] === undefined) continue;
    const bounded = key === 'momentum' || key === 'beta1' || key === 'beta2' || key === 'rho';
    const n = c.number(o[key], `${path}.${key}`, bounded ? { min: 0, max: 1, exclusiveMax: true } : key === 'learningRate' || key === 'epsilon' ? { min: 0, exclusiveMin: true } : { min: 0 });
    if (n !== undefined) out[key] = n;
  }
  for (const key of ['nesterov', 'centered'] as const) {
    if (o[key] !== undefined) out[key] = c.boolean(o[key], `${path}.${key}`);
  }
  if (o.schedule !== undefined) {
    const s = c.object(o.schedule, `${path}.schedule`);
    if (s) {
      const p = `${path}.schedule`;
      c.known(s, p, ['type', 'decaySteps', 'decayRate', 'staircase', 'alpha', 'warmupSteps', 'warmupTarget', 'boundaries', 'values']);
      const schedule: NonNullable<OptimizerSpec['schedule']> = { type: c.oneOf(s.type, `${p}.type`, SCHEDULES) ?? 'constant' };
      for (const key of ['decaySteps', 'decayRate', 'alpha', 'warmupSteps', 'warmupTarget'] as const) {
        if (s[key] !== undefined) schedule[key] = c.number(s[key], `${p}.${key}`, { min: 0 });
      }
      if (s.staircase !== undefined) schedule.staircase = c.boolean(s.staircase, `${p}.staircase`);
      for (const key of ['boundaries', 'values'] as const) {
        if (s[key] === undefined) continue;
        const list = s[key];
        if (!Array.isArray(list)) c.fail(`${p}.${key}`, `must be a list of numbers, not ${describe(list)}`);
        else schedule[key] = list.map((x, i) => c.number(x, `${p}.${key}[${i}]`) ?? 0);
      }
      out.schedule = schedule;
    }
  }
  return out;
}

function checkCallbacks(c: Checker, v: Json, path: string): TrainingConfig['callbacks'] {
  const o = c.object(v, path);
  const out: TrainingConfig['callbacks'] = {};
  if (!o) return out;
  c.known(o, path, ['earlyStopping', 'modelCheckpoint', 'reduceLROnPlateau']);
  const field = <T>(cb: Record<string, Json>, p: string, key: string, fallback: T, check: (x: Json, q: string) => T | undefined): T =>
    cb[key] === undefined ? fallback : (check(cb[key], `${p}.${key}`) ?? fallback);
  const monitor = (x: Json, q: string) => c.string(x, q);
  const mode = (x: Json, q: string) => c.oneOf(x, q, MODES);
  const count = (x: Json, q: string) => c.number(x, q, { min: 0, integer: true });
  const nonNegative = (x: Json, q: string) => c.number(x, q, { min: 0 });
  const bool = (x: Json, q: string) => c.boolean(x, q);
  if (o.earlyStopping !== undefined) {
    const p = `${path}.earlyStopping`;
    const cb = c.object(o.earlyStopping, p);
    if (cb) {
      c.known(cb, p, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights']);
      out.earlyStopping = {
        monitor: field(cb, p, 'monitor', 'val_loss', monitor),
        patience: field(cb, p, 'patience', 0, count),
        minDelta: field(cb, p, 'minDelta', 0, nonNegative),
        mode: field(cb, p, 'mode', 'auto' as const, mode),
        restoreBestWeights: field(cb, p, 'restoreBestWeights', false, bool),
      };
    }
  }
  if (o.modelCheckpoint !== undefined) {
    const p = `${path}.modelCheckpoint`;
    const cb = c.object(o.modelCheckpoint, p);
    if (cb) {
      c.known(cb, p, ['monitor', 'saveBestOnly', 'mode']);
      out.modelCheckpoint = {
        monitor: field(cb, p, 'monitor', 'val_loss', monitor),
        saveBestOnly: field(cb, p, 'saveBestOnly', false, bool),
        mode: field(cb, p, 'mode', 'auto' as const, mode),
      };
    }
  }
  if (o.reduceLROnPlateau !== undefined) {
    const p = `${path}.reduceLROnPlateau`;
    const cb = c.object(o.reduceLROnPlateau, p);
    if (cb) {
      c.known(cb, p, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr']);
      out.reduceLROnPlateau = {
        monitor: field(cb, p, 'monitor', 'val_loss', monitor),
        factor: field(cb, p, 'factor', 0.1, (x, q) => c.number(x, q, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true })),
        patience: field(cb, p, 'patience', 10, count),
        minDelta: field(cb, p, 'minDelta', 1e-4, nonNegative),
        cooldown: field(cb, p, 'cooldown', 0, count),
        minLr: field(cb, p, 'minLr', 0, nonNegative),
      };
    }
  }
  return out;
}

/** Validates a training configuration; absent fields take Kiln's defaults (Keras's where Keras has one). */
function checkTrainingConfig(c: Checker, v: Json, path: string): TrainingConfig | undefined {
  const o = c.object(v, path);
  if (!o) return undefined;
  const before = c.errors.length;
  c.known(o, path, ['loss', 'optimizer', 'metrics', 'batchSize', 'epochs', 'validationSplit', 'seed', 'device', 'precision', 'gpuMemoryLimitMiB', 'cpuThreads', 'callbacks']);
  const out = defaultTrainingConfig();
  if (o.loss !== undefined) {
    if (typeof o.loss === 'string' || (isObject(o.loss) && 'type' in o.loss)) out.loss = checkLoss(c, o.loss, `${path}.loss`) ?? out.loss;
    else {
      const per = c.object(o.loss, `${path}.loss`);
      if (per) {
        const losses: Record<string, LossName | LossConfig> = {};
        for (const [name, l] of Object.entries(per)) {
          const loss = checkLoss(c, l, `${path}.loss.${name}`);
          if (loss) losses[name] = loss;
        }
        out.loss = losses;
      }
    }
  }
  if (o.optimizer !== undefined) out.optimizer = checkOptimizer(c, o.optimizer, `${path}.optimizer`) ?? out.optimizer;
  if (o.metrics !== undefined) {
    if (!Array.isArray(o.metrics)) c.fail(`${path}.metrics`, `must be a list of metric names, not ${describe(o.metrics)}`);
    else out.metrics = o.metrics.map((m, i) => c.oneOf(m, `${path}.metrics[${i}]`, METRICS) ?? 'accuracy');
  }
  if (o.batchSize !== undefined) out.batchSize = c.number(o.batchSize, `${path}.batchSize`, { min: 1, integer: true }) ?? out.batchSize;
  if (o.epochs !== undefined) out.epochs = c.number(o.epochs, `${path}.epochs`, { min: 1, integer: true }) ?? out.epochs;
  if (o.validationSplit !== undefined) out.validationSplit = c.number(o.validationSplit, `${path}.validationSplit`, { min: 0, max: 1, exclusiveMax: true }) ?? 0;
  if (o.seed !== undefined) out.seed = c.number(o.seed, `${path}.seed`, { min: 0, integer: true }) ?? out.seed;
  if (o.device !== undefined) out.device = c.oneOf(o.device, `${path}.device`, TRAINING_DEVICES);
  if (o.precision !== undefined) out.precision = c.oneOf(o.precision, `${path}.precision`, PRECISIONS);
  if (o.gpuMemoryLimitMiB !== undefined) out.gpuMemoryLimitMiB = c.number(o.gpuMemoryLimitMiB, `${path}.gpuMemoryLimitMiB`, { min: 1, integer: true });
  if (o.cpuThreads !== undefined) out.cpuThreads = c.number(o.cpuThreads, `${path}.cpuThreads`, { min: 1, max: MAX_CPU_THREADS, integer: true });
  if (o.callbacks !== undefined) out.callbacks = checkCallbacks(c, o.callbacks, `${path}.callbacks`);
  return c.errors.length > before ? undefined : out;
}

/** Validates a training configuration on its own (a request, a CLI override): the problems, or none. */
export function validateTrainingConfig(v: unknown, path = 'training'): { ok: true; config: TrainingConfig } | { ok: false; errors: string[] } {
  const c = new Checker();
  const config = checkTrainingConfig(c, v, path);
  return config && c.errors.length === 0 ? { ok: true, config } : { ok: false, errors: c.errors };
}

// ---------------------------------------------------------------------------------------------
// Migrations: each takes the document of version N and returns version N + 1.

const MIGRATIONS: Record<number, (doc: Record<string, Json>) => Record<string, Json>> = {
  // Version 1 held only the model (Input and Dense layers, same document shape); training settings
  // arrived in version 2 and take their defaults.
  1: (doc) => ({ ...doc, version: 2, training: doc.training ?? defaultTrainingConfig() }),
};

/** Parses a project file's text (or already-parsed JSON): validated, migrated to the current version, or every problem found. */
export function parseProject(input: string | unknown): ParseProjectResult {
  let doc: Json = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      return { ok: false, errors: [`the file is not valid JSON (${(err as Error).message})`] };
    }
  }
  if (!isObject(doc) || doc.format !== PROJECT_FORMAT) {
    return { ok: false, errors: [`not a Kiln project: "format" must be "${PROJECT_FORMAT}"${isObject(doc) && doc.format !== undefined ? `, not ${describe(doc.format)}` : ''}`] };
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, errors: [`version must be a whole number of at least 1, not ${describe(version)}`] };
  }
  if (version > PROJECT_VERSION) {
    return { ok: false, errors: [`made by a newer Kiln (version ${version}): update Kiln to open it`] };
  }
  let migrated = doc;
  for (let v = version; v < PROJECT_VERSION; v++) migrated = MIGRATIONS[v](migrated);

  const c = new Checker();
  c.known(migrated, '', ['format', 'version', 'model', 'training', 'weights', 'data']);
  const model = checkModel(c, migrated.model, 'model');
  const training = checkTrainingConfig(c, migrated.training, 'training');
  const weights = migrated.weights === undefined ? undefined : c.string(migrated.weights, 'weights');
  if (weights !== undefined && !weights.endsWith('.npz')) c.fail('weights', `must name a .npz file, not ${describe(weights)}`);
  const data = migrated.data === undefined ? undefined : c.string(migrated.data, 'data');
  if (c.errors.length > 0 || !model || !training) return { ok: false, errors: c.errors };
  const project: ProjectFile = { format: PROJECT_FORMAT, version: PROJECT_VERSION, model, training };
  if (weights !== undefined) project.weights = weights;
  if (data !== undefined) project.data = data;
  return version < PROJECT_VERSION ? { ok: true, project, migratedFrom: version } : { ok: true, project };
}
