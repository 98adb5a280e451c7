/**
 * Port groups (`/port_groups`, rest-api-core.md §6.8) and their memberships. A membership is
 * the port's `port_group_ids` entry; the PortGroup.port_ids ⇄ Port.port_group_ids binding keeps
 * the group's side.
 */
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import { conflict, notFound, validationError } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { T } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import { parseInput, requireObjectBody } from '../machinery/dto.js';
import type { FieldDef, RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
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
};

/** The writable part of a PortGroupPort body: the group comes from the path. */
const MEMBER_FIELDS: FieldDef[] = [{ json: 'portId', type: T.uuid, access: 'create', required: true }];

function memberJson(ctx: RequestContext, groupId: string, portId: string): Record<string, unknown> {
  return {
    portGroupId: groupId,
    portId,
    uri: `${ctx.base}/port_groups/${groupId}/ports/${portId}`,
    port: `${ctx.base}/ports/${portId}`,
    portGroup: `${ctx.base}/port_groups/${groupId}`,
  };
}

export const portGroupMemberRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/port_groups/:id/ports',
    regime: 'E',
    consumes: [MEMBER, JSON_TYPE],
    async handler(ctx) {
      const groupId = pathId(ctx);
      const { dto, violations } = parseInput(MEMBER_FIELDS, requireObjectBody(ctx.body), 'create');
      if (violations.length > 0) throw validationError(violations);
      const portId = dto['portId'] as string;
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        await tx.get('PortGroup', groupId);
        const port = await tx.get('Port', portId);
        const groups = port.port_group_ids ?? [];
        if (groups.includes(groupId)) throw conflict('', true);
        port.port_group_ids = [...groups, groupId];
        await tx.update('Port', port);
      });
      return { status: 201, headers: { Location: `${ctx.base}/port_groups/${groupId}/ports/${portId}` } };
    },
  },
  {
    method: 'GET',
    path: '/port_groups/:id/ports',
    regime: 'E',
    produces: [MEMBERS, JSON_TYPE],
    async handler(ctx) {
      const groupId = pathId(ctx);
      const group = await ctx.storage.get('PortGroup', groupId);
      return { status: 200, body: (group.port_ids ?? []).map((p) => memberJson(ctx, groupId, p)) };
    },
  },
  {
    method: 'GET',
    path: '/port_groups/:id/ports/:portId',
    regime: 'E',
    produces: [MEMBER, JSON_TYPE],
    async handler(ctx) {
      const groupId = pathId(ctx);
      const portId = pathId(ctx, 'portId');
      const group = await ctx.storage.get('PortGroup', groupId);
      if (!(group.port_ids ?? []).includes(portId)) throw notFound(null, true);
      return { status: 200, body: memberJson(ctx, groupId, portId) };
    },
  },
  {
    method: 'DELETE',
    path: '/port_groups/:id/ports/:portId',
    async handler(ctx) {
      const groupId = pathId(ctx);
      const portId = pathId(ctx, 'portId');
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        const port = await tx.getOrNull('Port', portId);
        if (!port) {
          // the port is gone: drop a dangling id from the group, if any
          const group = await tx.get('PortGroup', groupId);
          const list = group.port_ids ?? [];
          if (!list.includes(portId)) return;
          group.port_ids = list.filter((x) => x !== portId);
          await tx.update('PortGroup', group);
          return;
        }
        const groups = port.port_group_ids ?? [];
        if (!groups.includes(groupId)) throw notFound(null, true);
        port.port_group_ids = groups.filter((g) => g !== groupId);
        await tx.update('Port', port);
      });
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/ports/:id/port_groups',
    regime: 'E',
    produces: [MEMBERS],
    async handler(ctx) {
      const portId = pathId(ctx);
      const port = await ctx.storage.get('Port', portId);
      return { status: 200, body: (port.port_group_ids ?? []).map((g) => memberJson(ctx, g, portId)) };
    },
  },
];
