/**
 * Neutron's configuration, agent memberships and port bindings (services/neutron/translators/
 * tunnel-zone.ts, port-binding.ts) against the cases of the original's ConfigTranslatorTest,
 * AgentMembershipTranslatorTest, PortBindingTranslatorTest and the C3PO minion's tunnel-zone and
 * port-binding scenarios, over an in-memory NSDB.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { NotFoundError } from '../../lib/nsdb/errors.js';
import { TranslationError } from '../../services/neutron/translation.js';
import { agentMembershipTranslator, configTranslator, portBindingTranslator } from '../../services/neutron/translators/index.js';
import { neutronDefaultTunnelZone } from '../../services/neutron/translators/tunnel-zone.js';
import { MemoryNsdb } from '../support/memory-nsdb.js';

const v4 = (address: string) => ({ version: 'V4' as const, address });

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

function failure(e: unknown, kind: 'invalid' | 'conflict' | 'unsupported', message: string): void {
  assert.ok(e instanceof TranslationError, String(e));
  assert.equal(e.failure, kind);
  assert.equal(e.message, message);
}

describe('configuration', () => {
  test('CREATE makes the tunnel zone DEFAULT with the config id and protocol; the config is stored', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    const ops = await db.create(configTranslator, { id, tunnel_protocol: 'GRE' });
    assert.deepEqual(
      ops.map((o) => [o.op, 'clazz' in o ? o.clazz : '']),
      [
        ['create', 'TunnelZone'],
        ['create', 'NeutronConfig'],
      ],
    );
    assert.deepEqual(await db.must('TunnelZone', id), { id, name: 'DEFAULT', type: 'GRE' });
    assert.deepEqual(neutronDefaultTunnelZone({ id, tunnel_protocol: 'VXLAN' }).type, 'VXLAN');
    assert.deepEqual(neutronDefaultTunnelZone({ id }).type, 'GRE', 'the proto default');
    assert.ok(await db.get('NeutronConfig', id));
  });

  test('CREATE is a no-op on the zone if it exists', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    await db.put('TunnelZone', { id, name: 'mine', type: 'VXLAN' });
    const ops = await db.create(configTranslator, { id, tunnel_protocol: 'GRE' });
    assert.deepEqual(
      ops.map((o) => [o.op, 'clazz' in o ? o.clazz : '']),
      [['create', 'NeutronConfig']],
    );
    assert.equal((await db.must('TunnelZone', id)).name, 'mine');
  });

  test('UPDATE and DELETE are not supported (500), nothing written', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    await db.create(configTranslator, { id, tunnel_protocol: 'GRE' });
    const zxid = db.zk.zxid;
    failure(await rejects(db.update(configTranslator, { id, tunnel_protocol: 'VXLAN' })), 'unsupported', 'Config Update is not supported.');
    failure(await rejects(db.delete(configTranslator, id)), 'unsupported', 'Config Delete is not supported.');
    assert.equal(db.zk.zxid, zxid);
    assert.ok(await db.get('TunnelZone', id));
  });
});

/** A configuration (its zone) and a host. */
async function withZone(protocol: 'GRE' | 'VXLAN' = 'GRE') {
  const db = new MemoryNsdb();
  const tz = randomUUID();
  await db.create(configTranslator, { id: tz, tunnel_protocol: protocol });
  const host = randomUUID();
  await db.put('Host', { id: host, name: 'compute-1' });
  return { db, tz, host };
}

describe('agent membership', () => {
  test('Create adds the host with its address to the default zone; the host references the zone', async () => {
    const { db, tz, host } = await withZone('VXLAN');
    const ops = await db.create(agentMembershipTranslator, { id: host, ip_address: v4('192.168.0.1') });
    assert.deepEqual(
      ops.map((o) => [o.op, 'clazz' in o ? o.clazz : '']),
      [
        ['update', 'TunnelZone'],
        ['create', 'AgentMembership'],
      ],
    );
    const zone = await db.must('TunnelZone', tz);
    assert.deepEqual(zone.hosts, [{ host_id: host, ip: v4('192.168.0.1') }]);
    assert.deepEqual(zone.host_ids, [host]);
    assert.deepEqual((await db.must('Host', host)).tunnel_zone_ids, [tz]);
  });

  test('Delete removes the mapping of that host only, and the reference', async () => {
    const { db, tz, host } = await withZone();
    const other = randomUUID();
    await db.put('Host', { id: other, name: 'compute-2' });
    await db.create(agentMembershipTranslator, { id: other, ip_address: v4('127.0.0.2') });
    await db.create(agentMembershipTranslator, { id: host, ip_address: v4('127.0.0.1') });
    await db.delete(agentMembershipTranslator, host);
    const zone = await db.must('TunnelZone', tz);
    assert.deepEqual(zone.hosts, [{ host_id: other, ip: v4('127.0.0.2') }]);
    assert.deepEqual(zone.host_ids, [other]);
    assert.deepEqual((await db.must('Host', host)).tunnel_zone_ids ?? [], []);
    assert.equal(await db.get('AgentMembership', host), null);
  });

  test('Update is not supported', async () => {
    const { db, host } = await withZone();
    await db.create(agentMembershipTranslator, { id: host, ip_address: v4('127.0.0.1') });
    failure(
      await rejects(db.update(agentMembershipTranslator, { id: host, ip_address: v4('127.0.0.9') })),
      'unsupported',
      'Agent membership update is not supported',
    );
  });

  test('no configuration, two configurations, a host already in the zone, an unknown host: refused, nothing written', async () => {
    const db = new MemoryNsdb();
    const host = randomUUID();
    await db.put('Host', { id: host });
    failure(await rejects(db.create(agentMembershipTranslator, { id: host, ip_address: v4('10.0.0.1') })), 'conflict', 'Cannot find a Neutron configuration');

    const { db: db2, tz, host: h2 } = await withZone();
    await db2.run(async ({ tx }) => {
      const zone = await tx.get('TunnelZone', tz);
      await tx.update('TunnelZone', { ...zone, hosts: [{ host_id: h2, ip: v4('10.0.0.1') }], host_ids: [h2] });
    });
    let zxid = db2.zk.zxid;
    failure(await rejects(db2.create(agentMembershipTranslator, { id: h2, ip_address: v4('10.0.0.2') })), 'conflict', 'Tunnel zone membership already exists.');
    const unknown = randomUUID();
    assert.ok((await rejects(db2.create(agentMembershipTranslator, { id: unknown, ip_address: v4('10.0.0.3') }))) instanceof NotFoundError);
    assert.equal(db2.zk.zxid, zxid);

    await db2.create(configTranslator, { id: randomUUID(), tunnel_protocol: 'VXLAN' });
    zxid = db2.zk.zxid;
    failure(await rejects(db2.create(agentMembershipTranslator, { id: unknown })), 'conflict', 'Found more than 1 Neutron configuration');
    assert.equal(db2.zk.zxid, zxid);
  });

  test('Delete of a membership whose host mapping is gone is a conflict', async () => {
    const { db, tz, host } = await withZone();
    await db.create(agentMembershipTranslator, { id: host, ip_address: v4('127.0.0.1') });
    await db.run(async ({ tx }) => {
      const zone = await tx.get('TunnelZone', tz);
      await tx.update('TunnelZone', { ...zone, hosts: [], host_ids: [] });
    });
    failure(await rejects(db.delete(agentMembershipTranslator, host)), 'conflict', `No host mapping found for host ${host}`);
    assert.ok(await db.get('AgentMembership', host));
  });
});

describe('port binding', () => {
  async function setup() {
    const db = new MemoryNsdb();
    const bridge = randomUUID();
    await db.put('Network', { id: bridge, name: 'b' });
    const port = randomUUID();
    await db.put('Port', { id: port, network_id: bridge });
    const host1 = randomUUID();
    const host2 = randomUUID();
    await db.put('Host', { id: host1 }, { id: host2 });
    return { db, bridge, port, host1, host2 };
  }

  test('binds the port to the host and interface; the host lists the port; the binding is stored', async () => {
    const { db, port, host1 } = await setup();
    const id = randomUUID();
    const ops = await db.create(portBindingTranslator, { id, host_id: host1, interface_name: 'en0', port_id: port });
    assert.deepEqual(
      ops.map((o) => [o.op, 'clazz' in o ? o.clazz : '']),
      [
        ['update', 'Port'],
        ['create', 'PortBinding'],
      ],
    );
    const p = await db.must('Port', port);
    assert.equal(p.host_id, host1);
    assert.equal(p.interface_name, 'en0');
    assert.deepEqual((await db.must('Host', host1)).port_ids, [port]);
  });

  test('a binding to a missing port or host is 404; to a bound port a conflict; nothing written', async () => {
    const { db, port, host1, host2 } = await setup();
    const zxid = db.zk.zxid;
    assert.ok(
      (await rejects(db.create(portBindingTranslator, { id: randomUUID(), host_id: host1, interface_name: 'en0', port_id: randomUUID() }))) instanceof
        NotFoundError,
    );
    assert.ok(
      (await rejects(db.create(portBindingTranslator, { id: randomUUID(), host_id: randomUUID(), interface_name: 'en0', port_id: port }))) instanceof
        NotFoundError,
    );
    assert.equal(db.zk.zxid, zxid);
    await db.create(portBindingTranslator, { id: randomUUID(), host_id: host1, interface_name: 'in-a', port_id: port });
    const e = await rejects(db.create(portBindingTranslator, { id: randomUUID(), host_id: host2, interface_name: 'in-b', port_id: port }));
    failure(e, 'conflict', `Port ${port} is already bound to host ${host1}`);
    assert.equal((await db.must('Port', port)).interface_name, 'in-a');
  });

  test('update is not allowed', async () => {
    const { db, port, host1 } = await setup();
    const id = randomUUID();
    await db.create(portBindingTranslator, { id, host_id: host1, interface_name: 'en0', port_id: port });
    failure(
      await rejects(db.update(portBindingTranslator, { id, host_id: host1, interface_name: 'en1', port_id: port })),
      'unsupported',
      'Updating a port binding is not allowed',
    );
  });

  test('delete unbinds the port (host and interface cleared, the host no longer lists it)', async () => {
    const { db, port, host2 } = await setup();
    const id = randomUUID();
    await db.create(portBindingTranslator, { id, host_id: host2, interface_name: 'in-b', port_id: port });
    const ops = await db.delete(portBindingTranslator, id);
    assert.deepEqual(
      ops.map((o) => [o.op, 'clazz' in o ? o.clazz : '']),
      [
        ['update', 'Port'],
        ['delete', 'PortBinding'],
      ],
    );
    const p = await db.must('Port', port);
    assert.equal(p.host_id, undefined);
    assert.equal(p.interface_name, undefined);
    assert.deepEqual((await db.must('Host', host2)).port_ids ?? [], []);
    assert.equal(await db.get('PortBinding', id), null);
  });

  test('delete of a binding whose port is gone deletes the binding (decision 0022)', async () => {
    const { db, port, host1 } = await setup();
    const id = randomUUID();
    await db.create(portBindingTranslator, { id, host_id: host1, interface_name: 'en0', port_id: port });
    await db.run(({ tx }) => tx.delete('Port', port));
    await db.delete(portBindingTranslator, id);
    assert.equal(await db.get('PortBinding', id), null);
  });
});
