/**
 * winston loggers named like the original's (`org.midonet.cluster.rest-api`, …), JSON lines by
 * default. Levels per logger name can be changed at run time (mn-conf `cluster.loggers.*`).
 */
import winston from 'winston';

export type Level = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  info(msg: string, meta?: object): void;
  debug(msg: string, meta?: object): void;
  child(name: string): Logger;
}

const LEVELS: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

interface LogState {
  base: winston.Logger;
  levels: Map<string, Level>;
  rootLevel: Level;
}

let state: LogState | undefined;

function getState(): LogState {
  if (!state) state = init({ format: 'json', level: 'info' });
  return state;
}

function init(opts: { format: 'json' | 'text'; level: Level; silent?: boolean }): LogState {
  const format =
    opts.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf((i) => {
            const { level, message, timestamp, logger, ...rest } = i as Record<string, unknown>;
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${String(level).toUpperCase()} [${String(logger ?? 'root')}] ${String(message)}${extra}`;
          }),
        );
  const base = winston.createLogger({
    level: 'debug',
    format,
    silent: opts.silent ?? false,
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
  return { base, levels: new Map(), rootLevel: opts.level };
}

export function configureLogging(opts: { format?: 'json' | 'text'; level?: Level; silent?: boolean }): void {
  const prev = state;
  state = init({ format: opts.format ?? 'json', level: opts.level ?? 'info', silent: opts.silent });
  if (prev) for (const [k, v] of prev.levels) state.levels.set(k, v);
}

/** Sets the level of a logger name and everything below it (`a.b` covers `a.b.c`). */
export function setLoggerLevel(name: string, level: Level): void {
  const s = getState();
  if (name === 'root' || name === '') s.rootLevel = level;
  else s.levels.set(name, level);
}

function effectiveLevel(name: string): Level {
  const s = getState();
  let n = name;
  for (;;) {
    const l = s.levels.get(n);
    if (l) return l;
    const dot = n.lastIndexOf('.');
    if (dot < 0) return s.rootLevel;
    n = n.slice(0, dot);
  }
}

export function getLogger(name: string): Logger {
  const log = (level: Level, msg: string, meta?: object): void => {
    if (LEVELS[level] > LEVELS[effectiveLevel(name)]) return;
    getState().base.log({ level, message: msg, logger: name, ...(meta ?? {}) });
  };
  return {
    error: (m, meta) => log('error', m, meta),
    warn: (m, meta) => log('warn', m, meta),
    info: (m, meta) => log('info', m, meta),
    debug: (m, meta) => log('debug', m, meta),
    child: (sub) => getLogger(`${name}.${sub}`),
  };
}
