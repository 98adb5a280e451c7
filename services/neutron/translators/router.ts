/**
 * Neutron router → MidoNet router with the same id and everything the original's RouterTranslator
 * hangs off it: pre-/post-routing and forward chains, the floating-IP SNAT chains (jumped to from
 * the start of post-routing), the two port groups, and, with a gateway, the tenant-router port
 * peered with the Neutron gateway port on the external network, its routes (default, local,
 * subnet) and the SNAT rules when `enable_snat`. Extra routes are diffed on update.
 */
import type { IPAddress, IPSubnet, NeutronPort, NeutronRoute, NeutronRouter, Port, PortGroup, Router, Rule } from '../../../lib/models/generated.js';
import { randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import { randomRouterPortMac } from '../../rest-api/machinery/addresses.js';
import * as ids from '../ids.js';
import { ANY_IPV4, addressText, hostSubnet, subnetContains, subnetText } from '../net.js';
import { anyFragment, newChain } from '../rules.js';
import { idOf, invalid, type TranslationContext, type TranslationTx, type Translator } from '../translation.js';
import {
  ANY_IPV6,
  checkOldRouterTranslation,
  isOldRouterTranslation,
  isValidRouteOnPort,
  localRoute,
  natRuleData,
  nextHopPortRoute,
  reverseNatRuleData,
  routerChainNames as names,
  withRules,
} from './l3-common.js';

const ICMP = 1;

export const isSnatEnabled = (r: NeutronRouter): boolean => r.external_gateway_info?.enable_snat === true;

/** The floating-IP chains, jumped to from the start of post-routing: NAT64, skip-SNAT, exact, then the rest. */
async function createSnatChains(tx: TranslationTx, routerId: string): Promise<void> {
  const chains = [
    newChain(ids.floatSnatChainId(routerId), names.floatSnat(routerId)),
    newChain(ids.floatSnatExactChainId(routerId), names.floatSnatExact(routerId)),
    newChain(ids.skipSnatChainId(routerId), names.skipSnat(routerId)),
    newChain(ids.floatNat64ChainId(routerId), names.floatNat64(routerId)),
  ];
  const jumps: string[] = [];
  for (const chain of chains) {
    await tx.create('Chain', chain);
    // no chain id: the post-routing chain's update below binds it, at the front
    const jump: Rule = { id: randomUuid(), type: 'JUMP_RULE', action: 'JUMP', jump_rule_data: { jump_chain_id: chain.id ?? '' } };
    await tx.create('Rule', jump);
    jumps.unshift(jump.id ?? '');
  }
  const post = await tx.get('Chain', ids.outChainId(routerId));
  await tx.update('Chain', withRules(post, jumps));
  await tx.create('Rule', {
    id: ids.skipSnatAcceptRuleId(routerId),
    type: 'LITERAL_RULE',
    action: 'ACCEPT',
    chain_id: ids.skipSnatChainId(routerId),
    condition: anyFragment({ match_nw_dst_rewritten: true, conjunction_inv: true }),
  });
}

/** The router port group (edge routers bind their uplink ports in it) and the router-interface one. */
function portGroups(r: NeutronRouter): PortGroup[] {
  const routerId = idOf(r);
  const pg = ids.portGroupId(routerId);
  return [
    { id: pg, name: names.portGroup(pg), tenant_id: r.tenant_id ?? '', stateful: true },
    { id: ids.routerInterfacePortGroupId(routerId), name: names.routerInterfacePortGroup(routerId), tenant_id: r.tenant_id ?? '', stateful: false },
  ];
}

interface GatewayAddress {
  subnet: IPSubnet;
  address: IPAddress;
  subnetId: string;
}

/**
 * The tenant-router side of the Neutron gateway port (which Neutron creates first, on the
 * external network): an address per fixed IP, peered with the gateway port.
 */
async function createGatewayPort(ctx: TranslationContext, r: NeutronRouter, router: Router): Promise<void> {
  const { tx } = ctx;
  if (!r.gw_port_id) return;
  const nPort = await tx.get('NeutronPort', r.gw_port_id);
  const port: Port = {
    id: ids.tenantGwPortId(r.gw_port_id),
    router_id: idOf(r),
    admin_state_up: true,
    port_mac: nPort.mac_address ?? randomRouterPortMac(),
    peer_id: idOf(nPort),
  };
  const addresses: GatewayAddress[] = [];
  for (const f of nPort.fixed_ips ?? []) {
    if (!f.ip_address || !f.subnet_id) continue;
    const dhcp = await tx.get('Dhcp', f.subnet_id);
    const cidr = dhcp.subnet_address;
    if (!cidr || !subnetContains(cidr, f.ip_address)) {
      throw invalid(`Port address ${addressText(f.ip_address)} does not belong to DHCP subnet ${subnetText(cidr)}`);
    }
    const subnet: IPSubnet = { version: f.ip_address.version ?? 'V4', address: addressText(f.ip_address), prefix_length: cidr.prefix_length ?? 0 };
    port.port_subnet = [...(port.port_subnet ?? []), subnet];
    port.port_address ??= f.ip_address;
    addresses.push({ subnet, address: f.ip_address, subnetId: f.subnet_id });
  }
  await tx.create('Port', port);
  for (const a of addresses) {
    // IPv6 gateways (NAT64 through VPP) are not translated by this node (docs/decisions/0021)
    if (a.subnet.version === 'V4') await setupGatewayPort4(tx, r, router, port.id ?? '', a);
  }
}

async function setupGatewayPort4(tx: TranslationTx, r: NeutronRouter, router: Router, portId: string, a: GatewayAddress): Promise<void> {
  const dhcp = await tx.get('Dhcp', a.subnetId);
  const subnet = await tx.get('NeutronSubnet', a.subnetId);
  const text = addressText(a.address);
  const defaultRoute = nextHopPortRoute(portId, {
    id: ids.gatewayRouteId(portId, text),
    gatewayDhcpId: idOf(dhcp),
    ...(dhcp.default_gateway ? { gateway: dhcp.default_gateway } : {}),
  });
  await tx.create('Route', defaultRoute);
  await tx.create('Route', localRoute(portId, a.address));
  await tx.create(
    'Route',
    nextHopPortRoute(portId, { id: ids.routerInterfaceRouteId(portId, text), src: ANY_IPV4, ...(subnet.cidr ? { dst: subnet.cidr } : {}) }),
  );
  await createSnatRules(tx, r, router, a.address, portId);
}

/** SNAT of what leaves through the gateway port, and its reverse; none without `enable_snat`. */
async function createSnatRules(tx: TranslationTx, r: NeutronRouter, router: Router, address: IPAddress, portId: string): Promise<void> {
  const routerId = idOf(r);
  // one of them there: all of them are
  if (!isSnatEnabled(r) || (await tx.exists('Rule', ids.outSnatRuleId(routerId)))) return;
  const own = hostSubnet(address);
  const out = router.outbound_filter_id ?? '';
  const inbound = router.inbound_filter_id ?? '';

  const skipOut: Rule = {
    id: ids.skipSnatOutGwPortRuleId(routerId),
    type: 'LITERAL_RULE',
    action: 'RETURN',
    condition: anyFragment({ out_port_ids: [portId] }),
  };
  const skipIn: Rule = { id: ids.skipSnatInGwPortRuleId(routerId), type: 'LITERAL_RULE', action: 'ACCEPT', condition: anyFragment({ in_port_ids: [portId] }) };
  await tx.create('Rule', skipOut);
  await tx.create('Rule', skipIn);
  const skip = await tx.get('Chain', ids.skipSnatChainId(routerId));
  await tx.update('Chain', withRules(skip, [skipOut.id ?? ''], [skipIn.id ?? '']));

  const leaving = { out_port_ids: [portId], nw_src_ip: own, nw_src_inv: true };
  const rules: Rule[] = [
    {
      id: ids.outSnatRuleId(routerId),
      chain_id: out,
      condition: { ...leaving },
      type: 'NAT_RULE',
      action: 'ACCEPT',
      nat_rule_data: natRuleData(address, false, true),
    },
    {
      id: ids.dstRewrittenSnatRuleId(routerId),
      chain_id: out,
      condition: anyFragment({ match_nw_dst_rewritten: true }),
      type: 'NAT_RULE',
      action: 'ACCEPT',
      nat_rule_data: natRuleData(address, false, true),
    },
    { id: ids.outDropUnmatchedFragmentsRuleId(routerId), chain_id: out, type: 'LITERAL_RULE', action: 'DROP', condition: anyFragment({ ...leaving }) },
    {
      id: ids.inReverseSnatRuleId(routerId),
      chain_id: inbound,
      type: 'NAT_RULE',
      action: 'ACCEPT',
      condition: { nw_dst_ip: own },
      nat_rule_data: reverseNatRuleData(false),
    },
    {
      id: ids.inDropWrongPortTrafficRuleId(routerId),
      chain_id: inbound,
      type: 'LITERAL_RULE',
      action: 'DROP',
      condition: { nw_dst_ip: own, nw_proto: ICMP, nw_proto_inv: true },
    },
  ];
  for (const rule of rules) await tx.create('Rule', rule);
}

export const SNAT_RULE_IDS = [
  ids.inDropWrongPortTrafficRuleId,
  ids.inReverseSnatRuleId,
  ids.outDropUnmatchedFragmentsRuleId,
  ids.outSnatRuleId,
  ids.dstRewrittenSnatRuleId,
  ids.skipSnatOutGwPortRuleId,
  ids.skipSnatInGwPortRuleId,
] as const;

async function deleteSnatRules(tx: TranslationTx, routerId: string): Promise<void> {
  if (!(await tx.exists('Rule', ids.outSnatRuleId(routerId)))) return;
  for (const id of SNAT_RULE_IDS) await tx.delete('Rule', id(routerId), true);
}

async function deleteGatewayPort(tx: TranslationTx, old: NeutronRouter): Promise<void> {
  const routerPortId = ids.tenantGwPortId(old.gw_port_id ?? '');
  const port = await tx.getOrNull('Port', routerPortId);
  if (!port) return;
  if ((port.port_subnet ?? []).some((s) => s.version === 'V4')) await deleteSnatRules(tx, idOf(old));
  // its routes go with it (bindings)
  await tx.delete('Port', routerPortId, true);
}

async function updateGatewayPort(ctx: TranslationContext, r: NeutronRouter, router: Router): Promise<void> {
  const { tx } = ctx;
  const old = await tx.get('NeutronRouter', idOf(r));
  if (!old.gw_port_id && r.gw_port_id) {
    await createGatewayPort(ctx, r, router);
  } else if (old.gw_port_id && !r.gw_port_id) {
    await deleteGatewayPort(tx, old);
  } else if (r.gw_port_id && isSnatEnabled(old) !== isSnatEnabled(r)) {
    const nPort: NeutronPort = await tx.get('NeutronPort', r.gw_port_id);
    const address = nPort.fixed_ips?.[0]?.ip_address;
    if (address?.version !== 'V4') return;
    if (isSnatEnabled(r)) await createSnatRules(tx, r, router, address, ids.tenantGwPortId(idOf(nPort)));
    else await deleteSnatRules(tx, idOf(r));
  }
}

const describeRoute = (r: NeutronRoute): string => `destination ${subnetText(r.destination)} nexthop ${addressText(r.nexthop)}`;

const extraRouteId = (routerId: string, r: NeutronRoute): string =>
  ids.extraRouteId(routerId, { address: r.destination?.address ?? '', prefix: r.destination?.prefix_length ?? 0 }, addressText(r.nexthop));

/** Extra routes: those gone are deleted, new ones go through the router port whose subnet holds the next hop (400 if none). */
async function updateExtraRoutes(tx: TranslationTx, r: NeutronRouter): Promise<void> {
  const routerId = idOf(r);
  const router = await tx.get('Router', routerId);
  const old = await tx.get('NeutronRouter', routerId);
  const oldIds = new Set((old.routes ?? []).map((x) => extraRouteId(routerId, x)));
  const wanted = new Map((r.routes ?? []).map((x) => [extraRouteId(routerId, x), x] as const));
  for (const id of oldIds) {
    if (wanted.has(id)) continue;
    await tx.delete('Route', id, true);
    await tx.delete('BgpNetwork', ids.bgpNetworkId(id), true);
  }
  const added = [...wanted].filter(([id]) => !oldIds.has(id));
  if (added.length === 0) return;
  const ports = await tx.getAll('Port', router.port_ids ?? []);
  for (const [id, route] of added) {
    const nextHop = route.nexthop;
    const port = nextHop ? ports.find((p) => isValidRouteOnPort(nextHop, p, subnetContains)) : undefined;
    if (!port || !nextHop) throw invalid(`No valid port was found to add route: ${describeRoute(route)}`);
    const src = route.destination?.version === 'V6' ? ANY_IPV6 : ANY_IPV4;
    await tx.create('Route', nextHopPortRoute(port.id ?? '', { id, src, ...(route.destination ? { dst: route.destination } : {}), gateway: nextHop }));
  }
}

export const routerTranslator: Translator<'NeutronRouter'> = {
  clazz: 'NeutronRouter',

  async create(ctx, r) {
    const { tx } = ctx;
    const routerId = idOf(r);
    const router: Router = {
      id: routerId,
      inbound_filter_id: ids.inChainId(routerId),
      outbound_filter_id: ids.outChainId(routerId),
      forward_chain_id: ids.fwdChainId(routerId),
    };
    if (r.tenant_id !== undefined) router.tenant_id = r.tenant_id;
    if (r.name !== undefined) router.name = r.name;
    if (r.admin_state_up !== undefined) router.admin_state_up = r.admin_state_up;
    await tx.create('Chain', newChain(ids.inChainId(routerId), names.pre(routerId)));
    await tx.create('Chain', newChain(ids.outChainId(routerId), names.post(routerId)));
    await tx.create('Chain', newChain(ids.fwdChainId(routerId), names.forward(routerId)));
    await tx.create('Router', router);
    for (const pg of portGroups(r)) await tx.create('PortGroup', pg);
    await createSnatChains(tx, routerId);
    await createGatewayPort(ctx, r, router);
  },

  async update(ctx, r) {
    const { tx } = ctx;
    const routerId = idOf(r);
    if (await isOldRouterTranslation(tx, routerId)) {
      if (isSnatEnabled(r)) await checkOldRouterTranslation(tx, routerId);
      else await createSnatChains(tx, routerId);
    }
    const router = await tx.get('Router', routerId);
    await tx.update('Router', { ...router, admin_state_up: r.admin_state_up ?? false, name: r.name ?? '', tenant_id: r.tenant_id ?? '' });
    await updateGatewayPort(ctx, r, router);
    await updateExtraRoutes(tx, r);
  },

  async delete({ tx }, r) {
    const routerId = idOf(r);
    for (const chain of [
      ids.inChainId,
      ids.outChainId,
      ids.fwdChainId,
      ids.floatSnatExactChainId,
      ids.floatSnatChainId,
      ids.skipSnatChainId,
      ids.floatNat64ChainId,
    ]) {
      await tx.delete('Chain', chain(routerId), true);
    }
    await tx.delete('PortGroup', ids.portGroupId(routerId), true);
    await tx.delete('PortGroup', ids.routerInterfacePortGroupId(routerId), true);
    await tx.delete('ServiceContainerGroup', ids.quaggaContainerGroupId(routerId), true);
    await tx.delete('Router', routerId, true);
  },
};
