/**
 * The NSDB object store over ZooKeeper ("ZOOM", storage.md): builds the class folders and
 * composes the parts, each in its own module: plain reads (reads.ts), transactions
 * (transaction.ts) run and retried by the scheduler (scheduler.ts: `tryTransaction`, group
 * commits of hot objects), and sequences (sequences.ts).
 *
 * Reads and writes are typed by class: `get('Port', id)` is a `Port` (lib/models/generated.ts).
 */
import type { ModelClass, Models } from '../models/generated.js';
import type { ZkClient } from '../zk/client.js';
import { ZkError } from '../zk/errors.js';
import { CLUSTER_NAMESPACE, REGISTERED_CLASSES } from './classes.js';
import { DecodeCache } from './decode-cache.js';
import { InternalStorageError, ServiceUnavailableError } from './errors.js';
import { zoomLayout, type ZoomLayout } from './layout.js';
import { ChangeOwner, type ProductInfo } from './provenance.js';
import { ObjectReads } from './reads.js';
import {
  DEFAULT_RETRY,
  TransactionScheduler,
  type RetryPolicy,
  type StorageLogger,
  type StorageMetrics,
  type StorageObserver,
  type Turns,
} from './scheduler.js';
import { Sequences, type SequenceOptions } from './sequences.js';
import { TopologyCache, type TopologyCacheOptions } from './cache/topology-cache.js';
import { mapReadError, Transaction } from './transaction.js';

export { DEFAULT_RETRY } from './scheduler.js';
export type { RetryPolicy, StorageLogger, StorageMetrics, StorageObserver } from './scheduler.js';
export type { SequenceOptions } from './sequences.js';
export type { TopologyCacheOptions } from './cache/topology-cache.js';

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
  /** Keep the classes read through `cache` in memory, current by watches (cache/topology-cache.ts); absent: no cache. */
  cache?: TopologyCacheOptions;
}

export class NsdbStorage {
  readonly layout: ZoomLayout;
  private zk: ZkClient;
  private readonly product: ProductInfo;
  private readonly namespace: string;
  private readonly logger?: StorageLogger;
  private readonly maxRequestBytes?: number;
  private built = false;
  /** Parsed objects, reused when a read returns the very bytes they came from (decode-cache.ts). */
  readonly decodeCache = new DecodeCache();
  private readonly reads: ObjectReads;
  private readonly scheduler: TransactionScheduler;
  private readonly sequences: Sequences;
  /**
   * The watch-maintained topology cache, when enabled: readers that want memory speed ask it for
   * a fresh view (one `sync`), and read ZooKeeper directly when it has none to give.
   */
  readonly cache?: TopologyCache;

  constructor(opts: NsdbStorageOptions) {
    this.zk = opts.zk;
    this.layout = zoomLayout(opts.rootKey);
    this.product = opts.product ?? { version: '', commit: '' };
    this.namespace = opts.namespace ?? CLUSTER_NAMESPACE;
    this.logger = opts.logger;
    this.maxRequestBytes = opts.maxRequestBytes;
    const retry = { ...DEFAULT_RETRY, ...opts.retry };
    const zk = (): ZkClient => this.zk;
    this.reads = new ObjectReads({ layout: this.layout, decodeCache: this.decodeCache, zk, requireBuilt: () => this.requireBuilt() });
    this.scheduler = new TransactionScheduler({
      open: (owner, turns) => this.open(owner, () => this.startZxid(), turns),
      retry,
      logger: opts.logger,
      observer: opts.observer,
    });
    this.sequences = new Sequences({ layout: this.layout, retry, zk, isBuilt: () => this.built });
    if (opts.cache) this.cache = new TopologyCache({ layout: this.layout, zk }, opts.cache);
  }

  get metrics(): StorageMetrics {
    return this.scheduler.metrics;
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
    this.cache?.reset('new ZooKeeper session');
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

  // ---- plain reads (no transaction; reads.ts) ------------------------------------------------

  get<C extends ModelClass>(clazz: C, id: string): Promise<Models[C]> {
    return this.reads.get(clazz, id);
  }

  getOrNull<C extends ModelClass>(clazz: C, id: string): Promise<Models[C] | null> {
    return this.reads.getOrNull(clazz, id);
  }

  exists(clazz: ModelClass, id: string): Promise<boolean> {
    return this.reads.exists(clazz, id);
  }

  /** The objects with the given ids; fails with NotFound if any is missing. */
  getMany<C extends ModelClass>(clazz: C, ids: readonly string[]): Promise<Models[C][]> {
    return this.reads.getMany(clazz, ids);
  }

  /** The objects with the given ids that exist, in the given order (missing ones skipped). */
  getExisting<C extends ModelClass>(clazz: C, ids: readonly string[]): Promise<Models[C][]> {
    return this.reads.getExisting(clazz, ids);
  }

  /** Every object of a class. Objects deleted between the listing and the read are skipped. */
  getAll<C extends ModelClass>(clazz: C): Promise<Models[C][]> {
    return this.reads.getAll(clazz);
  }

  /** The ids of every stored object of a class (reads.ts). */
  listIds(clazz: ModelClass): Promise<string[]> {
    return this.reads.listIds(clazz);
  }

  // ---- transactions (transaction.ts, scheduler.ts) -------------------------------------------

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
   * Runs `fn` in a fresh transaction and commits it, re-running it on concurrent modifications;
   * conflicting transactions of this node on one object are served by group commits
   * (TransactionScheduler.tryTransaction).
   */
  tryTransaction<T>(owner: number, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.scheduler.tryTransaction(owner, fn);
  }

  /**
   * A transaction whose start zxid is asked for right before its first read, and may still be on
   * its way: its reads are sent at once, behind the `sync` on the same session (so the server
   * answers them from a state at least as new), and are checked against the zxid when both have
   * arrived. Saves one round trip per transaction, and an attempt that gives way before its first
   * read sends nothing.
   */
  private open(owner: number, startZxid: () => Promise<bigint>, turns?: Turns): Transaction {
    this.requireBuilt();
    this.scheduler.started();
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

  private deleteTablesLater(paths: string[]): void {
    // As in the original: best effort after the commit; leftovers are the recycler's.
    for (const p of paths) {
      this.zk.removeRecursive(p).catch((e: unknown) => {
        this.logger?.warn('could not delete state tables of a deleted object', { path: p, error: String(e) });
      });
    }
  }

  // ---- sequences (sequences.ts) --------------------------------------------------------------

  /**
   * Increments `ROOT/sequences/<name>` and returns the new value; with `block` above 1, this node
   * reserves values in blocks and hands them out without a ZooKeeper request (Sequences.next,
   * docs/decisions/0009).
   */
  nextSequenceValue(name: string, seed: number, opts: SequenceOptions = {}): Promise<number> {
    return this.sequences.next(name, seed, opts);
  }
}
