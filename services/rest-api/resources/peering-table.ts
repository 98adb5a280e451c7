/**
 * A router port's peering table (`/routers/{id}/ports/{portId}/peering_table`, rest-api-extras.md
 * §5.8): the remote MAC → IPv4 pairs of an L2-gateway "router VTEP" port, kept as persistent
 * entries of the replicated state table `tables/Port/<portId>/peering_table` (storage.md §9), the
 * layout agents read. Entry names are `<mac>,<ip>,2147483647`; the URI key is `{ip}_{mac}` with
 * the MAC's colons as dashes. As in the original, the router in the path is not looked at.
 */
import { StateTable } from '../../../lib/nsdb/state-tables.js';
import { notFound, validationError, type Violation } from '../../../lib/http/errors.js';
import { JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { isIPv4, isMac } from '../machinery/addresses.js';
import { requireObjectBody } from '../machinery/dto.js';
import { T } from '../machinery/field-types.js';
import { pathId } from '../machinery/handlers.js';
import type { Reply, RequestContext, RouteDef } from '../machinery/types.js';
import { IPV4_REGEX, mustMatch } from '../machinery/addresses.js';
import { byKeyThenValue, dashed, field, MAC_REGEX, parseIpMacKey } from './bridge-tables.js';
import { pathSegment } from '../../../lib/http/uri.js';

/** The original serves the list under the single type too (its collection constant is the same string). */
const MAC_IP = single('MacIp', 1);

/** The port's table; 404 for a port that does not exist (the original: no table path). */
async function peeringTable(ctx: RequestContext): Promise<{ table: StateTable; uri: string }> {
  const portId = pathId(ctx, 'portId');
  pathId(ctx);
  await ctx.storage.get('Port', portId);
  return {
    table: StateTable.of(ctx.storage, 'Port', portId, 'peering_table'),
    uri: `${ctx.base}/routers/${ctx.params['id'] ?? ''}/ports/${ctx.params['portId'] ?? ''}/peering_table`,
  };
}

function entryJson(tableUri: string, ip: string, mac: string): Record<string, unknown> {
  return { ip, mac, uri: `${tableUri}/${pathSegment(`${ip}_${dashed(mac)}`)}` };
}

async function list(ctx: RequestContext): Promise<Reply> {
  const { table, uri } = await peeringTable(ctx);
  // keys are MACs, values addresses
  const entries = (await table.entries()).sort(byKeyThenValue);
  return { status: 200, body: entries.map((e) => entryJson(uri, e.value, e.key)) };
}

async function add(ctx: RequestContext): Promise<Reply> {
  const body = requireObjectBody(ctx.body);
  const ip = field(T.string, body, 'ip');
  const mac = field(T.string, body, 'mac');
  const violations: Violation[] = [];
  if (ip === null) violations.push({ property: 'ip', message: message('NonNull') });
  else if (!isIPv4(ip)) violations.push({ property: 'ip', message: mustMatch(IPV4_REGEX) });
  if (mac === null) violations.push({ property: 'mac', message: message('NonNull') });
  else if (!isMac(mac)) violations.push({ property: 'mac', message: mustMatch(MAC_REGEX) });
  if (violations.length > 0 || ip === null || mac === null) throw validationError(violations);
  const { table, uri } = await peeringTable(ctx);
  const canonical = mac.toLowerCase();
  // the same pair twice is not an error (the entry is already there)
  await table.addPersistent(canonical, ip);
  return { status: 201, headers: { Location: `${uri}/${pathSegment(`${ip}_${dashed(canonical)}`)}` } };
}

async function getOne(ctx: RequestContext): Promise<Reply> {
  const { ip, mac } = parseIpMacKey(ctx);
  const { table, uri } = await peeringTable(ctx);
  if (!(await table.containsRemote(mac, ip))) throw notFound(message('PeeringEntryNotFound'));
  return { status: 200, body: entryJson(uri, ip, mac) };
}

async function remove(ctx: RequestContext): Promise<Reply> {
  const { ip, mac } = parseIpMacKey(ctx);
  const { table } = await peeringTable(ctx);
  await table.removePersistent(mac, ip);
  return { status: 204 };
}

const PATH = '/routers/:id/ports/:portId/peering_table';

export const peeringTableRoutes: RouteDef[] = [
  { method: 'GET', path: PATH, regime: 'E', produces: [MAC_IP, JSON_TYPE], handler: list },
  { method: 'POST', path: PATH, regime: 'E', consumes: [MAC_IP], handler: add },
  { method: 'GET', path: `${PATH}/:entry`, regime: 'E', produces: [MAC_IP, JSON_TYPE], handler: getOne },
  { method: 'DELETE', path: `${PATH}/:entry`, handler: remove },
];
