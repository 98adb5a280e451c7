/**
 * Neutron floating IP → NAT on its router, as the original's FloatingIpTranslator: while it is
 * associated with a port, an ARP entry for the floating address (the MAC of the router's port on
 * the floating network) and five rules with ids derived from the floating IP's: DNAT first in
 * pre-routing, exact SNAT first in OS_FLOAT_SNAT_EXACT, SNAT in OS_FLOAT_SNAT (first through the
 * gateway, last through an interface), skip-SNAT RETURN/ACCEPT around OS_SKIP_SNAT; every rule
 * names the associated port (`fip_port_id`), so deleting that port deletes them.
 */
import type { FloatingIp, Rule } from '../../../lib/models/generated.js';
import * as ids from '../ids.js';
import { addressText, hostSubnet, subnetContains } from '../net.js';
import { conflict, idOf, invalid, unsupported, type TranslationContext, type TranslationTx, type Translator } from '../translation.js';
import { isVipPort } from './port-kinds.js';
import { checkOldRouterTranslation, natRuleData, withRules } from './l3-common.js';

const isIpv6 = (f: FloatingIp): boolean => f.floating_ip_address?.version === 'V6';

/** The router's port pair on the floating network: network side, router side, and whether it is the gateway. */
interface PortPair {
  networkPortId: string;
  routerPortId: string;
  isGateway: boolean;
}

/**
 * The gateway when its network and one of that network's subnets hold the address; else the
 * first interface of the router whose first subnet is a subnet of the floating network holding it;
 * none → 409 (a router without gateway or interface there, an address outside the network's subnets).
 */
async function portPair(tx: TranslationTx, routerId: string, floatingNetworkId: string, fipAddress: string): Promise<PortPair> {
  const nRouter = await tx.get('NeutronRouter', routerId);
  const net = await tx.get('Network', floatingNetworkId);
  const address = { version: 'V4' as const, address: fipAddress };
  const dhcps = await tx.getAll('Dhcp', net.dhcp_ids ?? []);
  const inFloatingSubnet = (subnetId: string | undefined): boolean =>
    dhcps.some((d) => idOf(d) === subnetId && !!d.subnet_address && subnetContains(d.subnet_address, address));
  if (nRouter.gw_port_id) {
    const routerGwPortId = ids.tenantGwPortId(nRouter.gw_port_id);
    const gwPort = await tx.get('Port', routerGwPortId);
    const peer = await tx.get('NeutronPort', gwPort.peer_id ?? '');
    if (peer.network_id === floatingNetworkId && dhcps.some((d) => !!d.subnet_address && subnetContains(d.subnet_address, address))) {
      return { networkPortId: nRouter.gw_port_id, routerPortId: routerGwPortId, isGateway: true };
    }
  }
  const router = await tx.get('Router', routerId);
  const ports = (await tx.getAll('Port', router.port_ids ?? [])).filter((p) => p.peer_id && (p.port_subnet ?? []).length > 0);
  for (const port of ports) {
    const peer = await tx.getOrNull('NeutronPort', port.peer_id ?? '');
    if (peer && inFloatingSubnet(peer.fixed_ips?.[0]?.subnet_id)) return { networkPortId: idOf(peer), routerPortId: idOf(port), isGateway: false };
  }
  throw conflict(`Router ${routerId} has no port whose subnet contains ${fipAddress}`);
}

async function arpEntryPath(ctx: TranslationContext, f: FloatingIp, networkPortId: string): Promise<string> {
  const port = await ctx.tx.get('NeutronPort', networkPortId);
  return ctx.tables.arpEntry(port.network_id ?? '', addressText(f.floating_ip_address), port.mac_address ?? '');
}

async function addNatRules(tx: TranslationTx, f: FloatingIp, routerPortId: string, isGateway: boolean): Promise<void> {
  const fipId = idOf(f);
  const routerId = f.router_id ?? '';
  const portId = f.port_id ?? '';
  const fixed = f.fixed_ip_address ?? {};
  const floating = f.floating_ip_address ?? {};
  const snat: Rule = {
    id: ids.fipSnatRuleId(fipId),
    type: 'NAT_RULE',
    action: 'ACCEPT',
    fip_port_id: portId,
    condition: { fragment_policy: 'ANY', nw_src_ip: hostSubnet(fixed) },
    nat_rule_data: natRuleData(floating, false, false),
  };
  const snatExact: Rule = {
    ...snat,
    id: ids.fipSnatExactRuleId(fipId),
    condition: { fragment_policy: 'ANY', out_port_ids: [routerPortId], nw_src_ip: hostSubnet(fixed) },
  };
  const dnat: Rule = {
    id: ids.fipDnatRuleId(fipId),
    type: 'NAT_RULE',
    action: 'ACCEPT',
    fip_port_id: portId,
    condition: { fragment_policy: 'ANY', nw_dst_ip: hostSubnet(floating) },
    nat_rule_data: natRuleData(fixed, true, false),
  };
  const skipOut: Rule = {
    id: ids.fipSkipSnatOutRuleId(fipId),
    type: 'LITERAL_RULE',
    action: 'RETURN',
    fip_port_id: portId,
    condition: { fragment_policy: 'ANY', out_port_ids: [routerPortId] },
  };
  const skipIn: Rule = {
    id: ids.fipSkipSnatInRuleId(fipId),
    type: 'LITERAL_RULE',
    action: 'ACCEPT',
    fip_port_id: portId,
    condition: { fragment_policy: 'ANY', in_port_ids: [routerPortId] },
  };

  const pre = await tx.get('Chain', ids.inChainId(routerId));
  const exact = await tx.get('Chain', ids.floatSnatExactChainId(routerId));
  const float = await tx.get('Chain', ids.floatSnatChainId(routerId));
  const skip = await tx.get('Chain', ids.skipSnatChainId(routerId));
  // created without a chain: each chain's update binds its rules where they go in it
  for (const rule of [snat, snatExact, dnat, skipOut, skipIn]) await tx.create('Rule', rule);
  await tx.update('Chain', withRules(pre, [dnat.id ?? '']));
  await tx.update('Chain', withRules(exact, [snatExact.id ?? '']));
  await tx.update('Chain', withRules(skip, [skipOut.id ?? ''], [skipIn.id ?? '']));
  await tx.update('Chain', isGateway ? withRules(float, [snat.id ?? '']) : withRules(float, [], [snat.id ?? '']));
}

async function removeNatRules(tx: TranslationTx, f: FloatingIp): Promise<void> {
  const fipId = idOf(f);
  for (const id of [
    ids.fipSnatRuleId,
    ids.fipSnatExactRuleId,
    ids.fipDnatRuleId,
    ids.fipReverseDnatRuleId,
    ids.fipSkipSnatOutRuleId,
    ids.fipSkipSnatInRuleId,
  ]) {
    await tx.delete('Rule', id(fipId), true);
  }
}

/** Native LBaaS v1 VIPs cannot have floating IPs (500, as the original). */
async function rejectVipPort(tx: TranslationTx, f: FloatingIp): Promise<void> {
  const port = await tx.get('NeutronPort', f.port_id ?? '');
  if (!isVipPort(port)) return;
  const vips = await tx.listAll('NeutronVIP');
  if (vips.some((v) => v.port_id === f.port_id)) throw unsupported("MidoNet native LBaaS v1 doesn't support floating-ip association");
}

function requireIpv4(f: FloatingIp): void {
  // NAT64 floating IPs (an IPv6 address for an IPv4 port) go through VPP: not translated here
  if (isIpv6(f)) throw invalid('IPv6 floating IPs are not supported by this node');
}

async function associate(ctx: TranslationContext, f: FloatingIp): Promise<void> {
  const { tx } = ctx;
  await rejectVipPort(tx, f);
  requireIpv4(f);
  const routerId = f.router_id ?? '';
  await checkOldRouterTranslation(tx, routerId);
  const pair = await portPair(tx, routerId, f.floating_network_id ?? '', addressText(f.floating_ip_address));
  await tx.createNode(await arpEntryPath(ctx, f, pair.networkPortId));
  await addNatRules(tx, f, pair.routerPortId, pair.isGateway);
}

async function disassociate(ctx: TranslationContext, f: FloatingIp): Promise<void> {
  if (isIpv6(f)) return;
  const pair = await portPair(ctx.tx, f.router_id ?? '', f.floating_network_id ?? '', addressText(f.floating_ip_address));
  await ctx.tx.deleteNode(await arpEntryPath(ctx, f, pair.networkPortId));
  await removeNatRules(ctx.tx, f);
}

export const floatingIpTranslator: Translator<'FloatingIp'> = {
  clazz: 'FloatingIp',

  async create(ctx, f) {
    if (f.port_id) await associate(ctx, f);
  },

  async update(ctx, f) {
    const old = await ctx.tx.get('FloatingIp', idOf(f));
    if (!old.port_id && !f.port_id) return;
    if (old.port_id && f.port_id && old.port_id === f.port_id && old.router_id === f.router_id) return;
    if (old.port_id && !f.port_id) return disassociate(ctx, old);
    if (!old.port_id && f.port_id) return associate(ctx, f);
    if (isIpv6(old) || isIpv6(f)) {
      await disassociate(ctx, old);
      await associate(ctx, f);
      return;
    }
    // another port or router: the ARP entry moves with the router, the rules are rebuilt
    const address = addressText(f.floating_ip_address);
    const pair = await portPair(ctx.tx, f.router_id ?? '', f.floating_network_id ?? '', address);
    if (old.router_id !== f.router_id) {
      const oldPair = await portPair(ctx.tx, old.router_id ?? '', f.floating_network_id ?? '', address);
      await ctx.tx.deleteNode(await arpEntryPath(ctx, f, oldPair.networkPortId));
      await ctx.tx.createNode(await arpEntryPath(ctx, f, pair.networkPortId));
    }
    await removeNatRules(ctx.tx, old);
    await addNatRules(ctx.tx, f, pair.routerPortId, pair.isGateway);
  },

  async delete(ctx, f) {
    if (f.port_id) await disassociate(ctx, f);
  },
};
