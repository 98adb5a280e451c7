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
import { DecodeCache } from './decode-cache.js';
import { cloneMsg } from './msg.js';

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
  /** Parsed objects, reused when a read returns the very bytes they came from (decode-cache.ts). */
  readonly decodeCache = new DecodeCache();
  /** Transactions queued on hot objects (by key), served by group commits (tryTransaction). */
  private readonly queues = new Map<string, HotQueue>();
  private readonly giveWay = (key: string): boolean => this.queues.has(key);
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
    const path = this.layout.model(clazz, id);
    let read: { data: Buffer; stat: { version: number } };
    try {
      read = await this.zk.getData(path);
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') throw new NotFoundError(clazz, id);
      throw mapReadError(e, `reading ${clazz} ${id}`);
    }
    const cached = this.decodeCache.get(path, read.stat.version, read.data);
    if (cached) return cloneMsg(cached);
    const msg = this.decode(clazz, id, read.data);
    this.decodeCache.put(path, read.stat.version, read.data, msg);
    return cloneMsg(msg);
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
    return this.open(owner, () => start);
  }

  /**
   * A transaction whose start zxid is asked for right before its first read, and may still be on
   * its way: its reads are sent at once, behind the `sync` on the same session (so the server
   * answers them from a state at least as new), and are checked against the zxid when both have
   * arrived. Saves one round trip per transaction, and an attempt that gives way before its first
   * read sends nothing.
   */
  private open(owner: number, startZxid: () => Promise<bigint>, turns?: Pick<TransactionContext, 'giveWay' | 'onCommitSent'>): Transaction {
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
      decodeCache: this.decodeCache,
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
      const tx = this.open(owner, () => this.startZxid(), nested ? undefined : { giveWay: this.giveWay });
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

  /** Full-jitter exponential backoff before the next attempt after `n` conflicts. */
  private backoffMs(n: number): number {
    return Math.random() * Math.min(this.retry.capMs, this.retry.baseMs * 2 ** Math.min(n, 20));
  }

  private committed(attempts: number, started: number): void {
    this.metrics.commits++;
    const seconds = (performance.now() - started) / 1000;
    this.notify((o) => o.transactionCommitted?.(attempts, seconds));
    this.logger?.debug('transaction committed', { attempts, durationMs: Math.round(seconds * 1e6) / 1000 });
  }

  /** Counts a conflict after `attempts` attempts; false when the retries are exhausted. */
  private conflicted(attempts: number, e: ConcurrentModificationError): boolean {
    this.metrics.conflicts++;
    this.notify((o) => o.transactionConflict?.());
    if (attempts >= this.retry.maxAttempts) {
      this.metrics.exhausted++;
      this.notify((o) => o.transactionExhausted?.());
      this.logger?.warn('transaction retries exhausted', { attempts, error: e.message });
      return false;
    }
    this.metrics.retries++;
    this.notify((o) => o.transactionRetry?.());
    this.logger?.debug('transaction conflict, retrying', { attempt: attempts, error: e.message });
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
        const first = q.waiting[0] as QueuedTransaction;
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
    const tx = this.open(group[0]?.owner ?? ChangeOwner.none, () => this.startZxid(), { onCommitSent: () => sent() });
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
    await Promise.race([onWire, outcome.then(() => undefined, () => undefined)]);
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

/** The most transactions one group commit takes from a queue. */
const MAX_GROUP = 64;

/** A transaction waiting in a hot object's queue (NsdbStorage.tryTransaction). */
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

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
