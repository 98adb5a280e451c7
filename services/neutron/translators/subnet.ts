/**
 * Neutron subnet → MidoNet DHCP subnet (`Dhcp`) with the same id on the network's bridge (the
 * original's SubnetTranslator): gateway (also the DHCP server address until a DHCP port takes
 * over), DNS servers, host routes as option 121 routes. Subnets of uplink networks have none.
 */
import type { Dhcp, Dhcp_Opt121Route, IPAddress, NeutronRoute, NeutronSubnet } from '../../../lib/models/generated.js';
import { METADATA_SERVICE, addressText, sameAddress, subnetContains, subnetText } from '../net.js';
import { idOf, invalid, type TranslationContext, type TranslationTx, type Translator } from '../translation.js';
import { isUplinkNetwork } from './network.js';

function opt121(routes: readonly NeutronRoute[] | undefined): Dhcp_Opt121Route[] {
  return (routes ?? []).map((r) => {
    const route: Dhcp_Opt121Route = {};
    if (r.destination) route.dst_subnet = r.destination;
    if (r.nexthop) route.gateway = r.nexthop;
    return route;
  });
}

/** A gateway outside the subnet is refused (docs/decisions/0018). */
function checkGateway(s: NeutronSubnet): void {
  if (s.gateway_ip && s.cidr && !subnetContains(s.cidr, s.gateway_ip)) {
    throw invalid(`Gateway address ${addressText(s.gateway_ip)} does not belong to subnet ${idOf(s)} with CIDR ${subnetText(s.cidr)}`);
  }
}

async function onUplink(tx: TranslationTx, s: NeutronSubnet): Promise<boolean> {
  return isUplinkNetwork(await tx.get('NeutronNetwork', s.network_id ?? ''));
}

/**
 * The first fixed IP of the network's DHCP port (the first port of the bridge, in its order, that
 * is a Neutron DHCP port), if there is one with an address.
 */
async function dhcpPortAddress(tx: TranslationTx, networkId: string): Promise<IPAddress | undefined> {
  const bridge = await tx.get('Network', networkId);
  for (const portId of bridge.port_ids ?? []) {
    const p = await tx.getOrNull('NeutronPort', portId);
    if (p?.device_owner === 'DHCP') return p.fixed_ips?.[0]?.ip_address;
  }
  return undefined;
}

export const subnetTranslator: Translator<'NeutronSubnet'> = {
  clazz: 'NeutronSubnet',

  async create({ tx }, s) {
    const network = await tx.get('NeutronNetwork', s.network_id ?? '');
    if (isUplinkNetwork(network)) return;
    checkGateway(s);
    const dhcp: Dhcp = { id: idOf(s), network_id: s.network_id ?? '' };
    if (s.gateway_ip) {
      dhcp.default_gateway = s.gateway_ip;
      dhcp.server_address = s.gateway_ip;
    }
    if (s.cidr) dhcp.subnet_address = s.cidr;
    if (s.enable_dhcp !== undefined) dhcp.enabled = s.enable_dhcp;
    if (s.dns_nameservers?.length) dhcp.dns_server_address = s.dns_nameservers;
    const routes = opt121(s.host_routes);
    if (routes.length > 0) dhcp.opt121_routes = routes;
    await tx.create('Dhcp', dhcp);
    await tx.update('NeutronNetwork', { ...network, subnets: [...(network.subnets ?? []), idOf(s)] });
  },

  async update(ctx, s) {
    const { tx } = ctx;
    if (await onUplink(tx, s)) return;
    checkGateway(s);
    const old = await tx.get('Dhcp', idOf(s));
    const dhcp: Dhcp = { ...old, enabled: s.enable_dhcp ?? false };
    if (s.cidr) dhcp.subnet_address = s.cidr;
    else delete dhcp.subnet_address;
    // the DHCP server address stays: a DHCP port may have set it
    if (s.gateway_ip) dhcp.default_gateway = s.gateway_ip;
    else delete dhcp.default_gateway;
    dhcp.dns_server_address = s.dns_nameservers ?? [];
    const routes = opt121(s.host_routes);
    const server = await dhcpPortAddress(tx, s.network_id ?? old.network_id ?? '');
    if (server) routes.push({ dst_subnet: METADATA_SERVICE, gateway: server });
    dhcp.opt121_routes = routes;
    await tx.update('Dhcp', dhcp);
    await followGateway(ctx, old.default_gateway, dhcp.default_gateway, old.gateway_route_ids ?? []);
  },

  async delete({ tx }, s) {
    const network = await tx.getOrNull('NeutronNetwork', s.network_id ?? '');
    const subnets = network?.subnets ?? [];
    const at = subnets.indexOf(idOf(s));
    if (network && at >= 0) await tx.update('NeutronNetwork', { ...network, subnets: subnets.filter((_, i) => i !== at) });
    await tx.delete('Dhcp', idOf(s), true);
  },
};

/** Routes that use the subnet's gateway as next hop (a router's default route) follow a change of it. */
async function followGateway(
  { tx }: TranslationContext,
  before: IPAddress | undefined,
  after: IPAddress | undefined,
  routeIds: readonly string[],
): Promise<void> {
  if (sameAddress(before, after) || (!before && !after)) return;
  for (const route of await tx.getAll('Route', routeIds)) {
    if (after) route.next_hop_gateway = after;
    else delete route.next_hop_gateway;
    await tx.update('Route', route);
  }
}
