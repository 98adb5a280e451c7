/**
 * The node's topology cache: the stored objects of the classes read through the REST API, kept
 * in memory and current by ZooKeeper watches, so that a list is one `sync` and a walk over memory
 * instead of one ZooKeeper read per object (docs/decisions/0030-topology-cache.md).
 *
 * Freshness (read-your-writes across nodes, decision 0002's guarantee). A reader first waits for
 * a `sync` sent after it arrived (SyncGate, shared by concurrent readers). ZooKeeper sends a
 * session the watch events of every change it applied before the `sync`'s answer, ahead of that
 * answer, on the same connection, and the client handles them in order; every cached value was
 * read with a watch set by that very read. So when the answer arrives, each object changed by a
 * write committed before the reader arrived has had its event, which made its class read it
 * again (a pending load); the reader then waits for the loads pending at that moment
 * (ClassCache.settle) and sees those writes, or newer ones.
 *
 * On a lost connection or an expired session events may be missed, so everything is dropped
 * (`generation` moves on) and readers go back to direct reads until a class is filled again on
 * its next use. The cache is never a source of truth: writes go to ZooKeeper as before.
 *
 * Bounds: objects and (estimated) bytes over every class; a class that does not fit after the
 * classes not read for the longest time were evicted is dropped and not filled again for a
 * while (its reads go to ZooKeeper). Classes not read for `idleEvictionMs` are evicted.
 */
import type { Msg } from '../../models/types.js';
import type { ZkClient, WatchEvent } from '../../zk/client.js';
import { parseText } from '../codec/text-format.js';
import { InternalStorageError } from '../errors.js';
import type { ZoomLayout } from '../layout.js';
import { ClassCache, type CachedObject, type ClassCacheHost } from './class-cache.js';
import { SyncGate } from './sync-gate.js';

export type { CachedObject } from './class-cache.js';

export interface TopologyCacheOptions {
  /** most objects kept, over every class */
  maxObjects: number;
  /** most bytes kept (stored text, an estimate of its parse, rendered JSON), over every class */
  maxBytes: number;
  /** a class not read for this long is evicted (ms) */
  idleEvictionMs: number;
  observer?: TopologyCacheObserver;
  logger?: { info(msg: string, meta?: Record<string, unknown>): void; warn(msg: string, meta?: Record<string, unknown>): void };
}

/** Instrumentation hooks (lib/metrics builds them), called synchronously. */
export interface TopologyCacheObserver {
  /** a read answered from the cache */
  hit?(clazz: string): void;
  /** a read that went to ZooKeeper instead, and why */
  miss?(clazz: string, reason: MissReason): void;
  /** a class filled from ZooKeeper (first use, or again after a drop) */
  rebuild?(clazz: string): void;
  /** a watch event received */
  watchEvent?(type: string): void;
  /** objects and bytes kept now */
  size?(objects: number, bytes: number): void;
}

export type MissReason = 'disconnected' | 'sync_failed' | 'too_big' | 'fill_failed' | 'dropped' | 'filling';

/** What the cache needs of the store. */
export interface TopologyCacheContext {
  readonly layout: ZoomLayout;
  /** the current session's client (the store switches to a new one after an expiry) */
  zk(): ZkClient;
}

/** A point a reader may read from: after a `sync` sent once it had arrived, in one cache generation. */
export interface Fresh {
  readonly generation: number;
}

/** One class as of a fresh point: its objects by id, and their ids in listing order. */
export interface ClassView {
  get(id: string): CachedObject | undefined;
  ids(): string[];
  derive<T>(obj: CachedObject, key: string, make: () => T, sizeOf: (value: T) => number): T;
}

export class TopologyCache {
  private readonly classes = new Map<string, ClassCache>();
  /** classes that did not fit, and until when they are not filled again (Date.now() ms) */
  private readonly refused = new Map<string, number>();
  private generation = 0;
  private objects = 0;
  private bytes = 0;
  private client?: ZkClient;
  private unfollow?: () => void;
  private gate?: SyncGate;
  private sweeper?: NodeJS.Timeout;
  private readonly modelsPrefix: string;
  private closed = false;
  readonly watcher: (ev: WatchEvent) => void;
  private readonly host: ClassCacheHost;

  constructor(
    private readonly ctx: TopologyCacheContext,
    private readonly opts: TopologyCacheOptions,
  ) {
    this.modelsPrefix = `${ctx.layout.models('')}`;
    this.watcher = (ev) => this.onWatch(ev);
    this.host = {
      zk: () => ctx.zk(),
      watcher: this.watcher,
      folder: (c) => ctx.layout.models(c),
      path: (c, id) => ctx.layout.model(c, id),
      decode,
      makeRoom: (cache, objects, bytes) => this.makeRoom(cache, objects, bytes),
      account: (objects, bytes) => this.account(objects, bytes),
      tooBig: (cache) => this.tooBig(cache),
      failed: (cache, error) => this.failed(cache, error),
    };
  }

  /** Objects and bytes kept now, and the classes cached. */
  stats(): { objects: number; bytes: number; classes: string[]; generation: number } {
    return { objects: this.objects, bytes: this.bytes, classes: [...this.classes.keys()], generation: this.generation };
  }

  /**
   * A point fresh for a reader that arrived before this call, or undefined when the cache cannot
   * serve now (not connected, the `sync` failed): the reader reads ZooKeeper directly.
   */
  async fresh(clazz: string): Promise<Fresh | undefined> {
    if (this.closed) return undefined;
    const zk = this.ctx.zk();
    if (zk !== this.client) this.follow(zk);
    if (zk.state !== 'connected') {
      this.opts.observer?.miss?.(clazz, 'disconnected');
      return undefined;
    }
    const generation = this.generation;
    try {
      await (this.gate as SyncGate).after();
    } catch {
      this.opts.observer?.miss?.(clazz, 'sync_failed');
      return undefined;
    }
    return generation === this.generation ? { generation } : undefined;
  }

  /**
   * The class as of `fresh`: filled if it was not cached, every change received before the
   * `sync` read; undefined when it cannot be served from memory (too big, a read failed, the
   * cache was dropped meanwhile). With `waitForFill` false, a class still being filled is not
   * waited for (undefined): a read of one object is not held up by the filling of its whole
   * class, which goes on for the next reader.
   */
  async view(clazz: string, fresh: Fresh, waitForFill = true): Promise<ClassView | undefined> {
    if (fresh.generation !== this.generation || this.closed) {
      this.opts.observer?.miss?.(clazz, 'dropped');
      return undefined;
    }
    let cache = this.classes.get(clazz);
    if (!cache) {
      const until = this.refused.get(clazz);
      if (until !== undefined && Date.now() < until) {
        this.opts.observer?.miss?.(clazz, 'too_big');
        return undefined;
      }
      this.refused.delete(clazz);
      cache = new ClassCache(clazz, this.host);
      this.classes.set(clazz, cache);
      this.opts.observer?.rebuild?.(clazz);
      this.startSweeper();
    }
    cache.lastUsed = Date.now();
    if (!cache.filled && !waitForFill) {
      this.opts.observer?.miss?.(clazz, 'filling');
      return undefined;
    }
    try {
      await cache.ready;
    } catch {
      // reported through failed()
    }
    const alive = await cache.settle();
    if (!alive || fresh.generation !== this.generation) {
      this.opts.observer?.miss?.(clazz, this.refused.has(clazz) ? 'too_big' : 'fill_failed');
      return undefined;
    }
    this.opts.observer?.hit?.(clazz);
    const c = cache;
    return {
      get: (id) => c.objects.get(id),
      ids: () => [...c.objects.keys()],
      derive: (obj, key, make, sizeOf) => c.derive(obj, key, make, sizeOf),
    };
  }

  /** Drops everything (a lost connection, a new session): readers go to ZooKeeper until refilled. */
  reset(reason: string): void {
    this.generation++;
    if (this.classes.size > 0) this.opts.logger?.info('topology cache dropped', { reason, classes: this.classes.size, objects: this.objects });
    for (const c of this.classes.values()) c.kill();
    this.classes.clear();
    this.objects = 0;
    this.bytes = 0;
    this.reportSize();
  }

  close(): void {
    this.closed = true;
    this.client?.forgetWatches(this.watcher, (path) => path.startsWith(this.modelsPrefix));
    this.reset('closed');
    this.unfollow?.();
    this.unfollow = undefined;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  // ---- session ---------------------------------------------------------------------------------

  private follow(zk: ZkClient): void {
    this.unfollow?.();
    this.reset('new ZooKeeper session');
    this.client = zk;
    this.gate = new SyncGate(() => zk.sync(this.ctx.layout.zoomLocks));
    this.unfollow = zk.followSession({
      // The same session may resume, but events may have been missed meanwhile: start over. The
      // watches are forgotten first, so that the library does not try to set them all again in
      // one request the servers refuse when it is larger than 1 MiB (ZkClient.forgetWatches).
      disconnected: () => {
        zk.forgetWatches(this.watcher, (path) => path.startsWith(this.modelsPrefix));
        this.reset('ZooKeeper connection lost');
      },
      reconnected: () => undefined,
      expired: () => this.reset('ZooKeeper session expired'),
    });
  }

  // ---- watch events ----------------------------------------------------------------------------

  private onWatch(ev: WatchEvent): void {
    this.opts.observer?.watchEvent?.(ev.type);
    if (!ev.path.startsWith(this.modelsPrefix)) return;
    const rest = ev.path.slice(this.modelsPrefix.length);
    const slash = rest.indexOf('/');
    const clazz = slash < 0 ? rest : rest.slice(0, slash);
    const cache = this.classes.get(clazz);
    if (!cache) return; // evicted or dropped: its leftover watches fire once and are ignored
    if (slash < 0) {
      if (ev.type === 'NODE_CHILDREN_CHANGED') cache.childrenChanged();
      return;
    }
    const id = rest.slice(slash + 1);
    if (ev.type === 'NODE_DELETED') cache.deleted(id);
    else if (ev.type === 'NODE_DATA_CHANGED') cache.dataChanged(id);
  }

  // ---- bounds ----------------------------------------------------------------------------------

  private fits(objects: number, bytes: number): boolean {
    return this.objects + objects <= this.opts.maxObjects && this.bytes + bytes <= this.opts.maxBytes;
  }

  private makeRoom(cache: ClassCache, objects: number, bytes: number): boolean {
    while (!this.fits(objects, bytes)) {
      let oldest: ClassCache | undefined;
      for (const c of this.classes.values()) if (c !== cache && (!oldest || c.lastUsed < oldest.lastUsed)) oldest = c;
      if (!oldest) return false;
      this.drop(oldest, 'evicted to make room');
    }
    return true;
  }

  private account(objects: number, bytes: number): void {
    this.objects += objects;
    this.bytes += bytes;
    this.reportSize();
  }

  private tooBig(cache: ClassCache): void {
    if (this.classes.get(cache.clazz) !== cache) return;
    this.refused.set(cache.clazz, Date.now() + this.opts.idleEvictionMs);
    this.drop(cache, 'does not fit within cluster.rest_api.cache.max_objects / max_bytes');
  }

  private failed(cache: ClassCache, error: unknown): void {
    if (this.classes.get(cache.clazz) !== cache) return;
    this.drop(cache, `a read failed: ${(error as Error).message}`);
  }

  private drop(cache: ClassCache, why: string): void {
    cache.kill();
    // its watches fire once more at most, and are not restored after a reconnection
    const folder = this.ctx.layout.models(cache.clazz);
    this.client?.forgetWatches(this.watcher, (path) => path === folder || path.startsWith(`${folder}/`));
    if (this.classes.get(cache.clazz) === cache) this.classes.delete(cache.clazz);
    this.objects -= cache.objects.size;
    this.bytes -= cache.objectBytes;
    this.opts.logger?.info('topology cache class dropped', { class: cache.clazz, objects: cache.objects.size, why });
    this.reportSize();
  }

  private reportSize(): void {
    this.opts.observer?.size?.(this.objects, this.bytes);
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    const every = Math.max(1000, Math.min(60_000, Math.floor(this.opts.idleEvictionMs / 2)));
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const c of [...this.classes.values()]) if (now - c.lastUsed > this.opts.idleEvictionMs) this.drop(c, 'not read for a while');
      for (const [clazz, until] of this.refused) if (now >= until) this.refused.delete(clazz);
    }, every);
    this.sweeper.unref();
  }
}

function decode(clazz: string, id: string, data: Buffer): Msg {
  try {
    return parseText(clazz, data.toString('utf8'));
  } catch (e) {
    throw new InternalStorageError(`Failed to parse ${clazz} with ID ${id}: ${(e as Error).message}`, { cause: e });
  }
}
