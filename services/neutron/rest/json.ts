/**
 * Neutron JSON ⇄ Neutron proto messages, as the original's DTOs do it (rest-api-extras.md §6.3):
 * snake_case keys, unknown keys ignored, `null` the same as absent; booleans that are Java
 * primitives default (false, or true for `port_security_enabled`) and are always stored; lists
 * default to `[]`; addresses are kept as sent in the DTO (the echo of a POST) and stored in the
 * canonical form; lenient enums read unknown values as null.
 *
 * A request body becomes a DTO (`parse`), the DTO a message (`toProto`); a stored message becomes
 * a DTO again (`fromProto`) for GETs. A DTO is what the API sends back.
 */
import type { FieldValue, Msg } from '../../../lib/models/types.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import { HttpError } from '../../../lib/http/errors.js';
import { parseAddress, parseSubnet } from '../net.js';

export type Dto = Record<string, unknown>;

/** A body the converter cannot take: 400 with the reason. */
export class JsonInputError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export interface Kind {
  /** the JSON value (neither null nor undefined) as a DTO value; throws JsonInputError */
  parse(raw: unknown, key: string): unknown;
  /** the DTO value as stored (undefined: not stored) */
  toProto(v: unknown): FieldValue | undefined;
  /** the stored value (possibly absent) as a DTO value */
  fromProto(v: FieldValue | undefined): unknown;
}

export interface Field {
  json: string;
  proto: string;
  kind: Kind;
  /** DTO value when the key is absent or null */
  absent: unknown;
}

export type Schema = readonly Field[];

const describe = (raw: unknown): string => (typeof raw === 'string' ? `"${raw}"` : (JSON.stringify(raw) ?? String(raw)));
const wrongType = (key: string, raw: unknown, what: string): JsonInputError =>
  new JsonInputError(`Invalid value ${describe(raw)} for field "${key}": expected ${what}.`);

// ---- kinds -------------------------------------------------------------------------------------

export const string: Kind = {
  parse(raw, key) {
    // scalars are taken as their text, as Jackson does
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    throw wrongType(key, raw, 'a string');
  },
  toProto: (v) => (typeof v === 'string' ? v : undefined),
  fromProto: (v) => (typeof v === 'string' ? v : null),
};

export const uuid: Kind = {
  parse(raw, key) {
    if (isUuid(raw)) return raw.toLowerCase();
    throw wrongType(key, raw, 'a UUID');
  },
  toProto: (v) => (typeof v === 'string' ? v : undefined),
  fromProto: (v) => (typeof v === 'string' ? v : null),
};

/** A Java primitive boolean: always stored; `whenUnset` is the proto default shown on GET. */
export function bool(whenUnset: boolean): Kind {
  return {
    parse(raw, key) {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw wrongType(key, raw, 'true or false');
    },
    toProto: (v) => (typeof v === 'boolean' ? v : undefined),
    fromProto: (v) => (typeof v === 'boolean' ? v : whenUnset),
  };
}

export const int: Kind = {
  parse(raw, key) {
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return n;
    throw wrongType(key, raw, 'a 32-bit integer');
  },
  toProto: (v) => (typeof v === 'number' ? v : undefined),
  fromProto: (v) => (typeof v === 'number' ? v : null),
};

/** An IP address: kept as sent, stored canonically; not an address → 400. */
export const ip: Kind = {
  parse(raw, key) {
    if (typeof raw !== 'string' || !parseAddress(raw)) throw wrongType(key, raw, 'an IP address');
    return raw;
  },
  toProto: (v) => (typeof v === 'string' ? parseAddress(v) : undefined),
  fromProto: (v) => (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? String(v['address'] ?? '') : null),
};

/** A CIDR (a bare address is a host route): kept as sent, stored as address and prefix length. */
export const cidr: Kind = {
  parse(raw, key) {
    if (typeof raw !== 'string' || !parseSubnet(raw)) throw wrongType(key, raw, 'a CIDR');
    return raw;
  },
  toProto: (v) => (typeof v === 'string' ? parseSubnet(v) : undefined),
  fromProto: (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return null;
    const m = v;
    return `${String(m['address'] ?? '')}/${String(m['prefix_length'] ?? 0)}`;
  },
};

/**
 * An enum: `read` maps the JSON text to the DTO's (canonical JSON) value, or null for an unknown
 * one (or throws, for the strict ones); `values` maps each canonical JSON value to the proto name.
 */
export function enumOf(values: Readonly<Record<string, string>>, read: (text: string, key: string) => string | null, unsetJson: string | null = null): Kind {
  const byProto = new Map(Object.entries(values).map(([json, proto]) => [proto, json]));
  return {
    parse(raw, key) {
      if (typeof raw === 'string') return read(raw, key);
      if (typeof raw === 'number') return read(String(raw), key);
      throw wrongType(key, raw, 'a string');
    },
    toProto: (v) => (typeof v === 'string' ? values[v] : undefined),
    fromProto: (v) => (typeof v === 'string' ? (byProto.get(v) ?? null) : unsetJson),
  };
}

/** A nested object with its own fields. */
export function object(schema: Schema): Kind {
  return {
    parse(raw, key) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw wrongType(key, raw, 'an object');
      return parseDto(schema, raw as Record<string, unknown>, `${key}.`);
    },
    toProto: (v) => (v && typeof v === 'object' ? toProto(schema, v as Dto) : undefined),
    fromProto: (v) => (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? fromProto(schema, v) : null),
  };
}

/** A list of a kind; null items are dropped. */
export function list(of: Kind): Kind {
  return {
    parse(raw, key) {
      if (!Array.isArray(raw)) throw wrongType(key, raw, 'a list');
      return raw.filter((x) => x !== null && x !== undefined).map((x, i) => of.parse(x, `${key}[${i}]`));
    },
    toProto: (v) => (Array.isArray(v) ? (v.map((x) => of.toProto(x)).filter((x) => x !== undefined) as FieldValue) : undefined),
    fromProto: (v) => (Array.isArray(v) ? (v as FieldValue[]).map((x) => of.fromProto(x)) : []),
  };
}

// ---- fields and conversion ---------------------------------------------------------------------

/** A field whose JSON key and proto name are the same. */
export function field(json: string, kind: Kind, absent: unknown = null, proto = json): Field {
  return { json, proto, kind, absent };
}

/** JSON object → DTO: every field of the schema, absent ones at their default. */
export function parseDto(schema: Schema, body: Record<string, unknown>, prefix = ''): Dto {
  const dto: Dto = {};
  for (const f of schema) {
    const raw = body[f.json];
    dto[f.json] = raw === null || raw === undefined ? cloneDefault(f.absent) : f.kind.parse(raw, `${prefix}${f.json}`);
  }
  return dto;
}

const cloneDefault = (v: unknown): unknown => (Array.isArray(v) ? [] : v);

export function toProto(schema: Schema, dto: Dto): Msg {
  const out: Msg = {};
  for (const f of schema) {
    const v = dto[f.json];
    if (v === null || v === undefined) continue;
    const p = f.kind.toProto(v);
    if (p !== undefined && !(Array.isArray(p) && p.length === 0)) out[f.proto] = p;
  }
  return out;
}

export function fromProto(schema: Schema, m: Msg): Dto {
  const dto: Dto = {};
  for (const f of schema) dto[f.json] = f.kind.fromProto(m[f.proto]);
  return dto;
}
