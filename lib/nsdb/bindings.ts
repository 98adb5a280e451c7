/**
 * Referential integrity as data: the original's `declareBinding` table (storage.md §5.3),
 * one row per binding, both directions. The transaction engine reads it; nothing else encodes a
 * relation between two classes.
 */
import type { ModelClass, UuidFields } from '../models/generated.js';

export type DeleteAction = 'CASCADE' | 'CLEAR' | 'ERROR';

type Row = readonly [ModelClass, string, DeleteAction, ModelClass, string, DeleteAction];

/** One row; the compiler checks that each field is a UUID field of its class. */
function bind<A extends ModelClass, B extends ModelClass>(a: A, fa: UuidFields[A], da: DeleteAction, b: B, fb: UuidFields[B], db: DeleteAction): Row {
  return [a, fa, da, b, fb, db];
}

const TABLE: readonly Row[] = [
  bind('Network', 'port_ids', 'CASCADE', 'Port', 'network_id', 'CLEAR'),
  bind('Network', 'dhcp_ids', 'CASCADE', 'Dhcp', 'network_id', 'CLEAR'),
  bind('Network', 'dhcpv6_ids', 'CASCADE', 'DhcpV6', 'network_id', 'CLEAR'),
  bind('Network', 'inbound_filter_id', 'CLEAR', 'Chain', 'network_inbound_ids', 'CLEAR'),
  bind('Network', 'outbound_filter_id', 'CLEAR', 'Chain', 'network_outbound_ids', 'CLEAR'),
  bind('Network', 'inbound_mirror_ids', 'CLEAR', 'Mirror', 'network_inbound_ids', 'CLEAR'),
  bind('Network', 'outbound_mirror_ids', 'CLEAR', 'Mirror', 'network_outbound_ids', 'CLEAR'),
  bind('Network', 'trace_request_ids', 'CASCADE', 'TraceRequest', 'network_id', 'CLEAR'),
  bind('Network', 'qos_policy_id', 'CLEAR', 'QosPolicy', 'network_ids', 'CLEAR'),
  bind('Router', 'port_ids', 'CASCADE', 'Port', 'router_id', 'CLEAR'),
  bind('Router', 'route_ids', 'CASCADE', 'Route', 'router_id', 'CLEAR'),
  bind('Router', 'inbound_filter_id', 'CLEAR', 'Chain', 'router_inbound_ids', 'CLEAR'),
  bind('Router', 'outbound_filter_id', 'CLEAR', 'Chain', 'router_outbound_ids', 'CLEAR'),
  bind('Router', 'local_redirect_chain_id', 'CLEAR', 'Chain', 'router_redirect_ids', 'CLEAR'),
  bind('Router', 'inbound_mirror_ids', 'CLEAR', 'Mirror', 'router_inbound_ids', 'CLEAR'),
  bind('Router', 'outbound_mirror_ids', 'CLEAR', 'Mirror', 'router_outbound_ids', 'CLEAR'),
  bind('Router', 'load_balancer_id', 'ERROR', 'LoadBalancer', 'router_id', 'CLEAR'),
  bind('Router', 'bgp_network_ids', 'CASCADE', 'BgpNetwork', 'router_id', 'CLEAR'),
  bind('Router', 'bgp_peer_ids', 'CASCADE', 'BgpPeer', 'router_id', 'CLEAR'),
  bind('Router', 'trace_request_ids', 'CASCADE', 'TraceRequest', 'router_id', 'CLEAR'),
  bind('Port', 'peer_id', 'CLEAR', 'Port', 'peer_id', 'CLEAR'),
  bind('Port', 'dhcp_id', 'CLEAR', 'Dhcp', 'router_if_port_id', 'CLEAR'),
  bind('Port', 'host_id', 'CLEAR', 'Host', 'port_ids', 'CLEAR'),
  bind('Port', 'port_group_ids', 'CLEAR', 'PortGroup', 'port_ids', 'CLEAR'),
  bind('Port', 'route_ids', 'CASCADE', 'Route', 'next_hop_port_id', 'CLEAR'),
  bind('Port', 'inbound_filter_id', 'CLEAR', 'Chain', 'port_inbound_ids', 'CLEAR'),
  bind('Port', 'outbound_filter_id', 'CLEAR', 'Chain', 'port_outbound_ids', 'CLEAR'),
  bind('Port', 'inbound_mirror_ids', 'CLEAR', 'Mirror', 'port_inbound_ids', 'CLEAR'),
  bind('Port', 'outbound_mirror_ids', 'CLEAR', 'Mirror', 'port_outbound_ids', 'CLEAR'),
  bind('Port', 'post_in_filter_mirror_ids', 'CLEAR', 'Mirror', 'port_post_in_filter_ids', 'CLEAR'),
  bind('Port', 'pre_out_filter_mirror_ids', 'CLEAR', 'Mirror', 'port_pre_out_filter_ids', 'CLEAR'),
  bind('Port', 'trace_request_ids', 'CASCADE', 'TraceRequest', 'port_id', 'CLEAR'),
  bind('Port', 'insertion_ids', 'CASCADE', 'L2Insertion', 'port_id', 'CLEAR'),
  bind('Port', 'srv_insertion_ids', 'CASCADE', 'L2Insertion', 'srv_port_id', 'CLEAR'),
  bind('Port', 'service_container_id', 'CASCADE', 'ServiceContainer', 'port_id', 'CLEAR'),
  bind('Port', 'qos_policy_id', 'CLEAR', 'QosPolicy', 'port_ids', 'CLEAR'),
  bind('Mirror', 'to_port_id', 'CLEAR', 'Port', 'mirror_ids', 'CASCADE'),
  bind('Vip', 'gateway_port_id', 'CLEAR', 'Port', 'vip_ids', 'ERROR'),
  bind('Rule', 'chain_id', 'CLEAR', 'Chain', 'rule_ids', 'CASCADE'),
  bind('Rule', 'fip_port_id', 'CLEAR', 'Port', 'fip_nat_rule_ids', 'CASCADE'),
  bind('RuleLogger', 'chain_id', 'CLEAR', 'Chain', 'logger_ids', 'CASCADE'),
  bind('RuleLogger', 'logging_resource_id', 'CLEAR', 'LoggingResource', 'logger_ids', 'CASCADE'),
  bind('Route', 'gateway_dhcp_id', 'CLEAR', 'Dhcp', 'gateway_route_ids', 'CASCADE'),
  bind('Host', 'tunnel_zone_ids', 'CLEAR', 'TunnelZone', 'host_ids', 'CLEAR'),
  bind('Host', 'host_group_ids', 'CLEAR', 'HostGroup', 'host_ids', 'CLEAR'),
  bind('LoadBalancer', 'pool_ids', 'CASCADE', 'Pool', 'load_balancer_id', 'CLEAR'),
  bind('Pool', 'pool_member_ids', 'CASCADE', 'PoolMember', 'pool_id', 'CLEAR'),
  bind('Pool', 'health_monitor_id', 'CLEAR', 'HealthMonitor', 'pool_ids', 'CLEAR'),
  bind('Pool', 'vip_ids', 'CASCADE', 'Vip', 'pool_id', 'CLEAR'),
  bind('ServiceContainer', 'service_group_id', 'CLEAR', 'ServiceContainerGroup', 'service_container_ids', 'CASCADE'),
  bind('ServiceContainerGroup', 'host_group_id', 'CLEAR', 'HostGroup', 'service_group_ids', 'CLEAR'),
  bind('ServiceContainerGroup', 'port_group_id', 'CLEAR', 'PortGroup', 'service_group_ids', 'CLEAR'),
  bind('QosPolicy', 'bandwidth_limit_rule_ids', 'CASCADE', 'QosRuleBandwidthLimit', 'policy_id', 'CLEAR'),
  bind('QosPolicy', 'dscp_marking_rule_ids', 'CASCADE', 'QosRuleDscp', 'policy_id', 'CLEAR'),
  bind('VpnService', 'router_id', 'CLEAR', 'Router', 'vpn_service_ids', 'CASCADE'),
  bind('VpnService', 'ipsec_site_connection_ids', 'CASCADE', 'IPSecSiteConnection', 'vpnservice_id', 'CLEAR'),
  bind('IPSecSiteConnection', 'route_ids', 'CASCADE', 'Route', 'ipsec_site_connection_id', 'CLEAR'),
  bind('GatewayDevice', 'remote_mac_entry_ids', 'CASCADE', 'RemoteMacEntry', 'device_id', 'CLEAR'),
  bind('RemoteMacEntry', 'port_ids', 'CLEAR', 'Port', 'remote_mac_entry_ids', 'CLEAR'),
  bind('NeutronPort', 'floating_ip_ids', 'CLEAR', 'FloatingIp', 'port_id', 'CLEAR'),
  bind('NeutronPort', 'gw_router_id', 'CLEAR', 'NeutronRouter', 'gw_port_id', 'CLEAR'),
];

/** One direction of a binding: `clazz.field` holds ids of `targetClass`, whose `targetField` points back. */
export interface Binding {
  readonly clazz: ModelClass;
  readonly field: string;
  readonly onDelete: DeleteAction;
  readonly targetClass: ModelClass;
  readonly targetField: string;
}

function index(rows: readonly Row[]): ReadonlyMap<string, readonly Binding[]> {
  const byClass = new Map<string, Binding[]>();
  const add = (b: Binding): void => {
    const list = byClass.get(b.clazz) ?? [];
    if (list.some((x) => x.field === b.field)) return; // a self-binding registers once
    list.push(b);
    byClass.set(b.clazz, list);
  };
  for (const [a, fa, da, b, fb, db] of rows) {
    add({ clazz: a, field: fa, onDelete: da, targetClass: b, targetField: fb });
    add({ clazz: b, field: fb, onDelete: db, targetClass: a, targetField: fa });
  }
  return byClass;
}

const BY_CLASS = index(TABLE);

export function bindingsOf(clazz: string): readonly Binding[] {
  return BY_CLASS.get(clazz) ?? [];
}

export function bindingRows(): readonly Row[] {
  return TABLE;
}
