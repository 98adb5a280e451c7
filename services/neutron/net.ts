/**
 * IP addresses and subnets as the Neutron translators store and compare them: the proto
 * `IPAddress` / `IPSubnet` messages with the original's canonical text (IPv4 dotted decimal, IPv6
 * as eight lower-case groups, never `::`; host bits of a subnet kept as given).
 */
import type { IPAddress, IPSubnet, IPVersion } from '../../lib/models/generated.js';
import { formatIPv6, ipv4ToInt, isIPv4, parseCidr, parseIPv6 } from '../rest-api/machinery/addresses.js';

/** The address in canonical form, or undefined when the text is not an IP address. */
export function parseAddress(text: string): IPAddress | undefined {
  if (isIPv4(text)) return { version: 'V4', address: text };
  const six = parseIPv6(text);
  return six ? { version: 'V6', address: formatIPv6(six) } : undefined;
}

/** `addr/len`, or a bare address (/32 or /128); undefined when not a CIDR. */
export function parseSubnet(text: string): IPSubnet | undefined {
  const c = parseCidr(text);
  return c ? { version: c.version, address: c.address, prefix_length: c.prefix } : undefined;
}

export function addressText(a: IPAddress | undefined): string {
  return a?.address ?? '';
}

export function subnetText(s: IPSubnet | undefined): string {
  return s ? `${s.address ?? ''}/${s.prefix_length ?? 0}` : '';
}

/** The host route of an address: /32 or /128. */
export function hostSubnet(a: IPAddress): IPSubnet {
  return { version: a.version ?? 'V4', address: a.address ?? '', prefix_length: a.version === 'V6' ? 128 : 32 };
}

export function sameAddress(a: IPAddress | undefined, b: IPAddress | undefined): boolean {
  return !!a && !!b && a.version === b.version && a.address === b.address;
}

/** The address as an unsigned integer of its version's width. */
function toBigInt(version: IPVersion | undefined, address: string): bigint | undefined {
  if (version === 'V6') {
    const six = parseIPv6(address);
    if (!six) return undefined;
    return six.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
  }
  return isIPv4(address) ? BigInt(ipv4ToInt(address)) : undefined;
}

/** Whether the subnet holds the address (same version, same network bits). */
export function subnetContains(subnet: IPSubnet, a: IPAddress): boolean {
  if (subnet.version !== a.version) return false;
  const width = subnet.version === 'V6' ? 128n : 32n;
  const net = toBigInt(subnet.version, subnet.address ?? '');
  const ip = toBigInt(a.version, a.address ?? '');
  if (net === undefined || ip === undefined) return false;
  const hostBits = width - BigInt(subnet.prefix_length ?? 0);
  return net >> hostBits === ip >> hostBits;
}

export const METADATA_SERVICE: IPSubnet = { version: 'V4', address: '169.254.169.254', prefix_length: 32 };
export const ANY_IPV4: IPSubnet = { version: 'V4', address: '0.0.0.0', prefix_length: 0 };
