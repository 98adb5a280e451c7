/** Bridges (`/bridges`), stored as `Network` (rest-api-core.md §6.1). */
import { conflict, HttpError } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { requireObjectBody } from '../machinery/dto.js';
import { T } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import {
  adminStateField,
  filterFields,
  filterLinks,
  idField,
  media,
  mirrorFields,
  nameField,
  refLink,
  ro,
  rw,
  subLink,
  tenantField,
  tenantFilter,
} from './common.js';

export const bridges: ResourceDef<'Network'> = {
  name: 'bridge',
  clazz: 'Network',
  segment: 'bridges',
  media: media('Bridge', [4, 5]),
  fields: [
    idField,
    tenantField,
    nameField,
    adminStateField,
    ...filterFields,
    ...mirrorFields,
    rw('qosPolicyId', T.uuid, 'qos_policy_id'),
    ro('vxLanPortIds', T.uuidList, 'vxlan_port_ids'),
  ],
  links: [
    ...filterLinks,
    subLink('ports', 'ports'),
    subLink('peerPorts', 'peer_ports'),
    subLink('vxLanPorts', 'vxlan_ports'),
    subLink('macTable', 'mac_table'),
    subLink('arpTable', 'arp_table'),
    subLink('dhcpSubnets', 'dhcp'),
    subLink('dhcpSubnet6s', 'dhcpV6'),
    subLink('vlanMacTableTemplate', 'vlans/{vlanId}/mac_table'),
    subLink('macPortTemplate', 'mac_table/{macAddress}_{portId}'),
    subLink('vlanMacPortTemplate', 'vlans/{vlanId}/mac_table/{macAddress}_{portId}'),
    refLink('qosPolicy', 'qos_policies', 'qos_policy_id'),
  ],
  create: {},
  update: {},
  delete: { missing: 404 },
  filters: tenantFilter,
  project: { own: 'tenant_id' },
  hooks: {
    validate(_dto, ctx, mode, current) {
      // VXLAN ports come from VTEP bindings only; the list can be echoed back but never set.
      const body = requireObjectBody(ctx.body);
      const given = body['vxLanPortIds'];
      if (given === undefined || given === null) return;
      const same =
        mode === 'update' &&
        Array.isArray(given) &&
        JSON.stringify(given.map((x) => String(x).toLowerCase())) === JSON.stringify(current?.vxlan_port_ids ?? []);
      if (!same) throw new HttpError(400, message('VxLanPortIdNotSettable'));
    },
    async beforeDelete(_tx, bridge) {
      // its VxLAN ports go with its VTEP bindings, which the API removes one by one
      if ((bridge.vxlan_port_ids ?? []).length > 0) {
        throw conflict('The bridge still has VTEP bindings, please remove them before deleting the bridge');
      }
    },
  },
};
