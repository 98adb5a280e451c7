/**
 * Neutron router interface (`PUT /routers/{id}/add_router_interface` and
 * `remove_router_interface`) → the router port of a Neutron port, as the original's
 * RouterInterfaceTranslator: the router port `f_rif(port)` with the port's addresses in the
 * interface's subnets (or the subnets' gateways), peered with the network's bridge port (or, on an
 * uplink network, bound to a host interface in the edge router's port group), its routes, the
 * "same subnet" SNAT rules and the metadata route. The interface itself is not stored (it has no
 * id of its own: its `id` is the router's). Removal (an update) takes subnets off a port that
 * stays; when the port is gone its deletion did the work.
 */
import type { Dhcp, IPAddress, IPSubnet, NeutronPort, NeutronRouterInterface, NeutronSubnet, Port, PortGroup, Rule } from '../../../lib/models/generated.js';
import { randomRouterPortMac } from '../../rest-api/machinery/addresses.js';
import * as ids from '../ids.js';
import { ANY_IPV4, METADATA_SERVICE, addressText, sameAddress, subnetContains, subnetText } from '../net.js';
import { idOf, invalid, type TranslationContext, type TranslationTx, type Translator } from '../translation.js';
import { isUplinkNetwork } from './network.js';
import { isRouterInterfacePort, isVifPort } from './port-kinds.js';
import { hostIdByName } from './port.js';
import { deleteSecurityChains, leaveGroups } from './port-security.js';
import { localRoute, natRuleData, nextHopPortRoute, reverseNatRuleData, routerChainNames } from './l3-common.js';

interface PortAddress {
  subnet: IPSubnet;
  address: IPAddress;
  subnetId: string;
  isGateway: boolean;
}

async function onUplink(tx: TranslationTx, p: NeutronPort): Promise<boolean> {
  return isUplinkNetwork(await tx.get('NeutronNetwork', p.network_id ?? ''));
}

function routerIdOf(ri: NeutronRouterInterface): string {
  if (!ri.id) throw invalid('The router interface has no router id.');
  return ri.id;
}

/** Adds an address of a subnet to the router port; outside the subnet → 400. */
function addPortAddress(port: Port, s: NeutronSubnet, address: IPAddress, isGateway: boolean): PortAddress {
  if (!s.cidr || !subnetContains(s.cidr, address)) {
    throw invalid(`Port address ${addressText(address)} does not belong to subnet ${idOf(s)} with CIDR ${subnetText(s.cidr)}`);
  }
  const subnet: IPSubnet = { version: address.version ?? 'V4', address: addressText(address), prefix_length: s.cidr.prefix_length ?? 0 };
  port.port_subnet = [...(port.port_subnet ?? []), subnet];
  port.port_address ??= address;
  return { subnet, address, subnetId: idOf(s), isGateway };
}

/**
 * The port's fixed IPs inside the interface's subnets; for a port without fixed IPs, each
 * subnet's gateway (a subnet without one → 400). A gateway address makes its subnet the port's DHCP.
 */
async function addAddresses(tx: TranslationTx, port: Port, subnetIds: readonly string[], p: NeutronPort, uplink: boolean): Promise<PortAddress[]> {
  const cidrs = (await tx.getAll('NeutronSubnet', subnetIds)).flatMap((s) => (s.cidr ? [s.cidr] : []));
  const out: PortAddress[] = [];
  if ((p.fixed_ips ?? []).length > 0) {
    for (const f of p.fixed_ips ?? []) {
      const ip = f.ip_address;
      if (!ip || !f.subnet_id || !cidrs.some((c) => subnetContains(c, ip))) continue;
      const s = await tx.get('NeutronSubnet', f.subnet_id);
      const isGateway = sameAddress(s.gateway_ip, ip);
      if (!uplink && isGateway && !port.dhcp_id) port.dhcp_id = f.subnet_id;
      out.push(addPortAddress(port, s, ip, isGateway));
    }
    return out;
  }
  for (const subnetId of subnetIds) {
    const s = await tx.get('NeutronSubnet', subnetId);
    if (!s.gateway_ip) {
      throw invalid(`Cannot create router interface because port ${port.id ?? ''} has no fixed IPs and subnet ${subnetId} has no gateway IP`);
    }
    if (!uplink && !port.dhcp_id) port.dhcp_id = subnetId;
    out.push(addPortAddress(port, s, s.gateway_ip, true));
  }
  return out;
}

/** The interface's subnets: `subnet_ids`, else `subnet_id`. */
function subnetIdsOf(ri: NeutronRouterInterface): string[] {
  if (ri.subnet_ids && ri.subnet_ids.length > 0) return ri.subnet_ids;
  return ri.subnet_id ? [ri.subnet_id] : [];
}

/** A VM port made an interface loses what only VM ports have: chains, group memberships, DHCP hosts. */
async function convertRouterPort(tx: TranslationTx, p: NeutronPort, uplink: boolean, routerId: string): Promise<void> {
  await tx.update('NeutronPort', { ...p, device_owner: 'ROUTER_INTERFACE', device_id: routerId });
  if (uplink || !isVifPort(p)) return;
  await deleteSecurityChains(tx, idOf(p));
  await leaveGroups(tx, p);
  const dhcps = new Map<string, Dhcp>();
  for (const f of p.fixed_ips ?? []) {
    const subnetId = f.subnet_id ?? '';
    const dhcp = dhcps.get(subnetId) ?? (await tx.get('Dhcp', subnetId));
    const hosts = dhcp.hosts ?? [];
    const at = hosts.findIndex((h) => h.mac === (p.mac_address ?? '') && sameAddress(h.ip_address, f.ip_address));
    if (at >= 0) dhcp.hosts = hosts.filter((_, i) => i !== at);
    dhcps.set(subnetId, dhcp);
  }
  for (const d of dhcps.values()) await tx.update('Dhcp', d);
}

/** The router-interface port group, created for routers made before it existed. */
async function ensureRouterInterfacePortGroup(tx: TranslationTx, routerId: string): Promise<string> {
  const pgId = ids.routerInterfacePortGroupId(routerId);
  if (await tx.exists('PortGroup', pgId)) return pgId;
  const router = await tx.get('Router', routerId);
  const interfaces: string[] = [];
  for (const port of await tx.getAll('Port', router.port_ids ?? [])) {
    const peer = port.peer_id ? await tx.getOrNull('NeutronPort', port.peer_id) : null;
    if (peer && isRouterInterfacePort(peer)) interfaces.push(idOf(port));
  }
  const pg: PortGroup = { id: pgId, name: routerChainNames.routerInterfacePortGroup(routerId), tenant_id: router.tenant_id ?? '', stateful: false };
  if (interfaces.length > 0) pg.port_ids = interfaces;
  await tx.create('PortGroup', pg);
  return pgId;
}

/** Same-subnet SNAT: traffic that comes in and goes out of this port (a VIP's DNAT back into the network) comes back through the router. */
async function createSameSubnetSnatRules(tx: TranslationTx, routerId: string, portId: string, address: IPAddress): Promise<void> {
  const router = await tx.get('Router', routerId);
  const outChain = router.outbound_filter_id ?? '';
  const inChain = router.inbound_filter_id ?? '';
  const forward: Rule = {
    id: ids.sameSubnetSnatRuleId(outChain, portId),
    chain_id: outChain,
    type: 'NAT_RULE',
    condition: { in_port_ids: [portId], out_port_ids: [portId], nw_dst_ip: METADATA_SERVICE, nw_dst_inv: true, match_forward_flow: true },
    nat_rule_data: natRuleData(address, false, true),
    action: 'ACCEPT',
  };
  const reverse: Rule = {
    id: ids.sameSubnetSnatRuleId(inChain, portId),
    chain_id: inChain,
    type: 'NAT_RULE',
    condition: { in_port_ids: [portId], nw_dst_ip: { version: 'V4', address: addressText(address), prefix_length: 32 }, match_return_flow: true },
    nat_rule_data: reverseNatRuleData(false),
    action: 'ACCEPT',
  };
  for (const [rule, what] of [
    [forward, 'forward'],
    [reverse, 'reverse'],
  ] as const) {
    if (await tx.exists('Rule', rule.id ?? '')) {
      throw invalid(`Cannot create router interface for router ${routerId} to multiple IPv4 subnets (duplicate ${what} SNAT rule ${rule.id ?? ''})`);
    }
    await tx.create('Rule', rule);
  }
}

/** The route to the metadata service through the interface, when the subnet has a DHCP port (its server address is not the gateway). */
async function createMetadataServiceRoute(tx: TranslationTx, portId: string, a: PortAddress): Promise<void> {
  const dhcp = await tx.get('Dhcp', a.subnetId);
  if (!dhcp.server_address || sameAddress(dhcp.server_address, dhcp.default_gateway)) return;
  await tx.create(
    'Route',
    nextHopPortRoute(portId, {
      id: ids.metadataServiceRouteId(portId, addressText(a.address)),
      gateway: dhcp.server_address,
      src: a.subnet,
      dst: METADATA_SERVICE,
    }),
  );
}

async function setupRouterPort4(tx: TranslationTx, routerId: string, portId: string, uplink: boolean, a: PortAddress): Promise<void> {
  if (!uplink) {
    if (a.isGateway) await createMetadataServiceRoute(tx, portId, a);
    await createSameSubnetSnatRules(tx, routerId, portId, a.address);
    // a BGP network when the router speaks BGP (its Quagga port): the BGP translators' part
  }
  await tx.create('Route', nextHopPortRoute(portId, { id: ids.routerInterfaceRouteId(portId, addressText(a.address)), src: ANY_IPV4, dst: a.subnet }));
  await tx.create('Route', localRoute(portId, a.address));
}

async function create(ctx: TranslationContext, ri: NeutronRouterInterface): Promise<void> {
  const { tx } = ctx;
  const routerId = routerIdOf(ri);
  let p = await tx.get('NeutronPort', ri.port_id ?? '');
  const uplink = await onUplink(tx, p);
  if (!isRouterInterfacePort(p)) {
    await convertRouterPort(tx, p, uplink, routerId);
    p = await tx.get('NeutronPort', idOf(p));
  }
  const portId = ids.routerInterfacePortPeerId(idOf(p));
  const port: Port = { id: portId, router_id: routerId, admin_state_up: true, port_mac: p.mac_address ?? randomRouterPortMac() };
  const addresses = await addAddresses(tx, port, subnetIdsOf(ri), p, uplink);
  if (uplink) {
    port.port_group_ids = [ids.portGroupId(routerId)];
    port.tunnel_key = BigInt(await ctx.tunnelKey(portId));
    port.host_id = await hostIdByName(tx, p.host_id ?? '');
    port.interface_name = p.profile?.interface_name ?? '';
  } else {
    port.port_group_ids = [await ensureRouterInterfacePortGroup(tx, routerId)];
    port.peer_id = idOf(p);
  }
  await tx.create('Port', port);
  for (const a of addresses) {
    if (a.subnet.version === 'V4') await setupRouterPort4(tx, routerId, portId, uplink, a);
    // an IPv6 address gets its local route; NAT64 through VPP is not translated (docs/decisions/0021)
    else await tx.create('Route', localRoute(portId, a.address));
  }
}

/** remove_router_interface of some subnets of a port that stays: their addresses, routes and rules go. */
async function update(ctx: TranslationContext, ri: NeutronRouterInterface): Promise<void> {
  const { tx } = ctx;
  const p = await tx.getOrNull('NeutronPort', ri.port_id ?? '');
  if (!p) return;
  const routerId = routerIdOf(ri);
  const portId = ids.routerInterfacePortPeerId(idOf(p));
  const old = await tx.get('Port', portId);
  const uplink = await onUplink(tx, p);
  const port: Port = { ...old };
  delete port.dhcp_id;
  delete port.port_address;
  delete port.port_subnet;
  const removed = new Set(subnetIdsOf(ri));
  const fixedIps = p.fixed_ips ?? [];
  const keep = fixedIps
    .filter((f) => (old.port_subnet ?? []).some((s) => s.address === f.ip_address?.address) && !removed.has(f.subnet_id ?? ''))
    .map((f) => f.subnet_id ?? '');
  await addAddresses(tx, port, keep, p, uplink);
  if (!uplink) delete port.tunnel_key;
  delete port.fip_nat_rule_ids;
  await tx.update('Port', port);

  for (const f of fixedIps.filter((x) => removed.has(x.subnet_id ?? ''))) {
    if (!f.ip_address) continue;
    const text = addressText(f.ip_address);
    if (f.ip_address.version === 'V6') {
      await tx.delete('Route', ids.localRouteId(portId, text), true);
      continue;
    }
    if (!uplink) {
      const s = await tx.get('NeutronSubnet', f.subnet_id ?? '');
      if (sameAddress(s.gateway_ip, f.ip_address)) await tx.delete('Route', ids.metadataServiceRouteId(portId, text), true);
      const router = await tx.get('Router', routerId);
      await tx.delete('Rule', ids.sameSubnetSnatRuleId(router.outbound_filter_id ?? '', portId));
      await tx.delete('Rule', ids.sameSubnetSnatRuleId(router.inbound_filter_id ?? '', portId));
      await tx.delete('BgpNetwork', ids.bgpNetworkId(idOf(p)), true);
    }
    await tx.delete('Route', ids.routerInterfaceRouteId(portId, text));
    await tx.delete('Route', ids.localRouteId(portId, text));
  }
}

export const routerInterfaceTranslator: Translator<'NeutronRouterInterface'> = {
  clazz: 'NeutronRouterInterface',
  // an interface is a link, not an object: nothing of it is stored
  retention: { kind: 'translator' },
  create,
  update,
  async delete() {
    throw invalid('NeutronRouterInterface delete not supported.');
  },
};

/**
 * A router-interface port whose first address changed (a Neutron port update): the router port,
 * its routes and its same-subnet SNAT rules move to the new address. The original updated routes
 * under the new address's ids, which do not exist, and failed with 404 (docs/decisions/0021).
 */
export async function moveInterfaceAddress(tx: TranslationTx, old: NeutronPort, p: NeutronPort): Promise<void> {
  const before = old.fixed_ips?.[0]?.ip_address;
  const after = p.fixed_ips?.[0];
  if (!before || !after?.ip_address || !after.subnet_id || sameAddress(before, after.ip_address)) return;
  const portId = ids.routerInterfacePortPeerId(idOf(p));
  const port = await tx.getOrNull('Port', portId);
  if (!port) return;
  const s = await tx.get('NeutronSubnet', after.subnet_id);
  const moved: Port = { ...port, port_address: after.ip_address, port_subnet: (port.port_subnet ?? []).filter((x) => x.address !== before.address) };
  const a = addPortAddress({ ...moved, port_subnet: [] }, s, after.ip_address, sameAddress(s.gateway_ip, after.ip_address));
  moved.port_subnet = [a.subnet, ...(moved.port_subnet ?? [])];
  await tx.update('Port', moved);
  const was = addressText(before);
  const now = addressText(after.ip_address);
  await tx.delete('Route', ids.routerInterfaceRouteId(portId, was), true);
  await tx.delete('Route', ids.localRouteId(portId, was), true);
  await tx.create('Route', nextHopPortRoute(portId, { id: ids.routerInterfaceRouteId(portId, now), src: ANY_IPV4, dst: a.subnet }));
  await tx.create('Route', localRoute(portId, after.ip_address));
  const router = port.router_id ? await tx.getOrNull('Router', port.router_id) : null;
  if (!router) return;
  const forward = await tx.getOrNull('Rule', ids.sameSubnetSnatRuleId(router.outbound_filter_id ?? '', portId));
  if (forward) await tx.update('Rule', { ...forward, nat_rule_data: natRuleData(after.ip_address, false, true) });
  const reverse = await tx.getOrNull('Rule', ids.sameSubnetSnatRuleId(router.inbound_filter_id ?? '', portId));
  if (reverse) await tx.update('Rule', { ...reverse, condition: { ...reverse.condition, nw_dst_ip: { version: 'V4', address: now, prefix_length: 32 } } });
}
