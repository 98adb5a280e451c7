/**
 * The security-group and security-group-rule translators against the cases of the original's
 * SecurityGroupRuleTranslatorTest and SecurityGroupIT, over an in-memory NSDB.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Rule, SecurityGroupRule } from '../../lib/models/generated.js';
import { NotFoundError } from '../../lib/nsdb/errors.js';
import * as ids from '../../services/neutron/ids.js';
import { TranslationError } from '../../services/neutron/translation.js';
import {
  networkTranslator,
  portTranslator,
  securityGroupRuleTranslator,
  securityGroupTranslator,
  subnetTranslator,
} from '../../services/neutron/translators/index.js';
import { translateRule } from '../../services/neutron/translators/security-group-rules.js';
import { MemoryNsdb } from '../support/memory-nsdb.js';

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

const rule = (sg: string, extra: Partial<SecurityGroupRule> = {}): SecurityGroupRule => ({ id: randomUUID(), security_group_id: sg, tenant_id: 't', ...extra });

/** The condition without the undefined fields, subnets as text. */
function cond(r: Rule | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r?.condition ?? {})) {
    out[k] = v && typeof v === 'object' && 'address' in v ? `${String(v.address)}/${String((v as { prefix_length?: number }).prefix_length)}` : v;
  }
  return out;
}

describe('rule shapes (SecurityGroupRuleTranslatorTest)', () => {
  const sg = randomUUID();

  test('ingress TCP with a port range: a header rule with the range and a non-header rule', () => {
    const r = rule(sg, { direction: 'INGRESS', protocol: 'TCP', port_range_min: 100, port_range_max: 117, remote_ip_prefix: '1.1.1.0/24' });
    const [a, b, ...rest] = translateRule(r);
    assert.equal(rest.length, 0);
    assert.equal(a?.id, r.id);
    assert.equal(a?.chain_id, ids.outChainId(sg));
    assert.equal(a?.type, 'LITERAL_RULE');
    assert.equal(a?.action, 'ACCEPT');
    assert.deepEqual(cond(a), { nw_proto: 6, nw_src_ip: '1.1.1.0/24', fragment_policy: 'HEADER', tp_dst: { start: 100, end: 117 } });
    assert.equal(b?.id, ids.nonHeaderRuleId(r.id as string));
    assert.deepEqual(cond(b), { nw_proto: 6, nw_src_ip: '1.1.1.0/24', fragment_policy: 'NONHEADER' });
  });

  test('egress UDP: destination prefix, in the egress chain', () => {
    const [a] = translateRule(rule(sg, { direction: 'EGRESS', protocol: 'UDP', port_range_min: 100, port_range_max: 117, remote_ip_prefix: '1.1.1.0/24' }));
    assert.equal(a?.chain_id, ids.inChainId(sg));
    assert.deepEqual(cond(a), { nw_proto: 17, nw_dst_ip: '1.1.1.0/24', fragment_policy: 'HEADER', tp_dst: { start: 100, end: 117 } });
  });

  test('half-open port ranges', () => {
    assert.deepEqual(cond(translateRule(rule(sg, { direction: 'INGRESS', protocol: 'TCP', port_range_min: 10 }))[0])['tp_dst'], { start: 10 });
    assert.deepEqual(cond(translateRule(rule(sg, { direction: 'INGRESS', protocol: 'TCP', port_range_max: 10 }))[0])['tp_dst'], { end: 10 });
  });

  test('ICMP: the range is type (source) and code (destination)', () => {
    const [a, b] = translateRule(rule(sg, { direction: 'INGRESS', protocol: 'ICMP', port_range_min: 3, port_range_max: 1 }));
    assert.deepEqual(cond(a), { nw_proto: 1, fragment_policy: 'HEADER', tp_src: { start: 3, end: 3 }, tp_dst: { start: 1, end: 1 } });
    assert.deepEqual(cond(b), { nw_proto: 1, fragment_policy: 'NONHEADER' });
  });

  test('no port range: one rule for every fragment; remote group and ethertype', () => {
    const g = randomUUID();
    const rules = translateRule(rule(sg, { direction: 'INGRESS', ethertype: 'IPV6', remote_group_id: g }));
    assert.equal(rules.length, 1);
    assert.deepEqual(cond(rules[0]), { dl_type: 34525, ip_addr_group_id_src: g, fragment_policy: 'ANY' });
    assert.deepEqual(cond(translateRule(rule(sg, { direction: 'EGRESS', remote_group_id: g, ethertype: 'IPV4' }))[0]), {
      dl_type: 2048,
      ip_addr_group_id_dst: g,
      fragment_policy: 'ANY',
    });
    assert.deepEqual(cond(translateRule(rule(sg, {}))[0]), { fragment_policy: 'ANY' });
    assert.deepEqual(cond(translateRule(rule(sg, { direction: 'INGRESS', remote_ip_prefix: '10.0.0.1' }))[0]), {
      nw_src_ip: '10.0.0.1/32',
      fragment_policy: 'ANY',
    });
  });
});

describe('security groups (SecurityGroupIT)', () => {
  test('E1/E11: rules posted on their own land in the chain of their direction', async () => {
    const db = new MemoryNsdb();
    const g = randomUUID();
    await db.create(securityGroupTranslator, { id: g, tenant_id: 't', name: 'sg' });
    const group = await db.must('IPAddrGroup', g);
    assert.deepEqual(group, { id: g, name: 'sg', inbound_chain_id: ids.inChainId(g), outbound_chain_id: ids.outChainId(g) });
    assert.equal((await db.must('Chain', ids.inChainId(g))).name, `OS_SG_${g}_EGRESS`);
    assert.equal((await db.must('Chain', ids.outChainId(g))).name, `OS_SG_${g}_INGRESS`);
    const r1 = rule(g, { direction: 'INGRESS', ethertype: 'IPV4', protocol: 'TCP' });
    const r2 = rule(g, { direction: 'EGRESS', ethertype: 'IPV4', protocol: 'TCP' });
    const ops = await db.create(securityGroupRuleTranslator, r1);
    assert.ok(!ops.some((o) => o.op === 'update' && o.clazz === 'Chain'), 'the chain is not written: the rule appends itself');
    await db.create(securityGroupRuleTranslator, r2);
    assert.deepEqual(
      (await db.rules(ids.outChainId(g))).map((r) => r.id),
      [r1.id],
    );
    assert.deepEqual(
      (await db.rules(ids.inChainId(g))).map((r) => r.id),
      [r2.id],
    );
    assert.deepEqual(
      (await db.must('SecurityGroup', g)).security_group_rules?.map((r) => r.id),
      [r1.id, r2.id],
    );
    assert.deepEqual((await db.must('SecurityGroupRule', r1.id as string)).direction, 'INGRESS');
  });

  test('E2/E8: embedded rules are stored on their own too; deleting one updates the group', async () => {
    const db = new MemoryNsdb();
    const g = randomUUID();
    const r1 = rule(g, { direction: 'INGRESS', protocol: 'TCP', ethertype: 'IPV4' });
    const r2 = rule(g, { direction: 'EGRESS' });
    await db.create(securityGroupTranslator, { id: g, name: 'sg', security_group_rules: [r1, r2] });
    assert.equal((await db.must('SecurityGroupRule', r1.id as string)).security_group_id, g);
    await db.delete(securityGroupRuleTranslator, r1.id as string);
    assert.deepEqual(
      (await db.rules(ids.outChainId(g))).map((r) => r.id),
      [],
    );
    assert.equal(await db.get('Rule', r1.id as string), null);
    assert.deepEqual(
      (await db.must('SecurityGroup', g)).security_group_rules?.map((r) => r.id),
      [r2.id],
    );
  });

  test('E3-E5: a remote-group rule goes with the group it names; deleting the last group leaves nothing', async () => {
    const db = new MemoryNsdb();
    const sg1 = randomUUID();
    const sg2 = randomUUID();
    await db.create(securityGroupTranslator, { id: sg2, name: 'sg2' });
    const r1 = rule(sg1, {
      direction: 'INGRESS',
      ethertype: 'IPV4',
      protocol: 'TCP',
      port_range_min: 15000,
      port_range_max: 15500,
      remote_ip_prefix: '10.0.0.1/24',
    });
    const r2 = rule(sg1, { direction: 'INGRESS', ethertype: 'IPV6', protocol: 'TCP', remote_group_id: sg2 });
    await db.create(securityGroupTranslator, { id: sg1, name: 'sg1', security_group_rules: [r1, r2] });
    assert.deepEqual(
      (await db.rules(ids.outChainId(sg1))).map((r) => [r.id, cond(r)]),
      [
        [r1.id, { nw_proto: 6, dl_type: 2048, nw_src_ip: '10.0.0.1/24', fragment_policy: 'HEADER', tp_dst: { start: 15000, end: 15500 } }],
        [ids.nonHeaderRuleId(r1.id as string), { nw_proto: 6, dl_type: 2048, nw_src_ip: '10.0.0.1/24', fragment_policy: 'NONHEADER' }],
        [r2.id, { nw_proto: 6, dl_type: 34525, ip_addr_group_id_src: sg2, fragment_policy: 'ANY' }],
      ],
    );
    await db.update(securityGroupTranslator, { id: sg1, name: 'sg1-updated', description: 'Security group', tenant_id: 't' });
    assert.equal((await db.must('IPAddrGroup', sg1)).name, 'sg1-updated');
    await db.delete(securityGroupTranslator, sg2);
    assert.deepEqual(
      (await db.rules(ids.outChainId(sg1))).map((r) => r.id),
      [r1.id, ids.nonHeaderRuleId(r1.id as string)],
    );
    assert.equal((await db.must('SecurityGroup', sg1)).security_group_rules?.length, 2);
    assert.equal(await db.get('IPAddrGroup', sg2), null);
    await db.delete(securityGroupTranslator, sg1);
    for (const c of ['SecurityGroup', 'SecurityGroupRule', 'IPAddrGroup', 'Chain', 'Rule'] as const) assert.deepEqual(await db.all(c), [], c);
  });

  test('E6/E7: rules added and removed keep the group list; a group deleted with a posted rule leaves nothing', async () => {
    const db = new MemoryNsdb();
    const g = randomUUID();
    await db.create(securityGroupTranslator, { id: g, name: 'sg' });
    const r1 = rule(g, { direction: 'INGRESS' });
    const r2 = rule(g, { direction: 'INGRESS' });
    await db.create(securityGroupRuleTranslator, r1);
    await db.create(securityGroupRuleTranslator, r2);
    await db.delete(securityGroupRuleTranslator, r2.id as string);
    assert.deepEqual((await db.must('SecurityGroup', g)).security_group_rules, [await db.must('SecurityGroupRule', r1.id as string)]);
    await db.delete(securityGroupTranslator, g);
    for (const c of ['SecurityGroup', 'SecurityGroupRule', 'IPAddrGroup', 'Chain', 'Rule'] as const) assert.deepEqual(await db.all(c), [], c);
  });

  test('E9: deleting a group still used by ports takes it out of them', async () => {
    const db = new MemoryNsdb();
    const n = randomUUID();
    const s = randomUUID();
    const sg1 = randomUUID();
    const sg2 = randomUUID();
    await db.create(networkTranslator, { id: n, admin_state_up: true });
    await db.create(subnetTranslator, {
      id: s,
      network_id: n,
      cidr: { version: 'V4', address: '10.0.0.0', prefix_length: 24 },
      ip_version: 4,
      enable_dhcp: true,
    });
    await db.create(securityGroupTranslator, { id: sg1, name: 'a' });
    await db.create(securityGroupTranslator, { id: sg2, name: 'b' });
    const p1 = randomUUID();
    const p2 = randomUUID();
    // p1 has two addresses: the original failed here (quirk Q5)
    await db.create(portTranslator, {
      id: p1,
      network_id: n,
      admin_state_up: true,
      mac_address: '00:00:00:00:00:01',
      security_groups: [sg1, sg2],
      fixed_ips: [
        { ip_address: { version: 'V4', address: '10.0.0.10' }, subnet_id: s },
        { ip_address: { version: 'V4', address: '10.0.0.11' }, subnet_id: s },
      ],
    });
    await db.create(portTranslator, {
      id: p2,
      network_id: n,
      admin_state_up: true,
      mac_address: '00:00:00:00:00:02',
      security_groups: [sg1, sg2],
      fixed_ips: [{ ip_address: { version: 'V4', address: '10.0.0.20' }, subnet_id: s }],
    });
    await db.delete(securityGroupTranslator, sg1);
    for (const p of [p1, p2]) {
      assert.deepEqual((await db.must('NeutronPort', p)).security_groups, [sg2]);
      const jumps = async (chain: string) => (await db.rules(chain)).filter((r) => r.type === 'JUMP_RULE').map((r) => r.jump_rule_data?.jump_chain_id);
      assert.deepEqual(await jumps(ids.inChainId(p)), [ids.antiSpoofChainId(p), ids.inChainId(sg2)]);
      assert.deepEqual(await jumps(ids.outChainId(p)), [ids.outChainId(sg2)]);
    }
    await db.delete(portTranslator, p1);
    assert.deepEqual(
      (await db.must('IPAddrGroup', sg2)).ip_addr_ports?.map((e) => e.port_ids),
      [[p2]],
    );
    await db.delete(securityGroupTranslator, sg2);
    assert.deepEqual((await db.must('NeutronPort', p2)).security_groups ?? [], []);
    assert.deepEqual(
      (await db.rules(ids.outChainId(p2))).filter((r) => r.type === 'JUMP_RULE'),
      [],
    );
  });

  test('a rule of an unknown group, or naming an unknown remote group, is 404 and writes nothing', async () => {
    const db = new MemoryNsdb();
    const g = randomUUID();
    await db.create(securityGroupTranslator, { id: g, name: 'sg' });
    const before = db.zk.zxid;
    const missing = randomUUID();
    const e1 = await rejects(db.create(securityGroupRuleTranslator, rule(missing)));
    assert.ok(e1 instanceof NotFoundError);
    assert.equal((e1 as Error).message, `There is no SecurityGroup with ID ${missing}.`);
    const e2 = await rejects(db.create(securityGroupRuleTranslator, rule(g, { remote_group_id: missing })));
    assert.equal((e2 as Error).message, `There is no SecurityGroup with ID ${missing}.`);
    const e3 = await rejects(
      db.create(securityGroupTranslator, { id: randomUUID(), security_group_rules: [rule(randomUUID(), { remote_group_id: missing })] }),
    );
    assert.ok(e3 instanceof NotFoundError);
    assert.equal(db.zk.zxid, before);
    // a group's own rules may name the group itself (Neutron's default group does)
    const self = randomUUID();
    await db.create(securityGroupTranslator, {
      id: self,
      name: 'default',
      security_group_rules: [rule(self, { direction: 'INGRESS', remote_group_id: self })],
    });
    assert.equal((await db.rules(ids.outChainId(self))).length, 1);
  });

  test('E-update: a rule cannot be updated', async () => {
    const db = new MemoryNsdb();
    const g = randomUUID();
    await db.create(securityGroupTranslator, { id: g, name: 'sg' });
    const r = rule(g);
    await db.create(securityGroupRuleTranslator, r);
    const e = await rejects(db.update(securityGroupRuleTranslator, r));
    assert.ok(e instanceof TranslationError && e.failure === 'invalid');
    assert.equal((e as Error).message, 'SecurityGroupRule update not supported.');
  });
});
