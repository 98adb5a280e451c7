/**
 * QoS (rest-api-extras.md §5.3): policies (`/qos_policies`, Neutron-like field names) and their
 * bandwidth-limit and DSCP-marking rules (`/qos_policies/{id}/qos_bw_limit_rules`,
 * `/qos_bw_limit_rules/{id}`, and the same for `qos_dscp_rules`). Ports and bridges attach a
 * policy through their `qosPolicyId`; the bindings cascade a policy's rules and clear the
 * attachments when it goes.
 *
 * A policy's `rules` is write-only: Neutron's QoS driver (networking-midonet) posts and puts its
 * whole policy dict, rules included; each entry becomes (or updates, or removes) a top-level rule
 * object, as the original does. GET always shows `"rules": null`.
 */
import type { QosRuleBandwidthLimit, QosRuleDscp } from '../../../lib/models/generated.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { badRequest } from '../../../lib/http/errors.js';
import { JsonMappingError, T, type FieldType } from '../machinery/field-types.js';
import type { Dto, ResourceDef } from '../machinery/types.js';
import { idField, media, ro, rw, subLink } from './common.js';

const BW_LIMIT = 'bandwidth_limit';
const DSCP_MARKING = 'dscp_marking';

/** One entry of a policy's `rules`, as Neutron sends it (other keys ignored). */
interface EmbeddedRule {
  id: string;
  type: typeof BW_LIMIT | typeof DSCP_MARKING;
  maxKbps: number | null;
  maxBurstKb: number | null;
  dscpMark: number | null;
}

function parseRule(raw: unknown, field: string): EmbeddedRule {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new JsonMappingError(`Invalid value for field '${field}': expected rule objects`);
  }
  const o = raw as Record<string, unknown>;
  const id = T.uuid.parse(o['id'], `${field}.id`);
  if (id === null) throw new JsonMappingError(`Invalid value for field '${field}': every rule needs an id`);
  const type = o['type'];
  // the original fails with a 500 on an unknown type; a 400 says what is wrong
  if (type !== BW_LIMIT && type !== DSCP_MARKING) {
    throw new JsonMappingError(`Invalid rule type ${JSON.stringify(type) ?? 'null'} in '${field}': must be ${BW_LIMIT} or ${DSCP_MARKING}`);
  }
  const rule: EmbeddedRule = {
    id,
    type,
    maxKbps: T.int32.parse(o['max_kbps'], `${field}.max_kbps`),
    // Neutron's key; stored and shown elsewhere as max_burst_kb / maxBurstKb
    maxBurstKb: T.int32.parse(o['max_burst_kbps'], `${field}.max_burst_kbps`),
    dscpMark: T.int32.parse(o['dscp_mark'], `${field}.dscp_mark`),
  };
  if (type === DSCP_MARKING && rule.dscpMark === null) {
    throw new JsonMappingError(`Invalid value for field '${field}': the ${DSCP_MARKING} rule ${id} has no dscp_mark`);
  }
  return rule;
}

/** `rules`: absent or null (rules untouched) is told apart from `[]` (no rules), so `empty` is null. */
const embeddedRules: FieldType<EmbeddedRule[]> = {
  name: 'QoS rules',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (!Array.isArray(raw)) throw new JsonMappingError(`Invalid value for field '${field}': expected an array`);
    const rules = raw.map((r) => parseRule(r, field));
    // rules are keyed by id: one id twice would make two rules (of two kinds) with one id
    const seen = new Set<string>();
    for (const r of rules) {
      if (seen.has(r.id)) throw new JsonMappingError(`Invalid value for field '${field}': the rule id ${r.id} appears twice`);
      seen.add(r.id);
    }
    return rules;
  },
  toProto: () => undefined,
  fromProto: () => null,
};

function bwLimitRule(policyId: string, r: EmbeddedRule): QosRuleBandwidthLimit {
  const rule: QosRuleBandwidthLimit = { id: r.id, max_kbps: r.maxKbps ?? 0, policy_id: policyId };
  if (r.maxBurstKb !== null) rule.max_burst_kb = r.maxBurstKb;
  return rule;
}

async function createRule(tx: Transaction, policyId: string, r: EmbeddedRule): Promise<void> {
  if (r.type === BW_LIMIT) await tx.create('QosRuleBandwidthLimit', bwLimitRule(policyId, r));
  else await tx.create('QosRuleDscp', { id: r.id, dscp_mark: r.dscpMark ?? 0, policy_id: policyId } satisfies QosRuleDscp);
}

/** A rule the policy has, with new values: written only when they differ (as the original). */
async function updateRule(tx: Transaction, r: EmbeddedRule, wasBwLimit: boolean): Promise<void> {
  if ((r.type === BW_LIMIT) !== wasBwLimit) {
    throw badRequest(`The QoS rule ${r.id} is a ${wasBwLimit ? BW_LIMIT : DSCP_MARKING} rule; its type cannot change.`);
  }
  if (r.type === BW_LIMIT) {
    const stored = await tx.get('QosRuleBandwidthLimit', r.id);
    const next = bwLimitRule(String(stored.policy_id), r);
    if ((stored.max_kbps ?? 0) !== next.max_kbps || stored.max_burst_kb !== next.max_burst_kb) {
      await tx.update('QosRuleBandwidthLimit', next);
    }
  } else {
    const stored = await tx.get('QosRuleDscp', r.id);
    if ((stored.dscp_mark ?? 0) !== r.dscpMark) await tx.update('QosRuleDscp', { ...stored, dscp_mark: r.dscpMark ?? 0 });
  }
}

function rulesOf(dto: Dto): EmbeddedRule[] | null {
  return (dto['rules'] as EmbeddedRule[] | null | undefined) ?? null;
}

export const qosPolicies: ResourceDef<'QosPolicy'> = {
  name: 'QoS policy',
  clazz: 'QosPolicy',
  segment: 'qos_policies',
  media: media('QOSPolicy', [1]),
  fields: [
    idField,
    rw('name', T.string, 'name'),
    rw('description', T.string, 'description'),
    rw('shared', T.boxedBool, 'shared'),
    rw('tenant_id', T.string, 'tenant_id'),
    { json: 'rules', type: embeddedRules, access: 'rw', owns: [], read: () => null, write: () => undefined },
  ],
  links: [subLink('bwLimitRules', 'qos_bw_limit_rules'), subLink('dscpRules', 'qos_dscp_rules')],
  create: {},
  update: {},
  delete: { missing: 204 },
  project: { own: 'tenant_id', json: 'tenant_id' },
  hooks: {
    async afterCreate(tx, proto, dto) {
      for (const r of rulesOf(dto) ?? []) await createRule(tx, String(proto.id), r);
    },
    async afterUpdate(tx, proto, current, dto) {
      // `rules` present (even []) is the whole set wanted, by id; absent leaves the rules alone
      const wanted = rulesOf(dto);
      if (wanted === null) return;
      const policyId = String(proto.id);
      const bw = new Set(current.bandwidth_limit_rule_ids ?? []);
      const dscp = new Set(current.dscp_marking_rule_ids ?? []);
      const byId = new Map(wanted.map((r) => [r.id, r]));
      for (const id of bw) if (!byId.has(id)) await tx.delete('QosRuleBandwidthLimit', id, true);
      for (const id of dscp) if (!byId.has(id)) await tx.delete('QosRuleDscp', id, true);
      for (const r of byId.values()) {
        if (bw.has(r.id) || dscp.has(r.id)) await updateRule(tx, r, bw.has(r.id));
        else await createRule(tx, policyId, r);
      }
    },
  },
};

/** A rule is created below its policy only; its policy never changes (the original takes it from a PUT's body). */
export const qosBwLimitRules: ResourceDef<'QosRuleBandwidthLimit'> = {
  name: 'QoS bandwidth-limit rule',
  clazz: 'QosRuleBandwidthLimit',
  segment: 'qos_bw_limit_rules',
  media: media('QOSRuleBWLimit', [1]),
  fields: [idField, rw('maxKbps', T.int32, 'max_kbps', { default: 0 }), rw('maxBurstKb', T.int32, 'max_burst_kb'), ro('policyId', T.uuid, 'policy_id')],
  list: false,
  create: false,
  update: {},
  delete: { missing: 204 },
  parents: [{ segment: 'qos_policies', clazz: 'QosPolicy', childIds: 'bandwidth_limit_rule_ids', parentRef: 'policy_id', itemMethods: ['DELETE'] }],
  project: { via: [{ field: 'policy_id', clazz: 'QosPolicy' }] },
};

export const qosDscpRules: ResourceDef<'QosRuleDscp'> = {
  name: 'QoS DSCP-marking rule',
  clazz: 'QosRuleDscp',
  segment: 'qos_dscp_rules',
  media: media('QOSRuleDSCP', [1]),
  fields: [idField, rw('dscpMark', T.int32, 'dscp_mark', { default: 0 }), ro('policyId', T.uuid, 'policy_id')],
  list: false,
  create: false,
  update: {},
  delete: { missing: 204 },
  parents: [{ segment: 'qos_policies', clazz: 'QosPolicy', childIds: 'dscp_marking_rule_ids', parentRef: 'policy_id', itemMethods: ['DELETE'] }],
  project: { via: [{ field: 'policy_id', clazz: 'QosPolicy' }] },
};
