/**
 * L2 insertions over REST against a real node and ZooKeeper (rest-api-extras.md §5.6 and the
 * scenarios of the original's TestL2Insertion), with the body python-midonetclient's
 * `L2Insertion` sends, and the redirect chains and rules the translation writes on the ports,
 * read back from ZooKeeper (and parsed by protoc with the .proto schema).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Chain, Port, Rule } from '../../lib/models/generated.js';
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
  uuidText,
  zkChildren,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const L2 = 'application/vnd.org.midonet.L2Insertion-v1+json';
const L2S = 'application/vnd.org.midonet.collection.L2Insertion-v1+json';
const MAC = '02:00:00:00:ee:00';

let t: TestNode;
let api: string;
let bridge: string;
let p0: string;
let p1: string;
let s0: string;
let s1: string;

async function bridgePort(): Promise<string> {
  return assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
}

/** The Python client's body (TestL2Insertion's createInsertion). */
function body(portId: string, srvPortId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: randomUUID(), portId, srvPortId, vlan: 10, position: 1, failOpen: false, mac: MAC, ...extra };
}

async function insert(b: Record<string, unknown>): Promise<string> {
  return assertCreated(await post(`${api}/l2insertions`, L2, b), `${api}/l2insertions`);
}

const port = (id: string): Promise<Port> => t.node.storage.get('Port', id);
const chain = (id: string): Promise<Chain> => t.node.storage.get('Chain', id);

/** The rules of a chain, in order, all of one type. */
async function rulesOf(chainId: string | undefined, type: Rule['type'] = 'L2TRANSFORM_RULE'): Promise<Rule[]> {
  assert.ok(chainId, 'the port has the chain');
  const rules = await Promise.all(((await chain(chainId)).rule_ids ?? []).map((id) => t.node.storage.get('Rule', id)));
  for (const r of rules) assert.equal(r.type, type);
  return rules;
}

before(async () => {
  t = await startTestNode();
  api = t.api;
});

beforeEach(async () => {
  bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'BRIDGE0', tenantId: 'dummyTenant' }), `${api}/bridges`);
  [p0, p1, s0, s1] = [await bridgePort(), await bridgePort(), await bridgePort(), await bridgePort()];
});

after(async () => {
  await t?.stop();
});

describe('L2 insertions', () => {
  it('scenario 1-2: an insertion creates the redirect chains; a second one on the same port adds one rule to each', async () => {
    const id = await insert(body(p0, s0));
    const got = await get(`${api}/l2insertions/${id}`, L2);
    assertStatus(got, 200);
    assertMediaType(got, L2);
    assert.deepEqual(got.json, { id, portId: p0, srvPortId: s0, vlan: 10, position: 1, failOpen: false, mac: MAC, uri: `${api}/l2insertions/${id}` });
    let prot = await port(p0);
    assert.deepEqual(prot.insertion_ids, [id]);
    const inRules = await rulesOf(prot.l2insertion_infilter_id);
    const outRules = await rulesOf(prot.l2insertion_outfilter_id);
    assert.equal(inRules.length, 3);
    assert.equal(outRules.length, 2);
    assert.equal((await chain(String(prot.l2insertion_infilter_id))).name, `InboundRedirect${p0}`);
    assert.equal((await chain(String(prot.l2insertion_outfilter_id))).name, `OutboundRedirect${p0}`);
    // the inbound chain: accept of the final tag, return into the port, redirect to the service port
    const [accept, back, redirect] = inRules as [Rule, Rule, Rule];
    assert.equal(accept.action, 'ACCEPT');
    assert.deepEqual(accept.condition, { in_port_ids: [p0], dl_src: MAC, vlan: 0x8000 });
    assert.deepEqual(accept.transform_rule_data, { pop_vlan: true });
    assert.equal(back.action, 'REDIRECT');
    assert.deepEqual(back.condition, { in_port_ids: [s0], dl_src: MAC, vlan: 10 | 0x2000 });
    assert.deepEqual(back.transform_rule_data, { pop_vlan: true, push_vlan: 0x8000, target_port_id: p0, ingress: true, fail_open: false });
    assert.deepEqual(redirect.condition, { in_port_ids: [p0], dl_src: MAC });
    assert.deepEqual(redirect.transform_rule_data, { push_vlan: 10 | 0x2000, target_port_id: s0, ingress: false, fail_open: false });
    const [backOut, redirectOut] = outRules as [Rule, Rule];
    assert.deepEqual(backOut.condition, { in_port_ids: [s0], dl_dst: MAC, vlan: 10 | 0x4000 });
    assert.deepEqual(redirectOut.condition, { dl_dst: MAC });
    assert.deepEqual(redirectOut.transform_rule_data, { push_vlan: 10 | 0x4000, target_port_id: s0, ingress: false, fail_open: false });

    let srv = await port(s0);
    assert.deepEqual(srv.srv_insertion_ids, [id]);
    const jumps = await rulesOf(srv.l2insertion_infilter_id, 'JUMP_RULE');
    assert.equal(jumps.length, 2);
    assert.deepEqual(
      jumps.map((r) => r.jump_rule_data?.jump_chain_id),
      [prot.l2insertion_infilter_id, prot.l2insertion_outfilter_id],
    );
    assert.deepEqual(
      jumps.map((r) => r.condition),
      [
        { dl_src: MAC, vlan: 10 | 0x2000 },
        { dl_dst: MAC, vlan: 10 | 0x4000 },
      ],
    );
    assert.equal((await rulesOf(srv.l2insertion_outfilter_id)).length, 0);
    const stored = await modelText(t, 'L2Insertion', id);
    assertParsesWithSchema('L2Insertion', stored);
    const ins = await t.node.storage.get('L2Insertion', id);
    // the model's primitives are written even when zero/false, as the original's converter does
    assert.equal(
      stored,
      `${uuidText('id', id)}${uuidText('port_id', p0)}${uuidText('srv_port_id', s0)}vlan: 10\nfail_open: false\nposition: 1\nmac: "${MAC}"\n` +
        `${uuidText('srv_rule_in_id', String(ins.srv_rule_in_id))}${uuidText('srv_rule_out_id', String(ins.srv_rule_out_id))}`,
    );
    for (const r of [...inRules, ...outRules, ...jumps]) assertParsesWithSchema('Rule', await modelText(t, 'Rule', String(r.id)));
    assertParsesWithSchema('Chain', await modelText(t, 'Chain', String(prot.l2insertion_infilter_id)));
    assertParsesWithSchema('Port', await modelText(t, 'Port', p0));

    const second = await insert(body(p0, s1));
    prot = await port(p0);
    assert.equal((await rulesOf(prot.l2insertion_infilter_id)).length, 4);
    assert.equal((await rulesOf(prot.l2insertion_outfilter_id)).length, 3);
    for (const s of [s0, s1]) {
      srv = await port(s);
      assert.equal((await rulesOf(srv.l2insertion_infilter_id, 'JUMP_RULE')).length, 2);
      assert.equal((await rulesOf(srv.l2insertion_outfilter_id)).length, 0);
    }
    // equal positions: the first hop goes from the port to one service port, the second comes
    // back from it (popping its tag) and goes to the other
    const [, , hop, first] = (await rulesOf(prot.l2insertion_infilter_id)) as [Rule, Rule, Rule, Rule];
    assert.deepEqual(first.condition?.in_port_ids, [p0]);
    const firstSrv = String(first.transform_rule_data?.target_port_id);
    assert.deepEqual(hop.condition?.in_port_ids, [firstSrv]);
    assert.equal(hop.condition?.vlan, 10 | 0x2000);
    assert.equal(hop.transform_rule_data?.pop_vlan, true);
    assert.equal(hop.transform_rule_data?.target_port_id, firstSrv === s0 ? s1 : s0);
    // the port lists both; the redirect chains are visible under /chains
    assert.deepEqual((await get(`${api}/ports/${p0}`, MT.port)).json.insertionIds.sort(), [id, second].sort());
    const chains = (await get(`${api}/chains`, 'application/vnd.org.midonet.collection.Chain-v1+json')).json as Json[];
    assert.ok(chains.some((c) => c.name === `InboundRedirect${p0}`));
  });

  it('scenario 3: PUT failOpen true → the redirect rules to the service port fail open', async () => {
    const b = body(p0, s0);
    const id = await insert(b);
    const failOpen = async (): Promise<boolean[]> => {
      const prot = await port(p0);
      const rules = [...(await rulesOf(prot.l2insertion_infilter_id)), ...(await rulesOf(prot.l2insertion_outfilter_id))];
      return rules.filter((r) => r.action === 'REDIRECT' && r.transform_rule_data?.target_port_id === s0).map((r) => Boolean(r.transform_rule_data?.fail_open));
    };
    assert.deepEqual(await failOpen(), [false, false]);
    const srvRuleIn = (await t.node.storage.get('L2Insertion', id)).srv_rule_in_id;
    assertStatus(await put(`${api}/l2insertions/${id}`, L2, { ...b, failOpen: true }), 204);
    assert.deepEqual(await failOpen(), [true, true]);
    assert.equal((await get(`${api}/l2insertions/${id}`, L2)).json.failOpen, true);
    assert.notEqual((await t.node.storage.get('L2Insertion', id)).srv_rule_in_id, srvRuleIn, 'the service rules are made again');
    assert.equal((await rulesOf((await port(s0)).l2insertion_infilter_id, 'JUMP_RULE')).length, 2);
  });

  it('scenario 4: DELETE → 204; all four chains are empty, the chains stay', async () => {
    const id = await insert(body(p0, s0));
    const rulesBefore = (await zkChildren(t, `${zoom(t)}/models/Rule`)).length;
    assertEmpty(await del(`${api}/l2insertions/${id}`), 204);
    for (const p of [p0, s0]) {
      const x = await port(p);
      assert.equal((await rulesOf(x.l2insertion_infilter_id, x.id === s0 ? 'JUMP_RULE' : 'L2TRANSFORM_RULE')).length, 0);
      assert.equal((await rulesOf(x.l2insertion_outfilter_id)).length, 0);
    }
    assert.equal((await zkChildren(t, `${zoom(t)}/models/Rule`)).length, rulesBefore - 7);
    assertError(await get(`${api}/l2insertions/${id}`, L2), 404);
    assertError(await del(`${api}/l2insertions/${id}`), 404, `There is no L2Insertion with ID ${id}.`);
    assert.deepEqual((await port(p0)).insertion_ids ?? [], []);
  });

  it('scenario 5: deleting the protected port, or the service port, deletes the insertion', async () => {
    const a = await insert(body(p0, s0));
    assert.equal((await port(s0)).srv_insertion_ids?.length, 1);
    assertEmpty(await del(`${api}/ports/${p0}`), 204);
    assertError(await get(`${api}/l2insertions/${a}`, L2), 404);
    assert.deepEqual((await port(s0)).srv_insertion_ids ?? [], []);
    const b = await insert(body(p1, s1));
    assert.equal((await port(p1)).insertion_ids?.length, 1);
    assertEmpty(await del(`${api}/ports/${s1}`), 204);
    assertError(await get(`${api}/l2insertions/${b}`, L2), 404);
    assert.deepEqual((await port(p1)).insertion_ids ?? [], []);
  });

  it('scenario 6: a port PUT (Port-v3, new interfaceName) keeps the insertion fields', async () => {
    await insert(body(p0, s0));
    for (const p of [p0, s0]) {
      const json = (await get(`${api}/ports/${p}`, MT.port)).json;
      assertStatus(await put(`${api}/ports/${p}`, MT.port, { ...json, interfaceName: 'foobar' }), 204);
    }
    const prot = await port(p0);
    assert.ok(prot.l2insertion_infilter_id && prot.l2insertion_outfilter_id);
    assert.equal(prot.insertion_ids?.length, 1);
    const srv = await port(s0);
    assert.ok(srv.l2insertion_infilter_id && srv.l2insertion_outfilter_id);
    assert.equal(srv.srv_insertion_ids?.length, 1);
  });

  it('chain order follows position; the list filters by ?port= and ?srv_port= (which wins)', async () => {
    const late = await insert(body(p0, s0, { position: 5, vlan: 0 }));
    const early = await insert(body(p0, s1, { position: 2, vlan: 0 }));
    const prot = await port(p0);
    const inRules = await rulesOf(prot.l2insertion_infilter_id);
    // [accept, return from the last hop (s0), hop to s0 after s1, first hop to s1]
    assert.deepEqual(
      inRules.map((r) => r.transform_rule_data?.target_port_id ?? null),
      [null, p0, s0, s1],
    );
    assert.deepEqual(inRules[3]?.condition?.in_port_ids, [p0]);
    assert.deepEqual(inRules[1]?.condition?.in_port_ids, [s0]);
    const other = await insert(body(p1, s0, { vlan: 0 }));
    const ids = async (q: string): Promise<string[]> => {
      const res = await get(`${api}/l2insertions${q}`, L2S);
      assertMediaType(res, L2S);
      return (res.json as Json[]).map((x) => x.id).sort();
    };
    assert.deepEqual(await ids(`?port=${p0}`), [late, early].sort());
    assert.deepEqual(await ids(`?srv_port=${s0}`), [late, other].sort());
    assert.deepEqual(await ids(`?srv_port=${s1}&port=${p1}`), [early]);
    assert.ok((await ids('')).length >= 3);
  });

  it('bad input → 4xx and nothing written', async () => {
    const counts = async (): Promise<number[]> =>
      Promise.all(['L2Insertion', 'Rule', 'Chain'].map(async (c) => (await zkChildren(t, `${zoom(t)}/models/${c}`)).length));
    const start = await counts();
    assertViolations(await post(`${api}/l2insertions`, L2, { portId: p0, srvPortId: s0 }), ['mac']);
    assertViolations(await post(`${api}/l2insertions`, L2, { mac: MAC }), ['portId', 'srvPortId']);
    assertViolations(await post(`${api}/l2insertions`, L2, body(p0, s0, { vlan: 5000, position: -1 })), ['position', 'vlan']);
    assertError(await post(`${api}/l2insertions`, L2, body(p0, s0, { vlan: 'ten' })), 400);
    assertError(await post(`${api}/l2insertions`, L2, body(p0, randomUUID())), 404, /^There is no Port with ID /);
    assertError(await post(`${api}/l2insertions`, L2, body(p0, p0)), 400, `Protected port ${p0} can't have a service`);
    assert.deepEqual(await counts(), start);
    const id = await insert(body(p0, s0));
    const afterOne = await counts();
    // the pair again, a service port protected, a protected port as service
    assertError(await post(`${api}/l2insertions`, L2, body(p0, s0)), 409, 'Insertion for same port/srvPort pair already exists');
    assertError(await post(`${api}/l2insertions`, L2, body(s0, s1)), 400, `Protected port ${s0} can't have a service`);
    assertError(await post(`${api}/l2insertions`, L2, body(p1, p0)), 400, `Service port ${p0} can't have an insertion`);
    assertError(await post(`${api}/l2insertions`, L2, { ...body(p0, s1), id }), 409);
    const b = (await get(`${api}/l2insertions/${id}`, L2)).json;
    assertError(await put(`${api}/l2insertions/${id}`, L2, { ...b, srvPortId: s1 }), 400, "Port/SrvPort can't be changed for an insertion");
    assertViolations(await put(`${api}/l2insertions/${id}`, L2, { ...b, mac: null }), ['mac']);
    assert.deepEqual(await counts(), afterOne);
    assert.deepEqual((await get(`${api}/l2insertions/${id}`, L2)).json, b);
  });
});
