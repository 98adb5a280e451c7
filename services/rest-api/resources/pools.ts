/**
 * L4 load-balancing pools (`/pools`, `/load_balancers/{id}/pools`, `/health_monitors/{id}/pools`;
 * rest-api-extras.md §2.3). A pool's members and VIPs go with it (Pool.pool_member_ids, vip_ids
 * CASCADE); moving it to another load balancer takes its VIPs along (theirs is derived).
 *
 * The hidden `mapping_status` tells the agents' health-monitor service that the pool's health
 * monitor changed: PENDING_CREATE until that service has set the pool up and moved it back to
 * ACTIVE. While it is pending, PUT and DELETE answer 503 (docs/decisions/0020-l4lb-quirks.md).
 */
import type { Pool } from '../../../lib/models/generated.js';
import { unavailable } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import { enumType, T } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { adminStateField, idField, media, refLink, ro, rw, subLink } from './common.js';

export const LB_STATUS = enumType({ ACTIVE: 'ACTIVE', INACTIVE: 'INACTIVE', MONITORED: 'MONITORED' });

const PENDING = new Set<Pool['mapping_status']>(['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE']);

/** 503 while the health-monitor service has not processed the pool's last mapping change. */
function refuseWhilePending(pool: Pool): void {
  const status = pool.mapping_status;
  if (PENDING.has(status)) throw unavailable(message('MappingStatusIsPending', String(status)), 3);
}

export const pools: ResourceDef<'Pool'> = {
  name: 'pool',
  clazz: 'Pool',
  segment: 'pools',
  media: media('Pool', [1]),
  fields: [
    idField,
    adminStateField,
    rw('healthMonitorId', T.uuid, 'health_monitor_id'),
    rw('loadBalancerId', T.uuid, 'load_balancer_id'),
    // the only protocol there is; what a client sends is checked and ignored
    ro('protocol', enumType({ TCP: 'TCP' }), 'protocol', { default: 'TCP' }),
    rw('lbMethod', enumType({ ROUND_ROBIN: 'ROUND_ROBIN' }), 'lb_method', { required: true }),
    // set by the agents' health monitoring; a client's value is ignored
    ro('status', LB_STATUS, 'status', { default: 'ACTIVE' }),
  ],
  links: [
    refLink('healthMonitor', 'health_monitors', 'health_monitor_id'),
    refLink('loadBalancer', 'load_balancers', 'load_balancer_id'),
    subLink('vips', 'vips'),
    subLink('poolMembers', 'pool_members'),
  ],
  create: {},
  update: {},
  delete: { missing: 204 },
  // a value that is no UUID names no health monitor (the original fails with 500)
  filters: { hm_id: (p, v) => isUuid(v) && p.health_monitor_id === v.toLowerCase() },
  parents: [
    { segment: 'load_balancers', clazz: 'LoadBalancer', childIds: 'pool_ids', parentRef: 'load_balancer_id' },
    { segment: 'health_monitors', clazz: 'HealthMonitor', childIds: 'pool_ids', parentRef: 'health_monitor_id', create: false },
  ],
  hooks: {
    async beforeCreate(_tx, proto) {
      proto.protocol = 'TCP';
      proto.status = 'ACTIVE';
      proto.mapping_status = proto.health_monitor_id !== undefined ? 'PENDING_CREATE' : 'ACTIVE';
    },
    async beforeUpdate(_tx, proto, current) {
      refuseWhilePending(current);
      proto.mapping_status = proto.health_monitor_id !== current.health_monitor_id ? 'PENDING_CREATE' : 'ACTIVE';
    },
    async beforeDelete(_tx, current) {
      refuseWhilePending(current);
    },
  },
};
