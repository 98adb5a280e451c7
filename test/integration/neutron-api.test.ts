/**
 * The Neutron API (`{root}/neutron`, part 1: networks, subnets, ports, security groups and rules)
 * through HTTP against a real node and ZooKeeper, driven with the exact requests
 * python-midonetclient's Neutron mixins send and the bodies networking-midonet builds; the
 * translated topology read back through the MidoNet REST API and from ZooKeeper.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REGISTERED_CLASSES } from '../../lib/nsdb/classes.js';
import { parseText, printText } from '../../lib/nsdb/codec/text-format.js';
import * as ids from '../../services/neutron/ids.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { NMT, NeutronClient, neutronMac, neutronNetwork, neutronPort, neutronSecurityGroup, neutronSgRule, neutronSubnet } from '../support/neutron-client.js';
import {
  assertError,
  assertMediaType,
  assertStatus,
  createStored,
  del,
  get,
  modelText,
  post,
  provenance,
  put,
  zkChildren,
  zkCounts,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let nc: NeutronClient;

before(async () => {
  t = await startTestNode();
  api = t.api;
  nc = new NeutronClient(api);
});

after(async () => {
  await t?.stop();
});

const V = (name: string, v: number): string => `application/vnd.org.midonet.${name}-v${v}+json`;
const C = (name: string, v: number): string => `application/vnd.org.midonet.collection.${name}-v${v}+json`;

/** A network with a /24 subnet and a security group, through the client. */
async function l2(cidr = '10.0.0.0/24', gateway = '10.0.0.1'): Promise<{ net: Json; subnet: Json; sg: Json }> {
  const net = neutronNetwork();
  assertStatus(await nc.createNetwork(net), 201);
  const subnet = neutronSubnet(net['id'] as string, { cidr, gateway_ip: gateway, allocation_pools: [] });
  assertStatus(await nc.createSubnet(subnet), 201);
  const sg = neutronSecurityGroup({}, (id) => [
    neutronSgRule(id, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }),
    neutronSgRule(id, { remote_group_id: id }),
  ]);
  assertStatus(await nc.createSecurityGroup(sg), 201);
  return { net, subnet, sg };
}

/** Counts of the objects a failed request must not have written. */
const WATCHED = [
  'NeutronNetwork',
  'NeutronSubnet',
  'NeutronPort',
  'SecurityGroup',
  'SecurityGroupRule',
  'Network',
  'Dhcp',
  'Port',
  'Chain',
  'Rule',
  'IPAddrGroup',
];

describe('GET /neutron', () => {
  test('the root document links it; it lists every collection and template the client reads', async () => {
    const root = await get(api, V('Application', 5));
    assertStatus(root, 200);
    assert.equal(root.json.neutron, `${api}/neutron`);
    const res = await get(root.json.neutron, NMT.neutron);
    assertStatus(res, 200);
    assertMediaType(res, NMT.neutron);
    const d = res.json;
    assert.equal(d.uri, `${api}/neutron`);
    assert.equal(d.networks, `${api}/neutron/networks`);
    assert.equal(d.port_template, `${api}/neutron/ports/{id}`);
    assert.equal(d.security_group_rule_template, `${api}/neutron/security_group_rules/{id}`);
    assert.equal(d.add_router_interface_template, `${api}/neutron/routers/{id}/add_router_interface`);
    assert.equal(d.vpn_services, `${api}/neutron/vpnservices`);
    assert.equal(d.ipsec_site_conn_template, `${api}/neutron/ipsec_site_connections/{id}`);
    assert.equal(d.bgp_speaker_template, `${api}/neutron/bgp_speakers/{id}`);
    assert.equal(d.load_balancer.pool_health_monitor, `${api}/neutron/lb/pool_health_monitor`);
    assert.equal(Object.keys(d).length, 1 + 27 * 2 + 2 + 1, '24 of the original, 3 of decision 0022');
    assertStatus(await get(`${api}/neutron`, 'application/json'), 406);
  });
});

describe('networks', () => {
  test('POST 201 with Location and the request echoed; GET; the bridge; PUT 200; duplicate 409; DELETE 204 twice', async () => {
    const net = neutronNetwork({ name: 'original-nw' });
    const id = net['id'] as string;
    const res = await nc.createNetwork(net);
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/neutron/networks/${id}`);
    assertMediaType(res, NMT.network);
    assert.deepEqual(res.json, {
      id,
      name: 'original-nw',
      status: 'ACTIVE',
      shared: false,
      tenant_id: net['tenant_id'],
      admin_state_up: true,
      'router:external': false,
      'provider:network_type': null,
      qos_policy_id: null,
    });
    const got = await nc.getNetwork(id);
    assertStatus(got, 200);
    assert.deepEqual(got.json, res.json);
    const bridge = await get(`${api}/bridges/${id}`, V('Bridge', 4));
    assertStatus(bridge, 200);
    assert.equal(bridge.json.name, 'original-nw');
    assert.equal(bridge.json.tenantId, net['tenant_id']);
    assert.deepEqual(await provenance(t, 'NeutronNetwork', id), [{ owner: 0x102, type: 1, version: 0 }]);
    assert.equal((await provenance(t, 'Network', id))[0]?.owner, 0x102);

    const renamed = await nc.updateNetwork(id, { ...net, id: randomUUID(), name: 'renamed', admin_state_up: false });
    assertStatus(renamed, 200);
    assert.equal(renamed.json.id, id, 'the path id wins');
    assert.equal(renamed.json.name, 'renamed');
    assert.equal((await get(`${api}/bridges/${id}`, V('Bridge', 4))).json.adminStateUp, false);

    assertError(await nc.createNetwork(net), 409, `A(n) Network with ID ${id} already exists.`);
    const missing = randomUUID();
    assertError(await nc.getNetwork(missing), 404, `There is no NeutronNetwork with ID ${missing}.`);
    assertStatus(await nc.deleteNetwork(id), 204);
    assertStatus(await get(`${api}/bridges/${id}`, V('Bridge', 4)), 404);
    assertStatus(await nc.deleteNetwork(id), 204);
    assertStatus(await nc.getNetwork(id), 404);
  });

  test('an uplink network has no bridge; GET shows the type upper-case', async () => {
    const net = neutronNetwork({ 'provider:network_type': 'uplink' });
    assertStatus(await nc.createNetwork(net), 201);
    assert.equal((await nc.getNetwork(net['id'] as string)).json['provider:network_type'], 'UPLINK');
    assertStatus(await get(`${api}/bridges/${String(net['id'])}`, V('Bridge', 4)), 404);
  });

  test('bulk POST: one transaction, the objects re-read; an empty array; a failing item writes nothing', async () => {
    const a = neutronNetwork({ name: 'a' });
    const b = neutronNetwork({ name: 'b' });
    const res = await nc.createNetworkBulk([a, b]);
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/neutron/networks`);
    assertMediaType(res, NMT.networks);
    assert.deepEqual(
      (res.json as Json[]).map((n) => [n.id, n.name]),
      [
        [a['id'], 'a'],
        [b['id'], 'b'],
      ],
    );
    const empty = await nc.createNetworkBulk([]);
    assertStatus(empty, 201);
    assert.deepEqual(empty.json, []);
    const before = await zkCounts(t, WATCHED);
    assertStatus(await nc.createNetworkBulk([neutronNetwork(), a]), 409);
    assert.deepEqual(await zkCounts(t, WATCHED), before);
    const list = await nc.getNetworks();
    assertStatus(list, 200);
    assert.ok((list.json as Json[]).some((n) => n.id === a['id']));
  });

  test('media types: 415 for a MidoNet type, 406 for an Accept it cannot give; bad JSON values 400', async () => {
    const url = await nc.url('networks');
    assertStatus(await post(url, 'application/json', neutronNetwork()), 415);
    assertStatus(await post(url, V('Bridge', 4), neutronNetwork()), 415);
    assertStatus(await nc.post(url, NMT.network, 'not an object'), 400);
    assertStatus(await post(url, NMT.network, neutronNetwork(), { headers: { Accept: NMT.port } }), 406);
    assertError(await nc.createNetwork(neutronNetwork({ id: 'not-a-uuid' })), 400, /"id"/);
    assertError(await nc.createNetwork(neutronNetwork({ admin_state_up: 'maybe' })), 400, /"admin_state_up"/);
    assertError(await nc.createNetwork({ name: 'no id' }), 400, 'The Network has no id.');
  });
});

describe('subnets', () => {
  test('a subnet is a DHCP subnet of the bridge; update; delete', async () => {
    const net = neutronNetwork();
    const netId = net['id'] as string;
    assertStatus(await nc.createNetwork(net), 201);
    const s = neutronSubnet(netId, { dns_nameservers: ['8.8.8.8'], host_routes: [{ destination: '20.0.0.0/24', nexthop: '10.0.0.13' }] });
    const sId = s['id'] as string;
    const res = await nc.createSubnet(s);
    assertStatus(res, 201);
    assert.equal(res.json.cidr, '10.0.0.0/24');
    const dhcp = await get(`${api}/bridges/${netId}/dhcp/10.0.0.0_24`, V('DhcpSubnet', 2));
    assertStatus(dhcp, 200);
    assert.equal(dhcp.json.defaultGateway, '10.0.0.1');
    assert.equal(dhcp.json.serverAddr, '10.0.0.1');
    assert.deepEqual(dhcp.json.dnsServerAddrs, ['8.8.8.8']);
    assert.deepEqual(dhcp.json.opt121Routes, [{ destinationPrefix: '20.0.0.0', destinationLength: 24, gatewayAddr: '10.0.0.13' }]);
    const got = await nc.getSubnet(sId);
    assert.deepEqual(got.json.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.deepEqual(got.json.host_routes, [{ destination: '20.0.0.0/24', nexthop: '10.0.0.13' }]);
    assertStatus(await nc.updateSubnet(sId, { ...s, gateway_ip: '10.0.0.254', dns_nameservers: [] }), 200);
    const updated = await get(`${api}/bridges/${netId}/dhcp/10.0.0.0_24`, V('DhcpSubnet', 2));
    assert.equal(updated.json.defaultGateway, '10.0.0.254');
    assert.equal(updated.json.serverAddr, '10.0.0.1', 'the server address stays');
    assertStatus(await nc.deleteSubnet(sId), 204);
    assertStatus(await get(`${api}/bridges/${netId}/dhcp/10.0.0.0_24`, V('DhcpSubnet', 2)), 404);
    assertStatus(await nc.deleteSubnet(sId), 204);
  });

  test('bad subnets: invalid CIDR, gateway outside, unknown network; nothing written', async () => {
    const net = neutronNetwork();
    assertStatus(await nc.createNetwork(net), 201);
    const before = await zkCounts(t, WATCHED);
    assertError(await nc.createSubnet(neutronSubnet(net['id'] as string, { cidr: '10.0.1.0/100' })), 400, /"cidr"/);
    const outside = neutronSubnet(net['id'] as string, { gateway_ip: '10.9.9.1' });
    assertError(await nc.createSubnet(outside), 400, /; Gateway address 10\.9\.9\.1 does not belong to subnet .* with CIDR 10\.0\.0\.0\/24$/);
    const missing = randomUUID();
    assertError(await nc.createSubnet(neutronSubnet(missing)), 404, `There is no NeutronNetwork with ID ${missing}.`);
    assert.deepEqual(await zkCounts(t, WATCHED), before);
  });
});

describe('security groups', () => {
  test('a group is an IP address group with two chains holding its rules; rules come and go', async () => {
    const sg = neutronSecurityGroup({ name: 'sg1', description: 'stargate 1' }, (id) => [
      neutronSgRule(id, { protocol: 'tcp', port_range_min: 80, port_range_max: 81, remote_ip_prefix: '10.10.0.0/16' }),
    ]);
    const id = sg['id'] as string;
    const res = await nc.createSecurityGroup(sg);
    assertStatus(res, 201);
    assert.equal(res.json.security_group_rules.length, 3);
    const group = await get(`${api}/ip_addr_groups/${id}`, V('IpAddrGroup', 1));
    assertStatus(group, 200);
    assert.equal(group.json.name, 'sg1');
    const rules = (chain: string) => get(`${api}/chains/${chain}/rules`, C('Rule', 2));
    const egress = await rules(ids.inChainId(id));
    assert.deepEqual(
      egress.json.map((r: Json) => [r.dlType, r.fragmentPolicy]),
      [
        [2048, 'any'],
        [34525, 'any'],
      ],
    );
    const ingress = await rules(ids.outChainId(id));
    assert.deepEqual(
      ingress.json.map((r: Json) => [r.type, r.nwProto, r.nwSrcAddress, r.nwSrcLength, r.tpDst, r.fragmentPolicy]),
      [
        ['accept', 6, '10.10.0.0', 16, { start: 80, end: 81 }, 'header'],
        ['accept', 6, '10.10.0.0', 16, null, 'nonheader'],
      ],
    );
    const got = await nc.getSecurityGroup(id);
    assert.equal(got.json.description, 'stargate 1');
    assert.deepEqual(
      got.json.security_group_rules.map((r: Json) => [r.direction, r.ethertype, r.protocol]),
      [
        ['egress', 'ipv4', null],
        ['egress', 'ipv6', null],
        ['ingress', 'ipv4', 'tcp'],
      ],
    );

    const rule = neutronSgRule(id, { direction: 'egress', protocol: '17', port_range_min: 53, port_range_max: 53 });
    const rr = await nc.createSecurityGroupRule(rule);
    assertStatus(rr, 201);
    assert.equal(rr.json.protocol, 'udp');
    assert.equal((await rules(ids.inChainId(id))).json.length, 4);
    assert.equal((await nc.getSecurityGroupRule(rule['id'] as string)).json.port_range_max, 53);
    assertStatus(await put(await nc.url('security_group_rule_template', rule['id'] as string), NMT.securityGroupRule, rule), 405);
    assertStatus(await nc.deleteSecurityGroupRule(rule['id'] as string), 204);
    assert.equal((await rules(ids.inChainId(id))).json.length, 2);
    assertStatus(await nc.getSecurityGroupRule(rule['id'] as string), 404);
    assertStatus(await nc.deleteSecurityGroupRule(rule['id'] as string), 204);

    assertStatus(await nc.updateSecurityGroup(id, { ...sg, name: 'renamed', security_group_rules: [] }), 200);
    assert.equal((await get(`${api}/ip_addr_groups/${id}`, V('IpAddrGroup', 1))).json.name, 'renamed');
    assert.equal((await nc.getSecurityGroup(id)).json.security_group_rules.length, 3, 'an update keeps the rules');
    assertStatus(await nc.deleteSecurityGroup(id), 204);
    assertStatus(await get(`${api}/ip_addr_groups/${id}`, V('IpAddrGroup', 1)), 404);
    assertStatus(await get(`${api}/chains/${ids.inChainId(id)}`, V('Chain', 1)), 404);
    assertStatus(await nc.getSecurityGroup(id), 404);
  });

  test('bad rules: unknown group, unknown remote group, unknown protocol; nothing written', async () => {
    const sg = neutronSecurityGroup();
    assertStatus(await nc.createSecurityGroup(sg), 201);
    const before = await zkCounts(t, WATCHED);
    const missing = randomUUID();
    assertError(await nc.createSecurityGroupRule(neutronSgRule(missing)), 404, `There is no SecurityGroup with ID ${missing}.`);
    assertError(
      await nc.createSecurityGroupRule(neutronSgRule(sg['id'] as string, { remote_group_id: missing })),
      404,
      `There is no SecurityGroup with ID ${missing}.`,
    );
    assertError(await nc.createSecurityGroupRule(neutronSgRule(sg['id'] as string, { protocol: 'bogus' })), 400, 'No RuleProtocol for string bogus');
    assertError(await nc.createSecurityGroupRule({ ...neutronSgRule(sg['id'] as string), id: (sg['security_group_rules'] as Json[])[0].id }), 409);
    assert.deepEqual(await zkCounts(t, WATCHED), before);
  });
});

describe('ports', () => {
  test('a VM port: bridge port, chains, DHCP host, MAC and ARP entries, group member; update; delete', async () => {
    const { net, subnet, sg } = await l2();
    const netId = net['id'] as string;
    const sgId = sg['id'] as string;
    const hostId = await createStored(t, 'Host', { name: 'compute-1' });
    const port = neutronPort(netId, {
      fixed_ips: [{ subnet_id: subnet['id'], ip_address: '10.0.0.5' }],
      security_groups: [sgId],
      'binding:host_id': 'compute-1',
      'binding:profile': { interface_name: 'tap-1' },
      allowed_address_pairs: [{ ip_address: '10.0.0.0/28', mac_address: 'fa:16:3e:00:00:99' }],
      extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1450', ip_version: 4 }],
    });
    const id = port['id'] as string;
    const mac = port['mac_address'] as string;
    const res = await nc.createPort(port);
    assertStatus(res, 201);
    assert.equal(res.json.device_owner, 'compute:nova');
    assert.deepEqual(res.json.allowed_address_pairs, [{ ip_address: '10.0.0.0/28', mac_address: 'fa:16:3e:00:00:99' }]);

    const bp = await get(`${api}/ports/${id}`, V('Port', 3));
    assertStatus(bp, 200);
    assert.equal(bp.json.deviceId, netId);
    assert.equal(bp.json.hostId, hostId);
    assert.equal(bp.json.interfaceName, 'tap-1');
    assert.equal(bp.json.inboundFilterId, ids.inChainId(id));
    assert.equal(bp.json.outboundFilterId, ids.outChainId(id));
    assert.ok(bp.json.tunnelKey > 0);
    const inbound = (await get(`${api}/chains/${ids.inChainId(id)}/rules`, C('Rule', 2))).json;
    assert.deepEqual(
      inbound.map((r: Json) => [r.id === ids.antiSpoofChainJumpRuleId(id) ? 'antispoof' : r.type, r.jumpChainId ?? null]),
      [
        ['antispoof', ids.antiSpoofChainId(id)],
        ['accept', null],
        ['jump', ids.inChainId(sgId)],
        ['drop', null],
      ],
    );
    assert.equal((await get(`${api}/chains/${ids.antiSpoofChainId(id)}/rules`, C('Rule', 2))).json.length, 1 + 2 + 2 + 1);
    const hosts = await get(`${api}/bridges/${netId}/dhcp/10.0.0.0_24/hosts`, C('DhcpHost', 2));
    assert.deepEqual(
      hosts.json.map((h: Json) => [h.macAddr, h.ipAddr, h.extraDhcpOpts]),
      [[mac, '10.0.0.5', [{ optName: 'mtu', optValue: '1450' }]]],
    );
    const macs = await get(`${api}/bridges/${netId}/mac_table`, C('MacPort', 2));
    assert.deepEqual(
      macs.json.map((m: Json) => [m.macAddr, m.portId]),
      [[mac, id]],
    );
    const arps = await get(`${api}/bridges/${netId}/arp_table`, C('IP4Mac', 1));
    assert.deepEqual(
      arps.json.map((a: Json) => [a.ip, a.mac]),
      [['10.0.0.5', mac]],
    );
    const addrs = await get(`${api}/ip_addr_groups/${sgId}/ip_addrs`, C('IpAddrGroupAddr', 1));
    assert.deepEqual(
      addrs.json.map((a: Json) => a.addr),
      ['10.0.0.5'],
    );
    // straight from ZooKeeper: the Neutron object next to its translation
    assert.match(await modelText(t, 'NeutronPort', id), /device_owner: COMPUTE/);
    assert.deepEqual(await zkChildren(t, `${zoom(t)}/tables/Network/${netId}/mac_table/0`), [`${mac},${id},2147483647`]);

    const got = await nc.getPort(id);
    assert.equal(got.json['binding:host_id'], 'compute-1');
    assert.deepEqual(got.json['binding:profile'], { interface_name: 'tap-1' });
    assert.deepEqual(got.json.fixed_ips, [{ ip_address: '10.0.0.5', subnet_id: subnet['id'] }]);
    assert.equal(got.json.port_security_enabled, true);

    // a new address, no security
    const moved = { ...port, fixed_ips: [{ subnet_id: subnet['id'], ip_address: '10.0.0.6' }], port_security_enabled: false, security_groups: [] };
    const upd = await nc.updatePort(id, moved);
    assertStatus(upd, 200);
    assert.equal(upd.json.port_security_enabled, false);
    assert.deepEqual((await get(`${api}/chains/${ids.inChainId(id)}/rules`, C('Rule', 2))).json, []);
    assert.deepEqual(
      (await get(`${api}/bridges/${netId}/arp_table`, C('IP4Mac', 1))).json.map((a: Json) => a.ip),
      ['10.0.0.6'],
    );
    assert.deepEqual(
      (await get(`${api}/bridges/${netId}/dhcp/10.0.0.0_24/hosts`, C('DhcpHost', 2))).json.map((h: Json) => h.ipAddr),
      ['10.0.0.6'],
    );
    assert.deepEqual((await get(`${api}/ip_addr_groups/${sgId}/ip_addrs`, C('IpAddrGroupAddr', 1))).json, []);

    assertStatus(await nc.deletePort(id), 204);
    assertStatus(await get(`${api}/ports/${id}`, V('Port', 3)), 404);
    assertStatus(await get(`${api}/chains/${ids.antiSpoofChainId(id)}`, V('Chain', 1)), 404);
    assert.deepEqual((await get(`${api}/bridges/${netId}/mac_table`, C('MacPort', 2))).json, []);
    assert.deepEqual((await get(`${api}/bridges/${netId}/arp_table`, C('IP4Mac', 1))).json, []);
    assert.deepEqual((await get(`${api}/bridges/${netId}/dhcp/10.0.0.0_24/hosts`, C('DhcpHost', 2))).json, []);
    assert.deepEqual((await get(`${api}/hosts/${hostId}/ports`, C('HostInterfacePort', 1))).json, []);
    assertStatus(await nc.deletePort(id), 204);
  });

  test('the DHCP port serves its subnet; a port without owner reads as a VM port', async () => {
    const { net, subnet } = await l2('10.1.0.0/24', '10.1.0.1');
    const netId = net['id'] as string;
    const dhcpPort = neutronPort(netId, {
      device_owner: 'network:dhcp',
      device_id: `dhcp-${randomUUID()}`,
      fixed_ips: [{ subnet_id: subnet['id'], ip_address: '10.1.0.2' }],
    });
    assertStatus(await nc.createPort(dhcpPort), 201);
    const d = await get(`${api}/bridges/${netId}/dhcp/10.1.0.0_24`, V('DhcpSubnet', 2));
    assert.equal(d.json.serverAddr, '10.1.0.2');
    assert.deepEqual(d.json.opt121Routes, [{ destinationPrefix: '169.254.169.254', destinationLength: 32, gatewayAddr: '10.1.0.2' }]);
    assert.equal((await get(`${api}/ports/${String(dhcpPort['id'])}`, V('Port', 3))).json.inboundFilterId, null);
    assertStatus(await nc.deletePort(dhcpPort['id'] as string), 204);
    assert.equal((await get(`${api}/bridges/${netId}/dhcp/10.1.0.0_24`, V('DhcpSubnet', 2))).json.serverAddr, '10.1.0.1');

    const bare = { id: randomUUID(), network_id: netId, mac_address: neutronMac(), admin_state_up: true };
    const res = await nc.createPort(bare);
    assertStatus(res, 201);
    assert.equal(res.json.device_owner, null, 'the echo is the request as parsed');
    assert.equal((await nc.getPort(bare.id)).json.device_owner, 'compute:nova');
    assert.equal((await get(`${api}/ports/${bare.id}`, V('Port', 3))).json.inboundFilterId, ids.inChainId(bare.id));
  });

  test('bulk POST of ports', async () => {
    const { net, subnet } = await l2('10.2.0.0/24', '10.2.0.1');
    const ports = [1, 2, 3].map((i) => neutronPort(net['id'] as string, { fixed_ips: [{ subnet_id: subnet['id'], ip_address: `10.2.0.${10 + i}` }] }));
    const res = await nc.createPortBulk(ports);
    assertStatus(res, 201);
    assert.deepEqual(
      (res.json as Json[]).map((p) => p.fixed_ips[0].ip_address),
      ['10.2.0.11', '10.2.0.12', '10.2.0.13'],
    );
    const hosts = await get(`${api}/bridges/${String(net['id'])}/dhcp/10.2.0.0_24/hosts`, C('DhcpHost', 2));
    assert.equal(hosts.json.length, 3);
  });

  test('bad ports: unknown network, address outside its subnet, unknown host, unknown group, duplicate id; nothing written', async () => {
    const { net, subnet } = await l2('10.3.0.0/24', '10.3.0.1');
    const netId = net['id'] as string;
    const before = await zkCounts(t, WATCHED);
    const missing = randomUUID();
    assertError(await nc.createPort(neutronPort(missing)), 404, `There is no NeutronNetwork with ID ${missing}.`);
    assertError(
      await nc.createPort(neutronPort(netId, { fixed_ips: [{ subnet_id: subnet['id'], ip_address: '10.4.0.5' }] })),
      400,
      new RegExp(`; Port address 10\\.4\\.0\\.5 does not belong to subnet ${String(subnet['id'])} with CIDR 10\\.3\\.0\\.0/24$`),
    );
    assertError(
      await nc.createPort(neutronPort(netId, { 'binding:host_id': 'nowhere', 'binding:profile': { interface_name: 'tap9' } })),
      404,
      'There is no Host with ID nowhere.',
    );
    const sg = randomUUID();
    assertError(await nc.createPort(neutronPort(netId, { security_groups: [sg] })), 404, `There is no IPAddrGroup with ID ${sg}.`);
    assertError(await nc.createPort(neutronPort(netId, { mac_address: 'not-a-mac' })), 400, /MAC address string must be 6 words/);
    assert.deepEqual(await zkCounts(t, WATCHED), before);
    const p = neutronPort(netId);
    assertStatus(await nc.createPort(p), 201);
    assertError(await nc.createPort(p), 409);
    assertError(await nc.updatePort(randomUUID(), p), 404);
    assertError(
      await nc.updatePort(p['id'] as string, { ...p, device_owner: 'network:dhcp' }),
      500,
      /device_owner update from COMPUTE to DHCP isn't supported$/,
    );
  });
});

describe('ZooKeeper', () => {
  test('a port written by the Neutron API is in the original layout (models, provenance of cluster:neutron, tables)', async () => {
    const { net, subnet } = await l2('10.5.0.0/24', '10.5.0.1');
    const p = neutronPort(net['id'] as string, { fixed_ips: [{ subnet_id: subnet['id'], ip_address: '10.5.0.9' }] });
    assertStatus(await nc.createPort(p), 201);
    const id = p['id'] as string;
    for (const clazz of ['NeutronPort', 'Port', 'Chain']) {
      const key = clazz === 'Chain' ? ids.antiSpoofChainId(id) : id;
      assert.equal((await provenance(t, clazz, key))[0]?.owner, 0x102, clazz);
    }
    const children = await zkChildren(t, `${zoom(t)}/tables/Network/${String(net['id'])}/ip4_mac_table`);
    assert.deepEqual(children, [`10.5.0.9,${String(p['mac_address'])},2147483647`]);
    assertStatus(await del(`${api}/neutron/ports/${id}`), 204);
  });
});

describe('the stored objects and the protobuf schema', () => {
  test('every object the Neutron API wrote parses with the schema, strictly, and prints back to the same text', async () => {
    // lib/models/proto is the original's schema field for field (names, numbers, labels, types,
    // defaults, enum values); unknown fields and missing required fields are errors here
    const seen = new Map<string, number>();
    for (const clazz of REGISTERED_CLASSES) {
      for (const id of await zkChildren(t, `${zoom(t)}/models/${clazz}`)) {
        const text = await modelText(t, clazz, id);
        const parsed = parseText(clazz, text, { allowUnknownFields: false });
        assert.equal(printText(clazz, parsed), text, `${clazz} ${id}`);
        seen.set(clazz, (seen.get(clazz) ?? 0) + 1);
      }
    }
    for (const clazz of [
      'NeutronNetwork',
      'NeutronSubnet',
      'NeutronPort',
      'SecurityGroup',
      'SecurityGroupRule',
      'Network',
      'Dhcp',
      'Port',
      'Chain',
      'Rule',
      'IPAddrGroup',
    ]) {
      assert.ok((seen.get(clazz) ?? 0) > 0, `no ${clazz} was checked`);
    }
  });
});
