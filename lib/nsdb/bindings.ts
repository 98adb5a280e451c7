/**
 * Referential integrity as data: the original's `declareBinding` table (storage.md §5.3),
 * one row per binding, both directions. The transaction engine reads it; nothing else encodes a
 * relation between two classes.
 */
export type DeleteAction = 'CASCADE' | 'CLEAR' | 'ERROR';

type Row = readonly [string, string, DeleteAction, string, string, DeleteAction];

const TABLE: readonly Row[] = [
  ['Network', 'port_ids', 'CASCADE', 'Port', 'network_id', 'CLEAR'],
  ['Network', 'dhcp_ids', 'CASCADE', 'Dhcp', 'network_id', 'CLEAR'],
  ['Network', 'dhcpv6_ids', 'CASCADE', 'DhcpV6', 'network_id', 'CLEAR'],
  ['Network', 'inbound_filter_id', 'CLEAR', 'Chain', 'network_inbound_ids', 'CLEAR'],
  ['Network', 'outbound_filter_id', 'CLEAR', 'Chain', 'network_outbound_ids', 'CLEAR'],
  ['Network', 'inbound_mirror_ids', 'CLEAR', 'Mirror', 'network_inbound_ids', 'CLEAR'],
  ['Network', 'outbound_mirror_ids', 'CLEAR', 'Mirror', 'network_outbound_ids', 'CLEAR'],
  ['Network', 'trace_request_ids', 'CASCADE', 'TraceRequest', 'network_id', 'CLEAR'],
  ['Network', 'qos_policy_id', 'CLEAR', 'QosPolicy', 'network_ids', 'CLEAR'],
  ['Router', 'port_ids', 'CASCADE', 'Port', 'router_id', 'CLEAR'],
  ['Router', 'route_ids', 'CASCADE', 'Route', 'router_id', 'CLEAR'],
  ['Router', 'inbound_filter_id', 'CLEAR', 'Chain', 'router_inbound_ids', 'CLEAR'],
  ['Router', 'outbound_filter_id', 'CLEAR', 'Chain', 'router_outbound_ids', 'CLEAR'],
  ['Router', 'local_redirect_chain_id', 'CLEAR', 'Chain', 'router_redirect_ids', 'CLEAR'],
  ['Router', 'inbound_mirror_ids', 'CLEAR', 'Mirror', 'router_inbound_ids', 'CLEAR'],
  ['Router', 'outbound_mirror_ids', 'CLEAR', 'Mirror', 'router_outbound_ids', 'CLEAR'],
  ['Router', 'load_balancer_id', 'ERROR', 'LoadBalancer', 'router_id', 'CLEAR'],
  ['Router', 'bgp_network_ids', 'CASCADE', 'BgpNetwork', 'router_id', 'CLEAR'],
  ['Router', 'bgp_peer_ids', 'CASCADE', 'BgpPeer', 'router_id', 'CLEAR'],
  ['Router', 'trace_request_ids', 'CASCADE', 'TraceRequest', 'router_id', 'CLEAR'],
  ['Port', 'peer_id', 'CLEAR', 'Port', 'peer_id', 'CLEAR'],
  ['Port', 'dhcp_id', 'CLEAR', 'Dhcp', 'router_if_port_id', 'CLEAR'],
  ['Port', 'host_id', 'CLEAR', 'Host', 'port_ids', 'CLEAR'],
  ['Port', 'port_group_ids', 'CLEAR', 'PortGroup', 'port_ids', 'CLEAR'],
  ['Port', 'route_ids', 'CASCADE', 'Route', 'next_hop_port_id', 'CLEAR'],
  ['Port', 'inbound_filter_id', 'CLEAR', 'Chain', 'port_inbound_ids', 'CLEAR'],
  ['Port', 'outbound_filter_id', 'CLEAR', 'Chain', 'port_outbound_ids', 'CLEAR'],
  ['Port', 'inbound_mirror_ids', 'CLEAR', 'Mirror', 'port_inbound_ids', 'CLEAR'],
  ['Port', 'outbound_mirror_ids', 'CLEAR', 'Mirror', 'port_outbound_ids', 'CLEAR'],
  ['Port', 'post_in_filter_mirror_ids', 'CLEAR', 'Mirror', 'port_post_in_filter_ids', 'CLEAR'],
  ['Port', 'pre_out_filter_mirror_ids', 'CLEAR', 'Mirror', 'port_pre_out_filter_ids', 'CLEAR'],
  ['Port', 'trace_request_ids', 'CASCADE', 'TraceRequest', 'port_id', 'CLEAR'],
  ['Port', 'insertion_ids', 'CASCADE', 'L2Insertion', 'port_id', 'CLEAR'],
  ['Port', 'srv_insertion_ids', 'CASCADE', 'L2Insertion', 'srv_port_id', 'CLEAR'],
  ['Port', 'service_container_id', 'CASCADE', 'ServiceContainer', 'port_id', 'CLEAR'],
  ['Port', 'qos_policy_id', 'CLEAR', 'QosPolicy', 'port_ids', 'CLEAR'],
  ['Mirror', 'to_port_id', 'CLEAR', 'Port', 'mirror_ids', 'CASCADE'],
  ['Vip', 'gateway_port_id', 'CLEAR', 'Port', 'vip_ids', 'ERROR'],
  ['Rule', 'chain_id', 'CLEAR', 'Chain', 'rule_ids', 'CASCADE'],
  ['Rule', 'fip_port_id', 'CLEAR', 'Port', 'fip_nat_rule_ids', 'CASCADE'],
  ['RuleLogger', 'chain_id', 'CLEAR', 'Chain', 'logger_ids', 'CASCADE'],
  ['RuleLogger', 'logging_resource_id', 'CLEAR', 'LoggingResource', 'logger_ids', 'CASCADE'],
  ['Route', 'gateway_dhcp_id', 'CLEAR', 'Dhcp', 'gateway_route_ids', 'CASCADE'],
  ['Host', 'tunnel_zone_ids', 'CLEAR', 'TunnelZone', 'host_ids', 'CLEAR'],
  ['Host', 'host_group_ids', 'CLEAR', 'HostGroup', 'host_ids', 'CLEAR'],
  ['LoadBalancer', 'pool_ids', 'CASCADE', 'Pool', 'load_balancer_id', 'CLEAR'],
  ['Pool', 'pool_member_ids', 'CASCADE', 'PoolMember', 'pool_id', 'CLEAR'],
  ['Pool', 'health_monitor_id', 'CLEAR', 'HealthMonitor', 'pool_ids', 'CLEAR'],
  ['Pool', 'vip_ids', 'CASCADE', 'Vip', 'pool_id', 'CLEAR'],
  ['ServiceContainer', 'service_group_id', 'CLEAR', 'ServiceContainerGroup', 'service_container_ids', 'CASCADE'],
  ['ServiceContainerGroup', 'host_group_id', 'CLEAR', 'HostGroup', 'service_group_ids', 'CLEAR'],
  ['ServiceContainerGroup', 'port_group_id', 'CLEAR', 'PortGroup', 'service_group_ids', 'CLEAR'],
  ['QosPolicy', 'bandwidth_limit_rule_ids', 'CASCADE', 'QosRuleBandwidthLimit', 'policy_id', 'CLEAR'],
  ['QosPolicy', 'dscp_marking_rule_ids', 'CASCADE', 'QosRuleDscp', 'policy_id', 'CLEAR'],
  ['VpnService', 'router_id', 'CLEAR', 'Router', 'vpn_service_ids', 'CASCADE'],
  ['VpnService', 'ipsec_site_connection_ids', 'CASCADE', 'IPSecSiteConnection', 'vpnservice_id', 'CLEAR'],
  ['IPSecSiteConnection', 'route_ids', 'CASCADE', 'Route', 'ipsec_site_connection_id', 'CLEAR'],
  ['GatewayDevice', 'remote_mac_entry_ids', 'CASCADE', 'RemoteMacEntry', 'device_id', 'CLEAR'],
  ['RemoteMacEntry', 'port_ids', 'CLEAR', 'Port', 'remote_mac_entry_ids', 'CLEAR'],
  ['NeutronPort', 'floating_ip_ids', 'CLEAR', 'FloatingIp', 'port_id', 'CLEAR'],
  ['NeutronPort', 'gw_router_id', 'CLEAR', 'NeutronRouter', 'gw_port_id', 'CLEAR'],
];

/** One direction of a binding: `clazz.field` holds ids of `targetClass`, whose `targetField` points back. */
export interface Binding {
  readonly clazz: string;
  readonly field: string;
  readonly onDelete: DeleteAction;
  readonly targetClass: string;
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
