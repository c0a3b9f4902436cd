/** Checks a layer's parameters against its schema, fills Keras's defaults and normalises tuples. */
import type { ParamValue } from '../ModelDoc.js';
import { ACTIVATIONS } from './activations.js';
import type { LayerDef, ParamSpec, Params } from './types.js';

/** Keras's initializer names that Kiln implements (common/model's engine draws them). */
export const INITIALIZERS: ReadonlySet<string> = new Set(['zeros', 'ones', 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal', 'random_uniform', 'random_normal', 'truncated_normal']);

/** Keras config keys every layer may carry that do not change what it computes here. */
const IGNORED = new Set(['name', 'trainable', 'dtype', 'batch_input_shape', 'sparse', 'ragged', 'autocast']);

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function describe(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return `of at least ${min}`;
  return max !== undefined ? `of at most ${max}` : '';
}

/** The value in normal form, or a problem ("must be ..."). */
function check(name: string, spec: ParamSpec, v: ParamValue): { value: ParamValue } | { problem: string } {
  if (v === null) {
    // Keras's None: allowed where it means something (no activation, strides = pool size, ...).
    if (('nullable' in spec && spec.nullable) || spec.kind === 'regularizer' || spec.kind === 'activation') return { value: null };
    return { problem: spec.default === null ? `needs ${name}: set it (Keras has no default for it)` : `${name} must be set` };
  }
  switch (spec.kind) {
    case 'int':
      if (!isInt(v) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        return { problem: `${name} must be a whole number ${range(spec.min, spec.max)}, got ${describe(v)}` };
      }
      return { value: v };
    case 'float': {
      const bad = typeof v !== 'number' || !Number.isFinite(v) || (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) || (spec.max !== undefined && v > spec.max);
      if (bad) return { problem: `${name} must be a number ${spec.exclusiveMin ? `above ${spec.min}` : range(spec.min, spec.max)}${spec.exclusiveMin && spec.max !== undefined ? ` and at most ${spec.max}` : ''}, got ${describe(v)}` };
      return { value: v };
    }
    case 'bool':
      return typeof v === 'boolean' ? { value: v } : { problem: `${name} must be true or false, got ${describe(v)}` };
    case 'enum':
      return typeof v === 'string' && spec.options.includes(v) ? { value: v } : { problem: `${name} must be one of ${spec.options.join(', ')}, got ${describe(v)}` };
    case 'tuple': {
      const t = isInt(v) ? new Array<number>(spec.length).fill(v) : v;
      const min = spec.min ?? 1;
      if (!Array.isArray(t) || t.length !== spec.length || !t.every((d) => isInt(d) && d >= min)) {
        return { problem: `${name} must be a whole number or ${spec.length} whole numbers of at least ${min}, got ${describe(v)}` };
      }
      return { value: t };
    }
    case 'ints': {
      const min = spec.min ?? 1;
      const ok = Array.isArray(v) && v.every((d) => isInt(d) && (d >= min || (spec.allowMinusOne && d === -1)));
      if (!ok || (spec.allowMinusOne && (v as number[]).filter((d) => d === -1).length > 1)) {
        return { problem: `${name} must be a list of whole numbers of at least ${min}${spec.allowMinusOne ? ' (one may be -1)' : ''}, got ${describe(v)}` };
      }
      return { value: v };
    }
    case 'floats':
      if (typeof v === 'number' && Number.isFinite(v)) return { value: v };
      if (Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isFinite(d))) return { value: v };
      return { problem: `${name} must be a number or a list of numbers, got ${describe(v)}` };
    case 'pairs': {
      const min = spec.min ?? 0;
      let pairs: unknown = v;
      if (isInt(v)) pairs = Array.from({ length: spec.length }, () => [v, v]);
      else if (Array.isArray(v) && v.length === spec.length && v.every(isInt)) pairs = v.map((d) => [d, d]);
      const ok = Array.isArray(pairs) && pairs.length === spec.length && pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((d) => isInt(d) && d >= min));
      return ok ? { value: pairs as ParamValue } : { problem: `${name} must be a whole number, ${spec.length} of them, or ${spec.length} (before, after) pairs, got ${describe(v)}` };
    }
    case 'activation':
      return typeof v === 'string' && ACTIVATIONS.has(v) ? { value: v } : { problem: `${name} must be one of ${[...ACTIVATIONS.keys()].join(', ')}, got ${describe(v)}` };
    case 'initializer':
      return typeof v === 'string' && INITIALIZERS.has(v) ? { value: v } : { problem: `${name} must be one of ${[...INITIALIZERS].join(', ')}, got ${describe(v)}` };
    case 'regularizer': {
      const o = v as Record<string, unknown>;
      const ok = typeof v === 'object' && !Array.isArray(v) && Object.keys(o).every((k) => (k === 'l1' || k === 'l2') && typeof o[k] === 'number' && (o[k] as number) >= 0);
      return ok ? { value: v } : { problem: `${name} must be null or { l1, l2 } with factors of at least 0, got ${describe(v)}` };
    }
  }
}

/** Parameters with defaults filled in, or every problem found. */
export function resolveParams(def: LayerDef, raw: Record<string, ParamValue>): { params: Params } | { problems: string[] } {
  const problems: string[] = [];
  const params: Params = {};
  for (const [name, spec] of Object.entries(def.params)) {
    const v = name in raw ? raw[name] : (spec.default as ParamValue);
    const r = check(name, spec, v);
    if ('problem' in r) problems.push(r.problem);
    else params[name] = r.value;
  }
  for (const key of Object.keys(raw)) {
    if (!(key in def.params) && !IGNORED.has(key)) problems.push(`has no parameter '${key}' (${def.type} takes ${Object.keys(def.params).join(', ') || 'none'})`);
  }
  return problems.length > 0 ? { problems } : { params };
}
