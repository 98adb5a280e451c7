/**
 * What a Neutron port is, from its `device_owner` (the original's PortManager predicates). A port
 * without an owner, or with an unknown one, reads as a VM port (the proto default, COMPUTE).
 */
import type { NeutronPort, NeutronPort_DeviceOwner } from '../../../lib/models/generated.js';

export const ownerOf = (p: NeutronPort): NeutronPort_DeviceOwner => p.device_owner ?? 'COMPUTE';

export const isVifPort = (p: NeutronPort): boolean => ownerOf(p) === 'COMPUTE';
export const isDhcpPort = (p: NeutronPort): boolean => ownerOf(p) === 'DHCP';
export const isFloatingIpPort = (p: NeutronPort): boolean => ownerOf(p) === 'FLOATINGIP';
export const isRouterInterfacePort = (p: NeutronPort): boolean => ownerOf(p) === 'ROUTER_INTERFACE';
export const isRouterGatewayPort = (p: NeutronPort): boolean => ownerOf(p) === 'ROUTER_GATEWAY';
export const isVipPort = (p: NeutronPort): boolean => ownerOf(p) === 'LOADBALANCER';
export const isVipV2Port = (p: NeutronPort): boolean => ownerOf(p) === 'LOADBALANCERV2';
export const isRemoteSitePort = (p: NeutronPort): boolean => ownerOf(p) === 'REMOTE_SITE';

/** Trusted ports get no security chains (Neutron's is_port_trusted). */
export const isTrustedPort = (p: NeutronPort): boolean => !(isVifPort(p) || isVipPort(p) || isVipV2Port(p));

/** Only the first fixed IP decides (quirk Q2 of the original, kept). */
export const isIpv6Port = (p: NeutronPort): boolean => p.fixed_ips?.[0]?.ip_address?.version === 'V6';

/** Ports whose MAC (and IPv4 addresses) are seeded into the bridge's MAC and ARP tables. */
export const hasMacAndArpEntries = (p: NeutronPort): boolean =>
  !isIpv6Port(p) && (isVifPort(p) || isRouterInterfacePort(p) || isRouterGatewayPort(p) || isRemoteSitePort(p) || isVipV2Port(p));

/** A host binding needs both the host name and the interface name. */
export const hasBinding = (p: NeutronPort): boolean => p.host_id !== undefined && p.profile?.interface_name !== undefined;

export const portSecurityEnabled = (p: NeutronPort): boolean => p.port_security_enabled ?? true;
