/**
 * IP address groups (`/ip_addr_groups`, rest-api-core.md §6.9) and their addresses, kept as
 * `ip_addr_ports` entries of the group. Addresses compare by value, whatever their spelling.
 */
import type { IPAddrGroup, IPAddrGroup_IPAddrPorts } from '../../../lib/models/generated.js';
import { badRequest, conflict, notFound, validationError, type HttpError } from '../../../lib/http/errors.js';
import { collection, single } from '../../../lib/http/media-types.js';
import { message } from '../../../lib/http/messages.js';
import { formatIPv6, parseIPv6 } from '../machinery/addresses.js';
import { T, V, type FieldType } from '../machinery/field-types.js';
import { inParent, type Held } from '../machinery/entries.js';
import { pathId } from '../machinery/handlers.js';
import { parseInput } from '../machinery/dto.js';
import type { EntriesDef, FieldDef, RequestContext, ResourceDef } from '../machinery/types.js';
import { idField, subLink } from './common.js';

/** The original parses IPv4 leniently (`010.000.000.002` is 10.0.0.2) and prints it plainly. */
export function canonicalAddress(text: string): { version: 4 | 6; address: string } | undefined {
  const parts = text.split('.');
  if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return { version: 4, address: parts.map((p) => String(Number(p))).join('.') };
  }
  const six = parseIPv6(text);
  return six ? { version: 6, address: formatIPv6(six) } : undefined;
}

interface AddrPorts {
  ipAddress: string | null;
  portIds: string[];
}

const ipAddrPorts: FieldType<AddrPorts[], IPAddrGroup_IPAddrPorts[]> = {
  name: 'ipAddrPorts',
  empty: [],
  parse: () => null,
  toProto: () => undefined,
  fromProto: (v) => (v ?? []).map((e) => ({ ipAddress: e.ip_address?.address ?? null, portIds: e.port_ids ?? [] })),
};

export const ipAddrGroups: ResourceDef<'IPAddrGroup'> = {
  name: 'IP address group',
  clazz: 'IPAddrGroup',
  segment: 'ip_addr_groups',
  media: { single: [single('IpAddrGroup', 1)], collection: [collection('IpAddrGroup', 1)] },
  fields: [
    idField,
    { json: 'name', type: T.string, access: 'create', proto: 'name', required: true, validators: [V.size(1, 255)] },
    { json: 'ipAddrPorts', type: ipAddrPorts, access: 'ro', proto: 'ip_addr_ports' },
    { json: 'inboundChainId', type: T.uuid, access: 'ro', proto: 'inbound_chain_id' },
    { json: 'outboundChainId', type: T.uuid, access: 'ro', proto: 'outbound_chain_id' },
    { json: 'ruleIds', type: T.uuidList, access: 'ro', proto: 'rule_ids' },
  ],
  links: [subLink('addrs', 'ip_addrs')],
  create: {},
  update: false,
  delete: { missing: 204 },
};

const ADDR = single('IpAddrGroupAddr', 1);
const ADDRS = collection('IpAddrGroupAddr', 1);

/** The address of an entry in its canonical text; undefined when it is not an address. */
function keyOf(entry: IPAddrGroup_IPAddrPorts): string | undefined {
  const a = entry.ip_address?.address;
  return a === undefined ? undefined : canonicalAddress(a)?.address;
}

/** The original's answer to an IP version other than 4 or 6, in a body or a path. */
function badVersion(v: unknown): HttpError {
  return badRequest(`Invalid IP version: ${String(v)}`);
}

/**
 * `{v}` and `{addr}` of an address URI. `{v}` is an integer path parameter in the original: text
 * that is no integer names no resource (404), an integer other than 4 or 6 is a 400. The address
 * may be written in any form that parses to the stored one.
 */
function addressParams(ctx: RequestContext): string {
  const v = ctx.params['version'] ?? '';
  if (!/^\d{1,9}$/.test(v)) throw notFound('The requested resource was not found.');
  if (Number(v) !== 4 && Number(v) !== 6) throw badVersion(Number(v));
  const raw = ctx.params['addr'] ?? '';
  const parsed = canonicalAddress(raw);
  if (!parsed) throw badRequest(message('IpAddrInvalidWithParam', raw));
  return parsed.address;
}

/** The address of a POST body; `version` is its discriminator (4 or 6, as a number or a string). */
const ADDR_FIELDS: FieldDef[] = [{ json: 'addr', type: T.string, access: 'create', required: true }];

/** A POST body: the version and text as sent, the address in its canonical form and family. */
interface AddrInput {
  version: 4 | 6;
  raw: string;
  address: string;
  family: 4 | 6;
}

function parseAddrBody(body: Record<string, unknown>): AddrInput {
  const version = body['version'];
  if (version === undefined || version === null) throw validationError([{ property: 'version', message: message('NonNull') }]);
  if ((typeof version !== 'number' && typeof version !== 'string') || (String(version) !== '4' && String(version) !== '6')) {
    throw badVersion(typeof version === 'object' ? JSON.stringify(version) : version);
  }
  const { dto, violations } = parseInput(ADDR_FIELDS, body, 'create');
  const raw = dto['addr'];
  if (violations.length > 0 || typeof raw !== 'string') throw validationError(violations);
  const parsed = canonicalAddress(raw);
  if (!parsed) throw badRequest(message('IpAddrInvalidWithParam', raw));
  return { version: String(version) === '4' ? 4 : 6, raw, address: parsed.address, family: parsed.version };
}

/** The addresses of a group (`/ip_addr_groups/{id}/ip_addrs`): its `ip_addr_ports` entries. */
export const ipAddrGroupAddrs: EntriesDef<Held<IPAddrGroup, IPAddrGroup_IPAddrPorts>, AddrInput> = {
  name: 'IP address group address',
  parent: 'IPAddrGroup',
  path: '/ip_addr_groups/:id/ip_addrs',
  itemPath: '/ip_addr_groups/:id/versions/:version/ip_addrs/:addr',
  media: { collection: [ADDRS], single: [ADDR], consumes: [ADDR] },
  pathKey: addressParams,
  parse: (_ctx, body) => parseAddrBody(body),
  store: inParent({
    parent: 'IPAddrGroup',
    field: 'ip_addr_ports',
    key: keyOf,
    entry: (input: AddrInput): IPAddrGroup_IPAddrPorts => ({ ip_address: { version: input.family === 4 ? 'V4' : 'V6', address: input.address } }),
    duplicate: (_ctx, _group, entry) => conflict(`The IP address group already contains ${String(keyOf(entry))}.`),
  }),
  render(ctx, { parent, entry }) {
    const a = canonicalAddress(entry.ip_address?.address ?? '');
    if (!a) return undefined;
    const groupId = String(parent.id);
    return {
      version: a.version,
      addr: a.address,
      ipAddrGroupId: groupId,
      uri: `${ctx.base}/ip_addr_groups/${groupId}/versions/${a.version}/ip_addrs/${encodeURIComponent(a.address)}`,
      ipAddrGroup: `${ctx.base}/ip_addr_groups/${groupId}`,
    };
  },
  // the text as sent, under the version the address is stored as: its family decides (a v6
  // address posted as version 4 is stored as v6), and the Location says so; GET/DELETE match the
  // address by value, so the text as sent names it
  location: (ctx, input) => `${ctx.base}/ip_addr_groups/${pathId(ctx)}/versions/${input.family}/ip_addrs/${encodeURIComponent(input.raw)}`,
  missing: {
    get: (ctx) => notFound(`The IP address group does not contain ${addressParams(ctx)}.`),
    delete: 'ignore',
  },
};
