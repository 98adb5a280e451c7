/**
 * Tenants (rest-api-core.md §4.4, auth-https-deploy.md §1.3): read from the auth provider, never
 * stored. GET is explicit negotiation (E) with Tenant-v2 / collection.Tenant-v2 only; POST and
 * PUT (which consume Tenant-v2) and DELETE answer 405 with the original's TenantUnmodifiable
 * message. Each tenant links to the bridges, routers, chains and port groups that name it,
 * i.e. the collection URIs with `?tenant_id=<id>` (§6.19).
 */
import { header } from '../../../lib/http/exchange.js';
import { AuthError, type Identity, type Tenant } from '../../../lib/auth/provider.js';
import { HttpError } from '../../../lib/http/errors.js';
import { collection, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { checkRequestType } from '../machinery/negotiate.js';
import type { Handler, RequestContext, RouteDef, RouteTenancy } from '../machinery/types.js';

export const TENANT_TYPE = single('Tenant', 2);
export const TENANT_COLLECTION_TYPE = collection('Tenant', 2);

/** Collections whose `?tenant_id=` filter a tenant links to: JSON key → path segment. */
export const TENANT_LINKS: Readonly<Record<string, string>> = {
  routers: 'routers',
  bridges: 'bridges',
  chains: 'chains',
  portGroups: 'port_groups',
};

export function tenantJson(t: Tenant, base: string): Record<string, unknown> {
  const q = `?tenant_id=${encodeURIComponent(t.id)}`;
  const json: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    description: t.description,
    enabled: t.enabled,
    uri: `${base}/tenants/${encodeURIComponent(t.id)}`,
  };
  for (const [key, segment] of Object.entries(TENANT_LINKS)) json[key] = `${base}/${segment}${q}`;
  return json;
}

/** A provider failure keeps the provider's status and message (Keystone: 401 / 503). */
async function fromProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof AuthError) throw new HttpError(e.status, e.message, { headers: e.headers });
    throw e;
  }
}

/** `limit` is an int; anything else is ignored, as in the original. */
function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^[+-]?\d{1,10}$/.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

function token(ctx: RequestContext): string | null {
  return ctx.identity?.token ?? null;
}

/**
 * POST/PUT consume Tenant-v2: a Content-Type that is given and not compatible is 415 (JAX-RS);
 * otherwise, and always for DELETE, 405 with the TenantUnmodifiable message.
 */
const unmodifiable: Handler = async (ctx) => {
  const contentType = header(ctx.req, 'content-type');
  if (ctx.req.method !== 'DELETE' && contentType !== undefined && contentType.trim() !== '') {
    checkRequestType('E', contentType, [TENANT_TYPE]);
  }
  throw new HttpError(405, message('TenantUnmodifiable'));
};

/** Tenant roles see their own project only: the list is theirs alone, another's is missing. */
const ownTenantOnly: RouteTenancy = {
  kind: 'custom',
  wrap: () => async (ctx) => {
    const identity = ctx.identity as Identity;
    const t = await fromProvider(() => ctx.auth.tenant(identity.token, identity.tenantId));
    return { status: 200, body: [tenantJson(t, ctx.base)] };
  },
};

const ownTenant: RouteTenancy = {
  kind: 'custom',
  wrap: (original) => async (ctx) => {
    if (ctx.params['id'] !== (ctx.identity as Identity).tenantId) throw new HttpError(404, `The requested resource was not found.`);
    return original(ctx);
  },
};

export const tenantRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/tenants',
    regime: 'E',
    produces: [TENANT_COLLECTION_TYPE],
    tenancy: ownTenantOnly,
    async handler(ctx) {
      const list = await fromProvider(() => ctx.auth.tenants(token(ctx), ctx.query['marker'], parseLimit(ctx.query['limit'])));
      return { status: 200, body: list.map((t) => tenantJson(t, ctx.base)) };
    },
  },
  {
    method: 'GET',
    path: '/tenants/:id',
    regime: 'E',
    produces: [TENANT_TYPE],
    tenancy: ownTenant,
    async handler(ctx) {
      const t = await fromProvider(() => ctx.auth.tenant(token(ctx), ctx.params['id'] ?? ''));
      return { status: 200, body: tenantJson(t, ctx.base) };
    },
  },
  // 405 for everyone, tenant roles included
  { method: 'POST', path: '/tenants', tenancy: { kind: 'open' }, handler: unmodifiable },
  { method: 'PUT', path: '/tenants/:id', tenancy: { kind: 'open' }, handler: unmodifiable },
  { method: 'DELETE', path: '/tenants/:id', tenancy: { kind: 'open' }, handler: unmodifiable },
];
