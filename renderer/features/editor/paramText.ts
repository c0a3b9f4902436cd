/**
 * Parameters as the inspector's text fields show and read them, in Python's notation where Keras
 * users expect it: tuples as "3, 3", nested pairs as "(1, 1), (2, 2)", Keras's None as "None".
 * Parsing only turns text into values; whether a value is allowed is the catalogue's decision.
 */
import type { ParamSpec, ParamValue } from '../../../common/model/index.js';

/** The kinds edited as text (the others get a checkbox or a list). */
export type TextKind = Extract<ParamSpec['kind'], 'int' | 'float' | 'tuple' | 'ints' | 'floats' | 'pairs'>;

export function formatParam(v: ParamValue | undefined): string {
  if (v === undefined || v === null) return 'None';
  if (Array.isArray(v)) return v.map((e) => (Array.isArray(e) ? `(${e.map((d) => formatParam(d)).join(', ')})` : formatParam(e))).join(', ');
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The value typed, or why it is not one: "3, 3" → [3, 3]; "None" → null. */
export function parseParam(kind: TextKind, text: string): { value: ParamValue } | { problem: string } {
  const t = text.trim();
  if (t === '' || /^none$/i.test(t)) return { value: null };
  const number = (s: string): number | undefined => {
    const n = Number(s.trim());
    return s.trim() !== '' && Number.isFinite(n) ? n : undefined;
  };
  if (kind === 'int' || kind === 'float') {
    const n = number(t);
    return n === undefined ? { problem: `"${t}" is not a number` } : { value: n };
  }
  if (kind === 'pairs') {
    const json = `[${t.replace(/\(/g, '[').replace(/\)/g, ']')}]`;
    try {
      const v = JSON.parse(json) as ParamValue[];
      // "2" is one number; "1, 2" two numbers; "(1, 1), (2, 2)" pairs: the catalogue expands them.
      return { value: v.length === 1 && typeof v[0] === 'number' ? v[0] : v };
    } catch {
      return { problem: `"${t}" is not a list of pairs such as (1, 1), (2, 2)` };
    }
  }
  const parts = t.replace(/^[([]|[)\]]$/g, '').split(',').filter((p, i, all) => p.trim() !== '' || i < all.length - 1);
  const values = parts.map(number);
  if (values.some((v) => v === undefined)) return { problem: `"${t}" is not a list of numbers such as 3, 3` };
  const nums = values as number[];
  // Keras takes one number for every axis of a tuple, and one number for floats such as a mean.
  if ((kind === 'tuple' || kind === 'floats') && nums.length === 1) return { value: nums[0] };
  return { value: nums };
}
