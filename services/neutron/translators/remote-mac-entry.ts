/**
 * A remote MAC entry (the original's RemoteMacEntryTranslator): a MAC behind a remote VTEP
 * address, written into the peering table of every port of the gateway device's router whose VNI
 * is the entry's segmentation id. The entry is stored by the translation with the ids of those
 * ports (the store adds the entry to each port's `remote_mac_entry_ids`).
 */
import type { RemoteMacEntry } from '../../../lib/models/generated.js';
import { idOf, invalid, unsupported, type Translator } from '../translation.js';
import { resourceOf } from './gateway-device.js';

/** The entry's MAC and VTEP address, which its peering-table entries are named after. */
export function peeringPair(rm: RemoteMacEntry): { mac: string; ip: string } {
  if (!rm.mac_address) throw invalid('The remote MAC entry has no mac_address.');
  if (!rm.vtep_address?.address) throw invalid('The remote MAC entry has no vtep_address.');
  return { mac: rm.mac_address, ip: rm.vtep_address.address };
}

export const remoteMacEntryTranslator: Translator<'RemoteMacEntry'> = {
  clazz: 'RemoteMacEntry',
  retention: { kind: 'translator' },
  async create({ tx, tables }, rm) {
    const { mac, ip } = peeringPair(rm);
    if (!rm.device_id) throw invalid('The remote MAC entry has no device_id.');
    const device = await tx.get('GatewayDevice', rm.device_id);
    const router = await tx.get('Router', resourceOf(device));
    const vni = rm.segmentation_id ?? 0;
    const portIds: string[] = [];
    for (const p of await tx.getAll('Port', router.port_ids ?? [])) {
      if (p.vni === undefined || p.vni !== vni) continue;
      portIds.push(String(p.id));
      await tx.createNode(tables.peeringEntry(String(p.id), mac, ip));
    }
    await tx.create('RemoteMacEntry', { ...rm, port_ids: portIds });
  },
  update() {
    return Promise.reject(unsupported('RemoteMacEntry update not supported.'));
  },
  async delete({ tx, tables }, rm) {
    const { mac, ip } = peeringPair(rm);
    for (const portId of rm.port_ids ?? []) await tx.deleteNode(tables.peeringEntry(portId, mac, ip));
    await tx.delete('RemoteMacEntry', idOf(rm), true);
  },
};
