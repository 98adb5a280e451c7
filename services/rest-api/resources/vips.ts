/**
 * L4 load-balancing VIPs (`/vips`, `/pools/{id}/vips`, `/load_balancers/{id}/vips`;
 * rest-api-extras.md §2.5). A VIP belongs to a pool; its load balancer is the pool's, derived
 * when read and never stored. A pool that does not exist is a 400 here, not a 404, as in the
 * original.
 */
import type { Vip } from '../../../lib/models/generated.js';
import { badRequest, type Violation } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { enumType, T, V } from '../machinery/field-types.js';
import { cachedGet, pathId, renderAll } from '../machinery/handlers.js';
import type { RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
import { adminStateField, idField, media, refLink, rw } from './common.js';

async function requirePool(tx: Transaction, vip: Vip): Promise<void> {
  const id = String(vip.pool_id);
  if (!(await tx.exists('Pool', id))) throw badRequest(message('ResourceNotFound', 'Pool', id));
}

const VIP_MEDIA = media('VIP', [1]);

export const vips: ResourceDef<'Vip'> = {
  name: 'VIP',
  clazz: 'Vip',
  segment: 'vips',
  media: VIP_MEDIA,
  fields: [
    idField,
    adminStateField,
    { json: 'loadBalancerId', type: T.uuid, access: 'ro', read: () => null },
    // required, except below a pool, which names it (validate)
    rw('poolId', T.uuid, 'pool_id'),
    rw('address', T.ipAddress, 'address', { required: true, validators: [V.ipv4('is an invalid IP format')] }),
    rw('protocolPort', T.int32, 'protocol_port', { default: 0, validators: [V.range(0, 65535)] }),
    rw('sessionPersistence', enumType({ SOURCE_IP: 'SOURCE_IP' }), 'session_persistence'),
  ],
  links: [{ json: 'loadBalancer', href: () => null }, refLink('pool', 'pools', 'pool_id')],
  get: { regime: 'E' },
  list: { regime: 'E' },
  create: {},
  update: {},
  delete: { missing: 204 },
  // GET /pools/{id}/vips is listVips below (explicit negotiation)
  parents: [{ segment: 'pools', clazz: 'Pool', childIds: 'vip_ids', parentRef: 'pool_id', list: false }],
  hooks: {
    validate(dto, ctx, mode): Violation[] {
      const belowPool = mode === 'create' && ctx.params['id'] !== undefined;
      return dto['poolId'] === null && !belowPool ? [{ property: 'poolId', message: message('NonNull') }] : [];
    },
    async beforeCreate(tx, proto) {
      await requirePool(tx, proto);
    },
    // The gateway port Neutron sets (LBaaS v1) is kept, where the original's PUT drops it (0020).
    async beforeUpdate(tx, proto) {
      await requirePool(tx, proto);
    },
    async decorate(json, proto, ctx) {
      const pool = proto.pool_id !== undefined ? await cachedGet(ctx, 'Pool', proto.pool_id) : null;
      const lb = pool?.load_balancer_id ?? null;
      json['loadBalancerId'] = lb;
      json['loadBalancer'] = lb !== null ? `${ctx.base}/load_balancers/${lb}` : null;
    },
  },
};

async function renderVips(ctx: RequestContext, ids: readonly string[]) {
  return { status: 200, body: await renderAll(vips, await ctx.storage.getExisting('Vip', ids), ctx) };
}

export const vipRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/pools/:id/vips',
    regime: 'E',
    produces: VIP_MEDIA.collection,
    async handler(ctx) {
      const pool = await ctx.storage.get('Pool', pathId(ctx));
      return renderVips(ctx, pool.vip_ids ?? []);
    },
  },
  {
    method: 'GET',
    path: '/load_balancers/:id/vips',
    regime: 'E',
    produces: VIP_MEDIA.collection,
    async handler(ctx) {
      const lb = await ctx.storage.get('LoadBalancer', pathId(ctx));
      const poolsOfLb = await ctx.storage.getExisting('Pool', lb.pool_ids ?? []);
      return renderVips(
        ctx,
        poolsOfLb.flatMap((p) => p.vip_ids ?? []),
      );
    },
  },
  // VIPs are created below their pool; the original answers 405 here without an Allow header
  { method: 'POST', path: '/load_balancers/:id/vips', handler: async () => ({ status: 405 }) },
];
