/**
 * Generic GET / list / POST / PUT / DELETE over a resource declaration, and the routes they
 * are served on. Resources write no handlers of their own for these operations.
 */
import type { ModelClass, Models } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import { isUuid, randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import { cloneMsg, idsOf } from '../../../lib/nsdb/msg.js';
import { NotFoundError } from '../../../lib/nsdb/errors.js';
import { badRequest, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { buildProto, fieldsOf, inputVariant, parseInput, renderJson, requireObjectBody, storedVariant } from './dto.js';
import type { ClassView } from '../../../lib/nsdb/cache/topology-cache.js';
import { cachedClass, renderCached, type JsonText } from './cached-reads.js';
import type { AnyResource, Dto, ParentDef, RequestContext, RouteDef, RouteTenancy } from './types.js';

/** A path id that is not a UUID names nothing: 404, as the original's typed path params do. */
export function pathId(ctx: RequestContext, name = 'id'): string {
  const raw = ctx.params[name];
  if (!raw || !isUuid(raw)) throw notFound(`The requested resource was not found.`);
  return raw.toLowerCase();
}

/** A plain read cached for the rest of the request; null when the object does not exist. */
export function cachedGet<C extends ModelClass>(ctx: RequestContext, clazz: C, id: string): Promise<Models[C] | null> {
  const k = `${clazz}/${id}`;
  let p = ctx.memo.get(k) as Promise<Models[C] | null> | undefined;
  if (!p) {
    p = ctx.storage.getOrNull(clazz, id);
    ctx.memo.set(k, p);
  }
  return p;
}

export async function render(def: AnyResource, proto: Msg, ctx: RequestContext): Promise<Dto> {
  const json = renderJson(def, proto, ctx.base);
  await def.hooks?.decorate?.(json, proto, ctx);
  return json;
}

export async function renderAll(def: AnyResource, protos: Msg[], ctx: RequestContext): Promise<Dto[]> {
  return Promise.all(protos.map((p) => render(def, p, ctx)));
}

/** The declaration's filters named in the query, as one predicate (always true without any). */
function queryFilter(def: AnyResource, ctx: RequestContext): (proto: Msg) => boolean {
  const active: ((proto: Msg) => boolean)[] = [];
  for (const [param, predicate] of Object.entries(def.filters ?? {})) {
    const value = ctx.query[param];
    if (value !== undefined) active.push((p) => predicate(p, value, ctx.query));
  }
  return (p) => active.every((f) => f(p));
}

/** How many objects of a list are being read and rendered at once (ZooKeeper pipelines them). */
export const LIST_WINDOW = 512;

/**
 * `fn` over `inputs` with at most `width` calls in flight, results in input order as they are
 * ready: a long list streams with bounded memory. A call that fails fails the iteration when its
 * turn comes; the calls still in flight when the consumer stops are left to finish (their
 * rejections are handled).
 */
export async function* windowed<T, R>(inputs: readonly T[], width: number, fn: (input: T) => Promise<R>): AsyncGenerator<R> {
  const inflight: Promise<R>[] = [];
  let next = 0;
  const launch = (): void => {
    const p = fn(inputs[next++]);
    p.catch(() => undefined);
    inflight.push(p);
  };
  while (next < inputs.length && inflight.length < width) launch();
  while (inflight.length > 0) {
    const head = inflight.shift() as Promise<R>;
    if (next < inputs.length) launch();
    yield await head;
  }
}

/**
 * The JSON of the objects with these ids that exist and pass the query's filters, in the given
 * order, read and rendered `LIST_WINDOW` at a time (undefined items are skipped by the router).
 */
function renderEach(def: AnyResource, ctx: RequestContext, ids: readonly string[]): AsyncIterable<Dto | undefined> {
  const keep = queryFilter(def, ctx);
  return windowed(ids, LIST_WINDOW, async (id) => {
    const proto = await ctx.storage.getOrNull(def.clazz, id);
    return proto && keep(proto) ? render(def, proto, ctx) : undefined;
  });
}

/**
 * The JSON of the cached objects with these ids that pass the query's filters, in the given
 * order (ids gone meanwhile skipped), rendered as the reply takes them.
 */
async function* renderCachedEach(def: AnyResource, ctx: RequestContext, view: ClassView, ids: readonly string[]): AsyncGenerator<Dto | JsonText | undefined> {
  const keep = queryFilter(def, ctx);
  for (const id of ids) {
    const obj = view.get(id);
    yield obj && keep(obj.msg) ? await renderCached(def, view, obj, ctx) : undefined;
  }
}

async function getOne(def: AnyResource, ctx: RequestContext) {
  const id = pathId(ctx);
  const view = await cachedClass(ctx, def.clazz, true);
  if (view) {
    const obj = view.get(id);
    if (!obj) throw new NotFoundError(def.clazz, id);
    return { status: 200, body: await renderCached(def, view, obj, ctx) };
  }
  const proto = await ctx.storage.get(def.clazz, id);
  return { status: 200, body: await render(def, proto, ctx) };
}

async function listAll(def: AnyResource, ctx: RequestContext) {
  const view = await cachedClass(ctx, def.clazz);
  if (view) return { status: 200, items: renderCachedEach(def, ctx, view, view.ids()) };
  return { status: 200, items: renderEach(def, ctx, await ctx.storage.listIds(def.clazz)) };
}

/** The children of a parent, in the parent's stored order. */
export async function childrenOf(def: AnyResource, parent: ParentDef, ctx: RequestContext, parentId: string): Promise<Msg[]> {
  const p = await ctx.storage.get(parent.clazz, parentId);
  return ctx.storage.getExisting(def.clazz, idsOf(p, parent.childIds));
}

async function listChildren(def: AnyResource, parent: ParentDef, ctx: RequestContext) {
  const parentId = pathId(ctx);
  const [parents, children] = await Promise.all([cachedClass(ctx, parent.clazz), cachedClass(ctx, def.clazz)]);
  if (parents && children) {
    const cached = parents.get(parentId);
    if (!cached) throw new NotFoundError(parent.clazz, parentId);
    return { status: 200, items: renderCachedEach(def, ctx, children, idsOf(cached.msg, parent.childIds)) };
  }
  const p = await ctx.storage.get(parent.clazz, parentId);
  return { status: 200, items: renderEach(def, ctx, idsOf(p, parent.childIds)) };
}

async function collectViolations(def: AnyResource, ctx: RequestContext, dto: Dto, mode: 'create' | 'update', base: Violation[], current?: Msg) {
  const extra = (await def.hooks?.validate?.(dto, ctx, mode, current)) ?? [];
  const all = [...base, ...extra];
  if (all.length > 0) throw validationError(all);
}

/** POST: validate, build, commit; 201 with Location and no body. */
export async function create(
  def: AnyResource,
  ctx: RequestContext,
  parent?: ParentDef,
): Promise<{ status: number; headers: Record<string, string>; id: string }> {
  const body = requireObjectBody(ctx.body);
  const variant = inputVariant(def, body);
  if (parent?.variants && variant && !parent.variants.includes(variant.outputName)) {
    throw badRequest(parent.wrongVariantMessage ?? `Invalid ${def.discriminator} for this collection.`);
  }
  const fields = fieldsOf(def, variant);
  const { dto, violations } = parseInput(fields, body, 'create');
  await collectViolations(def, ctx, dto, 'create', violations);
  const proto = buildProto(fields, dto, 'create');
  variant?.stamp?.(proto, dto);
  const id = typeof dto['id'] === 'string' ? dto['id'] : randomUuid();
  proto['id'] = id;
  const parentId = parent ? pathId(ctx) : undefined;
  if (parent && parentId) proto[parent.parentRef] = parentId;
  // prepareCreate (e.g. a sequence increment) runs while the transaction starts and reads the
  // parent: they are pipelined on the ZooKeeper session instead of waiting for each other. Its
  // failure still comes first, and nothing is committed before it is done.
  const prepared = def.hooks?.prepareCreate?.(proto, dto, ctx);
  prepared?.catch(() => undefined);
  await ctx.storage.tryTransaction(def.owner ?? ChangeOwner.clusterApi, async (tx) => {
    const parentThere = parent && parentId ? tx.exists(parent.clazz, parentId) : undefined;
    parentThere?.catch(() => undefined);
    await prepared;
    const obj = cloneMsg(proto); // a retry starts from the same input
    if (parent && parentId && !(await parentThere)) {
      throw new NotFoundError(parent.clazz, parentId);
    }
    await def.hooks?.beforeCreate?.(tx, obj, dto, ctx);
    await tx.create(def.clazz, obj);
    await def.hooks?.afterCreate?.(tx, obj, dto, ctx);
  });
  return { status: 201, headers: { Location: `${ctx.base}/${def.segment}/${id}` }, id };
}

/** PUT: a full replacement of the writable fields; everything else is carried over. */
async function update(def: AnyResource, ctx: RequestContext) {
  const id = pathId(ctx);
  const body = requireObjectBody(ctx.body);
  await ctx.storage.tryTransaction(def.owner ?? ChangeOwner.clusterApi, async (tx) => {
    const current = await tx.get(def.clazz, id);
    const variant = storedVariant(def, current);
    if (def.discriminator && variant && body[def.discriminator] !== undefined && body[def.discriminator] !== null) {
      const asked = inputVariant(def, body);
      if (asked !== variant) throw badRequest(`The ${def.discriminator} of an existing object cannot be changed.`);
    }
    const fields = fieldsOf(def, variant);
    const { dto, violations } = parseInput(fields, body, 'update');
    await collectViolations(def, ctx, dto, 'update', violations, current);
    const proto = buildProto(fields, dto, 'update', current);
    proto['id'] = id;
    await def.hooks?.beforeUpdate?.(tx, proto, current, dto, ctx);
    await tx.update(def.clazz, proto);
    await def.hooks?.afterUpdate?.(tx, proto, current, dto, ctx);
  });
  return { status: 204 };
}

async function remove(def: AnyResource, ctx: RequestContext) {
  const missing = def.delete ? def.delete.missing : 404;
  // even where a missing id is 204, a malformed one names no resource at all: 404 (spec §1)
  const id = pathId(ctx);
  await ctx.storage.tryTransaction(def.owner ?? ChangeOwner.clusterApi, async (tx) => {
    const current = await tx.getOrNull(def.clazz, id);
    if (!current) {
      if (missing === 204) return;
      throw new NotFoundError(def.clazz, id);
    }
    await def.hooks?.beforeDelete?.(tx, current, ctx);
    await tx.delete(def.clazz, id);
  });
  return { status: 204 };
}

/**
 * Paths a declaration occupies without serving any method there (the original answers 405, not
 * 404: `GET /routes`, `GET /bridges/{id}/ports/{portId}`).
 */
export function reservedPaths(def: AnyResource): string[] {
  const out: string[] = [];
  if (def.list === false && !def.create) out.push(`/${def.segment}`);
  for (const parent of def.parents ?? []) {
    if ((parent.itemMethods ?? []).length === 0) out.push(`/${parent.segment}/:id/${def.segment}/:childId`);
  }
  return out;
}

/**
 * A child's own operation served below its parent (`/parents/{id}/children/{childId}`): the
 * parent must exist and have that child (404 otherwise: the path names nothing, and a tenant's
 * own parent must not reach another's child), then it is the operation on `/children/{childId}`.
 */
function belowParent(
  def: AnyResource,
  parent: ParentDef,
  op: (ctx: RequestContext) => Promise<{ status: number }>,
): (ctx: RequestContext) => Promise<{ status: number }> {
  return async (ctx) => {
    const p = await ctx.storage.get(parent.clazz, pathId(ctx));
    const childCtx = { ...ctx, params: { ...ctx.params, id: ctx.params['childId'] ?? '' } };
    const childId = pathId(childCtx);
    if (!idsOf(p, parent.childIds).includes(childId)) throw new NotFoundError(def.clazz, childId);
    return op(childCtx);
  };
}

/**
 * Who besides admins may use a declaration's routes (scoping.ts): with a project rule, tenants
 * get their project's objects, the objects below them, and create in their project (objects with
 * a tenant of their own); without one, nobody but admins.
 */
function tenancyOf(
  def: AnyResource,
  route: 'list' | 'create' | 'one' | 'update' | 'delete' | 'children' | 'childCreate',
  parent?: ParentDef,
): RouteTenancy | undefined {
  const project = def.project;
  if (!project) return undefined;
  switch (route) {
    case 'list':
      return { kind: 'list', clazz: def.clazz };
    case 'create':
      return 'own' in project ? { kind: 'create', key: project.json, body: def } : undefined;
    case 'one':
      return { kind: 'own', clazz: def.clazz };
    case 'update':
      return { kind: 'own', clazz: def.clazz, claim: true, body: def };
    case 'delete':
      return def.delete && def.delete.missing === 204 ? { kind: 'own', clazz: def.clazz, missing: 204 } : { kind: 'own', clazz: def.clazz };
    case 'children':
      return parent ? { kind: 'own', clazz: parent.clazz } : undefined;
    case 'childCreate':
      return parent ? { kind: 'own', clazz: parent.clazz, body: def } : undefined;
  }
}

/** The routes a declaration implies. */
export function resourceRoutes(def: AnyResource): RouteDef[] {
  const routes: RouteDef[] = [];
  const seg = `/${def.segment}`;
  const consumes = def.media.consumes ?? def.media.single;
  const route = (r: RouteDef, tenancy: RouteTenancy | undefined): void => {
    routes.push(tenancy ? { ...r, tenancy } : r);
  };
  if (def.list !== false) {
    route(
      { method: 'GET', path: seg, regime: def.list?.regime ?? 'G', produces: def.media.collection, handler: (c) => listAll(def, c) },
      tenancyOf(def, 'list'),
    );
  }
  if (def.create) {
    route({ method: 'POST', path: seg, regime: def.create.regime ?? 'G', consumes, handler: (c) => create(def, c) }, tenancyOf(def, 'create'));
  }
  if (def.get !== false) {
    route(
      { method: 'GET', path: `${seg}/:id`, regime: def.get?.regime ?? 'G', produces: def.media.single, handler: (c) => getOne(def, c) },
      tenancyOf(def, 'one'),
    );
  }
  if (def.update) {
    route({ method: 'PUT', path: `${seg}/:id`, regime: def.update.regime ?? 'G', consumes, handler: (c) => update(def, c) }, tenancyOf(def, 'update'));
  }
  if (def.delete !== false) {
    route({ method: 'DELETE', path: `${seg}/:id`, handler: (c) => remove(def, c) }, tenancyOf(def, 'delete'));
  }
  for (const parent of def.parents ?? []) {
    const path = `/${parent.segment}/:id/${def.segment}`;
    if (parent.list !== false) {
      route(
        { method: 'GET', path, regime: 'G', produces: def.media.collection, handler: (c) => listChildren(def, parent, c) },
        tenancyOf(def, 'children', parent),
      );
    }
    if (parent.create !== false) {
      route({ method: 'POST', path, regime: 'G', consumes, handler: (c) => create(def, c, parent) }, tenancyOf(def, 'childCreate', parent));
    }
    const item = `${path}/:childId`;
    for (const method of parent.itemMethods ?? []) {
      const tenancy = tenancyOf(def, 'children', parent);
      if (method === 'GET')
        route({ method, path: item, regime: 'G', produces: def.media.single, handler: belowParent(def, parent, (c) => getOne(def, c)) }, tenancy);
      if (method === 'PUT') route({ method, path: item, regime: 'G', consumes, handler: belowParent(def, parent, (c) => update(def, c)) }, tenancy);
      if (method === 'DELETE') route({ method, path: item, handler: belowParent(def, parent, (c) => remove(def, c)) }, tenancy);
    }
  }
  return routes;
}
