/**
 * The ids a POST/PUT body refers to, found from a declaration's fields: every writable UUID (or
 * UUID list) field whose `ref` names the classes it may point at, or whose proto field is one
 * side of a binding (lib/nsdb/bindings.ts). Tenant scoping (scoping.ts) checks that each of them
 * is the caller's project's, so that no rule has to be written per route.
 */
import { bindingsOf } from '../../../lib/nsdb/bindings.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import type { ModelClass } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import { fieldsOf, inputVariant, readField, storedVariant } from './dto.js';
import type { AnyResource, Dto, FieldDef, Mode } from './types.js';

/** One id of a body and the classes it may name (the first is the one a 404 names). */
export interface Reference {
  json: string;
  id: string;
  classes: readonly ModelClass[];
}

/** The classes a field's ids may name; undefined when the field is no reference. */
export function referenceClasses(def: AnyResource, f: FieldDef): readonly ModelClass[] | undefined {
  if (f.ref) return f.ref;
  if (f.json === 'id' || !f.proto || f.proto.includes('.')) return undefined;
  if (f.type.name !== 'uuid' && f.type.name !== 'uuid[]') return undefined;
  const binding = bindingsOf(def.clazz).find((b) => b.field === f.proto);
  return binding ? [binding.targetClass] : undefined;
}

function writable(f: FieldDef, mode: Mode): boolean {
  return f.access === 'rw' || (mode === 'create' && f.access === 'create');
}

function idsIn(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === 'string' && isUuid(v)).map((v) => v.toLowerCase());
}

/**
 * The ids the body names in reference fields that the operation writes. For an update
 * (`current` given), ids the object refers to already are left out: they were set before (by an
 * admin, perhaps), and keeping them changes nothing. Values that are no UUIDs are left to the
 * handler's own checks (400).
 */
export function referencesOf(def: AnyResource, body: unknown, mode: Mode, current?: Msg): Reference[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const dto = body as Dto;
  let variant;
  if (current) variant = storedVariant(def, current);
  else {
    try {
      variant = inputVariant(def, dto);
    } catch {
      return []; // the handler answers the missing or unknown discriminator
    }
  }
  const out: Reference[] = [];
  for (const f of fieldsOf(def, variant)) {
    if (!writable(f, mode)) continue;
    const classes = referenceClasses(def, f);
    if (!classes) continue;
    const kept = new Set(current ? idsIn(readField(f, current)) : []);
    for (const id of idsIn(dto[f.json])) {
      if (!kept.has(id)) out.push({ json: f.json, id, classes });
    }
  }
  return out;
}
