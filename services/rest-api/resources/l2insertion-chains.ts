/**
 * What an L2 insertion does to the topology, as the original's L2InsertionTranslation does it
 * inside the REST transaction (rest-api-extras.md §5.6). Every port involved gets two redirect
 * chains of its own (`l2insertion_infilter_id` / `l2insertion_outfilter_id`, named
 * `InboundRedirect<portId>` / `OutboundRedirect<portId>`), created on first use:
 *
 * - the service port's inbound chain holds, per insertion, two jump rules into the protected
 *   port's chains (traffic from and to the protected MAC), remembered in the insertion
 *   (`srv_rule_in_id`, `srv_rule_out_id`);
 * - the protected port's chains are rebuilt from all its insertions, in order of position: per
 *   insertion one L2-transform redirect to its service port in each chain, then the rules that
 *   bring traffic back from the last service port. VLAN tags carry the hop: the insertion's VLAN
 *   with PCP bits 0x2000 (inbound) or 0x4000 (outbound), 0x8000 marking the final return.
 *
 * The semantic errors the original raises as IllegalArgumentException (a 500 there) are 4xx here.
 */
import type { Chain, L2Insertion, Rule } from '../../../lib/models/generated.js';
import { randomUuid, uuidToHalves } from '../../../lib/nsdb/codec/uuid.js';
import type { Transaction } from '../../../lib/nsdb/transaction.js';
import { badRequest, conflict } from '../../../lib/http/errors.js';

const PCP_IN = 1 << 13;
const PCP_OUT = 2 << 13;
const PCP_FINAL = 1 << 15;

interface RedirectChains {
  inbound: string;
  outbound: string;
}

/** The port's two redirect chains, created (and set on the port) when it has none yet. */
export async function redirectChains(tx: Transaction, portId: string): Promise<RedirectChains> {
  const port = await tx.get('Port', portId);
  const make = async (name: string): Promise<string> => {
    const chain: Chain = { id: randomUuid(), name: `${name}${portId}` };
    await tx.create('Chain', chain);
    return String(chain.id);
  };
  const inbound = port.l2insertion_infilter_id ?? (await make('InboundRedirect'));
  const outbound = port.l2insertion_outfilter_id ?? (await make('OutboundRedirect'));
  if (port.l2insertion_infilter_id !== inbound || port.l2insertion_outfilter_id !== outbound) {
    await tx.update('Port', { ...port, l2insertion_infilter_id: inbound, l2insertion_outfilter_id: outbound });
  }
  return { inbound, outbound };
}

/** Sets a chain's rule order (the rules are already bound to it: the same ids, in this order). */
async function orderRules(tx: Transaction, chainId: string, ruleIds: string[]): Promise<void> {
  const chain = await tx.get('Chain', chainId);
  await tx.update('Chain', { ...chain, rule_ids: ruleIds });
}

/** Deletes every rule of a chain. */
async function cleanChain(tx: Transaction, chainId: string): Promise<void> {
  const chain = await tx.get('Chain', chainId);
  for (const id of chain.rule_ids ?? []) await tx.delete('Rule', id, true);
}

async function createRule(tx: Transaction, rule: Rule): Promise<string> {
  await tx.create('Rule', rule);
  return String(rule.id);
}

/** The insertion's two jump rules in its service port's inbound chain; their ids go into `ins`. */
export async function addServiceRules(tx: Transaction, srvInbound: string, target: RedirectChains, ins: L2Insertion): Promise<void> {
  const mac = String(ins.mac);
  const vlan = ins.vlan ?? 0;
  const jump = (to: string, name: string): Rule => ({
    id: randomUuid(),
    chain_id: srvInbound,
    type: 'JUMP_RULE',
    action: 'JUMP',
    jump_rule_data: { jump_chain_id: to, jump_chain_name: name },
  });
  const [inChain, outChain] = await Promise.all([tx.get('Chain', target.inbound), tx.get('Chain', target.outbound)]);
  const toIn = jump(target.inbound, String(inChain.name ?? ''));
  toIn.condition = vlan !== 0 ? { dl_src: mac, vlan: vlan | PCP_IN } : { dl_src: mac };
  const toOut = jump(target.outbound, String(outChain.name ?? ''));
  toOut.condition = vlan !== 0 ? { dl_dst: mac, vlan: vlan | PCP_OUT } : { dl_dst: mac };
  ins.srv_rule_in_id = await createRule(tx, toIn);
  ins.srv_rule_out_id = await createRule(tx, toOut);
}

/** Removes the insertion's jump rules from its service port's chain. */
export async function removeServiceRules(tx: Transaction, ins: L2Insertion): Promise<void> {
  for (const id of [ins.srv_rule_in_id, ins.srv_rule_out_id]) if (id !== undefined) await tx.delete('Rule', id, true);
}

/** The original compares the ports' protobuf text (`msb: …\nlsb: …\n`), not the UUID strings. */
function uuidKey(id: string | undefined): string {
  if (id === undefined) return '';
  const { msb, lsb } = uuidToHalves(id);
  return `msb: ${msb}\nlsb: ${lsb}\n`;
}

/** Chain order: position, then protected port, then service port. */
export function byPosition(a: L2Insertion, b: L2Insertion): number {
  const pos = (a.position ?? 0) - (b.position ?? 0);
  if (pos !== 0) return pos;
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return cmp(uuidKey(a.port_id), uuidKey(b.port_id)) || cmp(uuidKey(a.srv_port_id), uuidKey(b.srv_port_id));
}

type Transform = NonNullable<Rule['transform_rule_data']>;

function transformRule(chainId: string, action: Rule['action'], condition: Rule['condition'], data: Transform): Rule {
  return { id: randomUuid(), chain_id: chainId, type: 'L2TRANSFORM_RULE', action, condition, transform_rule_data: data };
}

/** One insertion's redirects to its service port, after `prev` (the insertion before it) if any. */
async function insertionRules(tx: Transaction, prev: L2Insertion | undefined, cur: L2Insertion, chains: RedirectChains): Promise<[string, string]> {
  const mac = String(cur.mac);
  const inData: Transform = { target_port_id: cur.srv_port_id, ingress: false, fail_open: cur.fail_open ?? false };
  const outData: Transform = { ...inData };
  const inCond: NonNullable<Rule['condition']> = { dl_src: mac };
  const outCond: NonNullable<Rule['condition']> = { dl_dst: mac };
  const vlan = cur.vlan ?? 0;
  if (vlan !== 0) {
    inData.push_vlan = vlan | PCP_IN;
    outData.push_vlan = vlan | PCP_OUT;
  }
  if (!prev) {
    // the first hop: inbound traffic enters from the protected port itself
    inCond.in_port_ids = [String(cur.port_id)];
  } else {
    // later hops come back from the previous service port, tagged with its VLAN
    inCond.in_port_ids = [String(prev.srv_port_id)];
    outCond.in_port_ids = [String(prev.srv_port_id)];
    const prevVlan = prev.vlan ?? 0;
    if (prevVlan !== 0) {
      inData.pop_vlan = true;
      inCond.vlan = prevVlan | PCP_IN;
      outData.pop_vlan = true;
      outCond.vlan = prevVlan | PCP_OUT;
    }
  }
  const ruleIn = await createRule(tx, transformRule(chains.inbound, 'REDIRECT', inCond, inData));
  const ruleOut = await createRule(tx, transformRule(chains.outbound, 'REDIRECT', outCond, outData));
  return [ruleIn, ruleOut];
}

/** The return from the last service port: two inbound rules and one outbound. */
async function endRules(tx: Transaction, last: L2Insertion, chains: RedirectChains): Promise<[string, string, string]> {
  const mac = String(last.mac);
  const portId = String(last.port_id);
  const srvPortId = String(last.srv_port_id);
  const vlan = last.vlan ?? 0;
  const backIn = transformRule(
    chains.inbound,
    'REDIRECT',
    { dl_src: mac, in_port_ids: [srvPortId] },
    {
      target_port_id: portId,
      ingress: true,
      fail_open: false,
      push_vlan: PCP_FINAL,
    },
  );
  // matches the final-hop tag, so the rule that starts the chain is not matched again
  const accept = transformRule(chains.inbound, 'ACCEPT', { dl_src: mac, in_port_ids: [portId], vlan: PCP_FINAL }, { pop_vlan: true });
  const backOut = transformRule(
    chains.outbound,
    'REDIRECT',
    { dl_dst: mac, in_port_ids: [srvPortId] },
    {
      target_port_id: portId,
      ingress: false,
      fail_open: false,
    },
  );
  if (vlan !== 0) {
    (backIn.condition as NonNullable<Rule['condition']>).vlan = vlan | PCP_IN;
    (backIn.transform_rule_data as Transform).pop_vlan = true;
    (backOut.condition as NonNullable<Rule['condition']>).vlan = vlan | PCP_OUT;
    (backOut.transform_rule_data as Transform).pop_vlan = true;
  }
  return [await createRule(tx, backIn), await createRule(tx, accept), await createRule(tx, backOut)];
}

/**
 * Rebuilds the protected port's redirect chains from its insertions (already in chain order):
 * the old rules go, each insertion's rules are put in front of those of the ones before it, and
 * the return rules in front of all, as the original orders them.
 */
export async function rebuildProtectedChains(tx: Transaction, chains: RedirectChains, insertions: readonly L2Insertion[]): Promise<void> {
  await cleanChain(tx, chains.inbound);
  await cleanChain(tx, chains.outbound);
  const inOrder: string[] = [];
  const outOrder: string[] = [];
  let prev: L2Insertion | undefined;
  for (const cur of insertions) {
    const [ruleIn, ruleOut] = await insertionRules(tx, prev, cur, chains);
    inOrder.unshift(ruleIn);
    outOrder.unshift(ruleOut);
    prev = cur;
  }
  if (prev) {
    const [backIn, accept, backOut] = await endRules(tx, prev, chains);
    inOrder.unshift(backIn);
    inOrder.unshift(accept);
    outOrder.unshift(backOut);
  }
  await orderRules(tx, chains.inbound, inOrder);
  await orderRules(tx, chains.outbound, outOrder);
}

/**
 * A protected port may not be a service port elsewhere, nor a service port protected; one
 * insertion per (port, service port) pair.
 */
export async function checkPorts(tx: Transaction, ins: L2Insertion, others: readonly L2Insertion[]): Promise<void> {
  const [port, srvPort] = await Promise.all([tx.get('Port', String(ins.port_id)), tx.get('Port', String(ins.srv_port_id))]);
  if ((port.srv_insertion_ids ?? []).length > 0) throw badRequest(`Protected port ${String(ins.port_id)} can't have a service`);
  if ((srvPort.insertion_ids ?? []).length > 0) throw badRequest(`Service port ${String(ins.srv_port_id)} can't have an insertion`);
  if (others.some((o) => o.id !== ins.id && o.port_id === ins.port_id && o.srv_port_id === ins.srv_port_id)) {
    throw conflict('Insertion for same port/srvPort pair already exists');
  }
}
