/**
 * The Neutron resources under `{root}/neutron` (rest-api-extras.md §6.1): each a declaration (path,
 * media types, JSON schema, translator, which methods) served by the handlers below, as plain
 * RouteDefs of the REST API's router (negotiation, errors and 405 as everywhere else).
 *
 * - POST: one object (201, `Location` of it, the parsed request echoed) or, with the plural media
 *   type, a JSON array of them (201, `Location` of the collection, the objects as stored), all in
 *   one transaction;
 * - GET one (404 when missing), GET all (no filters);
 * - PUT: 200 with the request echoed, its id the path's;
 * - DELETE: 204, also for an object that does not exist.
 *
 * Every write runs its translation and the Neutron object's own write in one transaction
 * (services/neutron/translation.ts) owned by `cluster:neutron`.
 */
import type { ModelClass, Models } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import { header } from '../../../lib/http/exchange.js';
import { badRequest, HttpError } from '../../../lib/http/errors.js';
import { parseMediaType } from '../../../lib/http/media-types.js';
import { asModel } from '../../../lib/nsdb/msg.js';
import { ChangeOwner } from '../../../lib/nsdb/provenance.js';
import { LIST_WINDOW, pathId, windowed } from '../../rest-api/machinery/handlers.js';
import { negotiateResponse } from '../../rest-api/machinery/negotiate.js';
import type { Reply, RequestContext, RouteDef } from '../../rest-api/machinery/types.js';
import { TUNNEL_KEY_BLOCK } from '../../rest-api/resources/ports.js';
import { stateTablePaths } from '../tables.js';
import { translate, TranslationError, type NeutronOp, type TranslationContext, type Translator } from '../translation.js';
import { networkTranslator, portTranslator, securityGroupRuleTranslator, securityGroupTranslator, subnetTranslator } from '../translators/index.js';
import {
  agentMembershipTranslator,
  configTranslator,
  gatewayDeviceTranslator,
  l2GatewayConnectionTranslator,
  portBindingTranslator,
  remoteMacEntryTranslator,
} from '../translators/index.js';
import { fromProto, parseDto, toProto, type Dto, type Schema } from './json.js';
import * as l3 from './l3-schemas.js';
import { neutronType } from './media.js';
import { floatingIpTranslator, routerTranslator } from '../translators/index.js';
import * as schemas from './schemas.js';
import * as gatewaySchemas from './schemas-gateway.js';

export interface NeutronResource<C extends ModelClass = ModelClass> {
  /** path segment under `/neutron` */
  segment: string;
  /** media type names: `Network` → `application/vnd.org.midonet.neutron.Network-v1+json` */
  name: string;
  plural: string;
  clazz: C;
  schema: Schema;
  translator: Translator<C>;
  /** POST of a JSON array with the plural media type */
  bulk: boolean;
  /**
   * PUT answers 200 with the request echoed (`echo`), or 204 after checking that the body's id is
   * the path's (`noContent`, the original's newer resources); false: no PUT (405)
   */
  update: 'echo' | 'noContent' | false;
}

/**
 * A declaration of one class, in the list of all: its translator takes only its own class's
 * messages, and the handlers only ever give it those (they convert with its own schema).
 */
const resource = <C extends ModelClass>(r: NeutronResource<C>): NeutronResource => r as unknown as NeutronResource;

/** Part 1 of the Neutron API: L2 networking and security groups. */
export const NEUTRON_RESOURCES: readonly NeutronResource[] = [
  resource({
    segment: 'networks',
    name: 'Network',
    plural: 'Networks',
    clazz: 'NeutronNetwork',
    schema: schemas.network,
    translator: networkTranslator,
    bulk: true,
    update: 'echo',
  }),
  resource({
    segment: 'subnets',
    name: 'Subnet',
    plural: 'Subnets',
    clazz: 'NeutronSubnet',
    schema: schemas.subnet,
    translator: subnetTranslator,
    bulk: true,
    update: 'echo',
  }),
  resource({
    segment: 'ports',
    name: 'Port',
    plural: 'Ports',
    clazz: 'NeutronPort',
    schema: schemas.port,
    translator: portTranslator,
    bulk: true,
    update: 'echo',
  }),
  resource({
    segment: 'routers',
    name: 'Router',
    plural: 'Routers',
    clazz: 'NeutronRouter',
    schema: l3.router,
    translator: routerTranslator,
    bulk: false,
    update: 'echo',
  }),
  resource({
    segment: 'floating_ips',
    name: 'FloatingIp',
    plural: 'FloatingIps',
    clazz: 'FloatingIp',
    schema: l3.floatingIp,
    translator: floatingIpTranslator,
    bulk: false,
    update: 'echo',
  }),
  resource({
    segment: 'security_groups',
    name: 'SecurityGroup',
    plural: 'SecurityGroups',
    clazz: 'SecurityGroup',
    schema: schemas.securityGroup,
    translator: securityGroupTranslator,
    bulk: true,
    update: 'echo',
  }),
  resource({
    segment: 'security_group_rules',
    name: 'SecurityGroupRule',
    plural: 'SecurityGroupRules',
    clazz: 'SecurityGroupRule',
    schema: schemas.securityGroupRule,
    translator: securityGroupRuleTranslator,
    bulk: true,
    update: false,
  }),
  resource({
    segment: 'gateway_devices',
    name: 'GatewayDevice',
    plural: 'GatewayDevices',
    clazz: 'GatewayDevice',
    schema: gatewaySchemas.gatewayDevice,
    translator: gatewayDeviceTranslator,
    bulk: false,
    update: 'noContent',
  }),
  resource({
    segment: 'remote_mac_entries',
    name: 'RemoteMacEntry',
    plural: 'RemoteMacEntries',
    clazz: 'RemoteMacEntry',
    schema: gatewaySchemas.remoteMacEntry,
    translator: remoteMacEntryTranslator,
    bulk: false,
    update: false,
  }),
  resource({
    segment: 'l2_gateway_connections',
    name: 'L2GatewayConnection',
    plural: 'L2GatewayConnections',
    clazz: 'L2GatewayConnection',
    schema: gatewaySchemas.l2GatewayConnection,
    translator: l2GatewayConnectionTranslator,
    bulk: false,
    update: 'noContent',
  }),
  // not served by the original, which takes these from Neutron's task table only (decision 0022)
  resource({
    segment: 'configs',
    name: 'Config',
    plural: 'Configs',
    clazz: 'NeutronConfig',
    schema: gatewaySchemas.config,
    translator: configTranslator,
    bulk: false,
    update: false,
  }),
  resource({
    segment: 'agent_memberships',
    name: 'AgentMembership',
    plural: 'AgentMemberships',
    clazz: 'AgentMembership',
    schema: gatewaySchemas.agentMembership,
    translator: agentMembershipTranslator,
    bulk: false,
    update: false,
  }),
  resource({
    segment: 'port_bindings',
    name: 'PortBinding',
    plural: 'PortBindings',
    clazz: 'PortBinding',
    schema: gatewaySchemas.portBinding,
    translator: portBindingTranslator,
    bulk: false,
    update: false,
  }),
];

const OVERLAY_TUNNEL_KEY = { name: 'overlay_tunnel_key', seed: 1 };

/**
 * Runs operations in one transaction (retried on conflicts), and turns a refused translation into
 * the original's answer: `Failed to <operation>; <reason>` with 400, 409 or 500.
 */
export async function runOps<C extends ModelClass>(ctx: RequestContext, t: Translator<C>, ops: NeutronOp<Models[C]>[]): Promise<void> {
  const { storage } = ctx;
  const tables = stateTablePaths(storage.layout, async (p) => (await storage.zookeeper.exists(p)) !== null);
  // one value per object for the whole request: a retried transaction reuses it
  const keys = new Map<string, Promise<number>>();
  const tunnelKey = (id: string): Promise<number> => {
    let k = keys.get(id);
    if (!k) {
      k = storage.nextSequenceValue(OVERLAY_TUNNEL_KEY.name, OVERLAY_TUNNEL_KEY.seed, { block: TUNNEL_KEY_BLOCK });
      keys.set(id, k);
    }
    return k;
  };
  let current: NeutronOp<Models[C]> | undefined;
  try {
    await storage.tryTransaction(ChangeOwner.clusterNeutron, async (tx) => {
      const tctx: TranslationContext = { tx, tables, tunnelKey };
      for (const op of ops) {
        current = op;
        await translate(tctx, t, op);
      }
    });
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    const status = e.failure === 'invalid' ? 400 : e.failure === 'conflict' ? 409 : 500;
    throw new HttpError(status, e.bare || !current ? e.message : `Failed to ${describeOp(t.clazz, current)}; ${e.message}`);
  }
}

function describeOp(clazz: string, op: NeutronOp<{ id?: string }>): string {
  switch (op.kind) {
    case 'create':
      return `Create(${clazz} ${op.obj.id ?? ''})`;
    case 'update':
      return `Update(${clazz} ${op.obj.id ?? ''})`;
    case 'delete':
      return `Delete(${clazz} ${op.id})`;
  }
}

function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** The request body as a DTO; Neutron always names its objects (docs/decisions/0018). */
function parseNamed(r: NeutronResource, body: unknown): Dto {
  const dto = parseDto(r.schema, requireObject(body));
  if (typeof dto['id'] !== 'string') throw badRequest(`The ${r.name} has no id.`);
  return dto;
}

const asMessage = <C extends ModelClass>(clazz: C, dto: Dto, schema: Schema): Models[C] => asModel(clazz, toProto(schema, dto));

/** The response type of a POST: its Accept must allow the type the method produces (406 otherwise). */
function produced(ctx: RequestContext, type: string): string {
  negotiateResponse('E', header(ctx.req, 'accept'), [type]);
  return type;
}

function isPlural(ctx: RequestContext, r: NeutronResource): boolean {
  const m = parseMediaType(header(ctx.req, 'content-type') ?? '');
  return m !== undefined && `${m.type}/${m.subtype}` === neutronType(r.plural).toLowerCase();
}

async function create(r: NeutronResource, ctx: RequestContext): Promise<Reply> {
  const collection = `${ctx.base}/neutron/${r.segment}`;
  if (r.bulk && isPlural(ctx, r)) {
    const contentType = produced(ctx, neutronType(r.plural));
    if (!Array.isArray(ctx.body)) throw badRequest(`The request body must be a JSON array of ${r.plural}.`);
    const dtos = ctx.body.map((b) => parseNamed(r, b));
    await runOps(
      ctx,
      r.translator,
      dtos.map((d) => ({ kind: 'create' as const, obj: asMessage(r.clazz, d, r.schema) })),
    );
    const stored = await Promise.all(dtos.map((d) => ctx.storage.get(r.clazz, d['id'] as string)));
    return { status: 201, headers: { Location: collection }, contentType, body: stored.map((m) => fromProto(r.schema, m as Msg)) };
  }
  const contentType = produced(ctx, neutronType(r.name));
  const dto = parseNamed(r, ctx.body);
  await runOps(ctx, r.translator, [{ kind: 'create', obj: asMessage(r.clazz, dto, r.schema) }]);
  return { status: 201, headers: { Location: `${collection}/${String(dto['id'])}` }, contentType, body: dto };
}

async function update(r: NeutronResource, ctx: RequestContext): Promise<Reply> {
  const id = pathId(ctx);
  const dto = parseDto(r.schema, requireObject(ctx.body));
  dto['id'] = id;
  await runOps(ctx, r.translator, [{ kind: 'update', obj: asMessage(r.clazz, dto, r.schema) }]);
  return { status: 200, contentType: neutronType(r.name), body: dto };
}

async function remove(r: NeutronResource, ctx: RequestContext): Promise<Reply> {
  await runOps(ctx, r.translator, [{ kind: 'delete', id: pathId(ctx) }]);
  return { status: 204 };
}

async function getOne(r: NeutronResource, ctx: RequestContext): Promise<Reply> {
  const m = await ctx.storage.get(r.clazz, pathId(ctx));
  return { status: 200, body: fromProto(r.schema, m) };
}

async function list(r: NeutronResource, ctx: RequestContext): Promise<Reply> {
  const ids = await ctx.storage.listIds(r.clazz);
  const items = windowed(ids, LIST_WINDOW, async (id) => {
    const m = await ctx.storage.getOrNull(r.clazz, id);
    return m ? fromProto(r.schema, m) : undefined;
  });
  return { status: 200, items };
}

/** The routes of one resource. */
export function resourceRoutes(r: NeutronResource): RouteDef[] {
  const coll = `/neutron/${r.segment}`;
  const single = neutronType(r.name);
  const plural = neutronType(r.plural);
  const routes: RouteDef[] = [
    { method: 'GET', path: coll, regime: 'E', produces: [plural], handler: (c) => list(r, c) },
    { method: 'POST', path: coll, regime: 'E', consumes: r.bulk ? [single, plural] : [single], handler: (c) => create(r, c) },
    { method: 'GET', path: `${coll}/:id`, regime: 'E', produces: [single], handler: (c) => getOne(r, c) },
    { method: 'DELETE', path: `${coll}/:id`, handler: (c) => remove(r, c) },
  ];
  if (r.update === 'echo') routes.push({ method: 'PUT', path: `${coll}/:id`, regime: 'E', consumes: [single], handler: (c) => update(r, c) });
  if (r.update === 'noContent') routes.push({ method: 'PUT', path: `${coll}/:id`, regime: 'E', consumes: [single], handler: (c) => updateNoContent(r, c) });
  return routes;
}

/** The PUT of the original's newer resources: the body names the object, 204. */
async function updateNoContent(r: NeutronResource, ctx: RequestContext): Promise<Reply> {
  const id = pathId(ctx);
  const dto = parseDto(r.schema, requireObject(ctx.body));
  if (dto['id'] !== id) throw badRequest('Path ID does not match object ID');
  await runOps(ctx, r.translator, [{ kind: 'update', obj: asMessage(r.clazz, dto, r.schema) }]);
  return { status: 204 };
}
