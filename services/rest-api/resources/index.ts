/**
 * Everything the API serves, in one table: the resource declarations (generic handlers), the
 * entries kept inside a parent object (generic entry handlers), and the route families that are
 * neither, each route with its negotiation and tenancy. The app mounts exactly what this lists,
 * in this order (the order in which path templates are tried).
 */
import { entryRoutes } from '../machinery/entries.js';
import { reservedPaths, resourceRoutes } from '../machinery/handlers.js';
import type { AnyEntries, AnyResource, Declaration, RouteDef } from '../machinery/types.js';
import { applicationRoute } from './application.js';
import { bgpNetworks, bgpPeers } from './bgp.js';
import { bridgeTableRoutes } from './bridge-tables.js';
import { bridges } from './bridges.js';
import { chains } from './chains.js';
import { dhcpHosts, dhcpSubnetRoutes, dhcpV6Hosts, dhcpV6SubnetRoutes } from './dhcp.js';
import { flowTraceRoutes } from './flow-traces.js';
import { hostInterfacePorts, hostRoutes, hosts } from './hosts.js';
import { ipAddrGroupAddrs, ipAddrGroups } from './ip-addr-groups.js';
import { healthMonitors, loadBalancers } from './load-balancers.js';
import { poolMembers } from './pool-members.js';
import { pools } from './pools.js';
import { portGroupPorts, portGroups, portPortGroups } from './port-groups.js';
import { portLinkRoutes } from './port-links.js';
import { ports } from './ports.js';
import { routerRoutesList, routes } from './routes.js';
import { routers } from './routers.js';
import { rules } from './rules.js';
import { systemStateRoute } from './system-state.js';
import { tenantRoutes } from './tenants.js';
import { traceList, traces } from './traces.js';
import { tunnelZoneHosts, tunnelZones } from './tunnel-zones.js';
import { vipRoutes, vips } from './vips.js';
import { neutronRoutes } from '../../neutron/rest/index.js';
import { mirrors } from './mirrors.js';
import { qosBwLimitRules, qosDscpRules, qosPolicies } from './qos.js';
import { serviceContainerGroups, serviceContainers } from './service-containers.js';
import { l2insertions } from './l2insertions.js';
import { peeringTableRoutes } from './peering-table.js';
import { confRoutes } from './conf.js';
import { vtepRoutes, vteps } from './vteps.js';

const resource = (def: AnyResource): Declaration => ({ kind: 'resource', def });
const entries = (def: AnyEntries): Declaration => ({ kind: 'entries', def });
const family = (name: string, list: readonly RouteDef[]): Declaration => ({ kind: 'routes', name, routes: list });

export const API: readonly Declaration[] = [
  family('root document', [applicationRoute]),
  family('system state', [systemStateRoute]),
  family('tenants', tenantRoutes),
  family('port links, peer and VXLAN ports of a device', portLinkRoutes),
  family('routes of a router and of its ports', [routerRoutesList]),
  entries(portGroupPorts),
  entries(portPortGroups),
  entries(ipAddrGroupAddrs),
  entries(tunnelZoneHosts),
  family('hosts: scheduling fields, delete, interfaces', hostRoutes),
  entries(hostInterfacePorts),
  family('DHCP subnets', dhcpSubnetRoutes),
  entries(dhcpHosts),
  family('DHCPv6 subnets', dhcpV6SubnetRoutes),
  entries(dhcpV6Hosts),
  family('MAC and ARP tables of a bridge', bridgeTableRoutes),
  resource(bridges),
  resource(routers),
  resource(ports),
  resource(routes),
  resource(chains),
  resource(rules),
  resource(portGroups),
  resource(ipAddrGroups),
  resource(tunnelZones),
  resource(hosts),
  resource(bgpNetworks),
  resource(bgpPeers),
  family('VIPs of a pool and of a load balancer', vipRoutes),
  resource(loadBalancers),
  resource(pools),
  resource(poolMembers),
  resource(vips),
  resource(healthMonitors),
  family('trace requests: the list, by device tenant', [traceList]),
  family('flow traces of a trace request (Cassandra)', flowTraceRoutes),
  resource(traces),
  family('Neutron API (/neutron)', neutronRoutes()),
  resource(mirrors),
  resource(qosPolicies),
  resource(qosBwLimitRules),
  resource(qosDscpRules),
  resource(serviceContainerGroups),
  resource(serviceContainers),
  resource(l2insertions),
  family('peering table of a router port', peeringTableRoutes),
  family('configuration (mn-conf documents)', confRoutes),
  family('VTEP bindings, and physical ports live from the VTEP', vtepRoutes),
  resource(vteps),
];

/** The resource declarations (tenant scoping finds the project rules of classes in them). */
export const RESOURCES: AnyResource[] = API.flatMap((d) => (d.kind === 'resource' ? [d.def] : []));

function routesOf(d: Declaration): readonly RouteDef[] {
  switch (d.kind) {
    case 'resource':
      return resourceRoutes(d.def);
    case 'entries':
      return entryRoutes(d.def);
    case 'routes':
      return d.routes;
  }
}

export function allRoutes(): RouteDef[] {
  return API.flatMap(routesOf);
}

export function allReservedPaths(): string[] {
  return RESOURCES.flatMap(reservedPaths);
}
