/**
 * What the L3 translators (routers, router interfaces, floating IPs) share, as the original's
 * RouteManager, RouterManager and RuleManager have it: the routes a router port gets, NAT rule
 * data, chain order edits, and the router-side port of a Neutron port.
 */
import type { Chain, IPAddress, IPSubnet, Port, Route, Rule_NatRuleData } from '../../../lib/models/generated.js';
import { randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import * as ids from '../ids.js';
import { ANY_IPV4, hostSubnet } from '../net.js';
import { conflict, type TranslationTx } from '../translation.js';

/** The weight of every route the translators make. */
export const DEFAULT_WEIGHT = 100;

/**
 * The dynamic SNAT port range: the original's `cluster.translators.nat.dynamic_port_start/end`
 * defaults (this node has no setting for them; docs/decisions/0021).
 */
export const DYNAMIC_NAT_PORTS = { start: 1024, end: 65535 } as const;

export const ANY_IPV6: IPSubnet = { version: 'V6', address: '0:0:0:0:0:0:0:0', prefix_length: 0 };

export const routerChainNames = {
  pre: (id: string) => `OS_PRE_ROUTING_${id}`,
  post: (id: string) => `OS_POST_ROUTING_${id}`,
  forward: (id: string) => `OS_FORWARD_${id}`,
  floatSnatExact: (id: string) => `OS_FLOAT_SNAT_EXACT_${id}`,
  floatSnat: (id: string) => `OS_FLOAT_SNAT_${id}`,
  floatNat64: (id: string) => `OS_FLOAT_NAT64_${id}`,
  skipSnat: (id: string) => `OS_SKIP_SNAT_${id}`,
  portGroup: (pgId: string) => `OS_PORT_GROUP_${pgId}`,
  routerInterfacePortGroup: (routerId: string) => `OS_PORT_GROUP_ROUTER_INTF_${routerId}`,
};

/** A route to a port (`PORT` next hop), source and destination any IPv4 unless given. */
export function nextHopPortRoute(portId: string, o: { id?: string; gateway?: IPAddress; src?: IPSubnet; dst?: IPSubnet; gatewayDhcpId?: string } = {}): Route {
  const route: Route = {
    id: o.id ?? randomUuid(),
    next_hop: 'PORT',
    next_hop_port_id: portId,
    src_subnet: o.src ?? ANY_IPV4,
    dst_subnet: o.dst ?? ANY_IPV4,
    weight: DEFAULT_WEIGHT,
  };
  if (o.gatewayDhcpId) route.gateway_dhcp_id = o.gatewayDhcpId;
  if (o.gateway) route.next_hop_gateway = o.gateway;
  return route;
}

/** The LOCAL route of a router port's address (/32 or /128). */
export function localRoute(portId: string, address: IPAddress): Route {
  return {
    id: ids.localRouteId(portId, address.address ?? ''),
    src_subnet: address.version === 'V6' ? ANY_IPV6 : ANY_IPV4,
    dst_subnet: hostSubnet(address),
    next_hop: 'LOCAL',
    weight: DEFAULT_WEIGHT,
    next_hop_port_id: portId,
  };
}

/** NAT to one address: a dynamic range of ports (SNAT of a gateway) or none (floating IPs). */
export function natRuleData(address: IPAddress, dnat: boolean, dynamic: boolean): Rule_NatRuleData {
  const ports = dynamic ? DYNAMIC_NAT_PORTS : { start: 0, end: 0 };
  return { nat_targets: [{ nw_start: address, nw_end: address, tp_start: ports.start, tp_end: ports.end }], dnat };
}

export function reverseNatRuleData(dnat: boolean): Rule_NatRuleData {
  return { dnat, reverse: true };
}

/** The chain with rules put first (in the order given) and last. */
export function withRules(chain: Chain, first: readonly string[], last: readonly string[] = []): Chain {
  return { ...chain, rule_ids: [...first, ...(chain.rule_ids ?? []), ...last] };
}

/** Whether a next hop can go through a router port: inside one of its subnets, not its own address (RouteManager.isValidRouteOnPort). */
export function isValidRouteOnPort(nextHop: IPAddress, port: Port, contains: (s: IPSubnet, a: IPAddress) => boolean): boolean {
  if (port.port_address && port.port_address.version === nextHop.version && port.port_address.address === nextHop.address) return false;
  return (port.port_subnet ?? []).some((s) => contains(s, nextHop) && s.address !== nextHop.address);
}

/**
 * Routers made by translations before the floating-IP SNAT chains existed must be updated first
 * (RouterManager.checkOldRouterTranslation), 409.
 */
export async function isOldRouterTranslation(tx: TranslationTx, routerId: string): Promise<boolean> {
  return !(await tx.exists('Chain', ids.floatSnatExactChainId(routerId)));
}

export async function checkOldRouterTranslation(tx: TranslationTx, routerId: string): Promise<void> {
  if (await isOldRouterTranslation(tx, routerId)) {
    throw conflict(
      `Router ${routerId} must be updated to work properly with the newest version of Midonet. Please disable and re-enable SNAT on the router's gateway, and then disassociate and reassociate any Floating IPs associated with the router.`,
    );
  }
}
