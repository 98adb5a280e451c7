/**
 * Plain reads of the NSDB object store (no transaction): one ZooKeeper read per object, parsed
 * objects reused when a read returns the bytes they came from (decode-cache.ts). Each caller gets
 * its own copy, so it may change what it read.
 */
import type { ModelClass, Models } from '../models/generated.js';
import type { Msg } from '../models/types.js';
import type { ZkClient } from '../zk/client.js';
import { ZkError } from '../zk/errors.js';
import { parseText } from './codec/text-format.js';
import type { DecodeCache } from './decode-cache.js';
import { InternalStorageError, NotFoundError } from './errors.js';
import type { ZoomLayout } from './layout.js';
import { asModel, cloneMsg, present } from './msg.js';
import { mapReadError } from './transaction.js';

/** What the reads need of the store: its current session, its layout, and whether it is built. */
export interface ReadContext {
  readonly layout: ZoomLayout;
  readonly decodeCache: DecodeCache;
  /** The current ZooKeeper client (the store switches to a new one after a session expiry). */
  zk(): ZkClient;
  /** Throws ServiceUnavailableError until the store is built. */
  requireBuilt(): void;
}

export class ObjectReads {
  constructor(private readonly ctx: ReadContext) {}

  async get<C extends ModelClass>(clazz: C, id: string): Promise<Models[C]> {
    this.ctx.requireBuilt();
    const { layout, decodeCache } = this.ctx;
    const path = layout.model(clazz, id);
    let read: { data: Buffer; stat: { version: number } };
    try {
      read = await this.ctx.zk().getData(path);
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') throw new NotFoundError(clazz, id);
      throw mapReadError(e, `reading ${clazz} ${id}`);
    }
    const cached = decodeCache.get(path, read.stat.version, read.data);
    if (cached) return asModel(clazz, cloneMsg(cached));
    const msg = decode(clazz, id, read.data);
    decodeCache.put(path, read.stat.version, read.data, msg);
    return asModel(clazz, cloneMsg(msg));
  }

  async getOrNull<C extends ModelClass>(clazz: C, id: string): Promise<Models[C] | null> {
    try {
      return await this.get(clazz, id);
    } catch (e) {
      if (e instanceof NotFoundError) return null;
      throw e;
    }
  }

  async exists(clazz: ModelClass, id: string): Promise<boolean> {
    this.ctx.requireBuilt();
    try {
      return (await this.ctx.zk().exists(this.ctx.layout.model(clazz, id))) !== null;
    } catch (e) {
      throw mapReadError(e, `checking ${clazz} ${id}`);
    }
  }

  /** The objects with the given ids; fails with NotFound if any is missing. */
  async getMany<C extends ModelClass>(clazz: C, ids: readonly string[]): Promise<Models[C][]> {
    return Promise.all(ids.map((id) => this.get(clazz, id)));
  }

  /** The objects with the given ids that exist, in the given order (missing ones skipped). */
  async getExisting<C extends ModelClass>(clazz: C, ids: readonly string[]): Promise<Models[C][]> {
    return present(await Promise.all(ids.map((id) => this.getOrNull(clazz, id))));
  }

  /** Every object of a class. Objects deleted between the listing and the read are skipped. */
  async getAll<C extends ModelClass>(clazz: C): Promise<Models[C][]> {
    return this.getExisting(clazz, await this.listIds(clazz));
  }

  /**
   * The ids of every stored object of a class: one getChildren of its folder. No ZooKeeper limit
   * applies to the answer with this client (docs/performance.md, "the 1 MB limit").
   */
  async listIds(clazz: ModelClass): Promise<string[]> {
    this.ctx.requireBuilt();
    try {
      return (await this.ctx.zk().getChildren(this.ctx.layout.models(clazz))).children;
    } catch (e) {
      throw mapReadError(e, `listing ${clazz}`);
    }
  }
}

function decode(clazz: string, id: string, data: Buffer): Msg {
  try {
    return parseText(clazz, data.toString('utf8'));
  } catch (e) {
    throw new InternalStorageError(`Failed to parse ${clazz} with ID ${id}: ${(e as Error).message}`, { cause: e });
  }
}
