/**
 * Port links (`/ports/{id}/link`, §6.4) and the peer/VXLAN port views of a device (§6.3).
 * Linking sets `peer_id` on one port; the Port.peer_id self-binding sets the other side.
 */
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import { badRequest, conflict, HttpError } from '../../../lib/http/errors.js';
import { JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { requireObjectBody } from '../machinery/dto.js';
import { pathId, renderAll } from '../machinery/handlers.js';
import type { RequestContext, RouteDef } from '../machinery/types.js';
import { ports } from './ports.js';

const linkCreate: RouteDef = {
  method: 'POST',
  path: '/ports/:id/link',
  regime: 'E',
  consumes: [single('PortLink', 1), JSON_TYPE],
  async handler(ctx) {
    const id = pathId(ctx);
    const body = requireObjectBody(ctx.body);
    const peerId = body['peerId'];
    if (peerId === undefined || peerId === null) {
      throw new HttpError(400, 'Validation error(s) found', { violations: [{ property: 'peerId', message: message('NonNull') }] });
    }
    if (typeof peerId !== 'string' || !isUuid(peerId)) throw badRequest(`Invalid value for field 'peerId': expected a UUID`);
    const peer = peerId.toLowerCase();
    if (peer === id) throw conflict(message('PortsLinkable'));
    await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      const [port, other] = await Promise.all([tx.get('Port', id), tx.get('Port', peer)]);
      if (port.peer_id !== undefined || other.peer_id !== undefined) throw conflict(message('PortsLinkable'));
      port.peer_id = peer;
      await tx.update('Port', port);
    });
    return { status: 201, headers: { Location: `${ctx.base}/ports/${id}/link` } };
  },
};

const linkDelete: RouteDef = {
  method: 'DELETE',
  path: '/ports/:id/link',
  async handler(ctx) {
    const id = pathId(ctx);
    await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      const port = await tx.get('Port', id);
      if (port.peer_id === undefined) return;
      delete port.peer_id;
      await tx.update('Port', port);
    });
    return { status: 204 };
  },
};

async function peersOf(ctx: RequestContext, clazz: 'Network' | 'Router') {
  const device = await ctx.storage.get(clazz, pathId(ctx));
  const own = await ctx.storage.getExisting('Port', device.port_ids ?? []);
  const peerIds = own.map((p) => p.peer_id).filter((x) => x !== undefined);
  const peers = await ctx.storage.getExisting('Port', peerIds);
  return { status: 200, body: await renderAll(ports, peers, ctx) };
}

const portCollections = [single('Port', 3), single('Port', 4)].map((t) => t.replace('vnd.org.midonet.', 'vnd.org.midonet.collection.'));

export const portLinkRoutes: RouteDef[] = [
  linkCreate,
  linkDelete,
  { method: 'GET', path: '/bridges/:id/peer_ports', regime: 'E', produces: [...portCollections, JSON_TYPE], handler: (c) => peersOf(c, 'Network') },
  { method: 'GET', path: '/routers/:id/peer_ports', regime: 'E', produces: [...portCollections, JSON_TYPE], handler: (c) => peersOf(c, 'Router') },
  {
    method: 'GET',
    path: '/bridges/:id/vxlan_ports',
    regime: 'E',
    produces: [...portCollections, JSON_TYPE],
    async handler(ctx) {
      const bridge = await ctx.storage.get('Network', pathId(ctx));
      const found = await ctx.storage.getExisting('Port', bridge.vxlan_port_ids ?? []);
      return { status: 200, body: await renderAll(ports, found, ctx) };
    },
  },
];
