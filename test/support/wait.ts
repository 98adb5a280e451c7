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
