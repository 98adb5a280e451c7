/**
 * Port groups and their memberships over REST against a real node and ZooKeeper
 * (rest-api-core.md §2.3, §5, §6.8, §7 scenarios 7 and 19), and what ends up in ZooKeeper: a
 * membership is Port.port_group_ids ⇄ PortGroup.port_ids (storage.md §5), cleared from both sides.
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
  put,
  rq,
  sorted,
  uuidText,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const PG = { single: V('PortGroup-v1'), coll: C('PortGroup-v1') } as const;
const PGP = { single: V('PortGroupPort-v1'), coll: C('PortGroupPort-v1') } as const;

let t: TestNode;
let api: string;
let bridge: string;
let router: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'pg-bridge' }), `${api}/bridges`);
  router = assertCreated(await post(`${api}/routers`, MT.router, { name: 'pg-router' }), `${api}/routers`);
});

after(async () => {
  await t?.stop();
});

// ---- helpers ------------------------------------------------------------------------------

async function createGroup(body: Record<string, unknown> = {}, type: string = PG.single): Promise<string> {
  return assertCreated(await post(`${api}/port_groups`, type, body), `${api}/port_groups`);
}

async function getGroup(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/port_groups/${id}`, PG.single);
  assertStatus(res, 200);
  assertMediaType(res, PG.single);
  return res.json;
}

async function createPort(device: 'bridges' | 'routers' = 'bridges', deviceId = bridge): Promise<string> {
  const res = await post(`${api}/${device}/${deviceId}/ports`, MT.port, { type: device === 'bridges' ? 'Bridge' : 'Router' });
  return assertCreated(res, `${api}/ports`);
}

function addMember(group: string, body: unknown, type: string = PGP.single): Promise<Res> {
  return post(`${api}/port_groups/${group}/ports`, type, body);
}

async function join(group: string, port: string): Promise<void> {
  const res = await addMember(group, { portId: port });
  assertStatus(res, 201);
  assert.equal(res.headers.get('location'), `${api}/port_groups/${group}/ports/${port}`);
  assert.equal(res.text, '');
}

async function members(group: string): Promise<Json[]> {
  const res = await get(`${api}/port_groups/${group}/ports`, PGP.coll);
  assertStatus(res, 200);
  assertMediaType(res, PGP.coll);
  return res.json;
}

async function groupsOfPort(port: string): Promise<Json[]> {
  const res = await get(`${api}/ports/${port}/port_groups`, PGP.coll);
  assertStatus(res, 200);
  assertMediaType(res, PGP.coll);
  return res.json;
}

function ids(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), `not a list: ${res.text}`);
  return sorted((res.json as { id: string }[]).map((x) => x.id));
}

function groupJson(id: string, v: { tenantId?: string | null; name?: string | null; stateful?: boolean }) {
  const uri = `${api}/port_groups/${id}`;
  return { id, uri, tenantId: v.tenantId ?? null, name: v.name ?? null, stateful: v.stateful ?? false, ports: `${uri}/ports` };
}

function memberJson(group: string, port: string) {
  return {
    portGroupId: group,
    portId: port,
    uri: `${api}/port_groups/${group}/ports/${port}`,
    port: `${api}/ports/${port}`,
    portGroup: `${api}/port_groups/${group}`,
  };
}

/** Both sides of a membership in ZooKeeper. */
async function storedMembership(group: string, port: string): Promise<{ onPort: boolean; onGroup: boolean }> {
  return {
    onPort: (await modelText(t, 'Port', port)).includes(uuidText('port_group_ids', group)),
    onGroup: (await modelText(t, 'PortGroup', group)).includes(uuidText('port_ids', port)),
  };
}

// ---- scenario 19 ----------------------------------------------------------------------------

describe('port groups (scenario 19)', () => {
  it('tenant filter, stateful default, one membership seen from the group, the port and the filter; 409 twice; delete', async () => {
    const root = await get(`${api}/`, MT.app);
    assertStatus(root, 200);
    const A = root.json;

    const pg1 = assertCreated(await post(A.portGroups, PG.single, { name: 'PG1', tenantId: 'tenant1' }), `${api}/port_groups`);
    const pg2 = assertCreated(await post(A.portGroups, PG.single, { name: 'PG2', tenantId: 'tenant1', stateful: true }), `${api}/port_groups`);
    const pg3 = assertCreated(await post(A.portGroups, PG.single, { name: 'PG3', tenantId: 'tenant2' }), `${api}/port_groups`);
    assert.deepEqual(ids(await get(`${A.portGroups}?tenant_id=tenant1`, PG.coll)), sorted([pg1, pg2]));
    assert.deepEqual(ids(await get(`${A.portGroups}?tenant_id=tenant2`, PG.coll)), [pg3]);
    const PG1 = await getGroup(pg1);
    assert.equal(PG1.stateful, false);
    assert.equal((await getGroup(pg2)).stateful, true);

    const p = await createPort();
    const P = (await get(`${api}/ports/${p}`, MT.port)).json;
    const created = await post(PG1.ports, PGP.single, { portId: p });
    assertStatus(created, 201);
    assert.equal(created.headers.get('location'), `${PG1.ports}/${p}`);

    const list = await get(PG1.ports, PGP.coll);
    assertStatus(list, 200);
    assert.equal(list.json.length, 1);
    assert.equal(list.json[0].portGroupId, pg1);
    assert.deepEqual(list.json, [memberJson(pg1, p)]);

    const ofPort = await get(P.portGroups, PGP.coll);
    assertStatus(ofPort, 200);
    assert.deepEqual(ofPort.json, [memberJson(pg1, p)]);
    assert.deepEqual(ids(await get(`${A.portGroups}?port_id=${p}`, PG.coll)), [pg1]);

    assertEmpty(await post(PG1.ports, PGP.single, { portId: p }), 409);

    assertEmpty(await del(list.json[0].uri), 204);
    assert.deepEqual((await get(PG1.ports, PGP.coll)).json, []);

    assertEmpty(await del(PG1.uri), 204);
    assertError(await get(PG1.uri, PG.single), 404);
  });
});

// ---- CRUD -----------------------------------------------------------------------------------

describe('port groups: create, get, list, update', () => {
  it('POST with PortGroup-v1 or json → 201 + Location, no body; GET shows every field', async () => {
    const a = await createGroup({ name: 'crud-a', tenantId: 'crud-tenant', stateful: true });
    assert.deepEqual(await getGroup(a), groupJson(a, { name: 'crud-a', tenantId: 'crud-tenant', stateful: true }));
    const b = await createGroup({}, MT.json);
    assert.deepEqual(await getGroup(b), groupJson(b, {}));
    const c = await createGroup({ name: 'charset' }, `${PG.single}; charset=UTF-8`);
    assert.equal((await getGroup(c)).name, 'charset');
  });

  it('a client-chosen id is used; the same id again → 409; a malformed id in the body → 400', async () => {
    const id = randomUUID();
    assert.equal(await createGroup({ id, name: 'mine' }), id);
    assertError(await post(`${api}/port_groups`, PG.single, { id, name: 'again' }), 409);
    assertError(await post(`${api}/port_groups`, PG.single, { id: '1234', name: 'bad' }), 400);
    assert.equal((await getGroup(id)).name, 'mine');
  });

  it('stores the group in ZooKeeper (models/PortGroup/<id>)', async () => {
    const id = await createGroup({ name: 'stored', tenantId: 'zk-tenant', stateful: true });
    assert.ok(await zkExists(t, `${zoom(t)}/models/PortGroup/${id}`));
    assert.ok(await zkExists(t, `${zoom(t)}/objects/PortGroup/${id}`));
    const lines = (await modelText(t, 'PortGroup', id)).split('\n');
    for (const l of ['name: "stored"', 'tenant_id: "zk-tenant"', 'stateful: true']) assert.ok(lines.includes(l), lines.join('\n'));
  });

  it('validation: name longer than 255 → violation name; empty and duplicate names are fine; JSON type errors → 400', async () => {
    assertViolations(await post(`${api}/port_groups`, PG.single, { name: 'x'.repeat(256) }), ['name']);
    assert.equal((await getGroup(await createGroup({ name: 'x'.repeat(255) }))).name, 'x'.repeat(255));
    assert.equal((await getGroup(await createGroup({ name: '' }))).name, '');
    await createGroup({ name: 'twice' });
    await createGroup({ name: 'twice' });
    assertError(await post(`${api}/port_groups`, PG.single, { name: 'bad', stateful: 'maybe' }), 400);
    // JSON null for the boolean means false (§2.4)
    assert.equal((await getGroup(await createGroup({ name: 'null-stateful', stateful: null }))).stateful, false);
    assertError(await post(`${api}/port_groups`, PG.single, [1, 2]), 400);
    assertError(await rq('POST', `${api}/port_groups`, { headers: { 'Content-Type': PG.single }, rawBody: '{"name":' }), 400);
  });

  it('PUT replaces the writable fields (omitted → defaults), keeps the memberships, ignores body id; missing → 404', async () => {
    const id = await createGroup({ name: 'before', tenantId: 'put-tenant', stateful: true });
    const port = await createPort();
    await join(id, port);

    assertEmpty(await put(`${api}/port_groups/${id}`, PG.single, { ...(await getGroup(id)), name: 'after', id: randomUUID() }), 204);
    assert.deepEqual(await getGroup(id), groupJson(id, { name: 'after', tenantId: 'put-tenant', stateful: true }));

    assertEmpty(await put(`${api}/port_groups/${id}`, MT.json, { name: 'bare' }), 204);
    assert.deepEqual(await getGroup(id), groupJson(id, { name: 'bare' }));
    assert.deepEqual(await members(id), [memberJson(id, port)]);
    assert.deepEqual(await storedMembership(id, port), { onPort: true, onGroup: true });

    assertViolations(await put(`${api}/port_groups/${id}`, PG.single, { name: 'y'.repeat(256) }), ['name']);
    assert.equal((await getGroup(id)).name, 'bare');
    assertError(await put(`${api}/port_groups/${randomUUID()}`, PG.single, { name: 'nobody' }), 404);
  });

  it('list: coll.PortGroup-v1 or json; filters tenant_id and port_id combine with AND; null tenants never match', async () => {
    const a = await createGroup({ name: 'fa', tenantId: 'filter-t' });
    const b = await createGroup({ name: 'fb', tenantId: 'filter-t' });
    const c = await createGroup({ name: 'fc', tenantId: 'filter-u' });
    const d = await createGroup({ name: 'fd' });
    const e = await createGroup({ name: 'fe', tenantId: '' });
    const port = await createPort();
    await join(a, port);
    await join(c, port);
    await join(d, port);

    const all = await get(`${api}/port_groups`, PG.coll);
    assertMediaType(all, PG.coll);
    for (const id of [a, b, c, d, e]) assert.ok(ids(all).includes(id));
    const asJson = await get(`${api}/port_groups`, MT.json);
    assertMediaType(asJson, MT.json);
    assert.deepEqual(ids(asJson), ids(all));

    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=filter-t`, PG.coll)), sorted([a, b]));
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${port}`, PG.coll)), sorted([a, c, d]));
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${port}&tenant_id=filter-t`, PG.coll)), [a]);
    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=filter-u&port_id=${port}`, PG.coll)), [c]);
    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=`, PG.coll)), [e]);
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${randomUUID()}`, PG.coll)), []);
    // unknown parameters are ignored
    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=filter-t&color=red`, PG.coll)), sorted([a, b]));
  });
});

describe('port groups: media types (scenario 7, §2.3 regime G)', () => {
  it('GET single answers only PortGroup-v1: json, another type, several types or no Accept → 406, empty body', async () => {
    const id = await createGroup({ name: 'media' });
    for (const accept of [MT.json, MT.bridge, `${PG.single}, ${MT.json}`, undefined]) {
      assertEmpty(await get(`${api}/port_groups/${id}`, accept), 406);
    }
    const any = await get(`${api}/port_groups/${id}`, '*/*');
    assertStatus(any, 200);
    assertMediaType(any, PG.single);
    assertStatus(await get(`${api}/port_groups/${id}`, `${PG.single}; charset=UTF-8`), 200);
  });

  it('list: collection or json, else 406; POST/PUT with another Content-Type → 406 (not 415); nothing is written', async () => {
    const id = await createGroup({ name: 'media2' });
    assertEmpty(await get(`${api}/port_groups`, PG.single), 406);
    assertEmpty(await get(`${api}/port_groups`, C('PortGroup-v2')), 406);
    assertEmpty(await post(`${api}/port_groups`, MT.bridge, { name: 'nope' }), 406);
    assertEmpty(await post(`${api}/port_groups`, undefined, { name: 'nope' }), 406);
    assertEmpty(await put(`${api}/port_groups/${id}`, PG.coll, { name: 'nope' }), 406);
    assertEmpty(await put(`${api}/port_groups/${id}`, 'text/plain', { name: 'nope' }), 406);
    assert.equal((await getGroup(id)).name, 'media2');
    assert.ok(!(await get(`${api}/port_groups`, PG.coll)).json.some((g: Json) => g.name === 'nope'));
  });

  it('memberships negotiate explicitly: 415 for a Content-Type not consumed, 406 for an Accept not produced', async () => {
    const group = await createGroup({ name: 'media3' });
    const port = await createPort();
    assertEmpty(await addMember(group, { portId: port }, MT.bridge), 415);
    assertEmpty(await rq('POST', `${api}/port_groups/${group}/ports`, { body: { portId: port } }), 415);
    assertStatus(await addMember(group, { portId: port }, MT.json), 201);

    assertEmpty(await get(`${api}/port_groups/${group}/ports`, PGP.single), 406);
    const noAccept = await get(`${api}/port_groups/${group}/ports`);
    assertStatus(noAccept, 200);
    assertMediaType(noAccept, PGP.coll);
    const asJson = await get(`${api}/port_groups/${group}/ports`, MT.json);
    assertMediaType(asJson, MT.json);
    assert.deepEqual(asJson.json, [memberJson(group, port)]);

    const one = await get(`${api}/port_groups/${group}/ports/${port}`, PGP.single);
    assertStatus(one, 200);
    assertMediaType(one, PGP.single);
    assert.deepEqual(one.json, memberJson(group, port));
    assertEmpty(await get(`${api}/port_groups/${group}/ports/${port}`, PGP.coll), 406);

    // the port's groups: the collection type only
    assertEmpty(await get(`${api}/ports/${port}/port_groups`, MT.json), 406);
    const q = await get(`${api}/ports/${port}/port_groups`, `${MT.json};q=0.5, ${PGP.coll}`);
    assertStatus(q, 200);
    assertMediaType(q, PGP.coll);
  });

  it('methods the paths do not serve → 405 with Allow, empty body', async () => {
    const group = await createGroup({ name: 'methods' });
    const port = await createPort();
    const cases: [string, string][] = [
      ['PUT', `${api}/port_groups/${group}/ports`],
      ['DELETE', `${api}/port_groups/${group}/ports`],
      ['PUT', `${api}/port_groups/${group}/ports/${port}`],
      ['POST', `${api}/ports/${port}/port_groups`],
      ['PUT', `${api}/port_groups`],
      ['POST', `${api}/port_groups/${group}`],
    ];
    for (const [method, url] of cases) {
      const res = await rq(method, url, { headers: { 'Content-Type': MT.json }, body: {} });
      assertEmpty(res, 405);
      assert.ok(res.headers.get('allow'), `${method} ${url}: Allow`);
    }
  });
});

// ---- memberships ----------------------------------------------------------------------------

describe('port groups: memberships', () => {
  it('POST: portId missing or null → violation portId; malformed → 400; group or port missing → 404; nothing written', async () => {
    const group = await createGroup({ name: 'member-validation' });
    assertViolations(await addMember(group, {}), ['portId']);
    assertViolations(await addMember(group, { portId: null, portGroupId: group }), ['portId']);
    assertError(await addMember(group, { portId: 'not-a-uuid' }), 400);
    assertError(await addMember(group, 'just text'), 400);
    assertError(await addMember(group, { portId: randomUUID() }), 404);
    const port = await createPort();
    assertError(await addMember(randomUUID(), { portId: port }), 404);
    assertError(await addMember('not-a-uuid', { portId: port }), 404);
    assert.deepEqual(await members(group), []);
    assert.deepEqual(await groupsOfPort(port), []);
  });

  it('a member is stored on both sides; the body portGroupId is ignored; bridge and router ports alike, in order', async () => {
    const group = await createGroup({ name: 'both-sides' });
    const other = await createGroup({ name: 'other' });
    const bp = await createPort();
    const rp = await createPort('routers', router);
    const res = await addMember(group, { portId: bp.toUpperCase(), portGroupId: other });
    assertStatus(res, 201);
    assert.equal(res.headers.get('location'), `${api}/port_groups/${group}/ports/${bp}`);
    await join(group, rp);
    await join(other, rp);

    assert.deepEqual(await members(group), [memberJson(group, bp), memberJson(group, rp)]);
    assert.deepEqual(await members(other), [memberJson(other, rp)]);
    assert.deepEqual(await groupsOfPort(rp), [memberJson(group, rp), memberJson(other, rp)]);
    assert.deepEqual(await groupsOfPort(bp), [memberJson(group, bp)]);
    assert.deepEqual(await storedMembership(group, bp), { onPort: true, onGroup: true });
    assert.deepEqual(await storedMembership(other, bp), { onPort: false, onGroup: false });
    // the port's own JSON links to its memberships
    assert.equal((await get(`${api}/ports/${rp}`, MT.port)).json.portGroups, `${api}/ports/${rp}/port_groups`);
  });

  it('a second POST of the same membership → 409 with an empty body and no change', async () => {
    const group = await createGroup({ name: 'dup' });
    const port = await createPort();
    await join(group, port);
    assertEmpty(await addMember(group, { portId: port }), 409);
    assert.deepEqual(await members(group), [memberJson(group, port)]);
    assert.equal((await modelText(t, 'Port', port)).split(uuidText('port_group_ids', group)).length, 2, 'listed once');
  });

  it('a PUT of the port keeps its memberships (they are not port fields)', async () => {
    const group = await createGroup({ name: 'port-put' });
    const port = await createPort();
    await join(group, port);
    const body = (await get(`${api}/ports/${port}`, MT.port)).json;
    assertEmpty(await put(`${api}/ports/${port}`, MT.port, { ...body, adminStateUp: false, portGroupIds: [] }), 204);
    assert.deepEqual(await groupsOfPort(port), [memberJson(group, port)]);
    assert.deepEqual(await storedMembership(group, port), { onPort: true, onGroup: true });
  });

  it('GET one: 200 when a member; 404 when not, or when the group is missing', async () => {
    const group = await createGroup({ name: 'get-one' });
    const port = await createPort();
    assertStatus(await get(`${api}/port_groups/${group}/ports/${port}`, PGP.single), 404);
    await join(group, port);
    assertStatus(await get(`${api}/port_groups/${group}/ports/${port}`, PGP.single), 200);
    assertStatus(await get(`${api}/port_groups/${randomUUID()}/ports/${port}`, PGP.single), 404);
    assertError(await get(`${api}/port_groups/${randomUUID()}/ports`, PGP.coll), 404);
    assertError(await get(`${api}/ports/${randomUUID()}/port_groups`, PGP.coll), 404);
  });

  it('DELETE: 204 and gone from both sides; not a member → 404 empty; the port gone → 204', async () => {
    const group = await createGroup({ name: 'leave' });
    const keep = await createPort();
    const leave = await createPort();
    await join(group, keep);
    await join(group, leave);
    assertEmpty(await del(`${api}/port_groups/${group}/ports/${leave}`), 204);
    assert.deepEqual(await members(group), [memberJson(group, keep)]);
    assert.deepEqual(await groupsOfPort(leave), []);
    assert.deepEqual(await storedMembership(group, leave), { onPort: false, onGroup: false });
    assert.deepEqual(await storedMembership(group, keep), { onPort: true, onGroup: true });

    assertEmpty(await del(`${api}/port_groups/${group}/ports/${leave}`), 404);
    const gone = randomUUID();
    assertEmpty(await del(`${api}/port_groups/${group}/ports/${gone}`), 204);
    assertError(await del(`${api}/port_groups/${group}/ports/not-a-uuid`), 404);
    assert.deepEqual(await members(group), [memberJson(group, keep)]);
  });
});

// ---- delete rules ---------------------------------------------------------------------------

describe('port groups: delete rules (§5)', () => {
  it('DELETE a group clears its member ports’ port_group_ids; the ports stay', async () => {
    const group = await createGroup({ name: 'doomed' });
    const other = await createGroup({ name: 'survivor' });
    const p1 = await createPort();
    const p2 = await createPort('routers', router);
    for (const p of [p1, p2]) {
      await join(group, p);
      await join(other, p);
    }
    assertEmpty(await del(`${api}/port_groups/${group}`), 204);
    assert.equal(await zkExists(t, `${zoom(t)}/models/PortGroup/${group}`), false);
    assert.equal(await zkExists(t, `${zoom(t)}/objects/PortGroup/${group}`), false);
    for (const p of [p1, p2]) {
      const text = await modelText(t, 'Port', p);
      assert.ok(!text.includes(uuidText('port_group_ids', group)), `port still names the group:\n${text}`);
      assert.ok(text.includes(uuidText('port_group_ids', other)), `other membership kept:\n${text}`);
      assert.deepEqual(await groupsOfPort(p), [memberJson(other, p)]);
    }
    assertError(await get(`${api}/port_groups/${group}`, PG.single), 404);
    assertError(await get(`${api}/port_groups/${group}/ports`, PGP.coll), 404);
  });

  it('DELETE a port removes it from its groups (port_ids, ?port_id=); so does deleting its bridge', async () => {
    const g1 = await createGroup({ name: 'g1' });
    const g2 = await createGroup({ name: 'g2' });
    const p = await createPort();
    const kept = await createPort();
    await join(g1, p);
    await join(g2, p);
    await join(g1, kept);
    assertEmpty(await del(`${api}/ports/${p}`), 204);
    assert.deepEqual(await members(g1), [memberJson(g1, kept)]);
    assert.deepEqual(await members(g2), []);
    assert.ok(!(await modelText(t, 'PortGroup', g1)).includes(uuidText('port_ids', p)));
    assert.ok(!(await modelText(t, 'PortGroup', g2)).includes('port_ids'));
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${p}`, PG.coll)), []);

    const b = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'short-lived' }), `${api}/bridges`);
    const bp = await createPort('bridges', b);
    await join(g2, bp);
    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    assert.deepEqual(await members(g2), []);
    assert.ok(!(await modelText(t, 'PortGroup', g2)).includes('port_ids'));
  });

  it('DELETE of a missing group → 204 (idempotent); a malformed id → 404', async () => {
    const id = await createGroup({ name: 'twice-deleted' });
    assertEmpty(await del(`${api}/port_groups/${id}`), 204);
    assertEmpty(await del(`${api}/port_groups/${id}`), 204);
    assertEmpty(await del(`${api}/port_groups/${randomUUID()}`), 204);
    assertError(await del(`${api}/port_groups/1234`), 404);
    assertError(await get(`${api}/port_groups/1234`, PG.single), 404);
  });
});
