/**
 * What a REST resource declaration holds. A resource is one declaration (fields, media types,
 * paths, parents, links, filters, hooks); the generic handlers in handlers.ts serve it.
 *
 * Declarations are typed by the class they store (`ResourceDef<'Network'>`): proto field paths,
 * parent and child fields are checked against the class's message (lib/models/generated.ts), and
 * hooks get that message. The machinery serves any declaration through the untyped form
 * (`AnyResource`, over `Msg`), which every typed one is.
 */
import type { IncomingMessage } from 'node:http';
import type { ModelClass, Models, UuidFields, UuidListFields } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import type { NsdbStorage } from '../../../lib/nsdb/storage.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import type { Violation } from '../../../lib/http/errors.js';
import type { AuthProvider, Identity } from '../../../lib/auth/provider.js';
import type { Logger } from '../../../lib/log/logger.js';
import type { FlowTraceReader } from '../../../lib/cassandra/flow-trace-reader.js';
import type { FieldType, Validator } from './field-types.js';

export type Dto = Record<string, unknown>;
export type Access = 'rw' | 'create' | 'ro';
export type Mode = 'create' | 'update';

/** One level less than D, for the depth bound of FieldPath. */
type Less = [never, 0, 1, 2, 3, 4];

/**
 * The dotted path of a field of the message M, through nested (singular) messages: `name`,
 * `condition.nw_proto`, `nat_rule_data.nat_targets`. Repeated fields end a path. For the untyped
 * `Msg` it is any string.
 */
export type FieldPath<M, D extends number = 4> = [D] extends [never]
  ? never
  : {
      [K in keyof M & string]-?: NonNullable<M[K]> extends infer V
        ? V extends readonly unknown[] | Buffer
          ? K
          : V extends object
            ? K | `${K}.${FieldPath<V, Less[D]>}`
            : K
        : never;
    }[keyof M & string];

/**
 * A JSON field of a resource and how it maps to the stored message M. The functions are methods
 * (checked both ways) so that a field of a message, or of any message with the fields it names
 * (`FieldDef<{ tenant_id?: string }>`), fits every resource whose message has them.
 */
export interface FieldDef<M = Msg> {
  json: string;
  type: FieldType;
  access: Access;
  /** The proto field this JSON field maps to one-to-one, possibly nested (`condition.nw_proto`). */
  proto?: FieldPath<M>;
  /** JSON value when the input is absent or null, and when the stored field is absent. */
  default?: unknown;
  /** null is a violation ("may not be null") */
  required?: boolean;
  validators?: Validator[];
  /** Custom read from the stored object (derived fields). */
  read?(proto: M): unknown;
  /** Custom write into the stored object; called with the parsed value (never for 'ro'). */
  write?(value: unknown, proto: M, dto: Dto): void;
  /** Proto fields that this field owns and that PUT clears before writing (default: [proto]). */
  owns?: FieldPath<M>[];
  /**
   * The classes an id in this field (a UUID or a list of them) may name, for tenant scoping's
   * check of the ids a body refers to (references.ts). Absent: the class that the binding of
   * `proto` names, if there is one (lib/nsdb/bindings.ts).
   */
  ref?: readonly ModelClass[];
}

export interface LinkArgs<M = Msg> {
  /** API root without trailing slash, e.g. http://h:8181/midonet-api */
  base: string;
  /** this object's own uri */
  self: string;
  proto: M;
  json: Dto;
}

export interface LinkDef<M = Msg> {
  json: string;
  href(a: LinkArgs<M>): string | null;
}

export interface VariantDef<M = Msg> {
  /** discriminator values accepted on input */
  inputNames: string[];
  /** discriminator value shown on output */
  outputName: string;
  fields: FieldDef<M>[];
  links?: LinkDef<M>[];
  matches(proto: M): boolean;
  /** Sets the stored fields that encode the variant itself (e.g. a rule's type and action). */
  stamp?(proto: M, dto: Dto): void;
}

/** A collection of children of class C below a parent of class P (`/bridges/{id}/ports`). */
export interface ParentDef<C extends ModelClass = ModelClass, P extends ModelClass = ModelClass> {
  /** path segment of the parent collection, e.g. 'bridges' */
  segment: string;
  clazz: P;
  /** the parent's field listing its children, in order */
  childIds: UuidListFields[P];
  /** the child's field pointing at the parent (set on POST, the binding updates the parent) */
  parentRef: UuidFields[C];
  /** variants (output names) that may be created under this parent */
  variants?: string[];
  wrongVariantMessage?: string;
  list?: boolean;
  create?: boolean;
  /**
   * Methods served on one child below the parent (`/parents/{id}/children/{childId}`), which the
   * original's sub-resources answer as on the child's own path; the parent must exist. Other
   * methods there answer 405.
   */
  itemMethods?: ('GET' | 'PUT' | 'DELETE')[];
}

export type Regime = 'G' | 'E';

export interface MediaDecl {
  single: string[];
  collection: string[];
  /** types accepted on POST/PUT; default: single */
  consumes?: string[];
}

export interface RequestContext {
  storage: NsdbStorage;
  auth: AuthProvider;
  /** API root without trailing slash */
  base: string;
  identity?: Identity;
  log: Logger;
  req: IncomingMessage;
  params: Record<string, string>;
  query: Record<string, string>;
  /** parsed JSON body of POST/PUT (undefined for other methods; the text itself for `bodyText` routes) */
  body: unknown;
  /** the negotiated response type, when the route produces a body */
  responseType?: string;
  /** per-request cache of plain reads (e.g. a chain read once for all its rules' positions) */
  memo: Map<string, Promise<unknown>>;
  /** the node's reader of the flow traces the agents keep in Cassandra (absent: not wired, 503) */
  flowTraces?: FlowTraceReader;
}

export interface Reply {
  status: number;
  body?: unknown;
  /**
   * A JSON array produced item by item (lists): the router writes the items as they come, so a
   * long list starts before it is all read and rendered. Takes the place of `body`.
   */
  items?: AsyncIterable<unknown>;
  /** A body sent as it is (text/plain answers), in place of `body`. */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** The parents a child of class C may have: one ParentDef per parent class, told apart by `clazz`. */
export type ParentOf<C extends ModelClass> = { [P in ModelClass]: ParentDef<C, P> }[ModelClass];

export interface ResourceHooks<M = Msg> {
  /** Extra checks on the parsed input; return violations (400) or throw an HttpError. */
  validate?(dto: Dto, ctx: RequestContext, mode: Mode, current?: M): Promise<Violation[] | void> | Violation[] | void;
  /** Inside the create transaction, before tx.create (allocate keys, create owned objects, …). */
  beforeCreate?(tx: Transaction, proto: M, dto: Dto, ctx: RequestContext): Promise<void>;
  /** Outside any transaction, before it starts (e.g. sequence allocation). */
  prepareCreate?(proto: M, dto: Dto, ctx: RequestContext): Promise<void>;
  /** Inside the create transaction, after tx.create (objects owned by the new one, …). */
  afterCreate?(tx: Transaction, proto: M, dto: Dto, ctx: RequestContext): Promise<void>;
  beforeUpdate?(tx: Transaction, proto: M, current: M, dto: Dto, ctx: RequestContext): Promise<void>;
  /** Inside the update transaction, after tx.update (objects owned by the updated one, …). */
  afterUpdate?(tx: Transaction, proto: M, current: M, dto: Dto, ctx: RequestContext): Promise<void>;
  beforeDelete?(tx: Transaction, current: M, ctx: RequestContext): Promise<void>;
  /** Adds state-derived fields to the JSON (e.g. port `active`). */
  decorate?(json: Dto, proto: M, ctx: RequestContext): Promise<void>;
  /**
   * Whether `decorate` adds anything for this object (default: yes). Where it does not, the
   * topology cache's JSON of the object is sent as it is (machinery/cached-reads.ts).
   */
  decorates?(proto: M): boolean;
}

/**
 * A list filter (`?tenant_id=`): keeps the objects it is true for (a method, checked both ways);
 * `query` is the whole query, for filters that give way to another parameter.
 */
export type Filter<M> = { keep(proto: M, value: string, query: Readonly<Record<string, string>>): boolean }['keep'];

export interface OpDecl {
  regime?: Regime;
}

export interface ResourceDef<C extends ModelClass = ModelClass, M extends Msg = Models[C]> {
  name: string;
  clazz: C;
  segment: string;
  media: MediaDecl;
  fields: FieldDef<M>[];
  discriminator?: string;
  variants?: VariantDef<M>[];
  links?: LinkDef<M>[];
  get?: OpDecl | false;
  list?: OpDecl | false;
  create?: OpDecl | false;
  update?: OpDecl | false;
  delete?: { missing: 404 | 204 } | false;
  filters?: Record<string, Filter<M>>;
  parents?: ParentOf<C>[];
  hooks?: ResourceHooks<M>;
  /** the owner recorded in provenance; default cluster:api */
  owner?: number;
  /**
   * How the project (tenant) of an object is found, for tenant scoping (scoping.ts). Absent:
   * tenant roles may not use the resource at all (403).
   */
  project?: ProjectRule<C>;
}

/**
 * Where an object's project comes from: its own `tenant_id`, or the object one of its reference
 * fields names (the first that is set), whose project is found by that class's own rule: a port's
 * is its bridge's or router's, a rule's its chain's.
 */
export type ProjectRule<C extends ModelClass> =
  /** `json`: the tenant's JSON key when it is not `tenantId` (a QoS policy's `tenant_id`) */
  { own: TenantField[C]; json?: string } | { via: readonly { field: UuidFields[C]; clazz: ModelClass }[] };

/** `tenant_id` for each class that has one (a map, so that a rule of one class is a rule of any). */
type TenantField = { [C in ModelClass]: 'tenant_id' extends keyof Models[C] ? 'tenant_id' : never };

/** Any declaration, as the machinery serves it (every `ResourceDef<C>` is one). */
export type AnyResource = ResourceDef<ModelClass, Msg>;

export type Handler = (ctx: RequestContext) => Promise<Reply>;

/**
 * Who besides admins may use a route, when tenant scoping is on (scoping.ts). Routes of resource
 * declarations get theirs from the declaration's `project`; other routes say it themselves.
 */
export type RouteTenancy =
  /** nobody but admins (403); the default */
  | { kind: 'admin' }
  /** everyone who got in (the root document) */
  | { kind: 'open' }
  /** a list of objects of the class: a tenant gets its own project's only */
  | { kind: 'list'; clazz: ModelClass }
  /**
   * a POST of an object with a `tenantId` (or `key`): the caller's project, set when absent,
   * another one 403; `body`: the declaration whose fields the body holds, whose references must
   * name the caller's project's objects
   */
  | { kind: 'create'; key?: string; body?: AnyResource }
  /**
   * the object of the class named by the `:id` parameter, or something below it: the caller's
   * project's only (another project's answers 404, as a missing object); `claim`: the body
   * (a PUT's) may not move it to another project, and keeps it in the caller's when it names
   * none; `body`: as for `create`; `missing`: what the route answers for a missing object when
   * that is not 404 (a DELETE that answers 204), which another project's gets too
   */
  | { kind: 'own'; clazz: ModelClass; claim?: boolean; body?: AnyResource; missing?: 204 }
  /** rules of its own (tenants: the caller's project only); `wrap` makes the tenant's handler */
  | { kind: 'custom'; wrap(original: Handler): Handler };

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** path under the API root, express syntax: /bridges/:id/ports */
  path: string;
  regime?: Regime;
  /** types this route can answer with (GET) */
  produces?: string[];
  /** types this route accepts (POST/PUT) */
  consumes?: string[];
  /** The request body reaches the handler as text (`ctx.body` is a string), not parsed as JSON. */
  bodyText?: boolean;
  /** who besides admins may use it (default: nobody) */
  tenancy?: RouteTenancy;
  handler: Handler;
}

// ---- entries kept inside a parent object ---------------------------------------------------

/**
 * Where entries are kept and how they change: the storage half of an EntriesDef. `E` is an entry
 * with what its JSON needs (e.g. the parent it was found in), `I` a parsed POST/PUT body. What a
 * store can do decides which operations are served. machinery/entries.ts has the stock kinds
 * (entries in a repeated field of the parent, members kept through a binding of two reference
 * lists).
 */
export interface EntryStore<E, I = E> {
  /** The entries of the parent the path names, in order; throws when that parent does not exist. */
  list(ctx: RequestContext): Promise<readonly E[]>;
  /**
   * The entry with this key, read through `tx` when given; undefined when there is none (key
   * undefined: the path names no entry). A missing parent may throw or give undefined.
   */
  find?(ctx: RequestContext, key: string | undefined, tx?: Transaction): Promise<E | undefined>;
  /** Adds an entry (throws when it is there already); gives the entry as added. */
  add?(tx: Transaction, ctx: RequestContext, input: I): Promise<E>;
  /** Replaces the entry with this key (PUT); find() saw it in the same transaction. */
  replace?(tx: Transaction, ctx: RequestContext, key: string | undefined, input: I): Promise<void>;
  /** Removes the entry with this key; false when there is none. */
  remove?(tx: Transaction, ctx: RequestContext, key: string | undefined): Promise<boolean>;
}

/**
 * Entries kept inside a parent object and served as their own collection below it (port group
 * members, IP address group addresses, tunnel zone members, DHCP hosts, host interface ports):
 * list, and get, create, replace, delete as far as the store can. Explicit negotiation (regime E)
 * on every route, as the original's sub-resources do. machinery/entries.ts serves it.
 */
export interface EntriesDef<E = unknown, I = unknown> {
  /** what an entry is (documentation) */
  name: string;
  /** the class of the object the `:id` parameter names (the parent, or the one it is found in) */
  parent: ModelClass;
  /** the collection, e.g. /port_groups/:id/ports */
  path: string;
  /** one entry, e.g. /port_groups/:id/ports/:portId; absent: the collection is only listed */
  itemPath?: string;
  media: {
    collection: string[];
    /** types a GET of one entry answers with (negotiated) */
    single?: string[];
    /** the type a GET of one entry always answers with, without looking at Accept */
    singleFixed?: string;
    /** types a POST (and PUT) accepts */
    consumes?: string[];
  };
  /** the entry the item path names: its key, or undefined when it names none; throws 404/400 for a malformed path */
  pathKey?(ctx: RequestContext): string | undefined;
  /** a POST (create) or PUT (with the current entry) body, parsed and validated (400s) */
  parse?(ctx: RequestContext, body: Record<string, unknown>, current?: E): I;
  store: EntryStore<E, I>;
  /** the JSON of an entry (with its `uri`); undefined leaves it out of a list */
  render(ctx: RequestContext, entry: E): Dto | undefined;
  /** the Location of a created entry; default: its `uri` */
  location?(ctx: RequestContext, input: I, added: E): string;
  /** the answers when the entry is missing; delete 'ignore': 204 */
  missing?: {
    get?(ctx: RequestContext): Error;
    update?(ctx: RequestContext): Error;
    delete?: ((ctx: RequestContext) => Error) | 'ignore';
  };
  /** PUT replaces an entry (the store's `replace`) */
  replaceable?: boolean;
}

/** Any entries declaration, as the machinery serves it. */
export type AnyEntries = EntriesDef<unknown, unknown>;

// ---- the registry ----------------------------------------------------------------------------

/** One family of what the API serves, as resources/index.ts lists them all. */
export type Declaration =
  { kind: 'resource'; def: AnyResource } | { kind: 'entries'; def: AnyEntries } | { kind: 'routes'; name: string; routes: readonly RouteDef[] };
