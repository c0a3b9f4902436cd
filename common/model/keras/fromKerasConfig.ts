/**
 * Converts a Keras model config (`model.to_json()`, or a `.keras` archive's config.json) of a
 * Sequential or Functional model into Kiln's document: one layer per Keras layer, with its name,
 * class and the parameters Kiln's catalogue knows; edges from the Functional graph; and the
 * compile config as training settings. Keras 3's format `{module, class_name, config,
 * registered_name, build_config}` and Keras 2's `{class_name, config}` are both read. Whatever
 * Kiln cannot represent is reported as an issue naming the layer, never silently dropped.
 */
import type { ModelIssue } from '../analyzeModel.js';
import type { InitializerName, LearningRateSchedule, LossName, MetricName, OptimizerSpec } from '../engineSpec.js';
import { layerDef, type LayerDef } from '../layers/index.js';
import type { EdgeDoc, LayerDoc, ModelDoc, ParamValue } from '../ModelDoc.js';
import type { LossConfig, TrainingConfig } from '../trainingConfig.js';

export interface KerasImportResult {
  model: ModelDoc;
  training?: Partial<TrainingConfig>;
  issues: ModelIssue[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function describe(v: unknown): string {
  if (isObj(v) && typeof v.class_name === 'string') {
    const cfg = isObj(v.config) ? Object.entries(v.config).filter(([k, x]) => x !== null && k !== 'name' && k !== 'seed') : [];
    return `${v.class_name}(${cfg.map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(', ')})`;
  }
  return JSON.stringify(v) ?? String(v);
}

/** Keras 3 wraps tuples and arrays in config values: `{class_name: '__tuple__', config: {value}}`. */
function unwrap(v: unknown): ParamValue {
  if (Array.isArray(v)) return v.map(unwrap);
  if (isObj(v)) {
    if ((v.class_name === '__tuple__' || v.class_name === '__numpy__' || v.class_name === '__list__') && isObj(v.config)) return unwrap(v.config.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  }
  return v as ParamValue;
}

/** The shortest decimal that is the same float32 (Keras stores learning rates as float32 variables). */
function float32Decimal(x: number): number {
  const f = Math.fround(x);
  if (f !== x) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === f) return y;
  }
  return x;
}

// ---- initializers and regularizers ----

const INIT_CLASSES: Record<string, InitializerName> = {
  Zeros: 'zeros', Ones: 'ones', GlorotUniform: 'glorot_uniform', GlorotNormal: 'glorot_normal', HeUniform: 'he_uniform', HeNormal: 'he_normal',
  LecunUniform: 'lecun_uniform', LecunNormal: 'lecun_normal',
};
const INIT_STRINGS: Record<string, InitializerName> = {
  zeros: 'zeros', zero: 'zeros', ones: 'ones', one: 'ones', glorot_uniform: 'glorot_uniform', glorot_normal: 'glorot_normal', he_uniform: 'he_uniform', he_normal: 'he_normal',
  lecun_uniform: 'lecun_uniform', lecun_normal: 'lecun_normal', uniform: 'random_uniform', random_uniform: 'random_uniform', normal: 'random_normal',
  random_normal: 'random_normal', truncated_normal: 'truncated_normal',
};
/** Keras's default initializer for config keys a catalogue layer may not expose. */
const DEFAULT_INIT: Record<string, InitializerName> = {
  kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros', depthwise_initializer: 'glorot_uniform', pointwise_initializer: 'glorot_uniform',
  beta_initializer: 'zeros', gamma_initializer: 'ones', moving_mean_initializer: 'zeros', moving_variance_initializer: 'ones', embeddings_initializer: 'random_uniform',
};

/** A Keras initializer as Kiln's name, or why there is none. */
export function initializerName(v: unknown): { name: InitializerName } | { problem: string } {
  if (typeof v === 'string') {
    const name = INIT_STRINGS[v.toLowerCase()];
    return name ? { name } : { problem: `${v}` };
  }
  if (!isObj(v) || typeof v.class_name !== 'string') return { problem: describe(v) };
  const cls = v.class_name.replace(/^Custom>/, '');
  const c = isObj(v.config) ? v.config : {};
  if (INIT_CLASSES[cls]) return { name: INIT_CLASSES[cls] };
  if (cls === 'RandomUniform' && (num(c.minval) ?? -0.05) === -0.05 && (num(c.maxval) ?? 0.05) === 0.05) return { name: 'random_uniform' };
  if ((cls === 'RandomNormal' || cls === 'TruncatedNormal') && (num(c.mean) ?? 0) === 0 && (num(c.stddev) ?? 0.05) === 0.05) {
    return { name: cls === 'RandomNormal' ? 'random_normal' : 'truncated_normal' };
  }
  if (cls === 'VarianceScaling') {
    const scale = num(c.scale) ?? 1;
    const mode = str(c.mode) ?? 'fan_in';
    const dist = str(c.distribution) ?? 'truncated_normal';
    // Keras's Glorot/He/Lecun normals are truncated ('normal' is Keras 2's alias of 'truncated_normal').
    const shape = dist === 'uniform' ? 'uniform' : dist === 'truncated_normal' || dist === 'normal' ? 'normal' : null;
    const fam = scale === 1 && mode === 'fan_avg' ? 'glorot' : scale === 2 && mode === 'fan_in' ? 'he' : scale === 1 && mode === 'fan_in' ? 'lecun' : null;
    if (shape && fam) return { name: `${fam}_${shape}` as InitializerName };
  }
  return { problem: describe(v) };
}

/** A Keras regularizer as Kiln's { l1, l2 }, or why there is none. */
export function regularizerValue(v: unknown): { value: { l1?: number; l2?: number } } | { problem: string } {
  let l1: unknown = 0;
  let l2: unknown = 0;
  if (typeof v === 'string') {
    if (v === 'l1') l1 = 0.01;
    else if (v === 'l2') l2 = 0.01;
    else if (v === 'l1_l2' || v === 'l1l2') [l1, l2] = [0.01, 0.01];
    else return { problem: v };
  } else if (isObj(v) && typeof v.class_name === 'string') {
    const c = isObj(v.config) ? v.config : {};
    const cls = v.class_name.replace(/^Custom>/, '');
    if (cls === 'L1') l1 = c.l1 ?? 0.01;
    else if (cls === 'L2') l2 = c.l2 ?? 0.01;
    else if (cls === 'L1L2') [l1, l2] = [c.l1 ?? 0, c.l2 ?? 0];
    else return { problem: describe(v) };
  } else {
    return { problem: describe(v) };
  }
  if (num(l1) === undefined || num(l2) === undefined) return { problem: describe(v) };
  const value: { l1?: number; l2?: number } = {};
  if ((l1 as number) !== 0) value.l1 = l1 as number;
  if ((l2 as number) !== 0) value.l2 = l2 as number;
  return { value };
}

// ---- layers ----

/** Config keys that do not change what a layer computes (or that the graph carries instead). */
const DROPPED = new Set(['name', 'trainable', 'dtype', 'autocast', 'batch_input_shape', 'batch_shape', 'input_shape', 'build_config']);

const allOnes = (v: unknown) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1));

/** Keys outside a layer's catalogue entry whose value is Keras's default (or irrelevant here). */
function harmless(key: string, v: unknown): boolean {
  switch (key) {
    case 'data_format': return v === 'channels_last' || v === null;
    case 'dilation_rate': return allOnes(v);
    case 'groups': case 'depth_multiplier': return v === 1;
    case 'axis': return v === -1 || (Array.isArray(v) && v.length === 1 && v[0] === -1);
    case 'rms_scaling': return v === false;
    case 'mask_zero': case 'sparse': case 'ragged': case 'optional': case 'synchronized': case 'renorm': case 'invert': case 'lora_enabled': return v === false || v === null;
    case 'noise_shape': case 'lora_rank': case 'lora_alpha': case 'quantization_config': case 'renorm_clipping': case 'virtual_batch_size': case 'adjustment': return v === null;
    // Only randomness, Keras 2's Embedding length (Input carries it) or implementation choices.
    case 'seed': case 'input_length': case 'renorm_momentum': case 'fused': case 'implementation': return true;
    default: return false;
  }
}

const NESTED = new Set(['Functional', 'Sequential', 'Model']);

class Converter {
  readonly issues: ModelIssue[] = [];

  report(layerId: string | null, message: string): void {
    this.issues.push({ layerId, message });
  }

  input(entry: Obj, fallbackName: string): LayerDoc {
    const cfg = isObj(entry.config) ? entry.config : {};
    const name = str(entry.name) ?? str(cfg.name) ?? fallbackName;
    const raw = unwrap(cfg.batch_shape ?? cfg.batch_input_shape);
    const doc: LayerDoc = { id: name, name, type: 'Input', params: {} };
    if (!Array.isArray(raw) || raw.length < 1) {
      this.report(name, `Input '${name}' has no shape: build the Keras model with keras.Input(shape=...) before saving it`);
      return doc;
    }
    doc.params.shape = raw.slice(1);
    // Token ids come in as int32 (Keras's int64 too: Kiln computes on 32 bits).
    const dtype = typeof cfg.dtype === 'string' ? cfg.dtype : isObj(cfg.dtype) && isObj(cfg.dtype.config) ? str(cfg.dtype.config.name) : undefined;
    if (dtype !== undefined && /^u?int/.test(dtype)) doc.params.dtype = 'int32';
    if (raw.slice(1).some((d) => d === null)) {
      this.report(name, `Input '${name}' has a variable-size axis in its shape ${describe(raw)}: Kiln needs a fixed size on every axis but the batch; rebuild the Keras model with keras.Input(shape=(...)) of fixed sizes`);
    }
    if (cfg.sparse === true || cfg.ragged === true) this.report(name, `Input '${name}' is ${cfg.sparse === true ? 'sparse' : 'ragged'}, which Kiln does not support: use a dense input`);
    return doc;
  }

  layer(entry: Obj): LayerDoc {
    const type = str(entry.class_name) ?? 'Unknown';
    const cfg = isObj(entry.config) ? entry.config : {};
    const name = str(entry.name) ?? str(cfg.name) ?? type.toLowerCase();
    const doc: LayerDoc = { id: name, name, type, params: {} };
    const problem = (message: string) => this.report(name, `${type} '${name}' ${message}`);
    if (NESTED.has(type)) {
      problem('is a nested model, which Kiln cannot import: in Keras, rebuild the model with the inner model\'s layers called directly (not the model as one layer)');
      return doc;
    }
    if (type === 'InputLayer') {
      problem('is an input in the middle of the model, which Kiln cannot import');
      return doc;
    }
    const def = layerDef(type);
    if (!def) {
      problem(`is not in Kiln's layer catalogue: Kiln cannot import ${type} layers; replace it with supported layers in Keras before exporting`);
    }
    if (cfg.trainable === false) problem('is frozen (trainable=False) in Keras, but Kiln trains every layer: its weights will change if you train the model in Kiln');
    for (const [key, rawValue] of Object.entries(cfg)) {
      if (DROPPED.has(key)) continue;
      this.param(doc, def, key, unwrap(rawValue), problem);
    }
    return doc;
  }

  private param(doc: LayerDoc, def: LayerDef | undefined, key: string, value: ParamValue, problem: (m: string) => void): void {
    const spec = def?.params[key];
    const type = doc.type;
    if (key === 'data_format' && value === 'channels_first') {
      problem("has data_format 'channels_first', which Kiln does not support: Kiln keeps channels on the last axis; in Keras, rebuild the model with data_format='channels_last'");
      return;
    }
    if (key === 'mask_zero' && value === true) {
      problem('has mask_zero=True, which Kiln does not support (Kiln has no masks): padding token 0 is embedded like any other token');
      return;
    }
    if (key.endsWith('_constraint')) {
      if (value !== null) problem(`has a ${key} ${describe(value)}, which Kiln does not support: weights are not constrained when training in Kiln`);
      return;
    }
    if (key.endsWith('_initializer') || spec?.kind === 'initializer') {
      const init = initializerName(value);
      const fallback = spec?.kind === 'initializer' ? spec.default : DEFAULT_INIT[key];
      if ('problem' in init) {
        problem(`has ${key} ${init.problem}, which Kiln has no equivalent for: Kiln uses ${fallback ?? 'its default'} instead (this only matters when training from scratch)`);
      } else if (spec) {
        doc.params[key] = init.name;
      } else if (init.name !== DEFAULT_INIT[key]) {
        problem(`has ${key} ${init.name}, which Kiln's ${type} cannot set: Kiln uses ${fallback ?? 'its default'} (this only matters when training from scratch)`);
      }
      return;
    }
    if (key.endsWith('_regularizer') || spec?.kind === 'regularizer') {
      if (value === null) {
        if (spec) doc.params[key] = null;
        return;
      }
      const reg = regularizerValue(value);
      if ('problem' in reg) problem(`has ${key} ${reg.problem}, which Kiln does not support: only L1, L2 and L1L2 regularizers are`);
      else if (spec) doc.params[key] = reg.value;
      else problem(`has a ${key} ${describe(value)}, which Kiln's ${type} does not support: it is not applied when training in Kiln`);
      return;
    }
    if (spec?.kind === 'activation' && typeof value !== 'string' && value !== null) {
      problem(`has activation ${describe(value)}, which Kiln does not support: use a built-in activation by name`);
      return;
    }
    if (spec?.kind === 'int' && spec.nullable && Array.isArray(value) && value.length === 0) {
      doc.params[key] = null;  // Keras writes Normalization's axis=None as []
      return;
    }
    if (spec?.kind === 'int' && Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') {
      doc.params[key] = value[0];  // Keras keeps Normalization's axis=-1 as (-1,)
      return;
    }
    if (spec || !def) {
      doc.params[key] = value;
      return;
    }
    if (!harmless(key, value)) problem(`has ${key}=${describe(value)}, which Kiln's ${type} does not support: it was left out`);
  }
}

// ---- the graph ----

interface History {
  layer: string;
  node: number;
  tensor: number;
}

/** `[name, node, tensor]`, a list of them, or a dict of them (Keras's input_layers / output_layers). */
function histories(v: unknown): History[] {
  if (Array.isArray(v)) {
    if (v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number') return [{ layer: v[0], node: v[1], tensor: Number(v[2]) }];
    return v.flatMap(histories);
  }
  if (isObj(v)) return Object.values(v).flatMap(histories);
  return [];
}

/** Every `__keras_tensor__` in a Keras 3 call's arguments, in order. */
function kerasTensors(v: unknown): History[] {
  if (Array.isArray(v)) return v.flatMap(kerasTensors);
  if (!isObj(v)) return [];
  if (v.class_name === '__keras_tensor__' && isObj(v.config)) return histories(v.config.keras_history);
  return Object.values(v).flatMap(kerasTensors);
}

/** The tensors one call of a layer reads, in input order, and its keyword arguments. */
function callInputs(node: unknown): { inputs: History[]; kwargs: [string, unknown][] } {
  if (isObj(node) && 'args' in node) {
    const kwargs = isObj(node.kwargs) ? Object.entries(node.kwargs) : [];
    return { inputs: kerasTensors(node.args), kwargs };
  }
  if (Array.isArray(node)) {
    // Keras 2: [[name, node_index, tensor_index, kwargs], ...]
    const inputs: History[] = [];
    const kwargs: [string, unknown][] = [];
    for (const entry of node) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
      inputs.push({ layer: entry[0], node: Number(entry[1] ?? 0), tensor: Number(entry[2] ?? 0) });
      if (isObj(entry[3])) kwargs.push(...Object.entries(entry[3]));
    }
    return { inputs, kwargs };
  }
  return { inputs: [], kwargs: [] };
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  return name;
}

function sequential(root: Obj, cfg: Obj, conv: Converter): ModelDoc {
  const entries = (Array.isArray(cfg.layers) ? cfg.layers : []).filter(isObj);
  const layers: LayerDoc[] = [];
  let rest = entries;
  if (entries[0]?.class_name === 'InputLayer') {
    layers.push(conv.input(entries[0], 'input_layer'));
    rest = entries.slice(1);
  } else {
    const first = isObj(entries[0]?.config) ? entries[0].config : {};
    const build = isObj(root.build_config) ? root.build_config.input_shape : undefined;
    const shape = first.batch_input_shape ?? first.batch_shape ?? build ?? cfg.build_input_shape;
    const taken = new Set(entries.map((e) => str(e.name) ?? str(isObj(e.config) ? e.config.name : undefined) ?? ''));
    layers.push(conv.input({ class_name: 'InputLayer', config: { batch_shape: shape ?? null, name: uniqueName('input_layer', taken) } }, 'input_layer'));
  }
  for (const entry of rest) layers.push(conv.layer(entry));
  const edges: EdgeDoc[] = layers.slice(1).map((l, i) => ({ from: layers[i].id, to: l.id }));
  return { layers, edges, outputs: layers.length > 1 ? [layers.at(-1)!.id] : [] };
}

function functional(cfg: Obj, conv: Converter): ModelDoc {
  const entries = (Array.isArray(cfg.layers) ? cfg.layers : []).filter(isObj);
  const inputNames = histories(cfg.input_layers).map((h) => h.layer);
  const outputs = histories(cfg.output_layers);
  const docs: LayerDoc[] = [];
  const edges: EdgeDoc[] = [];
  const known = new Set(entries.map((e) => str(e.name) ?? str(isObj(e.config) ? e.config.name : undefined)));
  for (const entry of entries) {
    const doc = entry.class_name === 'InputLayer' ? conv.input(entry, 'input_layer') : conv.layer(entry);
    docs.push(doc);
    const label = `${doc.type} '${doc.name}'`;
    const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    if (doc.type === 'Input') continue;
    if (nodes.length === 0) {
      conv.report(doc.id, `${label} is not called on any tensor in the Keras model: connect it or delete it`);
      continue;
    }
    if (nodes.length > 1) {
      conv.report(doc.id, `${label} is shared: Keras calls it ${nodes.length} times, but each Kiln layer is applied once; only its first call was imported. In Keras, use a separate layer for each call`);
    }
    const { inputs, kwargs } = callInputs(nodes[0]);
    for (const [key, value] of kwargs) {
      // Keras 3 records the training flag of the symbolic call; fit and predict decide the mode, in Kiln as in Keras.
      if (value === null || value === undefined || (key === 'training' && typeof value === 'boolean')) continue;
      const tensors = kerasTensors(value);
      if (tensors.length > 0) conv.report(doc.id, `${label} receives a tensor as the keyword argument ${key}, which Kiln does not support`);
      else conv.report(doc.id, `${label} is called with ${key}=${describe(value)}, which Kiln does not support: the argument was left out`);
    }
    inputs.forEach((h, i) => {
      if (!known.has(h.layer)) conv.report(doc.id, `${label} reads '${h.layer}', which is not a layer of the model`);
      if (h.tensor > 0) conv.report(doc.id, `${label} reads output ${h.tensor} of '${h.layer}', but Kiln layers have one output`);
      edges.push(inputs.length > 1 ? { from: h.layer, to: doc.id, index: i } : { from: h.layer, to: doc.id });
    });
  }
  // The model's inputs first, in Keras's order: Kiln feeds inputs in layer order.
  const rank = (d: LayerDoc) => (d.type === 'Input' ? (inputNames.includes(d.id) ? inputNames.indexOf(d.id) : inputNames.length) : Infinity);
  const layers = docs.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map((x) => x.d);
  for (const o of outputs) if (o.tensor > 0) conv.report(o.layer, `the model output reads output ${o.tensor} of '${o.layer}', but Kiln layers have one output`);
  return { layers, edges, outputs: outputs.map((o) => o.layer) };
}

// ---- compile config ----

const LOSSES: Record<string, LossName> = {
  mse: 'mean_squared_error', mean_squared_error: 'mean_squared_error', MeanSquaredError: 'mean_squared_error',
  mae: 'mean_absolute_error', mean_absolute_error: 'mean_absolute_error', MeanAbsoluteError: 'mean_absolute_error',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy', SparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy', CategoricalCrossentropy: 'categorical_crossentropy',
  binary_crossentropy: 'binary_crossentropy', BinaryCrossentropy: 'binary_crossentropy',
  huber: 'huber', huber_loss: 'huber', Huber: 'huber',
};

const METRICS: Record<string, MetricName> = {
  accuracy: 'accuracy', acc: 'accuracy',
  sparse_categorical_accuracy: 'sparse_categorical_accuracy', SparseCategoricalAccuracy: 'sparse_categorical_accuracy',
  categorical_accuracy: 'categorical_accuracy', CategoricalAccuracy: 'categorical_accuracy',
  binary_accuracy: 'binary_accuracy', BinaryAccuracy: 'binary_accuracy',
  mae: 'mean_absolute_error', mean_absolute_error: 'mean_absolute_error', MeanAbsoluteError: 'mean_absolute_error',
  mse: 'mean_squared_error', mean_squared_error: 'mean_squared_error', MeanSquaredError: 'mean_squared_error',
};

const OPTIMIZERS: Record<string, OptimizerSpec['type']> = { sgd: 'sgd', adam: 'adam', adamw: 'adamw', rmsprop: 'rmsprop' };

function loss(v: unknown, report: (m: string) => void): LossName | LossConfig | undefined {
  if (typeof v === 'string') {
    const type = LOSSES[v];
    if (!type) report(`the loss '${v}' is not one Kiln has: choose one in the training settings`);
    return type;
  }
  if (!isObj(v) || typeof v.class_name !== 'string') {
    report(`the loss ${describe(v)} is not one Kiln has: choose one in the training settings`);
    return undefined;
  }
  const type = LOSSES[v.class_name.replace(/^Custom>/, '')];
  if (!type) {
    report(`the loss ${v.class_name} is not one Kiln has: choose one in the training settings`);
    return undefined;
  }
  const c = isObj(v.config) ? v.config : {};
  const out: LossConfig = { type };
  if (c.from_logits === true) out.fromLogits = true;
  if (type === 'huber' && num(c.delta) !== undefined && c.delta !== 1) out.delta = c.delta as number;
  if (c.reduction !== undefined && c.reduction !== null && c.reduction !== 'sum_over_batch_size' && c.reduction !== 'auto') report(`the loss ${v.class_name} has reduction '${String(c.reduction)}', but Kiln averages over the batch`);
  if (num(c.label_smoothing) !== undefined && c.label_smoothing !== 0) report(`the loss ${v.class_name} has label_smoothing ${String(c.label_smoothing)}, which Kiln does not support: it was left out`);
  if (c.ignore_class !== undefined && c.ignore_class !== null) report(`the loss ${v.class_name} has ignore_class ${String(c.ignore_class)}, which Kiln does not support: it was left out`);
  return Object.keys(out).length === 1 ? type : out;
}

function metrics(v: unknown, report: (m: string) => void): MetricName[] {
  const out: MetricName[] = [];
  const visit = (m: unknown): void => {
    if (m === null || m === undefined) return;
    if (Array.isArray(m)) return m.forEach(visit);
    let name: string | undefined;
    if (typeof m === 'string') name = m;
    else if (isObj(m) && typeof m.class_name === 'string') {
      name = m.class_name.replace(/^Custom>/, '');
      const c = isObj(m.config) ? m.config : {};
      if (name === 'BinaryAccuracy' && num(c.threshold) !== undefined && c.threshold !== 0.5) report(`the metric BinaryAccuracy has threshold ${String(c.threshold)}, but Kiln's binary_accuracy uses 0.5`);
    } else if (isObj(m)) return Object.values(m).forEach(visit);
    const metric = name === undefined ? undefined : METRICS[name];
    if (!metric) report(`the metric ${name ?? describe(m)} is not one Kiln has: it was left out`);
    else if (!out.includes(metric)) out.push(metric);
  };
  visit(v);
  return out;
}

function schedule(v: Obj, spec: OptimizerSpec, report: (m: string) => void): void {
  const cls = str(v.class_name)?.replace(/^Custom>/, '');
  const c = isObj(v.config) ? v.config : {};
  const initial = num(c.initial_learning_rate);
  if (initial !== undefined) spec.learningRate = initial;
  if (cls === 'ExponentialDecay') {
    spec.schedule = { type: 'exponential', decaySteps: num(c.decay_steps), decayRate: num(c.decay_rate), staircase: c.staircase === true };
  } else if (cls === 'CosineDecay') {
    const s: LearningRateSchedule = { type: 'cosine', decaySteps: num(c.decay_steps), alpha: num(c.alpha) ?? 0 };
    if (num(c.warmup_target) !== undefined) Object.assign(s, { warmupTarget: c.warmup_target, warmupSteps: num(c.warmup_steps) ?? 0 });
    spec.schedule = s;
  } else if (cls === 'PiecewiseConstantDecay' && Array.isArray(c.boundaries) && Array.isArray(c.values)) {
    spec.learningRate = num(c.values[0]);
    spec.schedule = { type: 'piecewise', boundaries: c.boundaries as number[], values: c.values as number[] };
  } else {
    report(`the learning-rate schedule ${cls ?? describe(v)} is not one Kiln has (it has ExponentialDecay, CosineDecay and PiecewiseConstantDecay): the learning rate is constant${initial !== undefined ? ` at ${initial}` : ''}`);
  }
}

function optimizer(v: unknown, report: (m: string) => void): OptimizerSpec | undefined {
  const cls = typeof v === 'string' ? v : isObj(v) ? str(v.class_name)?.replace(/^Custom>/, '') : undefined;
  const type = cls === undefined ? undefined : OPTIMIZERS[cls.toLowerCase()];
  if (!type) {
    report(`the optimizer ${cls ?? describe(v)} is not one Kiln has (it has SGD, Adam, AdamW and RMSprop): choose one in the training settings`);
    return undefined;
  }
  const spec: OptimizerSpec = { type };
  const c = isObj(v) && isObj(v.config) ? v.config : {};
  const lr = c.learning_rate ?? c.lr;
  if (num(lr) !== undefined) spec.learningRate = float32Decimal(lr as number);
  else if (isObj(lr)) schedule(lr, spec, report);
  const set = <K extends keyof OptimizerSpec>(key: K, from: string, kinds: OptimizerSpec['type'][]) => {
    const x = c[from];
    if (!kinds.includes(type) || x === null || x === undefined) return;
    if (typeof x === 'number' || typeof x === 'boolean') (spec as unknown as Record<string, unknown>)[key] = typeof x === 'number' ? float32Decimal(x) : x;
  };
  set('momentum', 'momentum', ['sgd', 'rmsprop']);
  set('nesterov', 'nesterov', ['sgd']);
  set('beta1', 'beta_1', ['adam', 'adamw']);
  set('beta2', 'beta_2', ['adam', 'adamw']);
  set('epsilon', 'epsilon', ['adam', 'adamw', 'rmsprop']);
  set('rho', 'rho', ['rmsprop']);
  set('centered', 'centered', ['rmsprop']);
  const all: OptimizerSpec['type'][] = ['sgd', 'adam', 'adamw', 'rmsprop'];
  set('weightDecay', 'weight_decay', all);
  set('clipnorm', 'clipnorm', all);
  set('globalClipnorm', 'global_clipnorm', all);
  set('clipvalue', 'clipvalue', all);
  if (c.amsgrad === true) report(`the optimizer ${cls} uses amsgrad, which Kiln does not support: it was left out`);
  if (c.use_ema === true) report(`the optimizer ${cls} uses an exponential moving average of the weights (use_ema), which Kiln does not support: it was left out`);
  for (const key of ['loss_scale_factor', 'gradient_accumulation_steps']) {
    if (c[key] !== null && c[key] !== undefined) report(`the optimizer ${cls} has ${key} ${String(c[key])}, which Kiln does not support: it was left out`);
  }
  if (num(c.decay) !== undefined && c.decay !== 0) report(`the optimizer ${cls} has Keras 2's decay ${String(c.decay)}, which Kiln does not support: use a learning-rate schedule instead`);
  return spec;
}

function training(cc: Obj, outputs: string[], issues: ModelIssue[]): Partial<TrainingConfig> {
  const report = (m: string) => issues.push({ layerId: null, message: m });
  const out: Partial<TrainingConfig> = {};
  const opt = cc.optimizer === undefined || cc.optimizer === null ? undefined : optimizer(cc.optimizer, report);
  if (opt) out.optimizer = opt;
  const l = cc.loss;
  if (isObj(l) && typeof l.class_name !== 'string') {
    const per: Record<string, LossName | LossConfig> = {};
    for (const [name, v] of Object.entries(l)) {
      if (!outputs.includes(name)) report(`the compile config gives a loss for '${name}', which is not an output of the model`);
      const x = loss(v, report);
      if (x) per[name] = x;
    }
    out.loss = per;
  } else if (Array.isArray(l) && l.length !== 1) {
    if (l.length !== outputs.length) report(`the compile config gives ${l.length} losses for ${outputs.length} outputs: choose them in the training settings`);
    const per: Record<string, LossName | LossConfig> = {};
    l.forEach((v, i) => {
      const x = loss(v, report);
      if (x && i < outputs.length) per[outputs[i]] = x;
    });
    out.loss = per;
  } else if (l !== null && l !== undefined) {
    const x = loss(Array.isArray(l) ? l[0] : l, report);
    if (x) out.loss = x;
  }
  if (cc.loss_weights !== null && cc.loss_weights !== undefined) report(`the compile config has loss_weights ${describe(cc.loss_weights)}, which Kiln does not support: every output's loss counts once`);
  if (cc.metrics !== null && cc.metrics !== undefined) out.metrics = metrics(cc.metrics, report);
  if (cc.weighted_metrics !== null && cc.weighted_metrics !== undefined) report('the compile config has weighted_metrics, which Kiln does not support: they were left out');
  return out;
}

// ---- entry point ----

/** A Keras model config (object or JSON text) as a Kiln document, training settings and issues. */
export function fromKerasConfig(config: unknown): KerasImportResult {
  let root = config;
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch (e) {
      return { model: { layers: [], edges: [] }, issues: [{ layerId: null, message: `the Keras model config is not valid JSON: ${(e as Error).message}` }] };
    }
  }
  if (!isObj(root) || typeof root.class_name !== 'string' || !isObj(root.config)) {
    return { model: { layers: [], edges: [] }, issues: [{ layerId: null, message: 'this is not a Keras model config: expected {class_name, config, ...} as written by model.to_json() or model.save()' }] };
  }
  const conv = new Converter();
  const kind = root.class_name.replace(/^Custom>/, '');
  let model: ModelDoc;
  if (kind === 'Sequential') model = sequential(root, root.config, conv);
  else if (kind === 'Functional' || kind === 'Model') {
    if (!Array.isArray(root.config.layers)) {
      conv.report(null, `the model is a subclassed ${kind}, whose config has no layer graph: Kiln can import Sequential and Functional models only`);
      model = { layers: [], edges: [] };
    } else {
      model = functional(root.config, conv);
    }
  } else {
    conv.report(null, `the model is a ${kind}, which Kiln cannot import: Kiln can import Sequential and Functional models only (a subclassed model has no layer graph in its config)`);
    model = { layers: [], edges: [] };
  }
  const result: KerasImportResult = { model, issues: conv.issues };
  const cc = root.compile_config;
  if (isObj(cc)) result.training = training(cc, model.outputs ?? [], conv.issues);
  return result;
}
