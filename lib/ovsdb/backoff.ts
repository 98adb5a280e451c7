/**
 * How long the OVSDB client waits between connection attempts. The client depends only on the
 * small ReconnectPolicy interface, so a shared retry helper can stand in for exponentialBackoff
 * without touching the client.
 */

export interface ReconnectPolicy {
  /**
   * The delay before retry number `attempt` (1 = the first retry after a failure), or undefined
   * to give up.
   */
  delayMs(attempt: number): number | undefined;
}

export interface ExponentialBackoffOptions {
  /** the first step, doubled each attempt; default 250 */
  baseMs?: number;
  /** the largest step; default 10000 */
  maxMs?: number;
  /** retries before giving up; default unlimited */
  maxAttempts?: number;
  /** a source of [0, 1) numbers (tests pin it); default Math.random */
  random?: () => number;
}

/**
 * Exponential steps bounded by maxMs, each drawn at random from its upper half: clients that
 * lost the same server at the same moment spread out, and none retries sooner than half a step.
 */
export function exponentialBackoff(opts: ExponentialBackoffOptions = {}): ReconnectPolicy {
  const base = Math.max(1, opts.baseMs ?? 250);
  const max = Math.max(base, opts.maxMs ?? 10_000);
  const maxAttempts = opts.maxAttempts ?? Number.POSITIVE_INFINITY;
  const random = opts.random ?? Math.random;
  return {
    delayMs(attempt: number): number | undefined {
      if (attempt > maxAttempts) return undefined;
      const step = Math.min(max, base * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
      return Math.round(step / 2 + random() * (step / 2));
    },
  };
}
