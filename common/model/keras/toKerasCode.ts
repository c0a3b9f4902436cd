/**
 * The Keras 3 Python script for a model document: what the studio's code view shows (live, on
 * every edit, so it never throws) and what the Keras export writes. The functional API, one line
 * per layer with its Keras class and each parameter that differs from Keras's default, then
 * compile() and a commented fit() from the training settings. Deterministic. What Keras cannot be
 * told, or a layer that cannot be written, is said in a `# comment`, never dropped silently.
 */
import { analyzeModel } from '../analyzeModel.js';
import { layerDef, resolveParams, type LayerDef, type ParamSpec } from '../layers/index.js';
import type { LayerDoc, ModelDoc, ParamValue } from '../ModelDoc.js';
import type { TrainingConfig } from '../trainingConfig.js';
import { seedCode, trainingCode, TRAINING_NAMES } from './kerasTrainingCode.js';
import { pyComment, pyFloat, pyIdentifiers, pyString, pyValue } from './pythonSyntax.js';

export interface KerasCodeOptions {
  /** The keras.Model's name (default "model"). */
  name?: string;
}

/** Names the script itself uses; layer variables avoid them. */
const RESERVED: ReadonlySet<string> = new Set(['keras', 'layers', 'model', ...TRAINING_NAMES]);

/** Parameters Keras requires even where Kiln's default (None) would do. */
const REQUIRED: Record<string, string[]> = { Activation: ['activation'] };

function same(a: ParamValue | undefined, b: ParamValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function regularizerCode(v: ParamValue): string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return pyValue(v);
  const { l1, l2 } = v as { l1?: number; l2?: number };
  const has1 = typeof l1 === 'number' && l1 !== 0;
  const has2 = typeof l2 === 'number' && l2 !== 0;
  if (has1 && has2) return `keras.regularizers.L1L2(l1=${pyFloat(l1)}, l2=${pyFloat(l2)})`;
  if (has1) return `keras.regularizers.L1(${pyFloat(l1)})`;
  if (has2) return `keras.regularizers.L2(${pyFloat(l2)})`;
  return 'None';
}

function paramCode(spec: ParamSpec, v: ParamValue): string {
  if (spec.kind === 'regularizer') return regularizerCode(v);
  return pyValue(v, spec.kind === 'float' || spec.kind === 'floats');
}

/** Keras refuses '/' in names (it separates weight paths). */
export const kerasName = (name: string): string => name.replace(/\//g, '_');

/** `layers.Dense(units=16, activation="relu", name="dense")`, and comments about it. */
function layerExpression(layer: LayerDoc, def: LayerDef): { expr: string; notes: string[] } {
  const raw = layer.params ?? {};
  const resolved = resolveParams(def, raw);
  // Compare normalised values (kernel_size 3 is (3, 3)) where they resolve; show the user's own form.
  const values = 'params' in resolved ? resolved.params : raw;
  const required = REQUIRED[def.type] ?? [];
  const args: string[] = [];
  for (const [key, spec] of Object.entries(def.params)) {
    const value = key in values ? values[key] : (spec.default as ParamValue);
    if (!required.includes(key) && (!(key in raw) || same(value, spec.default as ParamValue))) continue;
    args.push(`${key}=${paramCode(spec, key in raw ? raw[key] : value)}`);
  }
  const notes = Object.keys(raw)
    .filter((key) => !(key in def.params))
    .map((key) => pyComment(`${key}=${pyValue(raw[key])} is not a parameter of ${def.type} in Kiln: left out`));
  const name = kerasName(layer.name);
  if (name !== layer.name) notes.push(pyComment(`Keras does not allow '/' in a layer name: '${layer.name}' is named '${name}' here`));
  if (def.type === 'Normalization' && values.mean === null) notes.push(pyComment(`Adapt it to the training data before training: model.get_layer(${pyString(name)}).adapt(x_train)`));
  args.push(`name=${pyString(name)}`);
  const cls = def.inputs === 0 ? 'keras.Input' : `layers.${def.type}`;
  return { expr: `${cls}(${args.join(', ')})`, notes };
}

/** Each layer's inputs in input order, as analyzeModel reads them (edge index, then edge order). */
function inputsByLayer(model: ModelDoc): Map<string, string[]> {
  const ids = new Set(model.layers.map((l) => l.id));
  const incoming = new Map<string, { from: string; index: number }[]>();
  model.edges.forEach((e, i) => {
    if (ids.has(e.from) && ids.has(e.to)) incoming.set(e.to, [...(incoming.get(e.to) ?? []), { from: e.from, index: e.index ?? i }]);
  });
  return new Map(model.layers.map((l) => [l.id, (incoming.get(l.id) ?? []).sort((a, b) => a.index - b.index).map((e) => e.from)]));
}

const listOrOne = (names: string[]): string => (names.length === 1 ? names[0] : `[${names.join(', ')}]`);

/** The layer lines, in document order wherever the graph allows; layer id -> variable of those written. */
function layerLines(model: ModelDoc): { lines: string[]; written: Map<string, string> } {
  const names = pyIdentifiers(model.layers.map((l) => l.name), RESERVED);
  const variables = new Map(model.layers.map((l, i) => [l.id, names[i]]));
  const inputs = inputsByLayer(model);
  const byId = new Map(model.layers.map((l) => [l.id, l]));
  const written = new Map<string, string>();
  const settled = new Set<string>();
  const lines: string[] = [];
  const leaveOut = (layer: LayerDoc, why: string) => lines.push(pyComment(`${layer.type} '${layer.name}' ${why}: left out`));
  // Repeatedly take the first layer, in document order, whose inputs are all settled (written or left out).
  const ready = () => model.layers.find((l) => !settled.has(l.id) && inputs.get(l.id)!.every((i) => settled.has(i)));
  for (let layer = ready(); layer; layer = ready()) {
    settled.add(layer.id);
    const ins = inputs.get(layer.id)!;
    const def = layerDef(layer.type);
    const missing = ins.find((i) => !written.has(i));
    if (!def) leaveOut(layer, 'is not a layer type Kiln knows');
    else if (def.inputs === 0 && ins.length > 0) leaveOut(layer, 'is a model input but reads other layers');
    else if (def.inputs !== 0 && ins.length === 0) leaveOut(layer, 'is not connected to an input');
    else if (def.inputs === 1 && ins.length > 1) leaveOut(layer, `reads ${ins.length} layers but takes one`);
    else if (missing !== undefined) leaveOut(layer, `reads '${byId.get(missing)!.name}', which is left out`);
    else {
      const { expr, notes } = layerExpression(layer, def);
      const variable = variables.get(layer.id)!;
      const call = def.inputs === 0 ? '' : def.inputs === 'many' ? `([${ins.map((i) => written.get(i)).join(', ')}])` : `(${written.get(ins[0])})`;
      lines.push(...notes, `${variable} = ${expr}${call}`);
      written.set(layer.id, variable);
    }
  }
  for (const layer of model.layers) if (!settled.has(layer.id)) leaveOut(layer, 'is part of a cycle (or reads one)');
  return { lines, written };
}

/** The Keras script for `model`, with compile() and fit() when `training` is given. */
export function toKerasCode(model: ModelDoc, training?: TrainingConfig, options: KerasCodeOptions = {}): string {
  const analysis = analyzeModel(model);
  const out = ['# Keras 3 code for this model, written by Kiln.', 'import keras', 'from keras import layers', ''];
  if (analysis.issues.length > 0) {
    out.push('# Kiln finds problems in this model; Keras will likely refuse it too:', ...analysis.issues.map((i) => pyComment(`- ${i.message}`)), '');
  }
  if (training) out.push(seedCode(training), '');
  const { lines, written } = layerLines(model);
  out.push(...lines, '');

  const byId = new Map(model.layers.map((l) => [l.id, l]));
  const inputs = model.layers.filter((l) => l.type === 'Input' && written.has(l.id)).map((l) => written.get(l.id)!);
  const outputIds = analysis.outputs.filter((id) => written.has(id));
  const outputs = outputIds.map((id) => written.get(id)!);
  out.push(`model = keras.Model(inputs=${listOrOne(inputs)}, outputs=${listOrOne(outputs)}, name=${pyString(kerasName(options.name ?? 'model'))})`);
  if (training) out.push('', ...trainingCode(training, outputIds.map((id) => ({ name: byId.get(id)!.name, keras: kerasName(byId.get(id)!.name) }))));
  return `${out.join('\n')}\n`;
}
