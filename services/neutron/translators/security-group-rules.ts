/**
 * A Neutron security-group rule as MidoNet rules (the original's SecurityGroupRuleManager): one
 * ACCEPT rule, or two when it has a port range (header fragments matched on the range, non-header
 * fragments on the rest), in the group's chain for its direction: ingress rules filter traffic
 * to the ports (the group's outbound chain), egress rules traffic from them (its inbound chain).
 */
import type { Condition, EtherType, Protocol, Rule, SecurityGroupRule } from '../../../lib/models/generated.js';
import * as ids from '../ids.js';
import { parseSubnet } from '../net.js';
import { idOf, invalid } from '../translation.js';

export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPV6: 58,
  AH: 51,
  DCCP: 33,
  EGP: 8,
  ESP: 50,
  GRE: 47,
  IGMP: 2,
  IPV6_ENCAP: 41,
  IPV6_FRAG: 44,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
  IPV6_ROUTE: 43,
  OSPF: 89,
  PGM: 113,
  RSVP: 46,
  SCTP: 132,
  UDPLITE: 136,
  VRRP: 112,
};

export const ETHERTYPE_NUMBERS: Readonly<Record<EtherType, number>> = { ARP: 0x0806, IPV4: 0x0800, IPV6: 0x86dd };

/** The chain of the group that holds the rule's translation. */
export function ruleChainId(r: SecurityGroupRule): string {
  const sg = r.security_group_id ?? '';
  return r.direction === 'INGRESS' ? ids.outChainId(sg) : ids.inChainId(sg);
}

function common(r: SecurityGroupRule, id: string): Rule & { condition: Condition } {
  const condition: Condition = {};
  if (r.protocol !== undefined) condition.nw_proto = PROTOCOL_NUMBERS[r.protocol];
  if (r.ethertype !== undefined) condition.dl_type = ETHERTYPE_NUMBERS[r.ethertype];
  const prefix = r.remote_ip_prefix !== undefined ? parseSubnet(r.remote_ip_prefix) : undefined;
  if (r.remote_ip_prefix !== undefined && !prefix) throw invalid(`Invalid remote IP prefix ${r.remote_ip_prefix} of security group rule ${idOf(r)}`);
  if (r.direction === 'INGRESS') {
    if (prefix) condition.nw_src_ip = prefix;
    if (r.remote_group_id !== undefined) condition.ip_addr_group_id_src = r.remote_group_id;
  } else {
    if (prefix) condition.nw_dst_ip = prefix;
    if (r.remote_group_id !== undefined) condition.ip_addr_group_id_dst = r.remote_group_id;
  }
  return { id, type: 'LITERAL_RULE', action: 'ACCEPT', chain_id: ruleChainId(r), condition };
}

/** The MidoNet rules of a security-group rule, in chain order. */
export function translateRule(r: SecurityGroupRule): Rule[] {
  const min = r.port_range_min;
  const max = r.port_range_max;
  if (min === undefined && max === undefined) {
    const any = common(r, idOf(r));
    any.condition.fragment_policy = 'ANY';
    return [any];
  }
  const header = common(r, idOf(r));
  header.condition.fragment_policy = 'HEADER';
  if (r.protocol === 'ICMP') {
    // for ICMP the range is the type (min) and the code (max)
    if (min !== undefined) header.condition.tp_src = { start: min, end: min };
    if (max !== undefined) header.condition.tp_dst = { start: max, end: max };
  } else {
    header.condition.tp_dst = { ...(min !== undefined ? { start: min } : {}), ...(max !== undefined ? { end: max } : {}) };
  }
  const nonHeader = common(r, ids.nonHeaderRuleId(idOf(r)));
  nonHeader.condition.fragment_policy = 'NONHEADER';
  return [header, nonHeader];
}
