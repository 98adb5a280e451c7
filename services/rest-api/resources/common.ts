/**
 * Field and link shapes that several resources share, so each declaration reads as a table.
 * Shared fields are declared on the smallest message that has their proto fields
 * (`FieldDef<{ tenant_id?: string }>`), so they fit every resource whose message has them.
 */
import type { IPSubnet } from '../../../lib/models/generated.js';
import type { Msg } from '../../../lib/models/types.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { T, V } from '../machinery/field-types.js';
import { getPath, setPath } from '../machinery/dto.js';
import type { Access, Dto, FieldDef, FieldPath, Filter, LinkDef, MediaDecl } from '../machinery/types.js';

export const idField: FieldDef<{ id?: string }> = { json: 'id', type: T.uuid, access: 'create', proto: 'id' };

/** A read-write field of the resource's message M (inferred from where the field is used). */
export const rw = <M>(json: string, type: FieldDef['type'], proto: NoInfer<FieldPath<M>>, extra: Partial<FieldDef<M>> = {}): FieldDef<M> => ({
  json,
  type,
  access: 'rw',
  proto,
  ...extra,
});
/** A read-only field of the resource's message M (inferred from where the field is used). */
export const ro = <M>(json: string, type: FieldDef['type'], proto: NoInfer<FieldPath<M>>, extra: Partial<FieldDef<M>> = {}): FieldDef<M> => ({
  json,
  type,
  access: 'ro',
  proto,
  ...extra,
});

export const tenantField: FieldDef<{ tenant_id?: string }> = rw('tenantId', T.string, 'tenant_id');
export const nameField: FieldDef<{ name?: string }> = rw('name', T.string, 'name', { validators: [V.size(0, 255)] });
export const adminStateField: FieldDef<{ admin_state_up?: boolean }> = rw('adminStateUp', T.bool, 'admin_state_up', { default: true });

type Filtered = { inbound_filter_id?: string; outbound_filter_id?: string };
type Mirrored = { inbound_mirror_ids?: string[]; outbound_mirror_ids?: string[] };

export const filterFields: FieldDef<Filtered>[] = [rw('inboundFilterId', T.uuid, 'inbound_filter_id'), rw('outboundFilterId', T.uuid, 'outbound_filter_id')];
export const mirrorFields: FieldDef<Mirrored>[] = [
  rw('inboundMirrorIds', T.uuidList, 'inbound_mirror_ids'),
  rw('outboundMirrorIds', T.uuidList, 'outbound_mirror_ids'),
];

/** The string keys of M whose values are strings (ids). */
type IdField<M> = { [K in keyof M & string]-?: NonNullable<M[K]> extends string ? K : never }[keyof M & string];

/** A link to another object by an id field of the stored object; null when unset. */
export function refLink<M>(json: string, segment: string, protoField: NoInfer<IdField<M>>): LinkDef<M> {
  return {
    json,
    href: ({ base, proto }) => {
      const id = proto[protoField];
      return typeof id === 'string' ? `${base}/${segment}/${id}` : null;
    },
  };
}

/** A link below this object's own uri. */
export function subLink(json: string, suffix: string): LinkDef<object> {
  return { json, href: ({ self }) => `${self}/${suffix}` };
}

export const filterLinks: LinkDef<Filtered>[] = [
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

export const tenantFilter: Record<string, Filter<{ tenant_id?: string }>> = { tenant_id: (p, v) => p.tenant_id === v };

/**
 * An IPv4 subnet that JSON splits into `<x>Address` + `<x>Length` and the model keeps as one
 * `IPSubnet` at `protoPath` (unset when the address is null). Called as `subnetPair<Route>(…)`:
 * the path is checked against that message.
 */
export function subnetPair<M extends Msg>(
  addrJson: string,
  lenJson: string,
  protoPath: NoInfer<FieldPath<M>>,
  opts: { access?: Access; required?: boolean } = {},
): FieldDef<M>[] {
  const access = opts.access ?? 'create';
  // the path names an IPSubnet of M (the callers' paths do)
  const sub = (p: M): IPSubnet | undefined => getPath(p, protoPath) as IPSubnet | undefined;
  return [
    {
      json: addrJson,
      type: T.string,
      access,
      required: opts.required,
      validators: [V.ipv4()],
      owns: [protoPath],
      read: (p) => sub(p)?.address ?? null,
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
      read: (p) => Number(sub(p)?.prefix_length ?? 0),
      write: () => undefined,
    },
  ];
}
