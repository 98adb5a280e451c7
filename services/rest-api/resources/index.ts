/** Every resource and extra route this node serves; the app mounts exactly this list. */
import { reservedPaths, resourceRoutes } from '../machinery/handlers.js';
import type { AnyResource, RouteDef } from '../machinery/types.js';
import { applicationRoute } from './application.js';
import { bgpNetworks, bgpPeers } from './bgp.js';
import { bridges } from './bridges.js';
import { chains } from './chains.js';
import { rules } from './rules.js';
import { portGroupMemberRoutes, portGroups } from './port-groups.js';
import { ipAddrGroups, ipAddrRoutes } from './ip-addr-groups.js';
import { healthMonitors, loadBalancers } from './load-balancers.js';
import { poolMembers } from './pool-members.js';
import { pools } from './pools.js';
import { tunnelZoneMemberRoutes, tunnelZones } from './tunnel-zones.js';
import { hostRoutes, hosts } from './hosts.js';
import { dhcpRoutes } from './dhcp.js';
import { flowTraceRoutes } from './flow-traces.js';
import { bridgeTableRoutes } from './bridge-tables.js';
import { portLinkRoutes } from './port-links.js';
import { ports } from './ports.js';
import { routerRoutesList, routes } from './routes.js';
import { routers } from './routers.js';
import { systemStateRoute } from './system-state.js';
import { tenantRoutes } from './tenants.js';
import { traceList, traces } from './traces.js';
import { vipRoutes, vips } from './vips.js';

export const RESOURCES: AnyResource[] = [
  bridges, routers, ports, routes, chains, rules, portGroups, ipAddrGroups, tunnelZones, hosts,
  bgpNetworks, bgpPeers,
  loadBalancers, pools, poolMembers, vips, healthMonitors,
  traces,
];

export function allRoutes(): RouteDef[] {
  return [
    applicationRoute,
    systemStateRoute,
    ...tenantRoutes,
    ...portLinkRoutes,
    routerRoutesList,
    ...portGroupMemberRoutes,
    ...ipAddrRoutes,
    ...tunnelZoneMemberRoutes,
    ...hostRoutes,
    ...dhcpRoutes,
    ...bridgeTableRoutes,
    ...vipRoutes,
    traceList,
    ...flowTraceRoutes,
    ...RESOURCES.flatMap(resourceRoutes),
  ];
}

export function allReservedPaths(): string[] {
  return RESOURCES.flatMap(reservedPaths);
}
