/**
 * L4 load balancing, the load balancers and health monitors (rest-api-extras.md §2.2, §2.6). The
 * object graph (§2.1) is kept by the bindings: a load balancer's pools go with it
 * (LoadBalancer.pool_ids CASCADE), a router is linked to a load balancer from the router's side
 * only (Router.load_balancer_id, which refuses the router's deletion while set), a health monitor
 * leaves the pools it served without one (HealthMonitor.pool_ids CLEAR).
 */
import { badRequest } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { requireObjectBody } from '../machinery/dto.js';
import { enumType, T } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { adminStateField, idField, media, refLink, ro, rw, subLink } from './common.js';

export const loadBalancers: ResourceDef<'LoadBalancer'> = {
  name: 'load balancer',
  clazz: 'LoadBalancer',
  segment: 'load_balancers',
  media: media('LoadBalancer', [1]),
  fields: [idField, adminStateField, ro('routerId', T.uuid, 'router_id')],
  links: [refLink('router', 'routers', 'router_id'), subLink('pools', 'pools'), subLink('vips', 'vips')],
  create: {},
  update: {},
  delete: { missing: 204 },
  hooks: {
    validate(_dto, ctx, mode, current) {
      // routerId is the router's to set (PUT router loadBalancerId); the original says so on a
      // POST that names one, and refuses a PUT that differs from what is stored, absent included
      const given = T.uuid.parse(requireObjectBody(ctx.body)['routerId'], 'routerId');
      if (mode === 'create' && given !== null) throw badRequest(message('RouterIdIsInvalidInLoadBalancer'));
      if (mode === 'update' && given !== (current?.router_id ?? null)) throw badRequest('Router cannot be modified');
    },
  },
};

export const healthMonitors: ResourceDef<'HealthMonitor'> = {
  name: 'health monitor',
  clazz: 'HealthMonitor',
  segment: 'health_monitors',
  media: media('HealthMonitor', [1]),
  fields: [
    idField,
    // a Java boolean: absent on PUT is false; POST stores true whatever is sent (beforeCreate)
    rw('adminStateUp', T.bool, 'admin_state_up', { default: false }),
    rw('type', enumType({ TCP: 'TCP' }), 'type', { required: true }),
    rw('delay', T.int32, 'delay', { default: 0 }),
    rw('timeout', T.int32, 'timeout', { default: 0 }),
    rw('maxRetries', T.int32, 'max_retries', { default: 0 }),
    // `status` is stored (ACTIVE) but, as in the original, never shown
  ],
  links: [subLink('pools', 'pools')],
  create: {},
  update: {},
  delete: { missing: 204 },
  hooks: {
    async beforeCreate(_tx, proto) {
      proto.admin_state_up = true;
      proto.status = 'ACTIVE';
    },
  },
};
