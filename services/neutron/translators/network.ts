/**
 * Neutron network → MidoNet bridge (`Network`) with the same id (the original's
 * NetworkTranslator). Uplink networks have no MidoNet counterpart: only the Neutron object is kept.
 */
import type { Network, NeutronNetwork } from '../../../lib/models/generated.js';
import { idOf, type Translator } from '../translation.js';

export function isUplinkNetwork(n: NeutronNetwork): boolean {
  return n.network_type === 'UPLINK';
}

export const networkTranslator: Translator<'NeutronNetwork'> = {
  clazz: 'NeutronNetwork',
  // `subnets` is kept by the server (subnet create/delete), not sent by Neutron
  retention: { kind: 'asReceived', keep: ['subnets'] },

  async create({ tx }, n) {
    if (isUplinkNetwork(n)) return;
    const bridge: Network = {
      id: n.id,
      tenant_id: n.tenant_id ?? '',
      name: n.name ?? '',
      admin_state_up: n.admin_state_up ?? false,
    };
    if (n.qos_policy_id !== undefined) bridge.qos_policy_id = n.qos_policy_id;
    await tx.create('Network', bridge);
  },

  async update({ tx }, n) {
    if (isUplinkNetwork(n)) return;
    const bridge = await tx.get('Network', idOf(n));
    bridge.name = n.name ?? '';
    bridge.admin_state_up = n.admin_state_up ?? false;
    // the tenant is not changed by an update (NetworkIT), the QoS policy is replaced
    if (n.qos_policy_id !== undefined) bridge.qos_policy_id = n.qos_policy_id;
    else delete bridge.qos_policy_id;
    await tx.update('Network', bridge);
  },

  async delete({ tx }, n) {
    if (isUplinkNetwork(n)) return;
    await tx.delete('Network', idOf(n), true);
  },
};
