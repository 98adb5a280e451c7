/**
 * Rules (`/rules/{id}`, `/chains/{id}/rules`; rest-api-core.md §6.7). The JSON inlines the
 * condition (stored in `condition`) and the type's data (stored in the `rule_data` oneof); the
 * JSON `type` becomes the stored (`type`, `action`) pair. Position is the index in the chain's
 * `rule_ids`, never stored in the rule.
 */
import type { Condition, Int32Range, Rule, Rule_NatTarget } from '../../../lib/models/generated.js';
import { badRequest, type Violation } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { enumType, JsonMappingError, T, V, type FieldType } from '../machinery/field-types.js';
import { isIPv4 } from '../machinery/addresses.js';
import { requireObjectBody } from '../machinery/dto.js';
import { cachedGet } from '../machinery/handlers.js';
import type { Dto, FieldDef, ResourceDef, VariantDef } from '../machinery/types.js';
import { idField, media, subnetPair } from './common.js';
import { unlinkJump } from './chains.js';

type ConditionField = keyof Condition;
/** What has a condition: rules, and trace requests (traces.ts), which share these fields. */
export type Conditioned = { condition?: Condition };
const flag = (json: string, proto: ConditionField): FieldDef<Conditioned> => ({
  json,
  type: T.bool,
  access: 'create',
  proto: `condition.${proto}`,
  default: false,
});
const cond = (json: string, type: FieldType, proto: ConditionField, extra: Partial<FieldDef<Conditioned>> = {}): FieldDef<Conditioned> => ({
  json,
  type,
  access: 'create',
  proto: `condition.${proto}`,
  ...extra,
});

/** MACs in rule conditions: six groups of one or two hex digits. */
const MAC_PARSE = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;
const MAC_MASK = /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/;

/** `ffff.ff00.0000` ⇄ the int64 value of the 48-bit mask. */
const macMask: FieldType<string, bigint> = {
  name: 'MAC mask',
  empty: null,
  parse: T.string.parse,
  toProto: (v) => (MAC_MASK.test(v) ? BigInt(`0x${v.replace(/\./g, '')}`) : undefined),
  fromProto(v) {
    if (v === undefined) return null;
    const hex = v.toString(16).padStart(12, '0').slice(-12);
    return `${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8, 12)}`;
  },
};

/**
 * An ethertype. Some writers of the model store it as a signed 16-bit value (0x86dd as -31011);
 * the API shows it unsigned, as the original does.
 */
const etherType: FieldType<number> = {
  ...T.int32,
  name: 'ethertype',
  fromProto(v) {
    const n = T.int32.fromProto(v);
    return n !== null && n < 0 ? n & 0xffff : n;
  },
};

interface Range {
  start: number | null;
  end: number | null;
}

/** `{"start": a, "end": b}` ⇄ commons.Int32Range (unset bounds stay unset). */
const portRange: FieldType<Range, Int32Range> = {
  name: 'range',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected {"start", "end"}`);
    const r = raw as Record<string, unknown>;
    return { start: T.int32.parse(r['start'], `${field}.start`), end: T.int32.parse(r['end'], `${field}.end`) };
  },
  toProto(v) {
    const m: Int32Range = {};
    if (v.start !== null) m.start = v.start;
    if (v.end !== null) m.end = v.end;
    return m;
  },
  fromProto: (v) => (v === undefined ? null : { start: v.start ?? null, end: v.end ?? null }),
};

/** The original's `@ValidRange(min = 1, max = 0xFFFF)`: both bounds present, in range, ordered. */
const RANGE_NOT_VALID = 'Range is not valid.';
const rangeValid = (v: unknown): string | undefined => {
  const r = v as Range;
  if (r.start === null || r.end === null) return RANGE_NOT_VALID;
  const inRange = (n: number): boolean => n >= 1 && n <= 0xffff;
  if (!inRange(r.start) || !inRange(r.end) || r.start > r.end) return RANGE_NOT_VALID;
  return undefined;
};

/**
 * A condition subnet (`<x>Address` + `<x>Length`). The original's Condition carries its own
 * message for a bad address rather than the shared IpAddrInvalid one.
 */
function conditionSubnet(addrJson: string, lenJson: string, proto: ConditionField): FieldDef<Conditioned>[] {
  const [addr, len] = subnetPair<Conditioned>(addrJson, lenJson, `condition.${proto}`);
  if (!addr || !len) throw new Error('subnetPair returns an address and a length field');
  return [{ ...addr, validators: [V.ipv4('is an invalid IP format')] }, len];
}

const FRAG = { any: 'ANY', nonheader: 'NONHEADER', header: 'HEADER', unfragmented: 'UNFRAGMENTED' };

/** The condition's JSON fields, inlined in a rule's JSON, nested in a trace request's `condition`. */
export const conditionFields: FieldDef<Conditioned>[] = [
  flag('condInvert', 'conjunction_inv'),
  flag('matchForwardFlow', 'match_forward_flow'),
  flag('matchReturnFlow', 'match_return_flow'),
  cond('inPorts', T.uuidList, 'in_port_ids', { ref: ['Port'] }),
  flag('invInPorts', 'in_port_inv'),
  cond('outPorts', T.uuidList, 'out_port_ids', { ref: ['Port'] }),
  flag('invOutPorts', 'out_port_inv'),
  cond('portGroup', T.uuid, 'port_group_id', { ref: ['PortGroup'] }),
  flag('invPortGroup', 'inv_port_group'),
  cond('ipAddrGroupSrc', T.uuid, 'ip_addr_group_id_src', { ref: ['IPAddrGroup'] }),
  flag('invIpAddrGroupSrc', 'inv_ip_addr_group_id_src'),
  cond('ipAddrGroupDst', T.uuid, 'ip_addr_group_id_dst', { ref: ['IPAddrGroup'] }),
  flag('invIpAddrGroupDst', 'inv_ip_addr_group_id_dst'),
  cond('dlType', etherType, 'dl_type', { validators: [V.range(0x600, 0xffff)] }),
  flag('invDlType', 'inv_dl_type'),
  cond('dlSrc', T.string, 'dl_src', { validators: [V.pattern(MAC_PARSE, message('MacAddressInvalid'))] }),
  cond('dlSrcMask', macMask, 'dl_src_mask', { validators: [V.pattern(MAC_MASK, message('MacMaskInvalid'))] }),
  flag('invDlSrc', 'inv_dl_src'),
  cond('dlDst', T.string, 'dl_dst', { validators: [V.pattern(MAC_PARSE, message('MacAddressInvalid'))] }),
  cond('dlDstMask', macMask, 'dl_dst_mask', { validators: [V.pattern(MAC_MASK, message('MacMaskInvalid'))] }),
  flag('invDlDst', 'inv_dl_dst'),
  // the original range-checks none of nwTos, nwProto, vlan (§6.7): out-of-range values are stored as given
  cond('nwTos', T.int32, 'nw_tos'),
  flag('invNwTos', 'nw_tos_inv'),
  cond('nwProto', T.int32, 'nw_proto'),
  flag('invNwProto', 'nw_proto_inv'),
  ...conditionSubnet('nwSrcAddress', 'nwSrcLength', 'nw_src_ip'),
  ...conditionSubnet('nwDstAddress', 'nwDstLength', 'nw_dst_ip'),
  cond('tpSrc', portRange, 'tp_src', { validators: [rangeValid] }),
  cond('tpDst', portRange, 'tp_dst', { validators: [rangeValid] }),
  flag('invNwSrc', 'nw_src_inv'),
  flag('invNwDst', 'nw_dst_inv'),
  flag('invTpSrc', 'tp_src_inv'),
  flag('invTpDst', 'tp_dst_inv'),
  cond('traversedDevice', T.uuid, 'traversed_device', { ref: ['Network', 'Router', 'Port'] }),
  flag('invTraversedDevice', 'traversed_device_inv'),
  {
    // Computed when absent and checked against the rule's shape by the resource's validate hook.
    json: 'fragmentPolicy',
    type: enumType(FRAG, message('FragPolicyUndefined')),
    access: 'create',
    proto: 'condition.fragment_policy',
  },
  flag('noVlan', 'no_vlan'),
  cond('vlan', T.uint32, 'vlan'),
  ...conditionSubnet('icmpDataSrcIpAddress', 'icmpDataSrcIpLength', 'icmp_data_src_ip'),
  flag('invIcmpDataSrcIp', 'icmp_data_src_ip_inv'),
  ...conditionSubnet('icmpDataDstIpAddress', 'icmpDataDstIpLength', 'icmp_data_dst_ip'),
  flag('invIcmpDataDstIp', 'icmp_data_dst_ip_inv'),
  cond('inPortGroup', T.uuid, 'in_port_group_id', { ref: ['PortGroup'] }),
  flag('invInPortGroup', 'inv_in_port_group'),
  cond('outPortGroup', T.uuid, 'out_port_group_id', { ref: ['PortGroup'] }),
  flag('invOutPortGroup', 'inv_out_port_group'),
  flag('matchNwDstRewritten', 'match_nw_dst_rewritten'),
];

const commonFields: FieldDef<Rule>[] = [
  idField,
  { json: 'chainId', type: T.uuid, access: 'ro', proto: 'chain_id' },
  // Not stored: the rule's place in its chain's rule_ids (see afterCreate and decorate).
  // 0 means 1 (the original's create() runs before its @Min(1) check), so only negatives are violations.
  {
    json: 'position',
    type: T.int32,
    access: 'create',
    default: 1,
    owns: [],
    write: () => undefined,
    read: () => null,
    validators: [(v) => (typeof v === 'number' && v < 0 ? message('MinValue', 1) : undefined)],
  },
  { json: 'meterName', type: T.string, access: 'ro', read: () => null },
  ...conditionFields,
];

function flowAction(allowed: Record<string, Rule['action']>): FieldDef<Rule> {
  const names = Object.keys(allowed);
  return {
    json: 'flowAction',
    type: T.string,
    access: 'create',
    required: true,
    owns: [],
    // the original's @Pattern(regexp = "accept|continue|return") and its default message
    validators: [V.pattern(new RegExp(`^(${names.join('|')})$`), `must match "${names.join('|')}"`)],
    read: (p) => p.action?.toLowerCase() ?? null,
    write: (v, p) => {
      const a = allowed[String(v)];
      if (a) p.action = a;
    },
  };
}

const NAT_ACTIONS: Record<string, Rule['action']> = { accept: 'ACCEPT', continue: 'CONTINUE', return: 'RETURN' };

interface NatTarget {
  addressFrom: string | null;
  addressTo: string | null;
  portFrom: number;
  portTo: number;
}

const natTargets: FieldType<NatTarget[], Rule_NatTarget[]> = {
  name: 'NAT targets',
  empty: [],
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (!Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected an array`);
    return raw.map((t) => {
      if (t === null || typeof t !== 'object') throw new JsonMappingError(`Invalid value for field '${field}': expected objects`);
      const o = t as Record<string, unknown>;
      return {
        addressFrom: T.string.parse(o['addressFrom'], 'addressFrom'),
        addressTo: T.string.parse(o['addressTo'], 'addressTo'),
        portFrom: T.int32.parse(o['portFrom'], 'portFrom') ?? 0,
        portTo: T.int32.parse(o['portTo'], 'portTo') ?? 0,
      };
    });
  },
  toProto: (v) =>
    v.map((t) => ({
      nw_start: { version: 'V4', address: t.addressFrom ?? '' },
      nw_end: { version: 'V4', address: t.addressTo ?? '' },
      tp_start: t.portFrom,
      tp_end: t.portTo,
    })),
  fromProto: (v) =>
    (v ?? []).map((t) => ({
      addressFrom: t.nw_start?.address ?? null,
      addressTo: t.nw_end?.address ?? null,
      portFrom: t.tp_start ?? 0,
      portTo: t.tp_end ?? 0,
    })),
};

const targetsValid = (v: unknown): string | undefined => {
  const list = v as NatTarget[];
  if (list.length === 0) return 'size must be between 1 and 2147483647';
  for (const t of list) {
    if (!t.addressFrom || !isIPv4(t.addressFrom) || !t.addressTo || !isIPv4(t.addressTo)) return message('IpAddrInvalid');
    if (t.portFrom < 0 || t.portFrom > 65535 || t.portTo < 0 || t.portTo > 65535 || t.portFrom > t.portTo) return RANGE_NOT_VALID;
  }
  return undefined;
};

const typeIs = (p: Rule, t: Rule['type']): boolean => (p.type ?? 'LITERAL_RULE') === t;

function literal(name: string, action: Rule['action']): VariantDef<Rule> {
  return {
    inputNames: [name],
    outputName: name,
    fields: [],
    matches: (p) => typeIs(p, 'LITERAL_RULE') && (p.action ?? 'ACCEPT') === action,
    stamp: (p) => {
      p.type = 'LITERAL_RULE';
      p.action = action;
    },
  };
}

function natVariant(name: string, dnat: boolean, reverse: boolean): VariantDef<Rule> {
  return {
    inputNames: [name],
    outputName: name,
    fields: [
      flowAction(NAT_ACTIONS),
      ...(reverse
        ? []
        : [
            {
              json: 'natTargets',
              type: natTargets,
              access: 'create',
              required: true,
              proto: 'nat_rule_data.nat_targets',
              validators: [targetsValid],
            } satisfies FieldDef<Rule>,
          ]),
    ],
    matches: (p) => typeIs(p, 'NAT_RULE') && Boolean(p.nat_rule_data?.dnat) === dnat && Boolean(p.nat_rule_data?.reverse) === reverse,
    stamp: (p) => {
      p.type = 'NAT_RULE';
      p.nat_rule_data = { nat_targets: p.nat_rule_data?.nat_targets ?? [], dnat, reverse };
    },
  };
}

const VARIANTS: VariantDef<Rule>[] = [
  literal('accept', 'ACCEPT'),
  literal('drop', 'DROP'),
  literal('reject', 'REJECT'),
  literal('return', 'RETURN'),
  {
    inputNames: ['jump'],
    outputName: 'jump',
    fields: [
      { json: 'jumpChainId', type: T.uuid, access: 'create', required: true, proto: 'jump_rule_data.jump_chain_id', ref: ['Chain'] },
      { json: 'jumpChainName', type: T.string, access: 'create', proto: 'jump_rule_data.jump_chain_name' },
    ],
    matches: (p) => typeIs(p, 'JUMP_RULE'),
    stamp: (p) => {
      p.type = 'JUMP_RULE';
      p.action = 'JUMP';
    },
  },
  natVariant('dnat', true, false),
  natVariant('snat', false, false),
  natVariant('rev_dnat', true, true),
  natVariant('rev_snat', false, true),
  {
    // requestId and limit are accepted and, as in the original, not persisted.
    inputNames: ['trace'],
    outputName: 'trace',
    fields: [
      { json: 'requestId', type: T.uuid, access: 'create', required: true, owns: [], write: () => undefined, read: () => null, ref: ['TraceRequest'] },
      { json: 'limit', type: T.int64, access: 'create', owns: [], write: () => undefined, read: () => 0 },
    ],
    matches: (p) => typeIs(p, 'TRACE_RULE') || typeIs(p, 'LITERAL_RULE'),
    stamp: (p) => {
      p.type = 'TRACE_RULE';
      p.action = 'CONTINUE';
    },
  },
  {
    inputNames: ['l2_transform'],
    outputName: 'l2_transform',
    fields: [
      flowAction({ accept: 'ACCEPT', redirect: 'REDIRECT' }),
      { json: 'popVlan', type: T.bool, access: 'create', default: false, proto: 'transform_rule_data.pop_vlan' },
      { json: 'pushVlan', type: T.uint32, access: 'create', default: 0, proto: 'transform_rule_data.push_vlan', validators: [V.range(0, 65535)] },
      { json: 'targetPortId', type: T.uuid, access: 'create', proto: 'transform_rule_data.target_port_id', ref: ['Port'] },
      { json: 'ingress', type: T.bool, access: 'create', default: false, proto: 'transform_rule_data.ingress' },
      { json: 'failOpen', type: T.bool, access: 'create', default: false, proto: 'transform_rule_data.fail_open' },
    ],
    matches: (p) => typeIs(p, 'L2TRANSFORM_RULE'),
    stamp: (p) => {
      p.type = 'L2TRANSFORM_RULE';
    },
  },
];

/**
 * The fragment policy rules of §6.7: computed when absent, and only some values allowed for L4
 * rules and for NAT rules that are not floating-IP style. Violations are class-level (property '').
 */
export function checkFragmentPolicy(dto: Dto, type: string): Violation[] {
  const l4 = dto['tpSrc'] !== null || dto['tpDst'] !== null;
  const given = dto['fragmentPolicy'] as string | null;
  if (type === 'dnat' || type === 'snat') {
    const targets = (dto['natTargets'] as NatTarget[] | null) ?? [];
    const t = targets[0];
    const floatingIp = targets.length === 1 && t !== undefined && t.addressFrom === t.addressTo && t.portFrom === 0 && t.portTo === 0;
    if (!floatingIp || l4) {
      if (given !== null && given !== 'unfragmented') return [{ property: '', message: message('FragPolicyInvalidForNatRule') }];
      dto['fragmentPolicy'] = 'unfragmented';
    } else if (given === null) {
      dto['fragmentPolicy'] = 'any';
    }
    return [];
  }
  if (l4) {
    if (given === 'any' || given === 'nonheader') return [{ property: '', message: message('FragPolicyInvalidForL4Rule') }];
    if (given === null) dto['fragmentPolicy'] = 'header';
  } else if (given === null) {
    dto['fragmentPolicy'] = 'any';
  }
  return [];
}

export const rules: ResourceDef<'Rule'> = {
  name: 'rule',
  clazz: 'Rule',
  segment: 'rules',
  media: media('Rule', [2]),
  discriminator: 'type',
  fields: commonFields,
  variants: VARIANTS,
  list: false,
  update: false,
  delete: { missing: 404 },
  parents: [{ segment: 'chains', clazz: 'Chain', childIds: 'rule_ids', parentRef: 'chain_id' }],
  project: { via: [{ field: 'chain_id', clazz: 'Chain' }] },
  hooks: {
    validate(dto, ctx) {
      const type = String(requireObjectBody(ctx.body)['type']);
      return checkFragmentPolicy(dto, type);
    },
    async afterCreate(tx, proto, dto) {
      const id = String(proto.id);
      const chain = await tx.get('Chain', String(proto.chain_id));
      const order = (chain.rule_ids ?? []).filter((x) => x !== id);
      const position = Math.max(1, Number(dto['position'] ?? 1));
      if (position > order.length + 1) {
        throw badRequest('Position exceeds number of rules in chain');
      }
      order.splice(position - 1, 0, id);
      chain.rule_ids = order;
      await tx.update('Chain', chain);
      const jumpTo = proto.jump_rule_data?.jump_chain_id;
      if (jumpTo !== undefined) {
        const target = await tx.get('Chain', jumpTo);
        target.jump_rule_ids = [...(target.jump_rule_ids ?? []), id];
        await tx.update('Chain', target);
      }
    },
    async beforeDelete(tx, rule) {
      await unlinkJump(tx, rule);
    },
    async decorate(json, proto, ctx) {
      const chainId = proto.chain_id;
      if (chainId === undefined) return;
      const chain = await cachedGet(ctx, 'Chain', chainId);
      const at = (chain?.rule_ids ?? []).indexOf(String(proto.id));
      json['position'] = at >= 0 ? at + 1 : null;
    },
  },
};
