/**
 * Neutron's configuration and agent memberships (the original's ConfigTranslator,
 * AgentMembershipTranslator and TunnelZoneManager): the configuration's id is the id of Neutron's
 * one tunnel zone, `DEFAULT`, of the configured tunnel protocol; an agent membership puts a host
 * (the membership's id is the host's) with its tunnel address into that zone.
 */
import type { NeutronConfig, TunnelZone } from '../../../lib/models/generated.js';
import { conflict, idOf, unsupported, type TranslationTx, type Translator } from '../translation.js';

/** The zone a configuration stands for (a missing protocol is GRE, the proto default). */
export function neutronDefaultTunnelZone(config: NeutronConfig): TunnelZone {
  return { id: idOf(config), name: 'DEFAULT', type: config.tunnel_protocol === 'VXLAN' ? 'VXLAN' : 'GRE' };
}

/** The zone of the one stored configuration; none or several is a conflict, as in the original. */
export async function getNeutronDefaultTunnelZone(tx: TranslationTx): Promise<TunnelZone> {
  const configs = await tx.listAll('NeutronConfig');
  if (configs.length === 0) throw conflict('Cannot find a Neutron configuration');
  if (configs.length > 1) throw conflict('Found more than 1 Neutron configuration');
  return tx.get('TunnelZone', idOf(configs[0]));
}

export const configTranslator: Translator<'NeutronConfig'> = {
  clazz: 'NeutronConfig',
  async create({ tx }, config) {
    // a zone made earlier (by a previous configuration with this id) is kept as it is
    if (await tx.exists('TunnelZone', idOf(config))) return;
    await tx.create('TunnelZone', neutronDefaultTunnelZone(config));
  },
  update() {
    return Promise.reject(unsupported('Config Update is not supported.'));
  },
  delete() {
    return Promise.reject(unsupported('Config Delete is not supported.'));
  },
};

/** The message of the MidoNet API for the same refusal (lib/http/messages.ts). */
const MEMBER_EXISTS = 'Tunnel zone membership already exists.';

export const agentMembershipTranslator: Translator<'AgentMembership'> = {
  clazz: 'AgentMembership',
  async create({ tx }, membership) {
    const zone = await getNeutronDefaultTunnelZone(tx);
    const hostId = idOf(membership);
    // the original added a second entry for a host already in the zone (docs/decisions/0022)
    if ((zone.hosts ?? []).some((h) => h.host_id === hostId)) throw conflict(MEMBER_EXISTS);
    const entry = membership.ip_address ? { host_id: hostId, ip: membership.ip_address } : { host_id: hostId };
    await tx.update('TunnelZone', { ...zone, hosts: [...(zone.hosts ?? []), entry], host_ids: [...(zone.host_ids ?? []), hostId] });
  },
  update() {
    return Promise.reject(unsupported('Agent membership update is not supported'));
  },
  async delete({ tx }, membership) {
    const zone = await getNeutronDefaultTunnelZone(tx);
    const hostId = idOf(membership);
    const hosts = zone.hosts ?? [];
    const at = hosts.findIndex((h) => h.host_id === hostId);
    if (at < 0) throw conflict(`No host mapping found for host ${hostId}`);
    const hostIds = [...(zone.host_ids ?? [])];
    const idAt = hostIds.indexOf(hostId);
    if (idAt >= 0) hostIds.splice(idAt, 1);
    await tx.update('TunnelZone', { ...zone, hosts: hosts.filter((_, i) => i !== at), host_ids: hostIds });
  },
};
