/**
 * The exact request shapes python-midonetclient sends (rest-api-core.md §4.1, §6.4, §8;
 * runbooks/debian-test-servers.md §5): every request carries a JSON body (`{}` when it has
 * none), GETs and DELETEs included; the token comes from the login cookie; creates are a POST
 * followed by a GET of `Location` with the same headers; `Port.link()` posts the whole port
 * object; numbers may arrive as strings and unset values as null.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { PyClient } from '../support/py-client.js';
import { assertStatus, basic, MT, MT2, rq, sorted, UUID_RE, type Json, type Res } from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let app: Record<string, string>;

const client = new PyClient();
const py = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Res> => client.request(method, url, headers, body);
const pyCreate = (url: string, mediaType: string, dto: Record<string, unknown>): Promise<Record<string, Json>> => client.create(url, mediaType, dto);
const pyUpdate = (dto: Record<string, Json>, mediaType: string): Promise<Record<string, Json>> => client.update(dto, mediaType);

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

describe('python-midonetclient request shapes', () => {
  it('login: POST {} with Basic credentials and X-Auth-Project; the token is read from Set-Cookie', async () => {
    const res = await py('POST', `${api}/login`, { Authorization: basic('admin', 'midonet'), 'X-Auth-Project': 'admin' });
    assertStatus(res, 200);
    const setCookie = res.headers.get('set-cookie');
    assert.ok(setCookie, 'no Set-Cookie');
    // auth_lib: session, _, _ = set_cookie.partition(';'); _, _, token = session.partition('=')
    const session = setCookie.split(';')[0];
    assert.equal(session.slice(0, session.indexOf('=')), 'sessionId');
    client.token = session.slice(session.indexOf('=') + 1);
    assert.equal(client.token, '00000000');
  });

  it('GET {base} without the trailing slash, Accept Application-v5, body {}', async () => {
    const res = await py('GET', api, { Accept: MT.app });
    assertStatus(res, 200);
    app = res.json;
    assert.equal(app['version'], 'v5.0');
    assert.equal(app['bridges'], `${api}/bridges`);
    assert.equal(app['bridgeTemplate'], `${api}/bridges/{id}`);
    assert.equal(app['systemState'], `${api}/system_state`);
  });

  it('GET system_state with body {}', async () => {
    const res = await py('GET', app['systemState'], { Accept: MT2.systemState });
    assert.deepEqual(res.json, { state: 'ACTIVE', availability: 'READWRITE', version: '5.0.0', information: null });
  });

  it('bridge: create (POST + GET Location), list, get by template, update, delete — all with {} bodies', async () => {
    const dto = await pyCreate(app['bridges'], MT.bridge, { name: 'py-br', tenantId: 'py-tenant' });
    assert.match(dto['id'], UUID_RE);
    assert.equal(dto['name'], 'py-br');
    assert.equal(dto['tenantId'], 'py-tenant');
    assert.equal(dto['adminStateUp'], true);

    // get_bridges(): Accept only, body {}
    const list = await py('GET', app['bridges'], { Accept: MT.bridges });
    assert.ok((list.json as { id: string }[]).some((b) => b.id === dto['id']));
    // get_bridge(id): the template filled in
    const one = await py('GET', app['bridgeTemplate'].replace('{id}', dto['id']), { Accept: MT.bridge });
    assert.deepEqual(one.json, dto);

    // update(): the whole dto (links, uri, read-only fields) goes back
    const updated = await pyUpdate({ ...dto, name: 'py-br-2', adminStateUp: false }, MT.bridge);
    assert.equal(updated['name'], 'py-br-2');
    assert.equal(updated['adminStateUp'], false);
    assert.equal(updated['tenantId'], 'py-tenant');

    // delete(): DELETE with body {} and no Content-Type
    const gone = await py('DELETE', dto['uri']);
    assert.equal(gone.status, 204);
    const missing = await rq('GET', dto['uri'], { headers: { Accept: MT.bridge } });
    assert.equal(missing.status, 404);
  });

  it('DELETE with body {} and Content-Type set', async () => {
    const dto = await pyCreate(app['bridges'], MT.bridge, { name: 'py-del' });
    const res = await py('DELETE', dto['uri'], { 'Content-Type': MT.bridge });
    assert.equal(res.status, 204);
    const r = await pyCreate(app['routers'], MT.router, { name: 'py-del' });
    assert.equal((await py('DELETE', r['uri'], { 'Content-Type': MT.router, Accept: MT.router })).status, 204);
  });

  it('router ports with integers as strings; routes with nulls for unset values', async () => {
    const router = await pyCreate(app['routers'], MT.router, { name: 'py-r', tenantId: 'py-tenant' });
    const port = await pyCreate(router['ports'], MT.port, {
      type: 'Router',
      portAddress: '10.20.0.1',
      networkAddress: '10.20.0.0',
      networkLength: '24',
    });
    assert.equal(port['networkLength'], 24);
    assert.deepEqual(port['portSubnet'], ['10.20.0.1/24']);
    assert.equal(port['deviceId'], router['id']);

    // add_router_route(): every setter is called, unset values are None → null
    const route = await pyCreate(router['routes'], MT.route, {
      type: 'Normal',
      srcNetworkAddr: '0.0.0.0',
      srcNetworkLength: null,
      dstNetworkAddr: '10.30.0.0',
      dstNetworkLength: '16',
      nextHopPort: port['id'],
      nextHopGateway: null,
      weight: '100',
    });
    assert.equal(route['srcNetworkLength'], 0);
    assert.equal(route['dstNetworkLength'], 16);
    assert.equal(route['weight'], 100);
    assert.equal(route['nextHopGateway'], null);
    assert.equal(route['routerId'], router['id']);

    // get_routes(): Accept collection, body {}
    const routes = await py('GET', router['routes'], { Accept: MT.routes });
    assert.ok((routes.json as { id: string }[]).some((r) => r.id === route['id']));
  });

  it('bridge port vlanId as a string', async () => {
    const bridge = await pyCreate(app['bridges'], MT.bridge, { name: 'py-vlan' });
    const port = await pyCreate(bridge['ports'], MT.port, { type: 'Bridge', vlanId: '5' });
    assert.equal(port['vlanId'], 5);
    assert.equal(port['type'], 'Bridge');
  });

  it('JSON null for a boolean input means false (§2.4)', async () => {
    const bridge = await pyCreate(app['bridges'], MT.bridge, { name: 'py-null', adminStateUp: null });
    assert.equal(bridge['adminStateUp'], false);
  });

  it('Port.link() posts the whole port object with peerId (and portId) → 201; portId is ignored', async () => {
    const r1 = await pyCreate(app['routers'], MT.router, { name: 'py-r1' });
    const b1 = await pyCreate(app['bridges'], MT.bridge, { name: 'py-b1' });
    const rp = await pyCreate(r1['ports'], MT.port, { type: 'Router', portAddress: '10.40.0.1', networkAddress: '10.40.0.0', networkLength: 24 });
    const bp = await pyCreate(b1['ports'], MT.port, { type: 'Bridge' });
    const bystander = await pyCreate(b1['ports'], MT.port, { type: 'Bridge' });

    // link(peer): dto['peerId'] = peer; POST dto to dto['link'] with Content-Type PortLink-v1; then get()
    const body = { ...rp, peerId: bp['id'], portId: bystander['id'] };
    const linked = await py('POST', rp['link'], { 'Content-Type': MT.portLink }, body);
    assert.equal(linked.status, 201);
    const after = await py('GET', rp['uri'], { Accept: MT.port });
    assert.equal(after.json['peerId'], bp['id']);
    const peer = await py('GET', bp['uri'], { Accept: MT.port });
    assert.equal(peer.json['peerId'], rp['id']);
    const untouched = await py('GET', bystander['uri'], { Accept: MT.port });
    assert.equal(untouched.json['peerId'], null);

    // the same with portId equal to the port itself
    const bp2 = await pyCreate(b1['ports'], MT.port, { type: 'Bridge' });
    const bp3 = await pyCreate(b1['ports'], MT.port, { type: 'Bridge' });
    assert.equal((await py('POST', bp2['link'], { 'Content-Type': MT.portLink }, { ...bp2, peerId: bp3['id'], portId: bp2['id'] })).status, 201);
    assert.equal((await py('GET', bp3['uri'], { Accept: MT.port })).json['peerId'], bp2['id']);

    // peer ports of the router: Accept collection, body {}
    const peers = await py('GET', r1['peerPorts'], { Accept: MT.ports });
    assert.deepEqual(sorted((peers.json as { id: string }[]).map((p) => p.id)), [bp['id']]);

    // MidonetApi.unlink(port): DELETE link (body {}, no headers), get(), then delete the former peer
    assert.equal((await py('DELETE', after.json['link'])).status, 204);
    const unlinked = await py('GET', rp['uri'], { Accept: MT.port });
    assert.equal(unlinked.json['peerId'], null);
    assert.equal((await py('DELETE', bp['uri'])).status, 204);
    assert.equal((await rq('GET', bp['uri'], { headers: { Accept: MT.port } })).status, 404);
  });

  it('update() of a port sends read-only fields back; they are ignored', async () => {
    const b = await pyCreate(app['bridges'], MT.bridge, { name: 'py-upd' });
    const port = await pyCreate(b['ports'], MT.port, { type: 'Bridge' });
    const updated = await pyUpdate({ ...port, tunnelKey: 4242, deviceId: randomUUID(), active: true, vlanId: 7 }, MT.port);
    assert.equal(updated['tunnelKey'], port['tunnelKey']);
    assert.equal(updated['deviceId'], b['id']);
    assert.equal(updated['active'], false);
    assert.equal(updated['vlanId'], 7);
  });
});

describe('python-midonetclient request shapes: mirrors, QoS, containers, L2 insertions, peering table', () => {
  const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
  const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;

  it('Mirror: to_port() and set_conditions() build the body; bridge.inbound_mirrors() attaches it', async () => {
    const b = await pyCreate(app['bridges'], MT.bridge, { name: 'py-mirror' });
    const to = await pyCreate(b['ports'], MT.port, { type: 'Bridge' });
    const m = await pyCreate(app['mirrors'], V('Mirror-v1'), { toPortId: to['id'], conditions: [{ nwProto: 6 }] });
    assert.equal(m['conditions'][0].nwProto, 6);
    const updated = await pyUpdate({ ...b, inboundMirrorIds: [m['id']] }, MT.bridge);
    assert.deepEqual(updated['inboundMirrorIds'], [m['id']]);
    const list = await py('GET', app['mirrors'], { Accept: C('Mirror-v1') });
    assert.ok((list.json as Json[]).some((x) => x.id === m['id']));
    assert.equal((await py('DELETE', app['mirrorTemplate'].replace('{id}', m['id']))).status, 204);
  });

  it("QOSPolicy with add_bw_limit_rule()/add_dscp_rule(): strings from midonet-cli, the policy's rule lists, update and delete", async () => {
    const p = await pyCreate(app['qosPolicies'], V('QOSPolicy-v1'), { name: 'test-qos', description: 'd', shared: true, tenantId: 'ignored' });
    assert.equal(p['tenant_id'], null);
    const bw = await pyCreate(p['bwLimitRules'], V('QOSRuleBWLimit-v1'), { maxKbps: '100', maxBurstKb: '1000' });
    const dscp = await pyCreate(p['dscpRules'], V('QOSRuleDSCP-v1'), { dscpMark: 11 });
    assert.deepEqual([bw['maxKbps'], bw['maxBurstKb'], bw['policyId']], [100, 1000, p['id']]);
    const rules = await py('GET', p['bwLimitRules'], { Accept: C('QOSRuleBWLimit-v1') });
    assert.deepEqual(
      (rules.json as Json[]).map((r) => r.id),
      [bw['id']],
    );
    assert.equal((await pyUpdate({ ...bw, maxKbps: 200 }, V('QOSRuleBWLimit-v1')))['maxKbps'], 200);
    assert.equal((await py('DELETE', app['qosDscpRuleTemplate'].replace('{id}', dscp['id']))).status, 204);
    assert.equal((await pyUpdate({ ...p, name: 'foobar' }, V('QOSPolicy-v1')))['name'], 'foobar');
    assert.equal((await py('DELETE', p['uri'])).status, 204);
    assert.equal((await rq('GET', bw['uri'], { headers: { Accept: V('QOSRuleBWLimit-v1') } })).status, 404);
  });

  it('the Neutron QoS client: POST, PUT and DELETE on qosPolicies / qosPolicyTemplate with the policy dict', async () => {
    const id = randomUUID();
    const rule = { id: randomUUID(), qos_policy_id: id, type: 'dscp_marking', dscp_mark: 26 };
    const policy = { id, name: 'n', description: '', shared: false, tenant_id: 'proj', project_id: 'proj', rules: [rule] };
    const headers = { 'Content-Type': V('QOSPolicy-v1'), Accept: V('QOSPolicy-v1') };
    assert.equal((await py('POST', app['qosPolicies'], headers, policy)).status, 201);
    const url = app['qosPolicyTemplate'].replace('{id}', id);
    assert.equal((await py('PUT', url, headers, { ...policy, rules: [{ ...rule, dscp_mark: 10 }] })).status, 204);
    const dscp = await py('GET', `${url}/qos_dscp_rules`, { Accept: C('QOSRuleDSCP-v1') });
    assert.deepEqual(
      (dscp.json as Json[]).map((r) => r.dscpMark),
      [10],
    );
    assert.equal((await py('DELETE', url, headers)).status, 204);
  });

  it("ServiceContainerGroup.add_service_container() and the container's update()", async () => {
    const r = await pyCreate(app['routers'], MT.router, { name: 'py-sc' });
    const port = await pyCreate(r['ports'], MT.port, { type: 'Router', portAddress: '169.254.9.1', networkAddress: '169.254.9.0', networkLength: '30' });
    const g = await pyCreate(app['serviceContainerGroups'], V('ServiceContainerGroup-v1'), { policy: 'LEAST' });
    const sc = await pyCreate(g['serviceContainers'], V('ServiceContainer-v1'), { serviceType: 'IPSEC', portId: port['id'], configurationId: randomUUID() });
    assert.deepEqual([sc['serviceGroupId'], sc['statusCode'], sc['hostId']], [g['id'], 'STOPPED', null]);
    const members = await py('GET', g['serviceContainers'], { Accept: C('ServiceContainer-v1') });
    assert.deepEqual(
      (members.json as Json[]).map((x) => x.id),
      [sc['id']],
    );
    assert.equal((await pyUpdate({ ...sc, serviceType: 'OTHER' }, V('ServiceContainer-v1')))['serviceType'], 'IPSEC');
    assert.equal((await py('DELETE', app['serviceContainerGroupTemplate'].replace('{id}', g['id']))).status, 204);
  });

  it('L2Insertion from midonet-cli (vlan and pos as strings), update(), delete', async () => {
    const b = await pyCreate(app['bridges'], MT.bridge, { name: 'py-l2' });
    const p = await pyCreate(b['ports'], MT.port, { type: 'Bridge' });
    const s = await pyCreate(b['ports'], MT.port, { type: 'Bridge' });
    const ins = await pyCreate(app['l2insertions'], V('L2Insertion-v1'), {
      portId: p['id'],
      srvPortId: s['id'],
      vlan: '10',
      position: '1',
      failOpen: false,
      mac: '02:00:00:00:ee:01',
    });
    assert.deepEqual([ins['vlan'], ins['position']], [10, 1]);
    assert.equal((await pyUpdate({ ...ins, failOpen: true }, V('L2Insertion-v1')))['failOpen'], true);
    assert.equal((await py('DELETE', app['l2InsertionTemplate'].replace('{id}', ins['id']))).status, 204);
  });

  it('RouterPort.add_remote_peer() and get_remote_peers(): MacIp-v1 both ways', async () => {
    const r = await pyCreate(app['routers'], MT.router, { name: 'py-peer' });
    const port = await pyCreate(r['ports'], MT.port, { type: 'Router', portAddress: '10.30.0.1', networkAddress: '10.30.0.0', networkLength: 24 });
    const entry = await pyCreate(port['peeringTable'], V('MacIp-v1'), { ip: '10.30.0.9', mac: '02:00:00:00:00:09' });
    assert.deepEqual(entry, { ip: '10.30.0.9', mac: '02:00:00:00:00:09', uri: `${port['peeringTable']}/10.30.0.9_02-00-00-00-00-09` });
    const peers = await py('GET', port['peeringTable'], { Accept: V('MacIp-v1') });
    assert.deepEqual(peers.json, [entry]);
  });
});
