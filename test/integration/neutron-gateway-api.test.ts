/**
 * The gateway half of the Neutron API's part 2 through HTTP against a real node and ZooKeeper:
 * gateway devices, remote MAC entries and L2 gateway connections (router VTEP and VLAN), and
 * Neutron's configuration, agent memberships and port bindings (decision 0022), with the requests
 * python-midonetclient's mixins send; the translated topology read back through the MidoNet API
 * and from ZooKeeper, checked against the original's protobuf schema.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { l2gwGatewayPortId, l2gwNetworkPortId } from '../../services/neutron/translators/l2gw-ids.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { NeutronClient, neutronNetwork, neutronPort } from '../support/neutron-client.js';
import { gatewayClient, GMT, neutronGatewayDevice, neutronL2gwConn, neutronRemoteMacEntry } from '../support/neutron-gateway-client.js';
import { assertParsesWithSchema } from '../support/protoc.js';
import {
  assertError,
  assertMediaType,
  assertStatus,
  createStored,
  get,
  modelText,
  post,
  provenance,
  put,
  zkChildren,
  zkCounts,
  zkExists,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let nc: NeutronClient;
let gc: ReturnType<typeof gatewayClient>;

before(async () => {
  t = await startTestNode();
  api = t.api;
  nc = new NeutronClient(api);
  gc = gatewayClient(nc);
});

after(async () => {
  await t?.stop();
});

const V = (name: string, v: number): string => `application/vnd.org.midonet.${name}-v${v}+json`;
const C = (name: string, v: number): string => `application/vnd.org.midonet.collection.${name}-v${v}+json`;
const MAC_IP = 'application/vnd.org.midonet.MacIp-v1+json';

/** Counts of the objects a refused request must not have written. */
const WATCHED = [
  'GatewayDevice',
  'RemoteMacEntry',
  'L2GatewayConnection',
  'NeutronConfig',
  'AgentMembership',
  'PortBinding',
  'Port',
  'TunnelZone',
  'Network',
  'NeutronNetwork',
];

/** A MidoNet router made through the MidoNet API (the router VTEP's router). */
async function midonetRouter(): Promise<string> {
  const res = await post(`${api}/routers`, V('Router', 3), { name: 'vtep-router', tenantId: 'admin' });
  assertStatus(res, 201);
  return String(res.headers.get('location')).split('/').pop() as string;
}

async function neutronNet(): Promise<string> {
  const net = neutronNetwork();
  assertStatus(await nc.createNetwork(net), 201);
  return net['id'] as string;
}

/** The peering table of a router port as the MidoNet API shows it: `mac,ip`. */
async function peering(routerId: string, portId: string): Promise<string[]> {
  const res = await get(`${api}/routers/${routerId}/ports/${portId}/peering_table`, MAC_IP);
  assertStatus(res, 200);
  return (res.json as Json[]).map((e) => `${String(e.mac)},${String(e.ip)}`).sort();
}

describe('GET /neutron', () => {
  test('the gateway collections and templates, and the three additions of decision 0022', async () => {
    const d = (await nc.get(`${api}/neutron`, 'application/vnd.org.midonet.neutron.Neutron-v3+json')).json;
    assert.equal(d.gateway_devices, `${api}/neutron/gateway_devices`);
    assert.equal(d.gateway_device_template, `${api}/neutron/gateway_devices/{id}`);
    assert.equal(d.remote_mac_entries, `${api}/neutron/remote_mac_entries`);
    assert.equal(d.remote_mac_entry_template, `${api}/neutron/remote_mac_entries/{id}`);
    assert.equal(d.l2_gateway_connections, `${api}/neutron/l2_gateway_connections`);
    assert.equal(d.l2_gateway_connection_template, `${api}/neutron/l2_gateway_connections/{id}`);
    assert.equal(d.configs, `${api}/neutron/configs`);
    assert.equal(d.agent_membership_template, `${api}/neutron/agent_memberships/{id}`);
    assert.equal(d.port_binding_template, `${api}/neutron/port_bindings/{id}`);
  });
});

describe('gateway devices', () => {
  test('POST 201 echo, GET equal, PUT 204 (path id checked), DELETE 204 twice, GET 404', async () => {
    const routerId = await midonetRouter();
    const dev = neutronGatewayDevice(routerId, { management_ip: '1.1.1.1' });
    const id = dev['id'] as string;
    const res = await gc.createGatewayDevice(dev);
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/neutron/gateway_devices/${id}`);
    assertMediaType(res, GMT.gatewayDevice);
    const expected = {
      id,
      type: 'ROUTER_VTEP',
      resource_id: routerId,
      tunnel_ips: ['30.0.0.1'],
      management_ip: '1.1.1.1',
      management_port: 37000,
      management_protocol: 'OVSDB',
    };
    assert.deepEqual(res.json, expected);
    assert.deepEqual((await gc.getGatewayDevice(id)).json, expected);
    assert.ok(((await gc.getGatewayDevices()).json as Json[]).some((g) => g.id === id));
    assertParsesWithSchema('GatewayDevice', await modelText(t, 'GatewayDevice', id));
    assert.equal((await provenance(t, 'GatewayDevice', id))[0]?.owner, 0x102);

    const upd = await gc.updateGatewayDevice(id, { ...dev, tunnel_ips: ['30.0.0.2'] });
    assertStatus(upd, 204);
    assert.deepEqual((await gc.getGatewayDevice(id)).json.tunnel_ips, ['30.0.0.2']);
    assertError(await gc.updateGatewayDevice(id, { ...dev, id: randomUUID() }), 400, 'Path ID does not match object ID');
    const { id: _omitted, ...noId } = dev;
    assertError(await gc.updateGatewayDevice(id, noId), 400, 'Path ID does not match object ID');
    const ghost = randomUUID();
    assertError(await gc.updateGatewayDevice(ghost, { ...dev, id: ghost }), 404, `There is no GatewayDevice with ID ${ghost}.`);

    assertStatus(await gc.deleteGatewayDevice(id), 204);
    assertStatus(await gc.deleteGatewayDevice(id), 204);
    assertError(await gc.getGatewayDevice(id), 404, `There is no GatewayDevice with ID ${id}.`);
  });

  test('the original test: a device with only tunnel and management IPs is a router VTEP stored with no type', async () => {
    const id = randomUUID();
    assertStatus(await gc.createGatewayDevice({ id, tunnel_ips: ['30.0.0.1'], management_ip: '1.1.1.1' }), 201);
    assert.deepEqual((await gc.getGatewayDevice(id)).json, {
      id,
      type: null,
      resource_id: null,
      tunnel_ips: ['30.0.0.1'],
      management_ip: '1.1.1.1',
      management_port: null,
      management_protocol: null,
    });
    assertStatus(await gc.deleteGatewayDevice(id), 204);
  });

  test('bad input: HW VTEP, unknown type, IPv6 tunnel address, negative port → 400, nothing written', async () => {
    const routerId = await midonetRouter();
    const before = await zkCounts(t, WATCHED);
    const hw = neutronGatewayDevice(routerId, { type: 'hw_vtep' });
    assertError(
      await gc.createGatewayDevice(hw),
      400,
      `Failed to Create(GatewayDevice ${String(hw['id'])}); Only router_vtep and network_vlan gateway devices are supported.`,
    );
    assertError(
      await gc.createGatewayDevice(neutronGatewayDevice(routerId, { type: 'switch' })),
      400,
      'Invalid value "switch" for field "type": expected one of ROUTER_VTEP, HW_VTEP, NETWORK_VLAN.',
    );
    assertError(
      await gc.createGatewayDevice(neutronGatewayDevice(routerId, { tunnel_ips: ['2001::1'] })),
      400,
      'Invalid value "2001::1" for field "tunnel_ips[0]": expected an IPv4 address.',
    );
    assertError(await gc.createGatewayDevice(neutronGatewayDevice(routerId, { management_port: -1 })), 400);
    assertError(await gc.createGatewayDevice({ type: 'router_vtep' }), 400, 'The GatewayDevice has no id.');
    assert.deepEqual(await zkCounts(t, WATCHED), before);
  });
});

describe('router VTEP L2 gateway connections', () => {
  test('ports, peering table from remote MAC entries, device update, deletes: through the MidoNet API and ZooKeeper', async () => {
    const routerId = await midonetRouter();
    const netId = await neutronNet();
    const dev = neutronGatewayDevice(routerId);
    const devId = dev['id'] as string;
    assertStatus(await gc.createGatewayDevice(dev), 201);

    // entries before the connection: two of its VNI, one of another
    const rm1 = neutronRemoteMacEntry(devId, { mac_address: 'FA:16:3E:00:00:01', vtep_address: '10.0.0.1' });
    const rm2 = neutronRemoteMacEntry(devId, { mac_address: 'fa:16:3e:00:00:02', vtep_address: '10.0.0.2' });
    const rm3 = neutronRemoteMacEntry(devId, { mac_address: 'fa:16:3e:00:00:03', vtep_address: '10.0.0.3', segmentation_id: 101 });
    const r1 = await gc.createRemoteMacEntry(rm1);
    assertStatus(r1, 201);
    assert.equal(r1.headers.get('location'), `${api}/neutron/remote_mac_entries/${String(rm1['id'])}`);
    assert.deepEqual(r1.json, { id: rm1['id'], device_id: devId, vtep_address: '10.0.0.1', mac_address: 'fa:16:3e:00:00:01', segmentation_id: 100 });
    assert.deepEqual((await gc.getRemoteMacEntry(rm1['id'] as string)).json, r1.json);
    for (const rm of [rm2, rm3]) assertStatus(await gc.createRemoteMacEntry(rm), 201);

    const cnxn = neutronL2gwConn(netId, [devId]);
    const cnxnId = cnxn['id'] as string;
    const res = await gc.createL2gwConn(cnxn);
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/neutron/l2_gateway_connections/${cnxnId}`);
    const l2gw = cnxn['l2_gateway'] as Json;
    const echoed = {
      id: cnxnId,
      tenant_id: cnxn['tenant_id'],
      network_id: netId,
      segmentation_id: 100,
      l2_gateway: { id: l2gw.id, name: 'l2gw', tenant_id: cnxn['tenant_id'], devices: [{ device_id: devId, segmentation_id: 100 }] },
    };
    assert.deepEqual(res.json, echoed);
    assert.deepEqual((await gc.getL2gwConn(cnxnId)).json, echoed);

    const nwPortId = l2gwNetworkPortId(netId);
    const rtrPortId = l2gwGatewayPortId(netId);
    const nwPort = await get(`${api}/ports/${nwPortId}`, V('Port', 3));
    assertStatus(nwPort, 200);
    assert.equal(nwPort.json.type, 'Bridge');
    assert.equal(nwPort.json.deviceId, netId);
    assert.equal(nwPort.json.peerId, rtrPortId);
    assert.equal(nwPort.json.adminStateUp, true);
    const rtrPort = await get(`${api}/ports/${rtrPortId}`, V('Port', 3));
    assertStatus(rtrPort, 200);
    assert.equal(rtrPort.json.type, 'Router');
    assert.equal(rtrPort.json.deviceId, routerId);
    assert.equal(rtrPort.json.peerId, nwPortId);
    assert.equal(rtrPort.json.rtrPortVni, 100);
    assert.deepEqual(await peering(routerId, rtrPortId), ['fa:16:3e:00:00:01,10.0.0.1', 'fa:16:3e:00:00:02,10.0.0.2']);
    const rtrText = await modelText(t, 'Port', rtrPortId);
    assertParsesWithSchema('Port', rtrText);
    assertParsesWithSchema('Port', await modelText(t, 'Port', nwPortId));
    assert.match(rtrText, /tunnel_ip \{\n {2}version: V4\n {2}address: "30\.0\.0\.1"\n\}/);
    assertParsesWithSchema('L2GatewayConnection', await modelText(t, 'L2GatewayConnection', cnxnId));
    for (const rm of [rm1, rm2, rm3]) assertParsesWithSchema('RemoteMacEntry', await modelText(t, 'RemoteMacEntry', rm['id'] as string));
    assertParsesWithSchema('GatewayDevice', await modelText(t, 'GatewayDevice', devId));
    assert.equal((await provenance(t, 'Port', rtrPortId))[0]?.owner, 0x102);

    // a new entry of the VNI joins the table, its deletion leaves it
    const rm4 = neutronRemoteMacEntry(devId, { mac_address: 'fa:16:3e:00:00:04', vtep_address: '10.0.0.4' });
    assertStatus(await gc.createRemoteMacEntry(rm4), 201);
    assert.deepEqual(await peering(routerId, rtrPortId), ['fa:16:3e:00:00:01,10.0.0.1', 'fa:16:3e:00:00:02,10.0.0.2', 'fa:16:3e:00:00:04,10.0.0.4']);
    assertStatus(await gc.deleteRemoteMacEntry(rm1['id'] as string), 204);
    assertStatus(await gc.deleteRemoteMacEntry(rm1['id'] as string), 204);
    assert.deepEqual(await peering(routerId, rtrPortId), ['fa:16:3e:00:00:02,10.0.0.2', 'fa:16:3e:00:00:04,10.0.0.4']);
    assertStatus(await gc.getRemoteMacEntry(rm1['id'] as string), 404);
    // the table is also where agents read it
    const tablePath = `${zoom(t)}/tables/Port/${rtrPortId}/peering_table`;
    assert.deepEqual((await zkChildren(t, tablePath)).sort(), ['fa:16:3e:00:00:02,10.0.0.2,2147483647', 'fa:16:3e:00:00:04,10.0.0.4,2147483647']);

    // a new tunnel address of the device moves to the router port
    assertStatus(await gc.updateGatewayDevice(devId, { ...dev, tunnel_ips: ['30.0.0.9'] }), 204);
    assert.match(await modelText(t, 'Port', rtrPortId), /address: "30\.0\.0\.9"/);
    // the device keeps its entries through the update
    assert.match(await modelText(t, 'GatewayDevice', devId), /remote_mac_entry_ids/);

    // a PUT of the connection changes only the stored connection
    assertStatus(await gc.updateL2gwConn(cnxnId, { ...cnxn, tenant_id: 'other' }), 204);
    assert.equal((await gc.getL2gwConn(cnxnId)).json.tenant_id, 'other');
    assertStatus(await get(`${api}/ports/${rtrPortId}`, V('Port', 3)), 200);

    assertStatus(await gc.deleteL2gwConn(cnxnId), 204);
    assertStatus(await get(`${api}/ports/${nwPortId}`, V('Port', 3)), 404);
    assertStatus(await get(`${api}/ports/${rtrPortId}`, V('Port', 3)), 404);
    assert.deepEqual((await zkExists(t, tablePath)) ? await zkChildren(t, tablePath) : [], []);
    assertStatus(await gc.getL2gwConn(cnxnId), 404);
    assertStatus(await gc.deleteL2gwConn(cnxnId), 204);

    // the device's remaining entries go with it
    assertStatus(await gc.deleteGatewayDevice(devId), 204);
    for (const rm of [rm2, rm3, rm4]) assertStatus(await gc.getRemoteMacEntry(rm['id'] as string), 404);
  });

  test('NETWORK_VLAN: the port on the gateway network carries the VLAN and is linked to the tenant network port', async () => {
    const netId = await neutronNet();
    const gwNetId = await neutronNet();
    const dev = neutronGatewayDevice(gwNetId, { type: 'network_vlan', tunnel_ips: [] });
    assertStatus(await gc.createGatewayDevice(dev), 201);
    const cnxn = neutronL2gwConn(netId, [dev['id'] as string], 42);
    assertStatus(await gc.createL2gwConn(cnxn), 201);
    const vlanPort = await get(`${api}/ports/${l2gwGatewayPortId(netId)}`, V('Port', 3));
    assertStatus(vlanPort, 200);
    assert.equal(vlanPort.json.deviceId, gwNetId);
    assert.equal(vlanPort.json.vlanId, 42);
    assert.equal(vlanPort.json.peerId, l2gwNetworkPortId(netId));
    assert.equal((await get(`${api}/ports/${l2gwNetworkPortId(netId)}`, V('Port', 3))).json.deviceId, netId);
    const bridgePorts = (await get(`${api}/bridges/${gwNetId}/ports`, C('Port', 3))).json as Json[];
    assert.deepEqual(
      bridgePorts.map((p) => p.id),
      [l2gwGatewayPortId(netId)],
    );
    assertStatus(await gc.deleteL2gwConn(cnxn['id'] as string), 204);
    assert.deepEqual((await get(`${api}/bridges/${gwNetId}/ports`, C('Port', 3))).json, []);
  });

  test('bad input → the original status and message, nothing written', async () => {
    const routerId = await midonetRouter();
    const netId = await neutronNet();
    const dev = neutronGatewayDevice(routerId);
    const devId = dev['id'] as string;
    assertStatus(await gc.createGatewayDevice(dev), 201);
    const bare = neutronGatewayDevice(routerId, { tunnel_ips: [] });
    assertStatus(await gc.createGatewayDevice(bare), 201);
    const before = await zkCounts(t, WATCHED);

    const two = neutronL2gwConn(netId, [devId, devId]);
    assertError(await gc.createL2gwConn(two), 400, `Failed to Create(L2GatewayConnection ${String(two['id'])}); Only one gateway device is supported.`);
    const none = neutronL2gwConn(netId, []);
    assertError(await gc.createL2gwConn(none), 400, `Failed to Create(L2GatewayConnection ${String(none['id'])}); Only one gateway device is supported.`);
    const ghostDev = randomUUID();
    assertError(await gc.createL2gwConn(neutronL2gwConn(netId, [ghostDev])), 404, `There is no GatewayDevice with ID ${ghostDev}.`);
    const ghostNet = randomUUID();
    assertError(await gc.createL2gwConn(neutronL2gwConn(ghostNet, [devId])), 404, `There is no Network with ID ${ghostNet}.`);
    const noTunnel = neutronL2gwConn(netId, [bare['id'] as string]);
    assertError(
      await gc.createL2gwConn(noTunnel),
      400,
      `Failed to Create(L2GatewayConnection ${String(noTunnel['id'])}); Gateway device ${String(bare['id'])} has no tunnel IP.`,
    );
    assertError(await gc.createRemoteMacEntry(neutronRemoteMacEntry(ghostDev)), 404, `There is no GatewayDevice with ID ${ghostDev}.`);
    assertError(
      await gc.createRemoteMacEntry(neutronRemoteMacEntry(devId, { mac_address: 'fa:16:3e:zz:00:01' })),
      400,
      'Invalid value "fa:16:3e:zz:00:01" for field "mac_address": expected a MAC address.',
    );
    assertError(await gc.createRemoteMacEntry(neutronRemoteMacEntry(devId, { vtep_address: '10.0.0.256' })), 400);
    assertError(await gc.createRemoteMacEntry(neutronRemoteMacEntry(devId, { mac_address: null })), 400, /has no mac_address/);
    assert.deepEqual(await zkCounts(t, WATCHED), before);

    // remote MAC entries have no PUT; L2GW connections no bulk POST
    const rm = neutronRemoteMacEntry(devId);
    assertStatus(await gc.createRemoteMacEntry(rm), 201);
    assertStatus(await put(`${api}/neutron/remote_mac_entries/${String(rm['id'])}`, GMT.remoteMacEntry, rm), 405);
    assertStatus(await post(`${api}/neutron/l2_gateway_connections`, GMT.l2gwConns, [neutronL2gwConn(netId, [devId])]), 415);

    // a second connection on the same network: its derived ports exist
    const first = neutronL2gwConn(netId, [devId]);
    assertStatus(await gc.createL2gwConn(first), 201);
    const mid = await zkCounts(t, WATCHED);
    assertError(await gc.createL2gwConn(neutronL2gwConn(netId, [devId])), 409, `A(n) Port with ID ${l2gwNetworkPortId(netId)} already exists.`);
    assert.deepEqual(await zkCounts(t, WATCHED), mid);
    assertStatus(await gc.deleteL2gwConn(first['id'] as string), 204);
  });

  test('a connection whose router was deleted can still be deleted (decision 0022)', async () => {
    const routerId = await midonetRouter();
    const netId = await neutronNet();
    const dev = neutronGatewayDevice(routerId);
    assertStatus(await gc.createGatewayDevice(dev), 201);
    const cnxn = neutronL2gwConn(netId, [dev['id'] as string]);
    assertStatus(await gc.createL2gwConn(cnxn), 201);
    assertStatus(await nc.delete(`${api}/routers/${routerId}`), 204);
    assertStatus(await gc.deleteL2gwConn(cnxn['id'] as string), 204);
    assertStatus(await gc.getL2gwConn(cnxn['id'] as string), 404);
    assertStatus(await get(`${api}/ports/${l2gwNetworkPortId(netId)}`, V('Port', 3)), 404);
  });
});

describe('concurrency', () => {
  test('12 remote MAC entries posted at once on a connected device: all stored, all in the peering table; then deleted at once', async () => {
    const routerId = await midonetRouter();
    const netId = await neutronNet();
    const dev = neutronGatewayDevice(routerId);
    assertStatus(await gc.createGatewayDevice(dev), 201);
    assertStatus(await gc.createL2gwConn(neutronL2gwConn(netId, [dev['id'] as string])), 201);
    const entries = Array.from({ length: 12 }, (_, i) =>
      neutronRemoteMacEntry(dev['id'] as string, { mac_address: `fa:16:3e:01:00:${(i + 16).toString(16)}`, vtep_address: `10.1.0.${i + 1}` }),
    );
    const results = await Promise.all(entries.map((e) => gc.createRemoteMacEntry(e)));
    assert.deepEqual(
      results.map((r) => r.status),
      entries.map(() => 201),
    );
    const expected = entries.map((e) => `${String(e['mac_address'])},${String(e['vtep_address'])}`).sort();
    assert.deepEqual(await peering(routerId, l2gwGatewayPortId(netId)), expected);
    const stored = await gc.getGatewayDevice(dev['id'] as string);
    assertStatus(stored, 200);
    assert.equal((await modelText(t, 'GatewayDevice', dev['id'] as string)).match(/remote_mac_entry_ids/g)?.length, 12);
    const deleted = await Promise.all(entries.map((e) => gc.deleteRemoteMacEntry(e['id'] as string)));
    assert.deepEqual(
      deleted.map((r) => r.status),
      entries.map(() => 204),
    );
    assert.deepEqual(await peering(routerId, l2gwGatewayPortId(netId)), []);
  });
});

describe('configuration and agent memberships (decision 0022)', () => {
  test('no configuration: a membership is 409; then the DEFAULT zone, members in and out, config delete 500', async () => {
    const hostId = await createStored(t, 'Host', { name: 'compute-9' });
    const before = await zkCounts(t, WATCHED);
    assertError(
      await gc.createAgentMembership({ id: hostId, ip_address: '192.168.0.1' }),
      409,
      `Failed to Create(AgentMembership ${hostId}); Cannot find a Neutron configuration`,
    );
    assert.deepEqual(await zkCounts(t, WATCHED), before);

    const cfgId = randomUUID();
    const cfg = await gc.createConfig({ id: cfgId, tunnel_protocol: 'vxlan' });
    assertStatus(cfg, 201);
    assert.deepEqual(cfg.json, { id: cfgId, tunnel_protocol: 'VXLAN' });
    const zone = await get(`${api}/tunnel_zones/${cfgId}`, V('TunnelZone', 1));
    assertStatus(zone, 200);
    assert.equal(zone.json.name, 'DEFAULT');
    assert.equal(zone.json.type, 'vxlan');
    assertParsesWithSchema('TunnelZone', await modelText(t, 'TunnelZone', cfgId));
    assertParsesWithSchema('NeutronConfig', await modelText(t, 'NeutronConfig', cfgId));

    const m = await gc.createAgentMembership({ id: hostId, ip_address: '192.168.0.1' });
    assertStatus(m, 201);
    assert.equal(m.headers.get('location'), `${api}/neutron/agent_memberships/${hostId}`);
    assert.deepEqual((await gc.getAgentMembership(hostId)).json, { id: hostId, ip_address: '192.168.0.1' });
    const members = await get(`${api}/tunnel_zones/${cfgId}/hosts`, C('TunnelZoneHost', 1));
    assert.deepEqual(
      (members.json as Json[]).map((h) => [h.hostId, h.ipAddress]),
      [[hostId, '192.168.0.1']],
    );
    assert.match(await modelText(t, 'Host', hostId), /tunnel_zone_ids/);
    assertParsesWithSchema('TunnelZone', await modelText(t, 'TunnelZone', cfgId));
    assertParsesWithSchema('AgentMembership', await modelText(t, 'AgentMembership', hostId));

    // the same host again: the zone has it already
    assertError(
      await gc.createAgentMembership({ id: hostId, ip_address: '192.168.0.2' }),
      409,
      `Failed to Create(AgentMembership ${hostId}); Tunnel zone membership already exists.`,
    );
    const ghost = randomUUID();
    assertError(await gc.createAgentMembership({ id: ghost, ip_address: '192.168.0.3' }), 404, `There is no Host with ID ${ghost}.`);
    assertStatus(await put(`${api}/neutron/agent_memberships/${hostId}`, GMT.agentMembership, { id: hostId }), 405);

    // ten hosts join at once: every one is in the zone once
    const hosts = await Promise.all(Array.from({ length: 10 }, (_, i) => createStored(t, 'Host', { name: `compute-c${i}` })));
    const joined = await Promise.all(hosts.map((h, i) => gc.createAgentMembership({ id: h, ip_address: `192.168.1.${i + 1}` })));
    assert.deepEqual(
      joined.map((r) => r.status),
      hosts.map(() => 201),
    );
    const all = (await get(`${api}/tunnel_zones/${cfgId}/hosts`, C('TunnelZoneHost', 1))).json as Json[];
    assert.deepEqual(all.map((h) => String(h.hostId)).sort(), [hostId, ...hosts].sort());
    const left = await Promise.all(hosts.map((h) => gc.deleteAgentMembership(h)));
    assert.deepEqual(
      left.map((r) => r.status),
      hosts.map(() => 204),
    );

    assertStatus(await gc.deleteAgentMembership(hostId), 204);
    assert.deepEqual((await get(`${api}/tunnel_zones/${cfgId}/hosts`, C('TunnelZoneHost', 1))).json, []);
    assert.doesNotMatch(await modelText(t, 'Host', hostId), /tunnel_zone_ids/);
    assertStatus(await gc.deleteAgentMembership(hostId), 204);

    assertError(await gc.deleteConfig(cfgId), 500, `Failed to Delete(NeutronConfig ${cfgId}); Config Delete is not supported.`);
    assertStatus(await get(`${api}/tunnel_zones/${cfgId}`, V('TunnelZone', 1)), 200);
    assertError(
      await gc.createConfig({ id: randomUUID(), tunnel_protocol: 'geneve' }),
      400,
      'Invalid value "geneve" for field "tunnel_protocol": expected one of GRE, VXLAN.',
    );
  });
});

describe('port bindings (decision 0022)', () => {
  test('bind a Neutron port to a host interface, a second binding is 409, unbind', async () => {
    const netId = await neutronNet();
    const port = neutronPort(netId);
    const portId = port['id'] as string;
    assertStatus(await nc.createPort(port), 201);
    const hostId = await createStored(t, 'Host', { name: 'compute-b' });
    const binding = { id: randomUUID(), host_id: hostId, interface_name: 'tap-b', port_id: portId };
    const res = await gc.createPortBinding(binding);
    assertStatus(res, 201);
    assert.deepEqual(res.json, binding);
    const bp = await get(`${api}/ports/${portId}`, V('Port', 3));
    assert.equal(bp.json.hostId, hostId);
    assert.equal(bp.json.interfaceName, 'tap-b');
    assert.match(await modelText(t, 'Host', hostId), /port_ids/);
    assertParsesWithSchema('PortBinding', await modelText(t, 'PortBinding', binding.id));
    assertParsesWithSchema('Port', await modelText(t, 'Port', portId));

    const before = await zkCounts(t, WATCHED);
    const other = { ...binding, id: randomUUID(), interface_name: 'tap-c' };
    assertError(await gc.createPortBinding(other), 409, `Failed to Create(PortBinding ${other.id}); Port ${portId} is already bound to host ${hostId}`);
    const ghost = randomUUID();
    assertError(await gc.createPortBinding({ ...binding, id: randomUUID(), port_id: ghost }), 404, `There is no Port with ID ${ghost}.`);
    assert.deepEqual(await zkCounts(t, WATCHED), before);

    assertStatus(await gc.deletePortBinding(binding.id), 204);
    const unbound = await get(`${api}/ports/${portId}`, V('Port', 3));
    assert.equal(unbound.json.hostId, null);
    assert.equal(unbound.json.interfaceName, null);
    assert.doesNotMatch(await modelText(t, 'Host', hostId), /port_ids/);
    assertStatus(await nc.deletePort(portId), 204);
  });
});
