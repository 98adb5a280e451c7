/**
 * The port translator (services/neutron/translators/port.ts) against the cases of the original's
 * PortTranslatorTest / PortTranslatorIT, over an in-memory NSDB: bridge port, chains and rules,
 * DHCP entries, MAC and ARP entries, IP address groups, and the other kinds of ports.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { NeutronPort, Rule } from '../../lib/models/generated.js';
import { NotFoundError } from '../../lib/nsdb/errors.js';
import * as ids from '../../services/neutron/ids.js';
import { TranslationError } from '../../services/neutron/translation.js';
import { networkTranslator, portTranslator, securityGroupTranslator, subnetTranslator } from '../../services/neutron/translators/index.js';
import { MemoryNsdb } from '../support/memory-nsdb.js';

const v4 = (address: string) => ({ version: 'V4' as const, address });
const v6 = (address: string) => ({ version: 'V6' as const, address });
const MAC = '00:11:22:33:44:55';
const V6IP = 'fe80:0:0:0:0:202:b3ff:8329';

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

/** Network N with S4 127.0.0.0/8 and S6 fe80::/64, security groups SG1 and SG2 (C setup). */
async function setup() {
  const db = new MemoryNsdb();
  const n = randomUUID();
  const s4 = randomUUID();
  const s6 = randomUUID();
  const sg1 = randomUUID();
  const sg2 = randomUUID();
  await db.create(networkTranslator, { id: n, tenant_id: 't', name: 'n', admin_state_up: true });
  await db.create(subnetTranslator, {
    id: s4,
    network_id: n,
    cidr: { version: 'V4', address: '127.0.0.0', prefix_length: 8 },
    ip_version: 4,
    enable_dhcp: true,
  });
  await db.create(subnetTranslator, {
    id: s6,
    network_id: n,
    cidr: { version: 'V6', address: 'fe80:0:0:0:0:202:b3ff:8329', prefix_length: 64 },
    ip_version: 6,
    enable_dhcp: true,
  });
  for (const sg of [sg1, sg2]) await db.create(securityGroupTranslator, { id: sg, tenant_id: 't', name: `sg-${sg}` });
  const port = (extra: Partial<NeutronPort> = {}): NeutronPort => ({
    id: extra.id ?? randomUUID(),
    network_id: n,
    tenant_id: 'neutron tenant',
    mac_address: MAC,
    admin_state_up: true,
    port_security_enabled: true,
    ...extra,
  });
  return { db, n, s4, s6, sg1, sg2, port };
}

/** A compact view of a rule: what tests compare. */
function shape(r: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = { action: r.action };
  if (r.jump_rule_data) out['jump'] = r.jump_rule_data.jump_chain_id;
  const c = r.condition ?? {};
  for (const [k, v] of Object.entries(c))
    out[k] = v && typeof v === 'object' && 'address' in v ? `${String(v.address)}/${String((v as { prefix_length?: number }).prefix_length ?? '')}` : v;
  return out;
}

describe('VM ports', () => {
  test('C1: deleting an unknown port writes nothing', async () => {
    const { db } = await setup();
    const before = db.zk.zxid;
    assert.deepEqual(await db.delete(portTranslator, randomUUID()), [
      { op: 'delete', clazz: 'NeutronPort', id: db.ops[0] && 'id' in db.ops[0] ? db.ops[0].id : '' },
    ]);
    assert.equal(db.zk.zxid, before);
  });

  test('C2/C15: anti-spoof chain from the fixed IP, the MAC and the allowed address pairs', async () => {
    const { db, s4, port } = await setup();
    const p = port({
      fixed_ips: [{ ip_address: v4('127.6.6.6'), subnet_id: s4 }],
      allowed_address_pairs: [
        { ip_address: { version: 'V4', address: '1.2.1.2', prefix_length: 32 }, mac_address: '01:02:03:0a:0b:0c' },
        { ip_address: { version: 'V4', address: '2.3.2.3', prefix_length: 32 }, mac_address: '0a:0b:0b:0a:0b:0c' },
      ],
    });
    await db.create(portTranslator, p);
    const id = p.id as string;
    const inbound = await db.rules(ids.inChainId(id));
    assert.equal(inbound[0]?.id, ids.antiSpoofChainJumpRuleId(id));
    assert.equal(inbound[0]?.jump_rule_data?.jump_chain_id, ids.antiSpoofChainId(id));
    assert.deepEqual((await db.must('Chain', ids.antiSpoofChainId(id))).jump_rule_ids, [ids.antiSpoofChainJumpRuleId(id)]);
    const spoof = (await db.rules(ids.antiSpoofChainId(id))).map(shape);
    assert.deepEqual(spoof, [
      { action: 'RETURN', tp_src: { start: 68, end: 68 }, tp_dst: { start: 67, end: 67 }, fragment_policy: 'ANY' },
      { action: 'RETURN', dl_type: 2054, nw_src_ip: '127.6.6.6/32', fragment_policy: 'ANY' },
      { action: 'RETURN', nw_src_ip: '127.6.6.6/32', dl_src: MAC, fragment_policy: 'ANY' },
      { action: 'RETURN', dl_type: 2054, nw_src_ip: '1.2.1.2/32', fragment_policy: 'ANY' },
      { action: 'RETURN', nw_src_ip: '1.2.1.2/32', dl_src: '01:02:03:0a:0b:0c', fragment_policy: 'ANY' },
      { action: 'RETURN', dl_type: 2054, nw_src_ip: '2.3.2.3/32', fragment_policy: 'ANY' },
      { action: 'RETURN', nw_src_ip: '2.3.2.3/32', dl_src: '0a:0b:0b:0a:0b:0c', fragment_policy: 'ANY' },
      { action: 'DROP', fragment_policy: 'ANY' },
    ]);
  });

  test('C3: one DHCP host per fixed IP, in each subnet', async () => {
    const { db, s4, s6, port } = await setup();
    await db.create(
      portTranslator,
      port({
        fixed_ips: [
          { ip_address: v4('127.0.0.1'), subnet_id: s4 },
          { ip_address: v6(V6IP), subnet_id: s6 },
        ],
      }),
    );
    assert.deepEqual((await db.must('Dhcp', s4)).hosts, [{ mac: MAC, ip_address: v4('127.0.0.1') }]);
    assert.deepEqual((await db.must('Dhcp', s6)).hosts, [{ mac: MAC, ip_address: v6(V6IP) }]);
  });

  test('C4: without port security the three chains exist, empty, and the port uses them', async () => {
    const { db, s4, port } = await setup();
    const p = port({ fixed_ips: [{ ip_address: v4('127.0.0.1'), subnet_id: s4 }], port_security_enabled: false });
    await db.create(portTranslator, p);
    const id = p.id as string;
    for (const [chain, name] of [
      [ids.inChainId(id), `OS_PORT_${id}_INBOUND`],
      [ids.outChainId(id), `OS_PORT_${id}_OUTBOUND`],
      [ids.antiSpoofChainId(id), `OS_PORT_${id}_ANTI_SPOOF`],
    ] as const) {
      const c = await db.must('Chain', chain);
      assert.equal(c.name, name);
      assert.deepEqual(c.rule_ids ?? [], []);
    }
    const mp = await db.must('Port', id);
    assert.equal(mp.inbound_filter_id, ids.inChainId(id));
    assert.equal(mp.outbound_filter_id, ids.outChainId(id));
  });

  test('C5: bridge port, chains with the security-group jumps, MAC and ARP entries, IP address groups', async () => {
    const { db, n, s4, s6, sg1, sg2, port } = await setup();
    const p = port({
      fixed_ips: [
        { ip_address: v4('127.0.0.1'), subnet_id: s4 },
        { ip_address: v6(V6IP), subnet_id: s6 },
      ],
      security_groups: [sg1, sg2],
    });
    await db.create(portTranslator, p);
    const id = p.id as string;
    const mp = await db.must('Port', id);
    assert.equal(mp.network_id, n);
    assert.equal(mp.admin_state_up, true);
    assert.equal(typeof mp.tunnel_key, 'bigint');
    assert.equal(mp.inbound_filter_id, ids.inChainId(id));
    assert.deepEqual((await db.rules(ids.inChainId(id))).map(shape), [
      { action: 'JUMP', jump: ids.antiSpoofChainId(id) },
      { action: 'ACCEPT', match_return_flow: true },
      { action: 'JUMP', jump: ids.inChainId(sg1) },
      { action: 'JUMP', jump: ids.inChainId(sg2) },
      { action: 'DROP', dl_type: 2054, inv_dl_type: true, fragment_policy: 'ANY' },
    ]);
    assert.deepEqual((await db.rules(ids.outChainId(id))).map(shape), [
      { action: 'ACCEPT', match_return_flow: true },
      { action: 'JUMP', jump: ids.outChainId(sg1) },
      { action: 'JUMP', jump: ids.outChainId(sg2) },
      { action: 'DROP', dl_type: 2054, inv_dl_type: true, fragment_policy: 'ANY' },
    ]);
    assert.deepEqual(db.entries('Network', n, 'mac_table'), [`${MAC},${id}`]);
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), [`127.0.0.1,${MAC}`]);
    for (const sg of [sg1, sg2]) {
      assert.deepEqual((await db.must('IPAddrGroup', sg)).ip_addr_ports, [
        { ip_address: v4('127.0.0.1'), port_ids: [id] },
        { ip_address: v6(V6IP), port_ids: [id] },
      ]);
    }
    assert.deepEqual((await db.must('Network', n)).port_ids, [id]);
  });

  test('C7: a binding names a host by name; a PUT without changes does not rewrite the bridge port', async () => {
    const { db, s4, port } = await setup();
    const host = randomUUID();
    await db.put('Host', { id: host, name: 'hostname' });
    const p = port({ fixed_ips: [{ ip_address: v4('127.0.0.1'), subnet_id: s4 }], host_id: 'hostname', profile: { interface_name: 'tap0' } });
    await db.create(portTranslator, p);
    const mp = await db.must('Port', p.id as string);
    assert.equal(mp.host_id, host);
    assert.equal(mp.interface_name, 'tap0');
    assert.deepEqual((await db.must('Host', host)).port_ids, [p.id]);
    const ops = await db.update(portTranslator, p);
    assert.ok(!ops.some((o) => o.op === 'update' && o.clazz === 'Port'), 'the bridge port is not rewritten');
  });

  test('C7: an unknown host name is 404, two hosts of that name 409; nothing is written', async () => {
    const { db, s4, port } = await setup();
    const before = db.zk.zxid;
    const e = await rejects(
      db.create(portTranslator, port({ fixed_ips: [{ ip_address: v4('127.0.0.1'), subnet_id: s4 }], host_id: 'nohost', profile: { interface_name: 'tap0' } })),
    );
    assert.ok(e instanceof NotFoundError);
    assert.equal((e as Error).message, 'There is no Host with ID nohost.');
    assert.equal(db.zk.zxid, before);
    await db.put('Host', { id: randomUUID(), name: 'twin' }, { id: randomUUID(), name: 'twin' });
    const e2 = await rejects(db.create(portTranslator, port({ host_id: 'twin', profile: { interface_name: 'tap0' } })));
    assert.ok(e2 instanceof TranslationError && e2.failure === 'conflict' && e2.bare);
    assert.equal((e2 as Error).message, 'There is more than one Host with name twin.');
  });

  test('C8/C13: admin state down keeps the filters and the binding', async () => {
    const { db, port } = await setup();
    const host = randomUUID();
    await db.put('Host', { id: host, name: 'h1' });
    const p = port();
    await db.create(portTranslator, p);
    const bound = await db.must('Port', p.id as string);
    await db.run(({ tx }) => tx.update('Port', { ...bound, host_id: host, interface_name: 'eth0' }));
    await db.update(portTranslator, { ...p, admin_state_up: false });
    const mp = await db.must('Port', p.id as string);
    assert.equal(mp.admin_state_up, false);
    assert.equal(mp.inbound_filter_id, ids.inChainId(p.id as string));
    assert.equal(mp.host_id, host);
    assert.equal(mp.interface_name, 'eth0');
  });

  test('C9/C10: a new fixed IP moves the DHCP host, rebuilds the chains and the groups', async () => {
    const { db, s4, s6, sg1, sg2, port } = await setup();
    const p = port({
      fixed_ips: [
        { ip_address: v4('127.0.0.1'), subnet_id: s4 },
        { ip_address: v6(V6IP), subnet_id: s6 },
      ],
      security_groups: [sg1, sg2],
    });
    await db.create(portTranslator, p);
    const id = p.id as string;
    const oldRules = [...(await db.rules(ids.inChainId(id))), ...(await db.rules(ids.outChainId(id))), ...(await db.rules(ids.antiSpoofChainId(id)))].map(
      (r) => r.id,
    );
    await db.update(portTranslator, { ...p, fixed_ips: [{ ip_address: v4('127.0.0.2'), subnet_id: s4 }] });
    assert.deepEqual((await db.must('Dhcp', s4)).hosts, [{ mac: MAC, ip_address: v4('127.0.0.2') }]);
    assert.deepEqual((await db.must('Dhcp', s6)).hosts ?? [], []);
    for (const r of oldRules) {
      if (r === ids.antiSpoofChainJumpRuleId(id)) continue; // rebuilt with its own id
      assert.equal(await db.get('Rule', r as string), null);
    }
    assert.equal((await db.rules(ids.inChainId(id))).length, 5);
    assert.equal((await db.rules(ids.antiSpoofChainId(id))).length, 4);
    for (const sg of [sg1, sg2]) assert.deepEqual((await db.must('IPAddrGroup', sg)).ip_addr_ports, [{ ip_address: v4('127.0.0.2'), port_ids: [id] }]);
  });

  test('C11/C12: delete removes the bridge port, entries, DHCP hosts, chains and group membership', async () => {
    const { db, n, s4, s6, sg1, port } = await setup();
    const p = port({
      fixed_ips: [
        { ip_address: v4('127.0.0.1'), subnet_id: s4 },
        { ip_address: v6(V6IP), subnet_id: s6 },
      ],
      security_groups: [sg1],
    });
    await db.create(portTranslator, p);
    const id = p.id as string;
    await db.delete(portTranslator, id);
    assert.equal(await db.get('Port', id), null);
    assert.equal(await db.get('NeutronPort', id), null);
    for (const c of [ids.inChainId(id), ids.outChainId(id), ids.antiSpoofChainId(id)]) assert.equal(await db.get('Chain', c), null);
    assert.deepEqual(await db.all('Rule').then((rs) => rs.filter((r) => r.chain_id === ids.inChainId(id))), []);
    assert.deepEqual(db.entries('Network', n, 'mac_table'), []);
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), []);
    assert.deepEqual((await db.must('Dhcp', s4)).hosts ?? [], []);
    // the group drops the addresses with the port (docs/decisions/0016)
    assert.deepEqual((await db.must('IPAddrGroup', sg1)).ip_addr_ports ?? [], []);
    assert.deepEqual((await db.must('Network', n)).port_ids ?? [], []);
  });

  test('C14: allowed address pairs with a CIDR and a bare address', async () => {
    const { db, port } = await setup();
    const p = port();
    await db.create(portTranslator, p);
    await db.update(portTranslator, {
      ...p,
      allowed_address_pairs: [
        { ip_address: { version: 'V4', address: '10.0.1.0', prefix_length: 24 }, mac_address: 'ab:cd:ef:ab:cd:ef' },
        { ip_address: { version: 'V4', address: '10.0.2.1', prefix_length: 32 }, mac_address: '12:34:56:12:34:56' },
      ],
    });
    const spoof = (await db.rules(ids.antiSpoofChainId(p.id as string))).map(shape);
    assert.deepEqual(
      spoof.map((r) => `${String(r['action'])} ${String(r['nw_src_ip'] ?? '')} ${String(r['dl_type'] ?? r['dl_src'] ?? '')}`),
      [
        'RETURN  ',
        'RETURN 10.0.1.0/24 2054',
        'RETURN 10.0.1.0/24 ab:cd:ef:ab:cd:ef',
        'RETURN 10.0.2.1/32 2054',
        'RETURN 10.0.2.1/32 12:34:56:12:34:56',
        'DROP  ',
      ],
    );
  });

  test('C16/C17: ARP entries follow the fixed IP; the MAC entry follows the MAC', async () => {
    const { db, n, port } = await setup();
    const s = randomUUID();
    await db.create(subnetTranslator, {
      id: s,
      network_id: n,
      cidr: { version: 'V4', address: '10.0.2.0', prefix_length: 24 },
      ip_version: 4,
      enable_dhcp: true,
    });
    const p = port({ mac_address: 'ad:be:cf:03:14:25', fixed_ips: [{ ip_address: v4('10.0.2.5'), subnet_id: s }] });
    const id = p.id as string;
    await db.create(portTranslator, p);
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), ['10.0.2.5,ad:be:cf:03:14:25']);
    await db.update(portTranslator, { ...p, fixed_ips: [{ ip_address: v4('10.0.2.6'), subnet_id: s }] });
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), ['10.0.2.6,ad:be:cf:03:14:25']);
    await db.update(portTranslator, { ...p, mac_address: 'ad:be:cf:03:14:26', fixed_ips: [{ ip_address: v4('10.0.2.5'), subnet_id: s }] });
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), ['10.0.2.5,ad:be:cf:03:14:26']);
    assert.deepEqual(db.entries('Network', n, 'mac_table'), [`ad:be:cf:03:14:26,${id}`]);
    await db.delete(portTranslator, id);
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), []);
    assert.deepEqual(db.entries('Network', n, 'mac_table'), []);
  });

  test('a bridge made before v5 keeps its ARP entries in its legacy table, where the agents look', async () => {
    const { db, n, s4, port } = await setup();
    db.zk.mkdirp(`/midonet/bridges/${n}/ip4_mac_map`);
    const p = port({ fixed_ips: [{ ip_address: v4('127.0.0.7'), subnet_id: s4 }] });
    await db.create(portTranslator, p);
    assert.deepEqual(db.zk.paths(`/midonet/bridges/${n}/ip4_mac_map`).slice(1), [`/midonet/bridges/${n}/ip4_mac_map/127.0.0.7,${MAC},2147483647`]);
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), []);
  });

  test('C18/C20: group membership follows the port security groups, with shared addresses', async () => {
    const { db, s4, sg1, sg2, port } = await setup();
    const sg3 = randomUUID();
    await db.create(securityGroupTranslator, { id: sg3, name: 'sg3' });
    const ip = [{ ip_address: v4('127.0.0.3'), subnet_id: s4 }];
    const a = port({ fixed_ips: ip, security_groups: [sg1, sg2, sg3] });
    const b = port({ mac_address: '00:11:22:33:44:66', fixed_ips: ip, security_groups: [sg1, sg2] });
    await db.create(portTranslator, a);
    await db.create(portTranslator, b);
    const counts = async () =>
      Promise.all([sg1, sg2, sg3].map(async (g) => ((await db.must('IPAddrGroup', g)).ip_addr_ports ?? []).map((e) => e.port_ids?.length)));
    assert.deepEqual(await counts(), [[2], [2], [1]]);
    await db.update(portTranslator, { ...a, security_groups: [sg2] });
    assert.deepEqual(await counts(), [[1], [2], []]);
    await db.update(portTranslator, { ...a, security_groups: [sg1, sg2, sg3] });
    assert.deepEqual(await counts(), [[2], [2], [1]]);
    await db.update(portTranslator, { ...a, security_groups: [] });
    assert.deepEqual(await counts(), [[1], [1], []]);
  });

  test('C19/C23: a trusted or unsecured port leaves its groups; back to a VM port, it rejoins', async () => {
    const { db, s4, sg1, port } = await setup();
    const p = port({ fixed_ips: [{ ip_address: v4('127.0.0.3'), subnet_id: s4 }], security_groups: [sg1] });
    await db.create(portTranslator, p);
    const members = async () => ((await db.must('IPAddrGroup', sg1)).ip_addr_ports ?? []).length;
    assert.equal(await members(), 1);
    await db.update(portTranslator, { ...p, device_owner: 'ROUTER_INTERFACE' });
    assert.equal(await members(), 0);
    assert.equal(await db.get('Chain', ids.inChainId(p.id as string)), null, 'a trusted port has no chains');
    assert.equal((await db.must('Port', p.id as string)).inbound_filter_id, undefined);
    await db.update(portTranslator, { ...p, device_owner: 'COMPUTE' });
    assert.equal(await members(), 1);
    assert.equal((await db.rules(ids.inChainId(p.id as string))).length, 4);
  });

  test('C21: extra DHCP options go into every host entry of the port', async () => {
    const { db, s4, port } = await setup();
    const p = port({
      fixed_ips: [{ ip_address: v4('127.0.0.9'), subnet_id: s4 }],
      extra_dhcp_opts: [
        { opt_name: '12', opt_value: 'A' },
        { opt_name: '13', opt_value: 'B' },
      ],
    });
    await db.create(portTranslator, p);
    assert.deepEqual((await db.must('Dhcp', s4)).hosts?.[0]?.extra_dhcp_opts, [
      { name: '12', value: 'A' },
      { name: '13', value: 'B' },
    ]);
    await db.update(portTranslator, { ...p, extra_dhcp_opts: [] });
    assert.equal((await db.must('Dhcp', s4)).hosts?.[0]?.extra_dhcp_opts, undefined);
    await db.update(portTranslator, { ...p, extra_dhcp_opts: [{ opt_name: '12', opt_value: 'A' }] });
    assert.deepEqual((await db.must('Dhcp', s4)).hosts?.[0]?.extra_dhcp_opts, [{ name: '12', value: 'A' }]);
  });

  test('C22: two ports sharing an address entry in one group', async () => {
    const { db, s4, sg1, port } = await setup();
    const ip1 = [{ ip_address: v4('127.0.0.1'), subnet_id: s4 }];
    const ip2 = [{ ip_address: v4('127.0.0.2'), subnet_id: s4 }];
    const a = port({ fixed_ips: ip1, security_groups: [sg1] });
    const b = port({ mac_address: '00:11:22:33:44:66', fixed_ips: ip2, security_groups: [sg1] });
    await db.create(portTranslator, a);
    await db.create(portTranslator, b);
    const view = async () =>
      ((await db.must('IPAddrGroup', sg1)).ip_addr_ports ?? []).map(
        (e) => `${String(e.ip_address?.address)}:${(e.port_ids ?? []).map((x) => (x === a.id ? 'A' : 'B')).join('')}`,
      );
    assert.deepEqual(await view(), ['127.0.0.1:A', '127.0.0.2:B']);
    await db.update(portTranslator, { ...a, fixed_ips: ip2 });
    assert.deepEqual(await view(), ['127.0.0.2:BA']);
    await db.update(portTranslator, { ...a, fixed_ips: ip1 });
    assert.deepEqual(await view(), ['127.0.0.2:B', '127.0.0.1:A']);
  });

  test('bad input: unknown network 404, fixed IP outside its subnet 400, invalid MAC 400, unknown group 404; nothing written', async () => {
    const { db, s4, port } = await setup();
    const before = db.zk.zxid;
    const missing = randomUUID();
    const e1 = await rejects(db.create(portTranslator, port({ network_id: missing })));
    assert.equal((e1 as Error).message, `There is no NeutronNetwork with ID ${missing}.`);
    const e2 = await rejects(db.create(portTranslator, port({ fixed_ips: [{ ip_address: v4('10.9.9.9'), subnet_id: s4 }] })));
    assert.ok(e2 instanceof TranslationError && e2.failure === 'invalid');
    assert.equal((e2 as Error).message, `Port address 10.9.9.9 does not belong to subnet ${s4} with CIDR 127.0.0.0/8`);
    const e3 = await rejects(db.create(portTranslator, port({ mac_address: 'zz:11' })));
    assert.equal((e3 as Error).message, "MAC address string must be 6 words of 1 or 2 hex digits joined with 5 ':' but was zz:11.");
    const sg = randomUUID();
    const e4 = await rejects(db.create(portTranslator, port({ security_groups: [sg] })));
    assert.equal((e4 as Error).message, `There is no IPAddrGroup with ID ${sg}.`);
    assert.equal(db.zk.zxid, before);
  });

  test('a device owner other than VM ↔ router interface cannot change (500)', async () => {
    const { db, port } = await setup();
    const p = port();
    await db.create(portTranslator, p);
    const e = await rejects(db.update(portTranslator, { ...p, device_owner: 'DHCP' }));
    assert.ok(e instanceof TranslationError && e.failure === 'unsupported');
    assert.equal((e as Error).message, "device_owner update from COMPUTE to DHCP isn't supported");
  });
});

describe('other ports', () => {
  test('D1-D3: a DHCP port serves its IPv4 subnet and routes the metadata service through the router interface', async () => {
    const { db, n, s4, s6 } = await setup();
    // the subnet's gateway is a router interface (a router port holding the gateway)
    await db.update(subnetTranslator, {
      id: s4,
      network_id: n,
      cidr: { version: 'V4', address: '127.0.0.0', prefix_length: 8 },
      gateway_ip: v4('127.0.0.20'),
      ip_version: 4,
      enable_dhcp: true,
    });
    const router = randomUUID();
    const rp = randomUUID();
    await db.put('Router', { id: router });
    await db.put('Port', { id: rp, router_id: router, dhcp_id: s4 });
    const p: NeutronPort = {
      id: randomUUID(),
      network_id: n,
      device_owner: 'DHCP',
      admin_state_up: true,
      mac_address: MAC,
      fixed_ips: [
        { ip_address: v4('127.0.0.1'), subnet_id: s4 },
        { ip_address: v6(V6IP), subnet_id: s6 },
      ],
    };
    const ops = await db.create(portTranslator, p);
    assert.deepEqual(
      ops.map((o) => `${o.op} ${'clazz' in o ? o.clazz : o.path}`),
      ['create Port', 'create Route', 'update Dhcp', 'update Dhcp', 'create NeutronPort'],
    );
    const route = await db.must('Route', ids.metadataServiceRouteId(rp, '127.0.0.1'));
    assert.deepEqual(route, {
      id: ids.metadataServiceRouteId(rp, '127.0.0.1'),
      src_subnet: { version: 'V4', address: '127.0.0.0', prefix_length: 8 },
      dst_subnet: { version: 'V4', address: '169.254.169.254', prefix_length: 32 },
      next_hop: 'PORT',
      next_hop_port_id: rp,
      weight: 100,
      next_hop_gateway: v4('127.0.0.1'),
    });
    const d = await db.must('Dhcp', s4);
    assert.deepEqual(d.server_address, v4('127.0.0.1'));
    assert.deepEqual(d.opt121_routes, [{ dst_subnet: { version: 'V4', address: '169.254.169.254', prefix_length: 32 }, gateway: v4('127.0.0.1') }]);
    const mp = await db.must('Port', p.id as string);
    assert.equal(mp.inbound_filter_id, undefined, 'a DHCP port is trusted');
    assert.deepEqual(db.entries('Network', n, 'mac_table'), [], 'no MAC entry for a DHCP port');
    await db.update(portTranslator, { ...p, admin_state_up: false });
    assert.equal((await db.must('Port', p.id as string)).admin_state_up, false);
    await db.delete(portTranslator, p.id as string);
    const after = await db.must('Dhcp', s4);
    assert.deepEqual(after.server_address, v4('127.0.0.20'));
    assert.deepEqual(after.opt121_routes ?? [], []);
    assert.equal(await db.get('Route', ids.metadataServiceRouteId(rp, '127.0.0.1')), null);
  });

  test('D5/D6: the server address goes back to the gateway, or away', async () => {
    const { db, n } = await setup();
    const s = randomUUID();
    await db.create(subnetTranslator, {
      id: s,
      network_id: n,
      cidr: { version: 'V4', address: '10.0.0.0', prefix_length: 16 },
      gateway_ip: v4('10.0.2.7'),
      ip_version: 4,
      enable_dhcp: true,
    });
    const p: NeutronPort = {
      id: randomUUID(),
      network_id: n,
      device_owner: 'DHCP',
      admin_state_up: true,
      mac_address: MAC,
      fixed_ips: [{ ip_address: v4('10.0.3.7'), subnet_id: s }],
    };
    await db.create(portTranslator, p);
    assert.deepEqual((await db.must('Dhcp', s)).server_address, v4('10.0.3.7'));
    await db.delete(portTranslator, p.id as string);
    assert.deepEqual((await db.must('Dhcp', s)).server_address, v4('10.0.2.7'));
  });

  test('D7: floating-IP ports have no MidoNet counterpart', async () => {
    const { db, port } = await setup();
    const p = port({ device_owner: 'FLOATINGIP' });
    assert.deepEqual(
      (await db.create(portTranslator, p)).map((o) => o.op),
      ['create'],
    );
    assert.deepEqual(
      (await db.update(portTranslator, { ...p, name: 'x' })).map((o) => `${o.op} ${'clazz' in o ? o.clazz : ''}`),
      ['update NeutronPort'],
    );
    assert.deepEqual(
      (await db.delete(portTranslator, p.id as string)).map((o) => `${o.op} ${'clazz' in o ? o.clazz : ''}`),
      ['delete NeutronPort'],
    );
  });

  test('D8/D9: load-balancer VIP ports are untrusted', async () => {
    for (const owner of ['LOADBALANCER', 'LOADBALANCERV2'] as const) {
      const { db, port } = await setup();
      const p = port({ device_owner: owner });
      await db.create(portTranslator, p);
      assert.equal((await db.must('Port', p.id as string)).inbound_filter_id, ids.inChainId(p.id as string));
      await db.delete(portTranslator, p.id as string);
      assert.equal(await db.get('Port', p.id as string), null);
    }
  });

  test('D10/D11: a router-interface port is seeded but gets no chains', async () => {
    const { db, n, s4 } = await setup();
    const p: NeutronPort = {
      id: randomUUID(),
      network_id: n,
      device_owner: 'ROUTER_INTERFACE',
      device_id: randomUUID(),
      admin_state_up: true,
      mac_address: '01:01:01:02:02:02',
      fixed_ips: [
        { ip_address: v4('127.0.0.2'), subnet_id: s4 },
        { ip_address: v4('127.0.0.3'), subnet_id: s4 },
      ],
    };
    const ops = await db.create(portTranslator, p);
    assert.deepEqual(
      ops.map((o) => `${o.op} ${'clazz' in o ? o.clazz : ''}`),
      ['createNode ', 'createNode ', 'createNode ', 'create Port', 'create NeutronPort'],
    );
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table').sort(), ['127.0.0.2,01:01:01:02:02:02', '127.0.0.3,01:01:01:02:02:02']);
    const mp = await db.must('Port', p.id as string);
    assert.equal(mp.inbound_filter_id, undefined);
    assert.deepEqual((await db.must('Dhcp', s4)).hosts ?? [], []);
    // D13 without a router: the port goes with its entries
    await db.delete(portTranslator, p.id as string);
    assert.deepEqual(db.entries('Network', n, 'ip4_mac_table'), []);
  });

  test('D17/D18: a remote-site port only seeds the tables, towards the L2 gateway port', async () => {
    const { db, n, s4 } = await setup();
    const p: NeutronPort = {
      id: randomUUID(),
      network_id: n,
      device_owner: 'REMOTE_SITE',
      admin_state_up: true,
      mac_address: 'aa:bb:cc:dd:ee:ff',
      fixed_ips: [{ ip_address: v4('127.0.0.1'), subnet_id: s4 }],
    };
    const ops = await db.create(portTranslator, p);
    assert.deepEqual(
      ops.map((o) => o.op),
      ['createNode', 'createNode', 'create'],
    );
    assert.deepEqual(db.entries('Network', n, 'mac_table'), [`aa:bb:cc:dd:ee:ff,${ids.l2gwNetworkPortId(n)}`]);
    assert.equal(await db.get('Port', p.id as string), null);
    const del = await db.delete(portTranslator, p.id as string);
    assert.deepEqual(
      del.map((o) => o.op),
      ['deleteNode', 'deleteNode', 'delete'],
    );
    assert.deepEqual(db.entries('Network', n, 'mac_table'), []);
  });

  test('ports on an uplink network have no MidoNet counterpart', async () => {
    const db = new MemoryNsdb();
    const n = randomUUID();
    await db.create(networkTranslator, { id: n, network_type: 'UPLINK', admin_state_up: true });
    const p: NeutronPort = { id: randomUUID(), network_id: n, admin_state_up: true, mac_address: MAC };
    assert.deepEqual(
      (await db.create(portTranslator, p)).map((o) => o.op),
      ['create'],
    );
    await db.delete(portTranslator, p.id as string);
    assert.equal(await db.get('NeutronPort', p.id as string), null);
  });

  test('D16: deleting a gateway port takes the tenant router port and its SNAT rules', async () => {
    const { db, n, s4 } = await setup();
    const g: NeutronPort = {
      id: randomUUID(),
      network_id: n,
      device_owner: 'ROUTER_GATEWAY',
      admin_state_up: true,
      mac_address: 'ab:cd:ef:00:00:03',
      fixed_ips: [{ ip_address: v4('127.0.0.5'), subnet_id: s4 }],
    };
    await db.create(portTranslator, g);
    const router = randomUUID();
    const gp = ids.tenantGwPortId(g.id as string);
    await db.put('Chain', { id: ids.outChainId(router), name: 'post' });
    await db.put('Router', { id: router });
    await db.put('Port', { id: gp, router_id: router, peer_id: g.id });
    await db.put('Rule', { id: ids.outSnatRuleId(router), chain_id: ids.outChainId(router), type: 'NAT_RULE', action: 'ACCEPT' });
    await db.delete(portTranslator, g.id as string);
    assert.equal(await db.get('Port', gp), null);
    assert.equal(await db.get('Rule', ids.outSnatRuleId(router)), null);
    assert.equal(await db.get('Port', g.id as string), null);
  });
});
