/**
 * Hosts (`/hosts`, rest-api-core.md §6.10–§6.13): normally registered by agents; the API reads
 * them, tunes four scheduling fields, deletes dead ones, lists their interfaces (agent-reported
 * `host` state key) and binds ports to their interfaces.
 */
import type { Host, HostState, Port } from '../../../lib/models/generated.js';
import { parseMessage } from '../../../lib/nsdb/codec/text-format.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { NsdbStorage } from '../../../lib/nsdb/storage.js';
import { mapReadError } from '../../../lib/nsdb/transaction.js';
import { badRequest, conflict, HttpError, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { formatIPv6, isIPv4, parseIPv6 } from '../machinery/addresses.js';
import { JsonMappingError, T, V, type FieldType } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import { requireObjectBody } from '../machinery/dto.js';
import type { EntriesDef, RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
import { idField, media, subLink } from './common.js';
import { removeMember } from './tunnel-zones.js';

/**
 * Whether the agent of a host holds its `alive` state key: `state/<hostId>/Host/<hostId>/alive`,
 * an ephemeral node in the host's own namespace (storage.md §8). Reads for display treat a failed
 * read as "not alive"; `strict` (used before a delete) lets the failure through instead, so a
 * host is never deleted because its liveness could not be read.
 */
export async function hostAlive(storage: NsdbStorage, hostId: string, strict = false): Promise<boolean> {
  const path = `${storage.layout.state(hostId, 'Host', hostId)}/alive`;
  try {
    return (await storage.zookeeper.exists(path)) !== null;
  } catch (e) {
    if (strict) throw mapReadError(e, `reading the alive key of host ${hostId}`);
    return false;
  }
}

/** A JSON value read outside the DTO machinery: a value of the wrong JSON type is a 400. */
function parseJson<J>(type: FieldType<J>, raw: unknown, field: string): J | null {
  try {
    return type.parse(raw, field);
  } catch (e) {
    if (e instanceof JsonMappingError) throw badRequest(e.message);
    throw e;
  }
}

/** Agent-reported addresses in the original's form (java.net.InetAddress: IPv6 long form). */
function showAddress(a: unknown): string {
  const text = String(a);
  if (isIPv4(text)) return text;
  const six = parseIPv6(text);
  return six ? formatIPv6(six) : text;
}

const IF_TYPES: Record<string, string> = { PHYSICAL: 'Physical', VIRTUAL: 'Virtual', TUNNEL: 'Tunnel', UNKNOWN: 'Unknown' };
const ENDPOINTS: Record<string, string> = {
  DATAPATH_EP: 'DATAPATH',
  PHYSICAL_EP: 'PHYSICAL',
  VM_EP: 'VM',
  GRE_EP: 'GRE',
  CAPWAP_EP: 'CAPWAP',
  LOCALHOST_EP: 'LOCALHOST',
  TUNTAP_EP: 'TUNTAP',
  UNKNOWN_EP: 'UNKNOWN',
};
const PORT_TYPES: Record<string, string> = {
  NET_DEV_DP: 'NetDev',
  INTERNAL_DP: 'Internal',
  GRE_DP: 'Gre',
  VXLAN_DP: 'VXLan',
  GRE64_DP: 'Gre64',
  LISP_DP: 'Lisp',
};

/** An interface of a host as the API shows it. */
interface InterfaceJson {
  hostId: string;
  name: string;
  mac: string | null;
  mtu: number;
  type: string;
  endpoint: string;
  portType: string | null;
  addresses: string[];
  status: number;
  uri: string;
}

/** The interfaces an agent reported in the host's `host` state key (HostState text format). */
export async function interfaces(ctx: RequestContext, hostId: string): Promise<InterfaceJson[]> {
  const path = `${ctx.storage.layout.state(hostId, 'Host', hostId)}/host`;
  let state: HostState;
  try {
    const { data } = await ctx.storage.zookeeper.getData(path);
    state = parseMessage('HostState', data.toString('utf8'), { allowUnknownFields: false });
  } catch {
    return []; // no agent, or nothing readable: the original shows an empty list
  }
  return (state.interfaces ?? []).map((i) => {
    const name = i.name ?? '';
    return {
      hostId,
      name,
      mac: i.mac ?? null,
      mtu: i.mtu ?? 0,
      type: IF_TYPES[i.type ?? 'PHYSICAL'] ?? 'Unknown',
      endpoint: ENDPOINTS[i.endpoint ?? 'DATAPATH_EP'] ?? 'UNKNOWN',
      portType: i.port_type !== undefined ? (PORT_TYPES[i.port_type] ?? null) : null,
      addresses: (i.addresses ?? []).map((a) => showAddress(a.address)),
      status: (i.up === true ? 1 : 0) | (i.has_link === true ? 2 : 0),
      uri: `${ctx.base}/hosts/${hostId}/interfaces/${encodeURIComponent(name)}`,
    };
  });
}

/**
 * `hostInterfaces` is output only, but a client may send a host it read back (py client, Java
 * DTOs): any array of objects is accepted and ignored, as the original's mapper reads them.
 */
const INTERFACE_LIST: FieldType<unknown[]> = {
  name: 'Interface[]',
  empty: [],
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (!Array.isArray(raw) || raw.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) {
      throw new JsonMappingError(`Invalid value for field '${field}': expected an array of interfaces`);
    }
    return raw as unknown[];
  },
  toProto: () => undefined,
  fromProto: () => [],
};

export const hosts: ResourceDef<'Host'> = {
  name: 'host',
  clazz: 'Host',
  segment: 'hosts',
  media: media('Host', [3]),
  fields: [
    // The original never generates host ids: agents own them.
    { ...idField, required: true },
    { json: 'name', type: T.string, access: 'create', proto: 'name' },
    { json: 'addresses', type: T.stringList, access: 'ro', read: () => [] },
    { json: 'hostInterfaces', type: INTERFACE_LIST, access: 'ro', read: () => [] },
    { json: 'alive', type: T.bool, access: 'ro', read: () => false },
    { json: 'floodingProxyWeight', type: T.int32, access: 'create', proto: 'flooding_proxy_weight', default: 1, validators: [V.range(0, 65535)] },
    { json: 'containerWeight', type: T.int32, access: 'create', proto: 'container_weight', default: 1, validators: [V.min(0)] },
    { json: 'containerLimit', type: T.int32, access: 'create', proto: 'container_limit', default: -1, validators: [V.min(-1)] },
    { json: 'enforceContainerLimit', type: T.boxedBool, access: 'create', proto: 'enforce_container_limit', default: false },
  ],
  links: [subLink('interfaces', 'interfaces'), subLink('ports', 'ports')],
  create: {},
  update: false, // PUT has its own rules (below)
  delete: false, // so does DELETE
  hooks: {
    async decorate(json, proto, ctx) {
      const id = String(proto.id);
      const [alive, ifs] = await Promise.all([hostAlive(ctx.storage, id), interfaces(ctx, id)]);
      json['alive'] = alive;
      json['hostInterfaces'] = ifs;
      json['addresses'] = ifs.flatMap((i) => i.addresses);
    },
  },
};

/** A scheduling field of PUT /hosts/{id}: parses its JSON, and sets what it parsed on the host. */
interface Tunable {
  nullKey: Parameters<typeof message>[0];
  /** null: the body's value is null or missing */
  parse(body: Record<string, unknown>): ((host: Host) => void) | null;
}

function tunable<J>(json: string, type: FieldType<J>, nullKey: Tunable['nullKey'], set: (host: Host, v: J) => void): Tunable {
  return {
    nullKey,
    parse(body) {
      const v = parseJson(type, body[json], json);
      return v === null ? null : (host) => set(host, v);
    },
  };
}

const TUNABLES: Tunable[] = [
  tunable('floodingProxyWeight', T.int32, 'HostFloodingProxyWeightIsNull', (h, v) => (h.flooding_proxy_weight = v)),
  tunable('containerWeight', T.int32, 'HostContainerWeightIsNull', (h, v) => (h.container_weight = v)),
  tunable('containerLimit', T.int32, 'HostContainerLimitIsNull', (h, v) => (h.container_limit = v)),
  tunable('enforceContainerLimit', T.boxedBool, 'HostEnforceContainerLimitIsNull', (h, v) => (h.enforce_container_limit = v)),
];

const BINDING = single('HostInterfacePort', 1);

/** A port bound to an interface of a host, as the host's path names it. */
interface BoundPort {
  hostId: string;
  port: Port;
}

/** A HostInterfacePort body. */
interface BindingInput {
  portId: string;
  interfaceName: string;
}

/**
 * Ports bound to interfaces of a host (`/hosts/{id}/ports`): the port's `host_id` and
 * `interface_name`, the binding to Host.port_ids listing them on the host. The checks are the
 * original's, in its order. A linked port may be bound as well: v5 enforces no exclusivity
 * between a peer and a binding (rest-api-core.md §6.3).
 */
export const hostInterfacePorts: EntriesDef<BoundPort, BindingInput> = {
  name: 'host interface port',
  parent: 'Host',
  path: '/hosts/:id/ports',
  itemPath: '/hosts/:id/ports/:portId',
  // a GET of one binding answers its type whatever Accept says (the original declares none)
  media: { collection: [collection('HostInterfacePort', 1)], singleFixed: BINDING, consumes: [BINDING, JSON_TYPE] },
  pathKey: (ctx) => pathId(ctx, 'portId'),
  parse(_ctx, body) {
    const portId = parseJson(T.uuid, body['portId'], 'portId');
    const interfaceName = parseJson(T.string, body['interfaceName'], 'interfaceName');
    const violations: Violation[] = [];
    if (portId === null) violations.push({ property: 'portId', message: message('NonNull') });
    if (interfaceName === null) violations.push({ property: 'interfaceName', message: message('NonNull') });
    else if (interfaceName === '') violations.push({ property: 'interfaceName', message: 'may not be empty' });
    if (violations.length > 0 || portId === null || interfaceName === null) throw validationError(violations);
    return { portId, interfaceName };
  },
  store: {
    async list(ctx) {
      const hostId = pathId(ctx);
      const host = await ctx.storage.get('Host', hostId);
      return (await ctx.storage.getExisting('Port', host.port_ids ?? [])).map((port) => ({ hostId, port }));
    },
    // through the port: a missing port is a 404 of its own, another host's binding is no entry here
    async find(ctx, portId) {
      const hostId = pathId(ctx);
      const port = await ctx.storage.get('Port', String(portId));
      return port.host_id === hostId ? { hostId, port } : undefined;
    },
    async add(tx, ctx, { portId, interfaceName }) {
      const hostId = pathId(ctx);
      const host = await tx.get('Host', hostId);
      if ((host.tunnel_zone_ids ?? []).length === 0) throw conflict(message('HostIsNotInAnyTunnelZone'));
      const port = await tx.get('Port', portId);
      if (port.interface_name !== undefined) throw conflict(message('PortAlreadyBound', portId));
      const others = await tx.getAll(
        'Port',
        (host.port_ids ?? []).filter((p) => p !== portId),
      );
      if (others.some((p) => p.interface_name === interfaceName)) throw conflict(message('HostInterfaceIsAlreadyUsed', interfaceName));
      port.host_id = hostId;
      port.interface_name = interfaceName;
      await tx.update('Port', port);
      return { hostId, port };
    },
    // the host in the path is not checked (as the original): the port's binding goes, if it has one
    async remove(tx, _ctx, portId) {
      const port = await tx.get('Port', String(portId));
      if (port.host_id === undefined && port.interface_name === undefined) return true;
      delete port.host_id;
      delete port.interface_name;
      await tx.update('Port', port);
      return true;
    },
  },
  render(ctx, { hostId, port }) {
    const portId = String(port.id);
    return {
      hostId,
      portId,
      interfaceName: port.interface_name ?? null,
      uri: `${ctx.base}/hosts/${hostId}/ports/${portId}`,
      host: `${ctx.base}/hosts/${hostId}`,
      port: `${ctx.base}/ports/${portId}`,
    };
  },
  missing: { get: () => notFound('Host interface port not found') },
};

export const hostRoutes: RouteDef[] = [
  {
    // Only the four scheduling fields change, and all four must be given; 200 as in the original.
    // Order of the checks as there: the body's JSON types (mapping), the host (404), then the
    // first null field (400). No range validation on PUT (rest-api-core.md §6.10).
    method: 'PUT',
    path: '/hosts/:id',
    regime: 'E',
    consumes: media('Host', [3]).single,
    async handler(ctx) {
      const id = pathId(ctx);
      const body = requireObjectBody(ctx.body);
      const setters = TUNABLES.map((t) => t.parse(body));
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        const host = await tx.get('Host', id);
        TUNABLES.forEach((t, i) => {
          const set = setters[i];
          if (!set) throw badRequest(message(t.nullKey));
          set(host);
        });
        await tx.update('Host', host);
      });
      return { status: 200 };
    },
  },
  {
    method: 'DELETE',
    path: '/hosts/:id',
    async handler(ctx) {
      const id = pathId(ctx);
      if (await hostAlive(ctx.storage, id, true)) throw new HttpError(403, message('HostDeletionNotAllowedActive', id));
      await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
        const host = await tx.get('Host', id);
        const bound = host.port_ids ?? [];
        if (bound.length > 0) throw new HttpError(403, message('HostDeletionNotAllowedBindings', id, bound.length));
        for (const zoneId of host.tunnel_zone_ids ?? []) {
          const zone = await tx.getOrNull('TunnelZone', zoneId);
          if (zone) await removeMember(tx, zone, id);
        }
        await tx.delete('Host', id);
      });
      return { status: 200 };
    },
  },
  {
    method: 'GET',
    path: '/hosts/:id/interfaces',
    regime: 'E',
    produces: [collection('Interface', 1), JSON_TYPE],
    async handler(ctx) {
      const id = pathId(ctx);
      await ctx.storage.get('Host', id);
      return { status: 200, body: await interfaces(ctx, id) };
    },
  },
  {
    method: 'GET',
    path: '/hosts/:id/interfaces/:name',
    regime: 'E',
    produces: [single('Interface', 1), JSON_TYPE],
    async handler(ctx) {
      const id = pathId(ctx);
      await ctx.storage.get('Host', id);
      const hit = (await interfaces(ctx, id)).find((i) => i['name'] === ctx.params['name']);
      if (!hit) throw notFound(`Host ${id} has no interface named ${String(ctx.params['name'])}.`);
      return { status: 200, body: hit };
    },
  },
];
