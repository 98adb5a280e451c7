/**
 * `PUT {root}/neutron/routers/{id}/add_router_interface` and `.../remove_router_interface`
 * (rest-api-extras.md §6.1): a RouterInterface body, translated as a create (add) or an update
 * (remove) in one transaction, 204. The interface is not stored, so there is nothing to GET.
 */
import { badRequest } from '../../../lib/http/errors.js';
import { asModel } from '../../../lib/nsdb/msg.js';
import { pathId } from '../../rest-api/machinery/handlers.js';
import type { Reply, RequestContext, RouteDef } from '../../rest-api/machinery/types.js';
import { routerInterfaceTranslator } from '../translators/index.js';
import { parseDto, toProto } from './json.js';
import { routerInterface } from './l3-schemas.js';
import { neutronType } from './media.js';
import { runOps } from './resources.js';

async function change(ctx: RequestContext, kind: 'create' | 'update'): Promise<Reply> {
  const body = ctx.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  const dto = parseDto(routerInterface, body as Record<string, unknown>);
  // the interface's id is its router's; the client sends it, the path names it too
  if (typeof dto['id'] !== 'string') dto['id'] = pathId(ctx);
  const obj = asModel('NeutronRouterInterface', toProto(routerInterface, dto));
  await runOps(ctx, routerInterfaceTranslator, [{ kind, obj }]);
  return { status: 204 };
}

export function routerInterfaceRoutes(): RouteDef[] {
  const consumes = [neutronType('RouterInterface')];
  return [
    { method: 'PUT', path: '/neutron/routers/:id/add_router_interface', regime: 'E', consumes, handler: (c) => change(c, 'create') },
    { method: 'PUT', path: '/neutron/routers/:id/remove_router_interface', regime: 'E', consumes, handler: (c) => change(c, 'update') },
  ];
}
