/**
 * The ids the original's Neutron translators derive from other ids (rest-api-extras.md §6.7):
 * MidoNet agents and tools compute the same ids to find the objects (a port's chains, a router's
 * gateway port, …), so they must come out bit for bit the same.
 *
 * A UUID is two unsigned 64-bit words; a derivation XORs them with two constants, masked so that
 * the version nibble (bits 12–15 of the high word) and the variant bits (top two of the low word)
 * stay as they were. Some ids XOR in a hash of an address's text or the address itself.
 */
import { halvesToUuid, uuidToHalves } from '../../lib/nsdb/codec/uuid.js';
import { ipv4ToInt, parseIPv6 } from '../rest-api/machinery/addresses.js';

const U64 = (1n << 64n) - 1n;
const MSB_MASK = 0xffffffffffff0fffn;
const LSB_MASK = 0x3fffffffffffffffn;

/** `id` with its words XORed with the (masked) constants. */
export function xorWith(id: string, c1: bigint, c2: bigint): string {
  const { msb, lsb } = uuidToHalves(id);
  return halvesToUuid(msb ^ (c1 & U64 & MSB_MASK), lsb ^ (c2 & U64 & LSB_MASK));
}

/** A derivation by constants, as a function of the source id. */
const derive =
  (c1: bigint, c2: bigint) =>
  (id: string): string =>
    xorWith(id, c1, c2);

/** Java's `long` arithmetic: wraps modulo 2^64 (as unsigned here). */
const wrap = (n: bigint): bigint => n & U64;

/**
 * XOR with a hash of an address's text (UTF-8 bytes of the stored `IPAddress.address`): a
 * 31-multiplier hash of the first 8 bytes into the high word and of the next 8 into the low word,
 * both seeded with 1; bytes past the 16th do not count.
 */
export function xorText(id: string, text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let m = 1n;
  let l = 1n;
  for (let i = 0; i < bytes.length && i < 16; i++) {
    const b = BigInt.asIntN(8, BigInt(bytes[i])); // Java bytes are signed
    if (i < 8) m = wrap(31n * m + b);
    else l = wrap(31n * l + b);
  }
  return xorWith(id, m, l);
}

/** The 64-bit words of an address: IPv4 as a sign-extended Java int in the low word. */
function addressWords(address: string): { hi: bigint; lo: bigint } {
  const six = parseIPv6(address);
  if (six) {
    let n = 0n;
    for (const g of six) n = (n << 16n) | BigInt(g);
    return { hi: n >> 64n, lo: n & U64 };
  }
  return { hi: 0n, lo: wrap(BigInt.asIntN(32, BigInt(ipv4ToInt(address)))) };
}

/** XOR with an address (extra-route ids, next-hop part). */
export function xorAddress(id: string, address: string): string {
  const { hi, lo } = addressWords(address);
  return xorWith(id, hi, lo);
}

/** XOR with a subnet: IPv4 `(address << 32) | prefix` in the high word (host bits kept), IPv6 words with the prefix in the low one. */
export function xorSubnet(id: string, address: string, prefix: number): string {
  const six = parseIPv6(address);
  if (six) {
    const { hi, lo } = addressWords(address);
    return xorWith(id, hi, lo ^ BigInt(prefix));
  }
  return xorWith(id, wrap((BigInt(ipv4ToInt(address)) << 32n) | BigInt(prefix)), 0n);
}

// ---- chains ----------------------------------------------------------------------------------

/** Port `OS_PORT_<id>_INBOUND`, router `OS_PRE_ROUTING_<id>`, security group `OS_SG_<id>_EGRESS`. */
export const inChainId = derive(0xc84db1f73554442bn, 0x8e7b38f2c703ee6an);
/** Port `OS_PORT_<id>_OUTBOUND`, router `OS_POST_ROUTING_<id>`, security group `OS_SG_<id>_INGRESS`. */
export const outChainId = derive(0x020940fb2cac401en, 0x9ffaf9c05d04b524n);
export const fwdChainId = derive(0xd90b1ceebd1bf51en, 0xb5e5dab5476adb8an);
export const floatSnatExactChainId = derive(0xbf4ba34a4efdbf71n, 0x590e41534b131c9bn);
export const floatSnatChainId = derive(0xba661b9dbba322afn, 0x5eff18f9c1de2512n);
export const skipSnatChainId = derive(0x77e52b9ea61aae18n, 0xcf5e9a5f30deb1fbn);
export const floatNat64ChainId = derive(0x46da815f6c664a20n, 0x0042ff946a15addan);
export const antiSpoofChainId = derive(0x0a7b611cfe7334fen, 0xbbac78cfe412ad35n);

// ---- ports, port groups ----------------------------------------------------------------------

export const antiSpoofChainJumpRuleId = derive(0x4bcef582eeae45acn, 0xb0304fc7e7b3ba0dn);
export const routerInterfacePortPeerId = derive(0x9c30300ec91f4f19n, 0x88449d37e61b60f0n);
export const portGroupId = derive(0x3fb30e769f5041f1n, 0xa50c3c4fb09a6a18n);
export const routerInterfacePortGroupId = derive(0x77e7c2e6ed0dbab5n, 0x245499dbae09aa26n);
export const tenantGwPortId = derive(0xd3a45084502f4366n, 0x9fd7d26cc7566972n);
export const l2gwNetworkPortId = derive(0x0af59914959d45f8n, 0xb1b028de11f2ee4en);
export const l2gwGatewayPortId = derive(0x5ad1c08827cb459en, 0x80042ee7006a8210n);

// ---- rules -----------------------------------------------------------------------------------

/** The second MidoNet rule (non-header fragments) of a security-group rule with a port range. */
export const nonHeaderRuleId = derive(0x933733b5db0f5ccen, 0xeaa631e8b0b34cefn);
export const outSnatRuleId = derive(0x68fd6d8bbd3343d8n, 0x9909aa4ad4b691d8n);
export const outDropUnmatchedFragmentsRuleId = derive(0xbac97789e63e4663n, 0xa00989d341c8636fn);
export const inReverseSnatRuleId = derive(0x928eb605e3e04119n, 0x8c40e4ca90769cf4n);
export const inDropWrongPortTrafficRuleId = derive(0xb807509d2fa04b9en, 0x96b1f45a04e6d128n);
export const dstRewrittenSnatRuleId = derive(0xf5d39101f0431a3en, 0xdd7a9236bf83a3e7n);
export const skipSnatOutGwPortRuleId = derive(0x6f90386f458e12ffn, 0x6ec14164bde7cee6n);
export const skipSnatInGwPortRuleId = derive(0x6a68eacaec7e7075n, 0xa21d868b7315973bn);
export const skipSnatAcceptRuleId = derive(0x9483a5a98a0098fbn, 0xb6fa7a44027c7faan);
export const fipSnatRuleId = derive(0xf515a8fd119a4b82n, 0x81e9b793d68a3b9en);
export const fipSnatExactRuleId = derive(0xfaba87a8b7a850acn, 0x52c748d4a902f277n);
export const fipDnatRuleId = derive(0xe40c77c188694ac0n, 0x9a8e6c1863e2232en);
export const fipReverseDnatRuleId = derive(0x9a8e6c1863e2232en, 0xe40c77c188694ac0n);
export const fipSkipSnatOutRuleId = derive(0x30eddc1fede9b578n, 0x1df21b732ecf45afn);
export const fipSkipSnatInRuleId = derive(0x7b37aca83867e33an, 0xc52b8965e7d9cf14n);
export const redirectRuleId = derive(0x12d34babf7d84902n, 0xaa840971afc3307fn);
export const inverseRedirectRuleId = derive(0x12d34babf7d85900n, 0xaa840971afc3307fn);
export const fwdChainFwJumpRuleId = derive(0x36feb6f6fd9211e5n, 0x98a00242ac110001n);
export const inChainFwJumpRuleId = derive(0xc309e08c3eaf11e5n, 0xaf410242ac110002n);
export const outChainFwJumpRuleId = derive(0x1b4b62ca3eb011e5n, 0x91260242ac110002n);

/** Same-subnet SNAT rule of a router interface: the router chain id XORed with the port's words, then constants. */
export function sameSubnetSnatRuleId(chainId: string, portId: string): string {
  const { msb, lsb } = uuidToHalves(portId);
  return xorWith(xorWith(chainId, msb, lsb), 0x3bcf2eb64be211e5n, 0x84ae0242ac110003n);
}

// ---- routes ----------------------------------------------------------------------------------

const addressRoute =
  (c1: bigint, c2: bigint) =>
  (portId: string, address: string): string =>
    xorText(xorWith(portId, c1, c2), address);

export const localRouteId = addressRoute(0x13bd079b6c0e43fbn, 0x80fe647e6e718b72n);
export const gatewayRouteId = addressRoute(0x6ba5df84b8a44ab4n, 0x90adb3f665e7850dn);
export const routerInterfaceRouteId = addressRoute(0xb288abe0c5744762n, 0xb3a04b12442bb179n);
export const metadataServiceRouteId = addressRoute(0xa0132e5a1583461cn, 0xa752d8609a517a6cn);

/** An extra route of a router: the router id XORed with the destination, then the next hop. */
export function extraRouteId(routerId: string, destination: { address: string; prefix: number }, nextHop: string): string {
  return xorAddress(xorSubnet(routerId, destination.address, destination.prefix), nextHop);
}

// ---- other services --------------------------------------------------------------------------

export const quaggaContainerId = derive(0x645a41fb3e1641a3n, 0x90d28456127bee31n);
export const quaggaContainerGroupId = derive(0x7d263d2d55da46d2n, 0xb53951e91eba3a1fn);
export const quaggaPortId = derive(0xff498a4c22390ae3n, 0x3e3ec848baff217dn);
export const bgpNetworkId = derive(0x39c62a620c7049a9n, 0xbc9c1acb80e516fcn);
export const vpnContainerRouteId = quaggaContainerId;
export const loadBalancerId = derive(0xaab2c5dea7bc8dean, 0x2ac7bb0371eee6d7n);
export const lbV2RouterId = derive(0xed1225ed739945ean, 0x8fd972a26f18632fn);
export const lbServiceContainerId = derive(0xad1e25ee739d05ean, 0x0ed972b36e19612fn);
export const lbServiceContainerGroupId = derive(0x7d263d2d55da46d2n, 0xaad282b46129613fn);
export const lbServiceContainerPortId = derive(0x1da81cddca3b9ff8n, 0xd966a652de3c9ccan);
export const lbSnatRule = derive(0xe401ace2473413aan, 0x7be4604b146962b6n);
export const lbRevSnatRule = derive(0xd9c8f6962541298dn, 0x7294e027de2b90ban);
