/**
 * Runtime settings of a node: typed values of its configuration keys. Where values come from,
 * lowest first (docs/configuration.md): the bundled schemas (./schemas/*.conf) and DEFAULTS below,
 * the schemas deployed in ZooKeeper, the `default` template, the node's template, its per-node
 * config, the legacy INI file, and local `--set key=value` flags (./runtime.ts layers them).
 *
 * DEFAULTS lists the keys the node reads, with their defaults. A key listed here that no bundled
 * schema has is added to the bundled `cluster` schema (or the schema of its namespace) with this
 * default, so it is known to `--set`, to mn-conf's validation and to Settings. Durations are in
 * milliseconds here (Settings.number gives milliseconds for duration keys).
 */
import {
  bool,
  describeOrigin,
  describeType,
  entries,
  getPath,
  layer,
  num,
  obj,
  parse,
  render,
  renderPath,
  resolve,
  splitPath,
  str,
  withValue,
  type HObject,
  type HValue,
} from './hocon.js';
import { convertToType, isAnnotationKey, isLoggerKey, keyWithSuffix, LOGGER_LEVELS, readSchemaFiles, TYPE_SUFFIX, type Schema } from './schema.js';

export const DEFAULTS: Readonly<Record<string, string | number | boolean>> = {
  'cluster.rest_api.enabled': true,
  'cluster.rest_api.http_host': '0.0.0.0',
  'cluster.rest_api.http_port': 8181,
  'cluster.rest_api.root_uri': '/midonet-api',
  'cluster.rest_api.max_body_bytes': 1048576,
  // what one node gives to clients before it refuses (restApiLimits below; docs/security.md)
  'cluster.rest_api.max_connections': 1024,
  'cluster.rest_api.max_body_bytes_in_flight': 33554432,
  'cluster.rest_api.headers_timeout': 10000,
  'cluster.rest_api.receive_timeout': 30000,
  'cluster.rest_api.body_idle_timeout': 10000,
  // Prometheus metrics of the node at GET /metrics on the REST port (outside root_uri, no auth);
  // false: no metrics are kept and /metrics is 404 (docs/observability.md).
  'cluster.rest_api.metrics_enabled': true,
  'cluster.auth.provider_class': 'org.midonet.cluster.auth.MockAuthService',
  'zookeeper.session_timeout': 30000,
  'zookeeper.base_retry': 1000,
  'zookeeper.max_retries': 10,
  'zookeeper.transaction_max_attempts': 40,
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export type SettingValue = string | number | boolean;

/**
 * How a key's value is read: a schema `_type` (duration → milliseconds, size → bytes, ...), else
 * the kind of its default (number, boolean, string), else 'any' for keys no schema has.
 */
export type SettingKind = 'number' | 'boolean' | 'string' | 'list' | 'object' | 'any' | { type: string };

interface KeyInfo {
  kind: SettingKind;
  /** the default, resolved (bundled schemas, then DEFAULTS) */
  default?: HValue;
}

function hvalueOf(v: string | number | boolean): HValue {
  if (typeof v === 'number') return num(v, { description: 'DEFAULTS' });
  if (typeof v === 'boolean') return bool(v, { description: 'DEFAULTS' });
  return str(v, { description: 'DEFAULTS' });
}

let bundledCache: Schema[] | undefined;

/**
 * The bundled schemas with DEFAULTS' keys that none of them has added to the schema of their
 * namespace (`zookeeper.*` → nsdb, anything else → cluster).
 */
export function bundledSchemas(): Schema[] {
  if (bundledCache) return bundledCache;
  const schemas = readSchemaFiles();
  const all = layer(...schemas.map((s) => s.config));
  const extra = new Map<string, [string[], HValue][]>();
  for (const [key, value] of Object.entries(DEFAULTS)) {
    const path = splitPath(key);
    if (getPath(all, path) !== undefined) continue;
    const owner = schemas.find((s) => s.config.fields.has(path[0]))?.name ?? 'cluster';
    const list = extra.get(owner) ?? [];
    list.push([path, hvalueOf(value)]);
    extra.set(owner, list);
  }
  bundledCache = schemas.map((s) => {
    let config = s.config;
    for (const [path, v] of extra.get(s.name) ?? []) config = withValue(config, path, v);
    return { ...s, config };
  });
  return bundledCache;
}

/** Every bundled schema merged (unresolved). */
export function bundledSchema(): HObject {
  return layer(...bundledSchemas().map((s) => s.config));
}

let infoCache: Map<string, KeyInfo> | undefined;

function keyInfos(): Map<string, KeyInfo> {
  if (infoCache) return infoCache;
  const schema = resolve(bundledSchema());
  const infos = new Map<string, KeyInfo>();
  for (const [path, v] of entries(schema)) {
    if (isAnnotationKey(path)) continue;
    const type = getPath(schema, keyWithSuffix(path, TYPE_SUFFIX));
    let kind: SettingKind;
    if (type?.t === 'string') kind = { type: type.v };
    else if (v.t === 'number') kind = 'number';
    else if (v.t === 'boolean') kind = 'boolean';
    else if (v.t === 'list') kind = 'list';
    else kind = 'string';
    infos.set(renderPath(path), { kind, default: v });
  }
  infoCache = infos;
  return infos;
}

/** The kind of a key, undefined if no schema has it (logger keys are 'string'). */
export function settingKind(key: string): SettingKind | undefined {
  const info = keyInfos().get(normalizeKey(key));
  if (info) return info.kind;
  return isLoggerKey(splitPath(key)) ? 'string' : undefined;
}

function normalizeKey(key: string): string {
  try {
    return renderPath(splitPath(key));
  } catch {
    return key;
  }
}

/**
 * The typed value of a key from a HOCON value; throws a SettingsError naming the key when the
 * value does not fit the key's kind (the same rules as mn-conf's validation).
 */
export function convertSetting(key: string, v: HValue, kind: SettingKind | undefined = settingKind(key)): SettingValue {
  const fail = (why: string): never => {
    throw new SettingsError(`'${key}' ${why}, got ${describeType(v)}`);
  };
  const path = splitPath(key);
  if (isLoggerKey(path)) {
    const level = v.t === 'string' ? v.v.toUpperCase() : '';
    if (!(LOGGER_LEVELS as readonly string[]).includes(level)) fail(`must be a logger level (${LOGGER_LEVELS.join(', ')})`);
    return (v as { v: string }).v;
  }
  if (kind === undefined || kind === 'any') {
    if (v.t === 'string' || v.t === 'number' || v.t === 'boolean') return v.v;
    return render(v, { json: true }).trim();
  }
  if (typeof kind === 'object') {
    let out: unknown;
    try {
      out = convertToType(kind.type, v);
    } catch (e) {
      return fail(`must be a ${kind.type} (${(e as Error).message})`);
    }
    if (typeof out === 'number' || typeof out === 'string' || typeof out === 'boolean') return out;
    return JSON.stringify(out);
  }
  switch (kind) {
    case 'number': {
      if (v.t !== 'number') return fail('must be a number');
      const def = keyInfos().get(normalizeKey(key))?.default;
      if (def?.t === 'number' && Number.isInteger(def.v) && !/[.eE]/.test(def.text) && !Number.isInteger(v.v)) fail('must be an integer');
      return v.v;
    }
    case 'boolean':
      if (v.t !== 'boolean') return fail('must be true or false');
      return v.v;
    case 'string':
      if (v.t !== 'string') return fail('must be a string');
      return v.v;
    case 'list':
      if (v.t !== 'list') return fail('must be a list');
      return render(v, { json: true }).trim();
    case 'object':
      if (v.t !== 'object') return fail('must be an object');
      return render(v, { json: true }).trim();
  }
}

/**
 * A `--set KEY=VALUE` value as a HOCON value of the key's kind: numbers and booleans where the
 * key wants them (`8282`, `true`), otherwise the text as a string (so `http://x` or `a b` need no
 * quoting). Unknown keys and values that do not fit are SettingsErrors.
 */
export function overrideValue(key: string, raw: string): HValue {
  const kind = settingKind(key);
  if (kind === undefined) throw new SettingsError(`unknown configuration key '${key}'`);
  const text = raw.trim();
  const origin = { description: `--set ${key}` };
  let v: HValue = str(raw, origin);
  if (kind === 'number' || kind === 'boolean' || (typeof kind === 'object' && !['string'].includes(kind.type) && !kind.type.startsWith('enum'))) {
    if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text)) v = { t: 'number', v: Number(text), text, origin };
    else if (text === 'true' || text === 'false') v = bool(text === 'true', origin);
    else v = str(text, origin);
  }
  if (kind === 'list' || kind === 'object') {
    try {
      const parsed = getPath(parse(`v = ${raw}`, `--set ${key}`), ['v']);
      if (parsed) v = parsed;
    } catch (e) {
      throw new SettingsError(`'${key}': ${(e as Error).message}`);
    }
  }
  if (kind === 'number' && v.t !== 'number') throw new SettingsError(`'${key}' must be a number, got '${raw}'`);
  if (kind === 'boolean' && v.t !== 'boolean') throw new SettingsError(`'${key}' must be true or false, got '${raw}'`);
  convertSetting(key, v, kind);
  return v;
}

/** `--set` overrides as a configuration layer (keys checked, values typed). */
export function overridesToConfig(overrides: Readonly<Record<string, string>>): HObject {
  let out = obj();
  for (const [k, raw] of Object.entries(overrides)) out = withValue(out, splitPath(k), overrideValue(k, raw));
  return out;
}

function defaultValues(): Map<string, SettingValue> {
  const out = new Map<string, SettingValue>();
  for (const [k, info] of keyInfos()) {
    if (info.default) out.set(k, convertSetting(k, info.default, info.kind));
  }
  return out;
}

export interface FromConfigOptions {
  /** values to keep for keys whose new value is malformed (the last good configuration) */
  previous?: Settings;
  /** told about every malformed value, which is replaced by the previous or default value */
  onInvalid?: (key: string, message: string, origin: string | undefined) => void;
}

export class Settings {
  private readonly values: Map<string, SettingValue>;
  private readonly origins = new Map<string, string>();

  /** The defaults (bundled schemas, DEFAULTS) with `overrides` (`--set` style) on top. */
  constructor(overrides: Record<string, string> = {}) {
    this.values = defaultValues();
    for (const [k, v] of Object.entries(overrides)) this.set(k, v);
  }

  /**
   * The settings of a resolved configuration. A value that does not fit its key's kind is
   * reported and replaced by the previous settings' value, or the default.
   */
  static fromConfig(resolved: HObject, opts: FromConfigOptions = {}): Settings {
    const s = new Settings();
    // A default stays only where the configuration did not replace one of its parents with a
    // value (`cluster.loggers.a.b = WARN` replaces the schema's `cluster.loggers.a.b.root`).
    for (const key of [...s.values.keys()]) {
      const path = splitPath(key);
      for (let i = 1; i < path.length; i++) {
        const parent = getPath(resolved, path.slice(0, i));
        if (parent !== undefined && parent.t !== 'object') {
          s.values.delete(key);
          break;
        }
      }
    }
    for (const [path, v] of entries(resolved)) {
      if (isAnnotationKey(path)) continue;
      const key = renderPath(path);
      try {
        s.values.set(key, convertSetting(key, v));
        if (v.origin) s.origins.set(key, v.origin.description);
      } catch (e) {
        const keep = opts.previous?.values.get(key);
        opts.onInvalid?.(key, (e as Error).message, v.origin ? describeOrigin(v.origin) : undefined);
        if (keep !== undefined) s.values.set(key, keep);
      }
    }
    return s;
  }

  /** Sets a key from text, as `--set KEY=VALUE` does. */
  set(key: string, raw: string): void {
    const v = overrideValue(key, raw);
    const k = normalizeKey(key);
    this.values.set(k, convertSetting(key, v));
    this.origins.set(k, `--set ${key}`);
  }

  has(key: string): boolean {
    return this.values.has(normalizeKey(key));
  }

  get(key: string): SettingValue | undefined {
    return this.values.get(key) ?? this.values.get(normalizeKey(key));
  }

  /** Where a key's value came from (e.g. `zookeeper://midonet/config/templates/default`), if known. */
  origin(key: string): string | undefined {
    return this.origins.get(normalizeKey(key));
  }

  string(key: string): string {
    return String(this.get(key));
  }

  number(key: string): number {
    return Number(this.get(key));
  }

  bool(key: string): boolean {
    const v = this.get(key);
    return v === true || v === 'true';
  }

  keys(): string[] {
    return [...this.values.keys()].sort();
  }

  /** The values under a prefix, keys relative to it: section('cluster.loggers') → { root: 'INFO', ... }. */
  section(prefix: string): Record<string, string> {
    const p = `${normalizeKey(prefix)}.`;
    const out: Record<string, string> = {};
    for (const [k, v] of this.values) if (k.startsWith(p)) out[k.slice(p.length)] = String(v);
    return out;
  }

  /** Keys whose value differs from `other`'s (present in one only, or different). */
  diff(other: Settings): string[] {
    const keys = new Set([...this.values.keys(), ...other.values.keys()]);
    return [...keys].filter((k) => this.values.get(k) !== other.values.get(k)).sort();
  }
}

/** What a node gives its HTTP and HTTPS clients before it refuses them (lib/http/limits.ts). */
export interface RestApiLimits {
  /** open TCP connections over both listeners; beyond, a new one is closed on accept */
  maxConnections: number;
  /** request-body bytes received or held at once over all requests; beyond, 503 */
  maxBodyBytesInFlight: number;
  /** time to receive a request's headers; then 408 and close */
  headersTimeoutMs: number;
  /** time to receive a whole request, headers and body; then 408 and close */
  receiveTimeoutMs: number;
  /** longest pause within a body being read; then 408 and close */
  bodyIdleTimeoutMs: number;
}

/**
 * The `cluster.rest_api` limits, checked: each must be positive (zero would mean "unbounded" to
 * node:http, which is what they exist to prevent), and the whole request cannot be due before
 * its headers.
 */
export function restApiLimits(s: Settings): RestApiLimits {
  const positive = (key: string): number => {
    const v = s.number(`cluster.rest_api.${key}`);
    if (!(v > 0) || !Number.isFinite(v)) throw new SettingsError(`'cluster.rest_api.${key}' must be positive, got ${String(s.get(`cluster.rest_api.${key}`))}`);
    return v;
  };
  const limits: RestApiLimits = {
    maxConnections: positive('max_connections'),
    maxBodyBytesInFlight: positive('max_body_bytes_in_flight'),
    headersTimeoutMs: positive('headers_timeout'),
    receiveTimeoutMs: positive('receive_timeout'),
    bodyIdleTimeoutMs: positive('body_idle_timeout'),
  };
  if (limits.receiveTimeoutMs < limits.headersTimeoutMs) {
    throw new SettingsError(
      `'cluster.rest_api.receive_timeout' (${limits.receiveTimeoutMs} ms) must be at least 'cluster.rest_api.headers_timeout' (${limits.headersTimeoutMs} ms)`,
    );
  }
  return limits;
}
