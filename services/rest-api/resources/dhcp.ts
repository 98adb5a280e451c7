/**
 * DHCP subnets of a bridge, v4 (`/bridges/{id}/dhcp`, §6.14) and v6 (`/bridges/{id}/dhcpV6`,
 * §6.15), and their hosts. A subnet is a `Dhcp`/`DhcpV6` object bound to the bridge
 * (`Network.dhcp_ids`/`dhcpv6_ids`, cascading on bridge delete) and named in URIs by its
 * `{address}_{prefixLength}` key; hosts are entries of the subnet object, named by MAC (v4) or
 * by client id with `:` written as `-` (v6).
 */
import type { FieldValue, Msg } from '../../../lib/models/types.js';
import { randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { conflict, HttpError, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { formatIPv6, ipv4ToInt, isIPv4, parseIPv6, parseMac } from '../machinery/addresses.js';
import { JsonMappingError, T, V, type FieldType } from '../machinery/field-types.js';
import { buildProto, parseInput, readField, requireObjectBody } from '../machinery/dto.js';
import { pathId } from '../machinery/handlers.js';
import type { Dto, FieldDef, Mode, Reply, RequestContext, RouteDef } from '../machinery/types.js';

/** The custom messages of the original's DHCP models. */
const INVALID_IPV4 = 'is an invalid IPv4 format';
const INVALID_IPV6 = 'is an invalid IPv6 format';
/** DhcpSubnet6.prefix: an IPv6 address in its full eight-group form (spec §6.15). */
const IPV6_FULL = /^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4})$/;

/** An address that parses as IPv4 or IPv6. */
const isIp = (s: string): boolean => isIPv4(s) || parseIPv6(s) !== undefined;

// ---- shared field shapes ---------------------------------------------------------------------

/** An `IPAddress` field written as the original's converter does (version by family, long IPv6 form). */
function addressField(json: string, proto: string, validate: (s: string) => boolean, msg: string): FieldDef {
  return {
    json,
    type: T.string,
    access: 'rw',
    validators: [(v) => (typeof v === 'string' && !validate(v) ? msg : undefined)],
    owns: [proto],
    read: (p) => ((p[proto] as Msg | undefined)?.['address'] as string | undefined) ?? null,
    write: (v, p) => {
      if (typeof v === 'string') p[proto] = T.ipAddress.toProto(v) as Msg;
    },
  };
}

/** `{prefix}` + `{length}` in JSON, one `IPSubnet` (`subnet_address`) in the model. */
function subnetFields(
  prefixJson: string,
  lengthJson: string,
  version: 'V4' | 'V6',
  prefixValid: (s: string) => boolean,
  prefixMsg: string,
  maxLength: number,
): FieldDef[] {
  const sub = (p: Msg): Msg | undefined => p['subnet_address'] as Msg | undefined;
  return [
    {
      json: prefixJson,
      type: T.string,
      access: 'rw',
      required: true,
      validators: [(v) => (typeof v === 'string' && !prefixValid(v) ? prefixMsg : undefined)],
      owns: ['subnet_address'],
      read: (p) => (sub(p)?.['address'] as string | undefined) ?? null,
      write: (v, p, dto) => {
        if (typeof v !== 'string') return;
        const six = version === 'V6' ? parseIPv6(v) : undefined;
        p['subnet_address'] = { version, address: six ? formatIPv6(six) : v, prefix_length: Number(dto[lengthJson] ?? 0) };
      },
    },
    {
      json: lengthJson,
      type: T.int32,
      access: 'rw',
      default: 0,
      validators: [V.range(0, maxLength)],
      owns: [],
      read: (p) => Number(sub(p)?.['prefix_length'] ?? 0),
      write: () => undefined,
    },
  ];
}

// ---- v4 subnet fields ------------------------------------------------------------------------

interface Opt121 {
  destinationPrefix: string | null;
  destinationLength: number;
  gatewayAddr: string | null;
}

const opt121Type: FieldType<Opt121[]> = {
  name: 'opt121Routes',
  empty: [],
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (!Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected an array`);
    return raw.map((r) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) {
        throw new JsonMappingError(`Invalid value for field '${field}': expected an array of objects`);
      }
      const o = r as Record<string, unknown>;
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
    })) as FieldValue,
  fromProto(v) {
    if (!Array.isArray(v)) return [];
    return (v as Msg[]).map((r) => {
      const dst = r['dst_subnet'] as Msg | undefined;
      return {
        destinationPrefix: (dst?.['address'] as string | undefined) ?? null,
        destinationLength: Number(dst?.['prefix_length'] ?? 0),
        gatewayAddr: ((r['gateway'] as Msg | undefined)?.['address'] as string | undefined) ?? null,
      };
    });
  },
};

/** Per-route violations, named like bean validation's cascaded paths (`opt121Routes[0].gatewayAddr`). */
function opt121Violations(dto: Dto): Violation[] {
  const out: Violation[] = [];
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

const V4_SUBNET_FIELDS: FieldDef[] = [
  ...subnetFields('subnetPrefix', 'subnetLength', 'V4', isIPv4, INVALID_IPV4, 32),
  addressField('defaultGateway', 'default_gateway', isIPv4, INVALID_IPV4),
  addressField('serverAddr', 'server_address', isIPv4, INVALID_IPV4),
  {
    json: 'dnsServerAddrs',
    type: T.stringList,
    access: 'rw',
    validators: [(v) => ((v as string[]).every(isIp) ? undefined : message('IpAddrInvalid'))],
    owns: ['dns_server_address'],
    // an empty list reads back as null, as the original's model does
    read: (p) => {
      const list = (p['dns_server_address'] as Msg[] | undefined) ?? [];
      return list.length === 0 ? null : list.map((a) => String(a['address']));
    },
    write: (v, p) => {
      const list = (v as string[] | null) ?? [];
      if (list.length > 0) p['dns_server_address'] = list.map((a) => T.ipAddress.toProto(a) as Msg);
    },
  },
  { json: 'interfaceMTU', type: T.int32, access: 'rw', proto: 'interface_mtu', validators: [V.range(0, 65536)] },
  { json: 'opt121Routes', type: opt121Type, access: 'rw', proto: 'opt121_routes' },
  { json: 'enabled', type: T.bool, access: 'rw', proto: 'enabled', default: true },
];

// ---- v4 host fields --------------------------------------------------------------------------

interface ExtraOpt {
  optName: string | null;
  optValue: string | null;
}

const extraOptType: FieldType<ExtraOpt> = {
  name: 'extraDhcpOpt',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected an object`);
    const o = raw as Record<string, unknown>;
    return { optName: T.string.parse(o['optName'], 'optName'), optValue: T.string.parse(o['optValue'], 'optValue') };
  },
  toProto: (o) => {
    const m: Msg = {};
    if (o.optName !== null) m['name'] = o.optName;
    if (o.optValue !== null) m['value'] = o.optValue;
    return m;
  },
  fromProto: (v) => {
    if (v === undefined || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return null;
    const m = v as Msg;
    return { optName: (m['name'] as string | undefined) ?? null, optValue: (m['value'] as string | undefined) ?? null };
  },
};

const V4_HOST_FIELDS: FieldDef[] = [
  {
    // stored as given; compared as MAC values
    json: 'macAddr',
    type: T.string,
    access: 'rw',
    proto: 'mac',
    required: true,
    validators: [(v) => (typeof v === 'string' && parseMac(v) === undefined ? message('MacAddressInvalid') : undefined)],
  },
  addressField('ipAddr', 'ip_address', isIPv4, message('IpAddrInvalid')),
  { json: 'name', type: T.string, access: 'rw', proto: 'name' },
  { json: 'extraDhcpOpts', type: T.list(extraOptType), access: 'rw', proto: 'extra_dhcp_opts' },
];

// ---- v6 fields -------------------------------------------------------------------------------

const V6_SUBNET_FIELDS: FieldDef[] = subnetFields('prefix', 'prefixLength', 'V6', (s) => IPV6_FULL.test(s), INVALID_IPV6, 128);

const V6_HOST_FIELDS: FieldDef[] = [
  { json: 'clientId', type: T.string, access: 'rw', proto: 'client_id', required: true },
  addressField('fixedAddress', 'ip_address', isIp, message('IpAddrInvalid')),
  { json: 'name', type: T.string, access: 'rw', proto: 'name' },
];

// ---- flavors ---------------------------------------------------------------------------------

interface SubnetId {
  /** the address as numbers (IPv4: one, IPv6: eight groups), compared by value */
  address: number[];
  length: number;
}

interface Flavor {
  clazz: 'Dhcp' | 'DhcpV6';
  /** the bridge's list of these subnets */
  bridgeField: 'dhcp_ids' | 'dhcpv6_ids';
  segment: 'dhcp' | 'dhcpV6';
  hostsSegment: 'hosts' | 'hostsV6';
  subnetFields: FieldDef[];
  hostFields: FieldDef[];
  /** the JSON field naming a host, and the stored one */
  hostJsonKey: 'macAddr' | 'clientId';
  hostProtoKey: 'mac' | 'client_id';
  media: { single: string; collection: string; hostSingle: string; hostCollection: string };
  /** the address text of an `IPSubnet` path key as numbers; undefined when it is not one */
  parseAddress(text: string): number[] | undefined;
  /** a host's identity: canonical MAC (v4) or the client id (v6) */
  hostIdentity(raw: string): string | undefined;
  /** the host's segment in its URI */
  hostSegment(h: Msg): string;
  /** the host segment of a path back to an identity */
  pathHost(raw: string): string | undefined;
  /** 409 on POST for an identity already present */
  duplicateHost(subnet: Msg, bridgeId: string, host: Msg): string;
  duplicateSubnets: 'reject' | 'allow';
  /** GET of a host / list of hosts when the subnet or host is missing */
  hostMiss: 'message' | 'empty';
}

const V4: Flavor = {
  clazz: 'Dhcp',
  bridgeField: 'dhcp_ids',
  segment: 'dhcp',
  hostsSegment: 'hosts',
  subnetFields: V4_SUBNET_FIELDS,
  hostFields: V4_HOST_FIELDS,
  hostJsonKey: 'macAddr',
  hostProtoKey: 'mac',
  media: {
    single: single('DhcpSubnet', 2),
    collection: collection('DhcpSubnet', 2),
    hostSingle: single('DhcpHost', 2),
    hostCollection: collection('DhcpHost', 2),
  },
  parseAddress: (text) => (isIPv4(text) ? [ipv4ToInt(text)] : undefined),
  hostIdentity: (raw) => parseMac(raw),
  hostSegment: (h) => String(h['mac'] ?? ''),
  pathHost: (raw) => parseMac(raw.replace(/-/g, ':')),
  duplicateHost: (s, bridgeId, host) => message('SubnetHasHost', cidr(s), bridgeId, String(host['mac'] ?? '')),
  duplicateSubnets: 'reject',
  hostMiss: 'message',
};

const V6: Flavor = {
  clazz: 'DhcpV6',
  bridgeField: 'dhcpv6_ids',
  segment: 'dhcpV6',
  hostsSegment: 'hostsV6',
  subnetFields: V6_SUBNET_FIELDS,
  hostFields: V6_HOST_FIELDS,
  hostJsonKey: 'clientId',
  hostProtoKey: 'client_id',
  media: {
    single: single('DhcpV6Subnet', 1),
    collection: collection('DhcpV6Subnet', 1),
    hostSingle: single('DhcpV6Host', 1),
    hostCollection: collection('DhcpV6Host', 1),
  },
  parseAddress: (text) => parseIPv6(text),
  hostIdentity: (raw) => raw,
  hostSegment: (h) => String(h['client_id'] ?? '').replace(/:/g, '-'),
  pathHost: (raw) => raw.replace(/-/g, ':'),
  duplicateHost: (s, bridgeId, host) => message('SubnetHasHost', cidr(s), bridgeId, String(host['client_id'] ?? '')),
  duplicateSubnets: 'allow',
  hostMiss: 'empty',
};

// ---- subnets ---------------------------------------------------------------------------------

function stored(m: Msg): { address: string; length: number } {
  const s = (m['subnet_address'] as Msg | undefined) ?? {};
  return { address: String(s['address'] ?? ''), length: Number(s['prefix_length'] ?? 0) };
}

/** `10.0.0.0_24`: the subnet's URI key. */
function subnetKey(m: Msg): string {
  const s = stored(m);
  return `${s.address}_${s.length}`;
}

/** `10.0.0.0/24`: the subnet as the original's messages print it. */
function cidr(m: Msg): string {
  const s = stored(m);
  return `${s.address}/${s.length}`;
}

function subnetIdOf(f: Flavor, m: Msg): SubnetId | undefined {
  const s = stored(m);
  const address = f.parseAddress(s.address);
  return address ? { address, length: s.length } : undefined;
}

/** The `{subnet}` path segment (`{address}_{length}`); undefined when it names no subnet. */
function pathSubnet(f: Flavor, ctx: RequestContext): SubnetId | undefined {
  const raw = String(ctx.params['subnet'] ?? '');
  const at = raw.lastIndexOf('_');
  if (at < 0 || !/^\d{1,3}$/.test(raw.slice(at + 1))) return undefined;
  const address = f.parseAddress(raw.slice(0, at));
  return address ? { address, length: Number(raw.slice(at + 1)) } : undefined;
}

const sameSubnet = (a: SubnetId | undefined, b: SubnetId | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.address.length === b.address.length && a.address.every((x, i) => x === b.address[i]);

/** The `{address}/{length}` of the path, as the original prints its parsed subnet. */
function pathCidr(f: Flavor, ctx: RequestContext): string {
  const raw = String(ctx.params['subnet'] ?? '');
  const id = pathSubnet(f, ctx);
  if (!id) return raw;
  const at = raw.lastIndexOf('_');
  const text = raw.slice(0, at);
  const six = f === V6 ? parseIPv6(text) : undefined;
  return `${six ? formatIPv6(six) : text}/${id.length}`;
}

async function subnetsOf(f: Flavor, ctx: RequestContext, bridgeId: string, tx?: Transaction): Promise<Msg[]> {
  const bridge = tx ? await tx.get('Network', bridgeId) : await ctx.storage.get('Network', bridgeId);
  const ids = (bridge[f.bridgeField] as string[] | undefined) ?? [];
  return tx ? tx.getAll(f.clazz, ids) : ctx.storage.getExisting(f.clazz, ids);
}

/** The bridge's subnet named by the path, or undefined (the bridge itself must exist: 404). */
async function findSubnet(f: Flavor, ctx: RequestContext, bridgeId: string, tx?: Transaction): Promise<Msg | undefined> {
  const wanted = pathSubnet(f, ctx);
  if (!wanted) {
    // still a 404 for a missing bridge first
    await subnetsOf(f, ctx, bridgeId, tx);
    return undefined;
  }
  return (await subnetsOf(f, ctx, bridgeId, tx)).find((s) => sameSubnet(subnetIdOf(f, s), wanted));
}

function subnetUri(f: Flavor, ctx: RequestContext, bridgeId: string, m: Msg): string {
  return `${ctx.base}/bridges/${bridgeId}/${f.segment}/${subnetKey(m)}`;
}

function subnetJson(f: Flavor, ctx: RequestContext, bridgeId: string, m: Msg): Dto {
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
function parseBody(fields: FieldDef[], body: unknown, mode: Mode, extra?: (dto: Dto) => Violation[]): Dto {
  const { dto, violations } = parseInput(fields, requireObjectBody(body), mode);
  const all = [...violations, ...(extra?.(dto) ?? [])];
  if (all.length > 0) throw validationError(all);
  return dto;
}

const subnetExtraChecks = (f: Flavor) => (f === V4 ? opt121Violations : undefined);

function subnetRoutes(f: Flavor): RouteDef[] {
  const base = `/bridges/:id/${f.segment}`;
  return [
    {
      method: 'POST',
      path: base,
      regime: 'G',
      consumes: [f.media.single, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const dto = parseBody(f.subnetFields, ctx.body, 'create', subnetExtraChecks(f));
        const proto = buildProto(f.subnetFields, dto, 'create');
        proto['id'] = randomUuid();
        proto['network_id'] = bridgeId;
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
        const dto = parseBody(f.subnetFields, ctx.body, 'update', subnetExtraChecks(f));
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const current = await findSubnet(f, ctx, bridgeId, tx);
          if (!current) throw subnetNotFound(bridgeId, String(ctx.params['subnet']));
          // a full replacement of the fields; id, bridge and hosts stay. The identity follows the body.
          const next = buildProto(f.subnetFields, dto, 'update', current);
          const nextId = subnetIdOf(f, next);
          if (f.duplicateSubnets === 'reject' && !sameSubnet(subnetIdOf(f, current), nextId)) {
            const others = (await subnetsOf(f, ctx, bridgeId, tx)).filter((s) => s['id'] !== current['id']);
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
          await tx.delete(f.clazz, String(s['id']));
        });
        return { status: 204 };
      },
    },
  ];
}

// ---- hosts -----------------------------------------------------------------------------------

function hostsOf(s: Msg): Msg[] {
  return [...((s['hosts'] as Msg[] | undefined) ?? [])];
}

function hostIdentityOf(f: Flavor, h: Msg): string | undefined {
  const raw = h[f.hostProtoKey];
  return typeof raw === 'string' ? f.hostIdentity(raw) : undefined;
}

function hostJson(f: Flavor, ctx: RequestContext, bridgeId: string, s: Msg, h: Msg): Dto {
  const json: Dto = {};
  for (const field of f.hostFields) json[field.json] = readField(field, h);
  json['uri'] = `${subnetUri(f, ctx, bridgeId, s)}/${f.hostsSegment}/${f.hostSegment(h)}`;
  return json;
}

/** 404 for a host operation: [NetworkSubnetNotFound] with the subnet as `address/length`. */
function hostMiss(f: Flavor, ctx: RequestContext, bridgeId: string, style: 'message' | 'empty'): HttpError {
  return style === 'empty' ? notFound(null, true) : notFound(message('NetworkSubnetNotFound', bridgeId, pathCidr(f, ctx)));
}

/** The host named by the path, as an identity; undefined when the segment names no host. */
function pathHostIdentity(f: Flavor, ctx: RequestContext): string | undefined {
  return f.pathHost(String(ctx.params['host'] ?? ''));
}

function hostRoutes(f: Flavor): RouteDef[] {
  const base = `/bridges/:id/${f.segment}/:subnet/${f.hostsSegment}`;
  return [
    {
      method: 'POST',
      path: base,
      regime: 'E',
      consumes: [f.media.hostSingle, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const dto = parseBody(f.hostFields, ctx.body, 'create');
        const host = buildProto(f.hostFields, dto, 'create');
        const identity = hostIdentityOf(f, host);
        let location = '';
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(f, ctx, bridgeId, tx);
          if (!s) throw hostMiss(f, ctx, bridgeId, 'message');
          const list = hostsOf(s);
          if (list.some((h) => hostIdentityOf(f, h) === identity)) throw conflict(f.duplicateHost(s, bridgeId, host));
          list.push(host);
          await tx.update(f.clazz, { ...s, hosts: list });
          location = String(hostJson(f, ctx, bridgeId, s, host)['uri']);
        });
        return { status: 201, headers: { Location: location } };
      },
    },
    {
      method: 'GET',
      path: base,
      regime: 'E',
      produces: [f.media.hostCollection],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const s = await findSubnet(f, ctx, bridgeId);
        if (!s) throw hostMiss(f, ctx, bridgeId, f.hostMiss);
        return { status: 200, body: hostsOf(s).map((h) => hostJson(f, ctx, bridgeId, s, h)) };
      },
    },
    {
      method: 'GET',
      path: `${base}/:host`,
      regime: 'E',
      produces: [f.media.hostSingle, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const wanted = pathHostIdentity(f, ctx);
        const s = await findSubnet(f, ctx, bridgeId);
        const h = s && wanted !== undefined ? hostsOf(s).find((x) => hostIdentityOf(f, x) === wanted) : undefined;
        if (!s || !h) throw hostMiss(f, ctx, bridgeId, f.hostMiss);
        return { status: 200, body: hostJson(f, ctx, bridgeId, s, h) };
      },
    },
    {
      method: 'PUT',
      path: `${base}/:host`,
      regime: 'E',
      consumes: [f.media.hostSingle, JSON_TYPE],
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const wanted = pathHostIdentity(f, ctx);
        const body = { ...requireObjectBody(ctx.body) };
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(f, ctx, bridgeId, tx);
          const list = s ? hostsOf(s) : [];
          const at = wanted === undefined ? -1 : list.findIndex((x) => hostIdentityOf(f, x) === wanted);
          const current = list[at];
          if (!s || !current) throw hostMiss(f, ctx, bridgeId, 'message');
          // the path names the host: a body without its identity keeps it
          if (body[f.hostJsonKey] === undefined || body[f.hostJsonKey] === null) body[f.hostJsonKey] = current[f.hostProtoKey];
          const dto = parseBody(f.hostFields, body, 'update');
          // replaced in place, at the same position
          const next = buildProto(f.hostFields, dto, 'update', current);
          const nextIdentity = hostIdentityOf(f, next);
          if (list.some((x, i) => i !== at && hostIdentityOf(f, x) === nextIdentity)) throw conflict(f.duplicateHost(s, bridgeId, next));
          list[at] = next;
          await tx.update(f.clazz, { ...s, hosts: list });
        });
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/:host`,
      async handler(ctx): Promise<Reply> {
        const bridgeId = pathId(ctx);
        const wanted = pathHostIdentity(f, ctx);
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(f, ctx, bridgeId, tx);
          const list = s ? hostsOf(s) : [];
          const at = wanted === undefined ? -1 : list.findIndex((x) => hostIdentityOf(f, x) === wanted);
          if (!s || at < 0) throw hostMiss(f, ctx, bridgeId, 'message');
          list.splice(at, 1);
          await tx.update(f.clazz, { ...s, hosts: list });
        });
        return { status: 204 };
      },
    },
  ];
}

export const dhcpRoutes: RouteDef[] = [...subnetRoutes(V4), ...hostRoutes(V4), ...subnetRoutes(V6), ...hostRoutes(V6)];
