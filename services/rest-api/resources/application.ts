/**
 * The application document at the API root (rest-api-core.md §2.1): the version and one URI (or
 * URI template) per resource, including those this node does not serve yet, because clients
 * look keys up lazily and some fail at start when a key is missing.
 */
import { JSON_TYPE, single } from '../../../lib/http/media-types.js';
import type { RouteDef } from '../machinery/types.js';

export const API_VERSION = 'v5.0';

/** [collection key or null, template key or null, path segment] */
const ENTRIES: readonly [string | null, string | null, string][] = [
  [null, 'bgpNetworkTemplate', 'bgp_networks'],
  [null, 'bgpPeerTemplate', 'bgp_peers'],
  ['bridges', 'bridgeTemplate', 'bridges'],
  ['chains', 'chainTemplate', 'chains'],
  ['healthMonitors', 'healthMonitorTemplate', 'health_monitors'],
  ['hosts', 'hostTemplate', 'hosts'],
  ['ipAddrGroups', 'ipAddrGroupTemplate', 'ip_addr_groups'],
  ['l2insertions', 'l2InsertionTemplate', 'l2insertions'],
  ['loadBalancers', 'loadBalancerTemplate', 'load_balancers'],
  ['mirrors', 'mirrorTemplate', 'mirrors'],
  ['neutron', null, 'neutron'],
  ['poolMembers', 'poolMemberTemplate', 'pool_members'],
  ['pools', 'poolTemplate', 'pools'],
  ['portGroups', 'portGroupTemplate', 'port_groups'],
  ['ports', 'portTemplate', 'ports'],
  [null, 'qosBwLimitRuleTemplate', 'qos_bw_limit_rules'],
  [null, 'qosDscpRuleTemplate', 'qos_dscp_rules'],
  ['qosPolicies', 'qosPolicyTemplate', 'qos_policies'],
  ['routers', 'routerTemplate', 'routers'],
  [null, 'routeTemplate', 'routes'],
  [null, 'ruleTemplate', 'rules'],
  ['serviceContainerGroups', 'serviceContainerGroupTemplate', 'service_container_groups'],
  ['serviceContainers', 'serviceContainerTemplate', 'service_containers'],
  ['systemState', null, 'system_state'],
  ['tenants', 'tenantTemplate', 'tenants'],
  ['traceRequests', 'traceRequestTemplate', 'traces'],
  ['tunnelZones', 'tunnelZoneTemplate', 'tunnel_zones'],
  ['vips', 'vipTemplate', 'vips'],
  ['vteps', 'vtepTemplate', 'vteps'],
];

export function applicationDocument(base: string): Record<string, string> {
  const doc: Record<string, string> = { uri: `${base}/`, version: API_VERSION };
  for (const [coll, template, segment] of ENTRIES) {
    if (coll) doc[coll] = `${base}/${segment}`;
    if (template) doc[template] = `${base}/${segment}/{id}`;
  }
  return doc;
}

export const applicationRoute: RouteDef = {
  method: 'GET',
  path: '/',
  regime: 'E',
  produces: [JSON_TYPE, single('Application', 5)],
  tenancy: { kind: 'open' },
  handler: async (ctx) => ({ status: 200, body: applicationDocument(ctx.base) }),
};
