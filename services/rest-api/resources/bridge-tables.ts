/**
 * A bridge's MAC table, per VLAN (§6.16), and its ARP table (§6.17): persistent entries of the
 * replicated state tables `tables/Network/<id>/mac_table/<vlan>` and `.../ip4_mac_table`
 * (storage.md §9), the layout the agents read. Entry names are `<mac>,<portId>,2147483647` and
 * `<ip>,<mac>,2147483647`; MACs are written in lower-case colon form.
 */
import { StateTable, type TableEntry } from '../../../lib/nsdb/state-tables.js';
import { badRequest, notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { isUuid } from '../../../lib/nsdb/codec/uuid.js';
import { NotFoundError } from '../../../lib/nsdb/errors.js';
import { IPV4_REGEX, isIPv4, isMac, mustMatch, parseMac } from '../machinery/addresses.js';
import { JsonMappingError, T } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import { requireObjectBody } from '../machinery/dto.js';
import type { Reply, RequestContext, RouteDef } from '../machinery/types.js';
import { pathSegment } from '../../../lib/http/uri.js';

const MAC_PORT = single('MacPort', 2);
const MAC_PORTS = collection('MacPort', 2);
const IP4MAC = single('IP4Mac', 1);
const IP4MACS = collection('IP4Mac', 1);

/** The patterns of the original's models, quoted in their default bean-validation message. */
export const MAC_REGEX = '^((([0-9]|[a-f]|[A-F]){2}):){5}([0-9]|[a-f]|[A-F]){2}$';

const UNTAGGED = 0;
const MAX_VLAN = 4095;

export const dashed = (mac: string): string => mac.replace(/:/g, '-');

async function requireBridge(ctx: RequestContext, bridgeId: string): Promise<void> {
  if (!(await ctx.storage.exists('Network', bridgeId))) throw new NotFoundError('Network', bridgeId);
}

/** Parses a body field with a JSON type, a wrong type being a 400 without violations. */
export function field<J>(type: { parse(raw: unknown, field: string): J | null }, body: Record<string, unknown>, name: string): J | null {
  try {
    return type.parse(body[name], name);
  } catch (e) {
    if (e instanceof JsonMappingError) throw badRequest(e.message);
    throw e;
  }
}

// ---- MAC table -------------------------------------------------------------------------------

function macTable(ctx: RequestContext, bridgeId: string, vlan: number): StateTable {
  return StateTable.of(ctx.storage, 'Network', bridgeId, 'mac_table', String(vlan));
}

/**
 * The bridge's VLANs: those whose MAC table node exists under `mac_table` (the original's
 * `tableArguments`), plus VLAN 0 always (spec §6.16 recommendation). [] for a missing bridge.
 */
async function bridgeVlans(ctx: RequestContext, bridgeId: string): Promise<number[]> {
  if (!(await ctx.storage.exists('Network', bridgeId))) return [];
  const children = await StateTable.of(ctx.storage, 'Network', bridgeId, 'mac_table').children();
  const set = new Set<number>([UNTAGGED]);
  for (const c of children) if (/^\d{1,5}$/.test(c)) set.add(Number(c));
  return [...set].sort((a, b) => a - b);
}

/** The `{vlan}` path segment: a VLAN id 0..4095; anything else names no table (404). */
function pathVlan(ctx: RequestContext): number | undefined {
  const raw = ctx.params['vlan'];
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw)) throw notFound('The requested resource was not found.');
  const vlan = Number(raw);
  if (vlan > MAX_VLAN) throw notFound(message('BridgeHasVlan', vlan));
  return vlan;
}

/** 404 [BridgeHasVlan] unless the VLAN is one of the bridge's (a missing bridge has none). */
async function requireVlan(ctx: RequestContext, bridgeId: string, vlan: number): Promise<void> {
  if (!(await bridgeVlans(ctx, bridgeId)).includes(vlan)) throw notFound(message('BridgeHasVlan', vlan));
}

function macEntryUri(ctx: RequestContext, bridgeId: string, vlan: number, mac: string, portId: string): string {
  const table = vlan === UNTAGGED ? 'mac_table' : `vlans/${vlan}/mac_table`;
  return `${ctx.base}/bridges/${bridgeId}/${table}/${pathSegment(`${dashed(mac)}_${portId}`)}`;
}

function macEntryJson(ctx: RequestContext, bridgeId: string, vlan: number, mac: string, portId: string): Record<string, unknown> {
  return { macAddr: mac, portId, vlanId: vlan, uri: macEntryUri(ctx, bridgeId, vlan, mac, portId) };
}

/** `{mac}_{portId}`, the MAC with `-` (or `:`) between groups of one or two hex digits. */
function parseMacPortKey(ctx: RequestContext): { mac: string; portId: string } {
  const raw = ctx.params['entry'] ?? '';
  const at = raw.indexOf('_');
  const mac = parseMac((at < 0 ? raw : raw.slice(0, at)).replace(/-/g, ':'));
  if (!mac) throw badRequest(message('MacUriFormat'));
  const portId = at < 0 ? '' : raw.slice(at + 1).toLowerCase();
  if (!isUuid(portId)) throw badRequest(`Invalid MAC-port key '${raw}': expected {mac}_{portId} with a port UUID.`);
  return { mac, portId };
}

export const byKeyThenValue = (a: TableEntry, b: TableEntry): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;

async function listMacs(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const only = pathVlan(ctx);
  let vlans: number[];
  if (only === undefined) {
    await requireBridge(ctx, bridgeId);
    vlans = await bridgeVlans(ctx, bridgeId);
  } else {
    await requireVlan(ctx, bridgeId, only);
    vlans = [only];
  }
  const out: Record<string, unknown>[] = [];
  for (const vlan of vlans) {
    const entries = (await macTable(ctx, bridgeId, vlan).entries()).sort(byKeyThenValue);
    for (const e of entries) out.push(macEntryJson(ctx, bridgeId, vlan, e.key, e.value));
  }
  return { status: 200, body: out };
}

async function addMac(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const inPath = pathVlan(ctx);
  const body = requireObjectBody(ctx.body);
  const mac = field(T.string, body, 'macAddr');
  const portId = field(T.uuid, body, 'portId');
  const bodyVlan = field(T.int32, body, 'vlanId');
  const violations: Violation[] = [];
  if (mac === null) violations.push({ property: 'macAddr', message: message('NonNull') });
  else if (!isMac(mac)) violations.push({ property: 'macAddr', message: mustMatch(MAC_REGEX) });
  if (portId === null) violations.push({ property: 'portId', message: message('NonNull') });
  if (inPath === undefined && bodyVlan !== null) {
    if (bodyVlan < 0) violations.push({ property: 'vlanId', message: message('MinValue', 0) });
    else if (bodyVlan > MAX_VLAN) violations.push({ property: 'vlanId', message: message('MaxValue', MAX_VLAN) });
  }
  if (violations.length > 0 || mac === null || portId === null) throw validationError(violations);
  // the path's VLAN wins over the body's
  const vlan = inPath ?? bodyVlan ?? UNTAGGED;

  await requireBridge(ctx, bridgeId);
  const port = await ctx.storage.get('Port', portId);
  if (port.network_id !== bridgeId) throw badRequest(message('MacPortOnBridge'));
  const portVlan = port.vlan_id ?? UNTAGGED;
  if (portVlan !== UNTAGGED && portVlan !== vlan) throw badRequest(message('VlanIdMatchesPortVlanId', portVlan));

  const canonical = mac.toLowerCase();
  // the same pair twice is not an error (the entry is already there)
  await macTable(ctx, bridgeId, vlan).addPersistent(canonical, portId);
  return { status: 201, headers: { Location: macEntryUri(ctx, bridgeId, vlan, canonical, portId) } };
}

async function getMac(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const { mac, portId } = parseMacPortKey(ctx);
  const vlan = pathVlan(ctx) ?? UNTAGGED;
  await requireVlan(ctx, bridgeId, vlan);
  if (!(await macTable(ctx, bridgeId, vlan).containsRemote(mac, portId))) throw notFound(message('BridgeHasMacPort'));
  return { status: 200, body: macEntryJson(ctx, bridgeId, vlan, mac, portId) };
}

async function deleteMac(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const { mac, portId } = parseMacPortKey(ctx);
  const vlan = pathVlan(ctx) ?? UNTAGGED;
  await requireVlan(ctx, bridgeId, vlan);
  await macTable(ctx, bridgeId, vlan).removePersistent(mac, portId);
  return { status: 204 };
}

// ---- ARP table -------------------------------------------------------------------------------

function arpTable(ctx: RequestContext, bridgeId: string): Promise<StateTable> {
  return StateTable.locate(ctx.storage, 'Network', bridgeId, 'ip4_mac_table');
}

function arpUri(ctx: RequestContext, bridgeId: string, ip: string, mac: string): string {
  return `${ctx.base}/bridges/${bridgeId}/arp_table/${pathSegment(`${ip}_${dashed(mac)}`)}`;
}

function arpJson(ctx: RequestContext, bridgeId: string, ip: string, mac: string): Record<string, unknown> {
  return { ip, mac, uri: arpUri(ctx, bridgeId, ip, mac) };
}

/** `{ip}_{mac}`, the MAC with `-` (or `:`) between its groups. */
export function parseIpMacKey(ctx: RequestContext): { ip: string; mac: string } {
  const raw = ctx.params['entry'] ?? '';
  const at = raw.indexOf('_');
  const ip = at < 0 ? raw : raw.slice(0, at);
  if (!isIPv4(ip)) throw badRequest(message('IpAddrInvalid'));
  const mac = parseMac((at < 0 ? '' : raw.slice(at + 1)).replace(/-/g, ':'));
  if (!mac) throw badRequest(message('MacAddressInvalid'));
  return { ip, mac };
}

async function addArp(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const body = requireObjectBody(ctx.body);
  const ip = field(T.string, body, 'ip');
  const mac = field(T.string, body, 'mac');
  const violations: Violation[] = [];
  if (ip === null) violations.push({ property: 'ip', message: message('NonNull') });
  else if (!isIPv4(ip)) violations.push({ property: 'ip', message: mustMatch(IPV4_REGEX) });
  if (mac === null) violations.push({ property: 'mac', message: message('NonNull') });
  else if (!isMac(mac)) violations.push({ property: 'mac', message: mustMatch(MAC_REGEX) });
  if (violations.length > 0 || ip === null || mac === null) throw validationError(violations);
  await requireBridge(ctx, bridgeId);
  const canonical = mac.toLowerCase();
  await (await arpTable(ctx, bridgeId)).addPersistent(ip, canonical);
  return { status: 201, headers: { Location: arpUri(ctx, bridgeId, ip, canonical) } };
}

async function listArp(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  await requireBridge(ctx, bridgeId);
  const entries = (await (await arpTable(ctx, bridgeId)).entries()).sort(byKeyThenValue);
  return { status: 200, body: entries.map((e) => arpJson(ctx, bridgeId, e.key, e.value)) };
}

async function getArp(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const { ip, mac } = parseIpMacKey(ctx);
  await requireBridge(ctx, bridgeId);
  if (!(await (await arpTable(ctx, bridgeId)).containsRemote(ip, mac))) throw notFound(message('ArpEntryNotFound'));
  return { status: 200, body: arpJson(ctx, bridgeId, ip, mac) };
}

async function deleteArp(ctx: RequestContext): Promise<Reply> {
  const bridgeId = pathId(ctx);
  const { ip, mac } = parseIpMacKey(ctx);
  await requireBridge(ctx, bridgeId);
  await (await arpTable(ctx, bridgeId)).removePersistent(ip, mac);
  return { status: 204 };
}

const macList = [MAC_PORTS, JSON_TYPE];
const macOne = [MAC_PORT, JSON_TYPE];

export const bridgeTableRoutes: RouteDef[] = [
  { method: 'GET', path: '/bridges/:id/mac_table', regime: 'E', produces: macList, handler: listMacs },
  { method: 'POST', path: '/bridges/:id/mac_table', regime: 'E', consumes: macOne, handler: addMac },
  { method: 'GET', path: '/bridges/:id/mac_table/:entry', regime: 'E', produces: macOne, handler: getMac },
  { method: 'DELETE', path: '/bridges/:id/mac_table/:entry', handler: deleteMac },
  { method: 'GET', path: '/bridges/:id/vlans/:vlan/mac_table', regime: 'E', produces: macList, handler: listMacs },
  { method: 'POST', path: '/bridges/:id/vlans/:vlan/mac_table', regime: 'E', consumes: macOne, handler: addMac },
  { method: 'GET', path: '/bridges/:id/vlans/:vlan/mac_table/:entry', regime: 'E', produces: macOne, handler: getMac },
  { method: 'DELETE', path: '/bridges/:id/vlans/:vlan/mac_table/:entry', handler: deleteMac },
  { method: 'GET', path: '/bridges/:id/arp_table', regime: 'E', produces: [IP4MACS, JSON_TYPE], handler: listArp },
  { method: 'POST', path: '/bridges/:id/arp_table', regime: 'E', consumes: [IP4MAC], handler: addArp },
  { method: 'GET', path: '/bridges/:id/arp_table/:entry', regime: 'E', produces: [IP4MAC, JSON_TYPE], handler: getArp },
  { method: 'DELETE', path: '/bridges/:id/arp_table/:entry', handler: deleteArp },
];
