/**
 * `GET {root}/neutron` (rest-api-extras.md §6.2): the URI of every Neutron collection and its
 * `{id}` template, which python-midonetclient's Neutron mixins read to build their requests. It
 * lists all of them, including those this node does not serve yet, as the root document does.
 */
import type { RouteDef } from '../../rest-api/machinery/types.js';
import { neutronType } from './media.js';

/** [collection key, template key, path segment]; a null key is not in the document. */
const ENTRIES: readonly [string | null, string | null, string][] = [
  ['networks', 'network_template', 'networks'],
  ['subnets', 'subnet_template', 'subnets'],
  ['ports', 'port_template', 'ports'],
  ['routers', 'router_template', 'routers'],
  ['floating_ips', 'floating_ip_template', 'floating_ips'],
  ['security_groups', 'security_group_template', 'security_groups'],
  ['security_group_rules', 'security_group_rule_template', 'security_group_rules'],
  ['load_balancers_v2', 'load_balancer_v2_template', 'lbs_v2'],
  ['pools_v2', 'pool_v2_template', 'pools_v2'],
  ['pool_members_v2', 'pool_member_v2_template', 'pool_members_v2'],
  ['listeners_v2', 'listener_v2_template', 'listeners_v2'],
  ['health_monitors_v2', 'health_monitor_v2_template', 'health_monitors_v2'],
  ['firewalls', 'firewall_template', 'firewalls'],
  ['vpn_services', 'vpn_service_template', 'vpnservices'],
  ['ipsec_site_conns', 'ipsec_site_conn_template', 'ipsec_site_connections'],
  ['l2_gateway_connections', 'l2_gateway_connection_template', 'l2_gateway_connections'],
  ['gateway_devices', 'gateway_device_template', 'gateway_devices'],
  ['remote_mac_entries', 'remote_mac_entry_template', 'remote_mac_entries'],
  ['bgp_speakers', 'bgp_speaker_template', 'bgp_speakers'],
  ['bgp_peers', 'bgp_peer_template', 'bgp_peers'],
  ['tap_flows', 'tap_flow_template', 'tap_flows'],
  ['tap_services', 'tap_service_template', 'tap_services'],
  ['firewall_logs', 'firewall_log_template', 'firewall_logs'],
  ['logging_resources', 'logging_resource_template', 'logging_resources'],
  // not in the original's document (decision 0022)
  ['configs', 'config_template', 'configs'],
  ['agent_memberships', 'agent_membership_template', 'agent_memberships'],
  ['port_bindings', 'port_binding_template', 'port_bindings'],
];

const LOAD_BALANCER: readonly [string, string, string][] = [
  ['health_monitors', 'health_monitor_template', 'health_monitors'],
  ['members', 'member_template', 'members'],
  ['pools', 'pool_template', 'pools'],
  ['vips', 'vip_template', 'vips'],
];

/** `base`: the API root without a trailing slash. */
export function neutronDocument(base: string): Record<string, unknown> {
  const root = `${base}/neutron`;
  const doc: Record<string, unknown> = { uri: root };
  for (const [coll, template, segment] of ENTRIES) {
    if (coll) doc[coll] = `${root}/${segment}`;
    if (template) doc[template] = `${root}/${segment}/{id}`;
  }
  doc['add_router_interface_template'] = `${root}/routers/{id}/add_router_interface`;
  doc['remove_router_interface_template'] = `${root}/routers/{id}/remove_router_interface`;
  const lb: Record<string, string> = {};
  for (const [coll, template, segment] of LOAD_BALANCER) {
    lb[coll] = `${root}/lb/${segment}`;
    lb[template] = `${root}/lb/${segment}/{id}`;
  }
  lb['pool_health_monitor'] = `${root}/lb/pool_health_monitor`;
  doc['load_balancer'] = lb;
  return doc;
}

export const neutronDocumentRoute: RouteDef = {
  method: 'GET',
  path: '/neutron',
  regime: 'E',
  produces: [neutronType('Neutron', 3)],
  handler: async (ctx) => ({ status: 200, body: neutronDocument(ctx.base) }),
};
