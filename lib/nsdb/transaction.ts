/**
 * One NSDB transaction (storage.md §4): reads checked against the start zxid, per-object op
 * folding, binding maintenance on cached copies, and a single ZooKeeper multi with version checks.
 * Nothing is written before `commit()`, so a crash or disconnect at any point leaves ZooKeeper
 * either before or after the whole change.
 */
import type { ModelClass, Models } from '../models/generated.js';
import type { Msg } from '../models/types.js';
import { messageType } from '../models/schema.js';
import type { ZkClient, ZkOp } from '../zk/client.js';
import { ZkError, ZkMultiError } from '../zk/errors.js';
import { printText, parseText } from './codec/text-format.js';
import { decodeZoomObject, encodeZoomObject, type ZoomProvenance } from './codec/zoom-object.js';
import { bindingsOf } from './bindings.js';
import { STATE_TABLES } from './classes.js';
import {
  ConcurrentModificationError,
  InternalStorageError,
  NotFoundError,
  ObjectExistsError,
  ObjectReferencedError,
  ReferenceConflictError,
  RequestTooLargeError,
  StorageNodeExistsError,
  StorageNodeNotFoundError,
  StorageUnavailableError,
} from './errors.js';
import { asModel, cloneMsg, present, idsOf, multisetMinus } from './msg.js';
import type { TooLargeField } from './errors.js';
import type { DecodeCache } from './decode-cache.js';
import { ChangeType, createdProvenance, updatedProvenance, type ProductInfo } from './provenance.js';
import type { ZoomLayout } from './layout.js';

interface Snapshot {
  /** null: known not to exist. */
  obj: Msg | null;
  version: number;
  /** Absent when the object has no provenance node. */
  prov?: { records: ZoomProvenance[]; version: number };
}

type ObjOp =
  | { kind: 'create'; clazz: string; id: string; obj: Msg }
  | { kind: 'update'; clazz: string; id: string; obj: Msg; changeType: number }
  | { kind: 'delete'; clazz: string; id: string };

type NodeOp =
  /** `implicit`: a missing ancestor of another node, created on the way (createAncestors) */
  | { kind: 'createNode'; path: string; data: Buffer; implicit?: boolean }
  | { kind: 'updateNode'; path: string; data: Buffer }
  | { kind: 'deleteNode'; path: string };

/** What each ZooKeeper op of the commit stands for, to classify a failed multi (§4.3). */
type OpOrigin =
  | { what: 'objCreate' | 'objUpdate' | 'objDelete' | 'provenance'; clazz: string; id: string }
  | { what: 'createNode' | 'ancestor' | 'updateNode' | 'deleteNode' | 'table' | 'guard'; path: string };

/** What Transaction.rollback() goes back to. */
export interface Savepoint {
  readonly ops: ReadonlyMap<string, ObjOp>;
  readonly nodeOps: ReadonlyMap<string, NodeOp>;
  readonly deleted: ReadonlySet<string>;
  readonly guards: ReadonlyMap<string, number>;
  readonly probes: number;
}

/** Sees the stored object and the new one inside update(); may return a replacement. */
export type UpdateValidator<M extends Msg = Msg> = (current: M, next: M) => M | void;

/** What a transaction needs of a ZooKeeper session (a stand-in serves unit tests). */
export type TransactionZk = Pick<ZkClient, 'getData' | 'getChildren' | 'exists' | 'multi'>;

export interface TransactionContext {
  zk: TransactionZk;
  layout: ZoomLayout;
  owner: number;
  product: ProductInfo;
  /**
   * Starts the transaction: asks for the zxid reads are checked against. Called once, right
   * before the transaction's first ZooKeeper read, so that the request goes out ahead of that read
   * on the session (the read is answered from a state at least as new) and an attempt that gives
   * way before reading anything sends nothing at all. A rejection is reported by the reads that
   * need the zxid.
   */
  startZxid: () => Promise<bigint>;
  /** Called after a successful commit with the table roots of deleted objects. */
  onDeletedTables?: (paths: string[]) => void;
  /**
   * Asked before the first read of each object (`Class/id`): true when other transactions of this
   * node are queued on it, and this one should give way (it fails with a conflict on that key at
   * once, before sending anything, and is re-run in its turn; see NsdbStorage.tryTransaction).
   */
  giveWay?: (key: string) => boolean;
  /**
   * Called once the commit multi is queued on the session (before its answer): whatever this
   * node sends afterwards is answered from a state that includes the commit's outcome.
   */
  onCommitSent?: () => void;
  /** The largest request ZooKeeper accepts (its jute.maxbuffer); default MAX_REQUEST_BYTES. */
  maxRequestBytes?: number;
  /** Parsed objects by path, reused when a read returns the bytes they were parsed from. */
  decodeCache?: DecodeCache;
}

/** ZooKeeper's default jute.maxbuffer: the largest request packet a server reads (0xfffff). */
export const MAX_REQUEST_BYTES = 0xfffff;

const key = (clazz: string, id: string): string => `${clazz}/${id}`;

export class Transaction {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly inflight = new Map<string, Promise<Snapshot>>();
  private readonly ops = new Map<string, ObjOp>();
  private readonly nodeOps = new Map<string, NodeOp>();
  /** Class folders guarded by guardClass(), with the version this transaction saw. */
  private readonly guards = new Map<string, number>();
  private committed = false;

  constructor(private readonly ctx: TransactionContext) {}

  private zxid?: Promise<bigint>;

  /** The start zxid (reads are checked against it); asking for it starts the transaction. */
  get startZxid(): Promise<bigint> {
    return this.start();
  }

  /** Must be called before every ZooKeeper read of the transaction (see TransactionContext.startZxid). */
  private start(): Promise<bigint> {
    this.zxid ??= this.ctx.startZxid();
    return this.zxid;
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The object as this transaction sees it (including its own pending changes). */
  async get<C extends ModelClass>(clazz: C, id: string): Promise<Models[C]> {
    const current = await this.current(clazz, id);
    if (!current) throw new NotFoundError(clazz, id);
    return asModel(clazz, cloneMsg(current));
  }

  async getOrNull<C extends ModelClass>(clazz: C, id: string): Promise<Models[C] | null> {
    const current = await this.current(clazz, id);
    return current ? asModel(clazz, cloneMsg(current)) : null;
  }

  async exists(clazz: ModelClass, id: string): Promise<boolean> {
    return (await this.current(clazz, id)) !== null;
  }

  async getAll<C extends ModelClass>(clazz: C, ids: readonly string[]): Promise<Models[C][]> {
    return Promise.all(ids.map((id) => this.get(clazz, id)));
  }

  /** Ids stored for a class plus those created in this transaction, minus those deleted in it. */
  async listIds(clazz: ModelClass): Promise<string[]> {
    let children: string[];
    this.start().catch(() => undefined);
    try {
      children = (await this.ctx.zk.getChildren(this.ctx.layout.models(clazz))).children;
    } catch (e) {
      throw mapReadError(e, `listing ${clazz}`);
    }
    const ids = new Set(children);
    for (const op of this.ops.values()) {
      if (op.clazz !== clazz) continue;
      if (op.kind === 'delete') ids.delete(op.id);
      else ids.add(op.id);
    }
    return [...ids];
  }

  private async current(clazz: string, id: string): Promise<Msg | null> {
    const op = this.ops.get(key(clazz, id));
    if (op) return op.kind === 'delete' ? null : op.obj;
    return (await this.snapshot(clazz, id)).obj;
  }

  private async snapshot(clazz: string, id: string): Promise<Snapshot> {
    const k = key(clazz, id);
    const cached = this.snapshots.get(k);
    if (cached) return cached;
    let pending = this.inflight.get(k);
    if (!pending) {
      if (this.ctx.giveWay?.(k)) {
        throw new ConcurrentModificationError(`${clazz} with ID ${id} is being written by other transactions of this node.`, k);
      }
      pending = this.readSnapshot(clazz, id);
      this.inflight.set(k, pending);
    }
    try {
      const snap = await pending;
      if (!this.snapshots.has(k)) this.snapshots.set(k, snap);
      return this.snapshots.get(k) as Snapshot;
    } finally {
      this.inflight.delete(k);
    }
  }

  private async readSnapshot(clazz: string, id: string): Promise<Snapshot> {
    const { zk, layout } = this.ctx;
    const started = this.start();
    const [model, prov] = await Promise.allSettled([zk.getData(layout.model(clazz, id)), zk.getData(layout.object(clazz, id))]);
    // answered after the sync (same session, in order), so normally already there
    const startZxid = await started;
    if (model.status === 'rejected') {
      if (model.reason instanceof ZkError && model.reason.codeName === 'NONODE') {
        return { obj: null, version: -1 };
      }
      throw mapReadError(model.reason, `reading ${clazz} ${id}`);
    }
    if (model.value.stat.mzxid > startZxid) {
      throw new ConcurrentModificationError(`${clazz} with ID ${id} was modified during the transaction.`, key(clazz, id));
    }
    // the snapshot's object is never modified (changes replace it), so a cached one can be it
    const modelPath = layout.model(clazz, id);
    let obj = this.ctx.decodeCache?.get(modelPath, model.value.stat.version, model.value.data);
    if (!obj) {
      try {
        obj = parseText(clazz, model.value.data.toString('utf8'));
      } catch (e) {
        throw new InternalStorageError(`Failed to parse ${clazz} with ID ${id}: ${(e as Error).message}`, { cause: e });
      }
      this.ctx.decodeCache?.put(modelPath, model.value.stat.version, model.value.data, obj);
    }
    const snap: Snapshot = { obj, version: model.value.stat.version };
    if (prov.status === 'fulfilled') {
      if (prov.value.stat.mzxid > startZxid) {
        throw new ConcurrentModificationError(`${clazz} with ID ${id} was modified during the transaction.`, key(clazz, id));
      }
      let records: ZoomProvenance[] = [];
      try {
        records = decodeZoomObject(prov.value.data);
      } catch {
        records = []; // an unreadable provenance record must not block the object; it is rewritten
      }
      snap.prov = { records, version: prov.value.stat.version };
    } else if (!(prov.reason instanceof ZkError && prov.reason.codeName === 'NONODE')) {
      throw mapReadError(prov.reason, `reading provenance of ${clazz} ${id}`);
    }
    return snap;
  }

  /**
   * Every object of a class as this transaction sees it (its own changes included), for checks
   * over the whole class such as unique names. Objects deleted meanwhile are skipped.
   */
  async listAll<C extends ModelClass>(clazz: C): Promise<Models[C][]> {
    return present(await Promise.all((await this.listIds(clazz)).map((id) => this.getOrNull(clazz, id))));
  }

  /**
   * Serializes this transaction with every other that guards the same class: a check over all of
   * a class's objects (a unique name) cannot see an object another transaction is creating at the
   * same time, so both guard the class's folder: the commit rewrites the folder (its data stays
   * empty) at the version seen here, and of two such transactions one fails with a conflict and is
   * re-run, seeing the other's object. Writers that do not guard (other tools) are not held off.
   */
  async guardClass(clazz: ModelClass): Promise<void> {
    const path = this.ctx.layout.models(clazz);
    if (this.guards.has(path)) return;
    const started = this.start();
    let stat;
    try {
      stat = await this.ctx.zk.exists(path);
    } catch (e) {
      throw mapReadError(e, `probing ${path}`);
    }
    if (!stat) throw new InternalStorageError(`The class folder ${path} is missing.`);
    if (stat.mzxid > (await started)) throw new ConcurrentModificationError(`Node ${path} was modified during the transaction.`, path);
    if (!this.guards.has(path)) this.guards.set(path, stat.version);
  }

  // ---- writes ------------------------------------------------------------------------------

  async create<C extends ModelClass>(clazz: C, obj: Models[C]): Promise<void> {
    const id = requireId(obj);
    const k = key(clazz, id);
    const existing = this.ops.get(k);
    const data = cloneMsg(obj);
    if (existing) {
      if (existing.kind !== 'delete') throw new ObjectExistsError(clazz, id);
      // delete + create of the same object is an overwrite, as in the original
      this.ops.set(k, { kind: 'update', clazz, id, obj: data, changeType: ChangeType.data });
    } else {
      const snap = this.snapshots.get(k);
      if (snap && snap.obj) throw new ObjectExistsError(clazz, id);
      this.ops.set(k, { kind: 'create', clazz, id, obj: data });
    }
    this.deletedMarks.delete(k);
    for (const b of bindingsOf(clazz)) {
      // every occurrence adds one back-reference, as the update diff counts them (storage.md §5.2)
      for (const target of idsOf(data, b.field)) {
        await this.addBackReference(b.targetClass, target, b.targetField, id, clazz);
      }
    }
  }

  async update<C extends ModelClass>(clazz: C, obj: Models[C], validator?: UpdateValidator<Models[C]>): Promise<void> {
    const id = requireId(obj);
    const current = await this.current(clazz, id);
    if (!current) throw new NotFoundError(clazz, id);
    let next: Msg = cloneMsg(obj);
    if (validator) {
      const replaced = validator(asModel(clazz, cloneMsg(current)), asModel(clazz, next));
      if (replaced) next = cloneMsg(replaced);
      if (next['id'] !== id) throw new InternalStorageError(`The update validator changed the id of ${clazz} ${id}`);
    }
    for (const b of bindingsOf(clazz)) {
      const before = idsOf(current, b.field);
      const after = idsOf(next, b.field);
      for (const removed of multisetMinus(before, after)) {
        await this.clearBackReference(b.targetClass, removed, b.targetField, id);
      }
      for (const added of multisetMinus(after, before)) {
        await this.addBackReference(b.targetClass, added, b.targetField, id, clazz);
      }
    }
    this.putUpdate(clazz, id, next, ChangeType.data);
  }

  /** Deletes an object, applying CASCADE / CLEAR / ERROR to everything bound to it. */
  async delete(clazz: ModelClass, id: string, ignoreIfNotExists = false): Promise<void> {
    const k = key(clazz, id);
    const existing = this.ops.get(k);
    if (existing?.kind === 'delete') {
      if (ignoreIfNotExists) return;
      throw new NotFoundError(clazz, id);
    }
    const current = await this.current(clazz, id);
    if (!current) {
      if (ignoreIfNotExists) return;
      throw new NotFoundError(clazz, id);
    }
    // Mark it deleted first, so that cascades do not try to clear references back to it.
    if (existing?.kind === 'create') this.ops.delete(k);
    else this.ops.set(k, { kind: 'delete', clazz, id });
    this.deletedMarks.add(k);

    for (const b of bindingsOf(clazz)) {
      for (const target of distinct(idsOf(current, b.field))) {
        if (this.isDeleted(b.targetClass, target)) continue;
        switch (b.onDelete) {
          case 'CASCADE':
            await this.delete(b.targetClass, target, ignoreIfNotExists);
            break;
          case 'CLEAR':
            await this.clearBackReference(b.targetClass, target, b.targetField, id);
            break;
          case 'ERROR':
            // even when the referenced object is gone (a dangling reference): storage.md §5.1
            throw new ObjectReferencedError(clazz, id, b.targetClass, target);
        }
      }
    }
  }

  private readonly deletedMarks = new Set<string>();

  private isDeleted(clazz: string, id: string): boolean {
    return this.deletedMarks.has(key(clazz, id));
  }

  private async addBackReference(clazz: string, id: string, field: string, referrer: string, referrerClass: string): Promise<void> {
    if (this.isDeleted(clazz, id)) return;
    const current = await this.current(clazz, id);
    if (!current) throw new NotFoundError(clazz, id);
    const next = cloneMsg(current);
    if (isRepeated(clazz, field)) {
      next[field] = [...idsOf(next, field), referrer];
    } else {
      const existing = next[field];
      if (existing !== undefined) {
        throw new ReferenceConflictError(clazz, id, field, referrerClass, String(existing));
      }
      next[field] = referrer;
    }
    this.putUpdate(clazz, id, next, ChangeType.backReference);
  }

  private async clearBackReference(clazz: string, id: string, field: string, referrer: string): Promise<void> {
    if (this.isDeleted(clazz, id)) return;
    const current = await this.current(clazz, id);
    if (!current) return; // a dangling reference is simply dropped
    const next = cloneMsg(current);
    if (isRepeated(clazz, field)) {
      const list = idsOf(next, field);
      const at = list.indexOf(referrer);
      if (at < 0) return;
      list.splice(at, 1);
      next[field] = list;
    } else {
      if (next[field] !== referrer) return;
      delete next[field];
    }
    this.putUpdate(clazz, id, next, ChangeType.backReference);
  }

  private putUpdate(clazz: string, id: string, obj: Msg, changeType: number): void {
    const k = key(clazz, id);
    const existing = this.ops.get(k);
    if (existing?.kind === 'create') {
      this.ops.set(k, { kind: 'create', clazz, id, obj });
    } else if (existing?.kind === 'update') {
      this.ops.set(k, { kind: 'update', clazz, id, obj, changeType: existing.changeType | changeType });
    } else if (existing?.kind === 'delete') {
      throw new NotFoundError(clazz, id);
    } else {
      this.ops.set(k, { kind: 'update', clazz, id, obj, changeType });
    }
  }

  // ---- raw nodes (state-table entries and other paths outside the object model) -------------
  // The op is recorded synchronously (so folding sees it at once); the ZooKeeper probes it needs
  // (missing ancestors, the subtree to delete) run in the background and are awaited by commit(),
  // which fails with the first probe error. The returned promise never rejects for that reason.

  createNode(path: string, data: Buffer = Buffer.alloc(0)): Promise<void> {
    const existing = this.nodeOps.get(path);
    if (existing && existing.kind !== 'deleteNode') throw new StorageNodeExistsError(path);
    this.nodeOps.set(path, existing ? { kind: 'updateNode', path, data } : { kind: 'createNode', path, data });
    return this.probe(existing ? Promise.resolve() : this.createAncestors(path));
  }

  updateNode(path: string, data: Buffer): void {
    const existing = this.nodeOps.get(path);
    if (existing?.kind === 'deleteNode') throw new StorageNodeNotFoundError(path);
    this.nodeOps.set(path, existing?.kind === 'createNode' ? { kind: 'createNode', path, data } : { kind: 'updateNode', path, data });
  }

  /**
   * Deletes a node with its whole subtree, children first. Idempotent by default: a node that
   * does not exist is no change; with `idempotent = false` that fails the commit.
   */
  deleteNode(path: string, idempotent = true): Promise<void> {
    const existing = this.nodeOps.get(path);
    for (const p of [...this.nodeOps.keys()]) {
      if (p.startsWith(`${path}/`)) this.nodeOps.delete(p);
    }
    if (existing?.kind === 'createNode') {
      this.nodeOps.delete(path);
      return Promise.resolve();
    }
    this.nodeOps.set(path, { kind: 'deleteNode', path });
    return this.probe(this.expandDelete(path, idempotent));
  }

  private readonly probes: Promise<void>[] = [];

  private probe(work: Promise<void>): Promise<void> {
    this.probes.push(work);
    return work.then(
      () => undefined,
      () => undefined,
    );
  }

  private async createAncestors(path: string): Promise<void> {
    const { zk } = this.ctx;
    const started = this.start();
    started.catch(() => undefined); // reported below, where it is awaited
    for (let parent = parentOf(path); parent; parent = parentOf(parent)) {
      const pending = this.nodeOps.get(parent);
      if (pending && pending.kind !== 'deleteNode') return;
      let stat;
      try {
        stat = await zk.exists(parent);
      } catch (e) {
        throw mapReadError(e, `probing ${parent}`);
      }
      if (stat) {
        if (stat.mzxid > (await started)) throw new ConcurrentModificationError(`Node ${parent} was modified during the transaction.`, parent);
        return;
      }
      if (!pending) this.nodeOps.set(parent, { kind: 'createNode', path: parent, data: Buffer.alloc(0), implicit: true });
    }
  }

  private async expandDelete(path: string, idempotent: boolean): Promise<void> {
    const { zk } = this.ctx;
    this.start().catch(() => undefined); // reads below are not checked against it, but follow it
    const below: string[] = [];
    const walk = async (p: string): Promise<boolean> => {
      let children: string[];
      try {
        children = (await zk.getChildren(p)).children;
      } catch (e) {
        if (e instanceof ZkError && e.codeName === 'NONODE') return false;
        throw mapReadError(e, `listing ${p}`);
      }
      for (const c of children) {
        const child = `${p}/${c}`;
        if (await walk(child)) below.push(child);
      }
      return true;
    };
    const found = await walk(path);
    if (this.nodeOps.get(path)?.kind !== 'deleteNode') return; // re-created meanwhile
    if (!found) {
      if (!idempotent) throw new StorageNodeNotFoundError(path);
      this.nodeOps.delete(path);
      return;
    }
    for (const child of below) {
      if (!this.nodeOps.has(child)) this.nodeOps.set(child, { kind: 'deleteNode', path: child });
    }
  }

  // ---- commit ------------------------------------------------------------------------------

  /**
   * The pending changes as they are now, for rollback(): a group commit runs several callers'
   * functions in one transaction, and one that fails must leave no trace in it. Pending objects
   * are never modified in place (every change replaces them), so copies of the maps suffice.
   */
  savepoint(): Savepoint {
    return {
      ops: new Map(this.ops),
      nodeOps: new Map(this.nodeOps),
      deleted: new Set(this.deletedMarks),
      guards: new Map(this.guards),
      probes: this.probes.length,
    };
  }

  /**
   * Waits for the background probes started so far (missing ancestors, subtrees to delete);
   * fails with the first probe error, as commit() would. After it, a rollback is complete: no
   * probe is left to change the pending node ops afterwards.
   */
  async settle(): Promise<void> {
    await Promise.all(this.probes);
  }

  /** Back to a savepoint taken earlier in this transaction (call settle() first). */
  rollback(sp: Savepoint): void {
    this.ops.clear();
    for (const [k, v] of sp.ops) this.ops.set(k, v);
    this.nodeOps.clear();
    for (const [k, v] of sp.nodeOps) this.nodeOps.set(k, v);
    this.deletedMarks.clear();
    for (const k of sp.deleted) this.deletedMarks.add(k);
    this.guards.clear();
    for (const [k, v] of sp.guards) this.guards.set(k, v);
    this.probes.length = sp.probes;
  }

  /** Whether the transaction has anything to write. */
  get isEmpty(): boolean {
    return this.ops.size === 0 && this.nodeOps.size === 0 && this.guards.size === 0;
  }

  /** Refuses a commit ZooKeeper would not read (it would drop the session's connection). */
  private checkSize(zkOps: readonly ZkOp[], origins: readonly OpOrigin[]): void {
    const limit = this.ctx.maxRequestBytes ?? MAX_REQUEST_BYTES;
    const bytes = multiRequestBytes(zkOps);
    if (bytes <= limit) return;
    let largest: { clazz: string; id: string; bytes: number } | undefined;
    zkOps.forEach((op, i) => {
      const origin = origins[i];
      const size = op.op === 'create' || op.op === 'setData' ? (op.data?.length ?? 0) : 0;
      if (origin && 'clazz' in origin && (origin.what === 'objCreate' || origin.what === 'objUpdate') && size > (largest?.bytes ?? 0)) {
        largest = { clazz: origin.clazz, id: origin.id, bytes: size };
      }
    });
    // name the object only when it alone is most of the request, and the field that makes it so
    if (!largest || largest.bytes <= limit / 2) throw new RequestTooLargeError(bytes, limit);
    const op = this.ops.get(key(largest.clazz, largest.id));
    const field = op && op.kind !== 'delete' ? largestField(largest.clazz, op.obj) : undefined;
    throw new RequestTooLargeError(bytes, limit, { ...largest, ...(field ? { field } : {}) });
  }

  async commit(): Promise<void> {
    if (this.committed) throw new InternalStorageError('Transaction already committed');
    this.committed = true;
    await Promise.all(this.probes);
    const { layout, owner, product } = this.ctx;
    const zkOps: ZkOp[] = [];
    const origins: OpOrigin[] = [];
    const push = (op: ZkOp, origin: OpOrigin): void => {
      zkOps.push(op);
      origins.push(origin);
    };
    const deletedTables: string[] = [];
    const createdWithTables: { clazz: string; id: string }[] = [];

    // the objects written, to remember what their new versions parse to once committed
    const written: { index: number; path: string; data: Buffer; obj: Msg }[] = [];
    for (const op of this.ops.values()) {
      const modelPath = layout.model(op.clazz, op.id);
      const objectPath = layout.object(op.clazz, op.id);
      const origin = { clazz: op.clazz, id: op.id };
      if (op.kind === 'create') {
        const data = serialize(op.clazz, op.obj);
        written.push({ index: zkOps.length, path: modelPath, data, obj: op.obj });
        push({ op: 'create', path: modelPath, data }, { what: 'objCreate', ...origin });
        push({ op: 'create', path: objectPath, data: encodeZoomObject(createdProvenance(owner, ChangeType.data, product)) }, { what: 'objCreate', ...origin });
        if (STATE_TABLES[op.clazz]) createdWithTables.push({ clazz: op.clazz, id: op.id });
        continue;
      }
      const snap = this.snapshots.get(key(op.clazz, op.id));
      if (!snap || !snap.obj) throw new InternalStorageError(`No snapshot for ${op.clazz} ${op.id}`);
      if (op.kind === 'update') {
        const data = serialize(op.clazz, op.obj);
        written.push({ index: zkOps.length, path: modelPath, data, obj: op.obj });
        push({ op: 'setData', path: modelPath, data, version: snap.version }, { what: 'objUpdate', ...origin });
        if (snap.prov) {
          const next = updatedProvenance(snap.prov.records, owner, op.changeType, snap.version + 1, product);
          if (next) {
            push({ op: 'setData', path: objectPath, data: encodeZoomObject(next), version: snap.prov.version }, { what: 'provenance', ...origin });
          }
        } else {
          push({ op: 'create', path: objectPath, data: encodeZoomObject(createdProvenance(owner, op.changeType, product)) }, { what: 'provenance', ...origin });
        }
      } else {
        push({ op: 'remove', path: modelPath, version: snap.version }, { what: 'objDelete', ...origin });
        if (snap.prov) {
          push({ op: 'remove', path: objectPath, version: snap.prov.version }, { what: 'provenance', ...origin });
        }
        if (STATE_TABLES[op.clazz]) deletedTables.push(layout.tables(op.clazz, op.id));
      }
    }

    // a guarded folder is rewritten with its own (empty) data at the version seen: a concurrent
    // guard of it, from this node or another, makes one of the two multis fail with a conflict
    for (const [path, version] of this.guards) {
      push({ op: 'setData', path, data: Buffer.alloc(0), version }, { what: 'guard', path });
    }

    const nodeOps = [...this.nodeOps.values()];
    const byDepth = (a: NodeOp, b: NodeOp): number => depth(a.path) - depth(b.path);
    for (const n of nodeOps.filter((n) => n.kind !== 'deleteNode').sort(byDepth)) {
      if (n.kind === 'createNode') push({ op: 'create', path: n.path, data: n.data }, { what: n.implicit ? 'ancestor' : 'createNode', path: n.path });
      else push({ op: 'setData', path: n.path, data: n.data, version: -1 }, { what: 'updateNode', path: n.path });
    }
    for (const n of nodeOps.filter((n) => n.kind === 'deleteNode').sort((a, b) => -byDepth(a, b))) {
      push({ op: 'remove', path: n.path, version: -1 }, { what: 'deleteNode', path: n.path });
    }

    // an entry written in a table of an object created by this transaction has already created
    // the table's nodes, as its ancestors
    for (const { clazz, id } of createdWithTables) {
      const root = layout.tables(clazz, id);
      for (const path of [root, ...(STATE_TABLES[clazz] ?? []).map((name) => `${root}/${name}`)]) {
        if (this.nodeOps.get(path)?.kind !== 'createNode') push({ op: 'create', path }, { what: 'table', path });
      }
    }

    if (zkOps.length === 0) return;
    this.checkSize(zkOps, origins);
    const sent = this.ctx.zk.multi(zkOps);
    this.ctx.onCommitSent?.();
    let results;
    try {
      results = await sent;
    } catch (e) {
      throw classifyCommitError(e, origins);
    }
    const cache = this.ctx.decodeCache;
    if (cache) {
      for (const w of written) {
        const r = results[w.index];
        const version = r?.op === 'create' ? 0 : r?.stat?.version;
        if (version === undefined) cache.drop(w.path);
        else cache.put(w.path, version, w.data, asParsed(w.obj));
      }
    }
    if (deletedTables.length > 0) this.ctx.onDeletedTables?.(deletedTables);
  }
}

/**
 * The size of a multi request as ZooKeeper reads it (jute: request header, per op a multi header
 * and the op record, the closing header); creates carry the one world:anyone ACL.
 */
export function multiRequestBytes(ops: readonly ZkOp[]): number {
  let n = 8 + 9; // xid + type; the closing multi header
  for (const op of ops) {
    const path = 4 + Buffer.byteLength(op.path);
    switch (op.op) {
      case 'create':
        n += 9 + path + 4 + (op.data?.length ?? 0) + 27 + 4;
        break;
      case 'setData':
        n += 9 + path + 4 + op.data.length + 4;
        break;
      default:
        n += 9 + path + 4;
    }
  }
  return n;
}

function serialize(clazz: string, obj: Msg): Buffer {
  return Buffer.from(printText(clazz, obj), 'utf8');
}

/**
 * The top-level field of an object that takes the most bytes in its stored form, and whether it
 * is a list of references (ids of other objects) or a value: what a 507 should blame.
 */
function largestField(clazz: string, obj: Msg): TooLargeField | undefined {
  let best: TooLargeField | undefined;
  for (const [name, value] of Object.entries(obj)) {
    if (value === undefined || name === 'id') continue;
    const bytes = serialize(clazz, { [name]: value }).length;
    if (best && bytes <= best.bytes) continue;
    const references = bindingsOf(clazz).some((b) => b.field === name) && Array.isArray(value) ? value.length : undefined;
    best = { name, bytes, ...(references !== undefined ? { references } : {}) };
  }
  return best;
}

function requireId(obj: Msg): string {
  const id = obj['id'];
  if (typeof id !== 'string' || id.length === 0) throw new InternalStorageError('Object without an id');
  return id;
}

function distinct(ids: string[]): string[] {
  return [...new Set(ids)];
}

function parentOf(path: string): string | undefined {
  const at = path.lastIndexOf('/');
  return at > 0 ? path.slice(0, at) : undefined;
}

function depth(path: string): number {
  let n = 0;
  for (const c of path) if (c === '/') n++;
  return n;
}

const repeatedCache = new Map<string, boolean>();
function isRepeated(clazz: string, field: string): boolean {
  const k = `${clazz}.${field}`;
  let r = repeatedCache.get(k);
  if (r === undefined) {
    const f = messageType(clazz).field(field);
    if (!f) throw new InternalStorageError(`Binding names unknown field ${clazz}.${field}`);
    r = f.repeated;
    repeatedCache.set(k, r);
  }
  return r;
}

const UNAVAILABLE = new Set(['CONNECTION_LOSS', 'SESSION_EXPIRED', 'OPERATION_TIMEOUT', 'SESSION_MOVED']);

export function mapReadError(e: unknown, what: string): Error {
  if (e instanceof ZkError && UNAVAILABLE.has(e.codeName)) {
    return new StorageUnavailableError(`ZooKeeper unavailable while ${what}: ${e.codeName}`);
  }
  if (e instanceof Error && !(e instanceof ZkError)) return e;
  return new InternalStorageError(`ZooKeeper error while ${what}: ${(e as Error).message}`, { cause: e });
}

function classifyCommitError(e: unknown, origins: OpOrigin[]): Error {
  if (!(e instanceof ZkMultiError)) return mapReadError(e, 'committing a transaction');
  const origin = origins[e.opIndex];
  if (!origin) return new InternalStorageError(`Transaction failed: ${e.message}`, { cause: e });
  const conflictKey = 'clazz' in origin ? key(origin.clazz, origin.id) : origin.path;
  switch (e.codeName) {
    case 'BADVERSION':
      return new ConcurrentModificationError(
        'clazz' in origin
          ? `${origin.clazz} with ID ${origin.id} was modified during the transaction.`
          : `Node ${origin.path} was modified during the transaction.`,
        conflictKey,
      );
    case 'NODEEXISTS':
      if (origin.what === 'objCreate') return new ObjectExistsError(origin.clazz, origin.id);
      if (origin.what === 'createNode' || origin.what === 'table') return new StorageNodeExistsError(origin.path);
      // a parent another writer created meanwhile (the first entries of a new table): run again
      if (origin.what === 'ancestor') return new ConcurrentModificationError(`Node ${origin.path} was created during the transaction.`, conflictKey);
      return new ConcurrentModificationError(`${origin.what} conflicted with a concurrent change.`, conflictKey);
    case 'NONODE':
      if (origin.what === 'updateNode' || origin.what === 'deleteNode') return new StorageNodeNotFoundError(origin.path);
      if ('clazz' in origin) {
        return new ConcurrentModificationError(`${origin.clazz} with ID ${origin.id} was deleted during the transaction.`, conflictKey);
      }
      return new InternalStorageError(`Missing parent node for ${origin.path}`, { cause: e });
    case 'NOTEMPTY':
      return new ConcurrentModificationError(`A node gained children during the transaction: ${e.message}`, conflictKey);
    default:
      return mapReadError(e, 'committing a transaction');
  }
}

/**
 * The object as parsing its printed text gives it back: the text format has no empty repeated
 * field, so those are left out (nested messages included). Used for objects this node wrote, so
 * that a later read served from the decode cache sees what a parse would produce.
 */
function asParsed(m: Msg): Msg {
  const out: Msg = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      out[k] = (v as unknown[]).map((x) => (isMsg(x) ? asParsed(x) : x)) as typeof v;
    } else out[k] = isMsg(v) ? asParsed(v) : v;
  }
  return out;
}

function isMsg(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
