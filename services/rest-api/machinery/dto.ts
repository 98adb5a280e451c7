/**
 * The DTO converter: JSON body → validated values → stored protobuf object, and back.
 * Driven entirely by the field declarations of a resource.
 */
import type { FieldValue, Msg } from '../../../lib/models/types.js';
import { cloneMsg } from '../../../lib/nsdb/msg.js';
import { badRequest, HttpError, type Violation } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { JsonMappingError } from './field-types.js';
import type { AnyResource, Dto, FieldDef, LinkDef, Mode, VariantDef } from './types.js';

/** Proto field paths may be nested (`condition.nw_proto`): the REST model inlines sub-messages. */
export function getPath(m: Msg, path: string): FieldValue | undefined {
  if (!path.includes('.')) return m[path];
  let cur: FieldValue | undefined = m;
  for (const part of path.split('.')) {
    if (cur === undefined || typeof cur !== 'object' || Array.isArray(cur) || Buffer.isBuffer(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function setPath(m: Msg, path: string, value: FieldValue): void {
  const parts = path.split('.');
  let cur = m;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === undefined || typeof next !== 'object' || Array.isArray(next) || Buffer.isBuffer(next)) cur[part] = {};
    cur = cur[part] as Msg;
  }
  cur[parts[parts.length - 1]] = value;
}

export function deletePath(m: Msg, path: string): void {
  const parts = path.split('.');
  let cur: Msg | undefined = m;
  for (const part of parts.slice(0, -1)) {
    const next: FieldValue | undefined = cur?.[part];
    if (next === undefined || typeof next !== 'object' || Array.isArray(next) || Buffer.isBuffer(next)) return;
    cur = next;
  }
  if (cur) delete cur[parts[parts.length - 1]];
}

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The variant named by the discriminator of an input body; 400 when missing or unknown. */
export function inputVariant(def: AnyResource, body: Record<string, unknown>): VariantDef | undefined {
  if (!def.variants || !def.discriminator) return undefined;
  const raw = body[def.discriminator];
  if (raw === undefined || raw === null) {
    throw new HttpError(400, 'Validation error(s) found', {
      violations: [{ property: def.discriminator, message: message('NonNull') }],
    });
  }
  const v = def.variants.find((x) => x.inputNames.includes(String(raw)));
  if (!v) {
    throw badRequest(`Invalid value '${String(raw)}' for '${def.discriminator}': must be one of ${def.variants.flatMap((x) => x.inputNames).join(', ')}.`);
  }
  return v;
}

export function storedVariant(def: AnyResource, proto: Msg): VariantDef | undefined {
  return def.variants?.find((v) => v.matches(proto));
}

export function fieldsOf(def: AnyResource, variant?: VariantDef): FieldDef[] {
  return variant ? [...def.fields, ...variant.fields] : def.fields;
}

function writable(f: Pick<FieldDef, 'access'>, mode: Mode): boolean {
  return f.access === 'rw' || (mode === 'create' && f.access === 'create');
}

/**
 * Parses the writable fields of a body. JSON type errors are thrown (400, no violations); value
 * rules are collected as violations so the client sees all of them at once.
 */
export function parseInput<M>(fields: readonly FieldDef<M>[], body: Record<string, unknown>, mode: Mode): { dto: Dto; violations: Violation[] } {
  const dto: Dto = {};
  const violations: Violation[] = [];
  for (const f of fields) {
    let value: unknown;
    try {
      // read-only fields are ignored, but a value of the wrong JSON type is still a 400 (as the
      // original's mapper fails before any field is looked at)
      value = f.type.parse(body[f.json], f.json);
    } catch (e) {
      if (e instanceof JsonMappingError) throw badRequest(e.message);
      throw e;
    }
    if (!writable(f, mode)) continue;
    if (value === null && body[f.json] === null && f.type.nullValue !== undefined) value = f.type.nullValue;
    if (value === null) {
      if (f.required) {
        violations.push({ property: f.json, message: message('NonNull') });
        dto[f.json] = null;
        continue;
      }
      value = f.default ?? f.type.empty;
    }
    if (value !== null && value !== undefined) {
      for (const check of f.validators ?? []) {
        const m = check(value);
        if (m) violations.push({ property: f.json, message: m });
      }
    }
    dto[f.json] = value;
  }
  return { dto, violations };
}

/**
 * The stored object for a create (from nothing) or an update (from the current object: fields
 * the client cannot write, back-references included, are carried over unchanged).
 */
export function buildProto<M extends Msg>(fields: readonly FieldDef<M>[], dto: Dto, mode: Mode, current?: M): M {
  // what the fields write makes an M (they are declared on M)
  const proto = (current ? cloneMsg(current) : {}) as M;
  for (const f of fields) {
    if (!writable(f, mode)) continue;
    for (const p of f.owns ?? (f.proto ? [f.proto] : [])) deletePath(proto, p);
  }
  for (const f of fields) {
    if (!writable(f, mode)) continue;
    const value = dto[f.json];
    if (f.write) {
      f.write(value, proto, dto);
    } else if (f.proto && value !== null && value !== undefined) {
      const stored = f.type.toProto(value);
      if (stored !== undefined && !(Array.isArray(stored) && stored.length === 0)) setPath(proto, f.proto, stored);
    }
  }
  return proto;
}

export function readField<M extends Msg>(f: FieldDef<M>, proto: M): unknown {
  if (f.read) return f.read(proto);
  if (!f.proto) return f.default ?? f.type.empty;
  const v = f.type.fromProto(getPath(proto, f.proto));
  if (v === null) return f.default ?? f.type.empty;
  return v;
}

/** The JSON view of a stored object: fields, discriminator, `uri` and links. */
export function renderJson(def: AnyResource, proto: Msg, base: string): Dto {
  const variant = storedVariant(def, proto);
  const json: Dto = {};
  const id = proto['id'];
  const self = `${base}/${def.segment}/${String(id)}`;
  json['uri'] = self;
  if (def.discriminator && variant) json[def.discriminator] = variant.outputName;
  for (const f of fieldsOf(def, variant)) json[f.json] = readField(f, proto);
  const links: LinkDef[] = [...(def.links ?? []), ...(variant?.links ?? [])];
  for (const l of links) json[l.json] = l.href({ base, self, proto, json });
  return json;
}
