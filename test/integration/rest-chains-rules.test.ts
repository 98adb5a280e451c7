/**
 * Chains and rules over REST against a real node and ZooKeeper (rest-api-core.md §2.3, §5, §6.6,
 * §6.7, §7 scenarios 5 (chains), 7 (PUT /chains), 14–17), and what ends up in ZooKeeper
 * (storage.md §5: Rule.chain_id ↔ Chain.rule_ids, filters ↔ Chain back-references, and the
 * unbound jump_chain_id ↔ jump_rule_ids pair the API keeps itself).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { message } from '../../lib/http/messages.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  assertViolations,
  createStored,
  del,
  get,
  modelText,
  MT,
  MT2,
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

const RULE = 'application/vnd.org.midonet.Rule-v2+json';
const RULES = 'application/vnd.org.midonet.collection.Rule-v2+json';
const CHAIN = MT2.chain;
const CHAINS = MT2.chains;

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

async function chain(body: Record<string, unknown> = {}): Promise<string> {
  return assertCreated(await post(`${api}/chains`, CHAIN, body), `${api}/chains`);
}

function postRule(chainId: string, body: unknown, type: string = RULE): Promise<Res> {
  return post(`${api}/chains/${chainId}/rules`, type, body);
}

async function rule(chainId: string, body: Record<string, unknown>): Promise<string> {
  return assertCreated(await postRule(chainId, body), `${api}/rules`);
}

async function getRule(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/rules/${id}`, RULE);
  assertStatus(res, 200);
  assertMediaType(res, RULE);
  return res.json;
}

async function rulesOf(chainId: string): Promise<Record<string, Json>[]> {
  const res = await get(`${api}/chains/${chainId}/rules`, RULES);
  assertStatus(res, 200);
  assertMediaType(res, RULES);
  assert.ok(Array.isArray(res.json), res.text);
  return res.json;
}

async function getJson(url: string, accept: string): Promise<Record<string, Json>> {
  const res = await get(url, accept);
  assertStatus(res, 200);
  return res.json;
}

function idsOf(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), res.text);
  return sorted((res.json as { id: string }[]).map((x) => x.id));
}

function assertFields(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `field ${k}`);
}

/** The JSON of a rule's condition when nothing was set (§6.7). */
const CONDITION_DEFAULTS = {
  condInvert: false,
  matchForwardFlow: false,
  matchReturnFlow: false,
  inPorts: [],
  invInPorts: false,
  outPorts: [],
  invOutPorts: false,
  portGroup: null,
  invPortGroup: false,
  inPortGroup: null,
  invInPortGroup: false,
  outPortGroup: null,
  invOutPortGroup: false,
  ipAddrGroupSrc: null,
  invIpAddrGroupSrc: false,
  ipAddrGroupDst: null,
  invIpAddrGroupDst: false,
  traversedDevice: null,
  invTraversedDevice: false,
  noVlan: false,
  vlan: null,
  dlType: null,
  invDlType: false,
  dlSrc: null,
  dlSrcMask: null,
  invDlSrc: false,
  dlDst: null,
  dlDstMask: null,
  invDlDst: false,
  nwTos: null,
  invNwTos: false,
  nwProto: null,
  invNwProto: false,
  nwSrcAddress: null,
  nwSrcLength: 0,
  invNwSrc: false,
  nwDstAddress: null,
  nwDstLength: 0,
  invNwDst: false,
  matchNwDstRewritten: false,
  tpSrc: null,
  invTpSrc: false,
  tpDst: null,
  invTpDst: false,
  icmpDataSrcIpAddress: null,
  icmpDataSrcIpLength: 0,
  invIcmpDataSrcIp: false,
  icmpDataDstIpAddress: null,
  icmpDataDstIpLength: 0,
  invIcmpDataDstIp: false,
  fragmentPolicy: 'any',
} as const;

/** Keys every rule shows besides its condition (§6.7). */
function ruleBase(id: string, chainId: string, type: string, position: number): Record<string, unknown> {
  return { id, uri: `${api}/rules/${id}`, type, chainId, position, meterName: null };
}

/** Exactly these keys, with these values. */
function assertExactly(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  assert.deepEqual(sorted(Object.keys(actual)), sorted(Object.keys(expected)), 'keys');
  assertFields(actual, expected);
}

async function modelGone(clazz: string, id: string): Promise<boolean> {
  return !(await zkExists(t, `${zoom(t)}/models/${clazz}/${id}`));
}

// ---- chains --------------------------------------------------------------------------------

describe('chains: create, get, list, delete (§6.6)', () => {
  it('POST → 201 + Location, no body; GET shows exactly id, uri, tenantId, name, rules', async () => {
    const res = await post(`${api}/chains`, CHAIN, { name: 'chain1', tenantId: 'tenant1', unknownKey: 'ignored' });
    const id = assertCreated(res, `${api}/chains`);
    const got = await get(res.headers.get('location')!, CHAIN);
    assertStatus(got, 200);
    assertMediaType(got, CHAIN);
    assertExactly(got.json, { id, uri: `${api}/chains/${id}`, tenantId: 'tenant1', name: 'chain1', rules: `${api}/chains/${id}/rules` });
  });

  it('defaults: no name, no tenant → both null; "" and duplicate names are fine', async () => {
    const a = await chain();
    assertFields(await getJson(`${api}/chains/${a}`, CHAIN), { name: null, tenantId: null });
    const b = await chain({ name: '' });
    const c = await chain({ name: '' });
    assert.notEqual(b, c);
    assertFields(await getJson(`${api}/chains/${b}`, CHAIN), { name: '' });
  });

  it('a client-supplied id is used; the same id again → 409', async () => {
    const id = randomUUID();
    assert.equal(await chain({ id, name: 'mine' }), id);
    assertError(await post(`${api}/chains`, CHAIN, { id, name: 'again' }), 409);
    assertFields(await getJson(`${api}/chains/${id}`, CHAIN), { name: 'mine' });
  });

  it('stores the chain as protobuf text under models/Chain', async () => {
    const id = await chain({ name: 'stored', tenantId: 'tenant-z' });
    const text = await modelText(t, 'Chain', id);
    assert.ok(text.startsWith(uuidText('id', id)), text);
    const lines = text.split('\n');
    assert.ok(lines.includes('name: "stored"'), text);
    assert.ok(lines.includes('tenant_id: "tenant-z"'), text);
    assert.ok(await zkExists(t, `${zoom(t)}/objects/Chain/${id}`), 'objects/Chain/<id>');
  });

  it('validation: name longer than 255 → violation name; wrong JSON types → 400', async () => {
    assertViolations(await post(`${api}/chains`, CHAIN, { name: 'x'.repeat(256) }), ['name']);
    assert.ok(await chain({ name: 'x'.repeat(255) }));
    assertError(await post(`${api}/chains`, CHAIN, { name: { nested: true } }), 400);
    assertError(await post(`${api}/chains`, CHAIN, { id: '1234' }), 400);
    assertError(await post(`${api}/chains`, CHAIN, [{ name: 'a' }]), 400);
    assertError(await rq('POST', `${api}/chains`, { headers: { 'Content-Type': CHAIN }, rawBody: '{"name": ' }), 400);
  });

  it('the list holds every chain; GET of a missing or malformed id → 404', async () => {
    const a = await chain({ name: 'listed-a' });
    const b = await chain({ name: 'listed-b' });
    const list = await get(`${api}/chains`, CHAINS);
    assertMediaType(list, CHAINS);
    const ids = idsOf(list);
    assert.ok(ids.includes(a) && ids.includes(b), list.text);
    const one = (list.json as Json[]).find((c) => c.id === a);
    assertExactly(one, { id: a, uri: `${api}/chains/${a}`, tenantId: null, name: 'listed-a', rules: `${api}/chains/${a}/rules` });
    assertError(await get(`${api}/chains/${randomUUID()}`, CHAIN), 404, /^There is no Chain with ID /);
    assertError(await get(`${api}/chains/1234`, CHAIN), 404);
  });

  it('DELETE → 204; then GET 404, gone from the list and from ZooKeeper; DELETE again → 404', async () => {
    const id = await chain({ name: 'doomed' });
    assertEmpty(await del(`${api}/chains/${id}`), 204);
    assertError(await get(`${api}/chains/${id}`, CHAIN), 404);
    assert.ok(!idsOf(await get(`${api}/chains`, CHAINS)).includes(id));
    assert.ok(await modelGone('Chain', id), 'models/Chain/<id> gone');
    assert.ok(!(await zkExists(t, `${zoom(t)}/objects/Chain/${id}`)), 'objects/Chain/<id> gone');
    assertError(await del(`${api}/chains/${id}`), 404, /^There is no Chain with ID /);
    assertError(await del(`${api}/chains/${randomUUID()}`), 404);
    assertError(await del(`${api}/chains/not-a-uuid`), 404);
  });

  it('PUT /chains/{id} → 405 (scenario 7), also for a missing chain; POST /chains/{id} → 405; Allow lists GET and DELETE', async () => {
    const id = await chain({ name: 'fixed' });
    const res = await put(`${api}/chains/${id}`, CHAIN, { name: 'renamed' });
    assertEmpty(res, 405);
    const allow = new Set((res.headers.get('allow') ?? '').split(',').map((s) => s.trim()));
    assert.ok(allow.has('GET') && allow.has('DELETE') && !allow.has('PUT'), `Allow ${res.headers.get('allow')}`);
    assertEmpty(await put(`${api}/chains/${randomUUID()}`, MT.json, { name: 'x' }), 405);
    assertEmpty(await post(`${api}/chains/${id}`, CHAIN, { name: 'x' }), 405);
    assertEmpty(await put(`${api}/chains`, CHAIN, { name: 'x' }), 405);
    assertFields(await getJson(`${api}/chains/${id}`, CHAIN), { name: 'fixed' });
  });
});

describe('chains: tenant filter (scenario 5, §4.3, §6.19)', () => {
  let t5: TestNode;
  let a5: string;
  before(async () => {
    t5 = await startTestNode();
    a5 = t5.api;
  });
  after(async () => {
    await t5?.stop();
  });

  it('5 chains of tenant0 and 5 of tenant1: 10 in all, exactly 5 per tenant_id, and the Tenant link agrees', async () => {
    const byTenant: Record<string, string[]> = { tenant0: [], tenant1: [] };
    for (const tenant of ['tenant0', 'tenant1']) {
      for (let i = 0; i < 5; i++) {
        const id = assertCreated(await post(`${a5}/chains`, CHAIN, { name: `${tenant}-c${i}`, tenantId: tenant }), `${a5}/chains`);
        byTenant[tenant].push(id);
      }
    }
    assert.equal(idsOf(await get(`${a5}/chains`, CHAINS)).length, 10);
    for (const tenant of ['tenant0', 'tenant1']) {
      const res = await get(`${a5}/chains?tenant_id=${tenant}`, CHAINS);
      assertMediaType(res, CHAINS);
      assert.deepEqual(idsOf(res), sorted(byTenant[tenant]));
      for (const c of res.json as Json[]) assert.equal(c.tenantId, tenant);
    }
    const tenant = await get(`${a5}/tenants/tenant0`, MT.tenant);
    assertStatus(tenant, 200);
    assert.equal(tenant.json.chains, `${a5}/chains?tenant_id=tenant0`);
    assert.deepEqual(idsOf(await get(tenant.json.chains, CHAINS)), sorted(byTenant['tenant0']));
  });

  it('exact string match: unknown tenant → [], empty value matches only "" tenants, null tenants never match', async () => {
    const none = assertCreated(await post(`${a5}/chains`, CHAIN, { name: 'no-tenant' }), `${a5}/chains`);
    const empty = assertCreated(await post(`${a5}/chains`, CHAIN, { name: 'empty-tenant', tenantId: '' }), `${a5}/chains`);
    assert.deepEqual(idsOf(await get(`${a5}/chains?tenant_id=nobody`, CHAINS)), []);
    assert.deepEqual(idsOf(await get(`${a5}/chains?tenant_id=`, CHAINS)), [empty]);
    assert.deepEqual(idsOf(await get(`${a5}/chains?tenant_id=TENANT0`, CHAINS)), []);
    assert.ok(idsOf(await get(`${a5}/chains`, CHAINS)).includes(none));
  });
});

describe('chains and rules: media types (§2.3, regime G)', () => {
  let c: string;
  let r: string;
  before(async () => {
    c = await chain({ name: 'media' });
    r = await rule(c, { type: 'accept' });
  });

  it('GET a chain: Chain-v1, Chain-v1 with charset, application/json, */* → 200 with the asked type', async () => {
    for (const accept of [CHAIN, `${CHAIN}; charset=UTF-8`, MT.json]) {
      const res = await get(`${api}/chains/${c}`, accept);
      assertStatus(res, 200);
      assertMediaType(res, accept.split(';')[0]);
      assert.equal(res.json.id, c);
    }
    const wild = await get(`${api}/chains/${c}`, '*/*');
    assertStatus(wild, 200);
    assertMediaType(wild, MT.json);
  });

  it('GET a chain: another type, a collection type, no Accept, or a list of types → 406, empty body', async () => {
    for (const accept of [MT.router, CHAINS, RULE, 'application/vnd.org.midonet.Chain-v2+json', `${CHAIN}, ${MT.json}`]) {
      assertEmpty(await get(`${api}/chains/${c}`, accept), 406);
    }
    assertEmpty(await get(`${api}/chains/${c}`), 406);
    assertEmpty(await get(`${api}/chains`, CHAIN), 406);
    assertEmpty(await get(`${api}/chains`), 406);
  });

  it('POST a chain: Chain-v1, with charset, json → 201; wrong or missing Content-Type → 406, not 415', async () => {
    for (const type of [CHAIN, `${CHAIN}; charset=UTF-8`, MT.json]) assertCreated(await post(`${api}/chains`, type, { name: 'ct' }), `${api}/chains`);
    for (const type of [MT.bridge, RULE, 'text/plain', CHAINS]) assertEmpty(await post(`${api}/chains`, type, { name: 'ct' }), 406);
    assertEmpty(await post(`${api}/chains`, undefined, { name: 'ct' }), 406);
  });

  it("rules: Rule-v2 | json for one rule, coll.Rule-v2 | json for a chain's list; others → 406", async () => {
    for (const accept of [RULE, MT.json]) assertStatus(await get(`${api}/rules/${r}`, accept), 200);
    for (const accept of [RULES, CHAIN, 'application/vnd.org.midonet.Rule-v1+json']) assertEmpty(await get(`${api}/rules/${r}`, accept), 406);
    assertEmpty(await get(`${api}/rules/${r}`), 406);
    for (const accept of [RULES, MT.json]) {
      const res = await get(`${api}/chains/${c}/rules`, accept);
      assertStatus(res, 200);
      assertMediaType(res, accept);
    }
    assertEmpty(await get(`${api}/chains/${c}/rules`, RULE), 406);
    for (const type of [RULE, MT.json]) assertCreated(await postRule(c, { type: 'drop' }, type), `${api}/rules`);
    for (const type of [CHAIN, RULES, 'application/xml']) assertEmpty(await postRule(c, { type: 'drop' }, type), 406);
    assertEmpty(await post(`${api}/chains/${c}/rules`, undefined, { type: 'drop' }), 406);
  });

  it('DELETE never checks media types', async () => {
    const id = await rule(c, { type: 'return' });
    assertEmpty(await rq('DELETE', `${api}/rules/${id}`, { headers: { Accept: 'text/html', 'Content-Type': 'text/plain' } }), 204);
    const other = await chain({ name: 'media-del' });
    assertEmpty(await rq('DELETE', `${api}/chains/${other}`, { headers: { Accept: 'image/png' } }), 204);
  });

  it('operations not offered → 405: GET/POST /rules, PUT /rules/{id}, GET /chains/{id}/rules/{ruleId}, PUT /chains/{id}/rules', async () => {
    assertEmpty(await get(`${api}/rules`, RULES), 405);
    assertEmpty(await post(`${api}/rules`, RULE, { type: 'accept' }), 405);
    const putRes = await put(`${api}/rules/${r}`, RULE, { type: 'drop' });
    assertEmpty(putRes, 405);
    const allow = new Set((putRes.headers.get('allow') ?? '').split(',').map((s) => s.trim()));
    assert.ok(allow.has('GET') && allow.has('DELETE') && !allow.has('PUT'), `Allow ${putRes.headers.get('allow')}`);
    assertEmpty(await get(`${api}/chains/${c}/rules/${r}`, RULE), 405);
    assertEmpty(await put(`${api}/chains/${c}/rules`, RULE, { type: 'drop' }), 405);
    assertEmpty(await del(`${api}/chains/${c}/rules`), 405);
    assert.equal((await getRule(r)).type, 'accept');
  });
});

// ---- rules: the scenarios -----------------------------------------------------------------

describe('rule ordering (scenario 15)', () => {
  it('insert at position 1 twice: the second is 1, the first moves to 2; delete the first → list of 1', async () => {
    const c = await chain({ name: 'order' });
    assert.deepEqual(await rulesOf(c), []);
    const first = await rule(c, { type: 'accept', position: 1 });
    assert.equal((await getRule(first)).position, 1);
    assert.deepEqual(
      (await rulesOf(c)).map((x) => x.id),
      [first],
    );
    const second = await rule(c, { type: 'accept', position: 1 });
    assert.equal((await getRule(second)).position, 1);
    assert.equal((await getRule(first)).position, 2);
    const list = await rulesOf(c);
    assert.deepEqual(
      list.map((x) => [x.id, x.position]),
      [
        [second, 1],
        [first, 2],
      ],
    );
    assertEmpty(await del(`${api}/rules/${first}`), 204);
    assertError(await get(`${api}/rules/${first}`, RULE), 404);
    assert.deepEqual(
      (await rulesOf(c)).map((x) => [x.id, x.position]),
      [[second, 1]],
    );
    assertEmpty(await del(`${api}/rules/${second}`), 204);
    assert.deepEqual(await rulesOf(c), []);
  });

  it("positions: default 1, 0 means 1, count+1 appends, the middle inserts; stored order is the chain's rule_ids", async () => {
    const c = await chain({ name: 'positions' });
    const a = await rule(c, { type: 'accept' }); // [a]
    const b = await rule(c, { type: 'drop', position: 2 }); // [a b]
    const d = await rule(c, { type: 'reject', position: 0 }); // [d a b]
    const e = await rule(c, { type: 'return', position: 4 }); // [d a b e]
    const f = await rule(c, { type: 'accept', position: 3, id: randomUUID() }); // [d a f b e]
    const g = await rule(c, { type: 'drop', position: null }); // [g d a f b e] (null = default)
    const order = [g, d, a, f, b, e];
    assert.deepEqual(
      (await rulesOf(c)).map((x) => x.id),
      order,
    );
    assert.deepEqual(
      (await rulesOf(c)).map((x) => x.position),
      [1, 2, 3, 4, 5, 6],
    );
    for (const [i, id] of order.entries()) assert.equal((await getRule(id)).position, i + 1);
    const text = await modelText(t, 'Chain', c);
    const at = order.map((id) => text.indexOf(uuidText('rule_ids', id)));
    assert.ok(
      at.every((x) => x >= 0),
      text,
    );
    assert.deepEqual(
      at,
      [...at].sort((x, y) => x - y),
      'rule_ids in list order',
    );
    // deleting from the middle closes the gap
    assertEmpty(await del(`${api}/rules/${f}`), 204);
    assert.deepEqual(
      (await rulesOf(c)).map((x) => [x.id, x.position]),
      [
        [g, 1],
        [d, 2],
        [a, 3],
        [b, 4],
        [e, 5],
      ],
    );
    assert.ok(!(await modelText(t, 'Chain', c)).includes(uuidText('rule_ids', f)));
  });

  it('concurrent inserts into one chain all land, each once, and concurrent jumps all reach the target', async () => {
    const c = await chain({ name: 'busy-order' });
    const target = await chain({ name: 'busy-target' });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postRule(c, i % 2 === 0 ? { type: 'accept' } : { type: 'jump', jumpChainId: target })),
    );
    const ids = results.map((res) => assertCreated(res, `${api}/rules`));
    const list = await rulesOf(c);
    assert.deepEqual(sorted(list.map((x) => x.id)), sorted(ids));
    assert.deepEqual(
      list.map((x) => x.position),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    const targetText = await modelText(t, 'Chain', target);
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 1) assert.ok(targetText.includes(uuidText('jump_rule_ids', id)), `jump ${id} recorded`);
    }
    assertEmpty(await del(`${api}/chains/${target}`), 204);
    assert.equal((await rulesOf(c)).length, 4);
  });

  it('position beyond count+1 → 400 and nothing is stored; negative → violation position', async () => {
    const c = await chain({ name: 'out-of-range' });
    assertError(await postRule(c, { type: 'accept', position: 2 }), 400, 'Position exceeds number of rules in chain');
    const id = randomUUID();
    assertError(await postRule(c, { type: 'accept', position: 5, id }), 400);
    assert.ok(await modelGone('Rule', id), 'rejected rule not stored');
    assert.deepEqual(await rulesOf(c), []);
    const v = assertViolations(await postRule(c, { type: 'accept', position: -1 }), ['position']);
    assert.equal(v[0].message, message('MinValue', 1));
    await rule(c, { type: 'accept' });
    assertError(await postRule(c, { type: 'accept', position: 3 }), 400);
    assertCreated(await postRule(c, { type: 'accept', position: 2 }), `${api}/rules`);
  });
});

describe('rule validation (scenario 16)', () => {
  let c: string;
  before(async () => {
    c = await chain({ name: 'validation' });
  });

  it('no type → 400 with violation type; unknown type → 400', async () => {
    const v = assertViolations(await postRule(c, { position: 1 }), ['type']);
    assert.equal(v[0].message, message('NonNull'));
    assertViolations(await postRule(c, { type: null }), ['type']);
    assertError(await postRule(c, { type: 'badType' }), 400);
    assertError(await postRule(c, { type: 'ACCEPT' }), 400);
    assertError(await postRule(c, { type: 'l2transform' }), 400);
    assert.deepEqual(await rulesOf(c), []);
  });

  it('l2_transform: flowAction badAction or drop → violation flowAction; missing → violation flowAction', async () => {
    for (const flowAction of ['badAction', 'drop', 'continue', 'ACCEPT']) {
      const v = assertViolations(await postRule(c, { type: 'l2_transform', flowAction }), ['flowAction']);
      assert.equal(v[0].message, 'must match "accept|redirect"');
    }
    const v = assertViolations(await postRule(c, { type: 'l2_transform' }), ['flowAction']);
    assert.equal(v[0].message, message('NonNull'));
  });

  it('l2_transform with flowAction accept and pushVlan 65536 → violation pushVlan; 65535 and 0 are fine', async () => {
    const v = assertViolations(await postRule(c, { type: 'l2_transform', flowAction: 'accept', pushVlan: 65536 }), ['pushVlan']);
    assert.equal(v[0].message, message('MaxValue', 65535));
    assertError(await postRule(c, { type: 'l2_transform', flowAction: 'accept', pushVlan: -1 }), 400);
    const ok = await rule(c, { type: 'l2_transform', flowAction: 'accept', pushVlan: 65535 });
    assert.equal((await getRule(ok)).pushVlan, 65535);
  });

  it('accept with a bad dlSrc/dlDst → 400 [MacAddressInvalid]; bad masks → 400 [MacMaskInvalid]', async () => {
    for (const field of ['dlSrc', 'dlDst']) {
      for (const bad of ['01:23:45:67:89:0ab', '01:23:45:67:89', 'zz:23:45:67:89:0a', '01-23-45-67-89-0a']) {
        const v = assertViolations(await postRule(c, { type: 'accept', [field]: bad }), [field]);
        assert.equal(v[0].message, message('MacAddressInvalid'));
      }
    }
    for (const field of ['dlSrcMask', 'dlDstMask']) {
      for (const bad of ['fffff.0000.0000', 'ffff.ffff', 'ff:ff:ff:ff:ff:ff', 'gggg.0000.0000']) {
        const v = assertViolations(await postRule(c, { type: 'accept', [field]: bad }), [field]);
        assert.equal(v[0].message, message('MacMaskInvalid'));
      }
    }
  });

  it('valid MACs and masks round-trip unchanged (one-digit groups and upper case included); masks are shown lower case', async () => {
    const id = await rule(c, {
      type: 'accept',
      dlSrc: '01:02:03:04:05:06',
      dlSrcMask: 'ffff.ffff.0000',
      dlDst: '10:20:30:40:50:60',
      dlDstMask: '0000.ffff.ffff',
    });
    assertFields(await getRule(id), { dlSrc: '01:02:03:04:05:06', dlSrcMask: 'ffff.ffff.0000', dlDst: '10:20:30:40:50:60', dlDstMask: '0000.ffff.ffff' });
    const loose = await rule(c, { type: 'drop', dlSrc: '1:2:3:a:B:c', dlDstMask: 'FFFF.00Ff.0000' });
    assertFields(await getRule(loose), { dlSrc: '1:2:3:a:B:c', dlDstMask: 'ffff.00ff.0000' });
    const text = await modelText(t, 'Rule', id);
    assert.ok(text.includes('dl_src: "01:02:03:04:05:06"'), text);
    assert.ok(text.includes(`dl_src_mask: ${0xffffffff0000}`), text);
    assert.ok(text.includes(`dl_dst_mask: ${0xffffffff}`), text);
  });

  it('every other condition rule reports its own property', async () => {
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ dlType: 0x5ff }, 'dlType', message('MinValue', 0x600)],
      [{ dlType: 0x10000 }, 'dlType', message('MaxValue', 0xffff)],
      [{ nwSrcAddress: '10.0.0' }, 'nwSrcAddress', 'is an invalid IP format'],
      [{ nwDstAddress: '010.0.0.1' }, 'nwDstAddress', 'is an invalid IP format'],
      [{ nwSrcAddress: '10.0.0.0', nwSrcLength: 33 }, 'nwSrcLength', message('MaxValue', 32)],
      [{ nwDstAddress: '10.0.0.0', nwDstLength: -1 }, 'nwDstLength', message('MinValue', 0)],
      [{ icmpDataSrcIpAddress: 'host' }, 'icmpDataSrcIpAddress', 'is an invalid IP format'],
      [{ icmpDataDstIpAddress: '1.2.3.4', icmpDataDstIpLength: 40 }, 'icmpDataDstIpLength', message('MaxValue', 32)],
      [{ tpSrc: { start: 0, end: 10 } }, 'tpSrc', 'Range is not valid.'],
      [{ tpDst: { start: 10, end: 5 } }, 'tpDst', 'Range is not valid.'],
      [{ tpDst: { start: 1, end: 65536 } }, 'tpDst', 'Range is not valid.'],
      [{ tpSrc: { start: 80 } }, 'tpSrc', 'Range is not valid.'],
    ];
    for (const [body, property, msg] of cases) {
      const v = assertViolations(await postRule(c, { type: 'accept', ...body }), [property]);
      if (msg) assert.equal(v[0].message, msg, JSON.stringify(body));
    }
    // all violations at once, not only the first
    assertViolations(await postRule(c, { type: 'accept', dlSrc: 'x', nwSrcAddress: 'y', tpDst: { start: 9, end: 1 } }), ['dlSrc', 'nwSrcAddress', 'tpDst']);
  });

  it('wrong JSON types and malformed ids → 400 without violations; unknown keys are ignored', async () => {
    for (const body of [
      { inPorts: ['not-a-uuid'] },
      { inPorts: 'x' },
      { portGroup: 'pg' },
      { traversedDevice: 12 },
      { condInvert: 'yes' },
      { nwProto: 'tcp' },
      { tpSrc: [1, 2] },
      { id: '1234' },
    ]) {
      const res = await postRule(c, { type: 'accept', ...body });
      const e = assertError(res, 400);
      assert.equal(e.violations, undefined, res.text);
    }
    const id = await rule(c, { type: 'accept', properties: { foo: 'bar' }, flowAction: 'accept', natTargets: 'ignored' });
    const got = await getRule(id);
    assert.ok(!('properties' in got) && !('flowAction' in got) && !('natTargets' in got), JSON.stringify(got));
  });

  it('the body must be a JSON object; POST to a missing chain → 404; to a malformed chain id → 404', async () => {
    assertError(await postRule(c, [{ type: 'accept' }]), 400);
    assertError(await rq('POST', `${api}/chains/${c}/rules`, { headers: { 'Content-Type': RULE }, rawBody: '{"type":' }), 400);
    assertError(await postRule(randomUUID(), { type: 'accept' }), 404, /^There is no Chain with ID /);
    assertError(await postRule('1234', { type: 'accept' }), 404);
    assertError(await get(`${api}/chains/${randomUUID()}/rules`, RULES), 404);
  });
});

describe('fragment policy (scenario 17)', () => {
  let c: string;
  before(async () => {
    c = await chain({ name: 'fragments' });
  });

  const fp = async (body: Record<string, unknown>): Promise<string> => (await getRule(await rule(c, body))).fragmentPolicy;
  const rejected = async (body: Record<string, unknown>, key: Parameters<typeof message>[0]): Promise<void> => {
    const v = assertViolations(await postRule(c, body), ['']);
    assert.equal(v[0].message, message(key), JSON.stringify(body));
  };
  const dnat = (targets = [{ addressFrom: '10.10.10.10', addressTo: '10.10.10.10', portFrom: 0, portTo: 0 }]) => ({
    type: 'dnat',
    flowAction: 'accept',
    natTargets: targets,
  });

  it('accept: any without L4 fields, header with tpDst; any/nonheader with L4 → 400 [FragPolicyInvalidForL4Rule]', async () => {
    assert.equal(await fp({ type: 'accept' }), 'any');
    const l4 = { type: 'accept', tpDst: { start: 1234, end: 1234 } };
    assert.equal(await fp(l4), 'header');
    assert.equal(await fp({ type: 'drop', tpSrc: { start: 1, end: 2 } }), 'header');
    await rejected({ ...l4, fragmentPolicy: 'any' }, 'FragPolicyInvalidForL4Rule');
    await rejected({ ...l4, fragmentPolicy: 'nonheader' }, 'FragPolicyInvalidForL4Rule');
    assert.equal(await fp({ ...l4, fragmentPolicy: 'header' }), 'header');
    assert.equal(await fp({ ...l4, fragmentPolicy: 'unfragmented' }), 'unfragmented');
    for (const policy of ['any', 'nonheader', 'header', 'unfragmented']) assert.equal(await fp({ type: 'accept', fragmentPolicy: policy }), policy);
  });

  it('an undefined policy → 400 ErrorEntity [FragPolicyUndefined]', async () => {
    for (const policy of ['UNDEFINED', 'ANY', 'whatever', 3]) {
      const e = assertError(await postRule(c, { type: 'accept', fragmentPolicy: policy }), 400, message('FragPolicyUndefined'));
      assert.equal(e.violations, undefined);
    }
  });

  it('dnat floating-IP style: any by default and any value allowed', async () => {
    assert.equal(await fp(dnat()), 'any');
    for (const policy of ['any', 'header', 'nonheader', 'unfragmented']) assert.equal(await fp({ ...dnat(), fragmentPolicy: policy }), policy);
  });

  it('dnat with tpDst, a range target, ports or two targets: unfragmented only [FragPolicyInvalidForNatRule]', async () => {
    const variants: Record<string, unknown>[] = [
      { ...dnat(), tpDst: { start: 1234, end: 1234 } },
      dnat([{ addressFrom: '10.10.10.10', addressTo: '10.10.10.11', portFrom: 0, portTo: 0 }]),
      dnat([{ addressFrom: '10.10.10.10', addressTo: '10.10.10.10', portFrom: 80, portTo: 80 }]),
      dnat([
        { addressFrom: '10.10.10.10', addressTo: '10.10.10.10', portFrom: 0, portTo: 0 },
        { addressFrom: '10.10.10.20', addressTo: '10.10.10.20', portFrom: 0, portTo: 0 },
      ]),
      { ...dnat([{ addressFrom: '10.10.10.10', addressTo: '10.10.10.11', portFrom: 0, portTo: 0 }]), type: 'snat' },
    ];
    for (const body of variants) {
      assert.equal(await fp(body), 'unfragmented', JSON.stringify(body));
      for (const policy of ['any', 'header', 'nonheader']) await rejected({ ...body, fragmentPolicy: policy }, 'FragPolicyInvalidForNatRule');
      assert.equal(await fp({ ...body, fragmentPolicy: 'unfragmented' }), 'unfragmented');
    }
  });

  it('reverse NAT rules follow the non-NAT rules', async () => {
    assert.equal(await fp({ type: 'rev_dnat', flowAction: 'accept' }), 'any');
    assert.equal(await fp({ type: 'rev_snat', flowAction: 'accept', tpSrc: { start: 1024, end: 3000 } }), 'header');
    await rejected({ type: 'rev_snat', flowAction: 'accept', tpSrc: { start: 1024, end: 3000 }, fragmentPolicy: 'any' }, 'FragPolicyInvalidForL4Rule');
  });

  it('the policy is stored in the condition', async () => {
    const id = await rule(c, { type: 'accept', tpDst: { start: 22, end: 22 } });
    assert.ok((await modelText(t, 'Rule', id)).includes('fragment_policy: HEADER'));
  });
});

// ---- rules: every type ---------------------------------------------------------------------

describe('rule types (§6.7): create, get, list, delete', () => {
  let c: string;
  before(async () => {
    c = await chain({ name: 'types' });
  });

  /** Creates at position 1, checks the full JSON and the stored type/action, deletes. */
  async function roundTrip(body: Record<string, unknown>, extra: Record<string, unknown>, stored: string[]): Promise<void> {
    const id = await rule(c, body);
    const got = await getRule(id);
    assertExactly(got, { ...ruleBase(id, c, String(body['type']), 1), ...CONDITION_DEFAULTS, ...extra });
    const listed = (await rulesOf(c)).find((x) => x.id === id);
    assert.deepEqual(listed, got, 'the list shows the same JSON');
    const text = await modelText(t, 'Rule', id);
    assert.ok(text.includes(uuidText('chain_id', c)), text);
    for (const line of stored) assert.ok(text.includes(line), `${line} in\n${text}`);
    assertEmpty(await del(`${api}/rules/${id}`), 204);
    assertError(await get(`${api}/rules/${id}`, RULE), 404);
    assert.ok(await modelGone('Rule', id));
    assert.ok(!(await modelText(t, 'Chain', c)).includes(uuidText('rule_ids', id)), 'gone from the chain');
  }

  it('accept, drop, reject, return: literal rules with their action, no extra fields', async () => {
    for (const [type, action] of [
      ['accept', 'ACCEPT'],
      ['drop', 'DROP'],
      ['reject', 'REJECT'],
      ['return', 'RETURN'],
    ] as const) {
      await roundTrip({ type }, {}, ['type: LITERAL_RULE', `action: ${action}`]);
    }
  });

  it('dnat and snat: flowAction and natTargets', async () => {
    const natTargets = [
      { addressFrom: '192.168.100.1', addressTo: '192.168.100.6', portFrom: 80, portTo: 8080 },
      { addressFrom: '192.168.100.7', addressTo: '192.168.100.10', portFrom: 8081, portTo: 8089 },
    ];
    for (const [type, dnatFlag] of [
      ['dnat', true],
      ['snat', false],
    ] as const) {
      for (const [flowAction, action] of [
        ['accept', 'ACCEPT'],
        ['continue', 'CONTINUE'],
        ['return', 'RETURN'],
      ] as const) {
        await roundTrip({ type, flowAction, natTargets }, { flowAction, natTargets, fragmentPolicy: 'unfragmented' }, [
          'type: NAT_RULE',
          `action: ${action}`,
          `dnat: ${dnatFlag}`,
          'reverse: false',
          'address: "192.168.100.6"',
          'tp_end: 8089',
        ]);
      }
    }
    // ports default to 0
    const id = await rule(c, { type: 'snat', flowAction: 'accept', natTargets: [{ addressFrom: '1.1.1.1', addressTo: '1.1.1.1' }] });
    assert.deepEqual((await getRule(id)).natTargets, [{ addressFrom: '1.1.1.1', addressTo: '1.1.1.1', portFrom: 0, portTo: 0 }]);
  });

  it('dnat/snat validation: flowAction, natTargets required and non-empty, target addresses and ports', async () => {
    const target = { addressFrom: '1.1.1.1', addressTo: '1.1.1.2', portFrom: 0, portTo: 0 };
    for (const type of ['dnat', 'snat']) {
      assertViolations(await postRule(c, { type, natTargets: [target] }), ['flowAction']);
      const v = assertViolations(await postRule(c, { type, flowAction: 'drop', natTargets: [target] }), ['flowAction']);
      assert.equal(v[0].message, 'must match "accept|continue|return"');
      assertViolations(await postRule(c, { type, flowAction: 'accept' }), ['natTargets']);
      assertViolations(await postRule(c, { type, flowAction: 'accept', natTargets: [] }), ['natTargets']);
      for (const bad of [
        { ...target, addressFrom: null },
        { ...target, addressTo: '1.1.1' },
        { ...target, portFrom: 70000 },
        { ...target, portFrom: 90, portTo: 80 },
      ]) {
        assertViolations(await postRule(c, { type, flowAction: 'accept', natTargets: [bad] }), ['natTargets']);
      }
      assertError(await postRule(c, { type, flowAction: 'accept', natTargets: 'x' }), 400);
      assertError(await postRule(c, { type, flowAction: 'accept', natTargets: [target], fragmentPolicy: 'header' }), 400);
    }
  });

  it('rev_dnat and rev_snat: flowAction only (natTargets ignored)', async () => {
    for (const [type, dnatFlag] of [
      ['rev_dnat', true],
      ['rev_snat', false],
    ] as const) {
      await roundTrip({ type, flowAction: 'continue', natTargets: [{ addressFrom: '1.1.1.1', addressTo: '1.1.1.1' }] }, { flowAction: 'continue' }, [
        'type: NAT_RULE',
        'action: CONTINUE',
        `dnat: ${dnatFlag}`,
        'reverse: true',
      ]);
      assertViolations(await postRule(c, { type }), ['flowAction']);
      assertViolations(await postRule(c, { type, flowAction: 'redirect' }), ['flowAction']);
    }
  });

  it('jump: jumpChainId and jumpChainName, the target records the rule in jump_rule_ids', async () => {
    const target = await chain({ name: 'jump-target' });
    const id = await rule(c, { type: 'jump', jumpChainId: target, jumpChainName: 'whatever name' });
    assertExactly(await getRule(id), {
      ...ruleBase(id, c, 'jump', 1),
      ...CONDITION_DEFAULTS,
      jumpChainId: target,
      jumpChainName: 'whatever name',
    });
    const text = await modelText(t, 'Rule', id);
    assert.ok(text.includes('type: JUMP_RULE') && text.includes('action: JUMP'), text);
    assert.ok(text.includes(uuidText('jump_chain_id', target, '  ')), text);
    assert.ok(text.includes('jump_chain_name: "whatever name"'), text);
    assert.ok((await modelText(t, 'Chain', target)).includes(uuidText('jump_rule_ids', id)), 'jump_rule_ids on the target');
    // deleting the jump rule removes the back-reference; the target then deletes cleanly
    assertEmpty(await del(`${api}/rules/${id}`), 204);
    assert.ok(!(await modelText(t, 'Chain', target)).includes('jump_rule_ids'), 'jump_rule_ids cleared');
    assertEmpty(await del(`${api}/chains/${target}`), 204);
  });

  it('jump validation: jumpChainId required, must be a UUID, the target must exist (404); name defaults to null', async () => {
    const v = assertViolations(await postRule(c, { type: 'jump', jumpChainName: 'x' }), ['jumpChainId']);
    assert.equal(v[0].message, message('NonNull'));
    assertError(await postRule(c, { type: 'jump', jumpChainId: 'chain2' }), 400);
    const missing = randomUUID();
    const id = randomUUID();
    assertError(await postRule(c, { type: 'jump', jumpChainId: missing, id }), 404, `There is no Chain with ID ${missing}.`);
    assert.ok(await modelGone('Rule', id), 'nothing stored');
    const target = await chain({ name: 'unnamed-jump' });
    const ok = await rule(c, { type: 'jump', jumpChainId: target });
    assertFields(await getRule(ok), { jumpChainId: target, jumpChainName: null });
  });

  it('trace: requestId required; requestId and limit are not persisted', async () => {
    await roundTrip({ type: 'trace', requestId: randomUUID(), limit: 10 }, { requestId: null, limit: 0 }, ['type: TRACE_RULE', 'action: CONTINUE']);
    assertViolations(await postRule(c, { type: 'trace' }), ['requestId']);
    assertError(await postRule(c, { type: 'trace', requestId: 'abc' }), 400);
  });

  it('l2_transform: every field round-trips; accept and redirect set the stored action', async () => {
    for (const [flowAction, action] of [
      ['accept', 'ACCEPT'],
      ['redirect', 'REDIRECT'],
    ] as const) {
      const targetPortId = randomUUID(); // opaque: not checked
      const fields = { flowAction, popVlan: true, pushVlan: 0x7000, targetPortId, ingress: true, failOpen: true };
      await roundTrip({ type: 'l2_transform', ...fields }, fields, [
        'type: L2TRANSFORM_RULE',
        `action: ${action}`,
        'pop_vlan: true',
        `push_vlan: ${0x7000}`,
        'ingress: true',
        'fail_open: true',
        uuidText('target_port_id', targetPortId, '  '),
      ]);
    }
    const defaults = await rule(c, { type: 'l2_transform', flowAction: 'accept' });
    assertFields(await getRule(defaults), { popVlan: false, pushVlan: 0, targetPortId: null, ingress: false, failOpen: false });
  });

  it('GET or DELETE a missing rule → 404; malformed ids → 404', async () => {
    assertError(await get(`${api}/rules/${randomUUID()}`, RULE), 404, /^There is no Rule with ID /);
    assertError(await del(`${api}/rules/${randomUUID()}`), 404, /^There is no Rule with ID /);
    assertError(await get(`${api}/rules/xyz`, RULE), 404);
    assertError(await del(`${api}/rules/xyz`), 404);
  });

  it('a duplicate rule id → 409 and the chain keeps one entry for it', async () => {
    const id = randomUUID();
    await rule(c, { type: 'accept', id });
    assertError(await postRule(c, { type: 'drop', id }), 409);
    assert.equal((await rulesOf(c)).filter((x) => x.id === id).length, 1);
    assert.equal((await getRule(id)).type, 'accept');
  });

  it('chainId comes from the path, whatever the body says', async () => {
    const other = await chain({ name: 'not-this-one' });
    const id = await rule(c, { type: 'accept', chainId: other });
    assert.equal((await getRule(id)).chainId, c);
    assert.deepEqual(await rulesOf(other), []);
  });
});

describe('rule conditions (§6.7): every field', () => {
  it('every condition field, inversions included, is stored and read back', async () => {
    const c = await chain({ name: 'conditions' });
    const [p1, p2, p3, pg, pgIn, pgOut, ipSrc, ipDst, dev] = Array.from({ length: 9 }, () => randomUUID());
    const condition = {
      condInvert: true,
      matchForwardFlow: true,
      matchReturnFlow: true,
      inPorts: [p1, p2],
      invInPorts: true,
      outPorts: [p3],
      invOutPorts: true,
      portGroup: pg,
      invPortGroup: true,
      inPortGroup: pgIn,
      invInPortGroup: true,
      outPortGroup: pgOut,
      invOutPortGroup: true,
      ipAddrGroupSrc: ipSrc,
      invIpAddrGroupSrc: true,
      ipAddrGroupDst: ipDst,
      invIpAddrGroupDst: true,
      traversedDevice: dev,
      invTraversedDevice: true,
      noVlan: true,
      vlan: 100,
      dlType: 0x0800,
      invDlType: true,
      dlSrc: 'aa:bb:cc:dd:ee:ff',
      dlSrcMask: 'ffff.ffff.ff00',
      invDlSrc: true,
      dlDst: '11:22:33:44:55:66',
      dlDstMask: 'ffff.0000.0000',
      invDlDst: true,
      nwTos: 20,
      invNwTos: true,
      nwProto: 6,
      invNwProto: true,
      nwSrcAddress: '10.0.0.2',
      nwSrcLength: 24,
      invNwSrc: true,
      nwDstAddress: '192.168.100.10',
      nwDstLength: 32,
      invNwDst: true,
      matchNwDstRewritten: true,
      tpSrc: { start: 1024, end: 3000 },
      invTpSrc: true,
      tpDst: { start: 80, end: 80 },
      invTpDst: true,
      icmpDataSrcIpAddress: '172.16.0.0',
      icmpDataSrcIpLength: 12,
      invIcmpDataSrcIp: true,
      icmpDataDstIpAddress: '172.17.0.1',
      icmpDataDstIpLength: 32,
      invIcmpDataDstIp: true,
      fragmentPolicy: 'unfragmented',
    };
    assert.deepEqual(sorted(Object.keys(condition)), sorted(Object.keys(CONDITION_DEFAULTS)), 'the test covers every condition field');
    const id = await rule(c, { type: 'drop', ...condition });
    assertExactly(await getRule(id), { ...ruleBase(id, c, 'drop', 1), ...condition });

    const text = await modelText(t, 'Rule', id);
    for (const line of [
      'conjunction_inv: true',
      'match_forward_flow: true',
      'match_return_flow: true',
      'in_port_inv: true',
      'out_port_inv: true',
      'inv_port_group: true',
      'inv_in_port_group: true',
      'inv_out_port_group: true',
      'inv_ip_addr_group_id_src: true',
      'inv_ip_addr_group_id_dst: true',
      'traversed_device_inv: true',
      'no_vlan: true',
      'vlan: 100',
      'dl_type: 2048',
      'inv_dl_type: true',
      'dl_src: "aa:bb:cc:dd:ee:ff"',
      `dl_src_mask: ${0xffffffffff00}`,
      'inv_dl_src: true',
      'dl_dst: "11:22:33:44:55:66"',
      `dl_dst_mask: ${0xffff00000000}`,
      'inv_dl_dst: true',
      'nw_tos: 20',
      'nw_tos_inv: true',
      'nw_proto: 6',
      'nw_proto_inv: true',
      'address: "10.0.0.2"',
      'prefix_length: 24',
      'nw_src_inv: true',
      'nw_dst_inv: true',
      'match_nw_dst_rewritten: true',
      'start: 1024',
      'end: 3000',
      'tp_src_inv: true',
      'tp_dst_inv: true',
      'address: "172.16.0.0"',
      'icmp_data_src_ip_inv: true',
      'icmp_data_dst_ip_inv: true',
      'fragment_policy: UNFRAGMENTED',
    ]) {
      assert.ok(text.includes(`  ${line}\n`), `${line} in\n${text}`);
    }
    for (const [field, value] of [
      ['in_port_ids', p1],
      ['in_port_ids', p2],
      ['out_port_ids', p3],
      ['port_group_id', pg],
      ['in_port_group_id', pgIn],
      ['out_port_group_id', pgOut],
      ['ip_addr_group_id_src', ipSrc],
      ['ip_addr_group_id_dst', ipDst],
      ['traversed_device', dev],
    ] as const) {
      assert.ok(text.includes(uuidText(field, value, '  ')), `${field} in\n${text}`);
    }
  });

  it("the python client's nulls for unset fields mean defaults", async () => {
    const c = await chain({ name: 'py-nulls' });
    const nulls = Object.fromEntries(Object.keys(CONDITION_DEFAULTS).map((k) => [k, null]));
    const id = await rule(c, { ...nulls, type: 'accept', position: null, id: null, chainId: null, meterName: null, properties: null });
    assertExactly(await getRule(id), { ...ruleBase(id, c, 'accept', 1), ...CONDITION_DEFAULTS });
  });

  it('an ethertype stored as a signed 16-bit value is shown unsigned', async () => {
    const c = await chain({ name: 'ethertype' });
    const id = randomUUID();
    await t.node.storage.tryTransaction(0, async (tx) => {
      // the binding Rule.chain_id ↔ Chain.rule_ids puts it in the chain
      await tx.create('Rule', { id, chain_id: c, type: 'LITERAL_RULE', action: 'ACCEPT', condition: { dl_type: -31011 } });
    });
    assertFields(await getRule(id), { dlType: 0x86dd, position: 1 });
  });

  it('condition ids are opaque: a rule keeps port-group and IP-group ids after those groups are deleted', async () => {
    const c = await chain({ name: 'dangling' });
    const pg = assertCreated(await post(`${api}/port_groups`, MT2.portGroup, { name: 'pg' }), `${api}/port_groups`);
    const ipg = assertCreated(await post(`${api}/ip_addr_groups`, 'application/vnd.org.midonet.IpAddrGroup-v1+json', { name: 'ipg' }), `${api}/ip_addr_groups`);
    const id = await rule(c, { type: 'accept', portGroup: pg, inPortGroup: pg, ipAddrGroupSrc: ipg, ipAddrGroupDst: ipg });
    assertEmpty(await del(`${api}/port_groups/${pg}`), 204);
    assertEmpty(await del(`${api}/ip_addr_groups/${ipg}`), 204);
    assertFields(await getRule(id), { portGroup: pg, inPortGroup: pg, ipAddrGroupSrc: ipg, ipAddrGroupDst: ipg });
  });
});

// ---- chains ↔ devices, and delete effects -------------------------------------------------

describe('chain delete cleanup (scenario 14)', () => {
  it('deleting IN deletes the jump rule to it and clears inbound filters; deleting OUT clears both', async () => {
    const IN = await chain({ name: 'INBOUND', tenantId: 'tenant1' });
    const OUT = await chain({ name: 'OUTBOUND', tenantId: 'tenant1' });
    const r = assertCreated(
      await post(`${api}/routers`, MT.router, { name: 'R', tenantId: 'tenant1', inboundFilterId: IN, outboundFilterId: OUT }),
      `${api}/routers`,
    );
    const b = assertCreated(
      await post(`${api}/bridges`, MT.bridge, { name: 'B', tenantId: 'tenant1', inboundFilterId: IN, outboundFilterId: OUT }),
      `${api}/bridges`,
    );
    const p = assertCreated(
      await post(`${api}/routers/${r}/ports`, MT.port, {
        type: 'Router',
        networkAddress: '10.0.0.0',
        networkLength: 24,
        portAddress: '10.0.0.2',
        inboundFilterId: IN,
        outboundFilterId: OUT,
      }),
      `${api}/ports`,
    );
    // the Java client's stock jump rule carries a flowAction, which a jump rule ignores
    const jump = await rule(OUT, { type: 'jump', jumpChainId: IN, jumpChainName: 'INBOUND', flowAction: 'jump' });
    const devices: [string, string, string][] = [
      [`${api}/routers/${r}`, MT.router, 'Router'],
      [`${api}/bridges/${b}`, MT.bridge, 'Network'],
      [`${api}/ports/${p}`, MT.port, 'Port'],
    ];
    for (const [url, type] of devices) {
      assertFields(await getJson(url, type), {
        inboundFilterId: IN,
        outboundFilterId: OUT,
        inboundFilter: `${api}/chains/${IN}`,
        outboundFilter: `${api}/chains/${OUT}`,
      });
    }
    const inText = await modelText(t, 'Chain', IN);
    for (const [field, id] of [
      ['router_inbound_ids', r],
      ['network_inbound_ids', b],
      ['port_inbound_ids', p],
      ['jump_rule_ids', jump],
    ] as const) {
      assert.ok(inText.includes(uuidText(field, id)), `${field} on IN:\n${inText}`);
    }

    assertEmpty(await del(`${api}/chains/${IN}`), 204);
    assert.deepEqual(await rulesOf(OUT), []);
    assertError(await get(`${api}/rules/${jump}`, RULE), 404);
    assert.ok(await modelGone('Rule', jump), 'jump rule gone from ZooKeeper');
    assert.ok(!(await modelText(t, 'Chain', OUT)).includes('rule_ids'), 'OUT has no rule_ids left');
    for (const [url, type, clazz] of devices) {
      assertFields(await getJson(url, type), { inboundFilterId: null, inboundFilter: null, outboundFilterId: OUT, outboundFilter: `${api}/chains/${OUT}` });
      const text = await modelText(t, clazz, url.split('/').pop()!);
      assert.ok(!text.includes('inbound_filter_id'), `${clazz}:\n${text}`);
      assert.ok(text.includes(uuidText('outbound_filter_id', OUT)), `${clazz}:\n${text}`);
    }

    // inbound = outbound = OUT everywhere, then delete OUT: all four filter ids null
    for (const [url, type] of devices) {
      const cur = await getJson(url, type);
      assertEmpty(await put(url, type, { ...cur, inboundFilterId: OUT, outboundFilterId: OUT }), 204);
      assertFields(await getJson(url, type), { inboundFilterId: OUT, outboundFilterId: OUT });
    }
    assertEmpty(await del(`${api}/chains/${OUT}`), 204);
    for (const [url, type, clazz] of devices) {
      assertFields(await getJson(url, type), { inboundFilterId: null, outboundFilterId: null, inboundFilter: null, outboundFilter: null });
      const text = await modelText(t, clazz, url.split('/').pop()!);
      assert.ok(!text.includes('_filter_id'), `${clazz}:\n${text}`);
    }
    assert.ok((await modelGone('Chain', IN)) && (await modelGone('Chain', OUT)));
    // the devices themselves are untouched otherwise
    assertFields(await getJson(`${api}/routers/${r}`, MT.router), { name: 'R', tenantId: 'tenant1' });
    assertFields(await getJson(`${api}/ports/${p}`, MT.port), { portAddress: '10.0.0.2', deviceId: r });
  });
});

describe('chain delete effects (§5)', () => {
  it("the chain's own rules go with it (cascade)", async () => {
    const c = await chain({ name: 'with-rules' });
    const rs = [
      await rule(c, { type: 'accept' }),
      await rule(c, { type: 'drop' }),
      await rule(c, { type: 'snat', flowAction: 'accept', natTargets: [{ addressFrom: '1.1.1.1', addressTo: '1.1.1.1' }] }),
    ];
    assertEmpty(await del(`${api}/chains/${c}`), 204);
    for (const id of rs) {
      assertError(await get(`${api}/rules/${id}`, RULE), 404);
      assert.ok(await modelGone('Rule', id), `rule ${id} gone`);
    }
    assertError(await get(`${api}/chains/${c}/rules`, RULES), 404);
  });

  it('its jump rules into other chains stop being recorded there', async () => {
    const target = await chain({ name: 'target' });
    const c = await chain({ name: 'jumper' });
    const jump = await rule(c, { type: 'jump', jumpChainId: target });
    assert.ok((await modelText(t, 'Chain', target)).includes(uuidText('jump_rule_ids', jump)));
    assertEmpty(await del(`${api}/chains/${c}`), 204);
    assert.ok(!(await modelText(t, 'Chain', target)).includes('jump_rule_ids'), await modelText(t, 'Chain', target));
    assertEmpty(await del(`${api}/chains/${target}`), 204);
  });

  it('jump rules from several chains to the deleted chain all go, and only those', async () => {
    const target = await chain({ name: 'popular' });
    const a = await chain({ name: 'a' });
    const b = await chain({ name: 'b' });
    const a1 = await rule(a, { type: 'accept' });
    const aj = await rule(a, { type: 'jump', jumpChainId: target, position: 2 });
    const a3 = await rule(a, { type: 'drop', position: 3 });
    const bj1 = await rule(b, { type: 'jump', jumpChainId: target });
    const bj2 = await rule(b, { type: 'jump', jumpChainId: target });
    assertEmpty(await del(`${api}/chains/${target}`), 204);
    for (const id of [aj, bj1, bj2]) assertError(await get(`${api}/rules/${id}`, RULE), 404);
    assert.deepEqual(
      (await rulesOf(a)).map((x) => [x.id, x.position]),
      [
        [a1, 1],
        [a3, 2],
      ],
    );
    assert.deepEqual(await rulesOf(b), []);
  });

  it('a chain that jumps to itself deletes cleanly', async () => {
    const c = await chain({ name: 'loop' });
    const jump = await rule(c, { type: 'jump', jumpChainId: c });
    const text = await modelText(t, 'Chain', c);
    assert.ok(text.includes(uuidText('rule_ids', jump)) && text.includes(uuidText('jump_rule_ids', jump)), text);
    assertEmpty(await del(`${api}/chains/${c}`), 204);
    assert.ok((await modelGone('Rule', jump)) && (await modelGone('Chain', c)));
  });

  it("a router's localRedirectChainId is cleared, its forwardChainId (not bound) is kept", async () => {
    const redirect = await chain({ name: 'redirect' });
    const forward = await chain({ name: 'forward' });
    const r = assertCreated(await post(`${api}/routers`, MT.router, { name: 'lr', localRedirectChainId: redirect, forwardChainId: forward }), `${api}/routers`);
    assertFields(await getJson(`${api}/routers/${r}`, MT.router), { localRedirectChainId: redirect, localRedirectChain: `${api}/chains/${redirect}` });
    assert.ok((await modelText(t, 'Chain', redirect)).includes(uuidText('router_redirect_ids', r)));
    assertEmpty(await del(`${api}/chains/${redirect}`), 204);
    assertEmpty(await del(`${api}/chains/${forward}`), 204);
    assertFields(await getJson(`${api}/routers/${r}`, MT.router), {
      localRedirectChainId: null,
      localRedirectChain: null,
      forwardChainId: forward,
      forwardChain: `${api}/chains/${forward}`,
    });
  });

  it('deleting a rule of a chain that is in use as a filter changes nothing on the devices', async () => {
    const c = await chain({ name: 'in-use' });
    const b = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'uses', inboundFilterId: c }), `${api}/bridges`);
    const id = await rule(c, { type: 'drop' });
    assertEmpty(await del(`${api}/rules/${id}`), 204);
    assertFields(await getJson(`${api}/bridges/${b}`, MT.bridge), { inboundFilterId: c });
  });
});

describe('device filter references (§5 rule 1)', () => {
  it('a filter id naming no chain → 404 on bridges, routers and ports, create and update', async () => {
    const missing = randomUUID();
    assertError(await post(`${api}/bridges`, MT.bridge, { name: 'x', inboundFilterId: missing }), 404, `There is no Chain with ID ${missing}.`);
    assertError(await post(`${api}/routers`, MT.router, { name: 'x', outboundFilterId: missing }), 404);
    assertError(await post(`${api}/routers`, MT.router, { name: 'x', localRedirectChainId: missing }), 404);
    const r = assertCreated(await post(`${api}/routers`, MT.router, { name: 'filters', forwardChainId: missing }), `${api}/routers`);
    assertError(await post(`${api}/routers/${r}/ports`, MT.port, { type: 'Router', inboundFilterId: missing }), 404);
    const b = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'filters' }), `${api}/bridges`);
    assertError(await put(`${api}/bridges/${b}`, MT.bridge, { name: 'filters', outboundFilterId: missing }), 404);
    const p = assertCreated(await post(`${api}/bridges/${b}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
    assertError(await put(`${api}/ports/${p}`, MT.port, { type: 'Bridge', inboundFilterId: missing }), 404);
    assertFields(await getJson(`${api}/ports/${p}`, MT.port), { inboundFilterId: null });
  });

  it('back-references follow device updates and deletes', async () => {
    const c1 = await chain({ name: 'c1' });
    const c2 = await chain({ name: 'c2' });
    const b = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'moving', inboundFilterId: c1 }), `${api}/bridges`);
    assert.ok((await modelText(t, 'Chain', c1)).includes(uuidText('network_inbound_ids', b)));
    const cur = await getJson(`${api}/bridges/${b}`, MT.bridge);
    assertEmpty(await put(`${api}/bridges/${b}`, MT.bridge, { ...cur, inboundFilterId: c2 }), 204);
    assert.ok(!(await modelText(t, 'Chain', c1)).includes('network_inbound_ids'));
    assert.ok((await modelText(t, 'Chain', c2)).includes(uuidText('network_inbound_ids', b)));
    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    assert.ok(!(await modelText(t, 'Chain', c2)).includes('network_inbound_ids'));
    assertEmpty(await del(`${api}/chains/${c2}`), 204);
  });

  it('nothing refuses a chain delete: a chain in use by a device and by jump rules is deleted (no restrict relation)', async () => {
    const c = await chain({ name: 'busy' });
    const other = await chain({ name: 'busy-caller' });
    const p = await createStored(t, 'Port', { inbound_filter_id: c });
    await rule(other, { type: 'jump', jumpChainId: c });
    assertEmpty(await del(`${api}/chains/${c}`), 204);
    assert.ok(!(await modelText(t, 'Port', p)).includes('inbound_filter_id'));
    assert.deepEqual(await rulesOf(other), []);
  });
});
