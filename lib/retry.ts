/**
 * The one retry policy of the project, in the manner of Curator's retry policies: bounded
 * exponential backoff with full jitter, at most `maxAttempts` attempts and/or `maxElapsedMs` of
 * trying, errors that are final (thrown at once), abortable by an AbortSignal.
 *
 * - The wait after the n-th failure is a random time in [0, min(maxDelayMs, baseMs * 2^(n-1)))
 *   ("full jitter": retries of many callers that failed together spread out instead of
 *   hammering the server in step). `jitter: 'none'` waits the whole ceiling (tests, timers whose
 *   callers want a predictable rhythm).
 * - No attempt starts after `maxElapsedMs` (the last wait is cut short to the deadline).
 * - An abort ends a wait at once (its timer cleared, so nothing is left to keep the process
 *   alive) and `retry` rejects with RetryAborted; an attempt in progress gets the signal and may
 *   stop early. Waits can also be unref'd for background loops that must never hold the process.
 *
 * `retry()` is the loop; `Backoff` is the same sequence of waits for code driven by events and
 * timers instead of a loop (a leader latch re-trying on the next timer, a re-registration).
 */

/** full: [0, ceiling); equal: [ceiling/2, ceiling] (never sooner than half a step); none: the ceiling. */
export type Jitter = 'full' | 'equal' | 'none';

export interface BackoffPolicy {
  /** ceiling of the first wait, in ms (0: retry at once) */
  baseMs: number;
  /** cap of any one wait; default 30 000 ms */
  maxDelayMs?: number;
  /** default 'full' */
  jitter?: Jitter;
}

export interface RetryPolicy extends BackoffPolicy {
  /** attempts in all, the first included; default unbounded */
  maxAttempts?: number;
  /** no attempt starts later than this after the first began; default unbounded */
  maxElapsedMs?: number;
}

export interface RetryInfo {
  /** the attempt that failed (1 = the first) */
  attempt: number;
  error: unknown;
  /** the wait before the next attempt */
  delayMs: number;
  /** since the first attempt began */
  elapsedMs: number;
}

export interface RetryOptions extends RetryPolicy {
  signal?: AbortSignal;
  /** true: this error is final, thrown at once without another attempt; default: none is */
  isFinal?: (error: unknown, attempt: number) => boolean;
  /** told before each wait (logging) */
  onRetry?: (info: RetryInfo) => void;
  /** waits do not keep the process alive (background loops) */
  unref?: boolean;
  /** source of randomness in [0, 1) (tests) */
  random?: () => number;
}

export const DEFAULT_MAX_DELAY_MS = 30_000;

/** Thrown by retry() and sleep() when their signal aborts. */
export class RetryAborted extends Error {
  override name = 'RetryAborted';
  constructor(message = 'aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The ceiling of the wait after `failures` failures (1 = after the first). */
export function backoffCeiling(policy: BackoffPolicy, failures: number): number {
  const cap = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  // 2^n beyond 2^52 adds nothing but overflow risk; the cap applies long before
  const exp = Math.min(Math.max(failures - 1, 0), 52);
  return Math.max(0, Math.min(cap, policy.baseMs * 2 ** exp));
}

/** One wait after `failures` failures, under the policy's jitter. */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(policy, failures);
  if (policy.jitter === 'none') return ceiling;
  if (policy.jitter === 'equal') return Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.floor(random() * ceiling);
}

/** The waits of a policy one after another, for event- and timer-driven retries. */
export class Backoff {
  private count = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures counted since the last reset. */
  get failures(): number {
    return this.count;
  }

  /** Counts a failure and returns the wait before the next try. */
  next(): number {
    this.count++;
    return backoffDelay(this.policy, this.count, this.random);
  }

  /** After a success: the next failure waits the shortest again. */
  reset(): void {
    this.count = 0;
  }
}

/**
 * Resolves after `ms`, or rejects with RetryAborted as soon as `signal` aborts (the timer is
 * cleared then). With `unref` the timer does not keep the process alive.
 */
export function sleep(ms: number, signal?: AbortSignal, opts: { unref?: boolean } = {}): Promise<void> {
  if (signal?.aborted) return Promise.reject(new RetryAborted('aborted', { cause: signal.reason }));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RetryAborted('aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    if (opts.unref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it resolves, an error is final, or the policy gives up; rejects with the
 * last error then (unchanged), or with RetryAborted when `signal` aborts between attempts.
 * `attempt` gets its number (1 = the first) and the signal.
 */
export async function retry<T>(attempt: (n: number, signal?: AbortSignal) => Promise<T> | T, opts: RetryOptions): Promise<T> {
  const { signal } = opts;
  const maxAttempts = opts.maxAttempts ?? Infinity;
  const maxElapsed = opts.maxElapsedMs ?? Infinity;
  const random = opts.random ?? Math.random;
  const started = Date.now();
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw new RetryAborted('aborted', { cause: signal.reason });
    try {
      return await attempt(n, signal);
    } catch (e) {
      if (signal?.aborted) throw new RetryAborted('aborted', { cause: signal.reason });
      if (opts.isFinal?.(e, n) || n >= maxAttempts) throw e;
      const elapsed = Date.now() - started;
      if (elapsed >= maxElapsed) throw e;
      const delay = Math.min(backoffDelay(opts, n, random), maxElapsed - elapsed);
      opts.onRetry?.({ attempt: n, error: e, delayMs: delay, elapsedMs: elapsed });
      if (delay > 0) await sleep(delay, signal, { unref: opts.unref });
    }
  }
}

/** Whether an error is the abort of a retry or a sleep. */
export function isRetryAborted(e: unknown): e is RetryAborted {
  return e instanceof RetryAborted;
}
