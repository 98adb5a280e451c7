/**
 * Concurrent Neutron writes on shared objects: 20 port creations at once on one network, one
 * subnet and one security group (each changes the bridge, the DHCP subnet, the IP address group
 * and the MAC/ARP tables), sent to two nodes of one cluster. Optimistic transactions and group
 * commits, no lock: every request succeeds, and every entry of every port is there afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { NeutronClient, neutronNetwork, neutronPort, neutronSecurityGroup, neutronSubnet } from '../support/neutron-client.js';
import { assertStatus, get, type Json } from '../support/rest-helpers.js';
import { uniqueRootKey } from '../support/zk.js';

const C = (name: string, v: number): string => `application/vnd.org.midonet.collection.${name}-v${v}+json`;

let a: TestNode;
let b: TestNode;

before(async () => {
  const rootKey = uniqueRootKey();
  a = await startTestNode({ rootKey });
  b = await startTestNode({ rootKey });
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('20 concurrent port creations on one network and one security group, through two nodes', async () => {
  const ca = new NeutronClient(a.api);
  const cb = new NeutronClient(b.api);
  const net = neutronNetwork();
  const netId = net['id'] as string;
  assertStatus(await ca.createNetwork(net), 201);
  const subnet = neutronSubnet(netId, { cidr: '10.20.0.0/16', gateway_ip: '10.20.0.1' });
  assertStatus(await ca.createSubnet(subnet), 201);
  const sg = neutronSecurityGroup();
  const sgId = sg['id'] as string;
  assertStatus(await ca.createSecurityGroup(sg), 201);

  const ports = Array.from({ length: 20 }, (_, i) =>
    neutronPort(netId, { fixed_ips: [{ subnet_id: subnet['id'], ip_address: `10.20.${Math.floor(i / 200)}.${10 + (i % 200)}` }], security_groups: [sgId] }),
  );
  const results = await Promise.all(ports.map((p, i) => (i % 2 === 0 ? ca : cb).createPort(p)));
  assert.deepEqual(
    results.map((r) => r.status),
    ports.map(() => 201),
    results
      .filter((r) => r.status !== 201)
      .map((r) => r.text)
      .join('\n'),
  );

  const api = a.api;
  const want = ports.map((p) => `${String(p['mac_address'])} ${String((p['fixed_ips'] as Json[])[0].ip_address)} ${String(p['id'])}`).sort();
  const hosts = await get(`${api}/bridges/${netId}/dhcp/10.20.0.0_16/hosts`, C('DhcpHost', 2));
  assert.deepEqual(
    hosts.json.map((h: Json) => `${h.macAddr} ${h.ipAddr}`).sort(),
    want.map((w) => w.split(' ').slice(0, 2).join(' ')),
  );
  const macs = await get(`${api}/bridges/${netId}/mac_table`, C('MacPort', 2));
  assert.deepEqual(macs.json.map((m: Json) => `${m.macAddr} ${m.portId}`).sort(), want.map((w) => `${w.split(' ')[0]} ${w.split(' ')[2]}`).sort());
  const arps = await get(`${api}/bridges/${netId}/arp_table`, C('IP4Mac', 1));
  assert.deepEqual(
    arps.json.map((e: Json) => `${e.mac} ${e.ip}`).sort(),
    want.map((w) => w.split(' ').slice(0, 2).join(' ')),
  );
  const members = await get(`${api}/ip_addr_groups/${sgId}/ip_addrs`, C('IpAddrGroupAddr', 1));
  assert.equal(members.json.length, 20);
  const group = await a.node.storage.get('IPAddrGroup', sgId);
  assert.deepEqual((group.ip_addr_ports ?? []).flatMap((e) => e.port_ids ?? []).sort(), ports.map((p) => String(p['id'])).sort());
  const bridge = await a.node.storage.get('Network', netId);
  assert.deepEqual([...(bridge.port_ids ?? [])].sort(), ports.map((p) => String(p['id'])).sort());
  const keys = await Promise.all(ports.map(async (p) => (await a.node.storage.get('Port', String(p['id']))).tunnel_key));
  assert.equal(new Set(keys.map(String)).size, 20, 'every port has its own tunnel key');
});
