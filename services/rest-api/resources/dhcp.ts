/**
 * DHCP subnets of a bridge, v4 (`/bridges/{id}/dhcp`, §6.14) and v6 (`/bridges/{id}/dhcpV6`,
 * §6.15), and their hosts. A subnet is a `Dhcp`/`DhcpV6` object bound to the bridge and named in
 * URIs by its `prefix_length` key; hosts are entries of the subnet object.
 */
import type { FieldValue, Msg } from '../../../lib/models/types.js';
import { randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { conflict, HttpError, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { formatIPv6, isIPv4, isMac, parseIPv6 } from '../machinery/addresses.js';
import { JsonMappingError, T, V, type FieldType } from '../machinery/field-types.js';
import { buildProto, parseInput, readField, requireObjectBody } from '../machinery/dto.js';
import { pathId } from '../machinery/handlers.js';
import type { FieldDef, RequestContext, RouteDef } from '../machinery/types.js';
import { subnetPair } from './common.js';

interface Flavor {
  clazz: 'Dhcp' | 'DhcpV6';
  segment: 'dhcp' | 'dhcpV6';
  hostsSegment: 'hosts' | 'hostsV6';
  subnetFields: FieldDef[];
  hostFields: FieldDef[];
  single: string;
  collection: string;
  hostSingle: string;
  hostCollection: string;
  /** the subnet's identity in URIs, from its stored form */
  key(m: Msg): string;
  /** a host's identity in URIs and comparisons */
  hostKey(h: Msg): string;
  parseHostKey(raw: string): string;
  duplicateSubnets: boolean;
}

const ipv4Address = (json: string, proto: string): FieldDef => ({
  json,
  type: T.string,
  access: 'rw',
  validators: [V.ipv4()],
  owns: [proto],
  read: (p) => ((p[proto] as Msg | undefined)?.['address'] as string | undefined) ?? null,
  write: (v, p) => {
    if (typeof v === 'string') p[proto] = { version: 'V4', address: v };
  },
});

interface Opt121 {
  destinationPrefix: string | null;
  destinationLength: number;
  gatewayAddr: string | null;
}

const opt121: FieldType<Opt121[]> = {
  name: 'opt121Routes',
  empty: [],
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (!Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected an array`);
    return raw.map((r) => {
      const o = (r ?? {}) as Record<string, unknown>;
      return {
        destinationPrefix: T.string.parse(o['destinationPrefix'], 'destinationPrefix'),
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
      const dst = (r['dst_subnet'] as Msg | undefined) ?? {};
      return {
        destinationPrefix: (dst['address'] as string | undefined) ?? null,
        destinationLength: Number(dst['prefix_length'] ?? 0),
        gatewayAddr: ((r['gateway'] as Msg | undefined)?.['address'] as string | undefined) ?? null,
      };
    });
  },
};

const opt121Valid = (v: unknown): string | undefined =>
  (v as Opt121[]).every((r) => r.destinationPrefix !== null && isIPv4(r.destinationPrefix) && r.gatewayAddr !== null && isIPv4(r.gatewayAddr) && r.destinationLength >= 0 && r.destinationLength <= 32)
    ? undefined
    : message('IpAddrInvalid');

const V4: Flavor = {
  clazz: 'Dhcp',
  segment: 'dhcp',
  hostsSegment: 'hosts',
  subnetFields: [
    ...subnetPair('subnetPrefix', 'subnetLength', 'subnet_address', { access: 'rw', required: true }),
    ipv4Address('defaultGateway', 'default_gateway'),
    ipv4Address('serverAddr', 'server_address'),
    {
      json: 'dnsServerAddrs',
      type: T.stringList,
      access: 'rw',
      validators: [(v) => ((v as string[]).every(isIPv4) ? undefined : message('IpAddrInvalid'))],
      owns: ['dns_server_address'],
      read: (p) => {
        const list = (p['dns_server_address'] as Msg[] | undefined) ?? [];
        return list.length === 0 ? null : list.map((a) => String(a['address']));
      },
      write: (v, p) => {
        const list = (v as string[] | null) ?? [];
        if (list.length > 0) p['dns_server_address'] = list.map((a) => ({ version: 'V4', address: a }));
      },
    },
    { json: 'interfaceMTU', type: T.int32, access: 'rw', proto: 'interface_mtu', validators: [V.range(0, 65536)] },
    { json: 'opt121Routes', type: opt121, access: 'rw', proto: 'opt121_routes', validators: [opt121Valid] },
    { json: 'enabled', type: T.bool, access: 'rw', proto: 'enabled', default: true },
  ],
  hostFields: [
    { json: 'macAddr', type: T.string, access: 'rw', proto: 'mac', required: true, validators: [(v) => (isMac(String(v)) ? undefined : message('MacAddressInvalid'))] },
    ipv4Address('ipAddr', 'ip_address'),
    { json: 'name', type: T.string, access: 'rw', proto: 'name' },
    {
      json: 'extraDhcpOpts',
      type: T.list({
        name: 'extraDhcpOpt',
        empty: null,
        parse: (raw, field) => {
          if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}'`);
          const o = raw as Record<string, unknown>;
          return { optName: T.string.parse(o['optName'], 'optName'), optValue: T.string.parse(o['optValue'], 'optValue') };
        },
        toProto: (o) => ({ name: o.optName ?? '', value: o.optValue ?? '' }),
        fromProto: (v) => {
          const m = v as Msg | undefined;
          return m ? { optName: (m['name'] as string | undefined) ?? null, optValue: (m['value'] as string | undefined) ?? null } : null;
        },
      }),
      access: 'rw',
      proto: 'extra_dhcp_opts',
    },
  ],
  single: single('DhcpSubnet', 2),
  collection: collection('DhcpSubnet', 2),
  hostSingle: single('DhcpHost', 2),
  hostCollection: collection('DhcpHost', 2),
  key: (m) => {
    const s = (m['subnet_address'] as Msg | undefined) ?? {};
    return `${String(s['address'])}_${Number(s['prefix_length'] ?? 0)}`;
  },
  hostKey: (h) => String(h['mac'] ?? '').toLowerCase(),
  parseHostKey: (raw) => raw.replace(/-/g, ':').toLowerCase(),
  duplicateSubnets: false,
};

const IPV6_FULL = /^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4})$/;

const V6: Flavor = {
  clazz: 'DhcpV6',
  segment: 'dhcpV6',
  hostsSegment: 'hostsV6',
  subnetFields: [
    {
      json: 'prefix',
      type: T.string,
      access: 'rw',
      required: true,
      validators: [V.pattern(IPV6_FULL, 'must be an IPv6 address in its full 8-group form')],
      owns: ['subnet_address'],
      read: (p) => ((p['subnet_address'] as Msg | undefined)?.['address'] as string | undefined) ?? null,
      write: (v, p, dto) => {
        if (typeof v !== 'string') return;
        const six = parseIPv6(v);
        p['subnet_address'] = { version: 'V6', address: six ? formatIPv6(six) : v, prefix_length: Number(dto['prefixLength'] ?? 0) };
      },
    },
    {
      json: 'prefixLength',
      type: T.int32,
      access: 'rw',
      default: 0,
      validators: [V.range(0, 128)],
      owns: [],
      read: (p) => Number((p['subnet_address'] as Msg | undefined)?.['prefix_length'] ?? 0),
      write: () => undefined,
    },
  ],
  hostFields: [
    { json: 'clientId', type: T.string, access: 'rw', proto: 'client_id', required: true },
    {
      json: 'fixedAddress',
      type: T.string,
      access: 'rw',
      validators: [(v) => (parseIPv6(String(v)) ? undefined : message('IpAddrInvalid'))],
      owns: ['ip_address'],
      read: (p) => ((p['ip_address'] as Msg | undefined)?.['address'] as string | undefined) ?? null,
      write: (v, p) => {
        if (typeof v === 'string') p['ip_address'] = { version: 'V6', address: v };
      },
    },
    { json: 'name', type: T.string, access: 'rw', proto: 'name' },
  ],
  single: single('DhcpV6Subnet', 1),
  collection: collection('DhcpV6Subnet', 1),
  hostSingle: single('DhcpV6Host', 1),
  hostCollection: collection('DhcpV6Host', 1),
  key: (m) => {
    const s = (m['subnet_address'] as Msg | undefined) ?? {};
    return `${String(s['address'])}_${Number(s['prefix_length'] ?? 0)}`;
  },
  hostKey: (h) => String(h['client_id'] ?? ''),
  parseHostKey: (raw) => raw.replace(/-/g, ':'),
  duplicateSubnets: true,
};

function subnetUri(ctx: RequestContext, f: Flavor, bridgeId: string, m: Msg): string {
  return `${ctx.base}/bridges/${bridgeId}/${f.segment}/${f.key(m)}`;
}

function subnetJson(ctx: RequestContext, f: Flavor, bridgeId: string, m: Msg): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const field of f.subnetFields) json[field.json] = readField(field, m);
  json['uri'] = subnetUri(ctx, f, bridgeId, m);
  json['hosts'] = `${json['uri']}/${f.hostsSegment}`;
  return json;
}

function hostJson(ctx: RequestContext, f: Flavor, bridgeId: string, subnet: Msg, h: Msg): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const field of f.hostFields) json[field.json] = readField(field, h);
  const key = f === V6 ? f.hostKey(h).replace(/:/g, '-') : f.hostKey(h);
  json['uri'] = `${subnetUri(ctx, f, bridgeId, subnet)}/${f.hostsSegment}/${key}`;
  return json;
}

/** The canonical key of a `{prefix}_{len}` path segment (IPv6 prefixes may be spelled differently). */
function normalizeKey(f: Flavor, raw: string): string {
  const at = raw.lastIndexOf('_');
  if (at < 0) return raw;
  const addr = raw.slice(0, at);
  if (f === V6) {
    const six = parseIPv6(addr);
    return six ? `${formatIPv6(six)}_${raw.slice(at + 1)}` : raw;
  }
  return raw;
}

async function subnets(ctx: RequestContext, f: Flavor, bridgeId: string, tx?: Transaction): Promise<Msg[]> {
  const field = f === V4 ? 'dhcp_ids' : 'dhcpv6_ids';
  const bridge = tx ? await tx.get('Network', bridgeId) : await ctx.storage.get('Network', bridgeId);
  const ids = (bridge[field] as string[] | undefined) ?? [];
  return tx ? tx.getAll(f.clazz, ids) : ctx.storage.getExisting(f.clazz, ids);
}

function subnetMissing(ctx: RequestContext, bridgeId: string): HttpError {
  return notFound(message('NetworkSubnetNotFound', bridgeId, String(ctx.params['subnet'])));
}

async function findSubnet(ctx: RequestContext, f: Flavor, bridgeId: string, tx?: Transaction): Promise<Msg | undefined> {
  const key = normalizeKey(f, String(ctx.params['subnet']));
  return (await subnets(ctx, f, bridgeId, tx)).find((s) => f.key(s) === key);
}

function parseBody(fields: FieldDef[], body: unknown): { dto: Record<string, unknown>; violations: Violation[] } {
  return parseInput(fields, requireObjectBody(body), 'update');
}

function routesFor(f: Flavor): RouteDef[] {
  const base = `/bridges/:id/${f.segment}`;
  const hostsBase = `${base}/:subnet/${f.hostsSegment}`;
  return [
    {
      method: 'POST',
      path: base,
      regime: 'G',
      consumes: [f.single, JSON_TYPE],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const { dto, violations } = parseBody(f.subnetFields, ctx.body);
        if (violations.length > 0) throw validationError(violations);
        const proto = buildProto(f.subnetFields, dto, 'create');
        proto['id'] = randomUuid();
        proto['network_id'] = bridgeId;
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const existing = await subnets(ctx, f, bridgeId, tx);
          if (!f.duplicateSubnets && existing.some((s) => f.key(s) === f.key(proto))) {
            throw conflict(`The bridge ${bridgeId} already has a DHCP subnet ${f.key(proto)}.`);
          }
          await tx.create(f.clazz, { ...proto });
        });
        return { status: 201, headers: { Location: subnetUri(ctx, f, bridgeId, proto) } };
      },
    },
    {
      method: 'GET',
      path: base,
      regime: 'E',
      produces: [f.collection],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        return { status: 200, body: (await subnets(ctx, f, bridgeId)).map((s) => subnetJson(ctx, f, bridgeId, s)) };
      },
    },
    {
      method: 'GET',
      path: `${base}/:subnet`,
      regime: 'E',
      produces: [f.single, JSON_TYPE],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const s = await findSubnet(ctx, f, bridgeId);
        if (!s) throw notFound(null, true);
        return { status: 200, body: subnetJson(ctx, f, bridgeId, s) };
      },
    },
    {
      method: 'PUT',
      path: `${base}/:subnet`,
      regime: 'E',
      consumes: [f.single, JSON_TYPE],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const { dto, violations } = parseBody(f.subnetFields, ctx.body);
        if (violations.length > 0) throw validationError(violations);
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(ctx, f, bridgeId, tx);
          if (!s) throw subnetMissing(ctx, bridgeId);
          await tx.update(f.clazz, buildProto(f.subnetFields, dto, 'update', s));
        });
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/:subnet`,
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(ctx, f, bridgeId, tx);
          if (!s) throw subnetMissing(ctx, bridgeId);
          await tx.delete(f.clazz, String(s['id']));
        });
        return { status: 204 };
      },
    },
    // ---- hosts ----
    {
      method: 'POST',
      path: hostsBase,
      regime: 'E',
      consumes: [f.hostSingle, JSON_TYPE],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const { dto, violations } = parseBody(f.hostFields, ctx.body);
        if (violations.length > 0) throw validationError(violations);
        const host = buildProto(f.hostFields, dto, 'create');
        let location = '';
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(ctx, f, bridgeId, tx);
          if (!s) throw subnetMissing(ctx, bridgeId);
          const list = (s['hosts'] as Msg[] | undefined) ?? [];
          if (list.some((h) => f.hostKey(h) === f.hostKey(host))) {
            throw conflict(f === V4 ? message('SubnetHasHost', f.key(s), bridgeId, f.hostKey(host)) : `A host with client id ${f.hostKey(host)} already exists.`);
          }
          s['hosts'] = [...list, host];
          await tx.update(f.clazz, s);
          location = String(hostJson(ctx, f, bridgeId, s, host)['uri']);
        });
        return { status: 201, headers: { Location: location } };
      },
    },
    {
      method: 'GET',
      path: hostsBase,
      regime: 'E',
      produces: [f.hostCollection],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const s = await findSubnet(ctx, f, bridgeId);
        if (!s) throw f === V6 ? notFound(null, true) : subnetMissing(ctx, bridgeId);
        return { status: 200, body: ((s['hosts'] as Msg[] | undefined) ?? []).map((h) => hostJson(ctx, f, bridgeId, s, h)) };
      },
    },
    {
      method: 'GET',
      path: `${hostsBase}/:host`,
      regime: 'E',
      produces: [f.hostSingle, JSON_TYPE],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const s = await findSubnet(ctx, f, bridgeId);
        const key = f.parseHostKey(String(ctx.params['host']));
        const h = ((s?.['hosts'] as Msg[] | undefined) ?? []).find((x) => f.hostKey(x) === key);
        if (!s || !h) throw subnetMissing(ctx, bridgeId);
        return { status: 200, body: hostJson(ctx, f, bridgeId, s, h) };
      },
    },
    {
      method: 'PUT',
      path: `${hostsBase}/:host`,
      regime: 'E',
      consumes: [f.hostSingle, JSON_TYPE],
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const key = f.parseHostKey(String(ctx.params['host']));
        const { dto, violations } = parseBody(f.hostFields, ctx.body);
        if (violations.length > 0) throw validationError(violations);
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(ctx, f, bridgeId, tx);
          const list = (s?.['hosts'] as Msg[] | undefined) ?? [];
          const at = list.findIndex((x) => f.hostKey(x) === key);
          if (!s || at < 0) throw subnetMissing(ctx, bridgeId);
          const next = buildProto(f.hostFields, dto, 'update', list[at]);
          if (f.hostKey(next) !== key && list.some((x, i) => i !== at && f.hostKey(x) === f.hostKey(next))) {
            throw conflict(`Another host of this subnet already uses ${f.hostKey(next)}.`);
          }
          list[at] = next;
          s['hosts'] = list;
          await tx.update(f.clazz, s);
        });
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: `${hostsBase}/:host`,
      async handler(ctx) {
        const bridgeId = pathId(ctx);
        const key = f.parseHostKey(String(ctx.params['host']));
        await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
          const s = await findSubnet(ctx, f, bridgeId, tx);
          const list = (s?.['hosts'] as Msg[] | undefined) ?? [];
          if (!s || !list.some((x) => f.hostKey(x) === key)) throw subnetMissing(ctx, bridgeId);
          s['hosts'] = list.filter((x) => f.hostKey(x) !== key);
          await tx.update(f.clazz, s);
        });
        return { status: 204 };
      },
    },
  ];
}

export const dhcpRoutes: RouteDef[] = [...routesFor(V4), ...routesFor(V6)];

