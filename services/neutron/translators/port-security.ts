/**
 * A port's security bindings (the original's PortTranslator security part): the inbound,
 * outbound and anti-spoof chains of an untrusted port, their rules (anti-spoofing by MAC and IP,
 * allowed address pairs, return flows, the jumps to the security groups' chains, drop non-ARP),
 * and the port's addresses in its security groups' IP address groups.
 */
import type { IPAddrGroup, IPAddress, IPSubnet, NeutronPort, Rule } from '../../../lib/models/generated.js';
import * as ids from '../ids.js';
import { hostSubnet, sameAddress } from '../net.js';
import { ARP_ETHERTYPE, anyFragment, deleteRulesOf, dropNonArpRule, dropRule, jumpRule, newChain, returnFlowRule, returnRule } from '../rules.js';
import { idOf, type TranslationTx } from '../translation.js';
import { isTrustedPort, portSecurityEnabled } from './port-kinds.js';

const inboundName = (portId: string): string => `OS_PORT_${portId}_INBOUND`;
const outboundName = (portId: string): string => `OS_PORT_${portId}_OUTBOUND`;
const antiSpoofName = (portId: string): string => `OS_PORT_${portId}_ANTI_SPOOF`;

/** The three chains of an untrusted port, created empty. */
export async function createSecurityChains(tx: TranslationTx, portId: string): Promise<void> {
  await tx.create('Chain', newChain(ids.inChainId(portId), inboundName(portId)));
  await tx.create('Chain', newChain(ids.outChainId(portId), outboundName(portId)));
  // the jump into the anti-spoof chain is listed even before it exists, as the original does
  await tx.create('Chain', newChain(ids.antiSpoofChainId(portId), antiSpoofName(portId), [ids.antiSpoofChainJumpRuleId(portId)]));
}

export async function deleteSecurityChains(tx: TranslationTx, portId: string): Promise<void> {
  await tx.delete('Chain', ids.inChainId(portId), true);
  await tx.delete('Chain', ids.outChainId(portId), true);
  await tx.delete('Chain', ids.antiSpoofChainId(portId), true);
}

/** RETURN for ARP from the address, and for IP from the address with the MAC. */
function ipMacPair(chainId: string, ip: IPSubnet, mac: string | undefined): Rule[] {
  const withMac = anyFragment({ nw_src_ip: ip });
  if (mac !== undefined) withMac.dl_src = mac;
  return [returnRule(chainId, anyFragment({ dl_type: ARP_ETHERTYPE, nw_src_ip: ip })), returnRule(chainId, withMac)];
}

/** The rules of the three chains of an untrusted port with port security, in chain order. */
async function chainRules(groups: Groups, port: NeutronPort): Promise<{ inbound: Rule[]; outbound: Rule[]; antiSpoof: Rule[] }> {
  const portId = idOf(port);
  const inId = ids.inChainId(portId);
  const outId = ids.outChainId(portId);
  const spoofId = ids.antiSpoofChainId(portId);

  const antiSpoof: Rule[] = [returnRule(spoofId, anyFragment({ tp_src: { start: 68, end: 68 }, tp_dst: { start: 67, end: 67 } }))];
  for (const f of port.fixed_ips ?? []) {
    if (f.ip_address) antiSpoof.push(...ipMacPair(spoofId, hostSubnet(f.ip_address), port.mac_address));
  }
  for (const pair of port.allowed_address_pairs ?? []) {
    if (pair.ip_address) antiSpoof.push(...ipMacPair(spoofId, pair.ip_address, pair.mac_address));
  }
  antiSpoof.push(dropRule(spoofId, anyFragment()));

  const inbound: Rule[] = [jumpRule(inId, spoofId, ids.antiSpoofChainJumpRuleId(portId)), returnFlowRule(inId)];
  const outbound: Rule[] = [returnFlowRule(outId)];
  for (const sgId of port.security_groups ?? []) {
    const group = await groups.get(sgId);
    inbound.push(jumpRule(inId, group.inbound_chain_id ?? ''));
    outbound.push(jumpRule(outId, group.outbound_chain_id ?? ''));
  }
  inbound.push(dropNonArpRule(inId));
  outbound.push(dropNonArpRule(outId));
  return { inbound, outbound, antiSpoof };
}

/**
 * Brings the chains, their rules and the IP address groups from what `old` needed (none on a
 * create) to what `port` needs. An untrusted port keeping its chains gets all its rules rebuilt.
 * `chainsCreated`: a new port's chains are there already (createSecurityChains).
 */
export async function updateSecurityBindings(tx: TranslationTx, port: NeutronPort, old: NeutronPort | undefined, chainsCreated = false): Promise<void> {
  const portId = idOf(port);
  if (old && !isTrustedPort(old)) {
    if (isTrustedPort(port)) {
      await deleteSecurityChains(tx, portId);
    } else {
      for (const chainId of [ids.inChainId(portId), ids.outChainId(portId), ids.antiSpoofChainId(portId)]) {
        await deleteRulesOf(tx, await tx.get('Chain', chainId));
      }
    }
  } else if (!isTrustedPort(port) && !chainsCreated) {
    await createSecurityChains(tx, portId);
  }

  const groups = new Groups(tx);
  await updateGroupMembership(groups, port, old);

  if (!isTrustedPort(port) && portSecurityEnabled(port)) {
    const { inbound, outbound, antiSpoof } = await chainRules(groups, port);
    for (const rule of [...inbound, ...outbound, ...antiSpoof]) await tx.create('Rule', rule);
  }
}

const addressesOf = (p: NeutronPort): IPAddress[] => (isTrustedPort(p) ? [] : (p.fixed_ips ?? []).flatMap((f) => (f.ip_address ? [f.ip_address] : [])));
const groupsOf = (p: NeutronPort): string[] => (isTrustedPort(p) ? [] : [...(p.security_groups ?? [])]);

/** Multiset difference a − b under an equality. */
function diff<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): T[] {
  const left = [...b];
  const out: T[] = [];
  for (const x of a) {
    const at = left.findIndex((y) => eq(x, y));
    if (at >= 0) left.splice(at, 1);
    else out.push(x);
  }
  return out;
}

const sameId = (a: string, b: string): boolean => a === b;

/** Adds the port under the address's entry (a new entry for a new address). */
function addMember(group: IPAddrGroup, ip: IPAddress, portId: string): void {
  const entries = group.ip_addr_ports ?? [];
  const entry = entries.find((e) => sameAddress(e.ip_address, ip));
  if (entry) entry.port_ids = [...(entry.port_ids ?? []), portId];
  else entries.push({ ip_address: ip, port_ids: [portId] });
  group.ip_addr_ports = entries;
}

/**
 * Takes the port out of the address's entry, and the entry out of the group once no port is left
 * (agents treat every listed address as a member: docs/decisions/0018).
 */
function removeMember(group: IPAddrGroup, ip: IPAddress, portId: string): void {
  const entries = group.ip_addr_ports ?? [];
  const at = entries.findIndex((e) => sameAddress(e.ip_address, ip));
  const entry = entries[at];
  if (!entry) return;
  const ports = [...(entry.port_ids ?? [])];
  const p = ports.indexOf(portId);
  if (p >= 0) ports.splice(p, 1);
  entry.port_ids = ports;
  if (ports.length === 0) entries.splice(at, 1);
  group.ip_addr_ports = entries;
}

/** The IP address groups a request reads and changes, each read once (big: one entry per address). */
class Groups {
  private readonly read = new Map<string, Promise<IPAddrGroup>>();

  constructor(readonly tx: TranslationTx) {}

  /** The group as this request left it; NotFound when it does not exist. */
  get(id: string): Promise<IPAddrGroup> {
    let g = this.read.get(id);
    if (!g) {
      g = this.tx.get('IPAddrGroup', id);
      this.read.set(id, g);
    }
    return g;
  }

  async change(portId: string, sgIds: readonly string[], add: readonly IPAddress[], remove: readonly IPAddress[]): Promise<void> {
    if (add.length === 0 && remove.length === 0) return;
    for (const id of sgIds) {
      const group = await this.get(id);
      for (const ip of add) addMember(group, ip, portId);
      for (const ip of remove) removeMember(group, ip, portId);
      await this.tx.update('IPAddrGroup', group);
    }
  }
}

/** The port's addresses in its security groups' IP address groups, as a diff from `old`. */
async function updateGroupMembership(groups: Groups, port: NeutronPort, old: NeutronPort | undefined): Promise<void> {
  const portId = idOf(port);
  const newIps = addressesOf(port);
  const newSgs = groupsOf(port);
  const oldIps = old ? addressesOf(old) : [];
  const oldSgs = old ? groupsOf(old) : [];
  const removedSgs = diff(oldSgs, newSgs, sameId);
  const addedSgs = diff(newSgs, oldSgs, sameId);
  const keptSgs = diff(newSgs, addedSgs, sameId);
  await groups.change(portId, removedSgs, [], oldIps);
  await groups.change(portId, addedSgs, newIps, []);
  await groups.change(portId, keptSgs, diff(newIps, oldIps, sameAddress), diff(oldIps, newIps, sameAddress));
}

/** A deleted untrusted port leaves its security groups. */
export async function leaveGroups(tx: TranslationTx, port: NeutronPort): Promise<void> {
  await new Groups(tx).change(idOf(port), port.security_groups ?? [], [], addressesOf(port));
}
