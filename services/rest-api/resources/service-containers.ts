/**
 * Service containers and their groups (rest-api-extras.md §5.4, §5.5): the REST objects only;
 * scheduling them on hosts is the container service's job. A container plugs into a router port
 * (`portId`); its status comes from the state key the agent of the port's host writes. A PUT
 * only moves the container: it binds its port to the body's `hostId` (or unbinds it).
 */
import type { ContainerStatus } from '../../../lib/models/generated.js';
import { parseText } from '../../../lib/nsdb/codec/text-format.js';
import { HttpError } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { enumType, T } from '../machinery/field-types.js';
import type { FieldDef, ResourceDef } from '../machinery/types.js';
import { idField, media, refLink, rw, subLink } from './common.js';

export const serviceContainerGroups: ResourceDef<'ServiceContainerGroup'> = {
  name: 'service container group',
  clazz: 'ServiceContainerGroup',
  segment: 'service_container_groups',
  media: media('ServiceContainerGroup', [1]),
  fields: [
    idField,
    rw('policy', enumType({ WEIGHTED: 'WEIGHTED_SCHEDULER', LEAST: 'LEAST_SCHEDULER' }), 'policy', { default: 'WEIGHTED' }),
    rw('hostGroupId', T.uuid, 'host_group_id'),
    rw('portGroupId', T.uuid, 'port_group_id'),
  ],
  links: [subLink('serviceContainers', 'service_containers')],
  create: {},
  update: {},
  delete: { missing: 204 },
};

/** Filled from the port and the agent's state key when the container is shown (decorate). */
const status = (json: string): FieldDef => ({ json, type: T.string, access: 'ro', read: () => null });

/** The status an agent reports for a container on its host: `state/<host>/ServiceContainer/<id>/status`. */
async function reportedStatus(read: (path: string) => Promise<Buffer | null>, path: string): Promise<ContainerStatus | null> {
  let data: Buffer | null;
  try {
    data = await read(path);
  } catch {
    return null; // state is advisory: the container itself was read fine
  }
  if (data === null) return null;
  try {
    return parseText('ContainerStatus', data.toString('utf8'));
  } catch {
    return null;
  }
}

export const serviceContainers: ResourceDef<'ServiceContainer'> = {
  name: 'service container',
  clazz: 'ServiceContainer',
  segment: 'service_containers',
  media: media('ServiceContainer', [1]),
  fields: [
    idField,
    { json: 'serviceType', type: T.string, access: 'create', required: true, proto: 'service_type' },
    { json: 'serviceGroupId', type: T.uuid, access: 'create', proto: 'service_group_id' },
    { json: 'portId', type: T.uuid, access: 'create', proto: 'port_id' },
    { json: 'configurationId', type: T.uuid, access: 'create', proto: 'configuration_id' },
    // where the container runs: its port's host; a PUT's only input (beforeUpdate)
    { json: 'hostId', type: T.uuid, access: 'rw', owns: [], read: () => null, write: () => undefined },
    status('statusCode'),
    status('statusMessage'),
    status('namespaceName'),
    status('interfaceName'),
  ],
  links: [refLink('port', 'ports', 'port_id'), refLink('serviceContainerGroup', 'service_container_groups', 'service_group_id')],
  create: {},
  update: {},
  delete: { missing: 204 },
  parents: [
    {
      segment: 'service_container_groups',
      clazz: 'ServiceContainerGroup',
      childIds: 'service_container_ids',
      parentRef: 'service_group_id',
      itemMethods: ['GET', 'PUT', 'DELETE'],
    },
  ],
  hooks: {
    async beforeUpdate(tx, _proto, current, dto) {
      const id = String(current.id);
      if (current.port_id === undefined) throw new HttpError(406, message('ContainerUnschedulable', id));
      const port = await tx.get('Port', current.port_id);
      const host = (dto['hostId'] as string | null) ?? undefined;
      if (port.host_id === host) return;
      if (host === undefined) delete port.host_id;
      else port.host_id = host;
      await tx.update('Port', port);
    },
    async decorate(json, proto, ctx) {
      if (proto.port_id === undefined) return;
      const port = await ctx.storage.get('Port', proto.port_id);
      const host = port.host_id;
      json['hostId'] = host ?? null;
      if (host === undefined) {
        json['statusCode'] = 'STOPPED';
        return;
      }
      const zk = ctx.storage.zookeeper;
      const path = `${ctx.storage.layout.state(host, 'ServiceContainer', String(proto.id))}/status`;
      const reported = await reportedStatus(async (p) => ((await zk.exists(p)) ? (await zk.getData(p)).data : null), path);
      if (!reported) {
        json['statusCode'] = 'STOPPED';
        return;
      }
      // unset fields read as the protobuf defaults, as the original's getters give them
      json['statusCode'] = reported.status_code ?? 'STARTING';
      json['statusMessage'] = reported.status_message ?? '';
      json['namespaceName'] = reported.namespace_name ?? '';
      json['interfaceName'] = reported.interface_name ?? '';
    },
  },
};
