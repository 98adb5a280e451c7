/**
 * Configuration schemas (mn-conf.md §3): HOCON documents holding every key's default, with
 * optional `<key>_description` and `<key>_type` siblings and a `<name>.schemaVersion`. This module
 * reads the schemas bundled with the node (./schemas/*.conf), checks values against a schema,
 * and strips the annotation keys for display.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  describeType,
  entries,
  getPath,
  HoconError,
  layer,
  parse,
  renderJsonString,
  renderPath,
  resolve,
  toBoolean,
  toBytes,
  toDurationMs,
  toInt,
  toNumber,
  toStr,
  valueType,
  withoutPath,
  type HObject,
  type HValue,
  type Origin,
} from './hocon.js';

export const DESCRIPTION_SUFFIX = '_description';
export const TYPE_SUFFIX = '_type';

export interface Schema {
  readonly name: string;
  /** descriptions normalised (whitespace collapsed), unresolved */
  readonly config: HObject;
  readonly version: number;
}

/** The key `a.b.c` with a suffix on its last segment: `a.b.c_type`. */
export function keyWithSuffix(path: readonly string[], suffix: string): string[] {
  return [...path.slice(0, -1), `${path[path.length - 1] ?? ''}${suffix}`];
}

export function isAnnotationKey(path: readonly string[]): boolean {
  const last = path[path.length - 1] ?? '';
  return last.endsWith(DESCRIPTION_SUFFIX) || last.endsWith(TYPE_SUFFIX);
}

/** Collapses runs of whitespace in every `*_description` string, as the original does when deploying. */
export function normalizeDescriptions(o: HObject): HObject {
  const fields = new Map<string, HValue>();
  for (const [k, v] of o.fields) {
    if (v.t === 'object') fields.set(k, normalizeDescriptions(v));
    else if (v.t === 'string' && k.endsWith(DESCRIPTION_SUFFIX)) fields.set(k, { ...v, v: v.v.replace(/\s+/g, ' ').trim() });
    else fields.set(k, v);
  }
  return { t: 'object', fields, origin: o.origin };
}

/** The schema's version (`<name>.schemaVersion`), -1 when absent or not a number. */
export function schemaVersion(config: HObject, name: string): number {
  const v = getPath(config, [name, 'schemaVersion']);
  return v?.t === 'number' && Number.isInteger(v.v) ? v.v : -1;
}

const SCHEMA_DIR = new URL('./schemas/', import.meta.url);

/** The schema files shipped with the node, parsed (no DEFAULTS: see settings.ts bundledSchemas). */
export function readSchemaFiles(): Schema[] {
  const names = readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => f.slice(0, -'.conf'.length))
    .sort();
  return names.map((name) => {
    const config = normalizeDescriptions(parse(readFileSync(new URL(`${name}.conf`, SCHEMA_DIR), 'utf8'), `bundled schema ${name}`));
    const version = schemaVersion(config, name);
    if (version < 0) throw new HoconError(`bundled schema ${name} has no integer ${name}.schemaVersion`);
    return { name, config, version };
  });
}

/**
 * Removes the `_type` and `_description` sibling of every key (the original's dropSchema: what
 * `mn-conf dump` shows). The keys of the annotations themselves are kept if they annotate nothing.
 */
export function dropSchema(cfg: HObject): HObject {
  let out = cfg;
  for (const [path] of entries(cfg)) {
    out = withoutPath(out, keyWithSuffix(path, TYPE_SUFFIX));
    out = withoutPath(out, keyWithSuffix(path, DESCRIPTION_SUFFIX));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** The levels a `*.loggers.*` value may take (logback's names, any case). */
export const LOGGER_LEVELS = ['OFF', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'ALL'] as const;

/** `cluster.loggers.x.y`, `agent.loggers.root`: a logger level key (open set of names). */
export function isLoggerKey(path: readonly string[]): boolean {
  return path.length >= 3 && path[1] === 'loggers' && !isAnnotationKey(path);
}

export class ValidationError extends Error {
  override name = 'ValidationError';
}

function where(origin: Origin | undefined): string {
  if (!origin) return '';
  return origin.line === undefined ? `${origin.description}: ` : `${origin.description}: ${origin.line}: `;
}

function render(v: HValue): string {
  switch (v.t) {
    case 'string':
      return renderJsonString(v.v);
    case 'number':
      return v.text;
    case 'boolean':
      return String(v.v);
    default:
      return describeType(v);
  }
}

/** Converts a value to a schema `_type`, throwing a HoconError when it does not convert. */
export function convertToType(type: string, v: HValue): unknown {
  const list = type.endsWith('[]');
  const base = list ? type.slice(0, -2) : type;
  if (list) {
    if (v.t !== 'list') throw new HoconError(`expected a list, got ${describeType(v)}`);
    return v.items.map((item) => convertToType(base, item));
  }
  const en = /^enum\[([\w, ]+)\]$/.exec(type);
  if (en) {
    const options = en[1].split(',').map((s) => s.trim().toUpperCase());
    const s = toStr(v);
    if (!options.includes(s.toUpperCase())) throw new HoconError(`${render(v)} should be one of [${options.join(', ')}]`);
    return s;
  }
  switch (base) {
    case 'duration':
      return toDurationMs(v);
    case 'bool':
      return toBoolean(v);
    case 'string':
      return toStr(v);
    case 'int':
      return toInt(v);
    case 'size':
      return toBytes(v);
    case 'double':
      return toNumber(v);
    default:
      throw new HoconError(`invalid validation type (${type}) in schema`);
  }
}

/**
 * Checks one key of a resolved configuration against the resolved schema, as the original does:
 * with a `_type`, the value must convert to it; without one, its value type must be the schema
 * value's. One addition: where the schema's default is an integer, the value must be one too.
 * Returns false when the schema does not have the key (nothing to check against).
 */
export function validateKey(schema: HObject, conf: HObject, path: readonly string[]): boolean {
  const key = renderPath(path);
  const value = getPath(conf, path);
  if (value === undefined) return true;
  const type = getPath(schema, keyWithSuffix(path, TYPE_SUFFIX));
  if (type?.t === 'string') {
    try {
      convertToType(type.v, value);
    } catch (e) {
      throw new ValidationError(`${where(value.origin)}${key}: ${render(value)} is not a valid ${type.v}: ${(e as Error).message}`);
    }
    return true;
  }
  const schemaValue = getPath(schema, path);
  if (schemaValue === undefined) return false;
  const want = valueType(schemaValue);
  const got = valueType(value);
  if (want !== got) {
    throw new ValidationError(
      `${where(value.origin)}Value for ${key} (${render(value)}) does not follow schema type (${render(schemaValue)}): expected ${want.toLowerCase()}, got ${got.toLowerCase()}`,
    );
  }
  if (schemaValue.t === 'number' && value.t === 'number' && Number.isInteger(schemaValue.v) && !/[.eE]/.test(schemaValue.text) && !Number.isInteger(value.v)) {
    throw new ValidationError(`${where(value.origin)}Value for ${key} (${value.text}) must be an integer like the schema's (${schemaValue.text})`);
  }
  return true;
}

export interface ValidationResult {
  /** keys under a namespace no schema covers: accepted as the original accepts them */
  unverified: string[];
  /** one message per bad key; the input must not be written when there is any */
  errors: string[];
}

/**
 * Validates a configuration snippet (as given to `mn-conf set`) against the schemas:
 *  - a key the schemas have must have a value of the schema's type (validateKey);
 *  - a logger key (`<ns>.loggers.<name>`) must name a level, whatever the logger;
 *  - a key the schemas do not have is an error when its first segment is a namespace the schemas
 *    cover (`cluster.rest_api.htp_port`: a typo), and "unverified" otherwise (`agent.x` with no
 *    agent schema deployed), which the original accepts for every unknown key;
 *  - substitutions are resolved over the schemas (and `env`): an unresolvable one is an error.
 */
export function validateConfig(input: HObject, schemas: HObject, env: Readonly<Record<string, string | undefined>> = {}): ValidationResult {
  const out: ValidationResult = { unverified: [], errors: [] };
  let resolvedSchema: HObject;
  let conf: HObject;
  try {
    resolvedSchema = resolve(schemas, { env });
    conf = resolve(layer(input, schemas), { env });
  } catch (e) {
    out.errors.push((e as Error).message);
    return out;
  }
  for (const [path] of entries(input)) {
    const key = renderPath(path);
    try {
      if (isLoggerKey(path)) {
        const v = getPath(conf, path);
        const level = v?.t === 'string' ? v.v.toUpperCase() : undefined;
        if (!level || !(LOGGER_LEVELS as readonly string[]).includes(level)) {
          throw new ValidationError(`${where(v?.origin)}${key}: ${v ? render(v) : 'nothing'} is not a logger level (${LOGGER_LEVELS.join(', ')})`);
        }
        continue;
      }
      if (validateKey(resolvedSchema, conf, path)) continue;
      const ns = path[0];
      if (resolvedSchema.fields.has(ns)) {
        const v = getPath(input, path);
        throw new ValidationError(`${where(v?.origin)}unknown configuration key '${key}': the schema has no such key (see mn-conf doc, mn-conf dump -s)`);
      }
      out.unverified.push(key);
    } catch (e) {
      out.errors.push((e as Error).message);
    }
  }
  return out;
}
