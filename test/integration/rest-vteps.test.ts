/**
 * VTEPs, VTEP bindings and VTEP ports over REST against a real node, a real ZooKeeper and real
 * hardware_vtep databases (Debian's ovsdb-server, set up with vtep-ctl): rest-api-extras.md §4
 * and the scenarios of the original's TestVtep, with the bodies python-midonetclient sends.
 * The VxLAN gateway service is off here: GET shows what its state keys say (nothing yet).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { printText } from '../../lib/nsdb/codec/text-format.js';
import { vxlanPortId } from '../../services/vxgw/ids.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { startVtepServer, vtepToolsInstalled, type VtepServer } from '../support/ovsdb.js';
import { PyClient } from '../support/py-client.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  assertViolations,
  del,
  get,
  MT,
  post,
  put,
  type Json,
} from '../support/rest-helpers.js';
import { startVtep } from '../support/vtep-switch.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const VTEP = V('VTEP-v2');
const VTEPS = C('VTEP-v2');
const BINDING = V('VTEPBinding-v2');
const BINDINGS = C('VTEPBinding-v2');
const VPORT = V('VTEPPort-v1');
const VPORTS = C('VTEPPort-v1');
const TZ = V('TunnelZone-v1');

// in CI the tools are installed (.ci/run): a missing one fails there instead of skipping
const skip = vtepToolsInstalled() || process.env['CI'] ? false : 'openvswitch-vtep is not installed (apt-get install openvswitch-vtep)';

describe('VTEP REST API against real hardware_vtep databases', { skip }, () => {
  let t: TestNode;
  let api: string;
  let vtepA: VtepServer;
  let vtepB: VtepServer;
  let bare: VtepServer;
  let tz: string;
  const py = new PyClient();

  before(async () => {
    [vtepA, vtepB, bare] = await Promise.all([
      startVtep('127.0.0.11', { tunnelIp: '10.11.0.1' }),
      startVtep('127.0.0.12', { tunnelIp: '10.12.0.1', name: 'other', description: 'second' }),
      startVtepServer({ host: '127.0.0.13' }), // no Physical_Switch at all
    ]);
    t = await startTestNode({ set: { 'cluster.vxgw.enabled': 'false' } });
    api = t.api;
    tz = assertCreated(await post(`${api}/tunnel_zones`, TZ, { name: 'tz', type: 'vtep' }), `${api}/tunnel_zones`);
  });

  after(async () => {
    await t?.stop();
    await Promise.all([vtepA?.destroy(), vtepB?.destroy(), bare?.destroy()]);
  });

  const vtepBody = (s: VtepServer, extra: Record<string, unknown> = {}) => ({ managementIp: s.host, managementPort: s.port, tunnelZoneId: tz, ...extra });

  async function bridge(name = 'b'): Promise<string> {
    return assertCreated(await post(`${api}/bridges`, MT.bridge, { name, tenantId: 'tenant' }), `${api}/bridges`);
  }

  async function getJson(url: string, type: string): Promise<Json> {
    const res = await get(url, type);
    assertStatus(res, 200);
    assertMediaType(res, type);
    return res.json;
  }

  let vtepIdA: string;

  it('creates a VTEP the way python-midonetclient does, and shows it with its links', async () => {
    const json = await py.create(`${api}/vteps`, VTEP, vtepBody(vtepA));
    vtepIdA = json['id'];
    assert.equal(json['managementIp'], '127.0.0.11');
    assert.equal(json['managementPort'], vtepA.port);
    assert.equal(json['tunnelZoneId'], tz);
    // the service has not looked at it: empty configuration, disconnected
    assert.equal(json['name'], '');
    assert.equal(json['description'], '');
    assert.deepEqual(json['tunnelIpAddrs'], []);
    assert.equal(json['connectionState'], 'disconnected');
    assert.equal(json['uri'], `${api}/vteps/${vtepIdA}`);
    assert.equal(json['bindings'], `${api}/vteps/${vtepIdA}/bindings`);
    assert.equal(json['ports'], `${api}/vteps/${vtepIdA}/ports`);
    assert.equal(json['vtepBindingTemplate'], `${api}/vteps/${vtepIdA}/{portName}/{vlanId}`);
    const list = await getJson(`${api}/vteps`, VTEPS);
    assert.deepEqual(
      list.map((v: Json) => v.id),
      [vtepIdA],
    );
  });

  it('shows the configuration and connection state the VxLAN gateway wrote', async () => {
    const zk = t.node.storage.zookeeper;
    const dir = `${t.rootKey}/zoom/0/state/00000000-0000-0000-0000-000000000000/Vtep/${vtepIdA}`;
    await zk.mkdirp(dir);
    await zk.create(
      `${dir}/config`,
      Buffer.from('vtep_id { msb: 1 lsb: 2 }\nname: "sw"\ndescription: "d"\ntunnel_addresses { version: V4 address: "10.11.0.1" }\n'),
      'ephemeral',
    );
    await zk.create(`${dir}/connection_state`, Buffer.from('VTEP_CONNECTED'), 'ephemeral');
    try {
      const json = await getJson(`${api}/vteps/${vtepIdA}`, VTEP);
      assert.equal(json.name, 'sw');
      assert.equal(json.description, 'd');
      assert.deepEqual(json.tunnelIpAddrs, ['10.11.0.1']);
      assert.equal(json.connectionState, 'connected');
    } finally {
      await zk.remove(`${dir}/config`);
      await zk.remove(`${dir}/connection_state`);
    }
  });

  it('refuses bad VTEPs with the original codes and messages, writing nothing', async () => {
    assertViolations(await post(`${api}/vteps`, VTEP, vtepBody(vtepB, { managementIp: null })), ['managementIp']);
    const bad = assertError(await post(`${api}/vteps`, VTEP, vtepBody(vtepB, { managementIp: '10.0.0.300' })), 400);
    assert.equal(bad.violations[0].message, 'is not a valid IP address');
    assertViolations(await post(`${api}/vteps`, VTEP, vtepBody(vtepB, { managementPort: 0 })), ['managementPort']);
    assertError(await post(`${api}/vteps`, VTEP, vtepBody(vtepB, { tunnelZoneId: randomUUID() })), 400, 'Tunnel zone ID is not valid.');
    assertError(await post(`${api}/vteps`, VTEP, vtepBody(vtepB, { tunnelZoneId: null })), 400, 'Tunnel zone ID is not valid.');
    const gre = assertCreated(await post(`${api}/tunnel_zones`, TZ, { name: 'gre', type: 'gre' }), `${api}/tunnel_zones`);
    assertError(await post(`${api}/vteps`, VTEP, vtepBody(vtepB, { tunnelZoneId: gre })), 400, 'Tunnel zone is not of type VTEP.');
    assertError(await post(`${api}/vteps`, VTEP, vtepBody(vtepA, { managementPort: 6633 })), 409, 'A VTEP with IP address 127.0.0.11 already exists.');
    assertError(
      await post(`${api}/vteps`, VTEP, vtepBody(bare)),
      503,
      `Cannot connect to VTEP at 127.0.0.13:${bare.port} because the physical switch is not configured`,
    );
    assertStatus(await post(`${api}/vteps`, VTEP, { managementIp: '127.0.0.14', managementPort: 1, tunnelZoneId: tz }), 503);
    const list = await getJson(`${api}/vteps`, VTEPS);
    assert.equal(list.length, 1);
    assertStatus(await put(`${api}/vteps/${vtepIdA}`, VTEP, {}), 405);
  });

  it('refuses a VTEP whose tunnel IP is an address a host reports', async () => {
    const hostId = randomUUID();
    assertStatus(await post(`${api}/hosts`, V('Host-v3'), { id: hostId, name: 'agent-host' }), 201);
    const zk = t.node.storage.zookeeper;
    const dir = `${t.rootKey}/zoom/0/state/${hostId}/Host/${hostId}`;
    await zk.mkdirp(dir);
    const state = printText('HostState', { host_id: hostId, interfaces: [{ name: 'eth9', addresses: [{ version: 'V4', address: '10.12.0.1' }] }] });
    await zk.create(`${dir}/host`, Buffer.from(state), 'ephemeral');
    try {
      assertError(await post(`${api}/vteps`, VTEP, vtepBody(vtepB)), 409, 'VTEP conflicts with an existing host with IP address 10.12.0.1.');
      assert.equal((await getJson(`${api}/vteps`, VTEPS)).length, 1);
    } finally {
      await zk.remove(`${dir}/host`);
      assertStatus(await del(`${api}/hosts/${hostId}`), 200);
    }
  });

  it('lists the physical ports live from the VTEP, one by its form-encoded name', async () => {
    const ports = await getJson(`${api}/vteps/${vtepIdA}/ports`, VPORTS);
    const byName = new Map(ports.map((p: Json) => [p.name, p]));
    assert.deepEqual([...byName.keys()].sort(), ['Te 0/2', 'Ten-GigabitEthernet1/0/5:3/0', 'eth0', 'swp1_2']);
    const te: Json = byName.get('Te 0/2');
    assert.equal(te.description, 'Te 0/2-desc');
    assert.equal(te.uri, `${api}/vteps/${vtepIdA}/ports/Te+0%2F2`);
    assert.equal(te.vtep, `${api}/vteps/${vtepIdA}`);
    const one = await getJson(te.uri, VPORT);
    assert.equal(one.name, 'Te 0/2');
    assertStatus(await get(`${api}/vteps/${vtepIdA}/ports/nope`, VPORT), 404);
    // the original serves only its vendor types here
    assertStatus(await get(`${api}/vteps/${vtepIdA}/ports`, MT.json), 406);
  });

  it('binds a bridge: the first binding gives it a VNI and a VxLAN port with the derived id', async () => {
    const b = await bridge('bound');
    const created = await py.create(`${api}/vteps/${vtepIdA}/bindings`, BINDING, { mgmtIp: '127.0.0.11', portName: 'eth0', vlanId: 1, networkId: b });
    assert.equal(created['portName'], 'eth0');
    assert.equal(created['vlanId'], 1);
    assert.equal(created['networkId'], b);
    assert.equal(created['vtepId'], vtepIdA);
    assert.equal(created['uri'], `${api}/vteps/${vtepIdA}/bindings/eth0/1`);
    const net = await getJson(`${api}/bridges/${b}`, MT.bridge);
    const portId = vxlanPortId(vtepIdA, b);
    assert.deepEqual(net.vxLanPortIds, [portId]);
    const port = await getJson(`${api}/ports/${portId}`, MT.port);
    assert.equal(port.type, 'Vxlan');
    assert.equal(port.vtepId, vtepIdA);
    assert.equal(port.deviceId, b);
    const vxlanPorts = await getJson(`${api}/bridges/${b}/vxlan_ports`, MT.ports);
    assert.deepEqual(
      vxlanPorts.map((p: Json) => p.id),
      [portId],
    );
    const stored = await t.node.storage.get('Network', b);
    assert.equal(stored.vni, 10001, 'the first VNI of vxgw_tunnel_key');
    assert.deepEqual(stored.port_ids, [portId], 'the port is also one of the bridge ports, by the Port.network_id binding');

    // a second binding of the same VTEP to the same bridge reuses the port
    assertStatus(await post(`${api}/vteps/${vtepIdA}/bindings`, BINDING, { portName: 'swp1_2', vlanId: 1, networkId: b }), 201);
    assert.deepEqual((await getJson(`${api}/bridges/${b}`, MT.bridge)).vxLanPortIds, [portId]);
    const bindings = await getJson(`${api}/vteps/${vtepIdA}/bindings`, BINDINGS);
    assert.deepEqual(
      bindings.map((x: Json) => `${x.portName}/${x.vlanId}`),
      ['eth0/1', 'swp1_2/1'],
    );

    // a second VTEP on the same bridge: a second port, the same VNI
    const vtepIdB = (await py.create(`${api}/vteps`, VTEP, vtepBody(vtepB)))['id'];
    assertStatus(await post(`${api}/vteps/${vtepIdB}/bindings`, BINDING, { portName: 'eth0', vlanId: 0, networkId: b }), 201);
    const again = await t.node.storage.get('Network', b);
    assert.deepEqual(again.vxlan_port_ids, [portId, vxlanPortId(vtepIdB, b)]);
    assert.equal(again.vni, 10001);
    assertEmpty(await del(`${api}/vteps/${vtepIdB}/bindings/eth0/0`), 204);
    assertEmpty(await del(`${api}/vteps/${vtepIdB}`), 204);
  });

  it('refuses bad bindings with the original codes and messages', async () => {
    const b = await bridge('refused');
    const url = `${api}/vteps/${vtepIdA}/bindings`;
    const min = assertError(await post(url, BINDING, { portName: 'eth0', vlanId: -1, networkId: b }), 400);
    assert.equal(min.violations[0].message, 'must be greater than or equal to 0');
    const max = assertError(await post(url, BINDING, { portName: 'eth0', vlanId: 4096, networkId: b }), 400);
    assert.equal(max.violations[0].message, 'must be less than or equal to 4095');
    assertViolations(await post(url, BINDING, { portName: 'eth0', vlanId: 2 }), ['networkId']);
    assertViolations(await post(url, BINDING, { vlanId: 2, networkId: b }), ['portName']);
    const nid = randomUUID();
    assertError(await post(url, BINDING, { portName: 'eth0', vlanId: 2, networkId: nid }), 400, `There is no Network with ID ${nid}.`);
    const vid = randomUUID();
    assertError(await post(`${api}/vteps/${vid}/bindings`, BINDING, { portName: 'eth0', vlanId: 2, networkId: b }), 400, `There is no Vtep with ID ${vid}.`);
    assertError(await post(url, BINDING, { portName: 'blah', vlanId: 2, networkId: b }), 404, 'The VTEP 127.0.0.11 does not have a port named blah.');
    // eth0/1 is bound to the other bridge already
    const bound = (await t.node.storage.get('Vtep', vtepIdA)).bindings?.[0]?.network_id;
    const msg = `The VTEP at 127.0.0.11:${vtepA.port} already has a binding for port eth0 on vlan 1 to network ${bound}`;
    assertError(await post(url, BINDING, { portName: 'eth0', vlanId: 1, networkId: b }), 409, msg);
    assertError(await post(url, BINDING, { portName: 'eth0', vlanId: 1, networkId: b }), 409, msg);
    assert.deepEqual((await getJson(`${api}/bridges/${b}`, MT.bridge)).vxLanPortIds, []);
    assertError(await get(`${url}/eth0/7`, BINDING), 404, 'The VTEP at 127.0.0.11 does not have a binding to a Midonet network for VLAN 7 at port eth0.');
    assertError(await get(`${api}/vteps/${vid}/bindings`, BINDINGS), 404, `There is no Vtep with ID ${vid}.`);
    assertError(await get(`${api}/vteps/${vid}/bindings/eth0/1`, BINDING), 404, `There is no Vtep with ID ${vid}.`);
  });

  it('guards a bound VTEP, its bridge and its VxLAN port; unbinding the last binding removes the port', async () => {
    const b = (await t.node.storage.get('Vtep', vtepIdA)).bindings?.[0]?.network_id as string;
    const portId = vxlanPortId(vtepIdA, b);
    assertError(await del(`${api}/vteps/${vtepIdA}`), 400, /The VTEP with IP address 127.0.0.11 cannot be deleted because it still has bindings/);
    assertError(await del(`${api}/bridges/${b}`), 409, 'The bridge still has VTEP bindings, please remove them before deleting the bridge');
    assertStatus(await del(`${api}/ports/${portId}`), 409);

    assertEmpty(await del(`${api}/vteps/${vtepIdA}/bindings/eth0/1`), 204);
    assert.deepEqual((await getJson(`${api}/bridges/${b}`, MT.bridge)).vxLanPortIds, [portId], 'one binding left');
    assertEmpty(await del(`${api}/vteps/${vtepIdA}/bindings/swp1_2/1`), 204);
    assert.deepEqual((await getJson(`${api}/bridges/${b}`, MT.bridge)).vxLanPortIds, []);
    assertStatus(await get(`${api}/ports/${portId}`, MT.port), 404);
    const unbound = await t.node.storage.get('Network', b);
    assert.equal(unbound.vni, 10001, 'the VNI stays');
    assert.deepEqual(unbound.port_ids ?? [], []);
    assertEmpty(await del(`${api}/vteps/${vtepIdA}/bindings/swp1_2/1`), 204);

    // a port name with a space and a slash, through its percent-encoded binding uri
    const created = await py.create(`${api}/vteps/${vtepIdA}/bindings`, BINDING, { portName: 'Te 0/2', vlanId: 3, networkId: b });
    assert.equal(created['uri'], `${api}/vteps/${vtepIdA}/bindings/Te%200%2F2/3`);
    assertEmpty(await del(created['uri']), 204);

    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    assertEmpty(await del(`${api}/vteps/${vtepIdA}`), 204);
    assertError(await del(`${api}/vteps/${vtepIdA}`), 404, `There is no Vtep with ID ${vtepIdA}.`);
    assert.deepEqual(await getJson(`${api}/vteps`, VTEPS), []);
  });
});
