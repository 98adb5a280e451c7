/**
 * Neutron security group → MidoNet IP address group with the same id (members: the addresses of
 * its ports, kept by the port translator) and two chains holding its rules (the original's
 * SecurityGroupTranslator and SecurityGroupRuleTranslator). Both translators store the Neutron
 * objects themselves: a group with its rules, and each rule also on its own.
 */
import type { SecurityGroup, SecurityGroupRule } from '../../../lib/models/generated.js';
import { NotFoundError } from '../../../lib/nsdb/errors.js';
import * as ids from '../ids.js';
import { newChain } from '../rules.js';
import { idOf, invalid, type TranslationTx, type Translator } from '../translation.js';
import { translateRule } from './security-group-rules.js';

const ingressChainName = (sgId: string): string => `OS_SG_${sgId}_INGRESS`;
const egressChainName = (sgId: string): string => `OS_SG_${sgId}_EGRESS`;

/**
 * A rule naming a remote group that does not exist would make the agents drop all traffic it
 * should let in (docs/decisions/0018): refused, as an unknown security group.
 */
async function checkRemoteGroups(tx: TranslationTx, rules: readonly SecurityGroupRule[]): Promise<void> {
  for (const r of rules) {
    if (r.remote_group_id !== undefined && !(await tx.exists('IPAddrGroup', r.remote_group_id))) {
      throw new NotFoundError('SecurityGroup', r.remote_group_id);
    }
  }
}

export const securityGroupTranslator: Translator<'SecurityGroup'> = {
  clazz: 'SecurityGroup',
  retention: { kind: 'translator' },

  async create({ tx }, sg) {
    const sgId = idOf(sg);
    // rules sent inside the group belong to it
    const rules = (sg.security_group_rules ?? []).map((r) => ({ ...r, security_group_id: r.security_group_id ?? sgId }));
    const group: SecurityGroup = { ...sg, security_group_rules: rules };
    await tx.create('SecurityGroup', group);
    for (const r of rules) await tx.create('SecurityGroupRule', r);
    await tx.create('Chain', newChain(ids.inChainId(sgId), egressChainName(sgId)));
    await tx.create('Chain', newChain(ids.outChainId(sgId), ingressChainName(sgId)));
    const egress = rules.filter((r) => r.direction !== 'INGRESS');
    const ingress = rules.filter((r) => r.direction === 'INGRESS');
    for (const r of [...egress, ...ingress]) for (const rule of translateRule(r)) await tx.create('Rule', rule);
    await tx.create('IPAddrGroup', { id: sgId, name: sg.name ?? '', inbound_chain_id: ids.inChainId(sgId), outbound_chain_id: ids.outChainId(sgId) });
    await checkRemoteGroups(tx, rules);
  },

  /** Only the name and description change (Neutron sends no rules on an update). */
  async update({ tx }, sg) {
    const sgId = idOf(sg);
    const group = await tx.get('IPAddrGroup', sgId);
    const stored = await tx.get('SecurityGroup', sgId);
    await tx.update('IPAddrGroup', { ...group, name: sg.name ?? '' });
    await tx.update('SecurityGroup', { ...stored, name: sg.name ?? '', description: sg.description ?? '' });
  },

  async delete({ tx }, sg) {
    const sgId = idOf(sg);
    await detachPorts(tx, sgId);
    await deleteRemoteGroupRules(tx, sgId);
    for (const r of sg.security_group_rules ?? []) await tx.delete('SecurityGroupRule', idOf(r), true);
    await tx.delete('Chain', ids.inChainId(sgId), true);
    await tx.delete('Chain', ids.outChainId(sgId), true);
    await tx.delete('IPAddrGroup', sgId, true);
    await tx.delete('SecurityGroup', sgId, true);
  },
};

/**
 * Ports still in the group (Neutron should not delete such a group, but has done so) leave it:
 * the group out of their `security_groups`, the jumps to its chains out of their chains. A port
 * with several addresses is handled once (the original failed on it: docs/decisions/0018).
 */
async function detachPorts(tx: TranslationTx, sgId: string): Promise<void> {
  const group = await tx.getOrNull('IPAddrGroup', sgId);
  if (!group) return;
  const targets = new Set([ids.inChainId(sgId), ids.outChainId(sgId)]);
  const portIds = new Set((group.ip_addr_ports ?? []).flatMap((e) => e.port_ids ?? []));
  for (const portId of portIds) {
    const port = await tx.getOrNull('NeutronPort', portId);
    if (port && port.security_groups?.includes(sgId)) {
      await tx.update('NeutronPort', { ...port, security_groups: port.security_groups.filter((g) => g !== sgId) });
    }
    for (const chainId of [ids.inChainId(portId), ids.outChainId(portId)]) {
      const chain = await tx.getOrNull('Chain', chainId);
      if (!chain) continue;
      for (const rule of await tx.getAll('Rule', chain.rule_ids ?? [])) {
        if (rule.type === 'JUMP_RULE' && targets.has(rule.jump_rule_data?.jump_chain_id ?? '')) await tx.delete('Rule', idOf(rule), true);
      }
    }
  }
}

/**
 * The rules of other groups that name this one as their remote group are deleted with it: the
 * agents cannot evaluate a rule whose IP address group is gone. They are found through the
 * security groups' rules rather than by reading every rule (docs/decisions/0018).
 */
async function deleteRemoteGroupRules(tx: TranslationTx, sgId: string): Promise<void> {
  for (const sg of await tx.listAll('SecurityGroup')) {
    for (const r of sg.security_group_rules ?? []) {
      if (r.remote_group_id !== sgId) continue;
      await tx.delete('Rule', idOf(r), true);
      await tx.delete('Rule', ids.nonHeaderRuleId(idOf(r)), true);
    }
  }
}

export const securityGroupRuleTranslator: Translator<'SecurityGroupRule'> = {
  clazz: 'SecurityGroupRule',
  retention: { kind: 'translator' },

  async create({ tx }, r) {
    await tx.create('SecurityGroupRule', r);
    const sg = await tx.get('SecurityGroup', r.security_group_id ?? '');
    for (const rule of translateRule(r)) await tx.create('Rule', rule);
    await tx.update('SecurityGroup', { ...sg, security_group_rules: [...(sg.security_group_rules ?? []), r] });
    await checkRemoteGroups(tx, [r]);
  },

  async update() {
    throw invalid('SecurityGroupRule update not supported.');
  },

  async delete(ctx, r) {
    const { tx } = ctx;
    const sg = await tx.getOrNull('SecurityGroup', r.security_group_id ?? '');
    const rules = sg?.security_group_rules ?? [];
    if (sg && rules.some((x) => x.id === r.id)) {
      await tx.update('SecurityGroup', { ...sg, security_group_rules: rules.filter((x) => x.id !== r.id) });
    }
    await deleteRuleTranslation(tx, idOf(r));
  },

  /** Rules embedded in a group by older versions may have no object of their own: their MidoNet rules still go. */
  async deleteMissing({ tx }, id) {
    await deleteRuleTranslation(tx, id);
  },
};

async function deleteRuleTranslation(tx: TranslationTx, id: string): Promise<void> {
  await tx.delete('Rule', id, true);
  await tx.delete('Rule', ids.nonHeaderRuleId(id), true);
  await tx.delete('SecurityGroupRule', id, true);
}
