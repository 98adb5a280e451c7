/**
 * lib/retry.ts: how many attempts, how long the waits may be, which errors end it, and that an
 * abort ends a wait at once and leaves no timer behind.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, backoffCeiling, backoffDelay, retry, RetryAborted, sleep } from '../../lib/retry.js';

class Flaky extends Error {}
class Fatal extends Error {}

/** An attempt function failing `failures` times with Flaky, then answering `value`. */
function failing<T>(failures: number, value: T): { fn: (n: number) => Promise<T>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    fn: async (n) => {
      calls.push(n);
      if (calls.length <= failures) throw new Flaky(`failure ${calls.length}`);
      return value;
    },
  };
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('backoff waits', () => {
  test('ceilings double from baseMs and stop at maxDelayMs', () => {
    const p = { baseMs: 100, maxDelayMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 50, 5000].map((n) => backoffCeiling(p, n)),
      [100, 200, 400, 800, 1000, 1000, 1000, 1000],
    );
    assert.equal(backoffCeiling({ baseMs: 1000 }, 10), 30_000, 'default cap 30 s');
    assert.equal(backoffCeiling({ baseMs: 0 }, 7), 0);
  });

  test('full jitter: every wait within [0, ceiling), spread over the range', () => {
    const p = { baseMs: 50, maxDelayMs: 400 };
    for (let n = 1; n <= 8; n++) {
      const seen = Array.from({ length: 400 }, () => backoffDelay(p, n));
      const ceiling = backoffCeiling(p, n);
      assert.ok(
        seen.every((d) => d >= 0 && d < ceiling),
        `failure ${n}: waits within [0, ${ceiling})`,
      );
      assert.ok(Math.min(...seen) < ceiling / 4 && Math.max(...seen) > (ceiling * 3) / 4, `failure ${n}: spread ${Math.min(...seen)}..${Math.max(...seen)}`);
    }
    assert.equal(
      backoffDelay(p, 3, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(p, 3, () => 0.999999),
      199,
    );
    assert.equal(backoffDelay({ ...p, jitter: 'none' }, 3), 200);
  });

  test('equal jitter: every wait within [ceiling/2, ceiling], never sooner than half a step', () => {
    const p = { baseMs: 50, maxDelayMs: 400, jitter: 'equal' as const };
    for (let n = 1; n <= 8; n++) {
      const ceiling = backoffCeiling(p, n);
      const seen = Array.from({ length: 400 }, () => backoffDelay(p, n));
      assert.ok(
        seen.every((d) => d >= ceiling / 2 && d <= ceiling),
        `failure ${n}: waits within [${ceiling / 2}, ${ceiling}]`,
      );
    }
    assert.equal(
      backoffDelay(p, 3, () => 0),
      100,
    );
    assert.equal(
      backoffDelay(p, 3, () => 0.999999),
      200,
    );
  });

  test('Backoff: the same sequence for timer-driven retries, reset after a success', () => {
    const b = new Backoff({ baseMs: 10, maxDelayMs: 40, jitter: 'none' });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [10, 20, 40, 40]);
    assert.equal(b.failures, 4);
    b.reset();
    assert.equal(b.next(), 10);
  });
});

describe('retry', () => {
  test('returns the first success; attempts are numbered from 1', async () => {
    const f = failing(3, 'ok');
    const waits: number[] = [];
    const v = await retry(f.fn, { baseMs: 1, maxDelayMs: 4, jitter: 'none', onRetry: (i) => waits.push(i.delayMs) });
    assert.equal(v, 'ok');
    assert.deepEqual(f.calls, [1, 2, 3, 4]);
    assert.deepEqual(waits, [1, 2, 4]);
  });

  test('maxAttempts bounds the attempts (the first included); the last error is thrown unchanged', async () => {
    const f = failing(10, 'never');
    await assert.rejects(retry(f.fn, { baseMs: 0, maxAttempts: 4 }), (e: unknown) => e instanceof Flaky && e.message === 'failure 4');
    assert.equal(f.calls.length, 4);
    const once = failing(10, 'never');
    await assert.rejects(retry(once.fn, { baseMs: 0, maxAttempts: 1 }), Flaky);
    assert.equal(once.calls.length, 1, 'maxAttempts 1: no retry');
  });

  test('a final error ends it at once; other errors are retried', async () => {
    const calls: number[] = [];
    const fn = async (n: number): Promise<string> => {
      calls.push(n);
      if (n < 3) throw new Flaky('again');
      throw new Fatal('give up');
    };
    const finals: number[] = [];
    await assert.rejects(
      retry(fn, {
        baseMs: 0,
        maxAttempts: 10,
        isFinal: (e, n) => {
          if (e instanceof Fatal) finals.push(n);
          return e instanceof Fatal;
        },
      }),
      Fatal,
    );
    assert.deepEqual(calls, [1, 2, 3]);
    assert.deepEqual(finals, [3]);
  });

  test('maxElapsedMs: no attempt starts after the budget, the last wait is cut to it', async () => {
    const f = failing(1000, 'never');
    const waits: number[] = [];
    const t0 = Date.now();
    await assert.rejects(retry(f.fn, { baseMs: 40, maxDelayMs: 40, jitter: 'none', maxElapsedMs: 100, onRetry: (i) => waits.push(i.delayMs) }), Flaky);
    // three waits at most fit (40 + 40 + the rest, ≤ 20); a fourth would start past the budget
    assert.ok(f.calls.length >= 2 && f.calls.length <= 4, `attempts ${f.calls.length}`);
    assert.ok(waits.every((w) => w <= 40));
    assert.ok(Date.now() - t0 >= 100, 'tried until the budget was spent');
  });

  test('abort during a wait: rejects with RetryAborted at once and clears the timer', async () => {
    const ac = new AbortController();
    const before = timers();
    const f = failing(1000, 'never');
    const p = retry(f.fn, { baseMs: 600_000, jitter: 'none', signal: ac.signal, onRetry: () => setImmediate(() => ac.abort(new Error('stop'))) });
    await assert.rejects(p, (e: unknown) => e instanceof RetryAborted && (e.cause as Error).message === 'stop');
    assert.equal(f.calls.length, 1);
    assert.equal(timers(), before, 'no timer left behind');
  });

  test('an aborted signal: no attempt at all; an abort during an attempt: no further attempt', async () => {
    const f = failing(1000, 'never');
    await assert.rejects(retry(f.fn, { baseMs: 0, signal: AbortSignal.abort() }), RetryAborted);
    assert.equal(f.calls.length, 0);
    const ac = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    await assert.rejects(
      retry(
        async (_n, signal) => {
          seen.push(signal);
          ac.abort();
          throw new Flaky('x');
        },
        { baseMs: 0, signal: ac.signal },
      ),
      RetryAborted,
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0], ac.signal, 'the attempt gets the signal');
  });

  test('sleep: resolves after the time, rejects on abort; unref waits do not hold the process', async () => {
    await sleep(1);
    await assert.rejects(sleep(10, AbortSignal.abort()), RetryAborted);
    const ac = new AbortController();
    const before = timers();
    const p = sleep(600_000, ac.signal, { unref: true });
    ac.abort();
    await assert.rejects(p, RetryAborted);
    assert.equal(timers(), before);
    // an unref'd wait alone must not keep a process alive: a child exits long before the wait
    const { spawnSync } = await import('node:child_process');
    const url = new URL('../../lib/retry.ts', import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', `import(${JSON.stringify(url)}).then((m) => { void m.sleep(600000, undefined, { unref: true }); })`],
      { timeout: 60_000 },
    );
    assert.equal(child.status, 0, child.stderr.toString());
  });
});
