/** Chains (`/chains`, rest-api-core.md §6.6). No PUT. */
import type { Rule } from '../../../lib/models/generated.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { T, V } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { idField, media, subLink, tenantFilter } from './common.js';

/** Removes a jump rule from its target chain's back-references (not a ZOOM binding: a nested field). */
export async function unlinkJump(tx: Transaction, rule: Rule): Promise<void> {
  const target = rule.jump_rule_data?.jump_chain_id;
  if (target === undefined) return;
  const chain = await tx.getOrNull('Chain', target);
  if (!chain) return;
  const list = chain.jump_rule_ids ?? [];
  const at = list.indexOf(String(rule.id));
  if (at < 0) return;
  list.splice(at, 1);
  chain.jump_rule_ids = list;
  await tx.update('Chain', chain);
}

export const chains: ResourceDef<'Chain'> = {
  name: 'chain',
  clazz: 'Chain',
  segment: 'chains',
  media: media('Chain', [1]),
  fields: [
    idField,
    { json: 'tenantId', type: T.string, access: 'create', proto: 'tenant_id' },
    { json: 'name', type: T.string, access: 'create', proto: 'name', validators: [V.size(0, 255)] },
  ],
  links: [subLink('rules', 'rules')],
  create: {},
  update: false,
  delete: { missing: 404 },
  filters: tenantFilter,
  project: { own: 'tenant_id' },
  hooks: {
    async beforeDelete(tx, chain) {
      const id = String(chain.id);
      // Jump rules elsewhere that target this chain go with it (§5) ...
      for (const ruleId of chain.jump_rule_ids ?? []) await tx.delete('Rule', ruleId, true);
      // ... and this chain's own jump rules stop pointing into their targets.
      for (const ruleId of chain.rule_ids ?? []) {
        const rule = await tx.getOrNull('Rule', ruleId);
        const target = rule?.jump_rule_data?.jump_chain_id;
        if (rule && target !== id) await unlinkJump(tx, rule);
      }
    },
  },
};
