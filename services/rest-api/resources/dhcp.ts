/**
 * DHCP subnets of a bridge, v4 (`/bridges/{id}/dhcp`, §6.14) and v6 (`/bridges/{id}/dhcpV6`,
 * §6.15), and their hosts. A subnet is a `Dhcp`/`DhcpV6` object bound to the bridge
 * (`Network.dhcp_ids`/`dhcpv6_ids`, cascading on bridge delete) and named in URIs by its
 * `{address}_{prefixLength}` key; hosts are entries of the subnet object (an entries declaration),
 * named by MAC (v4) or by client id with `:` written as `-` (v6).
 */
import type { Dhcp, Dhcp_Host, Dhcp_Host_ExtraDhcpOpt, Dhcp_Opt121Route, DhcpV6, DhcpV6_Host, IPSubnet, Models } from '../../../lib/models/generated.js';
import { randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { conflict, HttpError, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { pathSegment } from '../../../lib/http/uri.js';
import { formatIPv6, ipv4ToInt, isIPv4, parseIPv6, parseMac } from '../machinery/addresses.js';
import { ipAddressProto, JsonMappingError, T, V, type FieldType } from '../machinery/field-types.js';
import { buildProto, parseInput, readField, requireObjectBody } from '../machinery/dto.js';
import { inParent, type Held } from '../machinery/entries.js';
import { pathId } from '../machinery/handlers.js';
import type { Dto, EntriesDef, EntryStore, FieldDef, Mode, Reply, RequestContext, RouteDef } from '../machinery/types.js';

/** The custom messages of the original's DHCP models. */
const INVALID_IPV4 = 'is an invalid IPv4 format';
const INVALID_IPV6 = 'is an invalid IPv6 format';
/** DhcpSubnet6.prefix: an IPv6 address in its full eight-group form (spec §6.15). */
const IPV6_FULL = /^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4})$/;

/** An address that parses as IPv4 or IPv6. */
const isIp = (s: string): boolean => isIPv4(s) || parseIPv6(s) !== undefined;

// ---- shared field shapes ---------------------------------------------------------------------

/**
 * An `IPAddress` field written as the original's converter does (version by family, long IPv6
 * form); the declaration adds its `proto`.
 */
function addressField(json: string, validate: (s: string) => boolean, msg: string): Pick<FieldDef, 'json' | 'type' | 'access' | 'validators'> {
  return { json, type: T.ipAddress, access: 'rw', validators: [(v) => (typeof v === 'string' && !validate(v) ? msg : undefined)] };
}

/** `{prefix}` + `{length}` in JSON, one `IPSubnet` (`subnet_address`) in the model. */
function subnetFields(
  prefixJson: string,
  lengthJson: string,
  version: 'V4' | 'V6',
  prefixValid: (s: string) => boolean,
  prefixMsg: string,
  maxLength: number,
): FieldDef<{ subnet_address?: IPSubnet }>[] {
  return [
    {
      json: prefixJson,
      type: T.string,
      access: 'rw',
      required: true,
      validators: [(v) => (typeof v === 'string' && !prefixValid(v) ? prefixMsg : undefined)],
      owns: ['subnet_address'],
      read: (p) => p.subnet_address?.address ?? null,
      write: (v, p, dto) => {
        if (typeof v !== 'string') return;
        const six = version === 'V6' ? parseIPv6(v) : undefined;
        p.subnet_address = { version, address: six ? formatIPv6(six) : v, prefix_length: Number(dto[lengthJson] ?? 0) };
      },
    },
    {
      json: lengthJson,
      type: T.int32,
      access: 'rw',
      default: 0,
      validators: [V.range(0, maxLength)],
      owns: [],
      read: (p) => p.subnet_address?.prefix_length ?? 0,
      write: () => undefined,
    },
  ];
}

/** A JSON object inside a list: anything else is a mapping error (400 without violations). */
function jsonObject(raw: unknown, field: string, what: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new JsonMappingError(`Invalid value for field '${field}': expected ${what}`);
  }
  return { ...raw };
}

// ---- v4 subnet fields ------------------------------------------------------------------------

interface Opt121 {
  destinationPrefix: string | null;
  destinationLength: number;
  gatewayAddr: string | null;
}

const opt121Type: FieldType<Opt121[], Dhcp_Opt121Route[]> = {
  name: 'opt121Routes',
  empty: [],
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (!Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected an array`);
    return raw.map((r) => {
      const o = jsonObject(r, field, 'an array of objects');
      return {
        destinationPrefix: T.string.parse(o['destinationPrefix'], 'destinationPrefix'),
        // a Java int: null means 0
        destinationLength: T.int32.parse(o['destinationLength'], 'destinationLength') ?? 0,
        gatewayAddr: T.string.parse(o['gatewayAddr'], 'gatewayAddr'),
      };
    });
  },
  toProto: (v) =>
    v.map((r) => ({
      dst_subnet: { version: 'V4', address: r.destinationPrefix ?? '', prefix_length: r.destinationLength },
      gateway: { version: 'V4', address: r.gatewayAddr ?? '' },
    })),
  fromProto: (v) =>
    (v ?? []).map((r) => ({
      destinationPrefix: r.dst_subnet?.address ?? null,
      destinationLength: r.dst_subnet?.prefix_length ?? 0,
      gatewayAddr: r.gateway?.address ?? null,
    })),
};

/** Per-route violations, named like bean validation's cascaded paths (`opt121Routes[0].gatewayAddr`). */
function opt121Violations(dto: Dto): Violation[] {
  const out: Violation[] = [];
  // what opt121Type parsed
  ((dto['opt121Routes'] as Opt121[] | null) ?? []).forEach((r, i) => {
    const at = `opt121Routes[${i}]`;
    if (r.destinationPrefix === null) out.push({ property: `${at}.destinationPrefix`, message: message('NonNull') });
    else if (!isIPv4(r.destinationPrefix)) out.push({ property: `${at}.destinationPrefix`, message: INVALID_IPV4 });
    const len = V.range(0, 32)(r.destinationLength);
    if (len) out.push({ property: `${at}.destinationLength`, message: len });
    if (r.gatewayAddr === null) out.push({ property: `${at}.gatewayAddr`, message: message('NonNull') });
    else if (!isIPv4(r.gatewayAddr)) out.push({ property: `${at}.gatewayAddr`, message: INVALID_IPV4 });
  });
  return out;
}

const V4_SUBNET_FIELDS: FieldDef<Dhcp>[] = [
  ...subnetFields('subnetPrefix', 'subnetLength', 'V4', isIPv4, INVALID_IPV4, 32),
  { ...addressField('defaultGateway', isIPv4, INVALID_IPV4), proto: 'default_gateway' },
  { ...addressField('serverAddr', isIPv4, INVALID_IPV4), proto: 'server_address' },
  {
    json: 'dnsServerAddrs',
    type: T.stringList,
    access: 'rw',
    validators: [(v) => (Array.isArray(v) && v.every((a) => typeof a === 'string' && isIp(a)) ? undefined : message('IpAddrInvalid'))],
    owns: ['dns_server_address'],
    // an empty list reads back as null, as the original's model does
    read: (p) => {
      const list = p.dns_server_address ?? [];
      return list.length === 0 ? null : list.map((a) => String(a.address));
    },
    write: (v, p) => {
      const list = Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : [];
      if (list.length > 0) p.dns_server_address = list.map(ipAddressProto);
    },
  },
  { json: 'interfaceMTU', type: T.int32, access: 'rw', proto: 'interface_mtu', validators: [V.range(0, 65536)] },
  { json: 'opt121Routes', type: opt121Type, access: 'rw', proto: 'opt121_routes' },
  { json: 'enabled', type: T.boxedBool, access: 'rw', proto: 'enabled', default: true },
];

// ---- v4 host fields --------------------------------------------------------------------------

interface ExtraOpt {
  optName: string | null;
  optValue: string | null;
}

const extraOptType: FieldType<ExtraOpt, Dhcp_Host_ExtraDhcpOpt> = {
  name: 'extraDhcpOpt',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    const o = jsonObject(raw, field, 'an object');
    return { optName: T.string.parse(o['optName'], 'optName'), optValue: T.string.parse(o['optValue'], 'optValue') };
  },
  toProto: (o) => {
    const m: Dhcp_Host_ExtraDhcpOpt = {};
    if (o.optName !== null) m.name = o.optName;
    if (o.optValue !== null) m.value = o.optValue;
    return m;
  },
  fromProto: (v) => (v === undefined ? null : { optName: v.name ?? null, optValue: v.value ?? null }),
};

const V4_HOST_FIELDS: FieldDef<Dhcp_Host>[] = [
  {
    // stored as given; compared as MAC values
    json: 'macAddr',
    type: T.string,
    access: 'rw',
    proto: 'mac',
    required: true,
    validators: [(v) => (typeof v === 'string' && parseMac(v) === undefined ? message('MacAddressInvalid') : undefined)],
  },
  { ...addressField('ipAddr', isIPv4, message('IpAddrInvalid')), proto: 'ip_address' },
  { json: 'name', type: T.string, access: 'rw', proto: 'name' },
  { json: 'extraDhcpOpts', type: T.list(extraOptType), access: 'rw', proto: 'extra_dhcp_opts' },
];

// ---- v6 fields -------------------------------------------------------------------------------

const V6_SUBNET_FIELDS: FieldDef<DhcpV6>[] = subnetFields('prefix', 'prefixLength', 'V6', (s) => IPV6_FULL.test(s), INVALID_IPV6, 128);

/**
 * A DHCPv6 client id (a DUID, written by clients as colon-separated hex): the original asks only
 * that it is there. Here it must also name its host again through its URI: not empty (the URI
 * would end in `hostsV6/`), at most the length of the longest DUID (130 bytes, RFC 8415) in that
 * form, no `-` (URIs write `:` as `-` and read every `-` back as `:`), no control characters,
 * no lone surrogates, not `.` or `..` (URL parsers resolve those segments away); any other
 * character is percent-encoded in the URI (lib/http/uri.ts).
 */
export const CLIENT_ID_MAX = 130 * 3 - 1;
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CLIENT_ID_BAD = /[\u0000-\u001f\u007f-\u009f-]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function clientIdChars(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (CLIENT_ID_BAD.test(v) || LONE_SURROGATE.test(v)) return "may not contain control characters, unpaired surrogates or '-' (URIs write ':' as '-')";
  // URL parsers resolve these segments (even percent-encoded) instead of sending them
  if (v === '.' || v === '..') return "may not be '.' or '..'";
  return undefined;
}

const V6_HOST_FIELDS: FieldDef<DhcpV6_Host>[] = [
  {
    json: 'clientId',
    type: T.string,
    access: 'rw',
    proto: 'client_id',
    required: true,
    validators: [V.size(1, CLIENT_ID_MAX), clientIdChars],
  },
  { ...addressField('fixedAddress', isIp, message('IpAddrInvalid')), proto: 'ip_address' },
  { json: 'name', type: T.string, access: 'rw', proto: 'name' },
];

// ---- flavors ---------------------------------------------------------------------------------

type SubnetClass = 'Dhcp' | 'DhcpV6';
type HostOf<C extends SubnetClass> = NonNullable<Models[C]['hosts']>[number];

interface SubnetId {
  /** the address as numbers (IPv4: one, IPv6: eight groups), compared by value */
  address: number[];
  length: number;
}

interface Flavor<C extends SubnetClass> {
  clazz: C;
  /** the bridge's list of these subnets */
  bridgeField: 'dhcp_ids' | 'dhcpv6_ids';
  segment: 'dhcp' | 'dhcpV6';
  hostsSegment: 'hosts' | 'hostsV6';
  subnetFields: FieldDef<Models[C]>[];
  hostFields: FieldDef<HostOf<C>>[];
  /** the JSON field naming a host */
  hostJsonKey: 'macAddr' | 'clientId';
  /** the stored value naming a host: MAC (v4) or client id (v6) */
  hostName(h: HostOf<C>): string | undefined;
  media: { single: string; collection: string; hostSingle: string; hostCollection: string };
  /** the address text of an `IPSubnet` path key as numbers; undefined when it is not one */
  parseAddress(text: string): number[] | undefined;
  /** a host's identity: canonical MAC (v4) or the client id (v6) */
  hostIdentity(raw: string): string | undefined;
  /** the host's segment in its URI */
  hostSegment(h: HostOf<C>): string;
  /** the host segment of a path back to an identity */
  pathHost(raw: string): string | undefined;
  duplicateSubnets: 'reject' | 'allow';
  /** the 409 message of a host already there (it names the MAC, or the client id) */
  duplicateHost: 'SubnetHasHost' | 'SubnetHasHostV6';
  /** GET of a host / list of hosts when the subnet or host is missing */
  hostMiss: 'message' | 'empty';
  /** checks of a subnet body beyond its fields' */
  extraChecks?(dto: Dto): Violation[];
  /** the prefix of an IPv6 path key is shown in the long form */
  longPrefix: boolean;
}

const V4: Flavor<'Dhcp'> = {
  clazz: 'Dhcp',
  bridgeField: 'dhcp_ids',
  segment: 'dhcp',
  hostsSegment: 'hosts',
  subnetFields: V4_SUBNET_FIELDS,
  hostFields: V4_HOST_FIELDS,
  hostJsonKey: 'macAddr',
  hostName: (h) => h.mac,
  media: {
    single: single('DhcpSubnet', 2),
    collection: collection('DhcpSubnet', 2),
    hostSingle: single('DhcpHost', 2),
    hostCollection: collection('DhcpHost', 2),
  },
  parseAddress: (text) => (isIPv4(text) ? [ipv4ToInt(text)] : undefined),
  hostIdentity: (raw) => parseMac(raw),
  hostSegment: (h) => pathSegment(h.mac ?? ''),
  pathHost: (raw) => parseMac(raw.replace(/-/g, ':')),
  duplicateSubnets: 'reject',
  duplicateHost: 'SubnetHasHost',
  hostMiss: 'message',
  extraChecks: opt121Violations,
  longPrefix: false,
};

const V6: Flavor<'DhcpV6'> = {
  clazz: 'DhcpV6',
  bridgeField: 'dhcpv6_ids',
  segment: 'dhcpV6',
  hostsSegment: 'hostsV6',
  subnetFields: V6_SUBNET_FIELDS,
  hostFields: V6_HOST_FIELDS,
  hostJsonKey: 'clientId',
  hostName: (h) => h.client_id,
  media: {
    single: single('DhcpV6Subnet', 1),
    collection: collection('DhcpV6Subnet', 1),
    hostSingle: single('DhcpV6Host', 1),
    hostCollection: collection('DhcpV6Host', 1),
  },
  parseAddress: (text) => parseIPv6(text),
  hostIdentity: (raw) => raw,
  hostSegment: (h) => pathSegment((h.client_id ?? '').replace(/:/g, '-')),
  pathHost: (raw) => raw.replace(/-/g, ':'),
  duplicateSubnets: 'allow',
  duplicateHost: 'SubnetHasHostV6',
  hostMiss: 'empty',
  longPrefix: true,
};

// ---- subnets ---------------------------------------------------------------------------------

type HasSubnet = { subnet_address?: IPSubnet };

function stored(m: HasSubnet): { address: string; length: number } {
  return { address: m.subnet_address?.address ?? '', length: m.subnet_address?.prefix_length ?? 0 };
}

/** `10.0.0.0_24`: the subnet's URI key. */
function subnetKey(m: HasSubnet): string {
  const s = stored(m);
  return `${s.address}_${s.length}`;
}

/** `10.0.0.0/24`: the subnet as the original's messages print it. */
function cidr(m: HasSubnet): string {
  const s = stored(m);
  return `${s.address}/${s.length}`;
}

function subnetIdOf<C extends SubnetClass>(f: Flavor<C>, m: HasSubnet): SubnetId | undefined {
  const s = stored(m);
  const address = f.parseAddress(s.address);
  return address ? { address, length: s.length } : undefined;
}

/** The `{subnet}` path segment (`{address}_{length}`); undefined when it names no subnet. */
function pathSubnet<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext): SubnetId | undefined {
  const raw = String(ctx.params['subnet'] ?? '');
  const at = raw.lastIndexOf('_');
  if (at < 0 || !/^\d{1,3}$/.test(raw.slice(at + 1))) return undefined;
  const address = f.parseAddress(raw.slice(0, at));
  return address ? { address, length: Number(raw.slice(at + 1)) } : undefined;
}

const sameSubnet = (a: SubnetId | undefined, b: SubnetId | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.address.length === b.address.length && a.address.every((x, i) => x === b.address[i]);

/** The `{address}/{length}` of the path, as the original prints its parsed subnet. */
function pathCidr<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext): string {
  const raw = String(ctx.params['subnet'] ?? '');
  const id = pathSubnet(f, ctx);
  if (!id) return raw;
  const at = raw.lastIndexOf('_');
  const text = raw.slice(0, at);
  const six = f.longPrefix ? parseIPv6(text) : undefined;
  return `${six ? formatIPv6(six) : text}/${id.length}`;
}

async function subnetsOf<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext, bridgeId: string, tx?: Transaction): Promise<Models[C][]> {
  const bridge = tx ? await tx.get('Network', bridgeId) : await ctx.storage.get('Network', bridgeId);
  const ids = bridge[f.bridgeField] ?? [];
  return tx ? tx.getAll(f.clazz, ids) : ctx.storage.getExisting(f.clazz, ids);
}

/** The bridge's subnet named by the path, or undefined (the bridge itself must exist: 404). */
async function findSubnet<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext, bridgeId: string, tx?: Transaction): Promise<Models[C] | undefined> {
  const wanted = pathSubnet(f, ctx);
  if (!wanted) {
    // still a 404 for a missing bridge first
    await subnetsOf(f, ctx, bridgeId, tx);
    return undefined;
  }
  return (await subnetsOf(f, ctx, bridgeId, tx)).find((s) => sameSubnet(subnetIdOf(f, s), wanted));
}

function subnetUri<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext, bridgeId: string, m: HasSubnet): string {
  return `${ctx.base}/bridges/${bridgeId}/${f.segment}/${pathSegment(subnetKey(m))}`;
}

function subnetJson<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext, bridgeId: string, m: Models[C]): Dto {
  const json: Dto = {};
  for (const field of f.subnetFields) json[field.json] = readField(field, m);
  json['uri'] = subnetUri(f, ctx, bridgeId, m);
  json['hosts'] = `${String(json['uri'])}/${f.hostsSegment}`;
  return json;
}

/** 404 [NetworkSubnetNotFound] naming the subnet as the path spells it (subnet PUT/DELETE). */
function subnetNotFound(bridgeId: string, subnet: string): HttpError {
  return notFound(message('NetworkSubnetNotFound', bridgeId, subnet));
}

/** Parses and validates a body for a POST/PUT; 400 with every violation at once. */
function parseBody<M>(fields: readonly FieldDef<M>[], body: unknown, mode: Mode, extra?: (dto: Dto) => Violation[]): Dto {
  const { dto, violations } = parseInput(fields, requireObjectBody(body), mode);
  const all = [...violations, ...(extra?.(dto) ?? [])];
  if (all.length > 0) throw validationError(all);
  return dto;
}

/** The subnet routes of a flavor: a subnet is an object of its own, named by its address. */
function subnetRoutes<C extends SubnetClass>(f: Flavor<C>): RouteDef[] {
  const base = `/bridges/:id/${f.segment}`;
  return [
    {
      method: 'POST',
      path: base,
      regime: 'G',
      consumes: [f.media.single, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const dto = parseBody(f.subnetFields, ctx.body, 'create', f.extraChecks);
        const proto = buildProto(f.subnetFields, dto, 'create');
        proto.id = randomUuid();
        proto.network_id = bridgeId;
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const existing = await subnetsOf(f, ctx, bridgeId, tx);
          if (f.duplicateSubnets === 'reject' && existing.some((s) => sameSubnet(subnetIdOf(f, s), subnetIdOf(f, proto)))) {
            throw conflict(message('BridgeDhcpHasSubnet', cidr(proto)));
          }
          await tx.create(f.clazz, { ...proto });
        });
        return { status: 201, headers: { Location: subnetUri(f, ctx, bridgeId, proto) } };
      },
    },
    {
      method: 'GET',
      path: base,
      regime: 'E',
      produces: [f.media.collection],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        return { status: 200, body: (await subnetsOf(f, ctx, bridgeId)).map((s) => subnetJson(f, ctx, bridgeId, s)) };
      },
    },
    {
      method: 'GET',
      path: `${base}/:subnet`,
      regime: 'E',
      produces: [f.media.single, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const s = await findSubnet(f, ctx, bridgeId);
        if (!s) throw notFound(null, true);
        return { status: 200, body: subnetJson(f, ctx, bridgeId, s) };
      },
    },
    {
      method: 'PUT',
      path: `${base}/:subnet`,
      regime: 'E',
      consumes: [f.media.single, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const dto = parseBody(f.subnetFields, ctx.body, 'update', f.extraChecks);
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const current = await findSubnet(f, ctx, bridgeId, tx);
          if (!current) throw subnetNotFound(bridgeId, String(ctx.params['subnet']));
          // a full replacement of the fields; id, bridge and hosts stay. The identity follows the body.
          const next = buildProto(f.subnetFields, dto, 'update', current);
          const nextId = subnetIdOf(f, next);
          if (f.duplicateSubnets === 'reject' && !sameSubnet(subnetIdOf(f, current), nextId)) {
            const others = (await subnetsOf(f, ctx, bridgeId, tx)).filter((s) => s.id !== current.id);
            if (others.some((s) => sameSubnet(subnetIdOf(f, s), nextId))) throw conflict(message('BridgeDhcpHasSubnet', cidr(next)));
          }
          await tx.update(f.clazz, next);
        });
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/:subnet`,
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(f, ctx, bridgeId, tx);
          if (!s) throw subnetNotFound(bridgeId, String(ctx.params['subnet']));
          // the hosts are part of the subnet object and go with it
          await tx.delete(f.clazz, String(s.id));
        });
        return { status: 204 };
      },
    },
  ];
}

// ---- hosts -----------------------------------------------------------------------------------

/** 404 for a host operation: [NetworkSubnetNotFound] with the subnet as `address/length`, or empty. */
function hostMiss<C extends SubnetClass>(f: Flavor<C>, ctx: RequestContext, style: 'message' | 'empty'): HttpError {
  return style === 'empty' ? notFound(null, true) : notFound(message('NetworkSubnetNotFound', pathId(ctx), pathCidr(f, ctx)));
}

function hostIdentityOf<C extends SubnetClass>(f: Flavor<C>, h: HostOf<C>): string | undefined {
  const raw = f.hostName(h);
  return raw === undefined ? undefined : f.hostIdentity(raw);
}

/** What the store of a flavor's hosts needs besides the subnet class and its `hosts` field. */
function hostStore<C extends SubnetClass>(f: Flavor<C>) {
  return {
    key: (h: HostOf<C>) => hostIdentityOf(f, h),
    locate: (ctx: RequestContext, tx?: Transaction) => findSubnet(f, ctx, pathId(ctx), tx),
    noParent: (ctx: RequestContext, op: 'list' | 'add') => hostMiss(f, ctx, op === 'list' ? f.hostMiss : 'message'),
    duplicate: (ctx: RequestContext, s: Models[C], h: HostOf<C>) => conflict(message(f.duplicateHost, cidr(s), pathId(ctx), f.hostName(h) ?? '')),
  };
}

/** The hosts of a flavor's subnets (`/bridges/{id}/dhcp/{subnet}/hosts`): entries of the subnet object. */
function hostEntries<C extends SubnetClass>(
  f: Flavor<C>,
  store: EntryStore<Held<Models[C], HostOf<C>>, HostOf<C>>,
): EntriesDef<Held<Models[C], HostOf<C>>, HostOf<C>> {
  const path = `/bridges/:id/${f.segment}/:subnet/${f.hostsSegment}`;
  return {
    name: `DHCP${f.longPrefix ? 'v6' : ''} host`,
    parent: 'Network',
    path,
    itemPath: `${path}/:host`,
    media: { collection: [f.media.hostCollection], single: [f.media.hostSingle, JSON_TYPE], consumes: [f.media.hostSingle, JSON_TYPE] },
    // the identity the path names; undefined when the segment names no host
    pathKey: (ctx) => f.pathHost(String(ctx.params['host'] ?? '')),
    parse(_ctx, body, current) {
      // the path names the host: a PUT body without its identity keeps it
      const given = { ...body };
      if (current && (given[f.hostJsonKey] === undefined || given[f.hostJsonKey] === null)) given[f.hostJsonKey] = f.hostName(current.entry);
      const mode = current ? 'update' : 'create';
      return buildProto(f.hostFields, parseBody(f.hostFields, given, mode), mode, current?.entry);
    },
    store,
    render(ctx, { parent, entry }) {
      const json: Dto = {};
      for (const field of f.hostFields) json[field.json] = readField(field, entry);
      json['uri'] = `${subnetUri(f, ctx, pathId(ctx), parent)}/${f.hostsSegment}/${f.hostSegment(entry)}`;
      return json;
    },
    missing: {
      get: (ctx) => hostMiss(f, ctx, f.hostMiss),
      update: (ctx) => hostMiss(f, ctx, 'message'),
      delete: (ctx) => hostMiss(f, ctx, 'message'),
    },
    replaceable: true,
  };
}

export const dhcpSubnetRoutes: RouteDef[] = subnetRoutes(V4);
export const dhcpHosts = hostEntries(V4, inParent({ parent: 'Dhcp', field: 'hosts', ...hostStore(V4) }));
export const dhcpV6SubnetRoutes: RouteDef[] = subnetRoutes(V6);
export const dhcpV6Hosts = hostEntries(V6, inParent({ parent: 'DhcpV6', field: 'hosts', ...hostStore(V6) }));
