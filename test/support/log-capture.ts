/**
 * Captures what the process's loggers write: `captureLogs()` points logging at an in-memory stream
 * (format and root level as given) and returns the lines written since, as text or parsed JSON.
 */
import { Writable } from 'node:stream';
import { configureLogging, type LevelSetting, type LogFormat } from '../../lib/log/logger.js';

export interface LogCapture {
  /** every line written so far */
  lines(): string[];
  /** the lines parsed as JSON (json format only) */
  records(): Record<string, unknown>[];
  /** everything, as one string */
  text(): string;
  clear(): void;
  /** waits until a line matching `pred` was written (winston writes asynchronously) */
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

export function captureLogs(opts: { format?: LogFormat; level?: LevelSetting } = {}): LogCapture {
  let buffer = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      buffer += chunk.toString();
      cb();
    },
  });
  configureLogging({ format: opts.format ?? 'json', level: opts.level ?? 'info', silent: false, stream });
  const lines = (): string[] => buffer.split('\n').filter((l) => l !== '');
  return {
    lines,
    records: () => lines().map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => buffer,
    clear: () => {
      buffer = '';
    },
    async waitFor(pred, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines().find(pred);
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) throw new Error(`no log line as expected within ${timeoutMs} ms; got:\n${buffer}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
