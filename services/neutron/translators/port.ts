/**
 * Neutron port → MidoNet bridge port with the same id, and everything hanging off it (the
 * original's PortTranslator): tunnel key, host binding, MAC- and ARP-table entries, DHCP host
 * entries (VM ports) or the DHCP server address and metadata route (DHCP ports), the security
 * chains and IP address groups (port-security.ts). Floating-IP ports, remote-site ports (only
 * table entries) and ports on uplink networks get no bridge port.
 */
import type { Dhcp, IPAddress, NeutronPort, Port, Route } from '../../../lib/models/generated.js';
import { NotFoundError } from '../../../lib/nsdb/errors.js';
import { parseMac } from '../../rest-api/machinery/addresses.js';
import * as ids from '../ids.js';
import { METADATA_SERVICE, addressText, sameAddress, subnetContains, subnetText } from '../net.js';
import { TranslationError, idOf, invalid, unsupported, type TranslationContext, type TranslationTx, type Translator } from '../translation.js';
import { isUplinkNetwork } from './network.js';
import {
  hasBinding,
  hasMacAndArpEntries,
  isDhcpPort,
  isFloatingIpPort,
  isRemoteSitePort,
  isRouterGatewayPort,
  isRouterInterfacePort,
  isTrustedPort,
  isVifPort,
  isVipV2Port,
  ownerOf,
} from './port-kinds.js';
import { createSecurityChains, deleteSecurityChains, leaveGroups, updateSecurityBindings } from './port-security.js';
import { moveInterfaceAddress } from './router-interface.js';

async function onUplinkNetwork(tx: TranslationTx, p: NeutronPort): Promise<boolean> {
  return isUplinkNetwork(await tx.get('NeutronNetwork', p.network_id ?? ''));
}

/** The host whose name Neutron gives as `binding:host_id`: exactly one must have it. */
export async function hostIdByName(tx: TranslationTx, name: string): Promise<string> {
  const hosts = (await tx.listAll('Host')).filter((h) => h.name === name);
  if (hosts.length === 0) throw new NotFoundError('Host', name);
  if (hosts.length > 1) throw new TranslationError('conflict', `There is more than one Host with name ${name}.`, true);
  return hosts[0]?.id ?? '';
}

function requireMac(p: NeutronPort): string {
  const mac = p.mac_address ?? '';
  if (!parseMac(mac)) throw invalid(`MAC address string must be 6 words of 1 or 2 hex digits joined with 5 ':' but was ${mac}.`);
  return mac;
}

/** The MAC entry and one ARP entry per IPv4 address of a seeded port (storage.md §9). */
async function tableEntries(ctx: TranslationContext, p: NeutronPort, macOnly = false): Promise<string[]> {
  const networkId = p.network_id ?? '';
  const mac = requireMac(p);
  const owner = isRemoteSitePort(p) ? ids.l2gwNetworkPortId(networkId) : idOf(p);
  const paths = [ctx.tables.macEntry(networkId, mac, owner)];
  if (!macOnly) paths.push(...(await arpEntries(ctx, p, ipv4Of(p))));
  return paths;
}

const ipv4Of = (p: NeutronPort): IPAddress[] => (p.fixed_ips ?? []).flatMap((f) => (f.ip_address?.version === 'V4' ? [f.ip_address] : []));

async function arpEntries(ctx: TranslationContext, p: NeutronPort, ips: readonly IPAddress[]): Promise<string[]> {
  if (ips.length === 0) return [];
  const mac = requireMac(p);
  return Promise.all(ips.map((ip) => ctx.tables.arpEntry(p.network_id ?? '', addressText(ip), mac)));
}

// ---- DHCP --------------------------------------------------------------------------------------

/** The Dhcp objects a request changes, read once and written once (in first-use order). */
class DhcpChanges {
  private readonly dhcps = new Map<string, Dhcp | null>();
  private readonly changed = new Set<string>();

  constructor(private readonly tx: TranslationTx) {}

  /** The subnet's Dhcp; null when it is gone and `tolerateMissing`, else NotFound. */
  async of(subnetId: string, tolerateMissing: boolean): Promise<Dhcp | null> {
    if (!this.dhcps.has(subnetId)) this.dhcps.set(subnetId, await this.tx.getOrNull('Dhcp', subnetId));
    const d = this.dhcps.get(subnetId) ?? null;
    if (!d && !tolerateMissing) throw new NotFoundError('Dhcp', subnetId);
    return d;
  }

  /** The subnet's Dhcp, to be written by write(). */
  async change(subnetId: string, tolerateMissing: boolean): Promise<Dhcp | null> {
    const d = await this.of(subnetId, tolerateMissing);
    if (d) this.changed.add(subnetId);
    return d;
  }

  async write(): Promise<void> {
    for (const [id, d] of this.dhcps) if (d && this.changed.has(id)) await this.tx.update('Dhcp', d);
  }
}

/**
 * Every fixed IP must lie in its subnet (the subnet's DHCP configuration must exist): an address
 * outside it is refused (docs/decisions/0018), with the original's router-interface message.
 */
async function checkFixedIps(dhcps: DhcpChanges, p: NeutronPort): Promise<void> {
  for (const f of p.fixed_ips ?? []) {
    if (!f.ip_address || !f.subnet_id) continue;
    const dhcp = await dhcps.of(f.subnet_id, false);
    if (dhcp?.subnet_address && !subnetContains(dhcp.subnet_address, f.ip_address)) {
      throw invalid(`Port address ${addressText(f.ip_address)} does not belong to subnet ${f.subnet_id} with CIDR ${subnetText(dhcp.subnet_address)}`);
    }
  }
}

type DhcpChange = (dhcp: Dhcp, port: NeutronPort, ip: IPAddress) => void;

async function forEachFixedIp(changes: DhcpChanges, p: NeutronPort, change: DhcpChange, tolerateMissing: boolean): Promise<void> {
  for (const f of p.fixed_ips ?? []) {
    const dhcp = await changes.change(f.subnet_id ?? '', tolerateMissing);
    if (dhcp && f.ip_address) change(dhcp, p, f.ip_address);
  }
}

const addHost: DhcpChange = (dhcp, p, ip) => {
  const host: NonNullable<Dhcp['hosts']>[number] = { mac: p.mac_address ?? '', ip_address: ip };
  const opts = (p.extra_dhcp_opts ?? []).map((o) => ({ name: o.opt_name ?? '', value: o.opt_value ?? '' }));
  if (opts.length > 0) host.extra_dhcp_opts = opts;
  dhcp.hosts = [...(dhcp.hosts ?? []), host];
};

const removeHost: DhcpChange = (dhcp, p, ip) => {
  const hosts = dhcp.hosts ?? [];
  const at = hosts.findIndex((h) => h.mac === (p.mac_address ?? '') && sameAddress(h.ip_address, ip));
  if (at >= 0) dhcp.hosts = hosts.filter((_, i) => i !== at);
};

const isIpv4Dhcp = (d: Dhcp): boolean => (d.subnet_address?.version ?? 'V4') === 'V4';

const isMetadataOpt121 = (gateway: IPAddress) => (r: { dst_subnet?: { address?: string; prefix_length?: number }; gateway?: IPAddress }) =>
  r.dst_subnet?.address === METADATA_SERVICE.address && r.dst_subnet?.prefix_length === METADATA_SERVICE.prefix_length && sameAddress(r.gateway, gateway);

/** A DHCP port serves its IPv4 subnets: server address and the option 121 route to the metadata service. */
const addServer: DhcpChange = (dhcp, _p, ip) => {
  if (!isIpv4Dhcp(dhcp)) return;
  dhcp.server_address = ip;
  dhcp.opt121_routes = [...(dhcp.opt121_routes ?? []), { dst_subnet: METADATA_SERVICE, gateway: ip }];
};

const removeServer: DhcpChange = (dhcp, _p, ip) => {
  if (!isIpv4Dhcp(dhcp)) return;
  if (dhcp.default_gateway) dhcp.server_address = dhcp.default_gateway;
  else delete dhcp.server_address;
  const routes = dhcp.opt121_routes ?? [];
  const at = routes.findIndex(isMetadataOpt121(ip));
  if (at >= 0) dhcp.opt121_routes = routes.filter((_, i) => i !== at);
};

/** The router interface behind the subnet of a DHCP port's first address, if the subnet has one. */
async function metadataGateway(
  tx: TranslationTx,
  p: NeutronPort,
  tolerateMissing: boolean,
): Promise<{ ip: IPAddress; dhcp: Dhcp; routerPortId: string } | undefined> {
  const first = p.fixed_ips?.[0];
  if (!first?.ip_address) return undefined;
  const dhcp = tolerateMissing ? await tx.getOrNull('Dhcp', first.subnet_id ?? '') : await tx.get('Dhcp', first.subnet_id ?? '');
  if (!dhcp?.router_if_port_id) return undefined;
  return { ip: first.ip_address, dhcp, routerPortId: dhcp.router_if_port_id };
}

/** The route to the metadata service through the router interface of the DHCP port's subnet. */
async function createMetadataRoute(tx: TranslationTx, p: NeutronPort): Promise<void> {
  const gw = await metadataGateway(tx, p, false);
  if (!gw) return;
  const route: Route = {
    id: ids.metadataServiceRouteId(gw.routerPortId, addressText(gw.ip)),
    next_hop: 'PORT',
    next_hop_port_id: gw.routerPortId,
    dst_subnet: METADATA_SERVICE,
    weight: 100,
    next_hop_gateway: gw.ip,
  };
  if (gw.dhcp.subnet_address) route.src_subnet = gw.dhcp.subnet_address;
  await tx.create('Route', route);
}

async function deleteMetadataRoute(tx: TranslationTx, p: NeutronPort): Promise<void> {
  const gw = await metadataGateway(tx, p, true);
  if (!gw) return;
  const routerPort = await tx.getOrNull('Port', gw.routerPortId);
  if (!routerPort) return;
  for (const route of await tx.getAll('Route', routerPort.route_ids ?? [])) {
    if (route.dst_subnet?.address === METADATA_SERVICE.address && route.dst_subnet?.prefix_length === 32 && sameAddress(route.next_hop_gateway, gw.ip)) {
      await tx.delete('Route', idOf(route), true);
      return;
    }
  }
}

// ---- floating IPs and router ports (the L3 side of a port's deletion) --------------------------

/** The port's floating IPs lose their association: ARP entry removed, fixed address and router cleared. */
async function disassociateFloatingIps(ctx: TranslationContext, p: NeutronPort): Promise<void> {
  const { tx } = ctx;
  for (const fipId of p.floating_ip_ids ?? []) {
    const fip = await tx.get('FloatingIp', fipId);
    const router = await tx.get('Router', fip.router_id ?? '');
    const routerPorts = await tx.getAll('Port', router.port_ids ?? []);
    const peers = await tx.getAll(
      'NeutronPort',
      routerPorts.flatMap((rp) => (rp.peer_id ? [rp.peer_id] : [])),
    );
    const viaPort = peers.find((np) => np.network_id === fip.floating_network_id);
    if (!viaPort) throw unsupported(`Router ${fip.router_id ?? ''} has no port on the network ${fip.floating_network_id ?? ''} of floating IP ${fipId}`);
    await tx.deleteNode(await ctx.tables.arpEntry(viaPort.network_id ?? '', addressText(fip.floating_ip_address), viaPort.mac_address ?? ''));
    delete fip.fixed_ip_address;
    delete fip.router_id;
    await tx.update('FloatingIp', fip);
  }
}

/** The tenant router's gateway port of a Neutron gateway port, with its SNAT rules. */
async function deleteGatewayRouterPort(tx: TranslationTx, p: NeutronPort): Promise<void> {
  const routerPortId = ids.tenantGwPortId(idOf(p));
  const routerPort = await tx.getOrNull('Port', routerPortId);
  if (!routerPort) return;
  const routerId = routerPort.router_id ?? '';
  if (routerId && (await tx.exists('Rule', ids.outSnatRuleId(routerId)))) {
    for (const rule of [
      ids.outSnatRuleId,
      ids.inReverseSnatRuleId,
      ids.skipSnatOutGwPortRuleId,
      ids.skipSnatInGwPortRuleId,
      ids.dstRewrittenSnatRuleId,
      ids.inDropWrongPortTrafficRuleId,
      ids.outDropUnmatchedFragmentsRuleId,
    ]) {
      await tx.delete('Rule', rule(routerId), true);
    }
  }
  await tx.delete('Port', routerPortId, true);
}

/** The router port of a router interface, its same-subnet SNAT rules and its BGP network. */
async function deleteInterfaceRouterPort(tx: TranslationTx, p: NeutronPort): Promise<void> {
  const routerPortId = ids.routerInterfacePortPeerId(idOf(p));
  // a router that is already gone leaves nothing else to clean up (docs/decisions/0018)
  const router = p.device_id ? await tx.getOrNull('Router', p.device_id) : null;
  if (router) {
    if (router.inbound_filter_id) await tx.delete('Rule', ids.sameSubnetSnatRuleId(router.inbound_filter_id, routerPortId), true);
    if (router.outbound_filter_id) await tx.delete('Rule', ids.sameSubnetSnatRuleId(router.outbound_filter_id, routerPortId), true);
  }
  await tx.delete('Port', routerPortId, true);
  const bgpNetwork = ids.bgpNetworkId(idOf(p));
  if (router?.bgp_network_ids?.includes(bgpNetwork)) await tx.delete('BgpNetwork', bgpNetwork, true);
}

// ---- the translator ----------------------------------------------------------------------------

/**
 * Reads what a port's translation will read, all at once: the transaction keeps them, and the
 * translation then waits for ZooKeeper once instead of once per object.
 */
async function prefetch(ctx: TranslationContext, p: NeutronPort): Promise<void> {
  const { tx } = ctx;
  const networkId = p.network_id ?? '';
  // The bridge first, alone: when other requests of this node are queued on it, this one gives
  // way here (lib/nsdb/scheduler.ts) before reading the big shared objects below for nothing.
  // `exists` loads an object into the transaction without copying it.
  const [neutronNetwork] = await Promise.allSettled([tx.exists('NeutronNetwork', networkId), tx.exists('Network', networkId)]);
  await tx.exists('Network', networkId);
  if (neutronNetwork.status === 'rejected') return; // reported by the translation's own read
  const reads: Promise<unknown>[] = [];
  for (const f of p.fixed_ips ?? []) if (f.subnet_id) reads.push(tx.exists('Dhcp', f.subnet_id));
  for (const sg of p.security_groups ?? []) reads.push(tx.exists('IPAddrGroup', sg));
  if (p.fixed_ips?.some((f) => f.ip_address?.version === 'V4')) reads.push(ctx.tables.arpEntry(networkId, '0.0.0.0', '00:00:00:00:00:00'));
  // failures are reported by the reads that need the objects, in their order
  await Promise.all(reads.map((r) => r.catch(() => undefined)));
}

const COMPUTE_OR_INTERFACE = new Set(['COMPUTE', 'ROUTER_INTERFACE']);

/** Whether the bridge port must be rewritten (admin state, owner, binding, QoS). */
function portChanged(next: NeutronPort, old: NeutronPort): boolean {
  if (
    (next.admin_state_up ?? false) !== (old.admin_state_up ?? false) ||
    ownerOf(next) !== ownerOf(old) ||
    hasBinding(next) !== hasBinding(old) ||
    next.qos_policy_id !== old.qos_policy_id
  ) {
    return true;
  }
  return hasBinding(next) && (next.host_id !== old.host_id || next.profile?.interface_name !== old.profile?.interface_name);
}

export const portTranslator: Translator<'NeutronPort'> = {
  clazz: 'NeutronPort',
  // server-maintained back-references: the port's floating IPs and the router it is the gateway of
  retention: { kind: 'asReceived', keep: ['floating_ip_ids', 'gw_router_id'] },

  async create(ctx, p) {
    const { tx } = ctx;
    if (isFloatingIpPort(p)) return;
    await prefetch(ctx, p);
    if (await onUplinkNetwork(tx, p)) return;
    if (hasMacAndArpEntries(p)) {
      for (const path of await tableEntries(ctx, p)) await tx.createNode(path);
    }
    if (isRemoteSitePort(p)) return;
    const dhcps = new DhcpChanges(tx);
    await checkFixedIps(dhcps, p);

    const portId = idOf(p);
    const port: Port = { id: portId, network_id: p.network_id ?? '', admin_state_up: p.admin_state_up ?? false };
    if (p.qos_policy_id !== undefined) port.qos_policy_id = p.qos_policy_id;
    if (hasBinding(p)) {
      port.host_id = await hostIdByName(tx, p.host_id ?? '');
      port.interface_name = p.profile?.interface_name ?? '';
    }
    port.tunnel_key = BigInt(await ctx.tunnelKey(portId));
    if (!isTrustedPort(p)) {
      port.inbound_filter_id = ids.inChainId(portId);
      port.outbound_filter_id = ids.outChainId(portId);
    }

    // The bridge port comes first among the writes to shared objects: its back-reference makes the
    // bridge the first object the commit checks, so that concurrent creations on one network
    // conflict on the bridge and queue up together (one queue, group commits: lib/nsdb/scheduler.ts).
    if (!isTrustedPort(p)) await createSecurityChains(tx, portId);
    await tx.create('Port', port);
    if (isVifPort(p)) {
      await forEachFixedIp(dhcps, p, addHost, false);
    } else if (isDhcpPort(p)) {
      await forEachFixedIp(dhcps, p, addServer, false);
      await createMetadataRoute(tx, p);
    }
    await dhcps.write();
    await updateSecurityBindings(tx, p, undefined, true);
  },

  async update(ctx, p) {
    const { tx } = ctx;
    const portId = idOf(p);
    // floating-IP, remote-site and uplink ports have no bridge port: nothing to translate
    if (!(await tx.exists('Port', portId))) return;
    const old = await tx.get('NeutronPort', portId);
    if (ownerOf(p) !== ownerOf(old) && !(COMPUTE_OR_INTERFACE.has(ownerOf(p)) && COMPUTE_OR_INTERFACE.has(ownerOf(old)))) {
      throw unsupported(`device_owner update from ${ownerOf(old)} to ${ownerOf(p)} isn't supported`);
    }
    const added = (p.fixed_ips ?? []).filter((f) => !(old.fixed_ips ?? []).some((o) => o.subnet_id === f.subnet_id && sameAddress(o.ip_address, f.ip_address)));
    const dhcps = new DhcpChanges(tx);
    await checkFixedIps(dhcps, { ...p, fixed_ips: added });

    if (isVifPort(p)) {
      await forEachFixedIp(dhcps, old, removeHost, false);
      await forEachFixedIp(dhcps, p, addHost, false);
    } else if (isVifPort(old)) {
      await forEachFixedIp(dhcps, old, removeHost, false);
      await disassociateFloatingIps(ctx, old);
    }
    await dhcps.write();
    await updateSecurityBindings(tx, p, old);
    if (hasMacAndArpEntries(p) || hasMacAndArpEntries(old)) await updateTables(ctx, old, p);
    // the bridge port is rewritten last, over what the bindings above did to it (chains)
    if (portChanged(p, old)) await tx.update('Port', await rewrittenPort(tx, p, old));
    if (isRouterInterfacePort(p) && isRouterInterfacePort(old)) await moveInterfaceAddress(tx, old, p);
  },

  async delete(ctx, p) {
    const { tx } = ctx;
    if (isFloatingIpPort(p)) return;
    if (await onUplinkNetwork(tx, p)) {
      if (isRouterInterfacePort(p)) await tx.delete('Port', ids.routerInterfacePortPeerId(idOf(p)), true);
      return;
    }
    if (hasMacAndArpEntries(p)) {
      for (const path of await tableEntries(ctx, p)) await tx.deleteNode(path);
    }
    if (isRemoteSitePort(p)) return;
    await tx.delete('Port', idOf(p), true);
    if (isRouterGatewayPort(p)) await deleteGatewayRouterPort(tx, p);
    else if (isRouterInterfacePort(p)) await deleteInterfaceRouterPort(tx, p);

    if (!isTrustedPort(p)) {
      await deleteSecurityChains(tx, idOf(p));
      await leaveGroups(tx, p);
    }
    const dhcps = new DhcpChanges(tx);
    if (isVifPort(p)) {
      // a subnet already gone has no host entries left to remove (docs/decisions/0018)
      await forEachFixedIp(dhcps, p, removeHost, true);
      await dhcps.write();
      await disassociateFloatingIps(ctx, p);
    } else if (isDhcpPort(p)) {
      // the subnet may be gone already
      await forEachFixedIp(dhcps, p, removeServer, true);
      await dhcps.write();
      await deleteMetadataRoute(tx, p);
    } else if (isVipV2Port(p)) {
      await disassociateFloatingIps(ctx, p);
    }
  },
};

/** The bridge port with what a Neutron update decides: admin state, filters, binding, QoS. */
async function rewrittenPort(tx: TranslationTx, p: NeutronPort, old: NeutronPort): Promise<Port> {
  const portId = idOf(p);
  const port = await tx.get('Port', portId);
  port.admin_state_up = p.admin_state_up ?? false;
  if (isTrustedPort(p)) {
    delete port.inbound_filter_id;
    delete port.outbound_filter_id;
  } else {
    port.inbound_filter_id = ids.inChainId(portId);
    port.outbound_filter_id = ids.outChainId(portId);
  }
  // the agent binds VM and DHCP ports; Neutron binds router interfaces of edge routers
  if (ownerOf(p) !== ownerOf(old)) {
    delete port.host_id;
    delete port.interface_name;
  }
  if (isRouterInterfacePort(p)) {
    if (hasBinding(p)) {
      port.host_id = await hostIdByName(tx, p.host_id ?? '');
      port.interface_name = p.profile?.interface_name ?? '';
    } else {
      delete port.host_id;
      delete port.interface_name;
    }
  }
  if (p.qos_policy_id !== undefined) port.qos_policy_id = p.qos_policy_id;
  else delete port.qos_policy_id;
  return port;
}

/**
 * MAC entry moved when the MAC or the seeding changes; ARP entries for the IPv4 addresses that
 * went (with the old MAC) and came (with the new one). A MAC-only change leaves the ARP entries of
 * the kept addresses with the old MAC, as the original does (quirk Q3).
 */
async function updateTables(ctx: TranslationContext, old: NeutronPort, p: NeutronPort): Promise<void> {
  const { tx } = ctx;
  if (hasMacAndArpEntries(p) !== hasMacAndArpEntries(old) || p.mac_address !== old.mac_address) {
    if (hasMacAndArpEntries(old) && old.mac_address !== undefined) for (const path of await tableEntries(ctx, old, true)) await tx.deleteNode(path);
    if (hasMacAndArpEntries(p) && p.mac_address !== undefined) for (const path of await tableEntries(ctx, p, true)) await tx.createNode(path);
  }
  const oldIps = ipv4Of(old);
  const newIps = ipv4Of(p);
  const gone = oldIps.filter((ip) => !newIps.some((n) => sameAddress(n, ip)));
  const came = newIps.filter((ip) => !oldIps.some((o) => sameAddress(o, ip)));
  for (const path of await arpEntries(ctx, old, gone)) await tx.deleteNode(path);
  for (const path of await arpEntries(ctx, p, came)) await tx.createNode(path);
}
