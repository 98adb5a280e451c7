/**
 * The NSDB object store over ZooKeeper ("ZOOM", storage.md): plain reads, transactions, and
 * `tryTransaction`, which re-runs a transaction on optimistic-concurrency conflicts instead of
 * serialising every writer behind a global lock as the original did.
 */
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
import { mapReadError, Transaction } from './transaction.js';

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
  private readonly zk: ZkClient;
  private readonly product: ProductInfo;
  private readonly namespace: string;
  private readonly retry: RetryPolicy;
  private readonly logger?: StorageLogger;
  private readonly observer?: StorageObserver;
  private built = false;
  private probePath?: string;
  private probeSession?: bigint;

  constructor(opts: NsdbStorageOptions) {
    this.zk = opts.zk;
    this.layout = zoomLayout(opts.rootKey);
    this.product = opts.product ?? { version: '', commit: '' };
    this.namespace = opts.namespace ?? CLUSTER_NAMESPACE;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.logger = opts.logger;
    this.observer = opts.observer;
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
    this.requireBuilt();
    let children: string[];
    try {
      children = (await this.zk.getChildren(this.layout.models(clazz))).children;
    } catch (e) {
      throw mapReadError(e, `listing ${clazz}`);
    }
    return this.getExisting(clazz, children);
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
   * Opens a transaction. Its start zxid is read by writing the node's probe under `zoomlocks/`
   * (one round trip: the stat of a write carries the zxid it was assigned; see
   * docs/decisions/0002-transaction-start-zxid.md).
   */
  async transaction(owner: number = ChangeOwner.none): Promise<Transaction> {
    this.requireBuilt();
    this.metrics.transactions++;
    this.notify((o) => o.transactionStarted?.());
    const startZxid = await this.probeZxid();
    return new Transaction({
      zk: this.zk,
      layout: this.layout,
      owner,
      product: this.product,
      startZxid,
      onDeletedTables: (paths) => this.deleteTablesLater(paths),
    });
  }

  private async probeZxid(): Promise<bigint> {
    try {
      const session = this.zk.sessionId;
      if (!this.probePath || this.probeSession !== session) {
        const path = `${this.layout.zoomLocks}/lock-${session.toString(16).padStart(16, '0')}`;
        try {
          await this.zk.create(path, Buffer.alloc(0), 'ephemeral');
        } catch (e) {
          if (!(e instanceof ZkError && e.codeName === 'NODEEXISTS')) throw e;
        }
        this.probePath = path;
        this.probeSession = session;
      }
      const stat = await this.zk.setData(this.probePath, Buffer.alloc(0), -1);
      return stat.mzxid;
    } catch (e) {
      this.probePath = undefined;
      if (e instanceof Error && !(e instanceof ZkError)) throw e;
      const mapped = mapReadError(e, 'acquiring the current zxid');
      if (mapped instanceof InternalStorageError) {
        throw new InternalStorageError('Could not acquire current zxid.', { cause: e });
      }
      throw mapped;
    }
  }

  /**
   * Runs `fn` in a fresh transaction and commits it, re-running both on a concurrent
   * modification with full-jitter backoff, up to the retry policy's attempts. Every other error
   * is final. No lock is taken: version checks in the commit multi give the isolation.
   */
  async tryTransaction<T>(owner: number, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const tx = await this.transaction(owner);
      try {
        const result = await fn(tx);
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
        const ceiling = Math.min(this.retry.capMs, this.retry.baseMs * 2 ** Math.min(attempt, 20));
        await sleep(Math.random() * ceiling);
      }
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

  /** Increments `ROOT/sequences/<name>` (4-byte big-endian int) and returns the new value. */
  async nextSequenceValue(name: string, seed: number): Promise<number> {
    this.requireBuilt();
    const path = this.layout.sequences(name);
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
        const next = current + 1;
        const out = Buffer.alloc(4);
        out.writeInt32BE(next);
        await this.zk.setData(path, out, version);
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
