/**
 * The NSDB object store over ZooKeeper ("ZOOM", storage.md): plain reads, transactions, and
 * `tryTransaction`, which re-runs a transaction on optimistic-concurrency conflicts instead of
 * serialising every writer behind a global lock as the original did.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Msg } from '../models/types.js';
import type { ZkClient } from '../zk/client.js';
import { ZkError } from '../zk/errors.js';
import { parseText } from './codec/text-format.js';
import { CLUSTER_NAMESPACE, REGISTERED_CLASSES } from './classes.js';
import {
  ConcurrentModificationError,
  InternalStorageError,
  NotFoundError,
  ServiceUnavailableError,
} from './errors.js';
import { zoomLayout, type ZoomLayout } from './layout.js';
import { ChangeOwner, type ProductInfo } from './provenance.js';
import { mapReadError, Transaction, type TransactionContext } from './transaction.js';

export interface RetryPolicy {
  /** Total attempts of one transaction, the first included. */
  maxAttempts: number;
  /** Full-jitter exponential backoff: sleep a random time in [0, min(capMs, baseMs * 2^n)). */
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 40, baseMs: 2, capMs: 250 };

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

export interface NsdbStorageOptions {
  zk: ZkClient;
  rootKey: string;
  product?: ProductInfo;
  namespace?: string;
  retry?: Partial<RetryPolicy>;
  logger?: StorageLogger;
  observer?: StorageObserver;
  /**
   * The largest request the ZooKeeper servers read (their `jute.maxbuffer`, default 0xfffff):
   * bigger commits are refused with RequestTooLargeError instead of being sent.
   */
  maxRequestBytes?: number;
}

export interface SequenceOptions {
  /**
   * How many values one compare-and-set reserves for this node when it has none left (default 1:
   * one per caller, no gaps). See NsdbStorage.nextSequenceValue.
   */
  block?: number;
}

interface SequenceWaiter {
  resolve: (v: number) => void;
  reject: (e: unknown) => void;
  block: number;
}

export interface StorageMetrics {
  transactions: number;
  commits: number;
  conflicts: number;
  retries: number;
  exhausted: number;
}

export class NsdbStorage {
  readonly layout: ZoomLayout;
  readonly metrics: StorageMetrics = { transactions: 0, commits: 0, conflicts: 0, retries: 0, exhausted: 0 };
  private zk: ZkClient;
  private readonly product: ProductInfo;
  private readonly namespace: string;
  private readonly retry: RetryPolicy;
  private readonly logger?: StorageLogger;
  private readonly observer?: StorageObserver;
  private readonly maxRequestBytes?: number;
  private built = false;
  /** Retries waiting for their turn on a conflicting object (see tryTransaction). */
  private readonly turns = new TurnQueue();
  private readonly giveWay = (key: string): boolean => this.turns.busy(key);
  /** Callers waiting for a value of a sequence (by path), served by drainSequence. */
  private readonly sequenceWaiters = new Map<string, SequenceWaiter[]>();
  /** Last known value and znode version of each sequence this node incremented. */
  private readonly sequenceCache = new Map<string, { value: number; version: number }>();
  /**
   * Values of a sequence (by path) this node reserved and has not handed out yet, `next..last`.
   * They were added to the znode by a committed compare-and-set, so no other writer of the
   * sequence can get them: they stay valid whatever happens to the session (a new one after an
   * expiry, see useClient) and are only lost, as a gap, when the process ends.
   */
  private readonly sequenceBlocks = new Map<string, { next: number; last: number }>();

  constructor(opts: NsdbStorageOptions) {
    this.zk = opts.zk;
    this.layout = zoomLayout(opts.rootKey);
    this.product = opts.product ?? { version: '', commit: '' };
    this.namespace = opts.namespace ?? CLUSTER_NAMESPACE;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.logger = opts.logger;
    this.observer = opts.observer;
    this.maxRequestBytes = opts.maxRequestBytes;
  }

  private notify(fn: (o: StorageObserver) => void): void {
    if (!this.observer) return;
    try {
      fn(this.observer);
    } catch {
      // instrumentation must never break storage
    }
  }

  get isBuilt(): boolean {
    return this.built;
  }

  get zookeeper(): ZkClient {
    return this.zk;
  }

  /**
   * Switches to another ZooKeeper session's client: the node makes a new session after its
   * session expired (services/cluster-node/session.ts), and the store carries on with it. Reads
   * and transactions started before keep the old client and fail (the session is gone); nothing
   * else here depends on the session (the layout and sequences are persistent nodes, and the
   * sequence values this node reserved were committed, so it keeps handing them out).
   */
  useClient(zk: ZkClient): void {
    this.zk = zk;
  }

  /**
   * Creates the class folders every ZOOM store expects (storage.md §1): first one multi of checks,
   * and only if something is missing, an idempotent mkdirp of each path.
   */
  async build(): Promise<void> {
    const l = this.layout;
    const paths: string[] = [l.zoomLocks, l.topologyLock];
    for (const c of REGISTERED_CLASSES) {
      paths.push(l.models(c), l.objects(c), l.tables(c), l.state(this.namespace, c));
    }
    let complete = false;
    try {
      await this.zk.multi(paths.map((path) => ({ op: 'check' as const, path, version: -1 })));
      complete = true;
    } catch (e) {
      if (!(e instanceof ZkError)) throw e;
    }
    if (!complete) {
      // Parents first, so concurrent builders on several nodes mostly collide on cheap checks.
      for (const p of paths) await this.zk.mkdirp(p);
    }
    this.built = true;
  }

  private requireBuilt(): void {
    if (!this.built) throw new ServiceUnavailableError();
  }

  // ---- plain reads (no transaction) -------------------------------------------------------

  async get(clazz: string, id: string): Promise<Msg> {
    this.requireBuilt();
    let data: Buffer;
    try {
      data = (await this.zk.getData(this.layout.model(clazz, id))).data;
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') throw new NotFoundError(clazz, id);
      throw mapReadError(e, `reading ${clazz} ${id}`);
    }
    return this.decode(clazz, id, data);
  }

  async getOrNull(clazz: string, id: string): Promise<Msg | null> {
    try {
      return await this.get(clazz, id);
    } catch (e) {
      if (e instanceof NotFoundError) return null;
      throw e;
    }
  }

  async exists(clazz: string, id: string): Promise<boolean> {
    this.requireBuilt();
    try {
      return (await this.zk.exists(this.layout.model(clazz, id))) !== null;
    } catch (e) {
      throw mapReadError(e, `checking ${clazz} ${id}`);
    }
  }

  /** The objects with the given ids; fails with NotFound if any is missing. */
  async getMany(clazz: string, ids: readonly string[]): Promise<Msg[]> {
    return Promise.all(ids.map((id) => this.get(clazz, id)));
  }

  /** The objects with the given ids that exist, in the given order (missing ones skipped). */
  async getExisting(clazz: string, ids: readonly string[]): Promise<Msg[]> {
    const all = await Promise.all(ids.map((id) => this.getOrNull(clazz, id)));
    return all.filter((m): m is Msg => m !== null);
  }

  /** Every object of a class. Objects deleted between the listing and the read are skipped. */
  async getAll(clazz: string): Promise<Msg[]> {
    return this.getExisting(clazz, await this.listIds(clazz));
  }

  /**
   * The ids of every stored object of a class: one getChildren of its folder. No ZooKeeper limit
   * applies to the answer with this client (docs/performance.md, "the 1 MB limit").
   */
  async listIds(clazz: string): Promise<string[]> {
    this.requireBuilt();
    try {
      return (await this.zk.getChildren(this.layout.models(clazz))).children;
    } catch (e) {
      throw mapReadError(e, `listing ${clazz}`);
    }
  }

  private decode(clazz: string, id: string, data: Buffer): Msg {
    try {
      return parseText(clazz, data.toString('utf8'));
    } catch (e) {
      throw new InternalStorageError(`Failed to parse ${clazz} with ID ${id}: ${(e as Error).message}`, { cause: e });
    }
  }

  // ---- transactions -----------------------------------------------------------------------

  /**
   * Opens a transaction whose start zxid is known when this resolves: ZooKeeper's `sync`, whose
   * answer carries the zxid of the last write the server applied, at least every write committed
   * before the call (docs/decisions/0002-transaction-start-zxid.md).
   */
  async transaction(owner: number = ChangeOwner.none): Promise<Transaction> {
    const start = this.startZxid();
    await start;
    return this.open(owner, start);
  }

  /**
   * A transaction whose start zxid may still be on its way: its reads are sent at once, behind the
   * `sync` on the same session (so the server answers them from a state at least as new), and are
   * checked against the zxid when both have arrived. Saves one round trip per transaction.
   */
  private open(owner: number, startZxid: Promise<bigint>, turns?: Pick<TransactionContext, 'giveWay' | 'onCommitSent'>): Transaction {
    this.requireBuilt();
    this.metrics.transactions++;
    this.notify((o) => o.transactionStarted?.());
    return new Transaction({
      zk: this.zk,
      layout: this.layout,
      owner,
      product: this.product,
      startZxid,
      onDeletedTables: (paths) => this.deleteTablesLater(paths),
      ...(this.maxRequestBytes !== undefined ? { maxRequestBytes: this.maxRequestBytes } : {}),
      ...turns,
    });
  }

  /** The zxid a transaction starts at; never an unhandled rejection (the transaction reports it). */
  private startZxid(): Promise<bigint> {
    this.requireBuilt();
    const p = this.zk.syncZxid(this.layout.zoomLocks).catch((e: unknown) => {
      if (e instanceof Error && !(e instanceof ZkError)) throw e;
      const mapped = mapReadError(e, 'acquiring the current zxid');
      if (mapped instanceof InternalStorageError) throw new InternalStorageError('Could not acquire current zxid.', { cause: e });
      throw mapped;
    });
    p.catch(() => undefined);
    return p;
  }

  /**
   * Runs `fn` in a fresh transaction and commits it, re-running both on a concurrent
   * modification, up to the retry policy's attempts. Every other error is final. No lock is
   * taken: version checks in the commit multi give the isolation.
   *
   * Contention is managed per node and per conflicting object: after a conflict on an object (the
   * error's `key`), the next attempts wait their turn behind the other retries of this node that
   * conflicted on the same object, one at a time, instead of all sleeping a random time and
   * colliding again (many writers on one hot object). An attempt that had to wait for its turn
   * runs at once: the local writer before it has finished. Otherwise (nobody local before it,
   * or a conflict while holding the turn: with another node) it sleeps the full-jitter
   * exponential backoff of the retry policy, as every conflict did before. An attempt that holds
   * no turn gives way before its first read of an object that has a queue here: it fails at
   * once with a conflict on it (nothing sent, nothing wasted) and joins the queue. One holding a
   * turn never gives way (two hot objects cannot make two transactions swap turns for ever), and
   * transactions run inside another's function never queue (no deadlock on a turn they hold).
   * docs/performance.md has the measurements behind this.
   */
  async tryTransaction<T>(owner: number, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const started = performance.now();
    const nested = insideTransaction.getStore() === true;
    let turn: { key: string; release: () => void } | undefined;
    // conflicts since this transaction last waited for its turn behind another local one: the
    // exponent of the backoff (only the waits of the queue say that the contention was local)
    let unqueued = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        // Without a turn of its own, an attempt gives way to this node's queued retries on an
        // object. With one, it hands the turn on as soon as its commit is on the wire: the next
        // one's reads are queued behind it and see its outcome, the round trip overlaps.
        const tx = this.open(
          owner,
          this.startZxid(),
          nested
            ? undefined
            : turn
              ? {
                  onCommitSent: () => {
                    turn?.release();
                    turn = undefined;
                  },
                }
              : { giveWay: this.giveWay },
        );
        try {
          const result = await insideTransaction.run(true, () => fn(tx));
          await tx.commit();
          this.metrics.commits++;
          const seconds = (performance.now() - started) / 1000;
          this.notify((o) => o.transactionCommitted?.(attempt, seconds));
          this.logger?.debug('transaction committed', { attempts: attempt, durationMs: Math.round(seconds * 1e6) / 1000 });
          return result;
        } catch (e) {
          if (!(e instanceof ConcurrentModificationError)) throw e;
          this.metrics.conflicts++;
          this.notify((o) => o.transactionConflict?.());
          if (attempt >= this.retry.maxAttempts) {
            this.metrics.exhausted++;
            this.notify((o) => o.transactionExhausted?.());
            this.logger?.warn('transaction retries exhausted', { attempts: attempt, error: e.message });
            throw e;
          }
          this.metrics.retries++;
          this.notify((o) => o.transactionRetry?.());
          this.logger?.debug('transaction conflict, retrying', { attempt, error: e.message });
          if (e.key !== undefined && !nested && turn?.key !== e.key) {
            turn?.release();
            turn = undefined;
            const next = await this.turns.acquire(e.key);
            turn = { key: e.key, release: next.release };
            // another retry of this node went first: what it conflicted with is settled, go now
            if (next.waited) {
              unqueued = 0;
              continue;
            }
          }
          unqueued++;
          const ceiling = Math.min(this.retry.capMs, this.retry.baseMs * 2 ** Math.min(unqueued, 20));
          await sleep(Math.random() * ceiling);
        }
      }
    } finally {
      turn?.release();
    }
  }

  private deleteTablesLater(paths: string[]): void {
    // As in the original: best effort after the commit; leftovers are the recycler's.
    for (const p of paths) {
      this.zk.removeRecursive(p).catch((e: unknown) => {
        this.logger?.warn('could not delete state tables of a deleted object', { path: p, error: String(e) });
      });
    }
  }

  // ---- sequences (Curator SharedCount layout, storage.md §1) ---------------------------------

  /**
   * Increments `ROOT/sequences/<name>` (4-byte big-endian int) and returns the new value: a
   * compare-and-set on the znode version. Concurrent callers on this node are served together:
   * one compare-and-set adds their number and each gets its own value, in call order (without
   * it, they all collide on the znode and back off). The first try uses the value and version
   * this node saw last, so while no other node increments the sequence it costs one write and no
   * read.
   *
   * With `block` above 1 the compare-and-set adds at least `block`, and this node hands out the
   * values it did not need itself to its next callers, in increasing order, with no ZooKeeper
   * request at all, until they are used up (docs/decisions/0009). Values stay unique across
   * nodes (each block is reserved by a committed compare-and-set, as single values are), but they
   * are not handed out in global call order across nodes, and what is left of a block when the
   * process ends is never used. Callers that pass no block still get values out of a block this
   * node holds for the same sequence: they are as unique as any other.
   */
  nextSequenceValue(name: string, seed: number, opts: SequenceOptions = {}): Promise<number> {
    const block = opts.block ?? 1;
    if (!Number.isSafeInteger(block) || block < 1) {
      return Promise.reject(new RangeError(`sequence block must be a positive integer, not ${block}`));
    }
    if (!this.built) return Promise.reject(new ServiceUnavailableError());
    const path = this.layout.sequences(name);
    let batch = this.sequenceWaiters.get(path);
    if (!batch) {
      // Nobody of this node is waiting for this sequence: a value left in its block is next in
      // order. (While someone waits, the block is used up and newcomers queue behind them.)
      const reserved = this.takeReserved(path);
      if (reserved !== undefined) return Promise.resolve(reserved);
      batch = [];
      this.sequenceWaiters.set(path, batch);
      void this.drainSequence(name, path, seed);
    }
    return new Promise<number>((resolve, reject) => batch.push({ resolve, reject, block }));
  }

  /** The next value of this node's block of a sequence, if it has one left. */
  private takeReserved(path: string): number | undefined {
    const b = this.sequenceBlocks.get(path);
    if (!b) return undefined;
    const v = b.next++;
    if (b.next > b.last) this.sequenceBlocks.delete(path);
    return v;
  }

  /** Serves the waiters of one sequence, a batch per compare-and-set, until none is left. */
  private async drainSequence(name: string, path: string, seed: number): Promise<void> {
    // let the callers of this turn of the event loop join the first batch
    await new Promise<void>((r) => setImmediate(r));
    for (;;) {
      const batch = this.sequenceWaiters.get(path) ?? [];
      // Callers that queued while a compare-and-set was out: first what it reserved beyond its
      // own batch (lower values, earlier callers), then a compare-and-set for the others.
      let served = 0;
      for (const w of batch) {
        const v = this.takeReserved(path);
        if (v === undefined) break;
        w.resolve(v);
        served++;
      }
      const rest = batch.slice(served);
      if (rest.length === 0) {
        this.sequenceWaiters.delete(path);
        return;
      }
      this.sequenceWaiters.set(path, []);
      const n = Math.max(rest.length, ...rest.map((w) => w.block));
      try {
        const last = await this.addToSequence(name, path, seed, n);
        const first = last - n + 1;
        rest.forEach((w, i) => w.resolve(first + i));
        // Nothing else sets a block while waiters are queued, and this one was used up before
        // the compare-and-set: no values are overwritten here.
        if (n > rest.length) this.sequenceBlocks.set(path, { next: first + rest.length, last });
      } catch (e) {
        // Nothing was reserved for certain: a write whose outcome is unknown (connection lost)
        // may have added n, which only leaves a gap, since the next try reads the znode again.
        for (const w of rest) w.reject(e);
      }
    }
  }

  /** Adds `n` to a sequence, returns the new value. */
  private async addToSequence(name: string, path: string, seed: number, n: number): Promise<number> {
    const known = this.sequenceCache.get(path);
    if (known) {
      try {
        const stat = await this.zk.setData(path, int32(known.value + n), known.version);
        this.sequenceCache.set(path, { value: known.value + n, version: stat.version });
        return known.value + n;
      } catch (e) {
        this.sequenceCache.delete(path);
        if (!(e instanceof ZkError && (e.codeName === 'BADVERSION' || e.codeName === 'NONODE'))) throw mapReadError(e, `incrementing sequence ${name}`);
      }
    }
    for (let attempt = 0; attempt < 10 * this.retry.maxAttempts; attempt++) {
      try {
        let data: Buffer;
        let version: number;
        try {
          const r = await this.zk.getData(path);
          data = r.data;
          version = r.stat.version;
        } catch (e) {
          if (!(e instanceof ZkError && e.codeName === 'NONODE')) throw e;
          await this.zk.mkdirp(`${this.layout.root}/sequences`);
          const initial = Buffer.alloc(4);
          initial.writeInt32BE(seed);
          try {
            await this.zk.create(path, initial, 'persistent');
          } catch (ce) {
            if (!(ce instanceof ZkError && ce.codeName === 'NODEEXISTS')) throw ce;
          }
          continue;
        }
        const current = data.length >= 4 ? data.readInt32BE(0) : seed;
        const next = current + n;
        const stat = await this.zk.setData(path, int32(next), version);
        this.sequenceCache.set(path, { value: next, version: stat.version });
        return next;
      } catch (e) {
        if (e instanceof ZkError && e.codeName === 'BADVERSION') {
          await sleep(Math.random() * Math.min(this.retry.capMs, this.retry.baseMs * 2 ** Math.min(attempt, 10)));
          continue;
        }
        throw mapReadError(e, `incrementing sequence ${name}`);
      }
    }
    throw new ConcurrentModificationError(`Could not increment sequence ${name}: too much contention.`);
  }
}

/** Marks the asynchronous work of a transaction function (a nested tryTransaction never queues). */
const insideTransaction = new AsyncLocalStorage<boolean>();

/** First come, first served turns per key, in this process. */
class TurnQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Resolves when the caller's turn has come, with the function that ends it and whether someone
   * else's turn came first.
   */
  async acquire(key: string): Promise<{ release: () => void; waited: boolean }> {
    const waiting = this.tails.get(key);
    const previous = waiting ?? Promise.resolve();
    let end!: () => void;
    const mine = new Promise<void>((resolve) => (end = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    let ended = false;
    const release = (): void => {
      if (ended) return;
      ended = true;
      end();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    return { release, waited: waiting !== undefined };
  }

  /** Whether a turn on this key is taken or awaited. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
