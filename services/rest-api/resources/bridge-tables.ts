/**
 * A bridge's MAC table, per VLAN (§6.16), and its ARP table (§6.17), kept as persistent entries
 * of the replicated state tables `mac_table/<vlan>` and `ip4_mac_table` (storage.md §9), the
 * layout agents read.
 */
import { StateTable } from '../../../lib/nsdb/state-tables.js';
import { badRequest, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import { isIPv4, isMac } from '../machinery/addresses.js';
import { T } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import { requireObjectBody } from '../machinery/dto.js';
import type { RequestContext, RouteDef } from '../machinery/types.js';

const MAC_PORT = single('MacPort', 2);
const MAC_PORTS = collection('MacPort', 2);
const IP4MAC = single('IP4Mac', 1);
const IP4MACS = collection('IP4Mac', 1);

const dashed = (mac: string): string => mac.replace(/:/g, '-');

function macTable(ctx: RequestContext, bridgeId: string, vlan: number): StateTable {
  return StateTable.of(ctx.storage, 'Network', bridgeId, 'mac_table', String(vlan));
}

/** The bridge's VLANs: those whose MAC table exists, and VLAN 0 always. */
async function vlans(ctx: RequestContext, bridgeId: string): Promise<number[]> {
  const children = await StateTable.of(ctx.storage, 'Network', bridgeId, 'mac_table').children();
  const set = new Set<number>([0]);
  for (const c of children) if (/^\d+$/.test(c)) set.add(Number(c));
  return [...set].sort((a, b) => a - b);
}

function vlanParam(ctx: RequestContext): number | undefined {
  const raw = ctx.params['vlan'];
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) > 4095) throw notFound(message('BridgeHasVlan', Number(raw) || 0));
  return Number(raw);
}

async function requireVlan(ctx: RequestContext, bridgeId: string, vlan: number): Promise<void> {
  if (!(await ctx.storage.exists('Network', bridgeId)) || !(await vlans(ctx, bridgeId)).includes(vlan)) {
    throw notFound(message('BridgeHasVlan', vlan));
  }
}

function macEntryJson(ctx: RequestContext, bridgeId: string, vlan: number, mac: string, portId: string): Record<string, unknown> {
  const path = vlan === 0 ? `mac_table` : `vlans/${vlan}/mac_table`;
  return {
    macAddr: mac,
    portId,
    vlanId: vlan,
    uri: `${ctx.base}/bridges/${bridgeId}/${path}/${dashed(mac)}_${portId}`,
  };
}

/** `{mac}_{portId}` with the MAC in '-' or ':' form. */
function macKey(ctx: RequestContext): { mac: string; portId: string } {
  const raw = ctx.params['entry'] ?? '';
  const at = raw.lastIndexOf('_');
  const mac = raw.slice(0, at).replace(/-/g, ':').toLowerCase();
  const portId = raw.slice(at + 1).toLowerCase();
  if (at < 0 || !isMac(mac)) throw badRequest(message('MacUriFormat'));
  if (!isUuid(portId)) throw badRequest(`Invalid port id '${portId}'.`);
  return { mac, portId };
}

async function listMacs(ctx: RequestContext, only?: number) {
  const bridgeId = pathId(ctx);
  await ctx.storage.get('Network', bridgeId);
  const which = only === undefined ? await vlans(ctx, bridgeId) : [only];
  if (only !== undefined) await requireVlan(ctx, bridgeId, only);
  const out: Record<string, unknown>[] = [];
  for (const vlan of which) {
    for (const e of await macTable(ctx, bridgeId, vlan).entries()) out.push(macEntryJson(ctx, bridgeId, vlan, e.key, e.value));
  }
  return { status: 200, body: out };
}

async function addMac(ctx: RequestContext) {
  const bridgeId = pathId(ctx);
  const body = requireObjectBody(ctx.body);
  const mac = T.string.parse(body['macAddr'], 'macAddr');
  const portId = T.uuid.parse(body['portId'], 'portId');
  const violations: Violation[] = [];
  if (mac === null) violations.push({ property: 'macAddr', message: message('NonNull') });
  else if (!isMac(mac)) violations.push({ property: 'macAddr', message: message('MacAddressInvalid') });
  if (portId === null) violations.push({ property: 'portId', message: message('NonNull') });
  if (violations.length > 0 || mac === null || portId === null) throw validationError(violations);
  const vlan = vlanParam(ctx) ?? T.uint32.parse(body['vlanId'], 'vlanId') ?? 0;
  await ctx.storage.get('Network', bridgeId);
  const port = await ctx.storage.get('Port', portId);
  if (port['network_id'] !== bridgeId) throw badRequest(message('MacPortOnBridge'));
  const portVlan = Number(port['vlan_id'] ?? 0);
  if (portVlan !== 0 && portVlan !== vlan) throw badRequest(message('VlanIdMatchesPortVlanId', portVlan));
  const normalized = mac.toLowerCase();
  await macTable(ctx, bridgeId, vlan).addPersistent(normalized, portId);
  return { status: 201, headers: { Location: String(macEntryJson(ctx, bridgeId, vlan, normalized, portId)['uri']) } };
}

async function getMac(ctx: RequestContext) {
  const bridgeId = pathId(ctx);
  const { mac, portId } = macKey(ctx);
  const vlan = vlanParam(ctx) ?? 0;
  await requireVlan(ctx, bridgeId, vlan);
  const hit = (await macTable(ctx, bridgeId, vlan).entries()).find((e) => e.key === mac && e.value === portId);
  if (!hit) throw notFound(message('BridgeHasMacPort'));
  return { status: 200, body: macEntryJson(ctx, bridgeId, vlan, mac, portId) };
}

async function deleteMac(ctx: RequestContext) {
  const bridgeId = pathId(ctx);
  const { mac, portId } = macKey(ctx);
  const vlan = vlanParam(ctx) ?? 0;
  await requireVlan(ctx, bridgeId, vlan);
  await macTable(ctx, bridgeId, vlan).remove(mac, portId);
  return { status: 204 };
}

const macProduces = [MAC_PORTS, JSON_TYPE];
const macSingle = [MAC_PORT, JSON_TYPE];

// ---- ARP -----------------------------------------------------------------------------------

function arpTable(ctx: RequestContext, bridgeId: string): StateTable {
  return StateTable.of(ctx.storage, 'Network', bridgeId, 'ip4_mac_table');
}

function arpJson(ctx: RequestContext, bridgeId: string, ip: string, mac: string): Record<string, unknown> {
  return { ip, mac, uri: `${ctx.base}/bridges/${bridgeId}/arp_table/${ip}_${dashed(mac)}` };
}

function arpKey(ctx: RequestContext): { ip: string; mac: string } {
  const raw = ctx.params['entry'] ?? '';
  const at = raw.indexOf('_');
  const ip = raw.slice(0, at);
  const mac = raw.slice(at + 1).replace(/-/g, ':').toLowerCase();
  if (at < 0 || !isIPv4(ip) || !isMac(mac)) throw badRequest(`Malformed ARP entry key '${raw}': expected {ip}_{mac}.`);
  return { ip, mac };
}

export const bridgeTableRoutes: RouteDef[] = [
  { method: 'GET', path: '/bridges/:id/mac_table', regime: 'E', produces: macProduces, handler: (c) => listMacs(c) },
  { method: 'GET', path: '/bridges/:id/vlans/:vlan/mac_table', regime: 'E', produces: macProduces, handler: (c) => listMacs(c, vlanParam(c)) },
  { method: 'POST', path: '/bridges/:id/mac_table', regime: 'E', consumes: macSingle, handler: addMac },
  { method: 'POST', path: '/bridges/:id/vlans/:vlan/mac_table', regime: 'E', consumes: macSingle, handler: addMac },
  { method: 'GET', path: '/bridges/:id/mac_table/:entry', regime: 'E', produces: macSingle, handler: getMac },
  { method: 'GET', path: '/bridges/:id/vlans/:vlan/mac_table/:entry', regime: 'E', produces: macSingle, handler: getMac },
  { method: 'DELETE', path: '/bridges/:id/mac_table/:entry', handler: deleteMac },
  { method: 'DELETE', path: '/bridges/:id/vlans/:vlan/mac_table/:entry', handler: deleteMac },
  {
    method: 'POST',
    path: '/bridges/:id/arp_table',
    regime: 'E',
    consumes: [IP4MAC],
    async handler(ctx) {
      const bridgeId = pathId(ctx);
      const body = requireObjectBody(ctx.body);
      const ip = T.string.parse(body['ip'], 'ip');
      const mac = T.string.parse(body['mac'], 'mac');
      const violations: Violation[] = [];
      if (ip === null) violations.push({ property: 'ip', message: message('NonNull') });
      else if (!isIPv4(ip)) violations.push({ property: 'ip', message: message('IpAddrInvalid') });
      if (mac === null) violations.push({ property: 'mac', message: message('NonNull') });
      else if (!isMac(mac)) violations.push({ property: 'mac', message: message('MacAddressInvalid') });
      if (violations.length > 0 || ip === null || mac === null) throw validationError(violations);
      await ctx.storage.get('Network', bridgeId);
      await arpTable(ctx, bridgeId).addPersistent(ip, mac.toLowerCase());
      return { status: 201, headers: { Location: String(arpJson(ctx, bridgeId, ip, mac.toLowerCase())['uri']) } };
    },
  },
  {
    method: 'GET',
    path: '/bridges/:id/arp_table',
    regime: 'E',
    produces: [IP4MACS, JSON_TYPE],
    async handler(ctx) {
      const bridgeId = pathId(ctx);
      await ctx.storage.get('Network', bridgeId);
      const entries = await arpTable(ctx, bridgeId).entries();
      return { status: 200, body: entries.map((e) => arpJson(ctx, bridgeId, e.key, e.value)) };
    },
  },
  {
    method: 'GET',
    path: '/bridges/:id/arp_table/:entry',
    regime: 'E',
    produces: [IP4MAC, JSON_TYPE],
    async handler(ctx) {
      const bridgeId = pathId(ctx);
      const { ip, mac } = arpKey(ctx);
      await ctx.storage.get('Network', bridgeId);
      const hit = (await arpTable(ctx, bridgeId).entries()).find((e) => e.key === ip && e.value === mac);
      if (!hit) throw notFound(message('ArpEntryNotFound'));
      return { status: 200, body: arpJson(ctx, bridgeId, ip, mac) };
    },
  },
  {
    method: 'DELETE',
    path: '/bridges/:id/arp_table/:entry',
    async handler(ctx) {
      const bridgeId = pathId(ctx);
      const { ip, mac } = arpKey(ctx);
      await ctx.storage.get('Network', bridgeId);
      await arpTable(ctx, bridgeId).remove(ip, mac);
      return { status: 204 };
    },
  },
];
