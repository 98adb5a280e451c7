/**
 * Parsed objects by znode path, reused only when ZooKeeper returns exactly the bytes they were
 * parsed from (same version, same data): every read still goes to ZooKeeper, so a cached
 * object is never staler than the read itself and other nodes' writes are seen as before. What
 * it saves is the text-format parse of an object that has not changed since this node last read
 * or wrote it (the hot bridge or router of a burst of port creations is re-read and re-parsed by
 * every transaction otherwise; docs/performance.md, change 16).
 *
 * Cached objects are shared: callers must treat them as immutable (the store hands out copies,
 * a transaction never modifies what it read).
 */
import type { Msg } from '../models/types.js';

interface Entry {
  version: number;
  data: Buffer;
  msg: Msg;
}

export class DecodeCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  /**
   * @param maxEntries most objects kept (least recently used ones go first)
   * @param maxBytes most stored bytes kept, summed over the entries
   */
  constructor(
    private readonly maxEntries = 1024,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /** The object parsed from these bytes at this version, if it is the one cached for the path. */
  get(path: string, version: number, data: Buffer): Msg | undefined {
    const e = this.entries.get(path);
    if (!e || e.version !== version || !e.data.equals(data)) {
      this.misses++;
      return undefined;
    }
    // most recently used last
    this.entries.delete(path);
    this.entries.set(path, e);
    this.hits++;
    return e.msg;
  }

  /** Remembers what `data` (version `version` of `path`) parses to. */
  put(path: string, version: number, data: Buffer, msg: Msg): void {
    if (data.length > this.maxBytes / 4) return; // one object must not flush the rest
    this.drop(path);
    this.entries.set(path, { version, data, msg });
    this.bytes += data.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
    }
  }

  /** Forgets a path (deleted, or written in a way whose result is unknown). */
  drop(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    this.bytes -= e.data.length;
  }

  get size(): number {
    return this.entries.size;
  }
}
