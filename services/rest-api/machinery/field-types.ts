/**
 * JSON field types of the REST models: how a JSON value is read (with the original Jackson
 * mapper's leniency: numeric strings for numbers, null for "unset"), how it is stored in the
 * protobuf model, and how it is shown again. Validators produce bean-validation style violations.
 */
import type { IPAddress } from '../../../lib/models/generated.js';
import type { FieldValue } from '../../../lib/models/types.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import { message } from '../../../lib/http/messages.js';
import { formatIPv6, isIPv4, parseIPv6 } from './addresses.js';

/** A JSON value of the wrong shape: the original answers 400 with the mapper's message, no violations. */
export class JsonMappingError extends Error {
  override name = 'JsonMappingError';
}

/**
 * J: the parsed JSON value; P: the stored field's value (lib/models/types.ts form). The functions
 * are methods (checked both ways), so that any field type fits `FieldType` (what a FieldDef holds).
 */
export interface FieldType<J = unknown, P extends FieldValue = FieldValue> {
  readonly name: string;
  /** JSON input → value; null/undefined → null. Wrong JSON type → JsonMappingError. */
  parse(raw: unknown, field: string): J | null;
  /** value → proto field value (undefined: leave the proto field unset). */
  toProto(v: J): P | undefined;
  /** proto field value → JSON value (null when absent). */
  fromProto(v: P | undefined): J | null;
  /** the JSON value for "nothing": [] for lists, null otherwise */
  readonly empty: J | null;
  /**
   * What an explicit JSON null means for a Java primitive (boolean → false, int → 0, as the
   * original's mapper does); absent for types whose null stays null. An absent key still means
   * the field's default.
   */
  readonly nullValue?: J;
}

function typeError(field: string, expected: string, raw: unknown): JsonMappingError {
  return new JsonMappingError(`Invalid value for field '${field}': expected ${expected}, got ${JSON.stringify(raw) ?? String(raw)}`);
}

const uuid: FieldType<string> = {
  name: 'uuid',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'string' || !isUuid(raw)) throw typeError(field, 'a UUID', raw);
    return raw.toLowerCase();
  },
  toProto: (v) => v,
  fromProto: (v) => (typeof v === 'string' ? v : null),
};

const string: FieldType<string> = {
  name: 'string',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    throw typeError(field, 'a string', raw);
  },
  toProto: (v) => v,
  fromProto: (v) => (typeof v === 'string' ? v : null),
};

/**
 * A Java `Boolean` field of the original's model (boxed): JSON null is no value, so the field
 * stays unset, or takes its declared default, as when the key is absent. (The original's
 * converter skips null fields: `"offRampVxlan": null` leaves the port's flag unset.)
 */
const boxedBool: FieldType<boolean> = {
  name: 'boolean',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw typeError(field, 'a boolean', raw);
  },
  toProto: (v) => v,
  fromProto: (v) => (typeof v === 'boolean' ? v : null),
};

/** A Java `boolean` field (primitive): JSON null is false, as the original's mapper makes it. */
const bool: FieldType<boolean> = {
  ...boxedBool,
  nullValue: false,
};

/**
 * An integer. JSON null is no value (a Java `Integer`, `Short`, `Long`: unset or the declared
 * default). For the original's primitive `int` fields null is 0: their declarations' defaults
 * give that (0, or what 0 means there, as a rule's position 1).
 */
function integer(bits: 32 | 64, unsigned: boolean): FieldType<number> {
  const min = unsigned ? 0 : bits === 32 ? -(2 ** 31) : Number.MIN_SAFE_INTEGER;
  const max = bits === 32 ? (unsigned ? 2 ** 32 - 1 : 2 ** 31 - 1) : Number.MAX_SAFE_INTEGER;
  return {
    name: `int${bits}`,
    empty: null,
    parse(raw, field) {
      if (raw === null || raw === undefined) return null;
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) n = Number(raw.trim());
      else throw typeError(field, 'an integer', raw);
      if (!Number.isInteger(n) || n < min || n > max) throw typeError(field, `an integer in [${min}, ${max}]`, raw);
      return n;
    },
    toProto: (v) => (bits === 64 ? BigInt(v) : v),
    fromProto: (v) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null),
  };
}

function list<E>(element: FieldType<E>): FieldType<E[]> {
  return {
    name: `${element.name}[]`,
    empty: [],
    parse(raw, field) {
      if (raw === null || raw === undefined) return null;
      if (!Array.isArray(raw)) throw typeError(field, 'an array', raw);
      return raw.map((x) => {
        const v = element.parse(x, field);
        if (v === null) throw typeError(field, `an array of ${element.name}`, raw);
        return v;
      });
    },
    toProto: (v) => v.map((x) => element.toProto(x)).filter((x) => x !== undefined) as FieldValue,
    fromProto: (v) => (Array.isArray(v) ? (v as FieldValue[]).map((x) => element.fromProto(x)).filter((x): x is E => x !== null) : []),
  };
}

/** An IP address stored as commons.IPAddress; shown in the original's long form. */
const ipAddress: FieldType<string, IPAddress> = {
  name: 'IP address',
  empty: null,
  parse: string.parse,
  toProto: (v) => ipAddressProto(v),
  fromProto: (v) => v?.address ?? null,
};

/** An address as commons.IPAddress: the version by its family, IPv6 in the original's long form. */
export function ipAddressProto(text: string): IPAddress {
  if (isIPv4(text)) return { version: 'V4', address: text };
  const six = parseIPv6(text);
  return { version: 'V6', address: six ? formatIPv6(six) : text };
}

export const T = {
  uuid,
  string,
  /** Java `boolean`: null is false */
  bool,
  /** Java `Boolean`: null is no value */
  boxedBool,
  int32: integer(32, false),
  uint32: integer(32, true),
  int64: integer(64, false),
  uint64: integer(64, true),
  uuidList: list(uuid),
  stringList: list(string),
  ipAddress,
  list,
};

// ---- validators --------------------------------------------------------------------------

/** Returns a violation message, or undefined when the value is fine. Not called for null. */
export type Validator = (value: unknown) => string | undefined;

export const V = {
  range(min: number, max: number): Validator {
    return (v) => {
      if (typeof v !== 'number') return undefined;
      if (v < min) return message('MinValue', min);
      if (v > max) return message('MaxValue', max);
      return undefined;
    };
  },
  min(min: number): Validator {
    return (v) => (typeof v === 'number' && v < min ? message('MinValue', min) : undefined);
  },
  size(min: number, max: number): Validator {
    return (v) => (typeof v === 'string' && (v.length < min || v.length > max) ? `size must be between ${min} and ${max}` : undefined);
  },
  pattern(re: RegExp, msg: string): Validator {
    return (v) => (typeof v === 'string' && !re.test(v) ? msg : undefined);
  },
  ipv4(msg = message('IpAddrInvalid')): Validator {
    return (v) => (typeof v === 'string' && !isIPv4(v) ? msg : undefined);
  },
};

/**
 * A JSON string enum stored as a proto enum. Unknown values are a mapping error (400 without
 * violations), with the resource's own message where the original has one.
 */
export function enumType(jsonToProto: Record<string, string>, unknownMessage?: string): FieldType<string> {
  const protoToJson = new Map(Object.entries(jsonToProto).map(([j, p]) => [p, j]));
  return {
    name: 'enum',
    empty: null,
    parse(raw, field) {
      if (raw === null || raw === undefined) return null;
      if (typeof raw !== 'string' || !(raw in jsonToProto)) {
        throw new JsonMappingError(unknownMessage ?? `Invalid value for field '${field}': must be one of ${Object.keys(jsonToProto).join(', ')}`);
      }
      return raw;
    },
    toProto: (v) => jsonToProto[v],
    fromProto: (v) => (typeof v === 'string' ? (protoToJson.get(v) ?? null) : null),
  };
}
