/**
 * Entries kept inside a parent object, served as a collection below it (EntriesDef, types.ts):
 * the routes, negotiation, body parsing, transactions, status codes and Location are the same for
 * every family; where and how the entries are kept is the declaration's store. Two stock stores
 * cover the usual layouts: entries in a repeated message field of the parent (`inParent`), and
 * memberships kept through a binding of two reference lists (`throughBinding`).
 */
import type { ModelClass, Models, UuidListFields } from '../../../lib/models/generated.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import type { HttpError } from '../../../lib/http/errors.js';
import { requireObjectBody } from './dto.js';
import { pathId } from './handlers.js';
import type { AnyEntries, Dto, EntryStore, Reply, RequestContext, RouteDef } from './types.js';

/** The routes an entries declaration implies. */
export function entryRoutes(def: AnyEntries): RouteDef[] {
  const routes: RouteDef[] = [];
  const { store, itemPath: item } = def;
  routes.push({ method: 'GET', path: def.path, regime: 'E', produces: def.media.collection, handler: (ctx) => list(def, ctx) });
  if (item && store.find) {
    routes.push(
      def.media.single
        ? { method: 'GET', path: item, regime: 'E', produces: def.media.single, handler: (ctx) => getOne(def, ctx) }
        : { method: 'GET', path: item, handler: (ctx) => getOne(def, ctx) },
    );
  }
  if (store.add) {
    routes.push({ method: 'POST', path: def.path, regime: 'E', consumes: def.media.consumes, handler: (ctx) => create(def, ctx) });
  }
  if (item && store.replace && def.replaceable) {
    routes.push({ method: 'PUT', path: item, regime: 'E', consumes: def.media.consumes, handler: (ctx) => update(def, ctx) });
  }
  if (item && store.remove) routes.push({ method: 'DELETE', path: item, handler: (ctx) => remove(def, ctx) });
  return routes;
}

/** The store's operation, which entryRoutes served only because the store has it. */
function op<T>(fn: T | undefined, def: AnyEntries, name: string): T {
  if (fn === undefined) throw new Error(`${def.name}: the store has no ${name}`);
  return fn;
}

async function list(def: AnyEntries, ctx: RequestContext): Promise<Reply> {
  pathId(ctx);
  const entries = await def.store.list(ctx);
  const body: Dto[] = [];
  for (const e of entries) {
    const json = def.render(ctx, e);
    if (json) body.push(json);
  }
  return { status: 200, body };
}

function key(def: AnyEntries, ctx: RequestContext): string | undefined {
  pathId(ctx);
  return def.pathKey?.(ctx);
}

function missing(which: ((ctx: RequestContext) => Error) | undefined, ctx: RequestContext): Error {
  if (!which) throw new Error('an entries declaration serves an operation without saying what a missing entry answers');
  return which(ctx);
}

async function getOne(def: AnyEntries, ctx: RequestContext): Promise<Reply> {
  const k = key(def, ctx);
  const entry = await op(def.store.find, def, 'find').call(def.store, ctx, k);
  if (entry === undefined) throw missing(def.missing?.get, ctx);
  const reply: Reply = { status: 200, body: def.render(ctx, entry) };
  if (def.media.singleFixed) reply.contentType = def.media.singleFixed;
  return reply;
}

function parse(def: AnyEntries, ctx: RequestContext, body: Record<string, unknown>, current?: unknown): unknown {
  if (!def.parse) throw new Error(`${def.name}: a declaration that creates or replaces entries parses bodies`);
  return def.parse(ctx, body, current);
}

/** POST: the body is parsed before anything is read; 201 with the new entry's Location. */
async function create(def: AnyEntries, ctx: RequestContext): Promise<Reply> {
  pathId(ctx);
  const input = parse(def, ctx, requireObjectBody(ctx.body));
  const add = op(def.store.add, def, 'add');
  const added = await ctx.storage.tryTransaction(ChangeOwner.clusterApi, (tx) => add.call(def.store, tx, ctx, input));
  const location = def.location ? def.location(ctx, input, added) : String(def.render(ctx, added)?.['uri']);
  return { status: 201, headers: { Location: location } };
}

/** PUT: the entry is found first; its body is parsed against it (a replacement), 204. */
async function update(def: AnyEntries, ctx: RequestContext): Promise<Reply> {
  const k = key(def, ctx);
  const body = requireObjectBody(ctx.body);
  const find = op(def.store.find, def, 'find');
  const replace = op(def.store.replace, def, 'replace');
  await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
    const current = await find.call(def.store, ctx, k, tx);
    if (current === undefined) throw missing(def.missing?.update, ctx);
    await replace.call(def.store, tx, ctx, k, parse(def, ctx, body, current));
  });
  return { status: 204 };
}

async function remove(def: AnyEntries, ctx: RequestContext): Promise<Reply> {
  const k = key(def, ctx);
  await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
    const removed = await op(def.store.remove, def, 'remove').call(def.store, tx, ctx, k);
    const onMissing = def.missing?.delete;
    if (!removed && onMissing !== 'ignore') throw missing(onMissing, ctx);
  });
  return { status: 204 };
}

// ---- stock stores ----------------------------------------------------------------------------

/** The repeated message fields of a message: where entries can be kept. */
export type EntryField<M> = { [K in keyof M & string]-?: NonNullable<M[K]> extends readonly (infer X)[] ? (X extends object ? K : never) : never }[keyof M &
  string];

/** An entry of a repeated message field. */
export type EntryOf<M, F extends keyof M> = NonNullable<M[F]> extends readonly (infer X)[] ? X : never;

/** An entry with the parent object it was found in (its JSON often needs the parent). */
export interface Held<P, X> {
  parent: P;
  entry: X;
}

export interface InParentSpec<P extends ModelClass, F extends EntryField<Models[P]>, I> {
  parent: P;
  /** the parent's repeated field holding the entries */
  field: F;
  /** what names an entry (the path's key is compared with it); undefined: nothing names it */
  key(entry: EntryOf<Models[P], F>): string | undefined;
  /** the entry a parsed body makes (default: the body is the entry) */
  entry?(input: I): EntryOf<Models[P], F>;
  /** the parent the path names; default: the `:id` object (404 when missing). Undefined when there is none. */
  locate?(ctx: RequestContext, tx?: Transaction): Promise<Models[P] | undefined>;
  /** the answer when `locate` finds no parent: for a list, and for a POST */
  noParent?(ctx: RequestContext, op: 'list' | 'add'): HttpError;
  /** checks of a POST inside its transaction, after the parent is read, before the duplicate check */
  beforeAdd?(tx: Transaction, parent: Models[P], entry: EntryOf<Models[P], F>): Promise<void>;
  /** the answer to an entry whose key is there already */
  duplicate(ctx: RequestContext, parent: Models[P], entry: EntryOf<Models[P], F>): HttpError;
  /** keeps other fields of the parent in step with an added or removed entry (e.g. a list of ids) */
  added?(parent: Models[P], entry: EntryOf<Models[P], F>): void;
  removed?(parent: Models[P], key: string): void;
}

/**
 * Entries that are messages in a repeated field of their parent (a tunnel zone's hosts, a DHCP
 * subnet's hosts): each change rewrites the parent. Entries with the same key are one entry: a
 * delete removes them all.
 */
export function inParent<P extends ModelClass, const F extends EntryField<Models[P]>, I = EntryOf<Models[P], F>>(
  spec: InParentSpec<P, F, I>,
): EntryStore<Held<Models[P], EntryOf<Models[P], F>>, I> {
  type X = EntryOf<Models[P], F>;
  // the field holds X[] (EntryField picks repeated message fields only)
  const entriesOf = (parent: Models[P]): X[] => [...((parent[spec.field] as X[] | undefined) ?? [])];
  const setEntries = (parent: Models[P], entries: X[]): void => {
    (parent as Record<F, X[]>)[spec.field] = entries;
  };
  const locate = async (ctx: RequestContext, tx?: Transaction): Promise<Models[P] | undefined> => {
    if (spec.locate) return spec.locate(ctx, tx);
    const id = pathId(ctx);
    return tx ? tx.get(spec.parent, id) : ctx.storage.get(spec.parent, id);
  };
  const required = async (ctx: RequestContext, op: 'list' | 'add', tx?: Transaction): Promise<Models[P]> => {
    const parent = await locate(ctx, tx);
    if (parent === undefined) {
      if (!spec.noParent) throw new Error(`inParent(${spec.parent}.${String(spec.field)}): a locator that may find nothing needs noParent`);
      throw spec.noParent(ctx, op);
    }
    return parent;
  };
  // without `entry`, I is the entry type itself (its default)
  const toEntry = spec.entry ?? ((input: I) => input as unknown as X);
  return {
    async list(ctx) {
      const parent = await required(ctx, 'list');
      return entriesOf(parent).map((entry) => ({ parent, entry }));
    },
    async find(ctx, k, tx) {
      const parent = await locate(ctx, tx);
      if (parent === undefined || k === undefined) return undefined;
      const entry = entriesOf(parent).find((e) => spec.key(e) === k);
      return entry === undefined ? undefined : { parent, entry };
    },
    async add(tx, ctx, input) {
      const parent = await required(ctx, 'add', tx);
      const entry = toEntry(input);
      await spec.beforeAdd?.(tx, parent, entry);
      const entries = entriesOf(parent);
      const k = spec.key(entry);
      if (entries.some((e) => spec.key(e) === k)) throw spec.duplicate(ctx, parent, entry);
      setEntries(parent, [...entries, entry]);
      spec.added?.(parent, entry);
      await tx.update(spec.parent, parent);
      return { parent, entry };
    },
    async replace(tx, ctx, k, input) {
      const parent = await required(ctx, 'add', tx);
      const entries = entriesOf(parent);
      const at = entries.findIndex((e) => spec.key(e) === k);
      const next = toEntry(input);
      const nextKey = spec.key(next);
      if (entries.some((e, i) => i !== at && spec.key(e) === nextKey)) throw spec.duplicate(ctx, parent, next);
      entries[at] = next;
      setEntries(parent, entries);
      await tx.update(spec.parent, parent);
    },
    async remove(tx, ctx, k) {
      const parent = await locate(ctx, tx);
      if (parent === undefined || k === undefined) return false;
      const entries = entriesOf(parent);
      const kept = entries.filter((e) => spec.key(e) !== k);
      if (kept.length === entries.length) return false;
      setEntries(parent, kept);
      spec.removed?.(parent, k);
      await tx.update(spec.parent, parent);
      return true;
    },
  };
}

/** A membership: the parent and the member the path names. */
export interface Membership {
  parentId: string;
  memberId: string;
}

export interface ThroughBindingSpec<P extends ModelClass, M extends ModelClass> {
  /** the parent class and its list of members (kept by a binding from the member's list) */
  parent: P;
  members: UuidListFields[P];
  /** the member class and its list of parents: what this API writes */
  member: M;
  parents: UuidListFields[M];
  /** the answer to a member that is there already */
  duplicate(ctx: RequestContext): HttpError;
}

/**
 * Memberships kept as a member's reference to the parent, the binding keeping the parent's list
 * of members (port group members: Port.port_group_ids, bound to PortGroup.port_ids). Lists and
 * gets read the parent's list; a POST reads both objects (404 for either missing) and writes the
 * member. The key is the member's id. A DELETE of a member that no longer exists drops its id
 * from the parent's list, if it is still there, and succeeds.
 */
export function throughBinding<P extends ModelClass, M extends ModelClass>(spec: ThroughBindingSpec<P, M>): EntryStore<Membership, string> {
  // the lists named by the spec are UUID lists (UuidListFields)
  const ids = (obj: object, field: string): string[] => [...((obj as Record<string, string[] | undefined>)[field] ?? [])];
  const setIds = (obj: object, field: string, list: string[]): void => {
    (obj as Record<string, string[]>)[field] = list;
  };
  return {
    async list(ctx) {
      const parentId = pathId(ctx);
      const parent = await ctx.storage.get(spec.parent, parentId);
      return ids(parent, spec.members).map((memberId) => ({ parentId, memberId }));
    },
    async find(ctx, k) {
      const parentId = pathId(ctx);
      const parent = await ctx.storage.get(spec.parent, parentId);
      return k !== undefined && ids(parent, spec.members).includes(k) ? { parentId, memberId: k } : undefined;
    },
    async add(tx, ctx, memberId) {
      const parentId = pathId(ctx);
      await tx.get(spec.parent, parentId);
      const member = await tx.get(spec.member, memberId);
      const parents = ids(member, spec.parents);
      if (parents.includes(parentId)) throw spec.duplicate(ctx);
      setIds(member, spec.parents, [...parents, parentId]);
      await tx.update(spec.member, member);
      return { parentId, memberId };
    },
    async remove(tx, ctx, memberId) {
      const parentId = pathId(ctx);
      if (memberId === undefined) return false;
      const member = await tx.getOrNull(spec.member, memberId);
      if (!member) {
        // the member is gone: drop a dangling id from the parent, if any
        const parent = await tx.get(spec.parent, parentId);
        const list = ids(parent, spec.members);
        if (list.includes(memberId)) {
          setIds(
            parent,
            spec.members,
            list.filter((x) => x !== memberId),
          );
          await tx.update(spec.parent, parent);
        }
        return true;
      }
      const parents = ids(member, spec.parents);
      if (!parents.includes(parentId)) return false;
      setIds(
        member,
        spec.parents,
        parents.filter((g) => g !== parentId),
      );
      await tx.update(spec.member, member);
      return true;
    },
  };
}
