/**
 * Field and link shapes that several resources share, so each declaration reads as a table.
 */
import type { Msg } from '../../../lib/models/types.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { T, V } from '../machinery/field-types.js';
import { getPath, setPath } from '../machinery/dto.js';
import type { Access, Dto, FieldDef, LinkDef, MediaDecl } from '../machinery/types.js';

export const idField: FieldDef = { json: 'id', type: T.uuid, access: 'create', proto: 'id' };

export const rw = (json: string, type: FieldDef['type'], proto: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  json, type, access: 'rw', proto, ...extra,
});
export const ro = (json: string, type: FieldDef['type'], proto: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  json, type, access: 'ro', proto, ...extra,
});

export const tenantField = rw('tenantId', T.string, 'tenant_id');
export const nameField = rw('name', T.string, 'name', { validators: [V.size(0, 255)] });
export const adminStateField = rw('adminStateUp', T.bool, 'admin_state_up', { default: true });

export const filterFields: FieldDef[] = [
  rw('inboundFilterId', T.uuid, 'inbound_filter_id'),
  rw('outboundFilterId', T.uuid, 'outbound_filter_id'),
];
export const mirrorFields: FieldDef[] = [
  rw('inboundMirrorIds', T.uuidList, 'inbound_mirror_ids'),
  rw('outboundMirrorIds', T.uuidList, 'outbound_mirror_ids'),
];

/** A link to another object by an id field of the stored object; null when unset. */
export function refLink(json: string, segment: string, protoField: string): LinkDef {
  return {
    json,
    href: ({ base, proto }) => (typeof proto[protoField] === 'string' ? `${base}/${segment}/${String(proto[protoField])}` : null),
  };
}

/** A link below this object's own uri. */
export function subLink(json: string, suffix: string): LinkDef {
  return { json, href: ({ self }) => `${self}/${suffix}` };
}

export const filterLinks: LinkDef[] = [
  refLink('inboundFilter', 'chains', 'inbound_filter_id'),
  refLink('outboundFilter', 'chains', 'outbound_filter_id'),
];

/** Media types `<name>-v<N>` for the given versions, plus application/json when allowed. */
export function media(name: string, versions: number[], opts: { json?: boolean; collectionJson?: boolean } = {}): MediaDecl {
  const json = opts.json ?? true;
  return {
    single: [...versions.map((v) => single(name, v)), ...(json ? [JSON_TYPE] : [])],
    collection: [...versions.map((v) => collection(name, v)), ...((opts.collectionJson ?? json) ? [JSON_TYPE] : [])],
  };
}

export const tenantFilter = { tenant_id: (p: Msg, v: string) => p['tenant_id'] === v };

/**
 * An IPv4 subnet that JSON splits into `<x>Address` + `<x>Length` and the model keeps as one
 * `IPSubnet` at `protoPath` (unset when the address is null).
 */
export function subnetPair(
  addrJson: string,
  lenJson: string,
  protoPath: string,
  opts: { access?: Access; required?: boolean } = {},
): FieldDef[] {
  const access = opts.access ?? 'create';
  const sub = (p: Msg): Msg | undefined => getPath(p, protoPath) as Msg | undefined;
  return [
    {
      json: addrJson,
      type: T.string,
      access,
      required: opts.required,
      validators: [V.ipv4()],
      owns: [protoPath],
      read: (p) => (sub(p)?.['address'] as string | undefined) ?? null,
      write: (v, p, dto: Dto) => {
        if (typeof v === 'string') setPath(p, protoPath, { version: 'V4', address: v, prefix_length: Number(dto[lenJson] ?? 0) });
      },
    },
    {
      json: lenJson,
      type: T.int32,
      access,
      default: 0,
      validators: [V.range(0, 32)],
      owns: [],
      read: (p) => Number(sub(p)?.['prefix_length'] ?? 0),
      write: () => undefined,
    },
  ];
}
