/**
 * What a REST resource declaration holds. A resource is one declaration (fields, media types,
 * paths, parents, links, filters, hooks); the generic handlers in handlers.ts serve it.
 */
import type { IncomingMessage } from 'node:http';
import type { ModelClass } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import type { NsdbStorage } from '../../../lib/nsdb/storage.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import type { Violation } from '../../../lib/http/errors.js';
import type { AuthProvider, Identity } from '../../../lib/auth/provider.js';
import type { Logger } from '../../../lib/log/logger.js';
import type { FieldType, Validator } from './field-types.js';

export type Dto = Record<string, unknown>;
export type Access = 'rw' | 'create' | 'ro';
export type Mode = 'create' | 'update';

export interface FieldDef {
  json: string;
  type: FieldType;
  access: Access;
  /** The proto field this JSON field maps to one-to-one, possibly nested (`condition.nw_proto`). */
  proto?: string;
  /** JSON value when the input is absent or null, and when the stored field is absent. */
  default?: unknown;
  /** null is a violation ("may not be null") */
  required?: boolean;
  validators?: Validator[];
  /** Custom read from the stored object (derived fields). */
  read?(proto: Msg): unknown;
  /** Custom write into the stored object; called with the parsed value (never for 'ro'). */
  write?(value: unknown, proto: Msg, dto: Dto): void;
  /** Proto fields that this field owns and that PUT clears before writing (default: [proto]). */
  owns?: string[];
}

export interface LinkArgs {
  /** API root without trailing slash, e.g. http://h:8181/midonet-api */
  base: string;
  /** this object's own uri */
  self: string;
  proto: Msg;
  json: Dto;
}

export interface LinkDef {
  json: string;
  href(a: LinkArgs): string | null;
}

export interface VariantDef {
  /** discriminator values accepted on input */
  inputNames: string[];
  /** discriminator value shown on output */
  outputName: string;
  fields: FieldDef[];
  links?: LinkDef[];
  matches(proto: Msg): boolean;
  /** Sets the stored fields that encode the variant itself (e.g. a rule's type and action). */
  stamp?(proto: Msg, dto: Dto): void;
}

export interface ParentDef {
  /** path segment of the parent collection, e.g. 'bridges' */
  segment: string;
  clazz: ModelClass;
  /** the parent's field listing its children, in order */
  childIds: string;
  /** the child's field pointing at the parent (set on POST, the binding updates the parent) */
  parentRef: string;
  /** variants (output names) that may be created under this parent */
  variants?: string[];
  wrongVariantMessage?: string;
  list?: boolean;
  create?: boolean;
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
  /** parsed JSON body of POST/PUT (undefined for other methods) */
  body: unknown;
  /** the negotiated response type, when the route produces a body */
  responseType?: string;
  /** per-request cache of plain reads (e.g. a chain read once for all its rules' positions) */
  memo: Map<string, Promise<unknown>>;
}

export interface Reply {
  status: number;
  body?: unknown;
  /**
   * A JSON array produced item by item (lists): the router writes the items as they come, so a
   * long list starts before it is all read and rendered. Takes the place of `body`.
   */
  items?: AsyncIterable<unknown>;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ResourceHooks {
  /** Extra checks on the parsed input; return violations (400) or throw an HttpError. */
  validate?(dto: Dto, ctx: RequestContext, mode: Mode, current?: Msg): Promise<Violation[] | void> | Violation[] | void;
  /** Inside the create transaction, before tx.create (allocate keys, create owned objects, …). */
  beforeCreate?(tx: Transaction, proto: Msg, dto: Dto, ctx: RequestContext): Promise<void>;
  /** Outside any transaction, before it starts (e.g. sequence allocation). */
  prepareCreate?(proto: Msg, dto: Dto, ctx: RequestContext): Promise<void>;
  /** Inside the create transaction, after tx.create (objects owned by the new one, …). */
  afterCreate?(tx: Transaction, proto: Msg, dto: Dto, ctx: RequestContext): Promise<void>;
  beforeUpdate?(tx: Transaction, proto: Msg, current: Msg, dto: Dto, ctx: RequestContext): Promise<void>;
  beforeDelete?(tx: Transaction, current: Msg, ctx: RequestContext): Promise<void>;
  /** Adds state-derived fields to the JSON (e.g. port `active`). */
  decorate?(json: Dto, proto: Msg, ctx: RequestContext): Promise<void>;
}

export interface OpDecl {
  regime?: Regime;
}

export interface ResourceDef {
  name: string;
  clazz: ModelClass;
  segment: string;
  media: MediaDecl;
  fields: FieldDef[];
  discriminator?: string;
  variants?: VariantDef[];
  links?: LinkDef[];
  get?: OpDecl | false;
  list?: OpDecl | false;
  create?: OpDecl | false;
  update?: OpDecl | false;
  delete?: { missing: 404 | 204 } | false;
  filters?: Record<string, (proto: Msg, value: string) => boolean>;
  parents?: ParentDef[];
  hooks?: ResourceHooks;
  /** the owner recorded in provenance; default cluster:api */
  owner?: number;
}

export type Handler = (ctx: RequestContext) => Promise<Reply>;

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** path under the API root, express syntax: /bridges/:id/ports */
  path: string;
  regime?: Regime;
  /** types this route can answer with (GET) */
  produces?: string[];
  /** types this route accepts (POST/PUT) */
  consumes?: string[];
  handler: Handler;
}
