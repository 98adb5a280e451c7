/** Every resource and extra route this node serves; the app mounts exactly this list. */
import { resourceRoutes } from '../machinery/handlers.js';
import type { ResourceDef, RouteDef } from '../machinery/types.js';
import { applicationRoute } from './application.js';
import { bridges } from './bridges.js';
import { portLinkRoutes } from './port-links.js';
import { ports } from './ports.js';
import { routerRoutesList, routes } from './routes.js';
import { routers } from './routers.js';
import { systemStateRoute } from './system-state.js';
import { tenantRoutes } from './tenants.js';

export const RESOURCES: ResourceDef[] = [bridges, routers, ports, routes];

export function allRoutes(): RouteDef[] {
  return [
    applicationRoute,
    systemStateRoute,
    ...tenantRoutes,
    ...portLinkRoutes,
    routerRoutesList,
    ...RESOURCES.flatMap(resourceRoutes),
  ];
}
