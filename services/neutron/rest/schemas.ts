/**
 * The JSON of the Neutron objects (the original's `rest_api/neutron/models` DTOs): keys, kinds,
 * defaults, and the enums' JSON spellings, in the order the original prints them.
 */
import type { Protocol } from '../../../lib/models/generated.js';
import { bool, cidr, enumOf, field, int, ip, JsonInputError, list, object, string, uuid, type Schema } from './json.js';

const NETWORK_TYPES = { LOCAL: 'LOCAL', FLAT: 'FLAT', GRE: 'GRE', VLAN: 'VLAN', UPLINK: 'UPLINK' };

/** `provider:network_type`: any case; unknown types are null. */
const networkType = enumOf(NETWORK_TYPES, (t) => (t.toUpperCase() in NETWORK_TYPES ? t.toUpperCase() : null));

export const network: Schema = [
  field('id', uuid),
  field('name', string),
  field('status', string),
  field('shared', bool(false), false),
  field('tenant_id', string),
  field('admin_state_up', bool(false), false),
  field('router:external', bool(false), false, 'external'),
  field('provider:network_type', networkType, null, 'network_type'),
  field('qos_policy_id', uuid),
];

const allocationPool: Schema = [field('start', ip), field('end', ip)];
const route: Schema = [field('destination', cidr), field('nexthop', ip)];

export const subnet: Schema = [
  field('id', uuid),
  field('name', string),
  field('ip_version', int),
  field('network_id', uuid),
  field('cidr', cidr),
  field('gateway_ip', ip),
  field('allocation_pools', list(object(allocationPool)), []),
  field('dns_nameservers', list(ip), []),
  field('host_routes', list(object(route)), []),
  field('tenant_id', string),
  field('enable_dhcp', bool(false), false),
  field('shared', bool(false), false),
];

const DEVICE_OWNERS: Readonly<Record<string, string>> = {
  'network:dhcp': 'DHCP',
  'network:floatingip': 'FLOATINGIP',
  'network:router_gateway': 'ROUTER_GATEWAY',
  'network:router_interface': 'ROUTER_INTERFACE',
  'compute:nova': 'COMPUTE',
  'neutron:LOADBALANCER': 'LOADBALANCER',
  'network:remote_site': 'REMOTE_SITE',
  'neutron:LOADBALANCERV2': 'LOADBALANCERV2',
};

/** `compute:<zone>` is a VM port; the other owners in any case; unknown owners are null. */
function readDeviceOwner(text: string): string | null {
  if (text.toLowerCase().startsWith('compute:')) return 'compute:nova';
  return Object.keys(DEVICE_OWNERS).find((o) => o.toLowerCase() === text.toLowerCase()) ?? null;
}

const ipAllocation: Schema = [field('ip_address', ip), field('subnet_id', uuid)];
const bindingProfile: Schema = [field('interface_name', string)];
const addressPair: Schema = [field('ip_address', cidr), field('mac_address', string)];
const extraDhcpOpt: Schema = [field('opt_name', string), field('opt_value', string)];

export const port: Schema = [
  field('id', uuid),
  field('name', string),
  field('network_id', uuid),
  field('admin_state_up', bool(false), false),
  field('mac_address', string),
  field('fixed_ips', list(object(ipAllocation)), []),
  field('device_id', string),
  // a stored port without an owner is a VM port (the proto default)
  field('device_owner', enumOf(DEVICE_OWNERS, readDeviceOwner, 'compute:nova')),
  field('tenant_id', string),
  field('status', string),
  field('security_groups', list(uuid), []),
  field('binding:host_id', string, null, 'host_id'),
  field('binding:profile', object(bindingProfile), null, 'profile'),
  field('port_security_enabled', bool(true), true),
  field('allowed_address_pairs', list(object(addressPair)), null),
  field('extra_dhcp_opts', list(object(extraDhcpOpt)), []),
  field('qos_policy_id', uuid),
];

const DIRECTIONS = { egress: 'EGRESS', ingress: 'INGRESS' };
const ETHERTYPES = { arp: 'ARP', ipv4: 'IPV4', ipv6: 'IPV6' };

const PROTOCOL_NAMES: Readonly<Record<string, Protocol>> = {
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  icmpv6: 'ICMPV6',
  ah: 'AH',
  dccp: 'DCCP',
  egp: 'EGP',
  esp: 'ESP',
  gre: 'GRE',
  igmp: 'IGMP',
  ipv6_encap: 'IPV6_ENCAP',
  ipv6_frag: 'IPV6_FRAG',
  ipv6_nonxt: 'IPV6_NONXT',
  ipv6_opts: 'IPV6_OPTS',
  ipv6_route: 'IPV6_ROUTE',
  ospf: 'OSPF',
  pgm: 'PGM',
  rsvp: 'RSVP',
  sctp: 'SCTP',
  udplite: 'UDPLITE',
  vrrp: 'VRRP',
};

const PROTOCOL_BY_NUMBER: Readonly<Record<number, string>> = {
  6: 'tcp',
  17: 'udp',
  1: 'icmp',
  58: 'icmpv6',
  51: 'ah',
  33: 'dccp',
  8: 'egp',
  50: 'esp',
  47: 'gre',
  2: 'igmp',
  41: 'ipv6_encap',
  44: 'ipv6_frag',
  59: 'ipv6_nonxt',
  60: 'ipv6_opts',
  43: 'ipv6_route',
  89: 'ospf',
  113: 'pgm',
  46: 'rsvp',
  132: 'sctp',
  136: 'udplite',
  112: 'vrrp',
};

/** A protocol name (any case) or number; anything else is refused (400), as the original does. */
function readProtocol(text: string): string {
  if (/^[+-]?\d+$/.test(text.trim())) {
    const n = Number(text);
    // the original takes the number's low byte
    const name = PROTOCOL_BY_NUMBER[((n % 256) + 256) % 256];
    if (!name) throw new JsonInputError(`No RuleProtocol for number ${n}`);
    return name;
  }
  const name = text.toLowerCase();
  if (!(name in PROTOCOL_NAMES)) throw new JsonInputError(`No RuleProtocol for string ${text}`);
  return name;
}

const lenient = (values: Readonly<Record<string, string>>) => (t: string) => (t.toLowerCase() in values ? t.toLowerCase() : null);

export const securityGroupRule: Schema = [
  field('id', uuid),
  field('security_group_id', uuid),
  field('remote_group_id', uuid),
  field('direction', enumOf(DIRECTIONS, lenient(DIRECTIONS))),
  field('protocol', enumOf(PROTOCOL_NAMES, readProtocol)),
  field('port_range_min', int),
  field('port_range_max', int),
  field('ethertype', enumOf(ETHERTYPES, lenient(ETHERTYPES))),
  field('remote_ip_prefix', string),
  field('tenant_id', string),
];

export const securityGroup: Schema = [
  field('id', uuid),
  field('name', string),
  field('description', string),
  field('tenant_id', string),
  field('security_group_rules', list(object(securityGroupRule)), []),
];
