/**
 * L2 insertions (`/l2insertions`, rest-api-extras.md §5.6): traffic of a protected port (`portId`,
 * to and from the VM's `mac`) goes through a service port (`srvPortId`) first. Each write runs the
 * translation of l2insertion-chains.ts in the same transaction. Deleting either port deletes the
 * insertion (the bindings), as in the original, without touching the chains.
 */
import type { L2Insertion } from '../../../lib/models/generated.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { badRequest } from '../../../lib/http/errors.js';
import { T, V } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { idField, media, rw } from './common.js';
import { addServiceRules, byPosition, checkPorts, rebuildProtectedChains, redirectChains, removeServiceRules } from './l2insertion-chains.js';

/** The protected port's insertions as they are in the transaction, `except` one. */
async function insertionsOf(tx: Transaction, portId: string, except?: string): Promise<L2Insertion[]> {
  const port = await tx.get('Port', portId);
  return tx.getAll(
    'L2Insertion',
    (port.insertion_ids ?? []).filter((id) => id !== except),
  );
}

export const l2insertions: ResourceDef<'L2Insertion'> = {
  name: 'L2 insertion',
  clazz: 'L2Insertion',
  segment: 'l2insertions',
  media: media('L2Insertion', [1]),
  fields: [
    idField,
    // the ports are given again on PUT and must not change (beforeUpdate)
    rw('portId', T.uuid, 'port_id', { required: true }),
    rw('srvPortId', T.uuid, 'srv_port_id', { required: true }),
    // stored unsigned; a VLAN id is 12 bits (the PCP marks take the bits above)
    rw('vlan', T.int32, 'vlan', { default: 0, validators: [V.range(0, 4095)] }),
    rw('position', T.int32, 'position', { default: 0, validators: [V.min(0)] }),
    rw('failOpen', T.bool, 'fail_open', { default: false }),
    rw('mac', T.string, 'mac', { required: true }),
  ],
  create: {},
  update: {},
  delete: { missing: 404 },
  filters: {
    // srv_port wins over port, as the original's list filter
    srv_port: (p, v) => p.srv_port_id === v,
    port: (p, v, query) => query['srv_port'] !== undefined || p.port_id === v,
  },
  hooks: {
    async beforeCreate(tx, ins) {
      const chains = await redirectChains(tx, String(ins.port_id));
      const srv = await redirectChains(tx, String(ins.srv_port_id));
      await addServiceRules(tx, srv.inbound, chains, ins);
    },
    async afterCreate(tx, ins) {
      const chains = await redirectChains(tx, String(ins.port_id));
      const all = await insertionsOf(tx, String(ins.port_id));
      await checkPorts(tx, ins, all);
      await rebuildProtectedChains(tx, chains, all.sort(byPosition));
    },
    async beforeUpdate(tx, ins, current) {
      if (ins.port_id !== current.port_id || ins.srv_port_id !== current.srv_port_id) {
        throw badRequest("Port/SrvPort can't be changed for an insertion");
      }
      const chains = await redirectChains(tx, String(ins.port_id));
      const srv = await redirectChains(tx, String(ins.srv_port_id));
      await removeServiceRules(tx, current);
      await addServiceRules(tx, srv.inbound, chains, ins);
      const others = await insertionsOf(tx, String(ins.port_id), String(ins.id));
      await checkPorts(tx, ins, others);
      await rebuildProtectedChains(tx, chains, [...others, ins].sort(byPosition));
    },
    async beforeDelete(tx, ins) {
      const chains = await redirectChains(tx, String(ins.port_id));
      await redirectChains(tx, String(ins.srv_port_id));
      await removeServiceRules(tx, ins);
      await rebuildProtectedChains(tx, chains, (await insertionsOf(tx, String(ins.port_id), String(ins.id))).sort(byPosition));
    },
  },
};
