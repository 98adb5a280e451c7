/**
 * The network and subnet translators (services/neutron/translators) against the cases of the
 * original's NetworkTranslatorTest / NetworkIT / SubnetTranslatorIT, over an in-memory NSDB.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { NeutronNetwork, NeutronSubnet } from '../../lib/models/generated.js';
import { NotFoundError } from '../../lib/nsdb/errors.js';
import { networkTranslator, portTranslator, subnetTranslator } from '../../services/neutron/translators/index.js';
import { TranslationError } from '../../services/neutron/translation.js';
import { MemoryNsdb } from '../support/memory-nsdb.js';

const net = (id: string, extra: Partial<NeutronNetwork> = {}): NeutronNetwork => ({
  id,
  tenant_id: 'neutron tenant',
  name: 'neutron test',
  admin_state_up: true,
  shared: false,
  external: false,
  ...extra,
});

const v4 = (address: string) => ({ version: 'V4' as const, address });
const cidr4 = (address: string, prefix_length: number) => ({ version: 'V4' as const, address, prefix_length });

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

describe('networks', () => {
  test('A1: a network becomes a bridge with the same id; the Neutron network is stored too', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    await db.create(networkTranslator, net(id));
    assert.deepEqual(await db.get('Network', id), { id, tenant_id: 'neutron tenant', name: 'neutron test', admin_state_up: true });
    assert.equal((await db.get('NeutronNetwork', id))?.name, 'neutron test');
    assert.deepEqual(
      db.ops.map((o) => `${o.op} ${'clazz' in o ? o.clazz : ''}`),
      ['create Network', 'create NeutronNetwork'],
    );
  });

  test('A3/A4: an update renames, keeps the tenant, sets and clears the QoS policy', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    const qos = randomUUID();
    await db.put('QosPolicy', { id: qos, name: 'q' });
    await db.create(networkTranslator, net(id));
    await db.update(networkTranslator, net(id, { name: 'name2', admin_state_up: false, tenant_id: 'neutron tenant2', qos_policy_id: qos }));
    assert.deepEqual(await db.get('Network', id), { id, tenant_id: 'neutron tenant', name: 'name2', admin_state_up: false, qos_policy_id: qos });
    await db.update(networkTranslator, net(id, { name: 'name2' }));
    assert.equal((await db.must('Network', id)).qos_policy_id, undefined);
    assert.deepEqual((await db.must('QosPolicy', qos)).network_ids ?? [], []);
  });

  test('A5/A12: delete removes both; deleting again is no change', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    await db.create(networkTranslator, net(id));
    await db.delete(networkTranslator, id);
    assert.equal(await db.get('Network', id), null);
    assert.equal(await db.get('NeutronNetwork', id), null);
    assert.deepEqual(await db.delete(networkTranslator, id), [{ op: 'delete', clazz: 'NeutronNetwork', id }]);
  });

  test('A13: an uplink network has no bridge', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    await db.create(networkTranslator, net(id, { network_type: 'UPLINK' }));
    assert.equal(await db.get('Network', id), null);
    assert.ok(await db.get('NeutronNetwork', id));
    await db.update(networkTranslator, net(id, { network_type: 'UPLINK', name: 'x' }));
    assert.equal((await db.must('NeutronNetwork', id)).name, 'x');
  });

  test('A9: the same id twice is refused and writes nothing', async () => {
    const db = new MemoryNsdb();
    const id = randomUUID();
    await db.create(networkTranslator, net(id));
    const before = db.zk.zxid;
    assert.ok((await rejects(db.create(networkTranslator, net(id)))) instanceof Error);
    assert.equal(db.zk.zxid, before);
  });
});

describe('subnets', () => {
  async function withNetwork(): Promise<{ db: MemoryNsdb; n: string }> {
    const db = new MemoryNsdb();
    const n = randomUUID();
    await db.create(networkTranslator, net(n));
    return { db, n };
  }
  const subnet = (id: string, n: string, extra: Partial<NeutronSubnet> = {}): NeutronSubnet => ({
    id,
    network_id: n,
    cidr: cidr4('10.0.0.0', 24),
    ip_version: 4,
    enable_dhcp: true,
    shared: false,
    ...extra,
  });

  test('B1: a subnet becomes a DHCP subnet with the same id; the network lists it', async () => {
    const { db, n } = await withNetwork();
    const s = randomUUID();
    await db.create(subnetTranslator, subnet(s, n));
    assert.deepEqual(await db.get('Dhcp', s), { id: s, network_id: n, subnet_address: cidr4('10.0.0.0', 24), enabled: true });
    assert.deepEqual((await db.must('NeutronNetwork', n)).subnets, [s]);
    assert.deepEqual((await db.must('Network', n)).dhcp_ids, [s]);
  });

  test('B2-B4: gateway (also the server address), DNS servers, host routes as option 121', async () => {
    const { db, n } = await withNetwork();
    const s = randomUUID();
    await db.create(
      subnetTranslator,
      subnet(s, n, {
        gateway_ip: v4('10.0.0.10'),
        dns_nameservers: [v4('10.0.0.50')],
        host_routes: [
          { destination: cidr4('20.20.20.0', 24), nexthop: v4('10.0.0.13') },
          { destination: cidr4('20.20.30.0', 24), nexthop: v4('10.0.0.14') },
        ],
      }),
    );
    const d = await db.must('Dhcp', s);
    assert.deepEqual(d.default_gateway, v4('10.0.0.10'));
    assert.deepEqual(d.server_address, v4('10.0.0.10'));
    assert.deepEqual(d.dns_server_address, [v4('10.0.0.50')]);
    assert.deepEqual(d.opt121_routes, [
      { dst_subnet: cidr4('20.20.20.0', 24), gateway: v4('10.0.0.13') },
      { dst_subnet: cidr4('20.20.30.0', 24), gateway: v4('10.0.0.14') },
    ]);
  });

  test('B5: subnets of uplink networks have no DHCP subnet', async () => {
    const db = new MemoryNsdb();
    const n = randomUUID();
    const s = randomUUID();
    await db.create(networkTranslator, net(n, { network_type: 'UPLINK' }));
    await db.create(subnetTranslator, subnet(s, n));
    await db.update(subnetTranslator, subnet(s, n, { name: 'x' }));
    assert.equal(await db.get('Dhcp', s), null);
    assert.equal((await db.must('NeutronSubnet', s)).name, 'x');
  });

  test('B6: delete removes the DHCP subnet and the id from the network', async () => {
    const { db, n } = await withNetwork();
    const s = randomUUID();
    await db.create(subnetTranslator, subnet(s, n));
    await db.delete(subnetTranslator, s);
    assert.equal(await db.get('Dhcp', s), null);
    assert.equal(await db.get('NeutronSubnet', s), null);
    assert.deepEqual((await db.must('NeutronNetwork', n)).subnets ?? [], []);
  });

  test('B8/B10: IPv6 subnets, updated CIDR and gateway', async () => {
    const { db, n } = await withNetwork();
    const s = randomUUID();
    await db.create(subnetTranslator, subnet(s, n, { cidr: { version: 'V6', address: '1000:0:0:0:0:0:0:0', prefix_length: 100 }, ip_version: 6 }));
    assert.deepEqual((await db.must('Dhcp', s)).subnet_address, { version: 'V6', address: '1000:0:0:0:0:0:0:0', prefix_length: 100 });
    await db.update(
      subnetTranslator,
      subnet(s, n, {
        cidr: { version: 'V6', address: '2000:0:0:0:0:0:0:0', prefix_length: 100 },
        gateway_ip: { version: 'V6', address: '2000:0:0:0:0:0:0:1' },
        ip_version: 6,
      }),
    );
    const d = await db.must('Dhcp', s);
    assert.equal(d.subnet_address?.address, '2000:0:0:0:0:0:0:0');
    assert.deepEqual(d.default_gateway, { version: 'V6', address: '2000:0:0:0:0:0:0:1' });
  });

  test('B12: an update keeps the server address and adds the metadata route of the DHCP port', async () => {
    const { db, n } = await withNetwork();
    const s = randomUUID();
    await db.create(
      subnetTranslator,
      subnet(s, n, {
        gateway_ip: v4('10.0.0.1'),
        dns_nameservers: [v4('8.8.8.8')],
        host_routes: [{ destination: cidr4('10.0.0.0', 24), nexthop: v4('10.0.0.27') }],
      }),
    );
    const dhcpPort = randomUUID();
    await db.create(portTranslator, {
      id: dhcpPort,
      network_id: n,
      device_owner: 'DHCP',
      admin_state_up: true,
      mac_address: 'fa:16:3e:00:00:01',
      fixed_ips: [{ ip_address: v4('10.0.0.7'), subnet_id: s }],
    });
    assert.deepEqual((await db.must('Dhcp', s)).server_address, v4('10.0.0.7'));
    await db.update(subnetTranslator, subnet(s, n, { cidr: cidr4('10.0.1.0', 24), gateway_ip: v4('10.0.1.1'), dns_nameservers: [v4('8.8.4.4')] }));
    const d = await db.must('Dhcp', s);
    assert.deepEqual(d.default_gateway, v4('10.0.1.1'));
    assert.deepEqual(d.server_address, v4('10.0.0.7'));
    assert.deepEqual(d.dns_server_address, [v4('8.8.4.4')]);
    assert.deepEqual(d.opt121_routes, [{ dst_subnet: cidr4('169.254.169.254', 32), gateway: v4('10.0.0.7') }]);
    // B13: the subnet goes first, then the DHCP port: its missing DHCP subnet is no obstacle
    await db.delete(subnetTranslator, s);
    await db.delete(portTranslator, dhcpPort);
    assert.equal(await db.get('Port', dhcpPort), null);
  });

  test('routes that use the gateway follow a change of it, and lose it when it goes', async () => {
    const { db, n } = await withNetwork();
    const s = randomUUID();
    await db.create(subnetTranslator, subnet(s, n, { gateway_ip: v4('10.0.0.1') }));
    const router = randomUUID();
    const rp = randomUUID();
    const route = randomUUID();
    await db.put('Router', { id: router });
    await db.put('Port', { id: rp, router_id: router });
    await db.put('Route', { id: route, next_hop: 'PORT', next_hop_port_id: rp, gateway_dhcp_id: s, next_hop_gateway: v4('10.0.0.1') });
    await db.update(subnetTranslator, subnet(s, n, { gateway_ip: v4('10.0.0.2') }));
    assert.deepEqual((await db.must('Route', route)).next_hop_gateway, v4('10.0.0.2'));
    await db.update(subnetTranslator, subnet(s, n));
    assert.equal((await db.must('Route', route)).next_hop_gateway, undefined);
  });

  test('a gateway outside the CIDR is refused; a subnet of a missing network is 404', async () => {
    const { db, n } = await withNetwork();
    const e = await rejects(db.create(subnetTranslator, subnet(randomUUID(), n, { gateway_ip: v4('10.0.1.1') })));
    assert.ok(e instanceof TranslationError && e.failure === 'invalid', String(e));
    assert.match((e as Error).message, /^Gateway address 10\.0\.1\.1 does not belong to subnet .* with CIDR 10\.0\.0\.0\/24$/);
    const missing = randomUUID();
    const e2 = await rejects(db.create(subnetTranslator, subnet(randomUUID(), missing)));
    assert.ok(e2 instanceof NotFoundError);
    assert.equal((e2 as Error).message, `There is no NeutronNetwork with ID ${missing}.`);
    assert.deepEqual(await db.all('Dhcp'), []);
  });
});
