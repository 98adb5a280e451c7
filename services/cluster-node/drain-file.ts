/**
 * The drain switch as a file (`cluster.drain.file`): when the file appears, or is touched, after
 * the node started, the node drains and exits 0 as on SIGTERM. A file already there at start
 * (left from an earlier drain) does not count until it is touched again, so a node restarted
 * by an operator who forgot to remove it does not drain at once. Polled (a stat every
 * `intervalMs`), because a watch on a file that does not exist yet, in a directory that may
 * not exist either, is not portable.
 */
import { statSync } from 'node:fs';
import type { Logger } from '../../lib/log/logger.js';

export class DrainFileWatch {
  private timer?: NodeJS.Timeout;
  private fired = false;

  constructor(
    private readonly file: string,
    private readonly onDrain: () => void,
    private readonly log: Logger,
    private readonly since: number = Date.now(),
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    const m = this.mtime();
    if (m !== undefined && m < this.since - 1000) {
      this.log.warn('the drain file exists from before this start: ignored until it is touched again', { file: this.file });
    }
    this.log.info('watching the drain file', { file: this.file });
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private mtime(): number | undefined {
    try {
      return statSync(this.file).mtimeMs;
    } catch {
      return undefined;
    }
  }

  private check(): void {
    if (this.fired) return;
    const m = this.mtime();
    // one second of slack: some file systems keep mtime in whole seconds
    if (m === undefined || m < this.since - 1000) return;
    this.fired = true;
    this.stop();
    this.log.info('drain file found: draining', { file: this.file });
    this.onDrain();
  }
}
