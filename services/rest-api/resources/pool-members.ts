/**
 * L4 load-balancing pool members (`/pool_members`, `/pools/{id}/pool_members`,
 * `/load_balancers/{id}/pools/{poolId}/pool_members`; rest-api-extras.md §2.4). A member's address
 * and port are fixed at creation: a PUT validates them and keeps the stored ones.
 */
import type { Violation } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { CLUSTER_NAMESPACE } from '../../../lib/nsdb/classes.js';
import { stateValue } from '../../../lib/nsdb/state-keys.js';
import { T, V } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { idField, media, refLink, ro, rw } from './common.js';
import { LB_STATUS } from './pools.js';

export const poolMembers: ResourceDef<'PoolMember'> = {
  name: 'pool member',
  clazz: 'PoolMember',
  segment: 'pool_members',
  media: media('PoolMember', [1]),
  fields: [
    idField,
    // a Java boolean: absent on PUT is false; POST stores true whatever is sent (beforeCreate)
    rw('adminStateUp', T.bool, 'admin_state_up', { default: false }),
    ro('status', LB_STATUS, 'status', { default: 'ACTIVE' }),
    // required, except below a pool, which names it (validate)
    rw('poolId', T.uuid, 'pool_id'),
    rw('address', T.ipAddress, 'address', { required: true, validators: [V.ipv4()] }),
    rw('protocolPort', T.int32, 'protocol_port', { default: 0, validators: [V.range(0, 65535)] }),
    rw('weight', T.int32, 'weight', { default: 1, validators: [V.min(1)] }),
  ],
  links: [refLink('pool', 'pools', 'pool_id')],
  create: {},
  update: {},
  delete: { missing: 204 },
  parents: [
    { segment: 'pools', clazz: 'Pool', childIds: 'pool_member_ids', parentRef: 'pool_id' },
    // the original serves the pool's members below its load balancer too, without looking at the load balancer
    { segment: 'load_balancers/:lbId/pools', clazz: 'Pool', childIds: 'pool_member_ids', parentRef: 'pool_id' },
  ],
  hooks: {
    validate(dto, ctx, mode): Violation[] {
      const belowPool = mode === 'create' && ctx.params['id'] !== undefined;
      return dto['poolId'] === null && !belowPool ? [{ property: 'poolId', message: message('NonNull') }] : [];
    },
    async beforeCreate(_tx, proto) {
      proto.admin_state_up = true;
      proto.status = 'ACTIVE';
    },
    async beforeUpdate(_tx, proto, current) {
      proto.address = current.address;
      proto.protocol_port = current.protocol_port;
    },
    async decorate(json, proto, ctx) {
      // LBaaS v2 members (MONITORED) show the health the agents' haproxy publishes
      if (proto.status !== 'MONITORED') return;
      if (proto.admin_state_up !== true) {
        json['status'] = 'INACTIVE';
        return;
      }
      const live = await stateValue(ctx.storage, CLUSTER_NAMESPACE, 'PoolMember', String(proto.id), 'status').catch(() => null);
      json['status'] = live ?? 'NO_MONITOR';
    },
  },
};
