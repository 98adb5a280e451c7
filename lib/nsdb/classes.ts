/**
 * The classes ZOOM registers (storage.md §2.1) and the state tables attached to some of them
 * (§9.1). Every registered class gets its `models/`, `objects/`, `tables/` and `state/<ns>/`
 * folders when the store is built, whether or not this node serves it over REST, so that agents
 * and the original cluster find the tree they expect.
 */
export const REGISTERED_CLASSES = [
  'AgentMembership',
  'BgpNetwork',
  'BgpPeer',
  'C3POState',
  'Chain',
  'Dhcp',
  'DhcpV6',
  'FloatingIp',
  'FirewallLog',
  'GatewayDevice',
  'HealthMonitor',
  'Host',
  'HostGroup',
  'IPAddrGroup',
  'IPSecSiteConnection',
  'L2GatewayConnection',
  'L2Insertion',
  'LoadBalancer',
  'LoggingResource',
  'Mirror',
  'Network',
  'NeutronBgpPeer',
  'NeutronBgpSpeaker',
  'NeutronConfig',
  'NeutronFirewall',
  'NeutronHealthMonitor',
  'NeutronLoadBalancerPool',
  'NeutronLoadBalancerPoolMember',
  'NeutronLoggingResource',
  'NeutronNetwork',
  'NeutronPort',
  'NeutronRouter',
  'NeutronRouterInterface',
  'NeutronSubnet',
  'NeutronVIP',
  'Pool',
  'PoolMember',
  'Port',
  'PortBinding',
  'PortGroup',
  'QosPolicy',
  'QosRuleBandwidthLimit',
  'QosRuleDscp',
  'RemoteMacEntry',
  'Route',
  'Router',
  'Rule',
  'RuleLogger',
  'SecurityGroup',
  'ServiceContainer',
  'ServiceContainerGroup',
  'SecurityGroupRule',
  'TapFlow',
  'TapService',
  'TraceRequest',
  'TunnelZone',
  'Vip',
  'VpnService',
  'Vtep',
] as const;

export type ClassName = (typeof REGISTERED_CLASSES)[number];

/** Table roots created in the same multi as the owning object (storage.md §9.5). */
export const STATE_TABLES: Readonly<Record<string, readonly string[]>> = {
  Network: ['mac_table', 'ip4_mac_table'],
  Router: ['arp_table'],
  Port: ['peering_table'],
  NeutronNetwork: ['gateway_table', 'fip64_table'],
};

/** All cluster nodes share this state namespace (storage.md §1). */
export const CLUSTER_NAMESPACE = '00000000-0000-0000-0000-000000000000';

export function isRegisteredClass(name: string): name is ClassName {
  return (REGISTERED_CLASSES as readonly string[]).includes(name);
}
