/**
 * The objects of one class, kept current by ZooKeeper watches: a child watch on the class's
 * folder (objects created and deleted) and a data watch on each object. Every value here was
 * read with a watch set by the same read, so any later change to it fires an event on this
 * session; an event marks the object as being read again (a pending load) before anything that
 * follows it on the session is seen. That is what makes `settle()` after a `sync` as fresh as a
 * read (topology-cache.ts).
 *
 * Objects are shared: callers treat `msg` as immutable.
 */
import type { Msg } from '../../models/types.js';
import type { ZkClient, Watcher, ZkStat } from '../../zk/client.js';
import { ZkError } from '../../zk/errors.js';

/** One cached object: its parsed message, and values derived from it (rendered JSON) by key. */
export interface CachedObject {
  readonly id: string;
  readonly msg: Msg;
  /** the zxid of the write that made this version (orders loads, survives delete and re-create) */
  readonly mzxid: bigint;
  /** what it is counted as against the byte bound: stored text, its parse, derived values */
  bytes: number;
  derived?: Map<string, unknown>;
}

/** What a class cache needs of the topology cache that owns it. */
export interface ClassCacheHost {
  zk(): Pick<ZkClient, 'getData' | 'getChildren'>;
  /** the one watcher of the owner (one function: the library de-duplicates watches by identity) */
  readonly watcher: Watcher;
  folder(clazz: string): string;
  path(clazz: string, id: string): string;
  decode(clazz: string, id: string, data: Buffer): Msg;
  /**
   * Whether `objects` and `bytes` more fit within the bounds, after evicting other classes not
   * read for the longest time if need be.
   */
  makeRoom(cache: ClassCache, objects: number, bytes: number): boolean;
  /** Counts objects and bytes added (negative: removed). */
  account(objects: number, bytes: number): void;
  /** The class does not fit within the bounds: it is dropped (and refused for a while). */
  tooBig(cache: ClassCache): void;
  /** The class cannot be kept current any more (a read failed): it is dropped. */
  failed(cache: ClassCache, error: unknown): void;
}

/** An object being read: whether to read it again, reads stored so far, who waits for which. */
interface Loading {
  again: boolean;
  completed: number;
  waiters: { read: number; resolve(): void }[];
}

/** Loads in flight while the class is filled (ZooKeeper pipelines them on the session). */
const FILL_WINDOW = 1024;

/**
 * The byte bound counts an estimate of the heap an object takes: its stored text this many times
 * (the text and its parse), plus a fixed part (the entry, the message's objects); calibrated on
 * the bench's ports (docs/performance.md: the RSS growth is about 1.5 times the count, V8's
 * heap slack included).
 */
const PARSE_FACTOR = 3;
const OBJECT_OVERHEAD = 1024;

export class ClassCache {
  readonly objects = new Map<string, CachedObject>();
  private readonly pending = new Set<Promise<void>>();
  /**
   * Objects being read, and whether an event came meanwhile. The answer to a read and the event
   * of the next change can arrive in one packet batch, the event handled before the read's
   * continuation has stored the answer: such an event must not be lost, so the object is read
   * again once the read in flight is done.
   */
  private readonly loading = new Map<string, Loading>();
  private dead = false;
  objectBytes = 0;
  lastUsed = Date.now();
  /** resolves once the first listing and every object in it are loaded */
  readonly ready: Promise<void>;
  /** whether `ready` has resolved */
  filled = false;

  constructor(
    readonly clazz: string,
    private readonly host: ClassCacheHost,
  ) {
    this.ready = this.relist().then(() => {
      this.filled = true;
    });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Stops using this cache: loads still in flight are ignored when they come back. */
  kill(): void {
    this.dead = true;
  }

  /**
   * Resolves when every load pending now is done, i.e. every event received so far has been
   * followed by a read of what changed; true if the cache is still alive then.
   */
  async settle(): Promise<boolean> {
    if (this.pending.size > 0) await Promise.all([...this.pending]);
    return !this.dead;
  }

  // ---- watch events (topology-cache.ts dispatches them) ---------------------------------------

  childrenChanged(): void {
    if (!this.dead) void this.relist();
  }

  dataChanged(id: string): void {
    if (!this.dead && (this.objects.has(id) || this.loading.has(id))) void this.track(this.load(id));
  }

  deleted(id: string): void {
    if (this.dead) return;
    this.remove(id);
    // a read in flight may have been answered before the delete: it must not bring the object back
    if (this.loading.has(id)) void this.track(this.load(id));
  }

  /** A value derived from an object (its JSON), made once per object version and kept if it fits. */
  derive<T>(obj: CachedObject, key: string, make: () => T, sizeOf: (value: T) => number): T {
    const known = obj.derived?.get(key);
    if (known !== undefined) return known as T;
    const value = make();
    if (this.dead || this.objects.get(obj.id) !== obj) return value;
    const bytes = sizeOf(value);
    if (!this.host.makeRoom(this, 0, bytes)) return value;
    this.host.account(0, bytes);
    obj.bytes += bytes;
    this.objectBytes += bytes;
    (obj.derived ??= new Map()).set(key, value);
    return value;
  }

  // ---- reads ---------------------------------------------------------------------------------

  private track(p: Promise<void>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** Lists the folder (setting the child watch), drops what is gone, loads what is new. */
  private relist(): Promise<void> {
    const run = async (): Promise<void> => {
      const { children } = await this.host.zk().getChildren(this.host.folder(this.clazz), this.host.watcher);
      if (this.dead) return;
      const present = new Set(children);
      for (const id of [...this.objects.keys()]) if (!present.has(id)) this.remove(id);
      const fresh = children.filter((id) => !this.objects.has(id));
      if (fresh.length === 0) return;
      // refuse a class that cannot fit before reading it
      if (!this.host.makeRoom(this, fresh.length, 0)) {
        this.host.tooBig(this);
        return;
      }
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < fresh.length && !this.dead) await this.load(fresh[next++]);
      };
      await Promise.all(Array.from({ length: Math.min(FILL_WINDOW, fresh.length) }, worker));
    };
    const p = run().catch((e: unknown) => this.fail(e));
    return this.track(p);
  }

  /**
   * Reads an object: one read at a time per object, an event meanwhile makes it read once more.
   * Resolves when a read sent after this call has been stored: the current one, or the next one
   * if an event came while the current one was in flight. Not later: an object changed faster
   * than a round trip keeps being read, and its readers must not wait for it to calm down.
   */
  private load(id: string): Promise<void> {
    const inFlight = this.loading.get(id);
    if (inFlight) {
      inFlight.again = true;
      return this.afterRead(inFlight, inFlight.completed + 2);
    }
    const entry: Loading = { again: false, completed: 0, waiters: [] };
    this.loading.set(id, entry);
    void (async () => {
      try {
        do {
          entry.again = false;
          await this.loadOnce(id);
          entry.completed++;
          this.release(entry, false);
        } while (entry.again && !this.dead);
      } finally {
        this.loading.delete(id);
        this.release(entry, true);
      }
    })();
    return this.afterRead(entry, 1);
  }

  private afterRead(entry: Loading, read: number): Promise<void> {
    if (entry.completed >= read) return Promise.resolve();
    return new Promise((resolve) => entry.waiters.push({ read, resolve }));
  }

  private release(entry: Loading, all: boolean): void {
    entry.waiters = entry.waiters.filter((w) => {
      if (!all && w.read > entry.completed) return true;
      w.resolve();
      return false;
    });
  }

  private async loadOnce(id: string): Promise<void> {
    let read: { data: Buffer; stat: ZkStat };
    try {
      read = await this.host.zk().getData(this.host.path(this.clazz, id), this.host.watcher);
    } catch (e) {
      if (this.dead) return;
      if (e instanceof ZkError && e.codeName === 'NONODE') {
        this.remove(id);
        return;
      }
      this.fail(e);
      return;
    }
    if (this.dead) return;
    this.install(id, read.data, read.stat.mzxid);
  }

  private install(id: string, data: Buffer, mzxid: bigint): void {
    const old = this.objects.get(id);
    // answers come in order, but a data load and a listing's load of one object may cross
    if (old && old.mzxid > mzxid) return;
    if (old && old.mzxid === mzxid) return;
    let msg: Msg;
    try {
      msg = this.host.decode(this.clazz, id, data);
    } catch (e) {
      this.fail(e);
      return;
    }
    const bytes = data.length * PARSE_FACTOR + OBJECT_OVERHEAD;
    if (!this.host.makeRoom(this, old ? 0 : 1, bytes - (old?.bytes ?? 0))) {
      this.host.tooBig(this);
      return;
    }
    this.host.account(old ? 0 : 1, bytes - (old?.bytes ?? 0));
    this.objectBytes += bytes - (old?.bytes ?? 0);
    this.objects.set(id, { id, msg, mzxid, bytes });
  }

  private remove(id: string): void {
    const old = this.objects.get(id);
    if (!old) return;
    this.objects.delete(id);
    this.objectBytes -= old.bytes;
    this.host.account(-1, -old.bytes);
  }

  private fail(e: unknown): void {
    if (this.dead) return;
    this.host.failed(this, e);
  }
}
