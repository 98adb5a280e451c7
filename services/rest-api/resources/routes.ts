/**
 * Routes (`/routes/{id}`, `/routers/{id}/routes`; rest-api-core.md §6.5). A route with a next-hop
 * port is owned by that port; any other route by the router it was posted to.
 */
import { badRequest } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { enumType, T, V } from '../machinery/field-types.js';
import { pathId, renderAll } from '../machinery/handlers.js';
import type { ResourceDef, RouteDef } from '../machinery/types.js';
import { idField, media, refLink, ro, subnetPair } from './common.js';
import type { Route } from '../../../lib/models/generated.js';
import { learnedRoutes } from './learned-routes.js';

const ROUTE_TYPES = { Normal: 'PORT', BlackHole: 'BLACKHOLE', Reject: 'REJECT', Local: 'LOCAL', Fip64: 'FIP64' };

export const routes: ResourceDef<'Route'> = {
  name: 'route',
  clazz: 'Route',
  segment: 'routes',
  media: media('Route', [1]),
  fields: [
    idField,
    {
      json: 'type',
      type: enumType(ROUTE_TYPES, message('RouteNextHopPortInvalid')),
      access: 'create',
      required: true,
      proto: 'next_hop',
    },
    ...subnetPair<Route>('srcNetworkAddr', 'srcNetworkLength', 'src_subnet', { required: true }),
    ...subnetPair<Route>('dstNetworkAddr', 'dstNetworkLength', 'dst_subnet', { required: true }),
    { json: 'nextHopPort', type: T.uuid, access: 'create', proto: 'next_hop_port_id' },
    {
      json: 'nextHopGateway',
      type: T.string,
      access: 'create',
      validators: [V.ipv4()],
      owns: ['next_hop_gateway'],
      read: (p) => p.next_hop_gateway?.address ?? null,
      write: (v, p) => {
        if (typeof v === 'string') p.next_hop_gateway = { version: 'V4', address: v };
      },
    },
    { json: 'weight', type: T.int32, access: 'create', proto: 'weight', default: 0, validators: [V.min(0)] },
    { json: 'attributes', type: T.string, access: 'create', proto: 'attributes' },
    ro('routerId', T.uuid, 'router_id'),
    { json: 'learned', type: T.bool, access: 'ro', read: () => false },
  ],
  links: [refLink('router', 'routers', 'router_id')],
  list: false,
  update: false,
  delete: { missing: 204 },
  parents: [{ segment: 'routers', clazz: 'Router', childIds: 'route_ids', parentRef: 'router_id', list: false }],
  // a route with a next-hop port keeps no router_id (beforeCreate): its port's device is its owner
  project: {
    via: [
      { field: 'router_id', clazz: 'Router' },
      { field: 'next_hop_port_id', clazz: 'Port' },
    ],
  },
  hooks: {
    async beforeCreate(tx, proto) {
      const routerId = String(proto.router_id);
      const port = proto.next_hop_port_id;
      if (proto.next_hop === 'PORT') {
        const p = port !== undefined ? await tx.getOrNull('Port', port) : null;
        if (!p || p.router_id !== routerId) throw badRequest(message('RouteNextHopPortValid'));
      }
      // A route with a next-hop port belongs to the port; the router is derived when read.
      if (port !== undefined) delete proto.router_id;
    },
    async decorate(json, proto, ctx) {
      const port = proto.next_hop_port_id;
      if (json['routerId'] !== null || port === undefined) return;
      const p = await ctx.storage.getOrNull('Port', port);
      if (p?.router_id !== undefined) {
        json['routerId'] = p.router_id;
        json['router'] = `${ctx.base}/routers/${p.router_id}`;
      }
    },
  },
};

/**
 * GET /routers/{id}/routes: the router's own routes, those of each of its ports, and the routes
 * the agents learned by BGP on its ports (`learned: true`, learned-routes.ts).
 */
export const routerRoutesList: RouteDef = {
  method: 'GET',
  path: '/routers/:id/routes',
  regime: 'E',
  produces: media('Route', [1]).collection,
  // below a router: tenants see their own routers' routes
  tenancy: { kind: 'own', clazz: 'Router' },
  async handler(ctx) {
    const router = await ctx.storage.get('Router', pathId(ctx));
    const portsOfRouter = await ctx.storage.getExisting('Port', router.port_ids ?? []);
    const routeIds = [...(router.route_ids ?? []), ...portsOfRouter.flatMap((p) => p.route_ids ?? [])];
    const [found, learned] = await Promise.all([ctx.storage.getExisting('Route', [...new Set(routeIds)]), learnedRoutes(ctx, portsOfRouter)]);
    const learnedJson = await renderAll(routes, learned, ctx);
    for (const json of learnedJson) json['learned'] = true;
    return { status: 200, body: [...(await renderAll(routes, found, ctx)), ...learnedJson] };
  },
};
