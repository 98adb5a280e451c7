/**
 * Loggers named like the original's (`org.midonet.cluster.rest-api`, `org.midonet.nsdb`, ...):
 * one JSON object per line by default, or a human text format. Levels are set per logger name at
 * run time (mn-conf `cluster.loggers.*`): a name without its own level takes its nearest configured
 * parent's (`org.midonet.cluster.auth.keystone` → `org.midonet.cluster.auth` → ... → root).
 *
 * Every line goes through the redaction format (./redact.ts) before it is written, whatever the
 * output format: secret-named fields, credentials inside strings and registered secret values
 * never reach the output. Lines written inside `withLogContext` carry that context's fields (the
 * REST API puts the request id there, so every line a request causes names it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EOL } from 'node:os';
import { Writable } from 'node:stream';
import winston from 'winston';
import { redactValue } from './redact.js';

export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** A logger's configured level; `off` silences it. */
export type LevelSetting = Level | 'off';
export type LogFormat = 'json' | 'text';

export interface Logger {
  error(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  info(msg: string, meta?: object): void;
  debug(msg: string, meta?: object): void;
  trace(msg: string, meta?: object): void;
  /** Whether a line at this level would be written now (to skip building costly metadata). */
  enabled(level: Level): boolean;
  /** The logger `<name>.<sub>`. */
  child(sub: string): Logger;
  readonly name: string;
}

const SEVERITY: Record<LevelSetting, number> = { off: -1, error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
export const ROOT_LOGGER = 'root';

/**
 * Parses a level as the original's config spells it (logback: OFF, ERROR, WARN, INFO, DEBUG,
 * TRACE, ALL; any case; WARNING and FATAL accepted too). Undefined if it is none of them.
 */
export function parseLevel(value: string): LevelSetting | undefined {
  const v = String(value)
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  switch (v) {
    case 'off':
      return 'off';
    case 'fatal':
    case 'error':
      return 'error';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'info':
      return 'info';
    case 'debug':
      return 'debug';
    case 'trace':
    case 'all':
      return 'trace';
    default:
      return undefined;
  }
}

interface LogState {
  /** redacts, formats and writes one record */
  write(rec: Record<string, unknown>): void;
  format: LogFormat;
  silent: boolean;
  levels: Map<string, LevelSetting>;
  rootLevel: LevelSetting;
  /** effective level per name, cleared whenever a level changes */
  cache: Map<string, LevelSetting>;
}

export interface LoggingOptions {
  /** `json` (default): one JSON object per line; `text`: `<time> <LEVEL> [<logger>] <message> k=v ...` */
  format?: LogFormat;
  /** the root level (default: the current one, INFO at first) */
  level?: LevelSetting;
  /** writes nothing at all (tests) */
  silent?: boolean;
  /** where lines go (default: the process's stdout) */
  stream?: NodeJS.WritableStream;
}

let state: LogState | undefined;
const context = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

function getState(): LogState {
  state ??= init({ format: 'json', level: 'info' }, undefined);
  return state;
}

/** The winston format that scrubs secrets from every field of a log record (see ./redact.ts). */
export const redactFormat = winston.format((info) => {
  const rec = info as Record<string, unknown>;
  // a copy of the string-keyed fields (winston keeps its own state under symbols)
  const clean = redactValue({ ...rec }) as Record<string, unknown>;
  for (const key of Object.keys(rec)) rec[key] = clean[key];
  return info;
});

const HEAD_FIELDS = new Set(['timestamp', 'level', 'logger', 'message']);

function jsonLine(info: Record<string, unknown>): string {
  const out: Record<string, unknown> = { timestamp: info['timestamp'], level: info['level'], logger: info['logger'] ?? ROOT_LOGGER, message: info['message'] };
  for (const [k, v] of Object.entries(info)) if (!HEAD_FIELDS.has(k)) out[k] = v;
  return JSON.stringify(out);
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

function textLine(info: Record<string, unknown>): string {
  let stack = '';
  const extra: string[] = [];
  for (const [k, v] of Object.entries(info)) {
    if (HEAD_FIELDS.has(k) || v === undefined) continue;
    if (k === 'stack' && typeof v === 'string') stack = `\n${v}`;
    else extra.push(`${k}=${textValue(v)}`);
  }
  const level = String(info['level']).toUpperCase().padEnd(5);
  return `${String(info['timestamp'])} ${level} [${String(info['logger'] ?? ROOT_LOGGER)}] ${String(info['message'])}${extra.length ? ` ${extra.join(' ')}` : ''}${stack}`;
}

let stdoutBatcher: Writable | undefined;

/**
 * The process's stdout, written once per event-loop turn with every line of that turn instead
 * of once per line (a write to a file or pipe is a synchronous syscall, one per request for the
 * access log alone). What is pending is written synchronously when the process exits.
 */
function batchedStdout(): Writable {
  if (stdoutBatcher) return stdoutBatcher;
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  stdoutBatcher = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      pending.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      cb();
    },
  });
  stdoutBatcher.setMaxListeners(0);
  process.on('exit', flush);
  return stdoutBatcher;
}

function init(opts: LoggingOptions, prev: LogState | undefined): LogState {
  const format: LogFormat = opts.format ?? prev?.format ?? 'json';
  const silent = opts.silent ?? false;
  const stream = opts.stream ?? batchedStdout();
  // What a winston logger with redactFormat() and a printf of jsonLine/textLine into a Stream
  // transport writes, without its three object streams per line (they cost more than the rest).
  const write = (rec: Record<string, unknown>): void => {
    try {
      const clean = redactValue({ ...rec }) as Record<string, unknown>;
      stream.write(`${format === 'json' ? jsonLine(clean) : textLine(clean)}${EOL}`);
    } catch {
      // logging never fails the caller
    }
  };
  return {
    write,
    format,
    silent,
    levels: new Map(prev?.levels ?? []),
    rootLevel: opts.level ?? prev?.rootLevel ?? 'info',
    cache: new Map(),
  };
}

/**
 * (Re)configures the output: format, destination, root level. Per-name levels set so far are
 * kept. Without options it restores the defaults (JSON lines on stdout).
 */
export function configureLogging(opts: LoggingOptions = {}): void {
  const prev = state;
  state = init(opts, prev);
}

/** The current output format. */
export function logFormat(): LogFormat {
  return getState().format;
}

function loggerName(name: string): string {
  const n = name.trim();
  // mn-conf spells a level for a name that also has children as `<name>.root`.
  if (n === '' || n === ROOT_LOGGER) return ROOT_LOGGER;
  return n.endsWith(`.${ROOT_LOGGER}`) ? n.slice(0, -ROOT_LOGGER.length - 1) : n;
}

/**
 * Sets the level of a logger name and of every name below it that has no level of its own
 * (`a.b` covers `a.b.c`); `root` (or '') is the root logger, a trailing `.root` is dropped as in the
 * original's config. Takes effect on the next line. The level is parsed with `parseLevel`; an
 * invalid one becomes INFO, as in the original. Returns the level applied.
 */
export function setLoggerLevel(name: string, level: string): LevelSetting {
  const s = getState();
  const parsed = parseLevel(level) ?? 'info';
  const n = loggerName(name);
  if (n === ROOT_LOGGER) s.rootLevel = parsed;
  else s.levels.set(n, parsed);
  s.cache.clear();
  return parsed;
}

/** Removes a name's own level (it falls back to its parent's again). Root cannot be removed. */
export function clearLoggerLevel(name: string): void {
  const s = getState();
  const n = loggerName(name);
  if (n === ROOT_LOGGER) return;
  s.levels.delete(n);
  s.cache.clear();
}

/** Every configured level, root included: `{ root: 'info', 'org.midonet.nsdb': 'debug' }`. */
export function loggerLevels(): Record<string, LevelSetting> {
  const s = getState();
  return Object.fromEntries([[ROOT_LOGGER, s.rootLevel], ...[...s.levels].sort(([a], [b]) => a.localeCompare(b))]);
}

/**
 * Applies a whole `cluster.loggers` section at once, keys relative to it (`root`,
 * `org.midonet.cluster.rest-api`, `org.midonet.nsdb.root`, ...); `*_description` keys are ignored.
 * Names configured before but missing now lose their own level (they follow their parent again);
 * a missing `root` leaves the root level as it is. Returns the names whose value was invalid (set
 * to INFO), so the caller can report them.
 */
export function applyLoggerLevels(section: Readonly<Record<string, string>>): string[] {
  const s = getState();
  const invalid: string[] = [];
  const next = new Map<string, LevelSetting>();
  let root: LevelSetting | undefined;
  for (const [key, value] of Object.entries(section)) {
    if (key.endsWith('_description')) continue;
    const parsed = parseLevel(value);
    if (!parsed) invalid.push(key);
    const n = loggerName(key);
    if (n === ROOT_LOGGER) root = parsed ?? 'info';
    else next.set(n, parsed ?? 'info');
  }
  s.levels = next;
  if (root) s.rootLevel = root;
  s.cache.clear();
  return invalid;
}

/** The level in force for a logger name: its own, else its nearest configured parent's, else root's. */
export function effectiveLevel(name: string): LevelSetting {
  const s = getState();
  const cached = s.cache.get(name);
  if (cached) return cached;
  let n = name;
  let level: LevelSetting = s.rootLevel;
  for (;;) {
    const l = s.levels.get(n);
    if (l) {
      level = l;
      break;
    }
    const dot = n.lastIndexOf('.');
    if (dot < 0) break;
    n = n.slice(0, dot);
  }
  if (s.cache.size > 10_000) s.cache.clear();
  s.cache.set(name, level);
  return level;
}

/**
 * Runs `fn` with these fields added to every line logged inside it, including its asynchronous
 * continuations (AsyncLocalStorage). Nested contexts add to the outer one.
 */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  const outer = context.getStore();
  return context.run(outer ? { ...outer, ...fields } : fields, fn);
}

/** The fields of the current log context, if any. */
export function currentLogContext(): Readonly<Record<string, unknown>> | undefined {
  return context.getStore();
}

/** Adds metadata fields; one named like a head field (message, level, ...) gets a `_` suffix. */
function addFields(rec: Record<string, unknown>, fields: object): void {
  for (const [k, v] of Object.entries(fields)) rec[HEAD_FIELDS.has(k) ? `${k}_` : k] = v;
}

export function getLogger(name: string): Logger {
  const enabled = (level: Level): boolean => SEVERITY[level] <= SEVERITY[effectiveLevel(name)];
  const log = (level: Level, msg: string, meta?: object): void => {
    if (!enabled(level)) return;
    const s = getState();
    if (s.silent) return;
    const rec: Record<string, unknown> & { level: Level; message: string } = { level, message: msg, timestamp: new Date().toISOString(), logger: name };
    const ctx = context.getStore();
    if (ctx) addFields(rec, ctx);
    if (meta instanceof Error) rec['error'] = meta;
    else if (meta) addFields(rec, meta);
    s.write(rec);
  };
  return {
    name,
    error: (m, meta) => log('error', m, meta),
    warn: (m, meta) => log('warn', m, meta),
    info: (m, meta) => log('info', m, meta),
    debug: (m, meta) => log('debug', m, meta),
    trace: (m, meta) => log('trace', m, meta),
    enabled,
    child: (sub) => getLogger(`${name}.${sub}`),
  };
}
