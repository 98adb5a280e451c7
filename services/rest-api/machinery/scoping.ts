/**
 * Tenant scoping (`cluster.auth.tenant_scoping = true`; off by default, when only `admin` gets
 * in, as in the original, auth-https-deploy.md §1.1). With it on, identities with MidoNet role
 * `tenant_admin` or `tenant_user` (and not `admin`) get a view of their own project only:
 *
 * - objects with a tenant (bridges, routers, chains, port groups: `tenantId`) belong to that
 *   project; ports, routes and rules belong to the project of their bridge/router/chain;
 * - lists keep only the project's objects (filtered here, on the server);
 * - GET/PUT/DELETE of another project's object, and of anything below it, is 404 — the same
 *   answer as for an object that does not exist;
 * - `tenant_user` reads only: POST/PUT/DELETE are 403;
 * - `tenant_admin` creates objects in its own project only (`tenantId` absent → its project,
 *   another project → 403) and cannot move an object to another project;
 * - `GET /` (the root document) and `/tenants` (its own project only) are open to both;
 * - everything else (hosts, tunnel zones, IP address groups, system state, port links, MAC/ARP
 *   tables, DHCP, ...) stays reserved to `admin`: 403.
 *
 * Applied by wrapping the route handlers (admins go straight to the original handler).
 */
import { AuthError, Roles, type Identity } from '../../../lib/auth/provider.js';
import { HttpError } from '../../../lib/http/errors.js';
import type { ModelClass } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import { NotFoundError } from '../../../lib/nsdb/errors.js';
import { tenantJson } from '../resources/tenants.js';
import { cachedGet } from './handlers.js';
import type { Dto, Handler, Reply, RequestContext, AnyResource, RouteDef } from './types.js';

export const ADMIN_ONLY_MESSAGE = 'This operation is reserved for administrators.';
export const READ_ONLY_MESSAGE = 'A tenant user may not create, modify or delete objects.';
export const OTHER_PROJECT_MESSAGE = 'Objects can only be created in, or moved to, the caller\'s own project.';

/** Classes without a tenant of their own: [class of the owner, field naming it], first match wins. */
const OWNER_REFS: Readonly<Record<string, readonly (readonly [ModelClass, string])[]>> = {
  Port: [
    ['Network', 'network_id'],
    ['Router', 'router_id'],
  ],
  Route: [['Router', 'router_id']],
  Rule: [['Chain', 'chain_id']],
};

const TENANT_CLASSES = new Set<string>();

export function isAdmin(identity: Identity | undefined): boolean {
  return !!identity?.roles.includes(Roles.admin);
}

/** Whether an identity passes the auth filter: admin always; tenant roles only with scoping. */
export function mayEnter(identity: Identity, tenantScoping: boolean): boolean {
  if (isAdmin(identity)) return true;
  return tenantScoping && (identity.roles.includes(Roles.tenantAdmin) || identity.roles.includes(Roles.tenantUser));
}

/** The JSON key of a declaration's own tenant (`tenantId`, or `tenant_id` for QoS policies), if it has one. */
function tenantKey(def: AnyResource): string | undefined {
  return def.fields.find((f) => f.proto === 'tenant_id')?.json;
}

/** The project an object belongs to; null when it has none (and cannot be derived). */
export async function ownerOf(ctx: RequestContext, clazz: ModelClass, proto: Msg, depth = 0): Promise<string | null> {
  if (TENANT_CLASSES.has(clazz)) {
    const t = proto['tenant_id'];
    return typeof t === 'string' && t !== '' ? t : null;
  }
  if (depth > 3) return null;
  for (const [ownerClazz, field] of OWNER_REFS[clazz] ?? []) {
    const id = proto[field];
    if (typeof id !== 'string' || id === '') continue;
    const owner = await cachedGet(ctx, ownerClazz, id);
    return owner ? ownerOf(ctx, ownerClazz, owner, depth + 1) : null;
  }
  return null;
}

async function ownerOfId(ctx: RequestContext, clazz: ModelClass, id: string): Promise<{ exists: boolean; owner: string | null }> {
  const proto = await cachedGet(ctx, clazz, id.toLowerCase());
  if (!proto) return { exists: false, owner: null };
  return { exists: true, owner: await ownerOf(ctx, clazz, proto) };
}

function forbidden(message: string): HttpError {
  return new HttpError(403, message);
}

function isWrite(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'DELETE';
}

type Scoper = (route: RouteDef, original: Handler) => Handler;

/** Checks that the object named by `:id` (class `clazz`) is the caller's, else 404 as if missing. */
async function requireOwn(ctx: RequestContext, clazz: ModelClass, identity: Identity): Promise<void> {
  const id = ctx.params['id'];
  if (!id) return;
  const { exists, owner } = await ownerOfId(ctx, clazz, id);
  // a missing object: the original handler gives its own answer
  if (exists && owner !== identity.tenantId) throw new NotFoundError(clazz, id.toLowerCase());
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
        if (item !== undefined && (await keep(item as Dto))) yield item;
      }
    })();
    return { ...reply, items };
  }
  if (Array.isArray(reply.body)) {
    const body = reply.body as Dto[];
    const flags = await Promise.all(body.map((x) => keep(x)));
    return { ...reply, body: body.filter((_x, i) => flags[i]) };
  }
  return reply;
}

/** The per-route rules, by method and path template. */
function scopers(resources: readonly AnyResource[]): Map<string, Scoper> {
  const out = new Map<string, Scoper>();
  const key = (method: string, path: string): string => `${method} ${path}`;
  for (const def of resources) if (tenantKey(def) !== undefined) TENANT_CLASSES.add(def.clazz);
  for (const def of resources) {
    const tenantOwned = TENANT_CLASSES.has(def.clazz);
    const tenantJson = tenantKey(def) ?? 'tenantId';
    if (!tenantOwned && !OWNER_REFS[def.clazz]) continue;
    const seg = `/${def.segment}`;
    out.set(key('GET', seg), (_r, original) => async (ctx) => {
      const identity = ctx.identity as Identity;
      const reply = await original(ctx);
      return filterList(reply, async (item) => {
        if (tenantOwned) return item[tenantJson] === identity.tenantId;
        const id = item['id'];
        return typeof id === 'string' && (await ownerOfId(ctx, def.clazz, id)).owner === identity.tenantId;
      });
    });
    if (tenantOwned) {
      out.set(key('POST', seg), (_r, original) => async (ctx) => {
        claimBody(ctx, ctx.identity as Identity, true, tenantJson);
        return original(ctx);
      });
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      out.set(key(method, `${seg}/:id`), (_r, original) => async (ctx) => {
        const identity = ctx.identity as Identity;
        await requireOwn(ctx, def.clazz, identity);
        if (method === 'PUT') claimBody(ctx, identity, false, tenantJson);
        return original(ctx);
      });
    }
    for (const parent of def.parents ?? []) {
      for (const method of ['GET', 'POST']) {
        out.set(key(method, `/${parent.segment}/:id${seg}`), (_r, original) => async (ctx) => {
          await requireOwn(ctx, parent.clazz, ctx.identity as Identity);
          return original(ctx);
        });
      }
    }
  }
  const tenantOnly: Scoper = () => async (ctx) => {
    const identity = ctx.identity as Identity;
    try {
      const t = await ctx.auth.tenant(identity.token, identity.tenantId);
      return { status: 200, body: [tenantJson(t, ctx.base)] };
    } catch (e) {
      if (e instanceof AuthError) throw new HttpError(e.status, e.message, { headers: e.headers });
      throw e;
    }
  };
  out.set(key('GET', '/tenants'), tenantOnly);
  out.set(key('GET', '/tenants/:id'), (_r, original) => async (ctx) => {
    if (ctx.params['id'] !== (ctx.identity as Identity).tenantId) throw new HttpError(404, `The requested resource was not found.`);
    return original(ctx);
  });
  out.set(key('GET', '/'), (_r, original) => original);
  return out;
}

/**
 * The routes with tenant scoping applied: admins reach the original handlers; tenant roles go
 * through the rules above or get 403.
 */
export function scopeRoutes(routes: readonly RouteDef[], resources: readonly AnyResource[]): RouteDef[] {
  const rules = scopers(resources);
  return routes.map((route) => {
    const scoper = rules.get(`${route.method} ${route.path}`);
    const scoped: Handler = scoper ? scoper(route, route.handler) : async () => {
      throw forbidden(ADMIN_ONLY_MESSAGE);
    };
    const tenantsWrite = isWrite(route.method) && (route.path === '/tenants' || route.path === '/tenants/:id');
    const handler: Handler = async (ctx) => {
      const identity = ctx.identity;
      if (!identity || isAdmin(identity)) return route.handler(ctx);
      if (tenantsWrite) return route.handler(ctx); // 405 for everyone
      if (!scoper) throw forbidden(ADMIN_ONLY_MESSAGE);
      if (isWrite(route.method) && !identity.roles.includes(Roles.tenantAdmin)) {
        // tenant_user: 403, but after the ownership checks, so that another project's objects
        // stay invisible (404)
        await scoper(route, async () => {
          throw forbidden(READ_ONLY_MESSAGE);
        })(ctx);
        throw forbidden(READ_ONLY_MESSAGE);
      }
      return scoped(ctx);
    };
    return { ...route, handler };
  });
}
