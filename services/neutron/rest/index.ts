/** Everything served under `{root}/neutron`. */
import type { RouteDef } from '../../rest-api/machinery/types.js';
import { neutronDocumentRoute } from './document.js';
import { NEUTRON_RESOURCES, resourceRoutes } from './resources.js';
import { routerInterfaceRoutes } from './router-interface.js';

export function neutronRoutes(): RouteDef[] {
  return [neutronDocumentRoute, ...NEUTRON_RESOURCES.flatMap(resourceRoutes), ...routerInterfaceRoutes()];
}
