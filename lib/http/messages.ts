/**
 * Error message templates of the original REST API (its ValidationMessages bundle), keyed by the
 * names the spec uses in [brackets]. Clients and tests compare these texts, so they are kept
 * verbatim; `%s`/`%d` are filled in by `message()`.
 */
export const MESSAGES = {
  AllowedValue: 'Must be one of {values}.',
  ArpEntryNotFound: 'The specified bridge does not have the specified ARP table entry.',
  BgpPeerNotUnique: 'A BGP peer with address %s and AS number %d already exists.',
  BridgeHasMacPort: 'The specified bridge does not have the specified MAC-port mapping.',
  BridgeHasVlan: 'The specified bridge has no ports assigned to VLAN %d.',
  BridgeDhcpHasSubnet: 'The specified DHCP subnet(%s) already exists on this bridge.',
  ContainerUnschedulable: 'Container %s scheduling cannot be changed because it is not connected to a port.',
  FragPolicyInvalidForL4Rule: "For a rule with tpDst or tpSrc constraints, the fragmentPolicy must be 'header' or 'unfragmented'.",
  FragPolicyInvalidForNatRule: "For a NAT rule with port constraints or multiple targets, the fragmentPolicy must be 'unfragmented'.",
  FragPolicyUndefined: "The valid options for fragmentPolicy are: 'any', 'header', 'nonheader', and 'unfragmented'.",
  HostDeletionNotAllowedActive: 'Cannot delete host %s because it is active.',
  HostDeletionNotAllowedBindings: 'Cannot delete host %s because it has %d binding(s).',
  HostFloodingProxyWeightIsNull: 'Flooding proxy weight must not be null.',
  HostContainerWeightIsNull: 'Container weight must not be null.',
  HostContainerLimitIsNull: 'Container limit must not be null.',
  HostEnforceContainerLimitIsNull: 'Enforce container limit must not be null.',
  HostInterfaceIsAlreadyUsed: 'Interface %s is already bound to a port.',
  HostIsNotInAnyTunnelZone: 'The specified host is not in any tunnel zone.',
  IpAddrInvalid: 'is not a valid IP address',
  IpAddrInvalidWithParam: '%s is not a valid IP address',
  MacAddressInvalid: "MAC address string must be 6 words of 1 or 2 hex digits joined with 5 ':'",
  MacMaskInvalid: 'MAC mask must consist of three sets of four hexadecimal digits separated by periods, e.g. "ffff.ff00.0000".',
  MacPortOnBridge: 'The port must belong to the bridge that owns the MAC table.',
  MacUriFormat: 'MAC address must consist of six pairs of hex digits separated by hyphens, e.g., 12-34-56-78-9a-bc.',
  MappingStatusIsPending: 'The mapping between the health monitor and the pool is being processed (%s).',
  MaxValue: 'must be less than or equal to %d',
  MinValue: 'must be greater than or equal to %d',
  NetworkSubnetNotFound: 'Network %s does not have a subnet with address %s.',
  NonNull: 'may not be null',
  // the original names this key but its catalogue lacks it (a 500 there): our own text
  PeeringEntryNotFound: 'The specified port does not have the specified peering table entry.',
  PortAlreadyBound: 'Port %s is already bound to an interface',
  PortsLinkable: 'Ports are not linkable.',
  ResourceExists: 'A(n) %s with ID %s already exists.',
  ResourceNotFound: 'There is no %s with ID %s.',
  RouterIdIsInvalidInLoadBalancer:
    "A load balancer's router ID must be null at creation. To associate a router with a load balancer, first create the load balancer with null router ID and then update the router's load balancer ID.",
  RouteNextHopPortValid: 'This type of route requires a next hop port that is a port on the same router.',
  RouteNextHopPortInvalid: 'This type of route is invalid.',
  SubnetHasHost: 'Subnet %s on bridge %s already has a host with MAC address %s.',
  // the original uses SubnetHasHost for DHCPv6 hosts too, with their fixed address as the "MAC"
  SubnetHasHostV6: 'Subnet %s on bridge %s already has a host with client ID %s.',
  TenantUnmodifiable: 'Tenants cannot be created, updated or deleted via the REST API.',
  TunnelZoneMemberExists: 'Tunnel zone membership already exists.',
  TunnelZoneNameExists: 'Tunnel zone name already exists.',
  ValueIsInvalid: 'Value specified is not valid.',
  VlanIdMatchesPortVlanId: 'The specified port handles traffic only for VLAN %d.',
  TunnelZoneIdIsInvalid: 'Tunnel zone ID is not valid.',
  TunnelZoneNotVtep: 'Tunnel zone is not of type VTEP.',
  VtepBindingNotFound: 'The VTEP at %s does not have a binding to a Midonet network for VLAN %d at port %s.',
  VtepExists: 'A VTEP with IP address %s already exists.',
  VtepHostIpConflict: 'VTEP conflicts with an existing host with IP address %s.',
  VtepHasBindings:
    'The VTEP with IP address %s cannot be deleted because it still has bindings. To delete the VTEP, please delete its bindings and then resubmit this request.',
  VtepPortNotFound: 'The VTEP %s does not have a port named %s.',
  VtepPortVlanPairAlreadyUsed: 'The VTEP at %s:%d already has a binding for port %s on vlan %d to network %s',
  VxLanPortIdNotSettable:
    'VXLAN port ID cannot be set directly. The VXLAN port is created or deleted in response to the creation or deletion of VTEP bindings.',
} as const;

export type MessageKey = keyof typeof MESSAGES;

export function message(key: MessageKey, ...args: (string | number)[]): string {
  let i = 0;
  return MESSAGES[key].replace(/%[sd]/g, () => String(args[i++] ?? ''));
}
