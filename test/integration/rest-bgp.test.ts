/**
 * BGP over REST against a real node and ZooKeeper (rest-api-extras.md §3): peers and advertised
 * networks below a router, with the requests python-midonetclient sends (router.add_bgp_peer(),
 * add_bgp_network(), get_bgp_peers(), Application.get_bgp_peer(), ...), the conformance
 * scenarios of §3.4, bad input, the cascade from the router, what the agents publish (learned
 * routes in the router's routes, `bgpStatus` on router ports), and the stored objects checked
 * with protoc.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { PyClient } from '../support/py-client.js';
import { storedParses } from '../support/protoc.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertStatus,
  assertViolations,
  createStored,
  del,
  get,
  MT,
  post,
  put,
  zkCounts,
  zkExists,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const PEER = V('BgpPeer-v1');
const PEERS = C('BgpPeer-v1');
const NET = V('BgpNetwork-v1');
const NETS = C('BgpNetwork-v1');
const IPV4_MUST_MATCH = 'must match "^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])$"';

let t: TestNode;
let api: string;
const py = new PyClient('00000000');

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

async function newRouter(): Promise<Record<string, Json>> {
  return py.create(`${api}/routers`, MT.router, { name: `r-${randomUUID().slice(0, 8)}`, tenantId: 'tenant0' });
}

describe('BGP peers', () => {
  it('§3.4 1–3: create, list, get, uniqueness by (address, AS), delete twice', async () => {
    const router = await newRouter();
    assert.equal(router['bgpPeers'], `${router['uri']}/bgp_peers`);
    // router.add_bgp_peer().asn(1234).address('1.2.3.4').create()
    const p1 = await py.create(router['bgpPeers'], PEER, { asNumber: 1234, address: '1.2.3.4' });
    assert.deepEqual(p1, {
      uri: `${api}/bgp_peers/${p1['id']}`,
      id: p1['id'],
      asNumber: 1234,
      address: '1.2.3.4',
      keepAlive: null,
      holdTime: null,
      connectRetry: null,
      password: null,
      router: router['uri'],
    });
    assert.equal((await py.list(router['bgpPeers'], PEERS)).length, 1);
    const p2 = await py.create(router['bgpPeers'], PEER, { asNumber: 1234, address: '1.2.3.5' });
    assert.deepEqual(
      (await py.list(router['bgpPeers'], PEERS)).map((p: Json) => p.id),
      [p1['id'], p2['id']],
    );
    // Application.get_bgp_peer(id): the template of the root document
    const app = await py.get(api, MT.app);
    assert.deepEqual(await py.get(app['bgpPeerTemplate'].replace('{id}', p1['id']), PEER), p1);

    assertViolations(await post(router['bgpPeers'], PEER, {}), ['address', 'asNumber']);
    assertError(
      await post(router['bgpPeers'], PEER, { asNumber: 1234, address: '1.2.3.4' }),
      400,
      'A BGP peer with address 1.2.3.4 and AS number 1234 already exists.',
    );
    // the same address with another AS is another session
    assertCreated(await post(router['bgpPeers'], PEER, { asNumber: 4321, address: '1.2.3.4' }), `${api}/bgp_peers`);

    await py.delete(p1['uri']);
    assertError(await get(p1['uri'], PEER), 404, `There is no BgpPeer with ID ${p1['id']}.`);
    assert.equal((await py.list(router['bgpPeers'], PEERS)).length, 2);
    assertEmpty(await del(p1['uri']), 204);
    // the router no longer lists it
    const stored = await t.node.storage.get('Router', router['id']);
    assert.ok(!(stored.bgp_peer_ids ?? []).includes(p1['id']));
  });

  it('PUT replaces every field and keeps the router; the stored object parses with protoc', async () => {
    const router = await newRouter();
    const peer = await py.create(router['bgpPeers'], PEER, { asNumber: 65001, address: '10.0.0.2' });
    const updated = await py.update({ ...peer, keepAlive: 60, holdTime: 180, connectRetry: 120, password: 's3cret' }, PEER);
    assert.deepEqual(updated, { ...peer, keepAlive: 60, holdTime: 180, connectRetry: 120, password: 's3cret' });
    const text = await storedParses(t, 'BgpPeer', peer['id']);
    assert.match(text, /as_number: 65001\n/);
    assert.match(text, /address \{\n {2}version: V4\n {2}address: "10\.0\.0\.2"\n\}\n/);
    assert.match(text, /keep_alive: 60\nhold_time: 180\nconnect_retry: 120\n/);
    // a PUT without the optional timers clears them (full replacement)
    const cleared = await py.update({ uri: peer['uri'], asNumber: 65002, address: '10.0.0.3' }, PEER);
    assert.equal(cleared['keepAlive'], null);
    assert.equal(cleared['password'], null);
    assert.equal(cleared['router'], router['uri']);
  });

  it('bad input: ranges, types, missing router; nothing is written', async () => {
    const router = await newRouter();
    const before = await zkCounts(t, ['BgpPeer']);
    const url = router['bgpPeers'];
    const v = assertViolations(await post(url, PEER, { asNumber: 0, address: '1.2.3.999', keepAlive: 4, holdTime: 7201, connectRetry: 3601 }), [
      'address',
      'asNumber',
      'connectRetry',
      'holdTime',
      'keepAlive',
    ]);
    assert.deepEqual(v.find((x) => x.property === 'address')?.message, IPV4_MUST_MATCH);
    assert.deepEqual(v.find((x) => x.property === 'asNumber')?.message, 'must be greater than or equal to 1');
    assert.deepEqual(v.find((x) => x.property === 'holdTime')?.message, 'must be less than or equal to 7200');
    assertError(await post(url, PEER, { asNumber: 'many', address: '1.2.3.4' }), 400);
    const ghost = randomUUID();
    assertError(await post(`${api}/routers/${ghost}/bgp_peers`, PEER, { asNumber: 1, address: '1.2.3.4' }), 404, `There is no Router with ID ${ghost}.`);
    assertError(await put(`${api}/bgp_peers/${ghost}`, PEER, { asNumber: 1, address: '1.2.3.4' }), 404, `There is no BgpPeer with ID ${ghost}.`);
    assert.deepEqual(await zkCounts(t, ['BgpPeer']), before);
    // no top-level collection; media types checked (generic regime: 406)
    assertEmpty(await get(`${api}/bgp_peers`, PEERS), 405);
    assertEmpty(await post(`${api}/bgp_peers`, PEER, {}), 405);
    assertEmpty(await post(url, NET, { asNumber: 1, address: '1.2.3.4' }), 406);
  });
});

describe('BGP networks', () => {
  it('§3.4 4: create below a router, get, list in order; bad input; no PUT or top-level list', async () => {
    const router = await newRouter();
    const n1 = await py.create(router['bgpNetworks'], NET, { subnetAddress: '10.0.0.0', subnetLength: 24 });
    assert.deepEqual(n1, { uri: `${api}/bgp_networks/${n1['id']}`, id: n1['id'], subnetAddress: '10.0.0.0', subnetLength: 24, router: router['uri'] });
    // stored as given, not masked
    const n2 = await py.create(router['bgpNetworks'], NET, { subnetAddress: '192.168.1.7', subnetLength: 16 });
    assert.equal(n2['subnetAddress'], '192.168.1.7');
    assert.deepEqual(
      (await py.list(router['bgpNetworks'], NETS)).map((n: Json) => n.id),
      [n1['id'], n2['id']],
    );
    const app = await py.get(api, MT.app);
    assert.deepEqual(await py.get(app['bgpNetworkTemplate'].replace('{id}', n1['id']), NET), n1);
    const text = await storedParses(t, 'BgpNetwork', n1['id']);
    assert.match(text, /subnet \{\n {2}version: V4\n {2}address: "10\.0\.0\.0"\n {2}prefix_length: 24\n\}\n/);

    const before = await zkCounts(t, ['BgpNetwork']);
    assertViolations(await post(router['bgpNetworks'], NET, { subnetAddress: '10.0.0.0', subnetLength: 33 }), ['subnetLength']);
    const v = assertViolations(await post(router['bgpNetworks'], NET, { subnetAddress: '10.0.0', subnetLength: 8 }), ['subnetAddress']);
    assert.equal(v[0]?.message, IPV4_MUST_MATCH);
    assertViolations(await post(router['bgpNetworks'], NET, { subnetLength: 8 }), ['subnetAddress']);
    assert.deepEqual(await zkCounts(t, ['BgpNetwork']), before);

    assertEmpty(await get(`${api}/bgp_networks`, NETS), 405);
    assertEmpty(await put(n1['uri'], NET, { subnetAddress: '10.0.0.0', subnetLength: 8 }), 405);
    await py.delete(n1['uri']);
    assertStatus(await get(n1['uri'], NET), 404);
    assertEmpty(await del(n1['uri']), 204);
  });

  it('deleting the router takes its BGP networks and peers with it', async () => {
    const router = await newRouter();
    const net = await py.create(router['bgpNetworks'], NET, { subnetAddress: '10.0.0.0', subnetLength: 24 });
    const peer = await py.create(router['bgpPeers'], PEER, { asNumber: 1, address: '1.1.1.1' });
    await py.delete(router['uri']);
    assertStatus(await get(net['uri'], NET), 404);
    assertStatus(await get(peer['uri'], PEER), 404);
    assert.equal(await zkExists(t, `${zoom(t)}/models/BgpNetwork/${net['id']}`), false);
    assert.equal(await zkExists(t, `${zoom(t)}/models/BgpPeer/${peer['id']}`), false);
  });
});

describe('what the agents publish', () => {
  const ROUTER = 'a1000000-0000-4000-8000-000000000001';
  const PORT = 'd1000000-0000-4000-8000-000000000001';
  // the route 192.168.10.0/24 via 10.0.0.2, weight 100, as RoutingTableStorage serializes it
  const ROUTE_HEX = 'c0a80a001800000000000a00000200000064a1000000000040008000000000000001d1000000000040008000000000000001';
  // its id as the original computes it (UUID.nameUUIDFromBytes over Route.idOf's layout, run on a JVM)
  const ROUTE_ID = '2cd7c828-c12f-3799-bfcf-a5e4d3f7387f';

  it("learned routes are listed with the router's routes (learned: true); bgpStatus shows on the router port", async () => {
    await py.create(`${api}/routers`, MT.router, { id: ROUTER, name: 'bgp-router' });
    await py.create(`${api}/routers/${ROUTER}/ports`, MT.port, {
      id: PORT,
      type: 'Router',
      portAddress: '10.0.0.1',
      networkAddress: '10.0.0.0',
      networkLength: 24,
    });
    let port = await py.get(`${api}/ports/${PORT}`, MT.port);
    assert.equal(port['bgpStatus'], null);
    const staticRoutes = await py.list(`${api}/routers/${ROUTER}/routes`, MT.routes);
    assert.ok(staticRoutes.every((r: Json) => r.learned === false));

    // the port bound to a host, whose agent publishes the session state and the learned routes
    const host = await createStored(t, 'Host', { name: 'agent-host' });
    await t.node.storage.tryTransaction(0, async (tx) => {
      const p = await tx.get('Port', PORT);
      p.host_id = host;
      await tx.update('Port', p);
    });
    const state = `${zoom(t)}/state/${host}/Port/${PORT}`;
    await t.node.zk.mkdirp(`${state}/routes`);
    await t.node.zk.create(`${state}/bgp`, Buffer.from('ESTABLISHED'));
    await t.node.zk.create(`${state}/routes/${ROUTE_HEX}`, Buffer.alloc(0));
    // an entry of an old agent (no next-hop port: the port itself), and one that is not a route
    const OLD = ['0a000000', '08', '00000000', '00', '0a000002', '00000032', ROUTER.replace(/-/g, '')].join('');
    await t.node.zk.create(`${state}/routes/${OLD}`, Buffer.alloc(0));
    await t.node.zk.create(`${state}/routes/not-a-route`, Buffer.alloc(0));

    port = await py.get(`${api}/ports/${PORT}`, MT.port);
    assert.equal(port['bgpStatus'], 'ESTABLISHED');
    const all = await py.list(`${api}/routers/${ROUTER}/routes`, MT.routes);
    const learned = all.filter((r: Json) => r.learned === true);
    assert.equal(learned.length, 2, JSON.stringify(all));
    const r1 = learned.find((r: Json) => r.id === ROUTE_ID);
    assert.deepEqual(r1, {
      uri: `${api}/routes/${ROUTE_ID}`,
      id: ROUTE_ID,
      type: 'Normal',
      srcNetworkAddr: '0.0.0.0',
      srcNetworkLength: 0,
      dstNetworkAddr: '192.168.10.0',
      dstNetworkLength: 24,
      nextHopPort: PORT,
      nextHopGateway: '10.0.0.2',
      weight: 100,
      attributes: null,
      routerId: ROUTER,
      learned: true,
      router: `${api}/routers/${ROUTER}`,
    });
    const r2 = learned.find((r: Json) => r.id !== ROUTE_ID);
    assert.equal(r2.dstNetworkAddr, '10.0.0.0');
    assert.equal(r2.dstNetworkLength, 8);
    assert.equal(r2.weight, 50);
    assert.equal(r2.nextHopPort, PORT);
    // the same list again: the ids are stable
    const again = await py.list(`${api}/routers/${ROUTER}/routes`, MT.routes);
    assert.deepEqual(
      again
        .filter((r: Json) => r.learned)
        .map((r: Json) => r.id)
        .sort(),
      learned.map((r: Json) => r.id).sort(),
    );
  });
});
