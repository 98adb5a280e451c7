/**
 * Port groups (`/port_groups`, rest-api-core.md §6.8) and their memberships. A membership is
 * the port's `port_group_ids` entry; the PortGroup.port_ids ⇄ Port.port_group_ids binding keeps
 * the group's side.
 */
import { conflict, notFound, validationError } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { T } from '../machinery/field-types.js';
import { throughBinding, type Membership } from '../machinery/entries.js';
import { pathId } from '../machinery/handlers.js';
import { parseInput } from '../machinery/dto.js';
import type { Dto, EntriesDef, FieldDef, RequestContext, ResourceDef } from '../machinery/types.js';
import { idField, nameField, rw, subLink, tenantField } from './common.js';

const MEMBER = single('PortGroupPort', 1);
const MEMBERS = collection('PortGroupPort', 1);

export const portGroups: ResourceDef<'PortGroup'> = {
  name: 'port group',
  clazz: 'PortGroup',
  segment: 'port_groups',
  media: {
    single: [single('PortGroup', 1)],
    collection: [collection('PortGroup', 1), JSON_TYPE],
    consumes: [single('PortGroup', 1), JSON_TYPE],
  },
  fields: [idField, tenantField, nameField, rw('stateful', T.bool, 'stateful', { default: false })],
  links: [subLink('ports', 'ports')],
  create: {},
  update: {},
  delete: { missing: 204 },
  filters: {
    tenant_id: (p, v) => p.tenant_id === v,
    port_id: (p, v) => (p.port_ids ?? []).includes(v.toLowerCase()),
  },
  project: { own: 'tenant_id' },
};

/** The writable part of a PortGroupPort body: the group comes from the path. */
const MEMBER_FIELDS: FieldDef[] = [{ json: 'portId', type: T.uuid, access: 'create', required: true }];

function memberJson(ctx: RequestContext, { parentId: groupId, memberId: portId }: Membership): Dto {
  return {
    portGroupId: groupId,
    portId,
    uri: `${ctx.base}/port_groups/${groupId}/ports/${portId}`,
    port: `${ctx.base}/ports/${portId}`,
    portGroup: `${ctx.base}/port_groups/${groupId}`,
  };
}

/** Members of a port group (`/port_groups/{id}/ports`): the ports' `port_group_ids` entries. */
export const portGroupPorts: EntriesDef<Membership, string> = {
  name: 'port group member',
  parent: 'PortGroup',
  path: '/port_groups/:id/ports',
  itemPath: '/port_groups/:id/ports/:portId',
  media: { collection: [MEMBERS, JSON_TYPE], single: [MEMBER, JSON_TYPE], consumes: [MEMBER, JSON_TYPE] },
  pathKey: (ctx) => pathId(ctx, 'portId'),
  parse(_ctx, body) {
    const { dto, violations } = parseInput(MEMBER_FIELDS, body, 'create');
    const portId = dto['portId'];
    if (violations.length > 0 || typeof portId !== 'string') throw validationError(violations);
    return portId;
  },
  store: throughBinding({ parent: 'PortGroup', members: 'port_ids', member: 'Port', parents: 'port_group_ids', duplicate: () => conflict('', true) }),
  render: memberJson,
  missing: { get: () => notFound(null, true), delete: () => notFound(null, true) },
};

/** The memberships of a port (`/ports/{id}/port_groups`), listed from the port's side. */
export const portPortGroups: EntriesDef<Membership> = {
  name: 'port group membership of a port',
  parent: 'Port',
  path: '/ports/:id/port_groups',
  media: { collection: [MEMBERS] },
  store: {
    async list(ctx) {
      const portId = pathId(ctx);
      const port = await ctx.storage.get('Port', portId);
      return (port.port_group_ids ?? []).map((groupId) => ({ parentId: groupId, memberId: portId }));
    },
  },
  render: memberJson,
};
