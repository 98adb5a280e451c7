/**
 * How long the OVSDB client waits between connection attempts. The client depends only on the
 * small ReconnectPolicy interface; exponentialBackoff is the project's backoff (lib/retry.ts).
 */
import { backoffDelay, type BackoffPolicy } from '../retry.js';

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
 * Exponential steps bounded by maxMs, each drawn at random from its upper half (lib/retry.ts's
 * 'equal' jitter): clients that lost the same server at the same moment spread out, and none
 * retries sooner than half a step.
 */
export function exponentialBackoff(opts: ExponentialBackoffOptions = {}): ReconnectPolicy {
  const baseMs = Math.max(1, opts.baseMs ?? 250);
  const policy: BackoffPolicy = { baseMs, maxDelayMs: Math.max(baseMs, opts.maxMs ?? 10_000), jitter: 'equal' };
  const maxAttempts = opts.maxAttempts ?? Number.POSITIVE_INFINITY;
  return {
    delayMs: (attempt) => (attempt > maxAttempts ? undefined : backoffDelay(policy, Math.max(attempt, 1), opts.random)),
  };
}
