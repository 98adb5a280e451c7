/**
 * IP address groups and their addresses over REST against a real node and ZooKeeper
 * (rest-api-core.md §2.3, §2.5, §5, §6.9, §7 scenario 20): vendor media types only, no PUT,
 * addresses compared by value whatever their spelling, and the group's `ip_addr_ports` in ZooKeeper.
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
  assertViolations,
  del,
  get,
  modelText,
  MT,
  post,
  rq,
  sorted,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const G = { single: V('IpAddrGroup-v1'), coll: C('IpAddrGroup-v1') } as const;
const A = { single: V('IpAddrGroupAddr-v1'), coll: C('IpAddrGroupAddr-v1') } as const;

let t: TestNode;
let api: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

// ---- helpers ------------------------------------------------------------------------------

async function createGroup(body: Record<string, unknown> = { name: 'g' }): Promise<string> {
  return assertCreated(await post(`${api}/ip_addr_groups`, G.single, body), `${api}/ip_addr_groups`);
}

async function getGroup(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/ip_addr_groups/${id}`, G.single);
  assertStatus(res, 200);
  assertMediaType(res, G.single);
  return res.json;
}

function addAddr(group: string, body: unknown, type: string = A.single): Promise<Res> {
  return post(`${api}/ip_addr_groups/${group}/ip_addrs`, type, body);
}

async function addrs(group: string): Promise<Json[]> {
  const res = await get(`${api}/ip_addr_groups/${group}/ip_addrs`, A.coll);
  assertStatus(res, 200);
  assertMediaType(res, A.coll);
  return res.json;
}

const addrUri = (group: string, version: number | string, addr: string): string =>
  `${api}/ip_addr_groups/${group}/versions/${version}/ip_addrs/${encodeURIComponent(addr)}`;

function addrJson(group: string, version: 4 | 6, addr: string) {
  return {
    version,
    addr,
    ipAddrGroupId: group,
    uri: addrUri(group, version, addr),
    ipAddrGroup: `${api}/ip_addr_groups/${group}`,
  };
}

function groupJson(id: string, name: string, addresses: string[] = []) {
  const uri = `${api}/ip_addr_groups/${id}`;
  return {
    id,
    uri,
    name,
    ipAddrPorts: addresses.map((a) => ({ ipAddress: a, portIds: [] })),
    inboundChainId: null,
    outboundChainId: null,
    ruleIds: [],
    addrs: `${uri}/ip_addrs`,
  };
}

function ids(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), `not a list: ${res.text}`);
  return sorted((res.json as { id: string }[]).map((x) => x.id));
}

// ---- scenario 20 ----------------------------------------------------------------------------

describe('IP address groups (scenario 20)', () => {
  it('create; canonical v4 and v6; duplicate → 409; 10.0.2 → 400; delete through another spelling', async () => {
    const root = (await get(`${api}/`, MT.app)).json;
    assertViolations(await post(root.ipAddrGroups, G.single, {}), ['name']);
    const group = assertCreated(await post(root.ipAddrGroups, G.single, { name: 'ipg1' }), `${api}/ip_addr_groups`);
    const g = await getGroup(group);

    assertStatus(await post(g.addrs, A.single, { version: 4, addr: '010.000.000.002' }), 201);
    assert.deepEqual(
      (await get(g.addrs, A.coll)).json.map((a: Json) => a.addr),
      ['10.0.0.2'],
    );

    assertStatus(await post(g.addrs, A.single, { version: 6, addr: '1:2:3:4:0005:0006:0007:0008' }), 201);
    assert.deepEqual(
      (await get(g.addrs, A.coll)).json.map((a: Json) => a.addr),
      ['10.0.0.2', '1:2:3:4:5:6:7:8'],
    );

    assertStatus(await post(g.addrs, A.single, { version: 4, addr: '10.0.0.1' }), 201);
    assertError(await post(g.addrs, A.single, { version: 4, addr: '10.0.0.1' }), 409);
    assertError(await post(g.addrs, A.single, { version: 4, addr: '10.0.2' }), 400);
    assert.equal((await get(g.addrs, A.coll)).json.length, 3);

    assertEmpty(await del(`${api}/ip_addr_groups/${group}/versions/4/ip_addrs/10.0.000.002`), 204);
    assert.deepEqual(
      (await get(g.addrs, A.coll)).json.map((a: Json) => a.addr),
      ['1:2:3:4:5:6:7:8', '10.0.0.1'],
    );
  });
});

// ---- groups ---------------------------------------------------------------------------------

describe('IP address groups: create, get, list, delete', () => {
  it('POST → 201 + Location, no body; GET shows every field; a client-chosen id is used, twice → 409', async () => {
    const id = await createGroup({ name: 'fields', ipAddrPorts: [{ ipAddress: '1.2.3.4' }], ruleIds: [randomUUID()] });
    assert.deepEqual(await getGroup(id), groupJson(id, 'fields'));
    const mine = randomUUID();
    assert.equal(await createGroup({ id: mine, name: 'mine' }), mine);
    assertError(await post(`${api}/ip_addr_groups`, G.single, { id: mine, name: 'again' }), 409);
    assert.equal((await getGroup(mine)).name, 'mine');
    assertError(await post(`${api}/ip_addr_groups`, G.single, { id: 'nope', name: 'bad' }), 400);
    // names need not be unique
    await createGroup({ name: 'fields' });
  });

  it('ipAddrPorts shows the current addresses, canonical, in insertion order; ZooKeeper holds the canonical form', async () => {
    const id = await createGroup({ name: 'shown' });
    for (const [version, addr] of [
      [4, '192.168.001.010'],
      [6, '2001:DB8::1'],
      [4, '10.1.1.1'],
    ] as const) {
      assertStatus(await addAddr(id, { version, addr }), 201);
    }
    assert.deepEqual(await getGroup(id), groupJson(id, 'shown', ['192.168.1.10', '2001:db8:0:0:0:0:0:1', '10.1.1.1']));
    const text = await modelText(t, 'IPAddrGroup', id);
    for (const a of ['192.168.1.10', '2001:db8:0:0:0:0:0:1', '10.1.1.1']) assert.ok(text.includes(`address: "${a}"`), text);
    assert.ok(!text.includes('192.168.001.010'), text);
  });

  it('validation: name required, 1..255 → violations on name; JSON type errors → 400', async () => {
    assertViolations(await post(`${api}/ip_addr_groups`, G.single, { name: null }), ['name']);
    assertViolations(await post(`${api}/ip_addr_groups`, G.single, { name: '' }), ['name']);
    assertViolations(await post(`${api}/ip_addr_groups`, G.single, { name: 'n'.repeat(256) }), ['name']);
    assert.equal((await getGroup(await createGroup({ name: 'n'.repeat(255) }))).name, 'n'.repeat(255));
    assertError(await post(`${api}/ip_addr_groups`, G.single, { name: { first: 'a' } }), 400);
    assertError(await post(`${api}/ip_addr_groups`, G.single, 'name'), 400);
  });

  it('list: the collection type; there is no tenant filter', async () => {
    const a = await createGroup({ name: 'la' });
    const b = await createGroup({ name: 'lb' });
    const list = await get(`${api}/ip_addr_groups`, G.coll);
    assertMediaType(list, G.coll);
    for (const id of [a, b]) assert.ok(ids(list).includes(id));
    assert.deepEqual(ids(await get(`${api}/ip_addr_groups?tenant_id=nobody`, G.coll)), ids(list));
  });

  it('DELETE → 204 and gone from ZooKeeper with its addresses; again, or a random id → 204; malformed → 404', async () => {
    const id = await createGroup({ name: 'doomed' });
    assertStatus(await addAddr(id, { version: 4, addr: '10.9.9.9' }), 201);
    assertEmpty(await del(`${api}/ip_addr_groups/${id}`), 204);
    assert.equal(await zkExists(t, `${zoom(t)}/models/IPAddrGroup/${id}`), false);
    assert.equal(await zkExists(t, `${zoom(t)}/objects/IPAddrGroup/${id}`), false);
    assertError(await get(`${api}/ip_addr_groups/${id}`, G.single), 404);
    assertError(await get(`${api}/ip_addr_groups/${id}/ip_addrs`, A.coll), 404);
    assertError(await get(addrUri(id, 4, '10.9.9.9'), A.single), 404);
    assertEmpty(await del(`${api}/ip_addr_groups/${id}`), 204);
    assertEmpty(await del(`${api}/ip_addr_groups/${randomUUID()}`), 204);
    assertError(await del(`${api}/ip_addr_groups/not-a-uuid`), 404);
    assert.ok(!ids(await get(`${api}/ip_addr_groups`, G.coll)).includes(id));
  });

  it('a rule condition naming the group keeps its id when the group goes (no binding)', async () => {
    const id = await createGroup({ name: 'in-a-rule' });
    const chain = assertCreated(await post(`${api}/chains`, V('Chain-v1'), { name: 'ipg-chain' }), `${api}/chains`);
    const rule = assertCreated(await post(`${api}/chains/${chain}/rules`, V('Rule-v2'), { type: 'accept', ipAddrGroupSrc: id }), `${api}/rules`);
    assertEmpty(await del(`${api}/ip_addr_groups/${id}`), 204);
    const got = await get(`${api}/rules/${rule}`, V('Rule-v2'));
    assertStatus(got, 200);
    assert.equal(got.json.ipAddrGroupSrc, id);
  });
});

describe('IP address groups: media types (§2.3 regime G, vendor types only)', () => {
  it('GET/list/POST answer only the vendor types: json → 406, empty body; PUT → 405', async () => {
    const id = await createGroup({ name: 'media' });
    assertEmpty(await get(`${api}/ip_addr_groups/${id}`, MT.json), 406);
    assertEmpty(await get(`${api}/ip_addr_groups/${id}`), 406);
    assertEmpty(await get(`${api}/ip_addr_groups`, MT.json), 406);
    assertEmpty(await get(`${api}/ip_addr_groups`, G.single), 406);
    assertEmpty(await post(`${api}/ip_addr_groups`, MT.json, { name: 'json' }), 406);
    assertEmpty(await post(`${api}/ip_addr_groups`, undefined, { name: 'none' }), 406);
    const any = await get(`${api}/ip_addr_groups/${id}`, '*/*');
    assertStatus(any, 200);
    assertMediaType(any, G.single);
    const anyList = await get(`${api}/ip_addr_groups`, '*/*');
    assertMediaType(anyList, G.coll);

    const putRes = await rq('PUT', `${api}/ip_addr_groups/${id}`, { headers: { 'Content-Type': G.single }, body: { name: 'renamed' } });
    assertEmpty(putRes, 405);
    assert.ok(!(putRes.headers.get('allow') ?? '').includes('PUT'), `Allow: ${putRes.headers.get('allow')}`);
    assert.equal((await getGroup(id)).name, 'media');
    assert.ok(!(await get(`${api}/ip_addr_groups`, G.coll)).json.some((g: Json) => g.name === 'json' || g.name === 'none'));
  });

  it('addresses negotiate explicitly: POST consumes IpAddrGroupAddr-v1 only (415), lists and GETs produce one type (406)', async () => {
    const id = await createGroup({ name: 'addr-media' });
    assertEmpty(await addAddr(id, { version: 4, addr: '10.0.0.1' }, MT.json), 415);
    assertEmpty(await rq('POST', `${api}/ip_addr_groups/${id}/ip_addrs`, { body: { version: 4, addr: '10.0.0.1' } }), 415);
    assertEmpty(await addAddr(id, { version: 4, addr: '10.0.0.1' }, A.coll), 415);
    assert.deepEqual(await addrs(id), []);
    assertStatus(await addAddr(id, { version: 4, addr: '10.0.0.1' }, `${A.single}; charset=UTF-8`), 201);

    assertEmpty(await get(`${api}/ip_addr_groups/${id}/ip_addrs`, MT.json), 406);
    assertEmpty(await get(`${api}/ip_addr_groups/${id}/ip_addrs`, A.single), 406);
    const noAccept = await get(`${api}/ip_addr_groups/${id}/ip_addrs`);
    assertMediaType(noAccept, A.coll);
    assertEmpty(await get(addrUri(id, 4, '10.0.0.1'), MT.json), 406);
    assertEmpty(await get(addrUri(id, 4, '10.0.0.1'), A.coll), 406);
    assertMediaType(await get(addrUri(id, 4, '10.0.0.1')), A.single);
  });
});

// ---- addresses ------------------------------------------------------------------------------

describe('IP address groups: addresses', () => {
  it('POST → 201, Location = versions/{v}/ip_addrs/{address as sent, URL-encoded}; the entry as JSON', async () => {
    const id = await createGroup({ name: 'locations' });
    const v4 = await addAddr(id, { version: 4, addr: '010.000.000.002' });
    assertStatus(v4, 201);
    assert.equal(v4.text, '');
    assert.equal(v4.headers.get('location'), `${api}/ip_addr_groups/${id}/versions/4/ip_addrs/010.000.000.002`);
    const v6 = await addAddr(id, { version: '6', addr: '1:2:3:4:0005:0006:0007:0008', ipAddrGroupId: randomUUID() });
    assertStatus(v6, 201);
    assert.equal(v6.headers.get('location'), `${api}/ip_addr_groups/${id}/versions/6/ip_addrs/1%3A2%3A3%3A4%3A0005%3A0006%3A0007%3A0008`);

    assert.deepEqual(await addrs(id), [addrJson(id, 4, '10.0.0.2'), addrJson(id, 6, '1:2:3:4:5:6:7:8')]);
    for (const loc of [v4.headers.get('location')!, v6.headers.get('location')!]) {
      const got = await get(loc, A.single);
      assertStatus(got, 200);
    }
    const one = await get(addrUri(id, 6, '1:2:3:4:5:6:7:8'), A.single);
    assert.deepEqual(one.json, addrJson(id, 6, '1:2:3:4:5:6:7:8'));
    assert.equal(one.json.uri, `${api}/ip_addr_groups/${id}/versions/6/ip_addrs/1%3A2%3A3%3A4%3A5%3A6%3A7%3A8`);
  });

  it('GET and DELETE accept any spelling of the address: leading zeros, ::, upper case, raw or encoded colons', async () => {
    const id = await createGroup({ name: 'spellings' });
    assertStatus(await addAddr(id, { version: 6, addr: '2001:db8::1' }), 201);
    assertStatus(await addAddr(id, { version: 4, addr: '10.0.0.2' }), 201);
    const six = ['2001:db8:0:0:0:0:0:1', '2001:DB8::0001', '2001:0db8:0000:0000:0000:0000:0000:0001'];
    for (const s of six) {
      const got = await get(addrUri(id, 6, s), A.single);
      assertStatus(got, 200);
      assert.deepEqual(got.json, addrJson(id, 6, '2001:db8:0:0:0:0:0:1'));
    }
    const raw = await get(`${api}/ip_addr_groups/${id}/versions/6/ip_addrs/2001:db8::1`, A.single);
    assertStatus(raw, 200);
    for (const s of ['10.0.0.2', '010.000.000.002', '10.0.000.2']) {
      assert.deepEqual((await get(addrUri(id, 4, s), A.single)).json, addrJson(id, 4, '10.0.0.2'));
    }
    // a duplicate is found whatever its spelling
    assertError(await addAddr(id, { version: 6, addr: '2001:0DB8:0:0:0:0:0:1' }), 409);
    assertError(await addAddr(id, { version: 4, addr: '010.0.0.2' }), 409);

    assertEmpty(await del(addrUri(id, 6, '2001:DB8:0:0::1')), 204);
    assert.deepEqual(await addrs(id), [addrJson(id, 4, '10.0.0.2')]);
    assertError(await get(addrUri(id, 6, '2001:db8::1'), A.single), 404);
  });

  it('GET of an address not in the group → 404; DELETE of it → 204 and nothing changes', async () => {
    const id = await createGroup({ name: 'absent' });
    assertStatus(await addAddr(id, { version: 4, addr: '10.0.0.5' }), 201);
    const before = await modelText(t, 'IPAddrGroup', id);
    assertError(await get(addrUri(id, 4, '10.0.0.6'), A.single), 404);
    assertEmpty(await del(addrUri(id, 4, '10.0.0.6')), 204);
    assertEmpty(await del(addrUri(id, 6, '::1')), 204);
    assert.equal(await modelText(t, 'IPAddrGroup', id), before);
    assert.deepEqual(await addrs(id), [addrJson(id, 4, '10.0.0.5')]);
  });

  it('POST validation: version missing → violation version; other than 4/6 → 400; addr missing/unparseable → 400', async () => {
    const id = await createGroup({ name: 'addr-validation' });
    assertViolations(await addAddr(id, { addr: '10.0.0.1' }), ['version']);
    assertViolations(await addAddr(id, { version: null, addr: '10.0.0.1' }), ['version']);
    for (const version of [5, 0, '4a', true, [4]]) assertError(await addAddr(id, { version, addr: '10.0.0.1' }), 400);
    assertViolations(await addAddr(id, { version: 4 }), ['addr']);
    for (const addr of ['10.0.2', '256.0.0.1', 'ten.zero.zero.one', '1:2:3', '1::2::3', '']) {
      assertError(await addAddr(id, { version: 4, addr }), 400);
    }
    assertError(await addAddr(id, { version: 4, addr: ['10.0.0.1'] }), 400);
    assertError(await addAddr(id, [{ version: 4, addr: '10.0.0.1' }]), 400);
    assert.deepEqual(await addrs(id), []);
  });

  it('the group must exist (404), checked after the body; a malformed group id → 404', async () => {
    assertError(await addAddr(randomUUID(), { version: 4, addr: '10.0.0.1' }), 404);
    assertError(await addAddr('not-a-uuid', { version: 4, addr: '10.0.0.1' }), 404);
    assertError(await get(`${api}/ip_addr_groups/${randomUUID()}/ip_addrs`, A.coll), 404);
    assertError(await get(addrUri(randomUUID(), 4, '10.0.0.1'), A.single), 404);
    assertError(await del(addrUri(randomUUID(), 4, '10.0.0.1')), 404);
  });

  it('the address URI: {v} other than 4/6 → 400, not an integer → 404; an unparseable address → 400', async () => {
    const id = await createGroup({ name: 'uri-rules' });
    assertStatus(await addAddr(id, { version: 4, addr: '10.0.0.1' }), 201);
    for (const v of ['5', '0', '46']) {
      assertError(await get(addrUri(id, v, '10.0.0.1'), A.single), 400);
      assertError(await del(addrUri(id, v, '10.0.0.1')), 400);
    }
    assertError(await get(addrUri(id, 'four', '10.0.0.1'), A.single), 404);
    assertError(await del(addrUri(id, 'four', '10.0.0.1')), 404);
    assertError(await get(addrUri(id, 4, '10.0.1'), A.single), 400);
    assertError(await del(addrUri(id, 4, 'nonsense')), 400);
    assert.deepEqual(await addrs(id), [addrJson(id, 4, '10.0.0.1')]);
  });

  it('the family decides what is stored: a v6 address posted as version 4 is a v6 entry, its Location says version 6', async () => {
    const id = await createGroup({ name: 'family' });
    const res = await addAddr(id, { version: 4, addr: '::2' });
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/ip_addr_groups/${id}/versions/6/ip_addrs/%3A%3A2`);
    assert.deepEqual(await addrs(id), [addrJson(id, 6, '0:0:0:0:0:0:0:2')]);
    assertStatus(await get(res.headers.get('location')!, A.single), 200);
    assert.deepEqual((await get(addrUri(id, 6, '::2'), A.single)).json, addrJson(id, 6, '0:0:0:0:0:0:0:2'));
  });

  it('groups are independent; the same address may be in several', async () => {
    const a = await createGroup({ name: 'a' });
    const b = await createGroup({ name: 'b' });
    assertStatus(await addAddr(a, { version: 4, addr: '172.16.0.1' }), 201);
    assertStatus(await addAddr(b, { version: 4, addr: '172.16.0.1' }), 201);
    assertEmpty(await del(addrUri(a, 4, '172.16.0.1')), 204);
    assert.deepEqual(await addrs(a), []);
    assert.deepEqual(await addrs(b), [addrJson(b, 4, '172.16.0.1')]);
  });

  it('methods the address paths do not serve → 405 with Allow', async () => {
    const id = await createGroup({ name: 'methods' });
    assertStatus(await addAddr(id, { version: 4, addr: '10.0.0.1' }), 201);
    for (const [method, url] of [
      ['PUT', `${api}/ip_addr_groups/${id}/ip_addrs`],
      ['DELETE', `${api}/ip_addr_groups/${id}/ip_addrs`],
      ['PUT', addrUri(id, 4, '10.0.0.1')],
      ['POST', addrUri(id, 4, '10.0.0.1')],
    ] as const) {
      const res = await rq(method, url, { headers: { 'Content-Type': A.single }, body: { version: 4, addr: '10.0.0.1' } });
      assertEmpty(res, 405);
      assert.ok(res.headers.get('allow'), `${method} ${url}`);
    }
    assert.deepEqual(await addrs(id), [addrJson(id, 4, '10.0.0.1')]);
  });
});
