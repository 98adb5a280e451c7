/**
 * The Neutron API's L3 part (routers, router interfaces, floating IPs, external networks) through
 * HTTP against a real node and ZooKeeper, driven with the requests python-midonetclient's L3
 * mixin sends and the dicts networking-midonet passes it; the translated topology read back
 * through the MidoNet REST API, from ZooKeeper, and parsed with the original protobuf schema.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as ids from '../../services/neutron/ids.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { neutronNetwork, neutronPort, neutronSecurityGroup, neutronSgRule, neutronSubnet } from '../support/neutron-client.js';
import { L3MT, NeutronL3Client, gatewayInfo, interfaceInfo, neutronFloatingIp, neutronRouter } from '../support/neutron-l3-client.js';
import { storedParses } from '../support/protoc.js';
import { assertError, assertMediaType, assertStatus, createStored, eventually, get, zkChildren, zkCounts, zoom, type Json } from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let nc: NeutronL3Client;

before(async () => {
  t = await startTestNode();
  api = t.api;
  nc = new NeutronL3Client(api);
});

after(async () => {
  await t?.stop();
});

const V = (name: string, v: number): string => `application/vnd.org.midonet.${name}-v${v}+json`;
const C = (name: string, v: number): string => `application/vnd.org.midonet.collection.${name}-v${v}+json`;
const str = (o: Record<string, unknown>, k: string): string => String(o[k]);

/** What a refused request must not have written. */
const WATCHED = ['NeutronRouter', 'FloatingIp', 'NeutronPort', 'Router', 'Port', 'Route', 'Rule', 'Chain', 'PortGroup'];

/** An external network with a /24 (gateway .1), through the client. */
async function external(cidr = '200.0.0.0/24', gateway = '200.0.0.1') {
  const net = neutronNetwork({ name: 'public', 'router:external': true });
  assertStatus(await nc.createNetwork(net), 201);
  const subnet = neutronSubnet(str(net, 'id'), { cidr, gateway_ip: gateway, allocation_pools: [], enable_dhcp: false });
  assertStatus(await nc.createSubnet(subnet), 201);
  return { net, subnet, netId: str(net, 'id'), subnetId: str(subnet, 'id') };
}

/** A tenant network with a /24 (gateway .1). */
async function tenant(cidr: string, gateway: string) {
  const net = neutronNetwork();
  assertStatus(await nc.createNetwork(net), 201);
  const subnet = neutronSubnet(str(net, 'id'), { cidr, gateway_ip: gateway, allocation_pools: [] });
  assertStatus(await nc.createSubnet(subnet), 201);
  return { net, subnet, netId: str(net, 'id'), subnetId: str(subnet, 'id') };
}

/** What the L3 plugin does for a router with a gateway: the gateway port first, then the router. */
async function routerWithGateway(ext: { netId: string; subnetId: string }, ip: string, enableSnat = true) {
  const routerId = randomUUID();
  const gw = neutronPort(ext.netId, {
    device_owner: 'network:router_gateway',
    device_id: routerId,
    fixed_ips: [{ subnet_id: ext.subnetId, ip_address: ip }],
    tenant_id: '',
    project_id: '',
  });
  assertStatus(await nc.createPort(gw), 201);
  const router = neutronRouter({ id: routerId, gw_port_id: gw['id'], external_gateway_info: gatewayInfo(ext.netId, ext.subnetId, ip, enableSnat) });
  const res = await nc.createRouter(router);
  assertStatus(res, 201);
  return { router, routerId, gw, gwId: str(gw, 'id') };
}

/** add_router_interface as the L3 plugin does it: the interface port, then the interface. */
async function addInterface(routerId: string, net: { netId: string; subnetId: string }, ip: string) {
  const port = neutronPort(net.netId, {
    device_owner: 'network:router_interface',
    device_id: routerId,
    fixed_ips: [{ subnet_id: net.subnetId, ip_address: ip }],
  });
  assertStatus(await nc.createPort(port), 201);
  const res = await nc.addRouterInterface(routerId, interfaceInfo(routerId, str(port, 'id'), net.subnetId, net.netId));
  assertStatus(res, 204);
  return { port, portId: str(port, 'id') };
}

async function vmPort(net: { netId: string; subnetId: string }, ip: string, sgs: string[] = []) {
  const port = neutronPort(net.netId, { fixed_ips: [{ subnet_id: net.subnetId, ip_address: ip }], security_groups: sgs });
  assertStatus(await nc.createPort(port), 201);
  return { port, portId: str(port, 'id') };
}

const rulesOf = async (chainId: string): Promise<Json[]> => {
  const res = await get(`${api}/chains/${chainId}/rules`, C('Rule', 2));
  assertStatus(res, 200);
  return res.json as Json[];
};

describe('routers', () => {
  test('POST 201 with Location and the echo; GET, list, PUT 200; the MidoNet router and its chains; DELETE 204 twice', async () => {
    const r = neutronRouter({ name: 'r1' });
    const id = str(r, 'id');
    const res = await nc.createRouter(r);
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/neutron/routers/${id}`);
    assertMediaType(res, L3MT.router);
    const echo = {
      id,
      name: 'r1',
      status: 'ACTIVE',
      tenant_id: r['tenant_id'],
      admin_state_up: true,
      gw_port_id: null,
      external_gateway_info: null,
      routes: [],
    };
    assert.deepEqual(res.json, echo);
    assert.deepEqual((await nc.getRouter(id)).json, echo);
    const list = await nc.getRouters();
    assertStatus(list, 200);
    assert.ok((list.json as Json[]).some((x) => x.id === id));

    const m = await get(`${api}/routers/${id}`, V('Router', 3));
    assertStatus(m, 200);
    assert.equal(m.json.name, 'r1');
    assert.equal(m.json.inboundFilterId, ids.inChainId(id));
    assert.equal(m.json.outboundFilterId, ids.outChainId(id));
    assert.equal((await get(`${api}/chains/${ids.outChainId(id)}`, V('Chain', 1))).json.name, `OS_POST_ROUTING_${id}`);
    const post = await rulesOf(ids.outChainId(id));
    assert.deepEqual(
      post.map((x) => x.jumpChainId),
      [ids.floatNat64ChainId(id), ids.skipSnatChainId(id), ids.floatSnatExactChainId(id), ids.floatSnatChainId(id)],
    );
    assertStatus(await get(`${api}/port_groups/${ids.portGroupId(id)}`, V('PortGroup', 1)), 200);

    const renamed = await nc.updateRouter(id, { ...r, id: randomUUID(), name: 'renamed', admin_state_up: false });
    assertStatus(renamed, 200);
    assert.equal(renamed.json.id, id);
    const m2 = (await get(`${api}/routers/${id}`, V('Router', 3))).json;
    assert.equal(m2.name, 'renamed');
    assert.equal(m2.adminStateUp, false);

    assertError(await nc.createRouter(r), 409, `A(n) Chain with ID ${ids.inChainId(id)} already exists.`);
    assertStatus(await nc.deleteRouter(id), 204);
    assertStatus(await get(`${api}/routers/${id}`, V('Router', 3)), 404);
    assertStatus(await get(`${api}/chains/${ids.outChainId(id)}`, V('Chain', 1)), 404);
    assertStatus(await nc.deleteRouter(id), 204);
    assertError(await nc.getRouter(id), 404, `There is no NeutronRouter with ID ${id}.`);
  });

  test('a gateway: the router port peered with the gateway port, default, local and subnet routes, SNAT; SNAT off and on; cleared', async () => {
    const ext = await external('200.0.1.0/24', '200.0.1.1');
    const { router, routerId, gw, gwId } = await routerWithGateway(ext, '200.0.1.10');
    const rp = ids.tenantGwPortId(gwId);
    const stored = (await nc.getRouter(routerId)).json;
    assert.equal(stored.gw_port_id, gwId);
    assert.deepEqual(stored.external_gateway_info, { network_id: ext.netId, enable_snat: true });
    assert.equal((await nc.getPort(gwId)).json['device_owner'], 'network:router_gateway');
    const ports = await get(`${api}/routers/${routerId}/ports`, C('Port', 3));
    assertStatus(ports, 200);
    assert.deepEqual(
      (ports.json as Json[]).map((p) => p.id),
      [rp],
    );
    const port = (ports.json as Json[])[0];
    assert.equal(port.peerId, gwId);
    assert.equal(port.portAddress, '200.0.1.10');
    assert.equal(port.portMac, gw['mac_address']);
    assert.equal((await get(`${api}/ports/${gwId}`, V('Port', 3))).json.peerId, rp);
    const routes = (await get(`${api}/routers/${routerId}/routes`, C('Route', 1))).json as Json[];
    const summary = routes.map((x) => `${x.dstNetworkAddr}/${x.dstNetworkLength} ${x.type} ${x.nextHopGateway ?? '-'}`).sort();
    assert.deepEqual(summary, ['0.0.0.0/0 Normal 200.0.1.1', '200.0.1.0/24 Normal -', '200.0.1.10/32 Local -'].sort());
    const pre = await rulesOf(ids.inChainId(routerId));
    assert.deepEqual(
      pre.map((x) => x.type),
      ['rev_snat', 'drop'],
    );
    const post = await rulesOf(ids.outChainId(routerId));
    assert.deepEqual(
      post.map((x) => x.type),
      ['jump', 'jump', 'jump', 'jump', 'snat', 'snat', 'drop'],
    );
    assert.deepEqual(post[4].natTargets, [{ addressFrom: '200.0.1.10', addressTo: '200.0.1.10', portFrom: 1024, portTo: 65535 }]);
    assert.deepEqual(await zkChildren(t, `${zoom(t)}/tables/Network/${ext.netId}/ip4_mac_table`), [`200.0.1.10,${str(gw, 'mac_address')},2147483647`]);

    assertStatus(await nc.updateRouter(routerId, { ...router, external_gateway_info: gatewayInfo(ext.netId, ext.subnetId, '200.0.1.10', false) }), 200);
    assert.deepEqual(await rulesOf(ids.inChainId(routerId)), []);
    assertStatus(await nc.updateRouter(routerId, router), 200);
    assert.equal((await rulesOf(ids.inChainId(routerId))).length, 2);

    // extra routes: through the gateway; a next hop no port reaches → 400, nothing written
    const withRoute = { ...router, routes: [{ destination: '10.99.0.0/16', nexthop: '200.0.1.254' }] };
    assertStatus(await nc.updateRouter(routerId, withRoute), 200);
    const rid = ids.extraRouteId(routerId, { address: '10.99.0.0', prefix: 16 }, '200.0.1.254');
    assertStatus(await get(`${api}/routes/${rid}`, V('Route', 1)), 200);
    const counts = await zkCounts(t, WATCHED);
    assertError(
      await nc.updateRouter(routerId, { ...router, routes: [{ destination: '10.98.0.0/16', nexthop: '172.31.0.1' }] }),
      400,
      `Failed to Update(NeutronRouter ${routerId}); No valid port was found to add route: destination 10.98.0.0/16 nexthop 172.31.0.1`,
    );
    assert.deepEqual(await zkCounts(t, WATCHED), counts);
    assertStatus(await get(`${api}/routes/${rid}`, V('Route', 1)), 200);

    // the gateway cleared (router update, then the port's deletion, as the L3 plugin does)
    assertStatus(await nc.updateRouter(routerId, { ...router, gw_port_id: null, external_gateway_info: null }), 200);
    assertStatus(await nc.deletePort(gwId), 204);
    assert.deepEqual(((await get(`${api}/routers/${routerId}/ports`, C('Port', 3))).json as Json[]).length, 0);
    assert.deepEqual(await rulesOf(ids.inChainId(routerId)), []);
    assert.deepEqual(await zkChildren(t, `${zoom(t)}/tables/Network/${ext.netId}/ip4_mac_table`), []);
    assertStatus(await nc.deleteRouter(routerId), 204);
  });

  test('a gateway port whose subnet is gone, or a gateway port that is not there → 404, nothing written', async () => {
    const ext = await external('200.0.2.0/24', '200.0.2.1');
    const gw = neutronPort(ext.netId, { device_owner: 'network:router_gateway', fixed_ips: [{ subnet_id: ext.subnetId, ip_address: '200.0.2.10' }] });
    assertStatus(await nc.createPort(gw), 201);
    assertStatus(await nc.deleteSubnet(ext.subnetId), 204);
    const before = await zkCounts(t, WATCHED);
    const r = neutronRouter({ gw_port_id: gw['id'], external_gateway_info: gatewayInfo(ext.netId, ext.subnetId, '200.0.2.10') });
    assertError(await nc.createRouter(r), 404, `There is no Dhcp with ID ${ext.subnetId}.`);
    const missing = randomUUID();
    assertError(await nc.createRouter(neutronRouter({ gw_port_id: missing })), 404, `There is no NeutronPort with ID ${missing}.`);
    assert.deepEqual(await zkCounts(t, WATCHED), before);
  });
});

describe('router interfaces', () => {
  test('add: the router port peered with the network port, routes, same-subnet SNAT, the DHCP gateway port; remove: all gone', async () => {
    const net = await tenant('10.1.0.0/24', '10.1.0.1');
    const r = neutronRouter();
    const routerId = str(r, 'id');
    assertStatus(await nc.createRouter(r), 201);
    const { port, portId } = await addInterface(routerId, net, '10.1.0.1');
    const rp = ids.routerInterfacePortPeerId(portId);
    const mp = await get(`${api}/ports/${rp}`, V('Port', 3));
    assertStatus(mp, 200);
    assert.equal(mp.json.deviceId, routerId);
    assert.equal(mp.json.peerId, portId);
    assert.equal(mp.json.portAddress, '10.1.0.1');
    assert.equal(mp.json.portMac, port['mac_address']);
    assert.equal((await get(`${api}/ports/${portId}`, V('Port', 3))).json.peerId, rp);
    const routes = ((await get(`${api}/routers/${routerId}/routes`, C('Route', 1))).json as Json[])
      .map((x) => `${x.dstNetworkAddr}/${x.dstNetworkLength} ${x.type}`)
      .sort();
    assert.deepEqual(routes, ['10.1.0.1/24 Normal', '10.1.0.1/32 Local']);
    const pre = await rulesOf(ids.inChainId(routerId));
    assert.deepEqual(
      pre.map((x) => [x.id, x.type]),
      [[ids.sameSubnetSnatRuleId(ids.inChainId(routerId), rp), 'rev_snat']],
    );
    assert.equal((await rulesOf(ids.outChainId(routerId))).length, 5);
    // the subnet's DHCP names the interface as its gateway port
    assertStatus(await get(`${api}/port_groups/${ids.routerInterfacePortGroupId(routerId)}`, V('PortGroup', 1)), 200);

    // the same interface again: 409, nothing written
    const before = await zkCounts(t, WATCHED);
    const again = await nc.addRouterInterface(routerId, interfaceInfo(routerId, portId, net.subnetId, net.netId));
    assertError(again, 409, new RegExp(`already references the Port with ID ${rp} via the field peer_id`));
    assert.deepEqual(await zkCounts(t, WATCHED), before);

    // remove: Neutron deletes the port, then tells the plugin
    assertStatus(await nc.deletePort(portId), 204);
    assertStatus(await nc.removeRouterInterface(routerId, interfaceInfo(routerId, portId, net.subnetId, net.netId)), 204);
    assertStatus(await get(`${api}/ports/${rp}`, V('Port', 3)), 404);
    assert.deepEqual((await get(`${api}/routers/${routerId}/routes`, C('Route', 1))).json, []);
    assert.deepEqual(await rulesOf(ids.inChainId(routerId)), []);
    assertStatus(await nc.deleteRouter(routerId), 204);
  });

  test('an edge router: the interface on an uplink network is a router port bound to the host interface', async () => {
    const hostName = `edge-${randomUUID().slice(0, 8)}`;
    const hostId = await createStored(t, 'Host', { name: hostName });
    const uplink = neutronNetwork({ name: 'uplink', 'provider:network_type': 'uplink' });
    assertStatus(await nc.createNetwork(uplink), 201);
    const subnet = neutronSubnet(str(uplink, 'id'), { cidr: '172.16.9.0/30', gateway_ip: '172.16.9.1', allocation_pools: [], enable_dhcp: false });
    assertStatus(await nc.createSubnet(subnet), 201);
    const r = neutronRouter();
    const routerId = str(r, 'id');
    assertStatus(await nc.createRouter(r), 201);
    const port = neutronPort(str(uplink, 'id'), {
      device_owner: 'network:router_interface',
      device_id: routerId,
      fixed_ips: [{ subnet_id: str(subnet, 'id'), ip_address: '172.16.9.2' }],
      'binding:host_id': hostName,
      'binding:profile': { interface_name: 'eth1' },
    });
    assertStatus(await nc.createPort(port), 201);
    assertStatus(await get(`${api}/ports/${str(port, 'id')}`, V('Port', 3)), 404);
    assertStatus(await nc.addRouterInterface(routerId, interfaceInfo(routerId, str(port, 'id'), str(subnet, 'id'), str(uplink, 'id'))), 204);
    const rp = (await get(`${api}/ports/${ids.routerInterfacePortPeerId(str(port, 'id'))}`, V('Port', 3))).json;
    assert.equal(rp.hostId, hostId);
    assert.equal(rp.interfaceName, 'eth1');
    assert.equal(rp.peerId, null);
    assert.equal(rp.portAddress, '172.16.9.2');
    const pg = (await get(`${api}/port_groups/${ids.portGroupId(routerId)}/ports`, C('PortGroupPort', 1))).json as Json[];
    assert.deepEqual(
      pg.map((x) => x.portId),
      [rp.id],
    );
    assertStatus(await nc.deletePort(str(port, 'id')), 204);
    assertStatus(await get(`${api}/ports/${String(rp.id)}`, V('Port', 3)), 404);
    assertStatus(await nc.deleteRouter(routerId), 204);
  });

  test('a port without addresses on a subnet without gateway → 400; an unknown port → 404; nothing written', async () => {
    const net = neutronNetwork();
    assertStatus(await nc.createNetwork(net), 201);
    const subnet = neutronSubnet(str(net, 'id'), { cidr: '10.2.0.0/24', gateway_ip: null, allocation_pools: [] });
    assertStatus(await nc.createSubnet(subnet), 201);
    const r = neutronRouter();
    const routerId = str(r, 'id');
    assertStatus(await nc.createRouter(r), 201);
    const port = neutronPort(str(net, 'id'), { device_owner: 'network:router_interface', device_id: routerId, fixed_ips: [] });
    assertStatus(await nc.createPort(port), 201);
    const before = await zkCounts(t, WATCHED);
    const missing = randomUUID();
    assertError(
      await nc.addRouterInterface(routerId, interfaceInfo(routerId, missing, str(subnet, 'id'), str(net, 'id'))),
      404,
      `There is no NeutronPort with ID ${missing}.`,
    );
    assertError(
      await nc.addRouterInterface(routerId, interfaceInfo(routerId, str(port, 'id'), str(subnet, 'id'), str(net, 'id'))),
      400,
      `Failed to Create(NeutronRouterInterface ${routerId}); Cannot create router interface because port ${ids.routerInterfacePortPeerId(str(port, 'id'))} has no fixed IPs and subnet ${str(subnet, 'id')} has no gateway IP`,
    );
    assert.deepEqual(await zkCounts(t, WATCHED), before);
  });
});

describe('floating IPs', () => {
  test('create, associate, re-associate, disassociate, delete: DNAT/SNAT rules on the router chains and the ARP entry on the external network', async () => {
    const ext = await external('200.0.3.0/24', '200.0.3.1');
    const { routerId, gw } = await routerWithGateway(ext, '200.0.3.2');
    const net = await tenant('10.4.0.0/24', '10.4.0.1');
    await addInterface(routerId, net, '10.4.0.1');
    const vm1 = await vmPort(net, '10.4.0.5');
    const vm2 = await vmPort(net, '10.4.0.6');
    const f = neutronFloatingIp(ext.netId, '200.0.3.50');
    const fipId = str(f, 'id');
    const res = await nc.createFloatingIp(f);
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/neutron/floating_ips/${fipId}`);
    assert.deepEqual(res.json, {
      id: fipId,
      floating_ip_address: '200.0.3.50',
      floating_network_id: ext.netId,
      router_id: null,
      port_id: null,
      fixed_ip_address: null,
      tenant_id: f['tenant_id'],
    });
    const arp = `${zoom(t)}/tables/Network/${ext.netId}/ip4_mac_table`;
    assert.deepEqual(await zkChildren(t, arp), [`200.0.3.2,${str(gw, 'mac_address')},2147483647`]);

    const assoc1 = { ...f, port_id: vm1.portId, fixed_ip_address: '10.4.0.5', router_id: routerId, status: 'ACTIVE' };
    assertStatus(await nc.updateFloatingIp(fipId, assoc1), 200);
    assert.deepEqual(
      (await zkChildren(t, arp)).sort(),
      [`200.0.3.2,${str(gw, 'mac_address')},2147483647`, `200.0.3.50,${str(gw, 'mac_address')},2147483647`].sort(),
    );
    const pre = await rulesOf(ids.inChainId(routerId));
    assert.equal(pre[0].id, ids.fipDnatRuleId(fipId));
    assert.equal(pre[0].type, 'dnat');
    assert.equal(pre[0].nwDstAddress, '200.0.3.50');
    assert.deepEqual(pre[0].natTargets, [{ addressFrom: '10.4.0.5', addressTo: '10.4.0.5', portFrom: 0, portTo: 0 }]);
    const snat = (await rulesOf(ids.floatSnatChainId(routerId)))[0];
    assert.equal(snat.id, ids.fipSnatRuleId(fipId));
    assert.equal(snat.nwSrcAddress, '10.4.0.5');
    assert.deepEqual(
      (await rulesOf(ids.floatSnatExactChainId(routerId))).map((x) => x.id),
      [ids.fipSnatExactRuleId(fipId)],
    );
    assert.deepEqual((await nc.getFloatingIp(fipId)).json.port_id, vm1.portId);
    assert.deepEqual((await nc.getPort(vm1.portId)).json['device_owner'], 'compute:nova');

    const assoc2 = { ...assoc1, port_id: vm2.portId, fixed_ip_address: '10.4.0.6' };
    assertStatus(await nc.updateFloatingIp(fipId, assoc2), 200);
    const dnat = (await rulesOf(ids.inChainId(routerId)))[0];
    assert.deepEqual(dnat.natTargets, [{ addressFrom: '10.4.0.6', addressTo: '10.4.0.6', portFrom: 0, portTo: 0 }]);
    assert.equal((await rulesOf(ids.floatSnatChainId(routerId))).length, 1);

    assertStatus(await nc.updateFloatingIp(fipId, f), 200);
    assert.deepEqual(await zkChildren(t, arp), [`200.0.3.2,${str(gw, 'mac_address')},2147483647`]);
    assert.deepEqual(await rulesOf(ids.floatSnatChainId(routerId)), []);
    assert.ok(!(await rulesOf(ids.inChainId(routerId))).some((x) => x.id === ids.fipDnatRuleId(fipId)));

    assertStatus(await nc.updateFloatingIp(fipId, assoc1), 200);
    assertStatus(await nc.deleteFloatingIp(fipId), 204);
    assert.deepEqual(await zkChildren(t, arp), [`200.0.3.2,${str(gw, 'mac_address')},2147483647`]);
    assert.deepEqual(await rulesOf(ids.floatSnatExactChainId(routerId)), []);
    assertStatus(await nc.deleteFloatingIp(fipId), 204);
    assertError(await nc.getFloatingIp(fipId), 404, `There is no FloatingIp with ID ${fipId}.`);
  });

  test('a floating IP on a network the router has no port on, an address outside the external subnet, a router without gateway → 409, nothing written', async () => {
    const ext = await external('200.0.4.0/24', '200.0.4.1');
    const { routerId } = await routerWithGateway(ext, '200.0.4.2');
    const net = await tenant('10.5.0.0/24', '10.5.0.1');
    await addInterface(routerId, net, '10.5.0.1');
    const vm = await vmPort(net, '10.5.0.5');
    const plain = await tenant('10.6.0.0/24', '10.6.0.1');
    const bare = neutronRouter();
    assertStatus(await nc.createRouter(bare), 201);
    const before = await zkCounts(t, WATCHED);
    const assoc = { port_id: vm.portId, fixed_ip_address: '10.5.0.5' };
    assertError(
      await nc.createFloatingIp(neutronFloatingIp(plain.netId, '10.6.0.50', { ...assoc, router_id: routerId })),
      409,
      new RegExp(`^Failed to Create\\(FloatingIp [0-9a-f-]+\\); Router ${routerId} has no port whose subnet contains 10.6.0.50$`),
    );
    assertError(
      await nc.createFloatingIp(neutronFloatingIp(ext.netId, '200.9.9.9', { ...assoc, router_id: routerId })),
      409,
      /has no port whose subnet contains 200.9.9.9$/,
    );
    assertError(
      await nc.createFloatingIp(neutronFloatingIp(ext.netId, '200.0.4.50', { ...assoc, router_id: bare['id'] })),
      409,
      new RegExp(`Router ${str(bare, 'id')} has no port whose subnet contains 200.0.4.50$`),
    );
    assert.deepEqual(await zkCounts(t, WATCHED), before);
  });

  test('20 concurrent associations on one router: all succeed, every NAT rule once in its chain', async () => {
    const ext = await external('200.0.5.0/24', '200.0.5.1');
    const { routerId } = await routerWithGateway(ext, '200.0.5.2');
    const net = await tenant('10.7.0.0/24', '10.7.0.1');
    await addInterface(routerId, net, '10.7.0.1');
    const n = 20;
    const vms: { portId: string }[] = [];
    const fips: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) {
      vms.push(await vmPort(net, `10.7.0.${10 + i}`));
      const f = neutronFloatingIp(ext.netId, `200.0.5.${100 + i}`);
      assertStatus(await nc.createFloatingIp(f), 201);
      fips.push(f);
    }
    const results = await Promise.all(
      fips.map((f, i) => nc.updateFloatingIp(str(f, 'id'), { ...f, port_id: vms[i]?.portId, fixed_ip_address: `10.7.0.${10 + i}`, router_id: routerId })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(n).fill(200),
      results.map((r) => r.text).join('\n'),
    );
    const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const chainIds = async (chain: string) => (await rulesOf(chain)).map((x) => String(x.id));
    const pre = count(await chainIds(ids.inChainId(routerId)));
    const exact = count(await chainIds(ids.floatSnatExactChainId(routerId)));
    const float = count(await chainIds(ids.floatSnatChainId(routerId)));
    const skip = count(await chainIds(ids.skipSnatChainId(routerId)));
    for (const f of fips) {
      const id = str(f, 'id');
      assert.equal(pre.get(ids.fipDnatRuleId(id)), 1);
      assert.equal(exact.get(ids.fipSnatExactRuleId(id)), 1);
      assert.equal(float.get(ids.fipSnatRuleId(id)), 1);
      assert.equal(skip.get(ids.fipSkipSnatOutRuleId(id)), 1);
      assert.equal(skip.get(ids.fipSkipSnatInRuleId(id)), 1);
    }
    assert.equal(exact.size, n);
    assert.equal(float.size, n);
    const arp = await zkChildren(t, `${zoom(t)}/tables/Network/${ext.netId}/ip4_mac_table`);
    assert.equal(arp.length, n + 1);
  });
});

describe('what the node writes parses with the original schema', () => {
  test('router, chains, gateway and interface ports, routes, SNAT and floating-IP rules, port groups, Neutron objects', async () => {
    const ext = await external('200.0.6.0/24', '200.0.6.1');
    const { routerId, gwId } = await routerWithGateway(ext, '200.0.6.2');
    const net = await tenant('10.8.0.0/24', '10.8.0.1');
    const { portId } = await addInterface(routerId, net, '10.8.0.1');
    const vm = await vmPort(net, '10.8.0.5');
    const f = neutronFloatingIp(ext.netId, '200.0.6.50', { port_id: vm.portId, fixed_ip_address: '10.8.0.5', router_id: routerId });
    assertStatus(await nc.createFloatingIp(f), 201);
    const fipId = str(f, 'id');
    const rgw = ids.tenantGwPortId(gwId);
    const rif = ids.routerInterfacePortPeerId(portId);
    const checks: [string, string][] = [
      ['Router', routerId],
      ['NeutronRouter', routerId],
      ['FloatingIp', fipId],
      ['Chain', ids.outChainId(routerId)],
      ['Chain', ids.skipSnatChainId(routerId)],
      ['PortGroup', ids.portGroupId(routerId)],
      ['PortGroup', ids.routerInterfacePortGroupId(routerId)],
      ['Port', rgw],
      ['Port', rif],
      ['Route', ids.gatewayRouteId(rgw, '200.0.6.2')],
      ['Route', ids.localRouteId(rif, '10.8.0.1')],
      ['Rule', ids.outSnatRuleId(routerId)],
      ['Rule', ids.inReverseSnatRuleId(routerId)],
      ['Rule', ids.inDropWrongPortTrafficRuleId(routerId)],
      ['Rule', ids.skipSnatAcceptRuleId(routerId)],
      ['Rule', ids.sameSubnetSnatRuleId(ids.outChainId(routerId), rif)],
      ['Rule', ids.fipDnatRuleId(fipId)],
      ['Rule', ids.fipSnatExactRuleId(fipId)],
      ['Rule', ids.fipSkipSnatInRuleId(fipId)],
    ];
    for (const [clazz, id] of checks) await storedParses(t, clazz, id);
    const snat = await storedParses(t, 'Rule', ids.outSnatRuleId(routerId));
    assert.match(snat, /tp_start: 1024\n/);
    assert.match(snat, /dnat: false\n/);
  });
});

/** Every path under the node's root but the sequences (tunnel keys are not given back). */
async function snapshot(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    out.push(path);
    for (const c of (await t.node.zk.getChildren(path)).children.sort()) {
      const child = `${path}/${c}`;
      if (child.includes('/sequences')) continue;
      await walk(child);
    }
  };
  await walk(t.rootKey);
  return out;
}

describe('a small cloud, end to end', () => {
  test('external network, router with gateway, two tenant networks with VMs and security groups, two floating IPs; read back; deleted, nothing left', async () => {
    const before = await snapshot();
    const ext = await external('198.51.100.0/24', '198.51.100.1');
    const { router, routerId, gwId } = await routerWithGateway(ext, '198.51.100.2');
    const nets = [await tenant('192.168.10.0/24', '192.168.10.1'), await tenant('192.168.20.0/24', '192.168.20.1')];
    const sg = neutronSecurityGroup({}, (id) => [
      neutronSgRule(id, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }),
      neutronSgRule(id, { remote_group_id: id }),
    ]);
    assertStatus(await nc.createSecurityGroup(sg), 201);
    const sgId = str(sg, 'id');
    const dhcp = [] as string[];
    const ifaces = [] as { portId: string; net: (typeof nets)[number] }[];
    const vms = [] as { portId: string }[];
    for (const [i, net] of nets.entries()) {
      const d = neutronPort(net.netId, {
        device_owner: 'network:dhcp',
        device_id: `dhcp-${i}`,
        fixed_ips: [{ subnet_id: net.subnetId, ip_address: `192.168.${(i + 1) * 10}.2` }],
      });
      assertStatus(await nc.createPort(d), 201);
      dhcp.push(str(d, 'id'));
      const iface = await addInterface(routerId, net, `192.168.${(i + 1) * 10}.1`);
      ifaces.push({ portId: iface.portId, net });
      vms.push(await vmPort(net, `192.168.${(i + 1) * 10}.5`, [sgId]));
    }
    const fips = [
      neutronFloatingIp(ext.netId, '198.51.100.50', { port_id: vms[0]?.portId, fixed_ip_address: '192.168.10.5', router_id: routerId }),
      neutronFloatingIp(ext.netId, '198.51.100.51', { port_id: vms[1]?.portId, fixed_ip_address: '192.168.20.5', router_id: routerId }),
    ];
    for (const f of fips) assertStatus(await nc.createFloatingIp(f), 201);

    // the whole translated topology through the MidoNet API
    const mr = (await get(`${api}/routers/${routerId}`, V('Router', 3))).json;
    assert.equal(mr.inboundFilterId, ids.inChainId(routerId));
    const rports = ((await get(`${api}/routers/${routerId}/ports`, C('Port', 3))).json as Json[]).map((p) => p.id).sort();
    assert.deepEqual(rports, [ids.tenantGwPortId(gwId), ...ifaces.map((x) => ids.routerInterfacePortPeerId(x.portId))].sort());
    const routes = ((await get(`${api}/routers/${routerId}/routes`, C('Route', 1))).json as Json[])
      .map((x) => `${x.dstNetworkAddr}/${x.dstNetworkLength} ${x.type}`)
      .sort();
    assert.deepEqual(
      routes,
      [
        '0.0.0.0/0 Normal',
        '198.51.100.0/24 Normal',
        '198.51.100.2/32 Local',
        '192.168.10.1/24 Normal',
        '192.168.10.1/32 Local',
        '169.254.169.254/32 Normal',
        '192.168.20.1/24 Normal',
        '192.168.20.1/32 Local',
        '169.254.169.254/32 Normal',
      ].sort(),
    );
    for (const [i, net] of nets.entries()) {
      const bridge = (await get(`${api}/bridges/${net.netId}`, V('Bridge', 4))).json;
      assert.equal(bridge.id, net.netId);
      const dhcpSubnet = (await get(`${api}/bridges/${net.netId}/dhcp/192.168.${(i + 1) * 10}.0_24`, V('DhcpSubnet', 2))).json;
      assert.equal(dhcpSubnet.defaultGateway, `192.168.${(i + 1) * 10}.1`);
      assert.equal(dhcpSubnet.serverAddr, `192.168.${(i + 1) * 10}.2`);
      const vm = (await get(`${api}/ports/${vms[i]?.portId ?? ''}`, V('Port', 3))).json;
      assert.equal(vm.inboundFilterId, ids.inChainId(vms[i]?.portId ?? ''));
    }
    const pre = await rulesOf(ids.inChainId(routerId));
    assert.deepEqual(
      pre
        .filter((x) => x.type === 'dnat')
        .map((x) => x.nwDstAddress)
        .sort(),
      ['198.51.100.50', '198.51.100.51'],
    );
    assert.equal((await rulesOf(ids.floatSnatChainId(routerId))).length, 2);
    const ipg = (await get(`${api}/ip_addr_groups/${sgId}/ip_addrs`, C('IpAddrGroupAddr', 1))).json as Json[];
    assert.deepEqual(ipg.map((x) => x.addr).sort(), ['192.168.10.5', '192.168.20.5']);

    // and everything deleted, in the order Neutron does it
    for (const f of fips) assertStatus(await nc.deleteFloatingIp(str(f, 'id')), 204);
    for (const vm of vms) assertStatus(await nc.deletePort(vm.portId), 204);
    for (const { portId, net } of ifaces) {
      assertStatus(await nc.deletePort(portId), 204);
      assertStatus(await nc.removeRouterInterface(routerId, interfaceInfo(routerId, portId, net.subnetId, net.netId)), 204);
    }
    assertStatus(await nc.updateRouter(routerId, { ...router, gw_port_id: null, external_gateway_info: null }), 200);
    assertStatus(await nc.deletePort(gwId), 204);
    assertStatus(await nc.deleteRouter(routerId), 204);
    for (const d of dhcp) assertStatus(await nc.deletePort(d), 204);
    assertStatus(await nc.deleteSecurityGroup(sgId), 204);
    for (const net of [...nets, ext]) {
      assertStatus(await nc.deleteSubnet(net.subnetId), 204);
      assertStatus(await nc.deleteNetwork(net.netId), 204);
    }
    // the tables of deleted objects are removed after their commit
    let after: string[] = [];
    await eventually(
      async () => {
        after = await snapshot();
        return after.length === before.length;
      },
      10_000,
      'deleted tables',
    );
    assert.deepEqual(after, before);
  });
});
