/**
 * Address syntax as the original validates and prints it: IPv4 without leading zeros, IPv6 in
 * the long lower-case form without `::` compression, MACs as six two-digit hex groups.
 */

/** The original's IPv4 regex: four decimal octets 0–255 without leading zeros. */
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** The original's `IPv4.regex` as its models quote it in the default `@Pattern` message. */
export const IPV4_REGEX = '^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])$';

/** The default bean-validation message of `@Pattern(regexp = …)`. */
export const mustMatch = (regex: string): string => `must match "${regex}"`;

export function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

export function ipv4ToInt(s: string): number {
  return s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.');
}

/** The network address of an IPv4 address under a prefix. */
export function maskIpv4(address: string, prefix: number): string {
  const n = ipv4ToInt(address);
  const size = 2 ** (32 - prefix);
  return intToIpv4(Math.floor(n / size) * size);
}

/** Eight 16-bit groups, or undefined when the text is not an IPv6 address (accepts `::`). */
export function parseIPv6(text: string): number[] | undefined {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i];
      if (i === items.length - 1 && g.includes('.')) {
        if (!isIPv4(g)) return undefined;
        const n = ipv4ToInt(g);
        groups.push(Math.floor(n / 65536), n % 65536);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        groups.push(parseInt(g, 16));
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    return [...head, ...new Array<number>(fill).fill(0), ...tail];
  }
  return head.length === 8 ? head : undefined;
}

export function formatIPv6(groups: number[]): string {
  return groups.map((g) => g.toString(16)).join(':');
}

export interface Cidr {
  version: 'V4' | 'V6';
  address: string;
  prefix: number;
}

/** `a.b.c.d/n` or `v6/n`; a v4 address without `/n` means /32 as in the original. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const lenText = slash >= 0 ? text.slice(slash + 1) : undefined;
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return undefined;
  if (isIPv4(addr)) {
    const prefix = lenText === undefined ? 32 : Number(lenText);
    return prefix <= 32 ? { version: 'V4', address: addr, prefix } : undefined;
  }
  const six = parseIPv6(addr);
  if (!six) return undefined;
  const prefix = lenText === undefined ? 128 : Number(lenText);
  return prefix <= 128 ? { version: 'V6', address: formatIPv6(six), prefix } : undefined;
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function isMac(s: string): boolean {
  return MAC_RE.test(s);
}

/**
 * The original's MAC parse (six `:`-separated groups of one or two hex digits, either case) in
 * canonical form (`aa:bb:cc:dd:ee:ff`); undefined when the text is not a MAC.
 */
export function parseMac(s: string): string | undefined {
  const groups = s.split(':');
  if (groups.length !== 6 || !groups.every((g) => /^[0-9a-fA-F]{1,2}$/.test(g))) return undefined;
  return groups.map((g) => g.toLowerCase().padStart(2, '0')).join(':');
}

/** A random unicast MAC in the Midokura OUI, as the original gives new router ports. */
export function randomRouterPortMac(): string {
  const bytes = [0xac, 0xca, 0xba, ...Array.from({ length: 3 }, () => Math.floor(Math.random() * 256))];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
