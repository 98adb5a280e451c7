/** Small helpers over the in-memory message form (lib/models/types.ts). */
import type { FieldValue, Msg } from '../models/types.js';

export function cloneValue<T extends FieldValue>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneValue(x as FieldValue)) as T;
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
  if (v !== null && typeof v === 'object') return cloneMsg(v as Msg) as T;
  return v;
}

export function cloneMsg(m: Msg): Msg {
  const out: Msg = {};
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (v !== undefined) out[k] = cloneValue(v);
  }
  return out;
}

/** The ids a reference field holds, scalar or repeated, as a list. */
export function idsOf(m: Msg, field: string): string[] {
  const v = m[field];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** Multiset difference a − b (each element of b cancels one equal element of a). */
export function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

export function objectId(m: Msg): string {
  const id = m['id'];
  if (typeof id !== 'string') throw new Error('object has no id');
  return id;
}
