/**
 * The Neutron translation framework: a translator per Neutron class turns a create, update or
 * delete of a Neutron object into storage operations on MidoNet objects, inside the request's one
 * transaction, and the Neutron object itself is stored after its translation, in the same
 * transaction (as the original's C3PO translators do).
 *
 * Translators see storage only through `TranslationTx`: the production `Transaction`
 * (lib/nsdb/transaction.ts) is one, and unit tests run them over an in-memory ZooKeeper.
 */
import type { ModelClass, Models } from '../../lib/models/generated.js';
import type { UpdateValidator } from '../../lib/nsdb/transaction.js';

/** What a translator may do with storage: typed reads, writes, and state-table entries. */
export interface TranslationTx {
  get<C extends ModelClass>(clazz: C, id: string): Promise<Models[C]>;
  getOrNull<C extends ModelClass>(clazz: C, id: string): Promise<Models[C] | null>;
  exists(clazz: ModelClass, id: string): Promise<boolean>;
  /** The objects with these ids, in order; NotFound if one is missing. */
  getAll<C extends ModelClass>(clazz: C, ids: readonly string[]): Promise<Models[C][]>;
  /** Every object of the class (e.g. hosts, to find one by name). */
  listAll<C extends ModelClass>(clazz: C): Promise<Models[C][]>;
  create<C extends ModelClass>(clazz: C, obj: Models[C]): Promise<void>;
  update<C extends ModelClass>(clazz: C, obj: Models[C], validator?: UpdateValidator<Models[C]>): Promise<void>;
  /** Deletes with the bindings' cascades; `ignoreIfNotExists` is the original's "ignoresNeo". */
  delete(clazz: ModelClass, id: string, ignoreIfNotExists?: boolean): Promise<void>;
  /** Creates a state-table entry (a node; missing parents are created). */
  createNode(path: string): Promise<void>;
  /** Deletes a state-table entry; a missing one is no change. */
  deleteNode(path: string): Promise<void>;
}

/** Where the persistent state-table entries the translators write live (storage.md §9). */
export interface StateTablePaths {
  /** `tables/Network/<id>/mac_table/0/<mac>,<portId>,2147483647`. */
  macEntry(networkId: string, mac: string, portId: string): string;
  /** The bridge ARP entry, in the legacy table when that exists (legacyTablePath). */
  arpEntry(networkId: string, ip: string, mac: string): Promise<string>;
  /** `tables/Port/<id>/peering_table/<mac>,<ip>,2147483647` (an L2-gateway router port's remote MACs). */
  peeringEntry(portId: string, mac: string, ip: string): string;
}

/** Everything a translator works with during one request. */
export interface TranslationContext {
  tx: TranslationTx;
  tables: StateTablePaths;
  /**
   * A value of the `overlay_tunnel_key` sequence for the object with this id: the same value
   * for the same id during one request, so that a retried transaction does not use up another.
   */
  tunnelKey(forId: string): Promise<number>;
}

export type NeutronOp<M> = { kind: 'create'; obj: M } | { kind: 'update'; obj: M } | { kind: 'delete'; id: string };

/**
 * How a translator keeps the Neutron object itself: `asReceived` (the default) stores the object
 * after the translation, `translator` leaves it to the translator (security groups and their
 * rules), and `keep` names the stored fields an update carries over (server-maintained lists such
 * as a network's `subnets`).
 */
export type Retention<M> = { kind: 'asReceived'; keep?: readonly (keyof M & string)[] } | { kind: 'translator' };

export interface Translator<C extends ModelClass> {
  readonly clazz: C;
  readonly retention?: Retention<Models[C]>;
  create(ctx: TranslationContext, obj: Models[C]): Promise<void>;
  /** The new object; the stored one is still there (read it from the transaction). */
  update(ctx: TranslationContext, obj: Models[C]): Promise<void>;
  /** The stored object; a delete of a missing object is a no-op unless `deleteMissing` is given. */
  delete(ctx: TranslationContext, stored: Models[C]): Promise<void>;
  /** Delete by id when the stored object may be missing while its translation is not. */
  deleteMissing?(ctx: TranslationContext, id: string): Promise<void>;
}

/** Why a translation refused a request, with the status class the original answers. */
export type TranslationFailure = 'invalid' | 'conflict' | 'unsupported';

/**
 * A translation that cannot be done: `invalid` (the original's IllegalArgumentException, 400),
 * `conflict` (IllegalStateException, 409), `unsupported` (500). The REST layer prefixes the
 * message with `Failed to <operation>; ` as the original does, unless `bare`.
 */
export class TranslationError extends Error {
  override name = 'TranslationError';
  constructor(
    readonly failure: TranslationFailure,
    message: string,
    readonly bare = false,
  ) {
    super(message);
  }
}

export const invalid = (message: string): TranslationError => new TranslationError('invalid', message);
export const conflict = (message: string): TranslationError => new TranslationError('conflict', message);
export const unsupported = (message: string): TranslationError => new TranslationError('unsupported', message);

/** The id of a Neutron object (the REST layer makes sure there is one). */
export function idOf(o: { id?: string }): string {
  if (!o.id) throw invalid('The object has no id.');
  return o.id;
}

/** Runs one operation: the translation, then the Neutron object's own write. */
export async function translate<C extends ModelClass>(ctx: TranslationContext, t: Translator<C>, op: NeutronOp<Models[C]>): Promise<void> {
  const retention = t.retention ?? { kind: 'asReceived' };
  const { tx } = ctx;
  switch (op.kind) {
    case 'create':
      await t.create(ctx, op.obj);
      if (retention.kind === 'asReceived') await tx.create(t.clazz, op.obj);
      return;
    case 'update': {
      await t.update(ctx, op.obj);
      if (retention.kind !== 'asReceived') return;
      const keep = retention.keep ?? [];
      await tx.update(t.clazz, op.obj, keep.length === 0 ? undefined : (current, next) => carryOver(current, next, keep));
      return;
    }
    case 'delete': {
      const stored = await tx.getOrNull(t.clazz, op.id);
      if (stored) await t.delete(ctx, stored);
      else if (t.deleteMissing) await t.deleteMissing(ctx, op.id);
      if (retention.kind === 'asReceived') await tx.delete(t.clazz, op.id, true);
      return;
    }
  }
}

function carryOver<M extends object>(current: M, next: M, keep: readonly (keyof M & string)[]): M {
  const out = { ...next };
  for (const k of keep) {
    if (current[k] !== undefined) out[k] = current[k];
  }
  return out;
}
