/**
 * Chains and rules as the translators build them (the original's ChainManager and RuleManager):
 * rules get random ids unless a derivation names them, and are attached to a chain by their
 * `chain_id` (the binding appends them to the chain's `rule_ids`, so creation order is chain order).
 */
import type { Chain, Condition, Rule } from '../../lib/models/generated.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import type { TranslationTx } from './translation.js';

/** The EtherType of ARP (condition `dl_type`). */
export const ARP_ETHERTYPE = 0x0806;

export function newChain(id: string, name: string, jumpRuleIds: string[] = []): Chain {
  const chain: Chain = { id, name };
  if (jumpRuleIds.length > 0) chain.jump_rule_ids = jumpRuleIds;
  return chain;
}

/** A condition matching every fragment (the translators' usual starting point). */
export function anyFragment(extra: Condition = {}): Condition {
  return { ...extra, fragment_policy: 'ANY' };
}

/** ACCEPT what belongs to a flow started from the other side. */
export function returnFlowRule(chainId: string): Rule {
  return { id: randomUuid(), chain_id: chainId, type: 'LITERAL_RULE', action: 'ACCEPT', condition: { match_return_flow: true } };
}

export function dropRule(chainId: string, condition?: Condition): Rule {
  const rule: Rule = { id: randomUuid(), chain_id: chainId, type: 'LITERAL_RULE', action: 'DROP' };
  if (condition) rule.condition = condition;
  return rule;
}

export function returnRule(chainId: string, condition: Condition): Rule {
  return { id: randomUuid(), chain_id: chainId, type: 'LITERAL_RULE', action: 'RETURN', condition };
}

export function jumpRule(fromChain: string, toChain: string, id: string = randomUuid()): Rule {
  return { id, chain_id: fromChain, type: 'JUMP_RULE', action: 'JUMP', jump_rule_data: { jump_chain_id: toChain } };
}

/** Drops everything but ARP that earlier rules did not accept. */
export function dropNonArpRule(chainId: string): Rule {
  return dropRule(chainId, anyFragment({ dl_type: ARP_ETHERTYPE, inv_dl_type: true }));
}

/** Deletes every rule of a chain (the chain stays, empty). */
export async function deleteRulesOf(tx: TranslationTx, chain: Chain): Promise<void> {
  for (const id of chain.rule_ids ?? []) await tx.delete('Rule', id, true);
}
