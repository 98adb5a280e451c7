/**
 * Sequences (Curator SharedCount layout, storage.md §1): `ROOT/sequences/<name>`, a 4-byte
 * big-endian int incremented by compare-and-set on the znode version. Concurrent callers of a node
 * share compare-and-sets, and a node may reserve values in blocks (docs/decisions/0009).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ZkClient } from '../zk/client.js';
import { ZkError } from '../zk/errors.js';
import { ConcurrentModificationError, ServiceUnavailableError } from './errors.js';
import type { ZoomLayout } from './layout.js';
import { backoffDelay } from '../retry.js';
import { backoffOf, type RetryPolicy } from './scheduler.js';
import { mapReadError } from './transaction.js';

export interface SequenceOptions {
  /**
   * How many values one compare-and-set reserves for this node when it has none left (default 1:
   * one per caller, no gaps). See Sequences.next.
   */
  block?: number;
}

export interface SequenceContext {
  readonly layout: ZoomLayout;
  readonly retry: RetryPolicy;
  /** The current ZooKeeper client (the store switches to a new one after a session expiry). */
  zk(): ZkClient;
  /** Whether the store is built. */
  isBuilt(): boolean;
}

interface SequenceWaiter {
  resolve: (v: number) => void;
  reject: (e: unknown) => void;
  block: number;
}

export class Sequences {
  /** Callers waiting for a value of a sequence (by path), served by drain. */
  private readonly waiters = new Map<string, SequenceWaiter[]>();
  /** Last known value and znode version of each sequence this node incremented. */
  private readonly known = new Map<string, { value: number; version: number }>();
  /**
   * Values of a sequence (by path) this node reserved and has not handed out yet, `next..last`.
   * They were added to the znode by a committed compare-and-set, so no other writer of the
   * sequence can get them: they stay valid whatever happens to the session (a new one after an
   * expiry) and are only lost, as a gap, when the process ends.
   */
  private readonly blocks = new Map<string, { next: number; last: number }>();

  constructor(private readonly ctx: SequenceContext) {}

  /**
   * Increments `ROOT/sequences/<name>` and returns the new value: a compare-and-set on the znode
   * version. Concurrent callers on this node are served together: one compare-and-set adds their
   * number and each gets its own value, in call order (without it, they all collide on the znode
   * and back off). The first try uses the value and version this node saw last, so while no
   * other node increments the sequence it costs one write and no read.
   *
   * With `block` above 1 the compare-and-set adds at least `block`, and this node hands out the
   * values it did not need itself to its next callers, in increasing order, with no ZooKeeper
   * request at all, until they are used up (docs/decisions/0009). Values stay unique across
   * nodes (each block is reserved by a committed compare-and-set, as single values are), but they
   * are not handed out in global call order across nodes, and what is left of a block when the
   * process ends is never used. Callers that pass no block still get values out of a block this
   * node holds for the same sequence: they are as unique as any other.
   */
  next(name: string, seed: number, opts: SequenceOptions = {}): Promise<number> {
    const block = opts.block ?? 1;
    if (!Number.isSafeInteger(block) || block < 1) {
      return Promise.reject(new RangeError(`sequence block must be a positive integer, not ${block}`));
    }
    if (!this.ctx.isBuilt()) return Promise.reject(new ServiceUnavailableError());
    const path = this.ctx.layout.sequences(name);
    let batch = this.waiters.get(path);
    if (!batch) {
      // Nobody of this node is waiting for this sequence: a value left in its block is next in
      // order. (While someone waits, the block is used up and newcomers queue behind them.)
      const reserved = this.takeReserved(path);
      if (reserved !== undefined) return Promise.resolve(reserved);
      batch = [];
      this.waiters.set(path, batch);
      void this.drain(name, path, seed);
    }
    return new Promise<number>((resolve, reject) => batch.push({ resolve, reject, block }));
  }

  /** The next value of this node's block of a sequence, if it has one left. */
  private takeReserved(path: string): number | undefined {
    const b = this.blocks.get(path);
    if (!b) return undefined;
    const v = b.next++;
    if (b.next > b.last) this.blocks.delete(path);
    return v;
  }

  /** Serves the waiters of one sequence, a batch per compare-and-set, until none is left. */
  private async drain(name: string, path: string, seed: number): Promise<void> {
    // let the callers of this turn of the event loop join the first batch
    await new Promise<void>((r) => setImmediate(r));
    for (;;) {
      const batch = this.waiters.get(path) ?? [];
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
        this.waiters.delete(path);
        return;
      }
      this.waiters.set(path, []);
      const n = Math.max(rest.length, ...rest.map((w) => w.block));
      try {
        const last = await this.add(name, path, seed, n);
        const first = last - n + 1;
        rest.forEach((w, i) => w.resolve(first + i));
        // Nothing else sets a block while waiters are queued, and this one was used up before
        // the compare-and-set: no values are overwritten here.
        if (n > rest.length) this.blocks.set(path, { next: first + rest.length, last });
      } catch (e) {
        // Nothing was reserved for certain: a write whose outcome is unknown (connection lost)
        // may have added n, which only leaves a gap, since the next try reads the znode again.
        for (const w of rest) w.reject(e);
      }
    }
  }

  /** Adds `n` to a sequence, returns the new value. */
  private async add(name: string, path: string, seed: number, n: number): Promise<number> {
    const known = this.known.get(path);
    if (known) {
      try {
        const stat = await this.ctx.zk().setData(path, int32(known.value + n), known.version);
        this.known.set(path, { value: known.value + n, version: stat.version });
        return known.value + n;
      } catch (e) {
        this.known.delete(path);
        if (!(e instanceof ZkError && (e.codeName === 'BADVERSION' || e.codeName === 'NONODE'))) throw mapReadError(e, `incrementing sequence ${name}`);
      }
    }
    const { maxAttempts } = this.ctx.retry;
    const backoff = backoffOf(this.ctx.retry);
    for (let attempt = 0; attempt < 10 * maxAttempts; attempt++) {
      try {
        let data: Buffer;
        let version: number;
        try {
          const r = await this.ctx.zk().getData(path);
          data = r.data;
          version = r.stat.version;
        } catch (e) {
          if (!(e instanceof ZkError && e.codeName === 'NONODE')) throw e;
          await this.ctx.zk().mkdirp(`${this.ctx.layout.root}/sequences`);
          const initial = Buffer.alloc(4);
          initial.writeInt32BE(seed);
          try {
            await this.ctx.zk().create(path, initial, 'persistent');
          } catch (ce) {
            if (!(ce instanceof ZkError && ce.codeName === 'NODEEXISTS')) throw ce;
          }
          continue;
        }
        const current = data.length >= 4 ? data.readInt32BE(0) : seed;
        const next = current + n;
        const stat = await this.ctx.zk().setData(path, int32(next), version);
        this.known.set(path, { value: next, version: stat.version });
        return next;
      } catch (e) {
        if (e instanceof ZkError && e.codeName === 'BADVERSION') {
          await sleep(backoffDelay({ ...backoff, maxDelayMs: Math.min(backoff.maxDelayMs ?? Infinity, backoff.baseMs * 2 ** 10) }, attempt + 1));
          continue;
        }
        throw mapReadError(e, `incrementing sequence ${name}`);
      }
    }
    throw new ConcurrentModificationError(`Could not increment sequence ${name}: too much contention.`);
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
