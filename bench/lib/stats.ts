/** Latency/throughput summaries, in milliseconds, from nanosecond samples. */
export interface Summary {
  ops: number;
  errors: number;
  /** completed operations per second */
  rps: number;
  p50: number;
  p99: number;
  mean: number;
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at];
}

export function summarize(samplesNs: number[], errors: number, elapsedMs: number): Summary {
  const ms = Float64Array.from(samplesNs, (n) => n / 1e6).sort();
  const total = ms.reduce((a, b) => a + b, 0);
  return {
    ops: ms.length,
    errors,
    rps: (ms.length / elapsedMs) * 1000,
    p50: percentile(ms, 0.5),
    p99: percentile(ms, 0.99),
    mean: ms.length ? total / ms.length : NaN,
  };
}

/** The median of each field over several rounds (rounds are run back to back). */
export function medianOf(rounds: Summary[]): Summary {
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)];
  };
  return {
    ops: med(rounds.map((r) => r.ops)),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    rps: med(rounds.map((r) => r.rps)),
    p50: med(rounds.map((r) => r.p50)),
    p99: med(rounds.map((r) => r.p99)),
    mean: med(rounds.map((r) => r.mean)),
  };
}

/**
 * Runs `op` from `concurrency` workers back to back for `durationMs` (a closed loop, like a pool of
 * clients each waiting for its answer) and times each call with the monotonic clock.
 */
export async function closedLoop(concurrency: number, durationMs: number, op: (worker: number) => Promise<void>): Promise<Summary> {
  const samples: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < end) {
      const t0 = process.hrtime.bigint();
      try {
        await op(w);
        samples.push(Number(process.hrtime.bigint() - t0));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return summarize(samples, errors, performance.now() - start);
}

/** Runs `op` exactly `count` times from `concurrency` workers. */
export async function fixedCount(concurrency: number, count: number, op: (i: number) => Promise<void>): Promise<Summary> {
  const samples: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const t0 = process.hrtime.bigint();
      try {
        await op(i);
        samples.push(Number(process.hrtime.bigint() - t0));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return summarize(samples, errors, performance.now() - start);
}
