/**
 * Ports (`/ports`, `/bridges/{id}/ports`, `/routers/{id}/ports`; rest-api-core.md §6.3):
 * one stored class, three variants told apart by which device field is set.
 */
import type { Port, Route } from '../../../lib/models/generated.js';
import { randomUuid } from '../../../lib/nsdb/codec/uuid.js';
import { stateValue } from '../../../lib/nsdb/state-keys.js';
import { message } from '../../../lib/http/messages.js';
import { HttpError } from '../../../lib/http/errors.js';
import { T, V } from '../machinery/field-types.js';
import { isIPv4, isMac, maskIpv4, parseCidr, randomRouterPortMac } from '../machinery/addresses.js';
import type { Dto, FieldDef, ResourceDef, VariantDef } from '../machinery/types.js';
import { filterFields, filterLinks, idField, media, refLink, ro, rw, subLink } from './common.js';

const OVERLAY_TUNNEL_KEY = { name: 'overlay_tunnel_key', seed: 1 };

/**
 * Tunnel keys a node reserves with one write to the sequence: a port creation then usually
 * makes no ZooKeeper write but its commit, at the price of at most 15 unused keys per node
 * restart (docs/decisions/0009).
 */
export const TUNNEL_KEY_BLOCK = 16;

function deviceId(p: Port): string | null {
  return p.network_id ?? p.router_id ?? null;
}

const commonFields: FieldDef<Port>[] = [
  idField,
  { json: 'deviceId', type: T.uuid, access: 'ro', read: deviceId },
  rw('adminStateUp', T.bool, 'admin_state_up', { default: true }),
  ...filterFields,
  ro('tunnelKey', T.uint64, 'tunnel_key', { default: 0 }),
  rw('vifId', T.uuid, 'vif_id'),
  ro('hostId', T.uuid, 'host_id'),
  ro('interfaceName', T.string, 'interface_name'),
  ro('peerId', T.uuid, 'peer_id'),
  rw('inboundMirrorIds', T.uuidList, 'inbound_mirror_ids'),
  rw('outboundMirrorIds', T.uuidList, 'outbound_mirror_ids'),
  rw('postInFilterMirrorIds', T.uuidList, 'post_in_filter_mirror_ids'),
  rw('preOutFilterMirrorIds', T.uuidList, 'pre_out_filter_mirror_ids'),
  ro('insertionIds', T.uuidList, 'insertion_ids'),
  rw('qosPolicyId', T.uuid, 'qos_policy_id'),
  { json: 'active', type: T.bool, access: 'ro', read: () => false },
];

const bridgeVariant: VariantDef<Port> = {
  inputNames: ['Bridge', 'ExteriorBridge', 'InteriorBridge'],
  outputName: 'Bridge',
  matches: (p) => p.vtep_id === undefined && p.network_id !== undefined,
  fields: [rw('vlanId', T.uint32, 'vlan_id', { default: 0, validators: [V.range(0, 65535)] })],
};

/** `portSubnet` entries as stored (`IPSubnet` messages) in their CIDR text form. */
function subnets(p: Port): { version: string; address: string; prefix: number }[] {
  return (p.port_subnet ?? []).map((s) => ({
    version: String(s.version),
    address: s.address ?? '',
    prefix: s.prefix_length ?? 0,
  }));
}

function firstV4(p: Port) {
  return subnets(p).find((s) => s.version === 'V4');
}

/**
 * Router port addresses: `portSubnet` wins; otherwise the legacy `portAddress`/`networkLength`
 * pair makes one entry (host bits kept, as the original does).
 */
function writeAddresses(value: unknown, proto: Port, dto: Dto): void {
  const given = Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string') : [];
  let cidrs = given.map((c) => parseCidr(c)).filter((c) => c !== undefined);
  if (cidrs.length === 0 && typeof dto['portAddress'] === 'string' && dto['portAddress'] !== '') {
    const legacy = parseCidr(`${dto['portAddress']}/${Number(dto['networkLength'] ?? 0)}`);
    cidrs = legacy ? [legacy] : [];
  }
  if (cidrs.length > 0) {
    proto.port_subnet = cidrs.map((c) => ({ version: c.version, address: c.address, prefix_length: c.prefix }));
  }
  const v4 = cidrs.find((c) => c.version === 'V4');
  if (v4) proto.port_address = { version: 'V4', address: v4.address };
}

const routerVariant: VariantDef<Port> = {
  inputNames: ['Router', 'ExteriorRouter', 'InteriorRouter'],
  outputName: 'Router',
  matches: (p) => p.vtep_id === undefined && p.network_id === undefined && p.router_id !== undefined,
  fields: [
    {
      json: 'portSubnet',
      type: T.stringList,
      access: 'rw',
      owns: ['port_subnet', 'port_address'],
      validators: [(v) => ((v as string[]).every((c) => parseCidr(c) !== undefined) ? undefined : 'is not a valid CIDR')],
      read: (p) => subnets(p).map((s) => `${s.address}/${s.prefix}`),
      write: writeAddresses,
    },
    {
      json: 'portAddress',
      type: T.string,
      access: 'rw',
      validators: [V.ipv4()],
      read: (p) => firstV4(p)?.address ?? null,
      write: () => undefined,
    },
    {
      json: 'networkAddress',
      type: T.string,
      access: 'rw',
      validators: [V.ipv4()],
      read: (p) => {
        const s = firstV4(p);
        return s && isIPv4(s.address) ? maskIpv4(s.address, s.prefix) : null;
      },
      write: () => undefined,
    },
    {
      json: 'networkLength',
      type: T.int32,
      access: 'rw',
      validators: [V.range(0, 32)],
      read: (p) => firstV4(p)?.prefix ?? 0,
      write: () => undefined,
    },
    {
      // A PUT without portMac keeps the MAC: agents key flows on it (docs/decisions).
      json: 'portMac',
      type: T.string,
      access: 'rw',
      owns: [],
      validators: [(v) => (isMac(v as string) ? undefined : message('MacAddressInvalid'))],
      read: (p) => p.port_mac ?? null,
      write: (v, proto) => {
        if (typeof v === 'string') proto.port_mac = v.toLowerCase();
      },
    },
    rw('rtrPortVni', T.uint32, 'vni', { validators: [V.range(0, 16777215)] }),
    rw('offRampVxlan', T.boxedBool, 'off_ramp_vxlan'),
    ro('serviceContainerId', T.uuid, 'service_container_id'),
    { json: 'bgpStatus', type: T.string, access: 'ro', read: () => null },
  ],
  links: [
    { json: 'peeringTable', href: ({ base, proto }) => `${base}/routers/${String(proto.router_id)}/ports/${String(proto.id)}/peering_table` },
    refLink('serviceContainer', 'service_containers', 'service_container_id'),
  ],
};

const vxlanVariant: VariantDef<Port> = {
  inputNames: [],
  outputName: 'Vxlan',
  matches: (p) => p.vtep_id !== undefined,
  fields: [ro('vtepId', T.uuid, 'vtep_id'), { json: 'networkId', type: T.uuid, access: 'ro', proto: 'network_id' }],
};

/** Auto routes of a new router port: one Local /32 route per IPv4 address (§6.3). */
async function createLocalRoutes(proto: Port, create: (route: Route) => Promise<void>): Promise<void> {
  for (const s of subnets(proto)) {
    if (s.version !== 'V4') continue;
    await create({
      id: randomUuid(),
      src_subnet: { version: 'V4', address: '0.0.0.0', prefix_length: 0 },
      dst_subnet: { version: 'V4', address: s.address, prefix_length: 32 },
      next_hop: 'LOCAL',
      next_hop_port_id: String(proto.id),
      weight: 0,
    });
  }
}

export const ports: ResourceDef<'Port'> = {
  name: 'port',
  clazz: 'Port',
  segment: 'ports',
  media: media('Port', [3, 4]),
  discriminator: 'type',
  fields: commonFields,
  variants: [bridgeVariant, routerVariant, vxlanVariant],
  links: [
    ...filterLinks,
    {
      json: 'device',
      href: ({ base, proto }) =>
        proto.network_id !== undefined ? `${base}/bridges/${proto.network_id}` : proto.router_id !== undefined ? `${base}/routers/${proto.router_id}` : null,
    },
    refLink('host', 'hosts', 'host_id'),
    refLink('peer', 'ports', 'peer_id'),
    subLink('link', 'link'),
    subLink('portGroups', 'port_groups'),
    {
      json: 'hostInterfacePort',
      href: ({ base, proto }) => (proto.host_id !== undefined ? `${base}/hosts/${proto.host_id}/ports/${String(proto.id)}` : null),
    },
  ],
  create: false,
  update: {},
  delete: { missing: 404 },
  parents: [
    {
      segment: 'bridges',
      clazz: 'Network',
      childIds: 'port_ids',
      parentRef: 'network_id',
      variants: ['Bridge'],
      wrongVariantMessage: 'Not a bridge port.',
    },
    {
      segment: 'routers',
      clazz: 'Router',
      childIds: 'port_ids',
      parentRef: 'router_id',
      variants: ['Router'],
      wrongVariantMessage: 'Not a router port.',
    },
  ],
  project: {
    via: [
      { field: 'network_id', clazz: 'Network' },
      { field: 'router_id', clazz: 'Router' },
    ],
  },
  hooks: {
    async prepareCreate(proto, _dto, ctx) {
      const key = await ctx.storage.nextSequenceValue(OVERLAY_TUNNEL_KEY.name, OVERLAY_TUNNEL_KEY.seed, { block: TUNNEL_KEY_BLOCK });
      proto.tunnel_key = BigInt(key);
      if (proto.router_id !== undefined && proto.port_mac === undefined) proto.port_mac = randomRouterPortMac();
    },
    async afterCreate(tx, proto) {
      if (proto.router_id === undefined) return;
      await createLocalRoutes(proto, (route) => tx.create('Route', route));
    },
    async beforeDelete(_tx, current) {
      if (current.vtep_id !== undefined) {
        throw new HttpError(409, `Port ${String(current.id)} is a VXLAN port bound to a VTEP; delete the binding first.`);
      }
    },
    decorates: (proto) => proto.host_id !== undefined,
    async decorate(json, proto, ctx) {
      const host = proto.host_id;
      if (host === undefined) return;
      const id = String(proto.id);
      const path = `${ctx.storage.layout.state(host, 'Port', id)}/active`;
      // state is advisory; the object itself was read fine: unreadable state shows as none
      const [active, bgp] = await Promise.all([
        ctx.storage.zookeeper.exists(path).then(
          (s) => s !== null,
          () => false,
        ),
        json['type'] === 'Router' ? stateValue(ctx.storage, host, 'Port', id, 'bgp').catch(() => null) : null,
      ]);
      json['active'] = active;
      // the BGP session state the agent serving this port publishes (the original's BgpKey)
      if (json['type'] === 'Router') json['bgpStatus'] = bgp;
    },
  },
};
