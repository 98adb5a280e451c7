/**
 * Trace requests (`/traces`, rest-api-extras.md §5.1): while one is enabled, the agents trace the
 * packets that match its condition on its device (a bridge, a router or a port) and record them
 * in Cassandra (flow-traces.ts serves those). Stored with exactly one of port/network/router id,
 * whose binding both checks that the device exists as that type and deletes the request with
 * its device.
 */
import type { Condition, TraceRequest } from '../../../lib/models/generated.js';
import { badRequest, type Violation } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { buildProto, parseInput, readField } from '../machinery/dto.js';
import { enumType, JsonMappingError, T, type FieldType } from '../machinery/field-types.js';
import { cachedGet, renderAll } from '../machinery/handlers.js';
import type { Dto, RequestContext, ResourceDef, RouteDef } from '../machinery/types.js';
import { idField, media, rw } from './common.js';
import { conditionFields, type Conditioned } from './rules.js';

const TRACE_MEDIA = media('TraceRequest', [1]);

// ---- 64-bit integers --------------------------------------------------------------------

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/**
 * A Java `long` stored in a uint64 field, exactly (JSON integers beyond 2^53 arrive as bigints,
 * lib/http/json.ts). Negative values keep their two's-complement bits, as the original's
 * conversion does, and read back as they were written.
 */
const long: FieldType<bigint, bigint> = {
  name: 'long',
  empty: null,
  // a Java primitive: JSON null is 0, as the original's mapper makes it (an absent key is the default)
  nullValue: 0n,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    let v: bigint | undefined;
    if (typeof raw === 'bigint') v = raw;
    else if (typeof raw === 'number' && Number.isInteger(raw)) v = BigInt(raw);
    else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) v = BigInt(raw.trim());
    if (v === undefined || v < LONG_MIN || v > LONG_MAX) {
      throw new JsonMappingError(`Invalid value for field '${field}': expected a 64-bit integer, got ${typeof raw === 'bigint' ? raw : JSON.stringify(raw)}`);
    }
    return v;
  },
  toProto: (v) => BigInt.asUintN(64, v),
  fromProto: (v) => (v === undefined ? null : BigInt.asIntN(64, v)),
};

// ---- the condition ----------------------------------------------------------------------

/** A condition object as parsed: its fields' values, and what is wrong with them. */
interface ParsedCondition {
  dto: Dto;
  violations: Violation[];
}

/** The condition object (`{nwSrcAddress, …, "uri": null}`), its fields as a rule's condition has them. */
const conditionObject: FieldType<ParsedCondition, Condition> = {
  name: 'Condition',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected a condition object`);
    return parseInput(conditionFields, raw as Record<string, unknown>, 'create');
  },
  toProto: (v) => buildProto<Conditioned>(conditionFields, v.dto, 'create').condition ?? {},
  fromProto(v) {
    if (v === undefined) return null;
    const holder: Conditioned = { condition: v };
    const dto: Dto = {};
    for (const f of conditionFields) dto[f.json] = readField(f, holder);
    // the original's condition is a resource without a URI of its own
    return { dto: { ...dto, uri: null }, violations: [] };
  },
};

/**
 * The condition's checks: its fields' violations, named below `condition`, then the fragment
 * policy as the original's Condition computes it (a rule adds NAT cases of its own, rules.ts).
 */
function checkCondition(parsed: ParsedCondition | null): Violation[] {
  if (parsed === null) return [];
  const violations = parsed.violations.map((v) => ({ ...v, property: `condition.${v.property}` }));
  if (violations.length > 0) return violations;
  const dto = parsed.dto;
  const l4 = dto['tpSrc'] !== null || dto['tpDst'] !== null;
  const given = dto['fragmentPolicy'];
  if (given === null) dto['fragmentPolicy'] = l4 ? 'header' : 'any';
  else if (l4 && (given === 'any' || given === 'nonheader')) throw badRequest(message('FragPolicyInvalidForL4Rule'));
  return [];
}

// ---- the device -------------------------------------------------------------------------

const DEVICE_FIELD = { BRIDGE: 'network_id', PORT: 'port_id', ROUTER: 'router_id' } as const;
type DeviceType = keyof typeof DEVICE_FIELD;

function deviceOf(p: TraceRequest): { type: DeviceType; id: string } | null {
  if (p.port_id !== undefined) return { type: 'PORT', id: p.port_id };
  if (p.network_id !== undefined) return { type: 'BRIDGE', id: p.network_id };
  if (p.router_id !== undefined) return { type: 'ROUTER', id: p.router_id };
  return null;
}

export const traces: ResourceDef<'TraceRequest'> = {
  name: 'trace request',
  clazz: 'TraceRequest',
  segment: 'traces',
  media: TRACE_MEDIA,
  fields: [
    idField,
    rw('name', T.string, 'name', { required: true }),
    {
      json: 'deviceType',
      type: enumType({ BRIDGE: 'BRIDGE', PORT: 'PORT', ROUTER: 'ROUTER' }),
      access: 'rw',
      required: true,
      owns: ['port_id', 'network_id', 'router_id'],
      read: (p) => deviceOf(p)?.type ?? null,
      // the binding of the field set here checks that the device exists as that type (404)
      write: (v, p, dto) => {
        const id = dto['deviceId'];
        if (typeof v === 'string' && typeof id === 'string') p[DEVICE_FIELD[v as DeviceType]] = id;
      },
    },
    { json: 'deviceId', type: T.uuid, access: 'rw', required: true, owns: [], read: (p) => deviceOf(p)?.id ?? null, write: () => undefined },
    {
      json: 'condition',
      type: conditionObject,
      access: 'rw',
      required: true,
      owns: ['condition'],
      read: (p) => conditionObject.fromProto(p.condition)?.dto ?? null,
      write: (v, p) => {
        if (v !== null && v !== undefined) p.condition = conditionObject.toProto(v as ParsedCondition);
      },
    },
    {
      // the server's time when absent, as the original's model defaults it when a body is read
      json: 'creationTimestampMs',
      type: long,
      access: 'rw',
      owns: ['create_timestamp_ms'],
      read: (p) => long.fromProto(p.create_timestamp_ms) ?? 0n,
      write: (v, p) => {
        p.create_timestamp_ms = long.toProto(typeof v === 'bigint' ? v : BigInt(Date.now()));
      },
    },
    rw('limit', long, 'limit', { default: LONG_MAX }),
    rw('enabled', T.bool, 'enabled', { default: false }),
  ],
  links: [{ json: 'flows', href: ({ self }) => `${self}/flows` }],
  // GET /traces is traceList below (its tenant filter reads the devices)
  list: false,
  create: {},
  update: {},
  delete: { missing: 204 },
  // no project rule: with tenant scoping, trace requests stay the admins' (a PUT can move one to
  // another device, which the project checks of a PUT do not look at)
  hooks: {
    validate(dto) {
      return checkCondition(dto['condition'] as ParsedCondition | null);
    },
  },
};

// ---- the list ---------------------------------------------------------------------------

/** The tenant of a trace request's device: a bridge's or router's own, a port's device's. */
async function tenantOf(ctx: RequestContext, tr: TraceRequest): Promise<string | undefined> {
  const device = deviceOf(tr);
  if (!device) return undefined;
  let bridgeId: string | undefined;
  let routerId: string | undefined;
  if (device.type === 'BRIDGE') bridgeId = device.id;
  else if (device.type === 'ROUTER') routerId = device.id;
  else {
    const port = await cachedGet(ctx, 'Port', device.id);
    bridgeId = port?.network_id;
    routerId = port?.network_id === undefined ? port?.router_id : undefined;
  }
  if (bridgeId !== undefined) return (await cachedGet(ctx, 'Network', bridgeId))?.tenant_id;
  if (routerId !== undefined) return (await cachedGet(ctx, 'Router', routerId))?.tenant_id;
  return undefined;
}

export const traceList: RouteDef = {
  method: 'GET',
  path: '/traces',
  regime: 'G',
  produces: TRACE_MEDIA.collection,
  async handler(ctx) {
    const all = await ctx.storage.getExisting('TraceRequest', await ctx.storage.listIds('TraceRequest'));
    const tenant = ctx.query['tenant_id'];
    let kept = all;
    if (tenant !== undefined) {
      const owners = await Promise.all(all.map((tr) => tenantOf(ctx, tr)));
      kept = all.filter((_tr, i) => owners[i] === tenant);
    }
    return { status: 200, body: await renderAll(traces, kept, ctx) };
  },
};
