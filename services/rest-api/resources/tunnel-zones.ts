/**
 * Tunnel zones (`/tunnel_zones`, rest-api-core.md §6.12) and their members. Membership is kept
 * twice in the zone, as the original does: `hosts` (host + IP) and `host_ids` (bound to
 * Host.tunnel_zone_ids); both are changed together here.
 */
import type { TunnelZone, TunnelZone_HostToIp } from '../../../lib/models/generated.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { conflict, notFound, validationError } from '../../../lib/http/errors.js';
import { collection, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { enumType, T, V } from '../machinery/field-types.js';
import { inParent, type Held } from '../machinery/entries.js';
import { pathId } from '../machinery/handlers.js';
import { buildProto, parseInput } from '../machinery/dto.js';
import type { EntriesDef, FieldDef, ResourceDef } from '../machinery/types.js';
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

/** The writable part of a TunnelZoneHost body (the zone comes from the path), and how it is kept. */
const MEMBER_FIELDS: FieldDef<TunnelZone_HostToIp>[] = [
  { json: 'hostId', type: T.uuid, access: 'create', required: true, proto: 'host_id' },
  {
    json: 'ipAddress',
    type: T.string,
    access: 'create',
    required: true,
    validators: [V.ipv4('is an invalid IP format')],
    owns: ['ip'],
    write: (v, m) => {
      if (typeof v === 'string') m.ip = { version: 'V4', address: v };
    },
  },
];

const MEMBER_TYPES = [single('TunnelZoneHost', 1), single('GreTunnelZoneHost', 1)];
const MEMBER_COLLECTIONS = [collection('TunnelZoneHost', 1), collection('GreTunnelZoneHost', 1)];

/** Removes a host from a zone's two membership lists (the binding clears the host's side). */
export async function removeMember(tx: Transaction, zone: TunnelZone, hostId: string): Promise<void> {
  zone.hosts = (zone.hosts ?? []).filter((m) => m.host_id !== hostId);
  zone.host_ids = (zone.host_ids ?? []).filter((h) => h !== hostId);
  await tx.update('TunnelZone', zone);
}

/**
 * Members of a tunnel zone (`/tunnel_zones/{id}/hosts`): its `hosts` entries, each host also in
 * `host_ids`, which the binding to Host.tunnel_zone_ids follows.
 */
export const tunnelZoneHosts: EntriesDef<Held<TunnelZone, TunnelZone_HostToIp>, TunnelZone_HostToIp> = {
  name: 'tunnel zone member',
  parent: 'TunnelZone',
  path: '/tunnel_zones/:id/hosts',
  itemPath: '/tunnel_zones/:id/hosts/:hostId',
  media: { collection: MEMBER_COLLECTIONS, single: MEMBER_TYPES, consumes: MEMBER_TYPES },
  pathKey: (ctx) => pathId(ctx, 'hostId'),
  parse(_ctx, body) {
    const { dto, violations } = parseInput(MEMBER_FIELDS, body, 'create');
    if (violations.length > 0) throw validationError(violations);
    return buildProto(MEMBER_FIELDS, dto, 'create');
  },
  store: inParent({
    parent: 'TunnelZone',
    field: 'hosts',
    key: (m) => m.host_id,
    async beforeAdd(tx, _zone, m) {
      await tx.get('Host', String(m.host_id));
    },
    duplicate: () => conflict('', true),
    added(zone, m) {
      zone.host_ids = [...(zone.host_ids ?? []), String(m.host_id)];
    },
    removed(zone, hostId) {
      zone.host_ids = (zone.host_ids ?? []).filter((h) => h !== hostId);
    },
  }),
  render(ctx, { parent, entry }) {
    const zoneId = String(parent.id);
    const hostId = String(entry.host_id);
    return {
      tunnelZoneId: zoneId,
      hostId,
      ipAddress: entry.ip?.address ?? null,
      uri: `${ctx.base}/tunnel_zones/${zoneId}/hosts/${hostId}`,
      host: `${ctx.base}/hosts/${hostId}`,
      tunnelZone: `${ctx.base}/tunnel_zones/${zoneId}`,
    };
  },
  missing: {
    // unlike the DELETE miss, the original's GET miss has a body
    get: () => notFound('Resource not found'),
    delete: () => notFound(null, true),
  },
};
