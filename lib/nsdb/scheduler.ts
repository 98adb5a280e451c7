/**
 * The transaction scheduler: `tryTransaction` re-runs a transaction on optimistic-concurrency
 * conflicts instead of serialising every writer behind a global lock as the original did
 * (docs/decisions/0001), and serves the transactions of this node that conflict on one hot
 * object from a queue, by group commits (docs/decisions/0010). It counts what happens (metrics,
 * observer hooks) for the store.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffPolicy } from '../retry.js';
import { ConcurrentModificationError } from './errors.js';
import { ChangeOwner } from './provenance.js';
import type { Transaction, TransactionContext } from './transaction.js';

export interface RetryPolicy {
  /** Total attempts of one transaction, the first included. */
  maxAttempts: number;
  /** Full-jitter exponential backoff: sleep a random time in [0, min(capMs, baseMs * 2^n)). */
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 40, baseMs: 2, capMs: 250 };

/** A transaction retry policy as lib/retry.ts's backoff: backoffDelay(policy, n + 1) waits in [0, min(cap, base * 2^n)) after n conflicts. */
export function backoffOf(p: Pick<RetryPolicy, 'baseMs' | 'capMs'>): BackoffPolicy {
  return { baseMs: p.baseMs, maxDelayMs: p.capMs };
}

export interface StorageLogger {
  debug(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
}

/**
 * Instrumentation hooks (metrics), all optional, called synchronously; whatever they throw is
 * ignored. Per `tryTransaction` attempt: `transactionStarted`, then either `transactionCommitted`
 * (with the attempts it took and the seconds since the first began) or `transactionConflict`,
 * followed by `transactionRetry` or, on the last attempt, `transactionExhausted`.
 */
export interface StorageObserver {
  transactionStarted?(): void;
  transactionCommitted?(attempts: number, seconds: number): void;
  transactionConflict?(): void;
  transactionRetry?(): void;
  transactionExhausted?(): void;
}

export interface StorageMetrics {
  transactions: number;
  commits: number;
  conflicts: number;
  retries: number;
  exhausted: number;
}

/** How the scheduler takes turns with a transaction it opens. */
export type Turns = Pick<TransactionContext, 'giveWay' | 'onCommitSent'>;

export interface SchedulerOptions {
  /**
   * Opens a transaction whose start zxid is asked for right before its first read (see
   * NsdbStorage); calls `started()` of this scheduler.
   */
  open(owner: number, turns?: Turns): Transaction;
  retry: RetryPolicy;
  logger?: StorageLogger;
  observer?: StorageObserver;
}

export class TransactionScheduler {
  readonly metrics: StorageMetrics = { transactions: 0, commits: 0, conflicts: 0, retries: 0, exhausted: 0 };
  /** Transactions queued on hot objects (by key), served by group commits (tryTransaction). */
  private readonly queues = new Map<string, HotQueue>();
  private readonly giveWay = (key: string): boolean => this.queues.has(key);

  constructor(private readonly opts: SchedulerOptions) {}

  private notify(fn: (o: StorageObserver) => void): void {
    if (!this.opts.observer) return;
    try {
      fn(this.opts.observer);
    } catch {
      // instrumentation must never break storage
    }
  }

  /** Counts a transaction the store opened. */
  started(): void {
    this.metrics.transactions++;
    this.notify((o) => o.transactionStarted?.());
  }

  /**
   * Runs `fn` in a fresh transaction and commits it, re-running both on a concurrent
   * modification, up to the retry policy's attempts. Every other error is final. No lock is
   * taken: version checks in the commit multi give the isolation.
   *
   * Contention is managed per node and per conflicting object (the error's `key`): after a
   * conflict on an object, the transaction joins this node's queue for that object, and the
   * queue is served by group commits (runGroup): the functions of the queued transactions run
   * one after the other in one transaction, each seeing the changes of those before it, and one
   * multi commits them all. That is the same outcome as running them one by one in that order,
   * at the price of one ZooKeeper write instead of one per caller. A function that fails leaves
   * no trace (savepoint) and its caller gets its error once the others are committed; if the
   * group's multi fails for another reason than a conflict, its members are re-run alone, so
   * each gets its own outcome. A transaction outside the queue gives way before its first read
   * of an object that has a queue here: it fails at once with a conflict (nothing sent) and
   * joins the queue. Transactions run inside another's function never queue (no deadlock on a
   * queue their outer transaction is being served by); they back off and retry.
   * docs/performance.md has the measurements behind this.
   */
  async tryTransaction<T>(owner: number, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const started = performance.now();
    const nested = insideTransaction.getStore() === true;
    for (let attempt = 1; ; attempt++) {
      const tx = this.opts.open(owner, nested ? undefined : { giveWay: this.giveWay });
      try {
        const result = await insideTransaction.run(true, () => fn(tx));
        await tx.commit();
        this.committed(attempt, started);
        return result;
      } catch (e) {
        if (!(e instanceof ConcurrentModificationError)) throw e;
        if (!this.conflicted(attempt, e)) throw e;
        if (e.key !== undefined && !nested) {
          return new Promise<T>((resolve, reject) => {
            this.enqueue(e.key as string, { owner, fn, resolve: resolve as (v: unknown) => void, reject, attempts: attempt, started, solo: false });
          });
        }
        await sleep(this.backoffMs(attempt));
      }
    }
  }

  /** The project's backoff (lib/retry.ts) before the next attempt after `n` conflicts. */
  private backoffMs(n: number): number {
    return backoffDelay(backoffOf(this.opts.retry), n + 1);
  }

  private committed(attempts: number, started: number): void {
    this.metrics.commits++;
    const seconds = (performance.now() - started) / 1000;
    this.notify((o) => o.transactionCommitted?.(attempts, seconds));
    this.opts.logger?.debug('transaction committed', { attempts, durationMs: Math.round(seconds * 1e6) / 1000 });
  }

  /** Counts a conflict after `attempts` attempts; false when the retries are exhausted. */
  private conflicted(attempts: number, e: ConcurrentModificationError): boolean {
    this.metrics.conflicts++;
    this.notify((o) => o.transactionConflict?.());
    if (attempts >= this.opts.retry.maxAttempts) {
      this.metrics.exhausted++;
      this.notify((o) => o.transactionExhausted?.());
      this.opts.logger?.warn('transaction retries exhausted', { attempts, error: e.message });
      return false;
    }
    this.metrics.retries++;
    this.notify((o) => o.transactionRetry?.());
    this.opts.logger?.debug('transaction conflict, retrying', { attempt: attempts, error: e.message });
    return true;
  }

  /** Queues a transaction on a hot object; starts serving the queue if nobody does. */
  private enqueue(key: string, m: QueuedTransaction): void {
    let q = this.queues.get(key);
    if (!q) {
      q = { waiting: [], running: false, inFlight: 0 };
      this.queues.set(key, q);
    }
    q.waiting.push(m);
    if (!q.running) void this.serveQueue(key, q);
  }

  /**
   * Serves one object's queue, a group at a time. The next group starts as soon as the previous
   * one's multi is on the wire: its reads are queued behind the multi on the session and see its
   * outcome, so the commit's round trip overlaps the next group's work.
   */
  private async serveQueue(key: string, q: HotQueue): Promise<void> {
    q.running = true;
    try {
      // callers that conflicted in the same turn join the first group
      await new Promise<void>((r) => setImmediate(r));
      while (q.waiting.length > 0) {
        const first = q.waiting[0];
        let n = 1;
        if (!first.solo) {
          while (n < q.waiting.length && n < MAX_GROUP && !q.waiting[n]?.solo && q.waiting[n]?.owner === first.owner) n++;
        }
        const group = q.waiting.splice(0, n);
        q.inFlight++;
        try {
          await this.runGroup(key, q, group);
        } catch (e) {
          // runGroup settles its members itself; this is a bug guard, not a path
          q.inFlight--;
          for (const m of group) m.reject(e);
        }
      }
    } finally {
      q.running = false;
      this.forgetQueue(key, q);
    }
  }

  private forgetQueue(key: string, q: HotQueue): void {
    if (!q.running && q.inFlight === 0 && q.waiting.length === 0 && this.queues.get(key) === q) this.queues.delete(key);
  }

  /**
   * One group commit. Resolves once the multi is sent (or there is nothing to send); the members
   * learn their outcome when ZooKeeper has answered.
   */
  private async runGroup(key: string, q: HotQueue, group: QueuedTransaction[]): Promise<void> {
    let sent!: () => void;
    const onWire = new Promise<void>((r) => (sent = r));
    const tx = this.opts.open(group[0]?.owner ?? ChangeOwner.none, { onCommitSent: () => sent() });
    const done: { m: QueuedTransaction; value?: unknown; error?: unknown; failed: boolean }[] = [];
    const again: { m: QueuedTransaction; e: ConcurrentModificationError }[] = [];
    for (const m of group) {
      const sp = tx.savepoint();
      try {
        const value = await insideTransaction.run(true, () => m.fn(tx));
        await tx.settle();
        done.push({ m, value, failed: false });
      } catch (e) {
        await tx.settle().catch(() => undefined);
        tx.rollback(sp);
        if (e instanceof ConcurrentModificationError) again.push({ m, e });
        else done.push({ m, error: e, failed: true });
      }
    }
    const outcome = tx.commit();
    outcome.catch(() => undefined);
    await Promise.race([
      onWire,
      outcome.then(
        () => undefined,
        () => undefined,
      ),
    ]);
    const settle = async (): Promise<void> => {
      try {
        await outcome;
        for (const d of done) {
          if (d.failed) {
            d.m.reject(d.error);
          } else {
            this.committed(d.m.attempts + 1, d.m.started);
            d.m.resolve(d.value);
          }
        }
      } catch (e) {
        if (e instanceof ConcurrentModificationError) {
          for (const d of done) again.push({ m: d.m, e });
        } else if (done.length > 1) {
          // which member made the multi fail is not known: each runs alone and gets its own answer
          for (const d of done) this.enqueue(key, { ...d.m, attempts: d.m.attempts + 1, solo: true });
        } else {
          for (const d of done) d.m.reject(e);
        }
      }
      // conflicts (a read newer than the group's start, a version changed by another node): back
      // off as a lone transaction would, then queue again
      const retry: QueuedTransaction[] = [];
      for (const { m, e } of again) {
        if (this.conflicted(m.attempts + 1, e)) retry.push({ ...m, attempts: m.attempts + 1 });
        else m.reject(e);
      }
      if (retry.length > 0) {
        await sleep(this.backoffMs(Math.max(...retry.map((m) => m.attempts))));
        for (const m of retry) this.enqueue(key, m);
      }
    };
    void settle()
      .catch((e: unknown) => {
        // not expected (settle handles the commit's outcome); no caller may be left waiting
        for (const d of done) d.m.reject(e);
        for (const a of again) a.m.reject(e);
      })
      .finally(() => {
        q.inFlight--;
        this.forgetQueue(key, q);
      });
  }
}

/** Marks the asynchronous work of a transaction function (a nested tryTransaction never queues). */
const insideTransaction = new AsyncLocalStorage<boolean>();

/** The most transactions one group commit takes from a queue. */
const MAX_GROUP = 64;

/** A transaction waiting in a hot object's queue (TransactionScheduler.tryTransaction). */
interface QueuedTransaction {
  owner: number;
  fn: (tx: Transaction) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** attempts made so far (the group run is the next one) */
  attempts: number;
  started: number;
  /** run alone: a group commit with it failed for a reason that is not a conflict */
  solo: boolean;
}

interface HotQueue {
  waiting: QueuedTransaction[];
  /** a serveQueue loop is taking groups from it */
  running: boolean;
  /** groups whose outcome is not known yet */
  inFlight: number;
}
