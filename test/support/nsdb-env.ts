/**
 * Shared plumbing of the NSDB integration tests (test/integration/nsdb-*.test.ts): a real
 * ZooKeeper (test/support/zk.ts), a root key of the test file's own, ZkClients that are all
 * closed at the end, and NsdbStorage instances built on them, one client each (like cluster nodes).
 */
import assert from 'node:assert/strict';
import { ZkClient } from '../../lib/zk/client.js';
import { NsdbStorage, type RetryPolicy, type TopologyCacheOptions } from '../../lib/nsdb/storage.js';
import type { ProductInfo } from '../../lib/nsdb/provenance.js';
import { decodeZoomObject, type ZoomProvenance } from '../../lib/nsdb/codec/zoom-object.js';
import type { Msg } from '../../lib/models/types.js';
import { getTestZooKeeper, uniqueRootKey } from './zk.js';

export interface StorageOptions {
  product?: ProductInfo;
  retry?: Partial<RetryPolicy>;
  /** Build the store (default true). */
  build?: boolean;
  /** Give it a topology cache (lib/nsdb/cache). */
  cache?: TopologyCacheOptions;
}

export class NsdbTestEnv {
  private readonly clients: ZkClient[] = [];

  private constructor(
    readonly connectString: string,
    readonly rootKey: string,
  ) {}

  static async create(): Promise<NsdbTestEnv> {
    const { connectString } = await getTestZooKeeper();
    return new NsdbTestEnv(connectString, uniqueRootKey());
  }

  /** A new ZooKeeper session (closed by close()). */
  async client(): Promise<ZkClient> {
    const c = await ZkClient.connect({
      connectString: this.connectString,
      sessionTimeoutMs: 10_000,
      retry: { baseMs: 100, maxRetries: 3 },
    });
    this.clients.push(c);
    return c;
  }

  /** A storage on a ZkClient of its own, built unless told otherwise. */
  async storage(opts: StorageOptions = {}): Promise<NsdbStorage> {
    const zk = await this.client();
    const s = new NsdbStorage({
      zk,
      rootKey: this.rootKey,
      ...(opts.product ? { product: opts.product } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.cache ? { cache: opts.cache } : {}),
    });
    if (opts.build !== false) await s.build();
    return s;
  }

  async close(): Promise<void> {
    const all = this.clients.splice(0);
    await Promise.all(all.map((c) => c.close()));
  }
}

/** The ids held by a reference field, whatever its arity (absent = none). */
export function refs(obj: Msg, field: string): string[] {
  const v = obj[field];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map((x) => String(x));
  return [String(v)];
}

export function sorted(xs: readonly string[]): string[] {
  return [...xs].sort();
}

/** Awaits the promise and returns what it rejected with; fails if it resolved. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection, but the operation succeeded');
}

/** Runs fn, which must throw synchronously or reject; returns the error. */
export async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error, but the operation succeeded');
}

export async function provenanceOf(zk: ZkClient, path: string): Promise<{ records: ZoomProvenance[]; version: number }> {
  const { data, stat } = await zk.getData(path);
  return { records: decodeZoomObject(data), version: stat.version };
}

/** Polls `probe` every 25 ms until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
