/**
 * Ports, port links and routes over REST against a real node and ZooKeeper
 * (rest-api-core.md §2.3, §5, §6.3–§6.5, §7 scenarios 8–13 and 18).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TUNNEL_KEY_BLOCK } from '../../services/rest-api/resources/ports.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  assertViolations,
  createChain,
  createStored,
  del,
  get,
  modelText,
  MT,
  MT2,
  post,
  put,
  sorted,
  uuidText,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let c1: string;
let c2: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  c1 = await createChain(t, 'c1');
  c2 = await createChain(t, 'c2');
});

after(async () => {
  await t?.stop();
});

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

async function bridge(name = 'b'): Promise<string> {
  return assertCreated(await post(`${api}/bridges`, MT.bridge, { name }), `${api}/bridges`);
}

async function router(name = 'r'): Promise<string> {
  return assertCreated(await post(`${api}/routers`, MT.router, { name }), `${api}/routers`);
}

async function bridgePort(b: string, body: Record<string, unknown> = {}): Promise<string> {
  return assertCreated(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'Bridge', ...body }), `${api}/ports`);
}

async function routerPort(r: string, body: Record<string, unknown> = {}): Promise<string> {
  return assertCreated(await post(`${api}/routers/${r}/ports`, MT.port, { type: 'Router', ...body }), `${api}/ports`);
}

async function port(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/ports/${id}`, MT.port);
  assertStatus(res, 200);
  return res.json;
}

async function routesOf(r: string): Promise<Record<string, Json>[]> {
  const res = await get(`${api}/routers/${r}/routes`, MT.routes);
  assertStatus(res, 200);
  assertMediaType(res, MT.routes);
  return res.json;
}

function idsOf(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), res.text);
  return (res.json as { id: string }[]).map((x) => x.id);
}

function assertFields(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `field ${k}`);
}

async function link(from: string, to: string, body: Record<string, unknown> = {}): Promise<Res> {
  return post(`${api}/ports/${from}/link`, MT.portLink, { peerId: to, ...body });
}

describe('bridge ports (§6.3)', () => {
  it('every field is written, read back and linked', async () => {
    const b = await bridge('bp');
    const vif = randomUUID();
    const id = await bridgePort(b, { adminStateUp: false, inboundFilterId: c1, outboundFilterId: c2, vifId: vif, vlanId: 10 });
    const got = await get(`${api}/ports/${id}`, MT.port);
    assertStatus(got, 200);
    assertMediaType(got, MT.port);
    const uri = `${api}/ports/${id}`;
    assertFields(got.json, {
      id,
      uri,
      type: 'Bridge',
      deviceId: b,
      device: `${api}/bridges/${b}`,
      adminStateUp: false,
      inboundFilterId: c1,
      outboundFilterId: c2,
      inboundFilter: `${api}/chains/${c1}`,
      outboundFilter: `${api}/chains/${c2}`,
      vifId: vif,
      vlanId: 10,
      hostId: null,
      host: null,
      interfaceName: null,
      peerId: null,
      peer: null,
      inboundMirrorIds: [],
      outboundMirrorIds: [],
      postInFilterMirrorIds: [],
      preOutFilterMirrorIds: [],
      insertionIds: [],
      qosPolicyId: null,
      active: false,
      link: `${uri}/link`,
      portGroups: `${uri}/port_groups`,
      hostInterfacePort: null,
    });
    assert.equal(typeof got.json.tunnelKey, 'number');
    assert.ok(got.json.tunnelKey > 0, `tunnelKey ${got.json.tunnelKey}`);
    // Port-v4 and json are the same shape
    for (const accept of [MT.port4, MT.json]) {
      const again = await get(`${api}/ports/${id}`, accept);
      assertStatus(again, 200);
      assertMediaType(again, accept);
      assert.deepEqual(again.json, got.json);
    }
    // storage: the port points at the bridge, the bridge lists the port, the chain the port
    const z = zoom(t);
    assert.ok(await zkExists(t, `${z}/models/Port/${id}`));
    assert.ok((await modelText(t, 'Port', id)).includes(uuidText('network_id', b)));
    assert.ok((await modelText(t, 'Network', b)).includes(uuidText('port_ids', id)));
    assert.ok((await modelText(t, 'Chain', c1)).includes(uuidText('port_inbound_ids', id)));
    assert.ok(await zkExists(t, `${z}/tables/Port/${id}/peering_table`));
  });

  it('defaults: adminStateUp true, vlanId 0, everything else null or []', async () => {
    const b = await bridge();
    const id = await bridgePort(b);
    assertFields(await port(id), {
      type: 'Bridge',
      adminStateUp: true,
      vlanId: 0,
      inboundFilterId: null,
      outboundFilterId: null,
      vifId: null,
      peerId: null,
      inboundMirrorIds: [],
    });
  });

  it('legacy type names are accepted on input and shown as Bridge / Router', async () => {
    const b = await bridge();
    const r = await router();
    for (const type of ['ExteriorBridge', 'InteriorBridge']) {
      const id = assertCreated(await post(`${api}/bridges/${b}/ports`, MT.port, { type }), `${api}/ports`);
      assert.equal((await port(id)).type, 'Bridge', type);
    }
    for (const type of ['ExteriorRouter', 'InteriorRouter']) {
      const id = assertCreated(await post(`${api}/routers/${r}/ports`, MT.port, { type }), `${api}/ports`);
      assert.equal((await port(id)).type, 'Router', type);
    }
  });

  it('a port type that does not fit the device → 400; a missing or unknown type → 400; nothing written', async () => {
    const b = await bridge();
    const r = await router();
    const before = (await t.node.zk.getChildren(`${zoom(t)}/models/Port`)).children.length;
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'Router' }), 400, 'Not a bridge port.');
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'ExteriorRouter' }), 400, 'Not a bridge port.');
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'Vxlan' }), 400);
    assertError(await post(`${api}/routers/${r}/ports`, MT.port, { type: 'Bridge' }), 400);
    assertError(await post(`${api}/routers/${r}/ports`, MT.port, { type: 'InteriorBridge' }), 400);
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'bridge' }), 400);
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'NoSuchType' }), 400);
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { adminStateUp: true }), 400);
    assertError(await post(`${api}/bridges/${b}/ports`, MT.port, { type: null }), 400);
    assert.equal((await t.node.zk.getChildren(`${zoom(t)}/models/Port`)).children.length, before);
    assert.deepEqual(idsOf(await get(`${api}/bridges/${b}/ports`, MT.ports)), []);
    assert.deepEqual(idsOf(await get(`${api}/routers/${r}/ports`, MT.ports)), []);
  });

  it('tunnel keys are allocated, distinct, and kept by PUT', async () => {
    const b = await bridge();
    const r = await router();
    const ids = [await bridgePort(b), await bridgePort(b), await routerPort(r), await routerPort(r)];
    const keys = await Promise.all(ids.map(async (id) => (await port(id)).tunnelKey as number));
    for (const k of keys) assert.ok(Number.isInteger(k) && k > 0, `tunnelKey ${k}`);
    assert.equal(new Set(keys).size, keys.length, `keys ${keys.join(',')}`);
    // one node: consecutive keys out of blocks it reserved TUNNEL_KEY_BLOCK at a time (decisions/0009)
    assert.deepEqual(
      keys,
      keys.map((_, i) => keys[0] + i),
    );
    const { data } = await t.node.zk.getData(t.node.storage.layout.sequences('overlay_tunnel_key'));
    const reserved = data.readInt32BE(0);
    assert.equal((reserved - 1) % TUNNEL_KEY_BLOCK, 0, `sequence at ${reserved}`);
    assert.ok(reserved >= keys[3] && reserved < keys[3] + TUNNEL_KEY_BLOCK, `sequence at ${reserved}, keys ${keys.join(',')}`);
    const cur = await port(ids[0]);
    assertEmpty(await put(`${api}/ports/${ids[0]}`, MT.port, { ...cur, tunnelKey: 999999, adminStateUp: false }), 204);
    const after = await port(ids[0]);
    assert.equal(after.tunnelKey, keys[0]);
    assert.equal(after.adminStateUp, false);
  });

  it('device port lists follow creation order; GET /ports lists every port of every device', async () => {
    const b = await bridge();
    const made = [await bridgePort(b), await bridgePort(b), await bridgePort(b)];
    const listed = await get(`${api}/bridges/${b}/ports`, MT.ports);
    assertMediaType(listed, MT.ports);
    assert.deepEqual(idsOf(listed), made);
    assert.deepEqual(idsOf(await get(`${api}/bridges/${b}/ports`, MT2.ports4)), made);
    assert.deepEqual(idsOf(await get(`${api}/bridges/${b}/ports`, MT.json)), made);

    const all = await get(`${api}/ports`, MT.ports);
    assertStatus(all, 200);
    const expected: string[] = [];
    for (const bb of idsOf(await get(`${api}/bridges`, MT.bridges))) expected.push(...idsOf(await get(`${api}/bridges/${bb}/ports`, MT.ports)));
    for (const rr of idsOf(await get(`${api}/routers`, MT.routers))) expected.push(...idsOf(await get(`${api}/routers/${rr}/ports`, MT.ports)));
    assert.deepEqual(sorted(idsOf(all)), sorted(expected));
    for (const p of all.json as { type: string }[]) assert.ok(p.type === 'Bridge' || p.type === 'Router', p.type);
  });

  it('POST /ports → 405; GET /bridges/{id}/ports/{portId} → 405; GET /bridges/{missing}/ports → 404', async () => {
    const b = await bridge();
    const p = await bridgePort(b);
    const res = await post(`${api}/ports`, MT.port, { type: 'Bridge' });
    assertEmpty(res, 405);
    assert.ok(res.headers.get('allow'), 'Allow header');
    assertEmpty(await get(`${api}/bridges/${b}/ports/${p}`, MT.port), 405);
    assertError(await get(`${api}/bridges/${randomUUID()}/ports`, MT.ports), 404);
    assertError(await get(`${api}/routers/${randomUUID()}/ports`, MT.ports), 404);
  });

  it('PUT keeps the type; a PUT that changes the type → 400', async () => {
    const b = await bridge();
    const r = await router();
    const bp = await bridgePort(b, { vlanId: 3 });
    const rp = await routerPort(r, { portSubnet: ['10.1.0.1/24'] });
    const cur = await port(bp);
    assertEmpty(await put(`${api}/ports/${bp}`, MT.port, cur), 204);
    assertFields(await port(bp), { type: 'Bridge', deviceId: b, vlanId: 3 });
    const { type: _ignored, ...withoutType } = cur;
    assertEmpty(await put(`${api}/ports/${bp}`, MT.port, withoutType), 204);
    assert.equal((await port(bp)).type, 'Bridge');
    assertEmpty(await put(`${api}/ports/${bp}`, MT.port, { ...cur, type: 'ExteriorBridge' }), 204);
    assert.equal((await port(bp)).type, 'Bridge');
    assertError(await put(`${api}/ports/${bp}`, MT.port, { ...cur, type: 'Router' }), 400);
    const rcur = await port(rp);
    assertError(await put(`${api}/ports/${rp}`, MT.port, { ...rcur, type: 'Bridge' }), 400);
    assertFields(await port(rp), { type: 'Router', deviceId: r, portSubnet: ['10.1.0.1/24'] });
  });
});

describe('router ports (§6.3, scenarios 8 and 9)', () => {
  let r: string;
  before(async () => {
    r = await router('rp');
  });

  it('scenario 8: invalid legacy address fields → 400 with exactly one violation naming the property', async () => {
    const valid = { type: 'Router', networkAddress: '10.0.0.0', networkLength: 24, portAddress: '10.0.0.1' };
    const cases: [Record<string, unknown>, string][] = [
      [{ networkAddress: 'badAddr' }, 'networkAddress'],
      [{ portAddress: 'badAddr' }, 'portAddress'],
      [{ networkLength: 33 }, 'networkLength'],
      [{ networkLength: -1 }, 'networkLength'],
    ];
    for (const [change, property] of cases) {
      const res = await post(`${api}/routers/${r}/ports`, MT.port, { ...valid, ...change });
      const violations = assertViolations(res, [property]);
      assert.equal(violations.length, 1, JSON.stringify(change));
    }
    assert.deepEqual(idsOf(await get(`${api}/routers/${r}/ports`, MT.ports)), []);
  });

  it('scenario 9: portSubnet with IPv4 and IPv6 entries; Local routes for the IPv4 ones only', async () => {
    const subnets = ['10.0.0.1/24', '22.22.22.22/22', '2017:0:0:0:0:0:0:32/64'];
    const id = await routerPort(r, { portSubnet: subnets });
    const p = await port(id);
    assertFields(p, {
      type: 'Router',
      deviceId: r,
      device: `${api}/routers/${r}`,
      portSubnet: subnets,
      networkAddress: '10.0.0.0',
      portAddress: '10.0.0.1',
      networkLength: 24,
    });
    assert.match(p.portMac, MAC_RE);
    assert.ok(p.portMac.startsWith('ac:ca:ba:'), p.portMac);

    const mine = (await routesOf(r)).filter((x) => x.nextHopPort === id);
    assert.deepEqual(mine.map((x) => x.dstNetworkAddr).sort(), ['10.0.0.1', '22.22.22.22']);
    for (const route of mine) {
      assertFields(route, {
        type: 'Local',
        srcNetworkAddr: '0.0.0.0',
        srcNetworkLength: 0,
        dstNetworkLength: 32,
        nextHopPort: id,
        nextHopGateway: null,
        weight: 0,
        routerId: r,
        router: `${api}/routers/${r}`,
        learned: false,
        uri: `${api}/routes/${route.id}`,
      });
      const single = await get(`${api}/routes/${route.id}`, MT.route);
      assertStatus(single, 200);
      assertMediaType(single, MT.route);
      assert.deepEqual(single.json, route);
    }

    // deleting the port deletes its Local routes
    assertEmpty(await del(`${api}/ports/${id}`), 204);
    for (const route of mine) assertError(await get(`${api}/routes/${route.id}`, MT.route), 404);
    assert.equal((await routesOf(r)).filter((x) => x.nextHopPort === id).length, 0);
    assert.equal(await zkExists(t, `${zoom(t)}/models/Port/${id}`), false);
    for (const route of mine) assert.equal(await zkExists(t, `${zoom(t)}/models/Route/${route.id}`), false);
    assert.ok(!(await modelText(t, 'Router', r)).includes(uuidText('port_ids', id)));
  });

  it('scenario 9: the first IPv4 entry gives the legacy fields', async () => {
    const id = await routerPort(r, { portSubnet: ['2017:0:0:0:0:0:0:32/64', '22.22.22.22/22'] });
    assertFields(await port(id), {
      portSubnet: ['2017:0:0:0:0:0:0:32/64', '22.22.22.22/22'],
      networkAddress: '22.22.20.0',
      portAddress: '22.22.22.22',
      networkLength: 22,
    });
    assert.deepEqual(
      (await routesOf(r)).filter((x) => x.nextHopPort === id).map((x) => x.dstNetworkAddr),
      ['22.22.22.22'],
    );
  });

  it('scenario 9: only an IPv6 entry → null legacy fields, length 0, no route', async () => {
    const id = await routerPort(r, { portSubnet: ['2017:0:0:0:0:0:0:32/64'] });
    assertFields(await port(id), {
      portSubnet: ['2017:0:0:0:0:0:0:32/64'],
      networkAddress: null,
      portAddress: null,
      networkLength: 0,
    });
    assert.equal((await routesOf(r)).filter((x) => x.nextHopPort === id).length, 0);
  });

  it('scenario 9: the legacy body becomes portSubnet ["10.0.0.1/24"]', async () => {
    const id = await routerPort(r, { networkAddress: '10.0.0.0', networkLength: 24, portAddress: '10.0.0.1' });
    assertFields(await port(id), {
      portSubnet: ['10.0.0.1/24'],
      networkAddress: '10.0.0.0',
      portAddress: '10.0.0.1',
      networkLength: 24,
    });
    const mine = (await routesOf(r)).filter((x) => x.nextHopPort === id);
    assert.deepEqual(
      mine.map((x) => `${x.dstNetworkAddr}/${x.dstNetworkLength}`),
      ['10.0.0.1/32'],
    );
  });

  it('every router port field round-trips; links are built from the router', async () => {
    const mac = 'aa:bb:cc:00:11:22';
    const id = await routerPort(r, {
      portSubnet: ['192.168.5.1/24'],
      portMac: mac,
      rtrPortVni: 5000,
      offRampVxlan: true,
      adminStateUp: false,
      inboundFilterId: c1,
    });
    const uri = `${api}/ports/${id}`;
    assertFields(await port(id), {
      id,
      uri,
      type: 'Router',
      deviceId: r,
      portMac: mac,
      rtrPortVni: 5000,
      offRampVxlan: true,
      adminStateUp: false,
      inboundFilterId: c1,
      inboundFilter: `${api}/chains/${c1}`,
      outboundFilterId: null,
      serviceContainerId: null,
      serviceContainer: null,
      bgpStatus: null,
      peeringTable: `${api}/routers/${r}/ports/${id}/peering_table`,
      peerId: null,
      hostId: null,
      active: false,
      link: `${uri}/link`,
    });
    // rtrPortVni 0..16777215
    assertViolations(await post(`${api}/routers/${r}/ports`, MT.port, { type: 'Router', rtrPortVni: 16777216 }), ['rtrPortVni']);
  });

  it('an upper-case portMac is shown lower-case', async () => {
    const id = await routerPort(r, { portSubnet: ['192.168.6.1/24'], portMac: 'AA:BB:CC:DD:EE:0F' });
    assert.equal((await port(id)).portMac, 'aa:bb:cc:dd:ee:0f');
  });

  it('PUT does not add or remove Local routes', async () => {
    const id = await routerPort(r, { portSubnet: ['172.16.0.1/16'] });
    const before = (await routesOf(r)).filter((x) => x.nextHopPort === id).map((x) => x.id);
    assert.equal(before.length, 1);
    const cur = await port(id);
    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, portSubnet: ['172.16.0.1/16', '172.17.0.1/16'] }), 204);
    assert.deepEqual((await port(id)).portSubnet, ['172.16.0.1/16', '172.17.0.1/16']);
    assert.deepEqual(
      (await routesOf(r)).filter((x) => x.nextHopPort === id).map((x) => x.id),
      before,
    );
  });
});

describe('ports on missing devices (scenario 10)', () => {
  it('POST to /bridges/<random>/ports or /routers/<random>/ports → 404, nothing written', async () => {
    const before = (await t.node.zk.getChildren(`${zoom(t)}/models/Port`)).children.length;
    assertError(await post(`${api}/bridges/${randomUUID()}/ports`, MT.port, { type: 'Bridge' }), 404);
    assertError(await post(`${api}/routers/${randomUUID()}/ports`, MT.port, { type: 'Router' }), 404);
    assert.equal((await t.node.zk.getChildren(`${zoom(t)}/models/Port`)).children.length, before);
  });
});

describe('port update (scenario 11)', () => {
  it('adminStateUp, vifId and filters are replaced by PUT', async () => {
    const b = await bridge();
    const id = await bridgePort(b, { adminStateUp: false });
    let cur = await port(id);
    assert.equal(cur.adminStateUp, false);

    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, adminStateUp: true }), 204);
    cur = await port(id);
    assert.equal(cur.adminStateUp, true);

    const vif = randomUUID();
    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, vifId: vif }), 204);
    cur = await port(id);
    assert.equal(cur.vifId, vif);

    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, vifId: null }), 204);
    cur = await port(id);
    assert.equal(cur.vifId, null);

    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, inboundFilterId: null, outboundFilterId: null }), 204);
    cur = await port(id);
    assertFields(cur, { inboundFilterId: null, outboundFilterId: null, inboundFilter: null, outboundFilter: null });

    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, inboundFilterId: c1, outboundFilterId: c2 }), 204);
    cur = await port(id);
    assertFields(cur, { inboundFilterId: c1, outboundFilterId: c2 });

    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, inboundFilterId: c2, outboundFilterId: c1 }), 204);
    cur = await port(id);
    assertFields(cur, { inboundFilterId: c2, outboundFilterId: c1, inboundFilter: `${api}/chains/${c2}`, outboundFilter: `${api}/chains/${c1}` });
    const c1Text = await modelText(t, 'Chain', c1);
    assert.ok(c1Text.includes(uuidText('port_outbound_ids', id)), 'port_outbound_ids on c1');
    assert.ok(!c1Text.includes(uuidText('port_inbound_ids', id)), 'stale port_inbound_ids on c1');

    // peerId and hostId are read-only on PUT
    assertEmpty(await put(`${api}/ports/${id}`, MT.port, { ...cur, peerId: randomUUID(), hostId: randomUUID() }), 204);
    assertFields(await port(id), { peerId: null, hostId: null });

    assertError(await put(`${api}/ports/${randomUUID()}`, MT.port, { type: 'Bridge' }), 404);
  });
});

describe('link and unlink (scenario 12)', () => {
  it('links router-router, router-bridge, bridge-router; peer ports; conflicts; unlink', async () => {
    const r1 = await router('r1');
    const r2 = await router('r2');
    const b1 = await bridge('b1');
    const r1p1 = await routerPort(r1, { portSubnet: ['10.0.1.1/24'] });
    const r1p2 = await routerPort(r1, { portSubnet: ['10.0.2.1/24'] });
    const r2p1 = await routerPort(r2, { portSubnet: ['10.0.1.2/24'] });
    const r2p2 = await routerPort(r2, { portSubnet: ['10.0.3.1/24'] });
    const b1p1 = await bridgePort(b1);
    const b1p2 = await bridgePort(b1);

    for (const [a, b] of [
      [r1p1, r2p1],
      [r1p2, b1p1],
      [b1p2, r2p2],
    ] as const) {
      const res = await link(a, b);
      assertStatus(res, 201);
      assert.equal(res.text, '');
    }
    // both sides carry the peer
    for (const [a, b] of [
      [r1p1, r2p1],
      [r1p2, b1p1],
      [b1p2, r2p2],
    ] as const) {
      assertFields(await port(a), { peerId: b, peer: `${api}/ports/${b}` });
      assertFields(await port(b), { peerId: a, peer: `${api}/ports/${a}` });
      assert.ok((await modelText(t, 'Port', a)).includes(uuidText('peer_id', b)));
      assert.ok((await modelText(t, 'Port', b)).includes(uuidText('peer_id', a)));
    }

    const peers = async (kind: string, id: string) => {
      const res = await get(`${api}/${kind}/${id}/peer_ports`, MT.ports);
      assertMediaType(res, MT.ports);
      return sorted(idsOf(res));
    };
    assert.deepEqual(await peers('routers', r1), sorted([r2p1, b1p1]));
    assert.deepEqual(await peers('routers', r2), sorted([r1p1, b1p2]));
    assert.deepEqual(await peers('bridges', b1), sorted([r1p2, r2p2]));
    // explicit negotiation: no Accept → the first collection type; json also works
    assertStatus(await get(`${api}/routers/${r1}/peer_ports`), 200);
    assertMediaType(await get(`${api}/routers/${r1}/peer_ports`, MT.json), MT.json);

    // already linked → 409
    assertError(await link(r1p1, r2p1), 409);
    assertError(await link(b1p2, r2p1), 409);
    // a missing peer or port → 404
    const free = await bridgePort(b1);
    assertError(await link(free, randomUUID()), 404);
    assertError(await link(randomUUID(), free), 404);
    assert.equal((await port(free)).peerId, null);

    // unlink every port, including far ends that are already unlinked
    for (const p of [r1p1, r2p1, r1p2, b1p1, b1p2, r2p2]) {
      assertEmpty(await del(`${api}/ports/${p}/link`), 204);
    }
    for (const p of [r1p1, r2p1, r1p2, b1p1, b1p2, r2p2]) {
      assertFields(await port(p), { peerId: null, peer: null });
      assert.ok(!(await modelText(t, 'Port', p)).includes('peer_id'), `peer_id left on ${p}`);
    }
    assert.deepEqual(await peers('routers', r1), []);
    assert.deepEqual(await peers('bridges', b1), []);
    assertError(await del(`${api}/ports/${randomUUID()}/link`), 404);

    for (const p of [r1p1, r2p1, r1p2, b1p1, b1p2, r2p2, free]) assertEmpty(await del(`${api}/ports/${p}`), 204);
    assertError(await del(`${api}/ports/${r1p1}`), 404);
  });

  it('deleting a linked port clears the peer on the other side', async () => {
    const b = await bridge();
    const a = await bridgePort(b);
    const c = await bridgePort(b);
    assertStatus(await link(a, c), 201);
    assertEmpty(await del(`${api}/ports/${a}`), 204);
    assertFields(await port(c), { peerId: null, peer: null });
  });

  it('link accepts application/json as well as PortLink-v1', async () => {
    const b = await bridge();
    const a = await bridgePort(b);
    const c = await bridgePort(b);
    assertStatus(await post(`${api}/ports/${a}/link`, MT.json, { peerId: c }), 201);
    assert.equal((await port(a)).peerId, c);
  });
});

describe('router deletion (scenario 13)', () => {
  it('a router with a load balancer → 409 until the LB is cleared, then 204', async () => {
    const r = await router('with-lb');
    const lb = await createStored(t, 'LoadBalancer', { admin_state_up: true });
    const cur = (await get(`${api}/routers/${r}`, MT.router)).json;
    assertEmpty(await put(`${api}/routers/${r}`, MT.router, { ...cur, loadBalancerId: lb }), 204);
    const withLb = (await get(`${api}/routers/${r}`, MT.router)).json;
    assertFields(withLb, { loadBalancerId: lb, loadBalancer: `${api}/load_balancers/${lb}` });

    assertError(await del(`${api}/routers/${r}`), 409);
    assertStatus(await get(`${api}/routers/${r}`, MT.router), 200);
    assert.ok(await zkExists(t, `${zoom(t)}/models/Router/${r}`));

    assertEmpty(await put(`${api}/routers/${r}`, MT.router, { ...withLb, loadBalancerId: null }), 204);
    assertEmpty(await del(`${api}/routers/${r}`), 204);
    assertError(await get(`${api}/routers/${r}`, MT.router), 404);
    assert.ok(!(await modelText(t, 'LoadBalancer', lb)).includes('router_id'));
  });

  it('a router whose port is linked to a bridge port: DELETE cascades to the port and its routes, the peer is cleared', async () => {
    const r = await router('cascade');
    const b = await bridge('cascade');
    const rp = await routerPort(r, { portSubnet: ['10.9.0.1/24'] });
    const bp = await bridgePort(b);
    assertStatus(await link(rp, bp), 201);
    const localRoutes = (await routesOf(r)).filter((x) => x.nextHopPort === rp).map((x) => x.id as string);
    assert.equal(localRoutes.length, 1);
    const blackhole = assertCreated(
      await post(`${api}/routers/${r}/routes`, MT.route, {
        type: 'BlackHole',
        srcNetworkAddr: '0.0.0.0',
        srcNetworkLength: 0,
        dstNetworkAddr: '10.66.0.0',
        dstNetworkLength: 16,
      }),
      `${api}/routes`,
    );

    assertEmpty(await del(`${api}/routers/${r}`), 204);
    assertError(await get(`${api}/ports/${rp}`, MT.port), 404);
    assertFields(await port(bp), { peerId: null, peer: null });
    for (const id of [...localRoutes, blackhole]) assertError(await get(`${api}/routes/${id}`, MT.route), 404);
    const z = zoom(t);
    assert.equal(await zkExists(t, `${z}/models/Router/${r}`), false);
    assert.equal(await zkExists(t, `${z}/models/Port/${rp}`), false);
    for (const id of [...localRoutes, blackhole]) assert.equal(await zkExists(t, `${z}/models/Route/${id}`), false);
    assert.ok(!(await modelText(t, 'Port', bp)).includes('peer_id'));
  });
});

describe('bridge deletion cascades to its ports', () => {
  it('DELETE bridge → its ports are gone (GET 404) and so are their ZooKeeper nodes', async () => {
    const b = await bridge('cascade');
    const p1 = await bridgePort(b, { inboundFilterId: c1 });
    const p2 = await bridgePort(b);
    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    for (const p of [p1, p2]) assertError(await get(`${api}/ports/${p}`, MT.port), 404);
    assertError(await get(`${api}/bridges/${b}/ports`, MT.ports), 404);
    const z = zoom(t);
    for (const [c, id] of [
      ['Network', b],
      ['Port', p1],
      ['Port', p2],
    ] as const) {
      assert.equal(await zkExists(t, `${z}/models/${c}/${id}`), false, `models/${c}/${id}`);
      assert.equal(await zkExists(t, `${z}/objects/${c}/${id}`), false, `objects/${c}/${id}`);
    }
    assert.ok(!(await modelText(t, 'Chain', c1)).includes(uuidText('port_inbound_ids', p1)));
    assert.ok(!idsOf(await get(`${api}/ports`, MT.ports)).includes(p1));
  });
});

describe('routes (§6.5, scenario 18)', () => {
  let r: string;
  let rp: string;
  let otherPort: string;
  before(async () => {
    r = await router('routes');
    rp = await routerPort(r, { portSubnet: ['192.168.0.2/24'] });
    otherPort = await routerPort(await router('other'), { portSubnet: ['192.168.1.2/24'] });
  });

  const valid = () => ({
    type: 'Normal',
    srcNetworkAddr: '10.0.0.0',
    srcNetworkLength: 24,
    dstNetworkAddr: '192.168.0.0',
    dstNetworkLength: 24,
    nextHopPort: rp,
    nextHopGateway: '192.168.0.1',
    weight: 100,
  });

  it('invalid routes → 400 and nothing written', async () => {
    const before = (await t.node.zk.getChildren(`${zoom(t)}/models/Route`)).children.length;
    assertViolations(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), type: null }), ['type']);
    assertError(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), type: 'badType' }), 400);
    assertError(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), nextHopPort: null }), 400);
    assertError(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), nextHopPort: randomUUID() }), 400);
    assertError(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), nextHopPort: otherPort }), 400);
    assertViolations(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), srcNetworkAddr: '10.0.0' }), ['srcNetworkAddr']);
    assertViolations(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), dstNetworkLength: 33 }), ['dstNetworkLength']);
    assertViolations(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), weight: -1 }), ['weight']);
    assertViolations(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), nextHopGateway: 'nonsense' }), ['nextHopGateway']);
    assertViolations(await post(`${api}/routers/${r}/routes`, MT.route, { ...valid(), dstNetworkAddr: null }), ['dstNetworkAddr']);
    assert.equal((await t.node.zk.getChildren(`${zoom(t)}/models/Route`)).children.length, before);
  });

  it('a Normal route round-trips every field; DELETE → 204, then GET → 404, DELETE again → 204', async () => {
    const create = await post(`${api}/routers/${r}/routes`, MT.route, valid());
    const id = assertCreated(create, `${api}/routes`);
    const res = await get(create.headers.get('location')!, MT.route);
    assertStatus(res, 200);
    assertMediaType(res, MT.route);
    assertFields(res.json, {
      id,
      uri: `${api}/routes/${id}`,
      ...valid(),
      attributes: null,
      routerId: r,
      router: `${api}/routers/${r}`,
      learned: false,
    });
    assert.ok((await routesOf(r)).some((x) => x.id === id));
    assertMediaType(await get(`${api}/routes/${id}`, MT.json), MT.json);
    assertEmpty(await del(`${api}/routes/${id}`), 204);
    assertError(await get(`${api}/routes/${id}`, MT.route), 404);
    assertEmpty(await del(`${api}/routes/${id}`), 204);
    assert.ok(!(await routesOf(r)).some((x) => x.id === id));
  });

  it('nextHopGateway omitted → null; weight omitted → 0', async () => {
    const { nextHopGateway: _g, weight: _w, ...body } = valid();
    const id = assertCreated(await post(`${api}/routers/${r}/routes`, MT.route, body), `${api}/routes`);
    assertFields((await get(`${api}/routes/${id}`, MT.route)).json, { nextHopGateway: null, weight: 0, routerId: r });
    assertEmpty(await del(`${api}/routes/${id}`), 204);
  });

  it('a BlackHole route without nextHopPort belongs to the router', async () => {
    const id = assertCreated(
      await post(`${api}/routers/${r}/routes`, MT.route, { type: 'BlackHole', srcNetworkAddr: '0.0.0.0', dstNetworkAddr: '10.10.0.0', dstNetworkLength: 16 }),
      `${api}/routes`,
    );
    assertFields((await get(`${api}/routes/${id}`, MT.route)).json, { type: 'BlackHole', nextHopPort: null, routerId: r, srcNetworkLength: 0 });
    assert.ok((await routesOf(r)).some((x) => x.id === id));
    assert.ok((await modelText(t, 'Router', r)).includes(uuidText('route_ids', id)));
  });

  it('POST to a missing router → 404; GET /routes and PUT /routes/{id} → 405', async () => {
    assertError(await post(`${api}/routers/${randomUUID()}/routes`, MT.route, { ...valid(), type: 'BlackHole', nextHopPort: null }), 404);
    assertError(await get(`${api}/routers/${randomUUID()}/routes`, MT.routes), 404);
    assertEmpty(await get(`${api}/routes`, MT.routes), 405);
    const id = assertCreated(await post(`${api}/routers/${r}/routes`, MT.route, valid()), `${api}/routes`);
    assertEmpty(await put(`${api}/routes/${id}`, MT.route, valid()), 405);
  });
});
