/**
 * VTEPs (`/vteps`), their bindings (`/vteps/{id}/bindings`) and their physical ports
 * (`/vteps/{id}/ports`), rest-api-extras.md §4. A VTEP is a hardware switch speaking OVSDB: its
 * creation and a binding's look at the switch (services/vxgw/vtep-access.ts); its name,
 * description, tunnel IPs and connection state are what the VxLAN gateway service last wrote in
 * its state keys (services/vxgw/state.ts). Bindings are kept inside the Vtep object; the first
 * binding of a VTEP to a network gives the network a VNI and a VxLAN port, the last one removed
 * takes the port away, in the same transaction.
 */
import type { Network, Port, Vtep, Vtep_Binding } from '../../../lib/models/generated.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { badRequest, conflict, HttpError, notFound, unavailable, validationError } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { VNI_SEQUENCE, vxlanPortId } from '../../vxgw/ids.js';
import { connectionStateName, decodeConfig, readKey, stateKeyPath } from '../../vxgw/state.js';
import { readVtepSwitch, VtepUnreachableError, type SwitchView } from '../../vxgw/vtep-access.js';
import { T, V } from '../machinery/field-types.js';
import { parseInput, requireObjectBody } from '../machinery/dto.js';
import { pathId } from '../machinery/handlers.js';
import type { Dto, FieldDef, RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
import { idField, media, subLink } from './common.js';
import { interfaces } from './hosts.js';

const mgmtIpOf = (v: Vtep): string => v.management_ip?.address ?? '';

/** Reads the VTEP's switch for a request: unreachable or no switch → 503. */
async function lookAtSwitch(
  ctx: RequestContext,
  ip: string,
  port: number,
  noSwitch: string,
): Promise<SwitchView & { physicalSwitch: NonNullable<SwitchView['physicalSwitch']> }> {
  let view: SwitchView;
  try {
    view = await readVtepSwitch(ip, port, { log: ctx.log });
  } catch (e) {
    if (e instanceof VtepUnreachableError) throw unavailable(e.message);
    throw e;
  }
  if (!view.physicalSwitch) throw unavailable(noSwitch);
  return { physicalSwitch: view.physicalSwitch, ports: view.ports };
}

/** The checks of a VTEP creation, in the original's order, after bean validation. */
async function checkNewVtep(ctx: RequestContext, vtep: Vtep): Promise<void> {
  const tzId = vtep.tunnel_zone_id;
  const zone = tzId !== undefined ? await ctx.storage.getOrNull('TunnelZone', tzId) : null;
  if (!zone) throw badRequest(message('TunnelZoneIdIsInvalid'));
  if (zone.type !== 'VTEP') throw badRequest(message('TunnelZoneNotVtep'));
  const ip = mgmtIpOf(vtep);
  const port = vtep.management_port ?? 0;
  const existing = await ctx.storage.getAll('Vtep');
  if (existing.some((v) => mgmtIpOf(v) === ip)) throw conflict(message('VtepExists', ip));
  const { physicalSwitch } = await lookAtSwitch(ctx, ip, port, `Cannot connect to VTEP at ${ip}:${port} because the physical switch is not configured`);
  const vtepIps = new Set([...physicalSwitch.managementIps, ...physicalSwitch.tunnelIps, ip]);
  const hostIds = await ctx.storage.listIds('Host');
  for (const hostId of hostIds) {
    for (const i of await interfaces(ctx, hostId)) {
      const hit = i.addresses.find((a) => vtepIps.has(a));
      if (hit !== undefined) throw conflict(message('VtepHostIpConflict', hit));
    }
  }
}

async function decorateVtep(json: Dto, vtep: Vtep, ctx: RequestContext): Promise<void> {
  const zk = ctx.storage.zookeeper;
  const layout = ctx.storage.layout;
  const id = String(vtep.id);
  const [cfgKey, stateKey] = await Promise.all([
    readKey(zk, stateKeyPath(layout, 'Vtep', id, 'config')).catch(() => null),
    readKey(zk, stateKeyPath(layout, 'Vtep', id, 'connection_state')).catch(() => null),
  ]);
  const cfg = cfgKey ? decodeConfig(cfgKey.value) : undefined;
  json['name'] = cfg?.name ?? '';
  json['description'] = cfg?.description ?? '';
  json['tunnelIpAddrs'] = (cfg?.tunnel_addresses ?? []).map((a) => a.address ?? '').filter((a) => a !== '');
  json['connectionState'] = connectionStateName(stateKey?.value);
}

export const vteps: ResourceDef<'Vtep'> = {
  name: 'VTEP',
  clazz: 'Vtep',
  segment: 'vteps',
  media: media('VTEP', [2]),
  fields: [
    idField,
    {
      json: 'managementIp',
      type: T.ipAddress,
      access: 'create',
      proto: 'management_ip',
      required: true,
      validators: [V.ipv4(message('IpAddrInvalid'))],
    },
    { json: 'managementPort', type: T.int32, access: 'create', proto: 'management_port', default: 0, validators: [V.range(1, 65535)] },
    { json: 'tunnelZoneId', type: T.uuid, access: 'create', proto: 'tunnel_zone_id' },
    { json: 'name', type: T.string, access: 'ro', read: () => '' },
    { json: 'description', type: T.string, access: 'ro', read: () => '' },
    { json: 'tunnelIpAddrs', type: T.stringList, access: 'ro', read: () => [] },
    { json: 'connectionState', type: T.string, access: 'ro', read: () => 'disconnected' },
  ],
  links: [
    subLink('bindings', 'bindings'),
    subLink('ports', 'ports'),
    // sic: the original's template lacks `/bindings`
    { json: 'vtepBindingTemplate', href: ({ self }) => `${self}/{portName}/{vlanId}` },
  ],
  create: {},
  update: false,
  delete: { missing: 404 },
  hooks: {
    // After bean validation, outside the transaction: it talks to the VTEP.
    prepareCreate: (vtep, _dto, ctx) => checkNewVtep(ctx, vtep),
    async beforeCreate(tx, vtep) {
      // again inside the transaction, which guards the class: two creations at once cannot both pass
      await tx.guardClass('Vtep');
      const all = await tx.listAll('Vtep');
      if (all.some((v) => mgmtIpOf(v) === mgmtIpOf(vtep))) throw conflict(message('VtepExists', mgmtIpOf(vtep)));
    },
    async beforeDelete(_tx, vtep) {
      if ((vtep.bindings ?? []).length > 0) throw badRequest(message('VtepHasBindings', mgmtIpOf(vtep)));
    },
    decorate: decorateVtep,
  },
};

// ---- bindings ---------------------------------------------------------------------------------

const BINDING = single('VTEPBinding', 2);
const BINDINGS = collection('VTEPBinding', 2);

const BINDING_FIELDS: FieldDef<Vtep_Binding>[] = [
  { json: 'portName', type: T.string, access: 'create', required: true },
  { json: 'vlanId', type: T.int32, access: 'create', default: 0, validators: [V.range(0, 4095)] },
  { json: 'networkId', type: T.uuid, access: 'create', required: true },
];

/** A path segment as java.net.URLEncoder writes it (form encoding: space → `+`). */
export function formEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function renderBinding(ctx: RequestContext, vtepId: string, b: Vtep_Binding): Dto {
  const portName = b.port_name ?? '';
  const vlanId = b.vlan_id ?? 0;
  return {
    vtepId,
    portName,
    vlanId,
    networkId: b.network_id ?? null,
    uri: `${ctx.base}/vteps/${vtepId}/bindings/${encodeURIComponent(portName)}/${vlanId}`,
  };
}

/** `{vlanId}` of a path: a Java short, else the path names nothing (404). */
function pathVlan(ctx: RequestContext): number {
  const raw = ctx.params['vlanId'] ?? '';
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < -32768 || n > 32767) throw notFound();
  return n;
}

const sameBinding = (b: Vtep_Binding, portName: string, vlan: number): boolean => b.port_name === portName && (b.vlan_id ?? 0) === vlan;

/** The VxLAN port of this VTEP on the network, among the network's VxLAN ports. */
async function vxlanPortOf(tx: Transaction, network: Network, vtepId: string): Promise<Port | undefined> {
  const ports = await Promise.all((network.vxlan_port_ids ?? []).map((id) => tx.getOrNull('Port', id)));
  return ports.find((p) => p?.vtep_id === vtepId) ?? undefined;
}

async function addBinding(ctx: RequestContext): Promise<{ status: number; headers: Record<string, string> }> {
  const vtepId = pathId(ctx);
  const body = requireObjectBody(ctx.body);
  const { dto, violations } = parseInput(BINDING_FIELDS, body, 'create');
  if (violations.length > 0) throw validationError(violations);
  const portName = String(dto['portName']);
  const vlan = Number(dto['vlanId'] ?? 0);
  const networkId = String(dto['networkId']).toLowerCase();

  const vtep = await ctx.storage.getOrNull('Vtep', vtepId);
  if (!vtep) throw badRequest(message('ResourceNotFound', 'Vtep', vtepId));
  const network = await ctx.storage.getOrNull('Network', networkId);
  if (!network) throw badRequest(message('ResourceNotFound', 'Network', networkId));
  const ip = mgmtIpOf(vtep);
  const mgmtPort = vtep.management_port ?? 0;
  const { ports } = await lookAtSwitch(ctx, ip, mgmtPort, `Cannot add binding to VTEP ${ip}:${mgmtPort} because the physical switch is not configured`);
  // docs/decisions/0017: the message names the port (the original put the management port there)
  if (!ports.some((p) => p.name === portName)) throw notFound(message('VtepPortNotFound', ip, portName));

  let vni: number | undefined;
  await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
    const v = await tx.getOrNull('Vtep', vtepId);
    if (!v) throw badRequest(message('ResourceNotFound', 'Vtep', vtepId));
    const n = await tx.getOrNull('Network', networkId);
    if (!n) throw badRequest(message('ResourceNotFound', 'Network', networkId));
    const taken = (v.bindings ?? []).find((b) => sameBinding(b, portName, vlan));
    if (taken) {
      throw conflict(message('VtepPortVlanPairAlreadyUsed', ip, mgmtPort, portName, vlan, String(taken.network_id)));
    }
    v.bindings = [...(v.bindings ?? []), { port_name: portName, vlan_id: vlan, network_id: networkId }];
    await tx.update('Vtep', v);
    if (await vxlanPortOf(tx, n, vtepId)) return;
    if (n.vni === undefined) {
      // once per request: a retried transaction reuses the value
      vni ??= await ctx.storage.nextSequenceValue(VNI_SEQUENCE.name, VNI_SEQUENCE.seed);
    }
    const portId = vxlanPortId(vtepId, networkId);
    await tx.create('Port', { id: portId, vtep_id: vtepId, network_id: networkId, admin_state_up: true });
    // the port's network binding has added it to port_ids: read the network as it is now
    const now = await tx.get('Network', networkId);
    if (now.vni === undefined && vni !== undefined) now.vni = vni;
    now.vxlan_port_ids = [...(now.vxlan_port_ids ?? []), portId];
    await tx.update('Network', now);
  });
  return { status: 201, headers: { Location: `${ctx.base}/vteps/${vtepId}/bindings/${encodeURIComponent(portName)}/${vlan}` } };
}

async function removeBinding(ctx: RequestContext): Promise<{ status: number }> {
  const vtepId = pathId(ctx);
  const portName = ctx.params['portName'] ?? '';
  const vlan = pathVlan(ctx);
  await ctx.storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
    const vtep = await tx.get('Vtep', vtepId);
    const removed = (vtep.bindings ?? []).find((b) => sameBinding(b, portName, vlan));
    if (!removed) return;
    vtep.bindings = (vtep.bindings ?? []).filter((b) => b !== removed);
    await tx.update('Vtep', vtep);
    if (vtep.bindings.some((b) => b.network_id === removed.network_id) || removed.network_id === undefined) return;
    const network = await tx.getOrNull('Network', removed.network_id);
    if (!network) return;
    const port = await vxlanPortOf(tx, network, vtepId);
    if (!port?.id) return;
    network.vxlan_port_ids = (network.vxlan_port_ids ?? []).filter((id) => id !== port.id);
    await tx.update('Network', network);
    await tx.delete('Port', port.id);
  });
  return { status: 204 };
}

const bindingRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/vteps/:id/bindings',
    regime: 'E',
    produces: [BINDINGS, JSON_TYPE],
    async handler(ctx) {
      const vtepId = pathId(ctx);
      const vtep = await ctx.storage.get('Vtep', vtepId);
      return { status: 200, body: (vtep.bindings ?? []).map((b) => renderBinding(ctx, vtepId, b)) };
    },
  },
  {
    method: 'GET',
    path: '/vteps/:id/bindings/:portName/:vlanId',
    regime: 'E',
    produces: [BINDING, JSON_TYPE],
    async handler(ctx) {
      const vtepId = pathId(ctx);
      const vlan = pathVlan(ctx);
      const portName = ctx.params['portName'] ?? '';
      const vtep = await ctx.storage.get('Vtep', vtepId);
      const b = (vtep.bindings ?? []).find((x) => sameBinding(x, portName, vlan));
      if (!b) throw notFound(message('VtepBindingNotFound', mgmtIpOf(vtep), vlan, portName));
      return { status: 200, body: renderBinding(ctx, vtepId, b) };
    },
  },
  { method: 'POST', path: '/vteps/:id/bindings', regime: 'E', consumes: [BINDING, JSON_TYPE], handler: addBinding },
  { method: 'DELETE', path: '/vteps/:id/bindings/:portName/:vlanId', handler: removeBinding },
];

// ---- physical ports, live from the VTEP --------------------------------------------------------

const VTEP_PORT = single('VTEPPort', 1);
const VTEP_PORTS = collection('VTEPPort', 1);

async function vtepPorts(ctx: RequestContext): Promise<Dto[]> {
  const vtepId = pathId(ctx);
  const vtep = await ctx.storage.get('Vtep', vtepId);
  const ip = mgmtIpOf(vtep);
  const port = vtep.management_port ?? 0;
  const { ports } = await lookAtSwitch(ctx, ip, port, `Cannot connect to VTEP at ${ip}:${port} because the physical switch is not configured`);
  const self = `${ctx.base}/vteps/${vtepId}`;
  return ports.map((p) => ({ name: p.name, description: p.description, uri: `${self}/ports/${formEncode(p.name)}`, vtep: self }));
}

const portRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/vteps/:id/ports',
    regime: 'E',
    produces: [VTEP_PORTS],
    handler: async (ctx) => ({ status: 200, body: await vtepPorts(ctx) }),
  },
  {
    method: 'GET',
    path: '/vteps/:id/ports/:name',
    regime: 'E',
    produces: [VTEP_PORT],
    async handler(ctx) {
      const name = ctx.params['name'] ?? '';
      // the uri carries the form-encoded name: `+` is a space there
      const spaced = name.replace(/\+/g, ' ');
      const found = (await vtepPorts(ctx)).find((p) => p['name'] === name || p['name'] === spaced);
      if (!found) throw new HttpError(404, message('VtepPortNotFound', pathId(ctx), name));
      return { status: 200, body: found };
    },
  },
];

export const vtepRoutes: RouteDef[] = [...bindingRoutes, ...portRoutes];
