/**
 * Mirrors over REST against a real node and ZooKeeper (rest-api-extras.md §5.2), with the bodies
 * python-midonetclient's `Mirror` sends (`{toPortId, conditions}`), and what ends up in
 * ZooKeeper: the stored Mirror parses with the .proto schema, devices attach it through their
 * own mirror lists, deleting it clears them, deleting its destination port deletes it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertParsesWithSchema } from '../support/protoc.js';
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
  zkChildren,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const MIRROR = 'application/vnd.org.midonet.Mirror-v1+json';
const MIRRORS = 'application/vnd.org.midonet.collection.Mirror-v1+json';

let t: TestNode;
let api: string;
let bridge: string;

async function bridgePort(): Promise<string> {
  return assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
}

async function mirror(body: Record<string, unknown>): Promise<string> {
  return assertCreated(await post(`${api}/mirrors`, MIRROR, body), `${api}/mirrors`);
}

async function getMirror(id: string): Promise<Json> {
  const res = await get(`${api}/mirrors/${id}`, MIRROR);
  assertStatus(res, 200);
  assertMediaType(res, MIRROR);
  return res.json;
}

async function stored(): Promise<string[]> {
  return zkChildren(t, `${zoom(t)}/models/Mirror`);
}

before(async () => {
  t = await startTestNode();
  api = t.api;
  bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'mirror-bridge', tenantId: 't1' }), `${api}/bridges`);
});

after(async () => {
  await t?.stop();
});

describe('mirrors', () => {
  it('POST as the Python client builds it → 201; GET shows the conditions with their defaults and "uri": null', async () => {
    const to = await bridgePort();
    const id = await mirror({ toPortId: to, conditions: [{}, { nwProto: 6, tpDst: { start: 80, end: 80 }, dlSrc: '02:00:00:00:00:01' }] });
    const m = await getMirror(id);
    assert.equal(m.id, id);
    assert.equal(m.uri, `${api}/mirrors/${id}`);
    assert.equal(m.toPortId, to);
    assert.equal(m.conditions.length, 2);
    const [any, web] = m.conditions;
    assert.equal(any.uri, null);
    assert.equal(any.fragmentPolicy, 'any');
    assert.equal(any.nwProto, null);
    assert.deepEqual(any.inPorts, []);
    assert.equal(any.invNwProto, false);
    assert.equal(any.nwSrcAddress, null);
    assert.equal(any.nwSrcLength, 0);
    assert.equal(web.nwProto, 6);
    assert.deepEqual(web.tpDst, { start: 80, end: 80 });
    assert.equal(web.fragmentPolicy, 'header', 'an L4 condition defaults to header, as a rule does');
    assert.equal(web.dlSrc, '02:00:00:00:00:01');

    const text = await modelText(t, 'Mirror', id);
    assertParsesWithSchema('Mirror', text);
    // the original's converter writes the condition's primitive flags too
    assert.match(text, /^conditions \{\n {2}conjunction_inv: false\n/m);
    assert.match(text, /fragment_policy: ANY/);
    assert.match(text, /nw_proto: 6/);
    assert.match(text, /fragment_policy: HEADER/);
  });

  it('the list is served with the collection type and application/json', async () => {
    const id = await mirror({ toPortId: await bridgePort() });
    const list = await get(`${api}/mirrors`, MIRRORS);
    assertStatus(list, 200);
    assertMediaType(list, MIRRORS);
    assert.ok((list.json as Json[]).some((m) => m.id === id && Array.isArray(m.conditions) && m.conditions.length === 0));
    assertMediaType(await get(`${api}/mirrors/${id}`, MT.json), MT.json);
    assertEmpty(await get(`${api}/mirrors`, MIRROR), 406);
  });

  it('bad input → 4xx and nothing written', async () => {
    const before = (await stored()).length;
    assertViolations(await post(`${api}/mirrors`, MIRROR, { conditions: [] }), ['toPortId']);
    assertViolations(await post(`${api}/mirrors`, MIRROR, { toPortId: null }), ['toPortId']);
    assertError(await post(`${api}/mirrors`, MIRROR, { toPortId: randomUUID() }), 404, /^There is no Port with ID /);
    assertError(await post(`${api}/mirrors`, MIRROR, { toPortId: 'port-1' }), 400);
    const to = await bridgePort();
    assertError(await post(`${api}/mirrors`, MIRROR, { toPortId: to, conditions: {} }), 400);
    assertError(await post(`${api}/mirrors`, MIRROR, { toPortId: to, conditions: [{ dlSrc: 'not-a-mac' }] }), 400, /dlSrc/);
    assertError(
      await post(`${api}/mirrors`, MIRROR, { toPortId: to, conditions: [{ tpDst: { start: 80, end: 80 }, fragmentPolicy: 'any' }] }),
      400,
      /fragmentPolicy/,
    );
    assertError(await post(`${api}/mirrors`, MIRROR, { toPortId: to, conditions: [{ nwProto: 'tcp' }] }), 400);
    assert.equal((await stored()).length, before);
    const id = await mirror({ toPortId: to });
    assertError(await post(`${api}/mirrors`, MIRROR, { id, toPortId: to }), 409, `A(n) Mirror with ID ${id} already exists.`);
  });

  it("a bridge attaches a mirror; deleting the mirror clears the bridge's list", async () => {
    const m = await mirror({ toPortId: await bridgePort(), conditions: [{}] });
    const b = (await get(`${api}/bridges/${bridge}`, MT.bridge)).json;
    assertStatus(await put(`${api}/bridges/${bridge}`, MT.bridge, { ...b, inboundMirrorIds: [m] }), 204);
    assert.deepEqual((await get(`${api}/bridges/${bridge}`, MT.bridge)).json.inboundMirrorIds, [m]);
    assert.match(await modelText(t, 'Mirror', m), /network_inbound_ids \{/);
    assertEmpty(await del(`${api}/mirrors/${m}`), 204);
    assertError(await get(`${api}/mirrors/${m}`, MIRROR), 404);
    assert.deepEqual((await get(`${api}/bridges/${bridge}`, MT.bridge)).json.inboundMirrorIds, []);
    assertEmpty(await del(`${api}/mirrors/${m}`), 204);
  });

  it('a port mirrors through its four lists; the mirror PUT replaces toPortId and conditions, keeps attachments', async () => {
    const to = await bridgePort();
    const watched = await bridgePort();
    const m = await mirror({ toPortId: to, conditions: [{}] });
    const p = (await get(`${api}/ports/${watched}`, MT.port)).json;
    const lists = { inboundMirrorIds: [m], outboundMirrorIds: [m], postInFilterMirrorIds: [m], preOutFilterMirrorIds: [m] };
    assertStatus(await put(`${api}/ports/${watched}`, MT.port, { ...p, ...lists }), 204);
    const other = await bridgePort();
    const body = await getMirror(m);
    assertStatus(await put(`${api}/mirrors/${m}`, MIRROR, { ...body, toPortId: other, conditions: [{ nwProto: 17 }] }), 204);
    const after = await getMirror(m);
    assert.equal(after.toPortId, other);
    assert.equal(after.conditions.length, 1);
    assert.equal(after.conditions[0].nwProto, 17);
    const text = await modelText(t, 'Mirror', m);
    assertParsesWithSchema('Mirror', text);
    for (const f of ['port_inbound_ids', 'port_outbound_ids', 'port_post_in_filter_ids', 'port_pre_out_filter_ids']) {
      assert.match(text, new RegExp(`^${f} \\{`, 'm'), `${f} kept`);
    }
    // the old destination no longer lists the mirror, the new one does
    assert.doesNotMatch(await modelText(t, 'Port', to), /^mirror_ids/m);
    assert.match(await modelText(t, 'Port', other), /^mirror_ids \{/m);
    assertViolations(await put(`${api}/mirrors/${m}`, MIRROR, { conditions: [] }), ['toPortId']);
    assertError(await put(`${api}/mirrors/${m}`, MIRROR, { toPortId: randomUUID() }), 404);
    assert.equal((await getMirror(m)).toPortId, other, 'a refused PUT changes nothing');
  });

  it('deleting the destination port deletes the mirror (and clears it from the devices)', async () => {
    const to = await bridgePort();
    const m = await mirror({ toPortId: to, conditions: [{}] });
    const r = (await get(`${api}/bridges/${bridge}`, MT.bridge)).json;
    assertStatus(await put(`${api}/bridges/${bridge}`, MT.bridge, { ...r, outboundMirrorIds: [m] }), 204);
    assertEmpty(await del(`${api}/ports/${to}`), 204);
    assertError(await get(`${api}/mirrors/${m}`, MIRROR), 404);
    assert.ok(!(await stored()).includes(m));
    assert.deepEqual((await get(`${api}/bridges/${bridge}`, MT.bridge)).json.outboundMirrorIds, []);
  });

  it('a router attaches mirrors too; GET of a missing or malformed id → 404', async () => {
    const router = assertCreated(await post(`${api}/routers`, MT.router, { name: 'mr' }), `${api}/routers`);
    const m = await mirror({ toPortId: await bridgePort() });
    const r = (await get(`${api}/routers/${router}`, MT.router)).json;
    assertStatus(await put(`${api}/routers/${router}`, MT.router, { ...r, inboundMirrorIds: [m], outboundMirrorIds: [m] }), 204);
    const text = await modelText(t, 'Mirror', m);
    assert.match(text, /^router_inbound_ids \{/m);
    assert.match(text, /^router_outbound_ids \{/m);
    assertError(await get(`${api}/mirrors/${randomUUID()}`, MIRROR), 404, /^There is no Mirror with ID /);
    assertError(await get(`${api}/mirrors/1234`, MIRROR), 404);
  });
});
