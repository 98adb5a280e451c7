/**
 * Validated tokens, so that a burst of requests with one token costs one Keystone call (beyond
 * the original, which validated on every request; docs/security.md). The key is the SHA-256 of
 * the token, never the token itself; every entry has its own expiry (the caller passes
 * min(token expiry, configured TTL)); the least recently used entry goes when the cache is full.
 * Concurrent look-ups of a token that is not cached share one validation (`getOrLoad`).
 */
import { createHash } from 'node:crypto';

export function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export interface CacheLoad<V> {
  value: V;
  /** how long the value may be kept, in ms; ≤ 0: not cached */
  ttlMs: number;
}

export class TokenCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): V | undefined {
    return this.getByKey(tokenKey(token));
  }

  private getByKey(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(token: string, value: V, ttlMs: number): void {
    this.setByKey(tokenKey(token), value, ttlMs);
  }

  private setByKey(key: string, value: V, ttlMs: number): void {
    if (this.maxEntries <= 0 || !(ttlMs > 0)) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** When the entry of this token stops being used (ms since the epoch, on the cache's clock); undefined when there is none. */
  expiresAt(token: string): number | undefined {
    return this.entries.get(tokenKey(token))?.expiresAt;
  }

  delete(token: string): void {
    this.entries.delete(tokenKey(token));
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * The cached value, or the one `load` gives (cached for the TTL it says). `hit` tells which;
   * callers waiting on another caller's load count as hits (no Keystone call of their own).
   */
  async getOrLoad(token: string, load: () => Promise<CacheLoad<V>>): Promise<{ value: V; hit: boolean }> {
    const key = tokenKey(token);
    const cached = this.getByKey(key);
    if (cached !== undefined) return { value: cached, hit: true };
    const pending = this.loading.get(key);
    if (pending) return { value: await pending, hit: true };
    const p = (async () => {
      const { value, ttlMs } = await load();
      this.setByKey(key, value, ttlMs);
      return value;
    })();
    this.loading.set(key, p);
    try {
      return { value: await p, hit: false };
    } finally {
      this.loading.delete(key);
    }
  }
}
