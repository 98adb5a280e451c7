/**
 * Bridges and routers over REST against a real node and ZooKeeper (rest-api-core.md §2.3–§2.5,
 * §5, §6.1, §6.2, §7 scenarios 4–7), and what ends up in ZooKeeper (storage.md §1–§5).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  createChain,
  createStored,
  del,
  eventually,
  get,
  modelText,
  MT,
  MT2,
  post,
  provenance,
  put,
  sorted,
  uuidText,
  zkCounts,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let c1: string;
let c2: string;
let c3: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  c1 = await createChain(t, 'c1');
  c2 = await createChain(t, 'c2');
  c3 = await createChain(t, 'c3');
});

after(async () => {
  await t?.stop();
});

async function createBridge(body: Record<string, unknown>, type: string = MT.bridge): Promise<string> {
  return assertCreated(await post(`${api}/bridges`, type, body), `${api}/bridges`);
}

async function createRouter(body: Record<string, unknown>, type: string = MT.router): Promise<string> {
  return assertCreated(await post(`${api}/routers`, type, body), `${api}/routers`);
}

async function getBridge(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/bridges/${id}`, MT.bridge);
  assertStatus(res, 200);
  return res.json;
}

async function getRouter(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/routers/${id}`, MT.router);
  assertStatus(res, 200);
  return res.json;
}

function ids(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), `not a list: ${res.text}`);
  return sorted((res.json as { id: string }[]).map((x) => x.id));
}

/** The full JSON of a bridge (§6.1) for the given stored values. */
function bridgeJson(id: string, v: { tenantId: string | null; name: string | null; adminStateUp: boolean; inbound: string | null; outbound: string | null }) {
  const uri = `${api}/bridges/${id}`;
  return {
    id,
    uri,
    tenantId: v.tenantId,
    name: v.name,
    adminStateUp: v.adminStateUp,
    inboundFilterId: v.inbound,
    outboundFilterId: v.outbound,
    inboundFilter: v.inbound ? `${api}/chains/${v.inbound}` : null,
    outboundFilter: v.outbound ? `${api}/chains/${v.outbound}` : null,
    inboundMirrorIds: [],
    outboundMirrorIds: [],
    qosPolicyId: null,
    vxLanPortIds: [],
    ports: `${uri}/ports`,
    peerPorts: `${uri}/peer_ports`,
    vxLanPorts: `${uri}/vxlan_ports`,
    macTable: `${uri}/mac_table`,
    arpTable: `${uri}/arp_table`,
    dhcpSubnets: `${uri}/dhcp`,
    dhcpSubnet6s: `${uri}/dhcpV6`,
    vlanMacTableTemplate: `${uri}/vlans/{vlanId}/mac_table`,
    macPortTemplate: `${uri}/mac_table/{macAddress}_{portId}`,
    vlanMacPortTemplate: `${uri}/vlans/{vlanId}/mac_table/{macAddress}_{portId}`,
  };
}

/** Checks every key of `expected` (the server may add keys the spec does not list, e.g. qosPolicy). */
function assertFields(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `field ${k}`);
}

describe('bridge CRUD (scenario 4)', () => {
  it('POST, GET, PUT, DELETE a bridge; the list is empty again afterwards', async () => {
    const create = await post(`${api}/bridges`, MT.bridge, { name: 'bridge1', tenantId: 'tenant1', inboundFilterId: c1, outboundFilterId: c2 });
    const id = assertCreated(create, `${api}/bridges`);
    const location = create.headers.get('location')!;

    const got = await get(location, MT.bridge);
    assertStatus(got, 200);
    assertMediaType(got, MT.bridge);
    assertFields(got.json, bridgeJson(id, { tenantId: 'tenant1', name: 'bridge1', adminStateUp: true, inbound: c1, outbound: c2 }));

    const upd = await put(location, MT.bridge, { ...got.json, name: 'bridge1-modified', adminStateUp: false, inboundFilterId: c2, outboundFilterId: c1 });
    assertEmpty(upd, 204);
    assertFields(await getBridge(id), bridgeJson(id, { tenantId: 'tenant1', name: 'bridge1-modified', adminStateUp: false, inbound: c2, outbound: c1 }));

    assertEmpty(await del(location), 204);
    assertError(await get(location, MT.bridge), 404);
    const list = await get(`${api}/bridges`, MT.bridges);
    assertStatus(list, 200);
    assertMediaType(list, MT.bridges);
    assert.deepEqual(list.json, []);
  });

  it('stores the bridge as Network in ZooKeeper: model text, provenance, state tables', async () => {
    const id = await createBridge({ name: 'bridge1', tenantId: 'tenant1', inboundFilterId: c1 });
    const z = zoom(t);
    assert.ok(await zkExists(t, `${z}/models/Network/${id}`), 'models/Network/<id>');
    assert.ok(await zkExists(t, `${z}/objects/Network/${id}`), 'objects/Network/<id>');
    const text = await modelText(t, 'Network', id);
    assert.ok(text.startsWith(uuidText('id', id)), `model text starts with the id:\n${text}`);
    const lines = text.split('\n');
    assert.ok(lines.includes('name: "bridge1"'), text);
    assert.ok(lines.includes('admin_state_up: true'), text);
    assert.ok(lines.includes('tenant_id: "tenant1"'), text);
    assert.ok(text.includes(uuidText('inbound_filter_id', c1)), text);
    assert.ok(!text.includes('outbound_filter_id'), text);
    // provenance: one entry, owner cluster:api (0x101), change type data (0x1), version 0
    assert.deepEqual(await provenance(t, 'Network', id), [{ owner: 0x101, type: 1, version: 0 }]);
    // state tables are created with the object
    assert.ok(await zkExists(t, `${z}/tables/Network/${id}/mac_table`), 'mac_table');
    assert.ok(await zkExists(t, `${z}/tables/Network/${id}/ip4_mac_table`), 'ip4_mac_table');
    // back-reference on the chain
    assert.ok((await modelText(t, 'Chain', c1)).includes(uuidText('network_inbound_ids', id)), 'network_inbound_ids on c1');

    // setting outboundFilterId adds the back-reference on c2; the PUT records a provenance change
    const cur = await getBridge(id);
    assertEmpty(await put(`${api}/bridges/${id}`, MT.bridge, { ...cur, outboundFilterId: c2 }), 204);
    assert.ok((await modelText(t, 'Chain', c2)).includes(uuidText('network_outbound_ids', id)), 'network_outbound_ids on c2');
    assert.ok((await modelText(t, 'Network', id)).includes(uuidText('outbound_filter_id', c2)));

    // clearing inboundFilterId removes the back-reference from c1
    assertEmpty(await put(`${api}/bridges/${id}`, MT.bridge, { ...cur, inboundFilterId: null, outboundFilterId: c2 }), 204);
    assert.ok(!(await modelText(t, 'Chain', c1)).includes(uuidText('network_inbound_ids', id)), 'c1 still references the bridge');

    // delete: the model, provenance and tables go; the chains no longer reference it
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
    assert.equal(await zkExists(t, `${z}/models/Network/${id}`), false);
    assert.equal(await zkExists(t, `${z}/objects/Network/${id}`), false);
    assert.ok(!(await modelText(t, 'Chain', c2)).includes('network_outbound_ids'), 'c2 still references the bridge');
    assert.ok(!(await modelText(t, 'Chain', c1)).includes('network_inbound_ids'), 'c1 still references the bridge');
    await eventually(async () => !(await zkExists(t, `${z}/tables/Network/${id}`)), 5000, 'tables/Network/<id> removed');
  });

  it('every Network reference to a chain is cleared when the bridge goes (inbound and outbound on the same chain)', async () => {
    const id = await createBridge({ name: 'both', inboundFilterId: c3, outboundFilterId: c3 });
    const chainText = await modelText(t, 'Chain', c3);
    assert.ok(chainText.includes(uuidText('network_inbound_ids', id)));
    assert.ok(chainText.includes(uuidText('network_outbound_ids', id)));
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
    const after = await modelText(t, 'Chain', c3);
    assert.ok(!after.includes('network_inbound_ids') && !after.includes('network_outbound_ids'), after);
  });
});

describe('tenant filter (scenario 5)', () => {
  for (const kind of ['bridges', 'routers'] as const) {
    it(`${kind}: ?tenant_id= selects exactly the tenant's objects; Tenant.${kind} links to that list`, async () => {
      const coll = kind === 'bridges' ? MT.bridges : MT.routers;
      const single = kind === 'bridges' ? MT.bridge : MT.router;
      const before = ids(await get(`${api}/${kind}`, coll));
      const made: Record<string, string[]> = { tenant0: [], tenant1: [] };
      for (const tenant of ['tenant0', 'tenant1']) {
        for (let i = 0; i < 5; i++) {
          const res = await post(`${api}/${kind}`, single, { name: `${kind}-${tenant}-${i}`, tenantId: tenant });
          made[tenant].push(assertCreated(res, `${api}/${kind}`));
        }
      }
      const all = ids(await get(`${api}/${kind}`, coll));
      assert.deepEqual(all, sorted([...before, ...made['tenant0'], ...made['tenant1']]));
      assert.equal(all.length - before.length, 10);
      assert.deepEqual(ids(await get(`${api}/${kind}?tenant_id=tenant0`, coll)), sorted(made['tenant0']));
      assert.deepEqual(ids(await get(`${api}/${kind}?tenant_id=tenant1`, coll)), sorted(made['tenant1']));
      assert.deepEqual(ids(await get(`${api}/${kind}?tenant_id=nobody`, coll)), []);
      // an empty value matches only empty-string tenant ids (§4.3)
      assert.deepEqual(ids(await get(`${api}/${kind}?tenant_id=`, coll)), []);

      const tenant = await get(`${api}/tenants/tenant0`, MT.tenant);
      assertStatus(tenant, 200);
      assert.equal(tenant.json[kind], `${api}/${kind}?tenant_id=tenant0`);
      assert.deepEqual(ids(await get(tenant.json[kind], coll)), sorted(made['tenant0']));

      for (const id of [...made['tenant0'], ...made['tenant1']]) assertEmpty(await del(`${api}/${kind}/${id}`), 204);
      assert.deepEqual(ids(await get(`${api}/${kind}?tenant_id=tenant0`, coll)), []);
    });
  }

  it('objects with a null tenantId never match, an empty-string tenantId matches ?tenant_id=', async () => {
    const none = await createBridge({ name: 'no-tenant' });
    const empty = await createBridge({ name: 'empty-tenant', tenantId: '' });
    assert.deepEqual(ids(await get(`${api}/bridges?tenant_id=`, MT.bridges)), [empty]);
    assert.equal((await getBridge(none)).tenantId, null);
    assert.equal((await getBridge(empty)).tenantId, '');
    assertEmpty(await del(`${api}/bridges/${none}`), 204);
    assertEmpty(await del(`${api}/bridges/${empty}`), 204);
  });
});

describe('PUT is a full replacement (scenario 6)', () => {
  for (const kind of ['bridges', 'routers'] as const) {
    const single = kind === 'bridges' ? MT.bridge : MT.router;
    const read = (id: string) => (kind === 'bridges' ? getBridge(id) : getRouter(id));

    it(`${kind}: name null and tenantId null are stored as null; omitted fields revert to defaults`, async () => {
      const id = assertCreated(
        await post(`${api}/${kind}`, single, { name: 'foo', tenantId: 'tenant1', inboundFilterId: c1, adminStateUp: false }),
        `${api}/${kind}`,
      );
      let cur = await read(id);
      assert.equal(cur.name, 'foo');
      assert.equal(cur.adminStateUp, false);

      assertEmpty(await put(`${api}/${kind}/${id}`, single, { ...cur, name: null }), 204);
      cur = await read(id);
      assert.equal(cur.name, null);
      assert.equal(cur.tenantId, 'tenant1');
      assert.equal(cur.inboundFilterId, c1);

      assertEmpty(await put(`${api}/${kind}/${id}`, single, { ...cur, tenantId: null }), 204);
      cur = await read(id);
      assert.equal(cur.tenantId, null);
      assert.equal(cur.name, null);

      // a PUT of {} reverts every writable field: adminStateUp to true, filters to null
      assertEmpty(await put(`${api}/${kind}/${id}`, single, {}), 204);
      cur = await read(id);
      assert.equal(cur.adminStateUp, true);
      assert.equal(cur.inboundFilterId, null);
      assert.equal(cur.inboundFilter, null);
      assert.equal(cur.name, null);
      assert.ok(!(await modelText(t, 'Chain', c1)).includes(uuidText(kind === 'bridges' ? 'network_inbound_ids' : 'router_inbound_ids', id)));
      assertEmpty(await del(`${api}/${kind}/${id}`), 204);
    });

    it(`${kind}: an empty name and duplicate names are accepted`, async () => {
      const a = assertCreated(await post(`${api}/${kind}`, single, { name: '' }), `${api}/${kind}`);
      assert.equal((await read(a)).name, '');
      const b = assertCreated(await post(`${api}/${kind}`, single, { name: 'dup' }), `${api}/${kind}`);
      const c = assertCreated(await post(`${api}/${kind}`, single, { name: 'dup' }), `${api}/${kind}`);
      assert.notEqual(b, c);
      assert.equal((await read(b)).name, 'dup');
      assert.equal((await read(c)).name, 'dup');
      for (const id of [a, b, c]) assertEmpty(await del(`${api}/${kind}/${id}`), 204);
    });

    it(`${kind}: the path id wins over a body id; PUT of a missing id → 404`, async () => {
      const id = assertCreated(await post(`${api}/${kind}`, single, { name: 'x' }), `${api}/${kind}`);
      const other = randomUUID();
      assertEmpty(await put(`${api}/${kind}/${id}`, single, { id: other, name: 'renamed' }), 204);
      const cur = await read(id);
      assert.equal(cur.id, id);
      assert.equal(cur.name, 'renamed');
      assertError(await get(`${api}/${kind}/${other}`, single), 404);
      assertError(await put(`${api}/${kind}/${randomUUID()}`, single, { name: 'nobody' }), 404);
      assertEmpty(await del(`${api}/${kind}/${id}`), 204);
    });

    it(`${kind}: a client-supplied id is used; the same id again → 409`, async () => {
      const id = randomUUID();
      assert.equal(assertCreated(await post(`${api}/${kind}`, single, { id, name: 'mine' }), `${api}/${kind}`), id);
      assert.equal((await read(id)).name, 'mine');
      assertError(await post(`${api}/${kind}`, single, { id, name: 'again' }), 409);
      assert.equal((await read(id)).name, 'mine');
      assertEmpty(await del(`${api}/${kind}/${id}`), 204);
    });
  }
});

describe('bridge media types (scenario 7)', () => {
  let id: string;
  before(async () => {
    id = await createBridge({ name: 'media' });
  });

  for (const accept of [MT.bridge, `${MT.bridge}; charset=UTF-8`, MT.bridge5, MT.json]) {
    it(`GET with Accept ${accept} → 200`, async () => {
      const res = await get(`${api}/bridges/${id}`, accept);
      assertStatus(res, 200);
      assertMediaType(res, accept.split(';')[0]);
      assert.equal(res.json.id, id);
    });
  }

  for (const wildcard of ['*/*', 'application/*', '*/*; q=0.8']) {
    it(`GET with Accept ${wildcard} → 200 application/json`, async () => {
      const res = await get(`${api}/bridges/${id}`, wildcard);
      assertStatus(res, 200);
      assertMediaType(res, MT.json);
      assert.equal(res.json.id, id);
    });
  }

  it('the Location of a new bridge honours X-Forwarded-Host/Proto', async () => {
    const res = await post(`${api}/bridges`, MT.bridge, { name: 'fwd' }, { headers: { 'X-Forwarded-Host': 'lb.example.org', 'X-Forwarded-Proto': 'https' } });
    assertStatus(res, 201);
    const created = assertCreated(res, `https://lb.example.org${new URL(api).pathname}/bridges`);
    const got = await get(`${api}/bridges/${created}`, MT.bridge, { headers: { 'X-Forwarded-Host': 'lb.example.org', 'X-Forwarded-Proto': 'https' } });
    assert.equal(got.json.uri, `https://lb.example.org${new URL(api).pathname}/bridges/${created}`);
    assert.equal(got.json.ports, `https://lb.example.org${new URL(api).pathname}/bridges/${created}/ports`);
    assertEmpty(await del(`${api}/bridges/${created}`), 204);
  });

  for (const contentType of [MT.bridge, `${MT.bridge}; charset=UTF-8`, MT.bridge5, MT.json]) {
    it(`POST with Content-Type ${contentType} → 201`, async () => {
      const created = await createBridge({ name: `by ${contentType}` }, contentType);
      assert.equal((await getBridge(created)).name, `by ${contentType}`);
      assertEmpty(await del(`${api}/bridges/${created}`), 204);
    });
  }

  it('GET with Accept Router-v3, Bridge-v3 or a list of types → 406 with no body', async () => {
    assertEmpty(await get(`${api}/bridges/${id}`, MT.router), 406);
    assertEmpty(await get(`${api}/bridges/${id}`, 'application/vnd.org.midonet.Bridge-v3+json'), 406);
    assertEmpty(await get(`${api}/bridges/${id}`, `${MT.bridge}, ${MT.json}`), 406);
  });

  it('the collection answers coll.Bridge-v4, coll.Bridge-v5 and json, not the single type', async () => {
    for (const accept of [MT.bridges, MT2.bridges5, MT.json]) {
      const res = await get(`${api}/bridges`, accept);
      assertStatus(res, 200);
      assertMediaType(res, accept);
      assert.ok((res.json as { id: string }[]).some((b) => b.id === id));
    }
    assertEmpty(await get(`${api}/bridges`, MT.bridge), 406);
  });

  it('a port group answers only PortGroup-v1 on GET (json → 406)', async () => {
    const create = await post(`${api}/port_groups`, MT2.portGroup, { name: 'pg', tenantId: 'tenant1' });
    const pg = assertCreated(create, `${api}/port_groups`);
    const ok = await get(`${api}/port_groups/${pg}`, MT2.portGroup);
    assertStatus(ok, 200);
    assertMediaType(ok, MT2.portGroup);
    assertEmpty(await get(`${api}/port_groups/${pg}`, MT.json), 406);
    assertEmpty(await del(`${api}/port_groups/${pg}`), 204);
  });

  it('the router collection and single types', async () => {
    const r = await createRouter({ name: 'media' });
    assertMediaType(await get(`${api}/routers/${r}`, MT.router), MT.router);
    assertMediaType(await get(`${api}/routers`, MT.routers), MT.routers);
    assertEmpty(await get(`${api}/routers/${r}`, MT.bridge), 406);
    assertEmpty(await post(`${api}/routers`, MT.bridge, { name: 'wrong type' }), 406);
    assertEmpty(await del(`${api}/routers/${r}`), 204);
  });
});

describe('router fields (§6.2)', () => {
  it('every field round-trips through POST, GET and PUT, with its links', async () => {
    const lb = await createStored(t, 'LoadBalancer', { admin_state_up: true });
    const lb2 = await createStored(t, 'LoadBalancer', { admin_state_up: true });
    const m1 = await createStored(t, 'Mirror');
    const m2 = await createStored(t, 'Mirror');
    const fwd = randomUUID(); // forwardChainId is not validated
    const body = {
      name: 'r-all',
      tenantId: 'tenant-r',
      adminStateUp: false,
      inboundFilterId: c1,
      outboundFilterId: c2,
      loadBalancerId: lb,
      asNumber: 65001,
      inboundMirrorIds: [m1],
      outboundMirrorIds: [m1, m2],
      localRedirectChainId: c3,
      forwardChainId: fwd,
    };
    const id = await createRouter(body);
    const uri = `${api}/routers/${id}`;
    const expected = (b: typeof body) => ({
      id,
      uri,
      ...b,
      inboundFilter: `${api}/chains/${b.inboundFilterId}`,
      outboundFilter: `${api}/chains/${b.outboundFilterId}`,
      loadBalancer: b.loadBalancerId ? `${api}/load_balancers/${b.loadBalancerId}` : null,
      localRedirectChain: `${api}/chains/${b.localRedirectChainId}`,
      forwardChain: `${api}/chains/${b.forwardChainId}`,
      ports: `${uri}/ports`,
      peerPorts: `${uri}/peer_ports`,
      routes: `${uri}/routes`,
      bgpNetworks: `${uri}/bgp_networks`,
      bgpPeers: `${uri}/bgp_peers`,
    });
    assertFields(await getRouter(id), expected(body));

    // back-references in storage
    assert.ok((await modelText(t, 'Chain', c3)).includes(uuidText('router_redirect_ids', id)));
    assert.ok((await modelText(t, 'Mirror', m1)).includes(uuidText('router_inbound_ids', id)));
    assert.ok((await modelText(t, 'LoadBalancer', lb)).includes(uuidText('router_id', id)));
    assert.ok(await zkExists(t, `${zoom(t)}/tables/Router/${id}/arp_table`), 'tables/Router/<id>/arp_table');

    // a load balancer already used by another router → 409
    const other = await post(`${api}/routers`, MT.router, { name: 'steals-lb', loadBalancerId: lb });
    assertError(other, 409);

    const changed = {
      ...body,
      name: 'r-all-2',
      tenantId: 'tenant-r2',
      adminStateUp: true,
      inboundFilterId: c2,
      outboundFilterId: c1,
      loadBalancerId: lb2,
      asNumber: 65002,
      inboundMirrorIds: [m2],
      outboundMirrorIds: [],
      localRedirectChainId: c1,
      forwardChainId: randomUUID(),
    };
    assertEmpty(await put(uri, MT.router, changed), 204);
    assertFields(await getRouter(id), expected(changed));
    assert.ok(!(await modelText(t, 'LoadBalancer', lb)).includes('router_id'), 'lb still references the router');
    assert.ok(!(await modelText(t, 'Mirror', m1)).includes('router_inbound_ids'), 'm1 still references the router');

    // clear the LB, then the router can go
    assertEmpty(await put(uri, MT.router, { ...changed, loadBalancerId: null }), 204);
    const cleared = await getRouter(id);
    assert.equal(cleared.loadBalancerId, null);
    assert.equal(cleared.loadBalancer, null);
    assertEmpty(await del(uri), 204);
    assertError(await get(uri, MT.router), 404);
  });

  it('asNumber defaults to 0, mirror lists to [], chain ids to null', async () => {
    const id = await createRouter({ name: 'defaults' });
    assertFields(await getRouter(id), {
      name: 'defaults',
      tenantId: null,
      adminStateUp: true,
      asNumber: 0,
      inboundFilterId: null,
      outboundFilterId: null,
      loadBalancerId: null,
      localRedirectChainId: null,
      forwardChainId: null,
      inboundMirrorIds: [],
      outboundMirrorIds: [],
      inboundFilter: null,
      outboundFilter: null,
      loadBalancer: null,
      localRedirectChain: null,
      forwardChain: null,
    });
    assertEmpty(await del(`${api}/routers/${id}`), 204);
  });
});

describe('references that must exist (§5.1)', () => {
  it('POST a bridge with a nonexistent filter chain → 404, nothing written', async () => {
    const before = await zkCounts(t, ['Network', 'Chain']);
    const missing = randomUUID();
    assertError(await post(`${api}/bridges`, MT.bridge, { name: 'bad', inboundFilterId: missing }), 404);
    assertError(await post(`${api}/bridges`, MT.bridge, { name: 'bad', outboundFilterId: missing }), 404);
    assert.deepEqual(await zkCounts(t, ['Network', 'Chain']), before);
    assert.ok(!(await get(`${api}/bridges`, MT.bridges)).json.some((b: { name: string }) => b.name === 'bad'));
  });

  it('POST a router with a nonexistent chain, load balancer or mirror → 404, nothing written', async () => {
    const before = await zkCounts(t, ['Router']);
    const missing = randomUUID();
    for (const field of ['inboundFilterId', 'outboundFilterId', 'localRedirectChainId', 'loadBalancerId']) {
      assertError(await post(`${api}/routers`, MT.router, { name: 'bad', [field]: missing }), 404);
    }
    assertError(await post(`${api}/routers`, MT.router, { name: 'bad', inboundMirrorIds: [missing] }), 404);
    assert.deepEqual(await zkCounts(t, ['Router']), before);
  });

  it('PUT a bridge with a nonexistent filter chain → 404, the bridge is unchanged', async () => {
    const id = await createBridge({ name: 'keep', inboundFilterId: c1 });
    const stat = await t.node.zk.exists(`${zoom(t)}/models/Network/${id}`);
    assertError(await put(`${api}/bridges/${id}`, MT.bridge, { name: 'changed', inboundFilterId: randomUUID() }), 404);
    const cur = await getBridge(id);
    assert.equal(cur.name, 'keep');
    assert.equal(cur.inboundFilterId, c1);
    assert.equal((await t.node.zk.exists(`${zoom(t)}/models/Network/${id}`))?.version, stat?.version);
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
  });
});

describe('delete of a missing id (§5.3)', () => {
  it('bridge → 404 with an Error body', async () => {
    assertError(await del(`${api}/bridges/${randomUUID()}`), 404);
  });

  it('router → 204 with no body', async () => {
    assertEmpty(await del(`${api}/routers/${randomUUID()}`), 204);
  });

  it('deleting the same bridge twice → 204 then 404; the same router twice → 204 both times', async () => {
    const b = await createBridge({ name: 'twice' });
    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    assertError(await del(`${api}/bridges/${b}`), 404);
    const r = await createRouter({ name: 'twice' });
    assertEmpty(await del(`${api}/routers/${r}`), 204);
    assertEmpty(await del(`${api}/routers/${r}`), 204);
    assert.equal(await zkExists(t, `${zoom(t)}/models/Router/${r}`), false);
    assert.equal(await zkExists(t, `${zoom(t)}/objects/Router/${r}`), false);
  });
});

describe('vxLanPortIds is read-only (§6.1)', () => {
  it('POST with a non-null vxLanPortIds → 400; PUT echoing the current list → 204; PUT with another list → 400', async () => {
    const before = await zkCounts(t, ['Network']);
    assertError(await post(`${api}/bridges`, MT.bridge, { name: 'vx', vxLanPortIds: [randomUUID()] }), 400);
    assertError(await post(`${api}/bridges`, MT.bridge, { name: 'vx', vxLanPortIds: [] }), 400);
    assert.deepEqual(await zkCounts(t, ['Network']), before);
    const id = await createBridge({ name: 'vx' });
    const cur = await getBridge(id);
    assertEmpty(await put(`${api}/bridges/${id}`, MT.bridge, { ...cur, name: 'vx2' }), 204);
    assertError(await put(`${api}/bridges/${id}`, MT.bridge, { ...cur, vxLanPortIds: [randomUUID()] }), 400);
    assert.equal((await getBridge(id)).name, 'vx2');
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
  });
});
