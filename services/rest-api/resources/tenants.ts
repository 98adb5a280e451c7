/**
 * Tenants (rest-api-core.md §4.4): read from the auth provider, never stored; writes are 405
 * with the original's TenantUnmodifiable message.
 */
import { HttpError } from '../../../lib/http/errors.js';
import { collection, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import type { Tenant } from '../../../lib/auth/provider.js';
import type { RequestContext, RouteDef } from '../machinery/types.js';

function tenantJson(t: Tenant, base: string): Record<string, unknown> {
  const q = `?tenant_id=${encodeURIComponent(t.id)}`;
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    enabled: t.enabled,
    uri: `${base}/tenants/${encodeURIComponent(t.id)}`,
    routers: `${base}/routers${q}`,
    bridges: `${base}/bridges${q}`,
    chains: `${base}/chains${q}`,
    portGroups: `${base}/port_groups${q}`,
  };
}

const unmodifiable = async (): Promise<never> => {
  throw new HttpError(405, message('TenantUnmodifiable'));
};

function token(ctx: RequestContext): string | null {
  return ctx.identity?.token ?? null;
}

export const tenantRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/tenants',
    regime: 'E',
    produces: [collection('Tenant', 2)],
    async handler(ctx) {
      const limit = Number.parseInt(ctx.query['limit'] ?? '', 10);
      const list = await ctx.auth.tenants(token(ctx), ctx.query['marker'], Number.isNaN(limit) ? undefined : limit);
      return { status: 200, body: list.map((t) => tenantJson(t, ctx.base)) };
    },
  },
  {
    method: 'GET',
    path: '/tenants/:id',
    regime: 'E',
    produces: [single('Tenant', 2)],
    async handler(ctx) {
      const t = await ctx.auth.tenant(token(ctx), ctx.params['id'] ?? '');
      return { status: 200, body: tenantJson(t, ctx.base) };
    },
  },
  { method: 'POST', path: '/tenants', handler: unmodifiable },
  { method: 'PUT', path: '/tenants/:id', handler: unmodifiable },
  { method: 'DELETE', path: '/tenants/:id', handler: unmodifiable },
];
