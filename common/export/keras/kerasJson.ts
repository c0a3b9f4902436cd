/**
 * Keras configs as JSON: their values, built-in Keras objects as Keras 3 serializes them, and the
 * text, written as Python's json.dumps writes it, with floats kept as floats. JSON has one kind of
 * number, so a learning rate of 1 would read back as the int 1, which Keras refuses (SGD's
 * momentum and an optimizer's learning rate must be floats); whole numbers under keys that
 * always hold floats are written `1.0`.
 */
import { LAYERS } from '../../model/layers/index.js';
import type { ParamValue } from '../../model/ModelDoc.js';

export type Json = ParamValue;
export type JsonObject = { [key: string]: Json };

/** `{module, class_name, config, registered_name}`: registered_name is null for Keras's own classes. */
export const kerasObject = (module: string, className: string, config: JsonObject): JsonObject => ({ module, class_name: className, config, registered_name: null });

/** Config keys whose numbers are floats: the catalogue's float parameters, and those of optimizers, schedules, losses, initializers and regularizers. */
const FLOAT_KEYS: ReadonlySet<string> = new Set([
  ...[...LAYERS.values()].flatMap((d) => Object.entries(d.params).filter(([, s]) => s.kind === 'float' || s.kind === 'floats').map(([k]) => k)),
  'learning_rate', 'initial_learning_rate', 'decay_rate', 'alpha', 'warmup_target', 'values',
  'momentum', 'beta_1', 'beta_2', 'epsilon', 'rho', 'weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue', 'ema_momentum',
  'delta', 'l1', 'l2', 'minval', 'maxval', 'mean', 'stddev',
]);

/** Marks whole numbers for a `.0`; the marker is a string no config holds (it starts with a NUL). */
const MARK = '\u0000float:';
const markFloats = (v: unknown): unknown => (typeof v === 'number' && /^-?\d+$/.test(String(v)) ? `${MARK}${v}` : Array.isArray(v) ? v.map(markFloats) : v);

/** The JSON text of a Keras config, floats as floats. */
export function kerasJson(config: Json): string {
  const text = JSON.stringify(config, (key, value: unknown) => (FLOAT_KEYS.has(key) ? markFloats(value) : value));
  return text.replace(/"\\u0000float:(-?\d+)"/g, '$1.0');
}
