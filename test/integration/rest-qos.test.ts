/**
 * QoS policies and their bandwidth-limit and DSCP rules over REST against a real node and
 * ZooKeeper (rest-api-extras.md §5.3 and its scenarios from the original's TestQosPolicies),
 * with the requests python-midonetclient sends (`QOSPolicy`, `QOSRuleBWLimit`, `QOSRuleDSCP`:
 * camelCase rule fields, numbers as strings from midonet-cli) and the policy dict Neutron's QoS
 * driver (networking-midonet) posts and puts, `rules` always present.
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
  del,
  get,
  modelText,
  MT,
  post,
  put,
  uuidText,
  zkChildren,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const POLICY = V('QOSPolicy-v1');
const POLICIES = C('QOSPolicy-v1');
const BW = V('QOSRuleBWLimit-v1');
const BWS = C('QOSRuleBWLimit-v1');
const DSCP = V('QOSRuleDSCP-v1');
const DSCPS = C('QOSRuleDSCP-v1');

let t: TestNode;
let api: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

async function policy(body: Record<string, unknown>): Promise<string> {
  return assertCreated(await post(`${api}/qos_policies`, POLICY, body), `${api}/qos_policies`);
}

async function getJson(url: string, type: string): Promise<Json> {
  const res = await get(url, type);
  assertStatus(res, 200);
  assertMediaType(res, type);
  return res.json;
}

async function bwRules(p: string): Promise<Json[]> {
  return ((await getJson(`${api}/qos_policies/${p}/qos_bw_limit_rules`, BWS)) as Json[]).sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function dscpRules(p: string): Promise<Json[]> {
  return ((await getJson(`${api}/qos_policies/${p}/qos_dscp_rules`, DSCPS)) as Json[]).sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function count(clazz: string): Promise<number> {
  return (await zkChildren(t, `${zoom(t)}/models/${clazz}`)).length;
}

/** Neutron's QosPolicy.to_dict() as networking-midonet hands it to the client. */
function neutronPolicy(id: string, rules: Record<string, unknown>[]): Record<string, unknown> {
  return {
    id,
    project_id: 'proj-1',
    tenant_id: 'proj-1',
    name: 'gold',
    description: 'neutron policy',
    shared: false,
    is_default: false,
    tags: [],
    revision_number: 1,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2020-01-01T00:00:00Z',
    rules,
  };
}

describe('QoS policies', () => {
  it('scenario 1: POST {id, name, description, shared} → 201; GET; PUT name → 204; DELETE → 204, GET 404', async () => {
    const id = randomUUID();
    assert.equal(await policy({ id, name: 'test-qos', description: 'test-description', shared: true }), id);
    const got = await getJson(`${api}/qos_policies/${id}`, POLICY);
    assert.deepEqual(got, {
      id,
      name: 'test-qos',
      description: 'test-description',
      shared: true,
      tenant_id: null,
      rules: null,
      uri: `${api}/qos_policies/${id}`,
      bwLimitRules: `${api}/qos_policies/${id}/qos_bw_limit_rules`,
      dscpRules: `${api}/qos_policies/${id}/qos_dscp_rules`,
    });
    assertStatus(await put(`${api}/qos_policies/${id}`, POLICY, { ...got, name: 'foobar' }), 204);
    assert.equal((await getJson(`${api}/qos_policies/${id}`, POLICY)).name, 'foobar');
    const text = await modelText(t, 'QosPolicy', id);
    assertParsesWithSchema('QosPolicy', text);
    assert.equal(text, `${uuidText('id', id)}name: "foobar"\ndescription: "test-description"\nshared: true\n`);
    assertEmpty(await del(`${api}/qos_policies/${id}`), 204);
    assertError(await get(`${api}/qos_policies/${id}`, POLICY), 404, `There is no QosPolicy with ID ${id}.`);
    assertEmpty(await del(`${api}/qos_policies/${id}`), 204);
  });

  it('scenarios 2 and 3: rules given with the policy become rule objects; PUT without rules keeps them, with rules replaces the set', async () => {
    const r1 = randomUUID();
    const r2 = randomUUID();
    const id = await policy({
      name: 'test-qos',
      description: 'd',
      shared: true,
      rules: [
        { type: 'bandwidth_limit', max_kbps: 100, max_burst_kbps: 1000, id: r1 },
        { type: 'dscp_marking', dscp_mark: 11, id: r2 },
      ],
    });
    const got = await getJson(`${api}/qos_policies/${id}`, POLICY);
    assert.equal(got.rules, null, 'rules are never shown');
    assert.deepEqual(await bwRules(id), [{ id: r1, maxKbps: 100, maxBurstKb: 1000, policyId: id, uri: `${api}/qos_bw_limit_rules/${r1}` }]);
    assert.deepEqual(await dscpRules(id), [{ id: r2, dscpMark: 11, policyId: id, uri: `${api}/qos_dscp_rules/${r2}` }]);
    assertParsesWithSchema('QosRuleBandwidthLimit', await modelText(t, 'QosRuleBandwidthLimit', r1));
    assertParsesWithSchema('QosRuleDscp', await modelText(t, 'QosRuleDscp', r2));
    assert.equal(await modelText(t, 'QosRuleDscp', r2), `${uuidText('id', r2)}dscp_mark: 11\n${uuidText('policy_id', id)}`);

    assertStatus(await put(`${api}/qos_policies/${id}`, POLICY, { ...got, name: 'renamed' }), 204);
    assert.equal((await bwRules(id)).length, 1);
    assert.equal((await dscpRules(id)).length, 1);

    const r3 = randomUUID();
    const r4 = randomUUID();
    assertStatus(
      await put(`${api}/qos_policies/${id}`, POLICY, {
        ...got,
        rules: [
          { type: 'dscp_marking', dscp_mark: 33, id: r2 },
          { type: 'dscp_marking', dscp_mark: 22, id: r3 },
          { type: 'bandwidth_limit', max_kbps: 50, max_burst_kbps: 500, id: r4 },
        ],
      }),
      204,
    );
    assertError(await get(`${api}/qos_bw_limit_rules/${r1}`, BW), 404);
    assert.deepEqual(
      (await bwRules(id)).map((r) => [r.id, r.maxKbps, r.maxBurstKb]),
      [[r4, 50, 500]],
    );
    assert.deepEqual(
      (await dscpRules(id)).map((r) => [r.id, r.dscpMark]),
      [
        [r2, 33],
        [r3, 22],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    );
    assertStatus(await put(`${api}/qos_policies/${id}`, POLICY, { ...got, rules: [] }), 204);
    assert.deepEqual(await bwRules(id), []);
    assert.deepEqual(await dscpRules(id), []);
  });

  it("Neutron's policy dict: POST, PUT with changed rules, DELETE (networking-midonet QoS driver)", async () => {
    const id = randomUUID();
    const bw = randomUUID();
    const mark = randomUUID();
    const rules = [
      { id: bw, qos_policy_id: id, type: 'bandwidth_limit', max_kbps: 1000, max_burst_kbps: 0, direction: 'egress' },
      { id: mark, qos_policy_id: id, type: 'dscp_marking', dscp_mark: 26 },
    ];
    assert.equal(await policy(neutronPolicy(id, rules)), id);
    const got = await getJson(`${api}/qos_policies/${id}`, POLICY);
    assert.equal(got.tenant_id, 'proj-1');
    assert.equal(got.shared, false);
    assert.deepEqual(
      (await bwRules(id)).map((r) => [r.maxKbps, r.maxBurstKb]),
      [[1000, 0]],
    );
    const changed = [{ ...rules[0], max_kbps: 2000 }];
    assertStatus(await put(`${api}/qos_policies/${id}`, POLICY, { ...neutronPolicy(id, changed), name: 'silver', revision_number: 2 }), 204);
    assert.equal((await getJson(`${api}/qos_policies/${id}`, POLICY)).name, 'silver');
    assert.deepEqual(
      (await bwRules(id)).map((r) => [r.id, r.maxKbps]),
      [[bw, 2000]],
    );
    assert.deepEqual(await dscpRules(id), []);
    assertEmpty(await del(`${api}/qos_policies/${id}`), 204);
    assertError(await get(`${api}/qos_bw_limit_rules/${bw}`, BW), 404);
  });

  it('scenario 4: rules are created below a policy only (top-level POST and list → 405)', async () => {
    assertEmpty(await post(`${api}/qos_bw_limit_rules`, BW, { maxKbps: 1 }), 405);
    assertEmpty(await post(`${api}/qos_dscp_rules`, DSCP, { dscpMark: 1 }), 405);
    assertEmpty(await get(`${api}/qos_bw_limit_rules`, BWS), 405);
    assertEmpty(await get(`${api}/qos_dscp_rules`, DSCPS), 405);
  });

  it("scenario 5: the Python client's BW rule {maxKbps} → maxBurstKb null; PUT maxKbps → shown in the policy's list; DELETE", async () => {
    const p = await policy({ name: 'bw' });
    const rule = assertCreated(await post(`${api}/qos_policies/${p}/qos_bw_limit_rules`, BW, { maxKbps: 1000 }), `${api}/qos_bw_limit_rules`);
    const got = await getJson(`${api}/qos_bw_limit_rules/${rule}`, BW);
    assert.deepEqual(got, { id: rule, maxKbps: 1000, maxBurstKb: null, policyId: p, uri: `${api}/qos_bw_limit_rules/${rule}` });
    // midonet-cli sends numbers as strings
    assertStatus(await put(`${api}/qos_bw_limit_rules/${rule}`, BW, { ...got, maxKbps: '200' }), 204);
    assert.equal((await getJson(`${api}/qos_bw_limit_rules/${rule}`, BW)).maxKbps, 200);
    assert.deepEqual(
      (await bwRules(p)).map((r) => r.maxKbps),
      [200],
    );
    assertEmpty(await del(`${api}/qos_bw_limit_rules/${rule}`), 204);
    assert.deepEqual(await bwRules(p), []);
    assertEmpty(await del(`${api}/qos_bw_limit_rules/${rule}`), 204);
  });

  it('scenario 6: two DSCP rules and one BW rule; DELETE one DSCP → 1 left; DELETE the policy → rules gone', async () => {
    const p = await policy({ name: 'many' });
    const d1 = assertCreated(await post(`${api}/qos_policies/${p}/qos_dscp_rules`, DSCP, { dscpMark: 10 }), `${api}/qos_dscp_rules`);
    const d2 = assertCreated(await post(`${api}/qos_policies/${p}/qos_dscp_rules`, DSCP, { dscpMark: '12' }), `${api}/qos_dscp_rules`);
    const b1 = assertCreated(await post(`${api}/qos_policies/${p}/qos_bw_limit_rules`, BW, { maxKbps: 5, maxBurstKb: 6 }), `${api}/qos_bw_limit_rules`);
    assertEmpty(await del(`${api}/qos_dscp_rules/${d1}`), 204);
    assert.deepEqual(
      (await dscpRules(p)).map((r) => r.id),
      [d2],
    );
    assertEmpty(await del(`${api}/qos_policies/${p}`), 204);
    assertError(await get(`${api}/qos_dscp_rules/${d2}`, DSCP), 404);
    assertError(await get(`${api}/qos_bw_limit_rules/${b1}`, BW), 404);
  });

  it("a rule PUT keeps its policy (the body's policyId is ignored) and may not change to another kind", async () => {
    const p1 = await policy({ name: 'p1' });
    const p2 = await policy({ name: 'p2' });
    const d = assertCreated(await post(`${api}/qos_policies/${p1}/qos_dscp_rules`, DSCP, { dscpMark: 4 }), `${api}/qos_dscp_rules`);
    assertStatus(await put(`${api}/qos_dscp_rules/${d}`, DSCP, { dscpMark: 8, policyId: p2 }), 204);
    const got = await getJson(`${api}/qos_dscp_rules/${d}`, DSCP);
    assert.deepEqual([got.dscpMark, got.policyId], [8, p1]);
    assertStatus(await put(`${api}/qos_dscp_rules/${d}`, DSCP, { dscpMark: 9 }), 204);
    assert.equal((await getJson(`${api}/qos_dscp_rules/${d}`, DSCP)).policyId, p1, 'omitting policyId does not detach the rule');
    // the same id as a bandwidth rule in the policy's rules → 400, nothing changed
    const pol = await getJson(`${api}/qos_policies/${p1}`, POLICY);
    assertError(
      await put(`${api}/qos_policies/${p1}`, POLICY, { ...pol, name: 'x', rules: [{ id: d, type: 'bandwidth_limit', max_kbps: 1 }] }),
      400,
      /cannot change/,
    );
    assert.equal((await getJson(`${api}/qos_policies/${p1}`, POLICY)).name, 'p1');
    // DELETE below the policy deletes the rule (the original never allow-lists DELETE), when it is that policy's
    assertError(await del(`${api}/qos_policies/${p2}/qos_dscp_rules/${d}`), 404, `There is no QosRuleDscp with ID ${d}.`);
    assertError(await del(`${api}/qos_policies/${randomUUID()}/qos_dscp_rules/${d}`), 404, /^There is no QosPolicy with ID /);
    assert.equal((await getJson(`${api}/qos_dscp_rules/${d}`, DSCP)).id, d);
    assertEmpty(await del(`${api}/qos_policies/${p1}/qos_dscp_rules/${d}`), 204);
    assertError(await get(`${api}/qos_dscp_rules/${d}`, DSCP), 404);
    assertEmpty(await get(`${api}/qos_policies/${p1}/qos_dscp_rules/${d}`, DSCP), 405);
  });

  it('bad input → 4xx and nothing written', async () => {
    const counts = async (): Promise<number[]> => [await count('QosPolicy'), await count('QosRuleBandwidthLimit'), await count('QosRuleDscp')];
    const start = await counts();
    const withRules = (rules: unknown): Record<string, unknown> => ({ name: 'bad', rules });
    assertError(await post(`${api}/qos_policies`, POLICY, withRules([{ id: randomUUID(), type: 'minimum_bandwidth', min_kbps: 1 }])), 400, /minimum_bandwidth/);
    assertError(await post(`${api}/qos_policies`, POLICY, withRules([{ type: 'dscp_marking', dscp_mark: 1 }])), 400, /id/);
    assertError(await post(`${api}/qos_policies`, POLICY, withRules([{ id: randomUUID(), type: 'dscp_marking' }])), 400, /dscp_mark/);
    assertError(await post(`${api}/qos_policies`, POLICY, withRules([{ id: randomUUID(), type: 'bandwidth_limit', max_kbps: 'fast' }])), 400);
    assertError(await post(`${api}/qos_policies`, POLICY, withRules({})), 400);
    assertError(await post(`${api}/qos_policies`, POLICY, { name: 'bad', shared: 'yes' }), 400);
    assertError(await post(`${api}/qos_policies`, POLICY, { id: 'nope' }), 400);
    // a rule id used twice, or one another policy's rule has: the whole policy is refused
    const dup = randomUUID();
    assertError(
      await post(
        `${api}/qos_policies`,
        POLICY,
        withRules([
          { id: dup, type: 'dscp_marking', dscp_mark: 1 },
          { id: dup, type: 'bandwidth_limit', max_kbps: 1 },
        ]),
      ),
      400,
      /appears twice/,
    );
    const other = await policy({ name: 'owner', rules: [{ id: dup, type: 'dscp_marking', dscp_mark: 1 }] });
    assertError(
      await post(`${api}/qos_policies`, POLICY, withRules([{ id: dup, type: 'dscp_marking', dscp_mark: 2 }])),
      409,
      `A(n) QosRuleDscp with ID ${dup} already exists.`,
    );
    assertEmpty(await del(`${api}/qos_policies/${other}`), 204);
    assertError(await post(`${api}/qos_policies/${randomUUID()}/qos_bw_limit_rules`, BW, { maxKbps: 1 }), 404, /^There is no QosPolicy with ID /);
    const p = await policy({ name: 'ok' });
    assertError(await post(`${api}/qos_policies/${p}/qos_bw_limit_rules`, BW, { maxKbps: 'lots' }), 400);
    assertError(await post(`${api}/qos_policies/${p}/qos_dscp_rules`, DSCP, { dscpMark: 1.5 }), 400);
    assertEmpty(await post(`${api}/qos_policies/${p}/qos_dscp_rules`, DSCP, { dscpMark: 1 }, { headers: { 'Content-Type': BW } }), 406);
    const end = await counts();
    assert.deepEqual(end, [start[0] + 1, start[1], start[2]]);
  });

  it('ports and bridges attach a policy; deleting the policy clears them; a missing policy → 404', async () => {
    const p = await policy({ name: 'attached' });
    const bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'qb', qosPolicyId: p }), `${api}/bridges`);
    const port = assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge', qosPolicyId: p }), `${api}/ports`);
    const b = await getJson(`${api}/bridges/${bridge}`, MT.bridge);
    assert.equal(b.qosPolicyId, p);
    assert.equal(b.qosPolicy, `${api}/qos_policies/${p}`);
    assert.equal((await getJson(`${api}/ports/${port}`, MT.port)).qosPolicyId, p);
    const text = await modelText(t, 'QosPolicy', p);
    assertParsesWithSchema('QosPolicy', text);
    assert.ok(text.includes(uuidText('port_ids', port)) && text.includes(uuidText('network_ids', bridge)), text);
    assertEmpty(await del(`${api}/qos_policies/${p}`), 204);
    assert.equal((await getJson(`${api}/bridges/${bridge}`, MT.bridge)).qosPolicyId, null);
    assert.equal((await getJson(`${api}/ports/${port}`, MT.port)).qosPolicyId, null);
    assertError(await post(`${api}/bridges`, MT.bridge, { name: 'qb2', qosPolicyId: randomUUID() }), 404, /^There is no QosPolicy with ID /);
  });

  it('the list and negotiation: collection type, application/json, wrong types → 406', async () => {
    const p = await policy({ name: 'listed' });
    const list = await get(`${api}/qos_policies`, POLICIES);
    assertStatus(list, 200);
    assertMediaType(list, POLICIES);
    assert.ok((list.json as Json[]).some((x) => x.id === p && x.rules === null));
    assertMediaType(await get(`${api}/qos_policies/${p}`, MT.json), MT.json);
    assertEmpty(await get(`${api}/qos_policies`, POLICY), 406);
    assertEmpty(await post(`${api}/qos_policies`, BW, { name: 'x' }), 406);
  });
});
