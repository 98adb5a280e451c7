/**
 * OVSDB's JSON encoding of data (RFC 7047 §5.1): atoms are strings, numbers, booleans,
 * `["uuid", id]` and, inside one transaction, `["named-uuid", name]`; a set is `["set", [atoms]]`
 * (or the bare atom when it has exactly one element), a map is `["map", [[key, value], ...]]`.
 *
 * The decoders take what a server sent as untrusted input: each checks the shape it expects and
 * throws an OvsdbValueError saying what it found, so a bad row is reported, never half-read.
 */

export type OvsdbUuid = ['uuid', string];
export type OvsdbNamedUuid = ['named-uuid', string];
export type OvsdbAtom = string | number | boolean | OvsdbUuid | OvsdbNamedUuid;
export type OvsdbSet = ['set', OvsdbAtom[]];
export type OvsdbMap = ['map', [OvsdbAtom, OvsdbAtom][]];
export type OvsdbValue = OvsdbAtom | OvsdbSet | OvsdbMap;
/** A row as sent or received: column name to value (`_uuid` and `_version` included when selected). */
export type OvsdbRow = Record<string, OvsdbValue>;

export class OvsdbValueError extends Error {
  override name = 'OvsdbValueError';
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 7047: a named-uuid is an <id>, [a-zA-Z_][a-zA-Z0-9_]* */
const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isUuidString(s: string): boolean {
  return UUID_RE.test(s);
}

export function uuid(id: string): OvsdbUuid {
  if (!UUID_RE.test(id)) throw new OvsdbValueError(`not a UUID: ${JSON.stringify(id)}`);
  return ['uuid', id.toLowerCase()];
}

export function namedUuid(name: string): OvsdbNamedUuid {
  if (!ID_RE.test(name)) throw new OvsdbValueError(`not a valid uuid-name: ${JSON.stringify(name)}`);
  return ['named-uuid', name];
}

export function ovsSet(atoms: readonly OvsdbAtom[]): OvsdbSet {
  return ['set', [...atoms]];
}

export function ovsMap(entries: Iterable<readonly [OvsdbAtom, OvsdbAtom]>): OvsdbMap {
  return ['map', Array.from(entries, ([k, v]) => [k, v] as [OvsdbAtom, OvsdbAtom])];
}

/** The empty set: how OVSDB writes "no value" for an optional column (min 0, max 1). */
export function emptySet(): OvsdbSet {
  return ['set', []];
}

/** A value for an optional column: the atom, or the empty set when absent. */
export function optional(atom: OvsdbAtom | undefined): OvsdbValue {
  return atom === undefined ? emptySet() : atom;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isTagged(v: unknown, tag: string): v is [string, unknown] {
  return Array.isArray(v) && v.length === 2 && v[0] === tag;
}

/** Whether `v` is a well-formed atom (a UUID in its proper form). */
export function isAtom(v: unknown): v is OvsdbAtom {
  if (typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (isTagged(v, 'uuid')) return typeof v[1] === 'string' && UUID_RE.test(v[1]);
  if (isTagged(v, 'named-uuid')) return typeof v[1] === 'string' && ID_RE.test(v[1]);
  return false;
}

/** The elements of a set-typed value: `["set", [...]]`, or a bare atom (a set of one). */
export function setElements(v: unknown): OvsdbAtom[] {
  if (isTagged(v, 'set')) {
    const elems = v[1];
    if (!Array.isArray(elems)) throw new OvsdbValueError(`malformed set ${describe(v)}`);
    for (const e of elems) if (!isAtom(e)) throw new OvsdbValueError(`malformed set element ${describe(e)}`);
    return elems as OvsdbAtom[];
  }
  if (isAtom(v)) return [v];
  throw new OvsdbValueError(`expected a set, got ${describe(v)}`);
}

/** The pairs of a map-typed value `["map", [[k, v], ...]]`. */
export function mapEntries(v: unknown): [OvsdbAtom, OvsdbAtom][] {
  if (!isTagged(v, 'map') || !Array.isArray(v[1])) throw new OvsdbValueError(`expected a map, got ${describe(v)}`);
  const out: [OvsdbAtom, OvsdbAtom][] = [];
  for (const pair of v[1] as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isAtom(pair[0]) || !isAtom(pair[1])) {
      throw new OvsdbValueError(`malformed map entry ${describe(pair)}`);
    }
    out.push([pair[0], pair[1]]);
  }
  return out;
}

export function uuidOf(v: unknown): string {
  if (isTagged(v, 'uuid') && typeof v[1] === 'string' && UUID_RE.test(v[1])) return v[1].toLowerCase();
  throw new OvsdbValueError(`expected a UUID, got ${describe(v)}`);
}

export function stringOf(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new OvsdbValueError(`expected a string, got ${describe(v)}`);
}

export function integerOf(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new OvsdbValueError(`expected an integer, got ${describe(v)}`);
}

export function booleanOf(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw new OvsdbValueError(`expected a boolean, got ${describe(v)}`);
}

/** An optional column (min 0, max 1): its one element decoded by `decode`, or undefined. */
export function optionalOf<T>(v: unknown, decode: (atom: OvsdbAtom) => T): T | undefined {
  const elems = setElements(v);
  if (elems.length > 1) throw new OvsdbValueError(`expected at most one value, got ${describe(v)}`);
  return elems.length === 0 ? undefined : decode(elems[0]);
}

/** A set column's elements, each decoded by `decode`. */
export function setOf<T>(v: unknown, decode: (atom: OvsdbAtom) => T): T[] {
  return setElements(v).map(decode);
}

/** A map column's pairs, decoded by `key` and `value`. */
export function mapOf<K, V>(v: unknown, key: (atom: OvsdbAtom) => K, value: (atom: OvsdbAtom) => V): Map<K, V> {
  const out = new Map<K, V>();
  for (const [k, val] of mapEntries(v)) out.set(key(k), value(val));
  return out;
}
