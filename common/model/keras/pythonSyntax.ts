/** Python source fragments for generated Keras code: literals and identifiers. */
import type { ParamValue } from '../ModelDoc.js';

/** A Python float: whole numbers keep a `.0`; 1/255 and the like read as `1 / 255`. */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'float("nan")' : `float("${v > 0 ? 'inf' : '-inf'}")`;
  if (Number.isInteger(v)) return Math.abs(v) < 1e15 ? `${v}.0` : String(v);  // 1e+21 is a float in Python too
  const inverse = 1 / v;
  if (v > 0 && String(v).length > 8 && Number.isInteger(inverse) && inverse <= 1e6 && 1 / inverse === v) return `1 / ${inverse}`;
  // Small numbers read better as 1e-6 than 0.000001.
  return Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
}

/** A number as Python writes it: an int when whole, unless `float` asks for a float. */
export function pyNumber(v: number, float = false): string {
  return float || !Number.isInteger(v) ? pyFloat(v) : String(v);
}

/** A JSON-style string literal is also a valid Python one (double quotes, \n, \uXXXX escapes). */
export const pyString = (s: string): string => JSON.stringify(s);

/** A `#` comment on one line, whatever line breaks the text (a layer name, a message) holds. */
export const pyComment = (text: string): string => `# ${text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ')}`;

/** A tuple literal, with the trailing comma a one-element tuple needs. */
function pyTuple(items: string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/**
 * A parameter value as a Python literal: lists as tuples (shapes, kernel sizes, pairs), numbers
 * as floats where `float` says so, null as None, objects as dicts.
 */
export function pyValue(v: ParamValue, float = false): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v, float);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return pyTuple(v.map((x) => pyValue(x, float)));
  return `{${Object.entries(v).map(([k, x]) => `${pyString(k)}: ${pyValue(x, float)}`).join(', ')}}`;
}

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield',
]);

/**
 * Python variable names for `names`, in order: invalid characters become `_`, a leading digit gets
 * a `layer_` prefix, keywords and `reserved` names a trailing `_`, and repeats a `_2`, `_3`, ...
 */
export function pyIdentifiers(names: string[], reserved: ReadonlySet<string>): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let base = name.replace(/[^A-Za-z0-9_]/g, '_');
    if (base === '' || /^[0-9]/.test(base)) base = `layer_${base}`;
    if (KEYWORDS.has(base) || reserved.has(base)) base = `${base}_`;
    let id = base;
    for (let i = 2; taken.has(id) || reserved.has(id); i++) id = `${base}_${i}`;
    taken.add(id);
    return id;
  });
}
