/**
 * Tenant scoping (`cluster.auth.tenant_scoping = true`; off by default, when only `admin` gets
 * in, as in the original, auth-https-deploy.md §1.1). With it on, identities with MidoNet role
 * `tenant_admin` or `tenant_user` (and not `admin`) get a view of their own project only:
 *
 * - an object belongs to the project its declaration's `project` rule finds: its own `tenant_id`
 *   (bridges, routers, chains, port groups), or the project of the object a reference names
 *   (a port's bridge or router, a rule's chain, a route's router or, for a route with a next-hop
 *   port, that port's device);
 * - lists keep only the project's objects (filtered here, on the server);
 * - GET/PUT/DELETE of another project's object, and of anything below it, is 404 — the same
 *   answer as for an object that does not exist (a DELETE whose missing object is 204: 204,
 *   with nothing deleted);
 * - every id a POST/PUT body refers to (a filter chain, a jump target, a next-hop port, ...)
 *   must name an object of the caller's project, else 404 as for a missing one (references.ts);
 * - `tenant_user` reads only: POST/PUT/DELETE are 403;
 * - `tenant_admin` creates objects in its own project only (`tenantId` absent → its project,
 *   another project → 403) and cannot move an object to another project (a PUT without
 *   `tenantId` keeps it in the caller's);
 * - `GET /` (the root document) and `/tenants` (its own project only) are open to both;
 * - everything else (hosts, tunnel zones, IP address groups, system state, port links, MAC/ARP
 *   tables, DHCP, ...) stays reserved to `admin`: 403.
 *
 * What applies to a route is its `tenancy` (types.ts): routes of resource declarations get it
 * from the declaration, other routes declare it. Applied by wrapping the route handlers (admins
 * go straight to the original handler).
 */
import { Roles, type Identity } from '../../../lib/auth/provider.js';
import { HttpError } from '../../../lib/http/errors.js';
import type { ModelClass } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import { NotFoundError } from '../../../lib/nsdb/errors.js';
import { JsonText } from './cached-reads.js';
import { cachedGet } from './handlers.js';
import { referencesOf } from './references.js';
import type { AnyResource, Dto, Handler, ProjectRule, Reply, RequestContext, RouteDef, RouteTenancy } from './types.js';

export const ADMIN_ONLY_MESSAGE = 'This operation is reserved for administrators.';
export const READ_ONLY_MESSAGE = 'A tenant user may not create, modify or delete objects.';
export const OTHER_PROJECT_MESSAGE = "Objects can only be created in, or moved to, the caller's own project.";

export function isAdmin(identity: Identity | undefined): boolean {
  return !!identity?.roles.includes(Roles.admin);
}

/** Whether an identity passes the auth filter: admin always; tenant roles only with scoping. */
export function mayEnter(identity: Identity, tenantScoping: boolean): boolean {
  if (isAdmin(identity)) return true;
  return tenantScoping && (identity.roles.includes(Roles.tenantAdmin) || identity.roles.includes(Roles.tenantUser));
}

/** The project rules of the declared classes. */
type Rules = ReadonlyMap<ModelClass, ProjectRule<ModelClass>>;

/** How deep a chain of references may go to find a project (a route → port → router is 2). */
const MAX_DEPTH = 3;

/** The project an object belongs to; null when it has none (and cannot be derived). */
async function ownerOf(rules: Rules, ctx: RequestContext, clazz: ModelClass, proto: Msg, depth = 0): Promise<string | null> {
  const rule = rules.get(clazz);
  if (!rule) return null;
  if ('own' in rule) {
    const t = proto[rule.own];
    return typeof t === 'string' && t !== '' ? t : null;
  }
  if (depth > MAX_DEPTH) return null;
  for (const { field, clazz: ownerClazz } of rule.via) {
    const id = proto[field];
    if (typeof id !== 'string' || id === '') continue;
    const owner = await cachedGet(ctx, ownerClazz, id);
    return owner ? ownerOf(rules, ctx, ownerClazz, owner, depth + 1) : null;
  }
  return null;
}

async function ownerOfId(rules: Rules, ctx: RequestContext, clazz: ModelClass, id: string): Promise<{ exists: boolean; owner: string | null }> {
  const proto = await cachedGet(ctx, clazz, id.toLowerCase());
  if (!proto) return { exists: false, owner: null };
  return { exists: true, owner: await ownerOf(rules, ctx, clazz, proto) };
}

function forbidden(message: string): HttpError {
  return new HttpError(403, message);
}

function isWrite(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'DELETE';
}

/**
 * Whether the object named by `:id` (class `clazz`) is another project's (then the caller must
 * be answered as for a missing one). A missing object is not: the original handler answers it.
 */
async function isOthers(rules: Rules, ctx: RequestContext, clazz: ModelClass, identity: Identity): Promise<boolean> {
  const id = ctx.params['id'];
  if (!id) return false;
  const { exists, owner } = await ownerOfId(rules, ctx, clazz, id);
  return exists && owner !== identity.tenantId;
}

/**
 * Every id the body names (references.ts) must be an object of the caller's project, else 404 —
 * the same answer for another project's object, for an object that does not exist and for one
 * tenants have no access to (a class without a project rule: hosts, IP address groups, ...), so
 * the status tells nothing about other projects. Runs before anything is written.
 */
async function requireOwnReferences(rules: Rules, ctx: RequestContext, def: AnyResource, identity: Identity, current?: Msg): Promise<void> {
  for (const ref of referencesOf(def, ctx.body, current ? 'update' : 'create', current)) {
    let own = false;
    for (const clazz of ref.classes) {
      const proto = await cachedGet(ctx, clazz, ref.id);
      if (!proto) continue;
      own = (await ownerOf(rules, ctx, clazz, proto)) === identity.tenantId;
      break;
    }
    if (!own) throw new NotFoundError(ref.classes[0], ref.id);
  }
}

/** The JSON key of an own-tenant class's tenant. */
function tenantKey(rule: ProjectRule<ModelClass> | undefined): string {
  return rule && 'own' in rule ? (rule.json ?? 'tenantId') : 'tenantId';
}

/** A tenant_admin's POST/PUT body: the tenant (`key`) is its project (set when absent). */
function claimBody(ctx: RequestContext, identity: Identity, set: boolean, key: string): void {
  const body = ctx.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const dto = body as Dto;
  const given = dto[key];
  if (given === undefined || given === null) {
    if (set) dto[key] = identity.tenantId;
    return;
  }
  if (given !== identity.tenantId) throw forbidden(OTHER_PROJECT_MESSAGE);
}

async function filterList(reply: Reply, keep: (item: Dto) => Promise<boolean>): Promise<Reply> {
  if (reply.items) {
    const source = reply.items;
    const items = (async function* () {
      for await (const item of source) {
        if (item !== undefined && (await keep((item instanceof JsonText ? item.dto : item) as Dto))) yield item;
      }
    })();
    return { ...reply, items };
  }
  if (Array.isArray(reply.body)) {
    const body = reply.body as Dto[];
    const flags = await Promise.all(body.map((x) => keep(x instanceof JsonText ? (x.dto as Dto) : x)));
    return { ...reply, body: body.filter((_x, i) => flags[i]) };
  }
  return reply;
}

/** What a tenant role's request runs instead of `original`; undefined: the route is for admins only. */
function scoped(rules: Rules, tenancy: RouteTenancy, original: Handler): Handler | undefined {
  switch (tenancy.kind) {
    case 'admin':
      return undefined;
    case 'open':
      return original;
    case 'custom':
      return tenancy.wrap(original);
    case 'list': {
      const rule = rules.get(tenancy.clazz);
      return async (ctx) => {
        const identity = ctx.identity as Identity;
        const reply = await original(ctx);
        return filterList(reply, async (item) => {
          if (rule && 'own' in rule) return item[tenantKey(rule)] === identity.tenantId;
          const id = item['id'];
          return typeof id === 'string' && (await ownerOfId(rules, ctx, tenancy.clazz, id)).owner === identity.tenantId;
        });
      };
    }
    case 'create':
      return async (ctx) => {
        const identity = ctx.identity as Identity;
        claimBody(ctx, identity, true, tenancy.key ?? 'tenantId');
        if (tenancy.body) await requireOwnReferences(rules, ctx, tenancy.body, identity);
        return original(ctx);
      };
    case 'own':
      return async (ctx) => {
        const identity = ctx.identity as Identity;
        if (await isOthers(rules, ctx, tenancy.clazz, identity)) {
          if (tenancy.missing === 204) return { status: 204 };
          throw new NotFoundError(tenancy.clazz, String(ctx.params['id']).toLowerCase());
        }
        const rule = rules.get(tenancy.clazz);
        // a PUT that names no tenant keeps the object in the caller's project
        if (tenancy.claim) claimBody(ctx, identity, !!rule && 'own' in rule, tenantKey(rule));
        if (tenancy.body) {
          // a PUT's body is checked against the object it replaces, a child's POST on its own
          const current = tenancy.claim && ctx.params['id'] ? await cachedGet(ctx, tenancy.clazz, ctx.params['id'].toLowerCase()) : null;
          if (!tenancy.claim || current) await requireOwnReferences(rules, ctx, tenancy.body, identity, current ?? undefined);
        }
        return original(ctx);
      };
  }
}

/**
 * The routes with tenant scoping applied: admins reach the original handlers; tenant roles go
 * through what each route's tenancy says, or get 403.
 */
export function scopeRoutes(routes: readonly RouteDef[], resources: readonly AnyResource[]): RouteDef[] {
  const rules = new Map<ModelClass, ProjectRule<ModelClass>>();
  for (const def of resources) if (def.project) rules.set(def.clazz, def.project);
  return routes.map((route) => {
    const tenancy = route.tenancy ?? { kind: 'admin' };
    const forTenants = scoped(rules, tenancy, route.handler);
    // a tenant_user's write: 403, but after the ownership checks, so that another project's
    // objects stay invisible (404); routes open to all answer for themselves (tenants: 405)
    const readOnly =
      isWrite(route.method) && tenancy.kind !== 'open'
        ? scoped(rules, tenancy, async () => {
            throw forbidden(READ_ONLY_MESSAGE);
          })
        : undefined;
    const handler: Handler = async (ctx) => {
      const identity = ctx.identity;
      if (!identity || isAdmin(identity)) return route.handler(ctx);
      if (!forTenants) throw forbidden(ADMIN_ONLY_MESSAGE);
      if (readOnly && !identity.roles.includes(Roles.tenantAdmin)) {
        await readOnly(ctx);
        throw forbidden(READ_ONLY_MESSAGE);
      }
      return forTenants(ctx);
    };
    return { ...route, handler };
  });
}
