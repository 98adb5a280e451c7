/**
 * Tunnel zones (`/tunnel_zones`, rest-api-core.md §6.12) and their members. Membership is kept
 * twice in the zone, as the original does: `hosts` (host + IP) and `host_ids` (bound to
 * Host.tunnel_zone_ids); both are changed together here.
 */
import type { TunnelZone, TunnelZone_HostToIp } from '../../../lib/models/generated.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { conflict, notFound, validationError } from '../../../lib/http/errors.js';
import { collection, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { enumType, T, V } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import { parseInput, requireObjectBody } from '../machinery/dto.js';
import type { FieldDef, RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
import { idField, media, subLink } from './common.js';

/**
 * Names are unique among all zones (exact, case-sensitive comparison, as the original). Unlike
 * the original, a zone's own name does not count against it, so a PUT that keeps the name works
 * (docs/decisions/0003). Runs after bean validation, as the original's create/update filters do:
 * a body with violations is a 400 even when its name is taken. The zones are read in the
 * transaction, which guards the class: two requests giving two zones the same name at the same
 * time cannot both pass (the original checked outside its transaction and could let both in).
 */
async function checkNameFree(tx: Transaction, zone: TunnelZone): Promise<void> {
  await tx.guardClass('TunnelZone');
  const zones = await tx.listAll('TunnelZone');
  if (zones.some((z) => z.name === zone.name && z.id !== zone.id)) {
    throw conflict(message('TunnelZoneNameExists'));
  }
}

export const tunnelZones: ResourceDef<'TunnelZone'> = {
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
    beforeCreate: (tx, zone) => checkNameFree(tx, zone),
    beforeUpdate: (tx, zone) => checkNameFree(tx, zone),
    async beforeDelete(_tx, zone, ctx) {
      // Vtep.tunnel_zone_id is not a ZOOM binding (storage.md §5): the check is the API's
      const vteps = (await ctx.storage.getAll('Vtep')).filter((v) => v.tunnel_zone_id === zone.id);
      if (vteps.length > 0) {
        throw conflict(
          'Tunnel Zone is used by VTEP(s), please delete the following VTEPs before deleting this tunnel zone: ' +
            `[${vteps.map((v) => String(v.id)).join(', ')}]`,
        );
      }
    },
  },
};

/** The writable part of a TunnelZoneHost body: the zone comes from the path. */
const MEMBER_FIELDS: FieldDef[] = [
  { json: 'hostId', type: T.uuid, access: 'create', required: true },
  { json: 'ipAddress', type: T.string, access: 'create', required: true, validators: [V.ipv4('is an invalid IP format')] },
];

const MEMBER_TYPES = [single('TunnelZoneHost', 1), single('GreTunnelZoneHost', 1)];
const MEMBER_COLLECTIONS = [collection('TunnelZoneHost', 1), collection('GreTunnelZoneHost', 1)];

function members(zone: TunnelZone): TunnelZone_HostToIp[] {
  return zone.hosts ?? [];
}

function memberJson(ctx: RequestContext, zoneId: string, m: TunnelZone_HostToIp): Record<string, unknown> {
  const hostId = String(m.host_id);
  return {
    tunnelZoneId: zoneId,
    hostId,
    ipAddress: m.ip?.address ?? null,
    uri: `${ctx.base}/tunnel_zones/${zoneId}/hosts/${hostId}`,
    host: `${ctx.base}/hosts/${hostId}`,
    tunnelZone: `${ctx.base}/tunnel_zones/${zoneId}`,
  };
}

/** Removes a host from a zone's two membership lists (the binding clears the host's side). */
export async function removeMember(tx: Transaction, zone: TunnelZone, hostId: string): Promise<void> {
  zone.hosts = members(zone).filter((m) => m.host_id !== hostId);
  zone.host_ids = (zone.host_ids ?? []).filter((h) => h !== hostId);
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
      const { dto, violations } = parseInput(MEMBER_FIELDS, requireObjectBody(ctx.body), 'create');
      if (violations.length > 0) throw validationError(violations);
      const hostId = dto['hostId'] as string;
      const ip = dto['ipAddress'] as string;
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        const zone = await tx.get('TunnelZone', zoneId);
        await tx.get('Host', hostId);
        if (members(zone).some((m) => m.host_id === hostId)) throw conflict('', true);
        zone.hosts = [...members(zone), { host_id: hostId, ip: { version: 'V4', address: ip } }];
        zone.host_ids = [...(zone.host_ids ?? []), hostId];
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
      const m = members(zone).find((x) => x.host_id === hostId);
      // unlike the DELETE miss, the original's GET miss has a body
      if (!m) throw notFound('Resource not found');
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
        if (!members(zone).some((m) => m.host_id === hostId)) throw notFound(null, true);
        await removeMember(tx, zone, hostId);
      });
      return { status: 204 };
    },
  },
];
