/** Polling helpers for tests that wait on real processes and servers (bounded, never open-ended). */
import { setTimeout as sleepMs } from 'node:timers/promises';

export function sleep(ms: number): Promise<void> {
  return sleepMs(ms);
}

/** Polls `cond` until it holds; returns how long that took, or throws after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Polls `fn` until it returns a value (neither undefined nor false) and returns that value; a
 * throw counts as "not yet" (the last error is named if time runs out).
 */
export async function pollFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}
