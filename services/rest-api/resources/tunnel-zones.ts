/**
 * Tunnel zones (`/tunnel_zones`, rest-api-core.md §6.12) and their members. Membership is kept
 * twice in the zone, as the original does: `hosts` (host + IP) and `host_ids` (bound to
 * Host.tunnel_zone_ids); both are changed together here.
 */
import type { Msg } from '../../../lib/models/types.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { conflict, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { isIPv4 } from '../machinery/addresses.js';
import { enumType, T, V } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import { requireObjectBody } from '../machinery/dto.js';
import type { RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
import { idField, media, subLink } from './common.js';

async function nameTaken(ctx: RequestContext, name: string, self?: string): Promise<boolean> {
  const zones = await ctx.storage.getAll('TunnelZone');
  return zones.some((z) => z['name'] === name && z['id'] !== self);
}

export const tunnelZones: ResourceDef = {
  name: 'tunnel zone',
  clazz: 'TunnelZone',
  segment: 'tunnel_zones',
  media: media('TunnelZone', [1]),
  fields: [
    idField,
    { json: 'name', type: T.string, access: 'rw', proto: 'name', required: true, validators: [V.size(1, 255)] },
    { json: 'type', type: enumType({ gre: 'GRE', vxlan: 'VXLAN', vtep: 'VTEP' }), access: 'rw', proto: 'type', required: true },
  ],
  links: [subLink('hosts', 'hosts')],
  create: {},
  update: {},
  delete: { missing: 204 },
  hooks: {
    // Names are unique among all zones. Unlike the original, a PUT that keeps the zone's own
    // name is not a conflict (docs/decisions/0003).
    async validate(dto, ctx, mode, current) {
      const name = dto['name'];
      if (typeof name === 'string' && (await nameTaken(ctx, name, mode === 'update' ? String(current?.['id']) : undefined))) {
        throw conflict(message('TunnelZoneNameExists'));
      }
    },
    async beforeDelete(_tx, zone, ctx) {
      const vteps = await ctx.storage.getAll('Vtep');
      if (vteps.some((v) => v['tunnel_zone_id'] === zone['id'])) {
        throw conflict(`Tunnel zone ${String(zone['id'])} is used by a VTEP.`);
      }
    },
  },
};

const MEMBER_TYPES = [single('TunnelZoneHost', 1), single('GreTunnelZoneHost', 1)];
const MEMBER_COLLECTIONS = [collection('TunnelZoneHost', 1), collection('GreTunnelZoneHost', 1)];

function members(zone: Msg): Msg[] {
  const v = zone['hosts'];
  return Array.isArray(v) ? (v as Msg[]) : [];
}

function memberJson(ctx: RequestContext, zoneId: string, m: Msg): Record<string, unknown> {
  const hostId = String(m['host_id']);
  return {
    tunnelZoneId: zoneId,
    hostId,
    ipAddress: ((m['ip'] as Msg | undefined)?.['address'] as string | undefined) ?? null,
    uri: `${ctx.base}/tunnel_zones/${zoneId}/hosts/${hostId}`,
    host: `${ctx.base}/hosts/${hostId}`,
    tunnelZone: `${ctx.base}/tunnel_zones/${zoneId}`,
  };
}

/** Removes a host from a zone's two membership lists (the binding clears the host's side). */
export async function removeMember(tx: Transaction, zone: Msg, hostId: string): Promise<void> {
  zone['hosts'] = members(zone).filter((m) => m['host_id'] !== hostId);
  zone['host_ids'] = ((zone['host_ids'] as string[] | undefined) ?? []).filter((h) => h !== hostId);
  await tx.update('TunnelZone', zone);
}

export const tunnelZoneMemberRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/tunnel_zones/:id/hosts',
    regime: 'E',
    consumes: MEMBER_TYPES,
    async handler(ctx) {
      const zoneId = pathId(ctx);
      const body = requireObjectBody(ctx.body);
      const hostId = T.uuid.parse(body['hostId'], 'hostId');
      const ip = T.string.parse(body['ipAddress'], 'ipAddress');
      const violations: Violation[] = [];
      if (hostId === null) violations.push({ property: 'hostId', message: message('NonNull') });
      if (ip === null) violations.push({ property: 'ipAddress', message: message('NonNull') });
      else if (!isIPv4(ip)) violations.push({ property: 'ipAddress', message: message('IpAddrInvalid') });
      if (violations.length > 0 || hostId === null || ip === null) throw validationError(violations);
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        const zone = await tx.get('TunnelZone', zoneId);
        await tx.get('Host', hostId);
        if (members(zone).some((m) => m['host_id'] === hostId)) throw conflict('', true);
        zone['hosts'] = [...members(zone), { host_id: hostId, ip: { version: 'V4', address: ip } }];
        zone['host_ids'] = [...((zone['host_ids'] as string[] | undefined) ?? []), hostId];
        await tx.update('TunnelZone', zone);
      });
      return { status: 201, headers: { Location: `${ctx.base}/tunnel_zones/${zoneId}/hosts/${hostId}` } };
    },
  },
  {
    method: 'GET',
    path: '/tunnel_zones/:id/hosts',
    regime: 'E',
    produces: MEMBER_COLLECTIONS,
    async handler(ctx) {
      const zoneId = pathId(ctx);
      const zone = await ctx.storage.get('TunnelZone', zoneId);
      return { status: 200, body: members(zone).map((m) => memberJson(ctx, zoneId, m)) };
    },
  },
  {
    method: 'GET',
    path: '/tunnel_zones/:id/hosts/:hostId',
    regime: 'E',
    produces: MEMBER_TYPES,
    async handler(ctx) {
      const zoneId = pathId(ctx);
      const hostId = pathId(ctx, 'hostId');
      const zone = await ctx.storage.get('TunnelZone', zoneId);
      const m = members(zone).find((x) => x['host_id'] === hostId);
      if (!m) throw notFound(null, true);
      return { status: 200, body: memberJson(ctx, zoneId, m) };
    },
  },
  {
    method: 'DELETE',
    path: '/tunnel_zones/:id/hosts/:hostId',
    async handler(ctx) {
      const zoneId = pathId(ctx);
      const hostId = pathId(ctx, 'hostId');
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        const zone = await tx.get('TunnelZone', zoneId);
        if (!members(zone).some((m) => m['host_id'] === hostId)) throw notFound(null, true);
        await removeMember(tx, zone, hostId);
      });
      return { status: 204 };
    },
  },
];
