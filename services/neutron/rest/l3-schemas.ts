/**
 * The JSON of the Neutron L3 objects (the original's `Router`, `RouterInterface` and
 * `FloatingIp` DTOs): keys, kinds and defaults, in the order the original prints them.
 */
import { bool, cidr, field, ip, list, object, string, uuid, type Schema } from './json.js';

const externalGatewayInfo: Schema = [field('network_id', uuid), field('enable_snat', bool(false), false)];
const route: Schema = [field('destination', cidr), field('nexthop', ip)];

export const router: Schema = [
  field('id', uuid),
  field('name', string),
  field('status', string),
  field('tenant_id', string),
  field('admin_state_up', bool(false), false),
  field('gw_port_id', uuid),
  field('external_gateway_info', object(externalGatewayInfo)),
  field('routes', list(object(route)), []),
];

export const routerInterface: Schema = [
  field('id', uuid),
  field('tenant_id', string),
  field('port_id', uuid),
  field('subnet_id', uuid),
  field('subnet_ids', list(uuid)),
];

export const floatingIp: Schema = [
  field('id', uuid),
  field('floating_ip_address', ip),
  field('floating_network_id', uuid),
  field('router_id', uuid),
  field('port_id', uuid),
  field('fixed_ip_address', ip),
  field('tenant_id', string),
];
