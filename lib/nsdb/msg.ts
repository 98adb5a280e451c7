/** Small helpers over the in-memory message form (lib/models/types.ts). */
import type { ModelClass, Models } from '../models/generated.js';
import type { FieldValue, Msg } from '../models/types.js';

/**
 * The object as its class's type. The one place where an untyped message becomes a typed one: the
 * storage layer calls it on what the codec parsed (or a transaction holds) for that class, so the
 * object has that class's fields and no others.
 */
export function asModel<C extends ModelClass>(_clazz: C, m: Msg): Models[C] {
  return m;
}

export function cloneValue<T extends FieldValue>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneValue(x as FieldValue)) as T;
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
  if (v !== null && typeof v === 'object') return cloneMsg(v) as T;
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

/** The objects of a list that are there (reads of missing objects give null). */
export function present<M>(list: readonly (M | null)[]): M[] {
  const out: M[] = [];
  for (const m of list) if (m !== null) out.push(m);
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
