/**
 * Trace requests over REST against a real node and ZooKeeper (rest-api-extras.md §5.1), with the
 * requests python-midonetclient sends (api.add_tracerequest(): a dto with a fresh `id`, then
 * set_name(), set_port()/set_bridge()/set_router(), condition setters, set_enabled(), create();
 * update() sends back what it read, the 64-bit `limit` included), the scenarios of
 * TestTraceRequest, bad input with nothing written, the cascade from the device, and the stored
 * object checked with protoc.
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
  del,
  get,
  MT,
  post,
  rq,
  zkCounts,
  type Json,
} from '../support/rest-helpers.js';

const TR = 'application/vnd.org.midonet.TraceRequest-v1+json';
const TRS = 'application/vnd.org.midonet.collection.TraceRequest-v1+json';
const LONG_MAX = 9223372036854775807n;

let t: TestNode;
let api: string;
let app: Record<string, Json>;
const py = new PyClient('00000000');

before(async () => {
  t = await startTestNode();
  api = t.api;
  app = await py.get(api, MT.app);
});

after(async () => {
  await t?.stop();
});

interface Topology {
  router: Record<string, Json>;
  routerPort: Record<string, Json>;
  bridge: Record<string, Json>;
}

async function topology(routerTenant = 'T0', bridgeTenant = 'T1'): Promise<Topology> {
  const router = await py.create(`${api}/routers`, MT.router, { name: 'tr-router', tenantId: routerTenant });
  const routerPort = await py.create(router['ports'], MT.port, { type: 'Router', portAddress: '10.0.0.1', networkAddress: '10.0.0.0', networkLength: 24 });
  const bridge = await py.create(`${api}/bridges`, MT.bridge, { name: 'tr-bridge', tenantId: bridgeTenant });
  return { router, routerPort, bridge };
}

/** api.add_tracerequest(): the client picks the id. */
function newTrace(fields: Record<string, unknown>): Record<string, unknown> {
  return { id: randomUUID(), ...fields };
}

/** The condition as the API shows an empty one: every field at its default, `uri` null. */
function emptyCondition(): Record<string, Json> {
  return {
    condInvert: false,
    matchForwardFlow: false,
    matchReturnFlow: false,
    inPorts: [],
    invInPorts: false,
    outPorts: [],
    invOutPorts: false,
    portGroup: null,
    invPortGroup: false,
    ipAddrGroupSrc: null,
    invIpAddrGroupSrc: false,
    ipAddrGroupDst: null,
    invIpAddrGroupDst: false,
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
    nwDstAddress: null,
    nwDstLength: 0,
    tpSrc: null,
    tpDst: null,
    invNwSrc: false,
    invNwDst: false,
    invTpSrc: false,
    invTpDst: false,
    traversedDevice: null,
    invTraversedDevice: false,
    fragmentPolicy: 'any',
    noVlan: false,
    vlan: null,
    icmpDataSrcIpAddress: null,
    icmpDataSrcIpLength: 0,
    invIcmpDataSrcIp: false,
    icmpDataDstIpAddress: null,
    icmpDataDstIpLength: 0,
    invIcmpDataDstIp: false,
    inPortGroup: null,
    invInPortGroup: false,
    outPortGroup: null,
    invOutPortGroup: false,
    matchNwDstRewritten: false,
    uri: null,
  };
}

describe('trace requests', () => {
  it('scenario 1: a port trace and a bridge trace: create, list, get, delete', async () => {
    const { routerPort, bridge } = await topology();
    const before = (await py.list(app['traceRequests'], TRS)).length;
    const body = newTrace({ name: 'port-trace', deviceType: 'PORT', deviceId: routerPort['id'], condition: {} });
    const started = Date.now();
    const tr = await py.create(app['traceRequests'], TR, body);
    assert.ok(typeof tr['creationTimestampMs'] === 'number' && tr['creationTimestampMs'] >= started - 1000 && tr['creationTimestampMs'] <= Date.now());
    assert.deepEqual(tr, {
      uri: `${api}/traces/${String(body['id'])}`,
      id: body['id'],
      name: 'port-trace',
      deviceType: 'PORT',
      deviceId: routerPort['id'],
      condition: emptyCondition(),
      creationTimestampMs: tr['creationTimestampMs'],
      limit: LONG_MAX,
      enabled: false,
      flows: `${api}/traces/${String(body['id'])}/flows`,
    });
    // the exact 64-bit default on the wire
    const raw = await get(tr['uri'], TR);
    assert.match(raw.text, /"limit":9223372036854775807[,}]/);
    assert.equal((await py.list(app['traceRequests'], TRS)).length, before + 1);
    const bt = await py.create(app['traceRequests'], TR, newTrace({ name: 'bridge-trace', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {} }));
    assert.equal(bt['deviceType'], 'BRIDGE');
    assert.equal((await py.list(app['traceRequests'], TRS)).length, before + 2);
    // Application.get_tracerequest(id): the template
    assert.deepEqual(await py.get(app['traceRequestTemplate'].replace('{id}', bt['id']), TR), bt);
    await py.delete(tr['uri']);
    assertError(await get(tr['uri'], TR), 404, `There is no TraceRequest with ID ${String(body['id'])}.`);
    assert.equal((await py.list(app['traceRequests'], TRS)).length, before + 1);
    assertEmpty(await del(tr['uri']), 204);
    const text = await storedParses(t, 'TraceRequest', bt['id']);
    assert.match(text, /\n {2}fragment_policy: ANY\n/);
    assert.match(text, /\n\}\nlimit: 9223372036854775807\nname: "bridge-trace"\ncreate_timestamp_ms: \d+\nnetwork_id \{\n/);
  });

  it('scenarios 2–3: a duplicate id is 409; a condition round-trips', async () => {
    const { router } = await topology();
    const body = newTrace({ name: 'cond', deviceType: 'ROUTER', deviceId: router['id'], condition: { nwSrcAddress: '10.0.0.2', nwDstAddress: '10.0.0.1' } });
    const tr = await py.create(app['traceRequests'], TR, body);
    assertError(await post(app['traceRequests'], TR, body), 409, `A(n) TraceRequest with ID ${String(body['id'])} already exists.`);
    assert.deepEqual(tr['condition'], { ...emptyCondition(), nwSrcAddress: '10.0.0.2', nwDstAddress: '10.0.0.1' });
    // a condition with ports: the fragment policy computed as for a rule
    const l4 = await py.create(
      app['traceRequests'],
      TR,
      newTrace({
        name: 'l4',
        deviceType: 'ROUTER',
        deviceId: router['id'],
        condition: { nwProto: 6, tpDst: { start: 80, end: 80 }, dlType: 2048, invNwSrc: true },
      }),
    );
    assert.deepEqual(l4['condition'], {
      ...emptyCondition(),
      nwProto: 6,
      tpDst: { start: 80, end: 80 },
      dlType: 2048,
      invNwSrc: true,
      fragmentPolicy: 'header',
    });
    await storedParses(t, 'TraceRequest', l4['id']);
  });

  it('scenario 4: the device must exist as the type named', async () => {
    const { routerPort, bridge } = await topology();
    const before = await zkCounts(t, ['TraceRequest']);
    const ghost = randomUUID();
    assertError(
      await post(app['traceRequests'], TR, newTrace({ name: 'x', deviceType: 'BRIDGE', deviceId: ghost, condition: {} })),
      404,
      `There is no Network with ID ${ghost}.`,
    );
    assertError(
      await post(app['traceRequests'], TR, newTrace({ name: 'x', deviceType: 'BRIDGE', deviceId: routerPort['id'], condition: {} })),
      404,
      `There is no Network with ID ${routerPort['id']}.`,
    );
    assertError(
      await post(app['traceRequests'], TR, newTrace({ name: 'x', deviceType: 'ROUTER', deviceId: bridge['id'], condition: {} })),
      404,
      `There is no Router with ID ${bridge['id']}.`,
    );
    assert.deepEqual(await zkCounts(t, ['TraceRequest']), before);
  });

  it('scenario 5: enabled is false by default; update() enables it and sends the 64-bit limit back exactly', async () => {
    const { bridge } = await topology();
    const tr = await py.create(app['traceRequests'], TR, newTrace({ name: 'e', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {} }));
    assert.equal(tr['enabled'], false);
    // tr.set_enabled(True).update(): the whole dto, limit 9223372036854775807 included
    const on = await py.update({ ...tr, enabled: true }, TR);
    assert.equal(on['enabled'], true);
    assert.equal(on['limit'], LONG_MAX);
    assert.equal(on['creationTimestampMs'], tr['creationTimestampMs']);
    // the CLI's `limit` is a string attribute: it sends "100"
    assert.equal((await py.update({ ...on, limit: '100' }, TR))['limit'], 100);
    assertError(await py.send('PUT', tr['uri'], { 'Content-Type': TR }, { ...on, deviceId: randomUUID() }), 404);
    // the path names the object, whatever id the body carries
    const other = randomUUID();
    assertStatus(await py.send('PUT', tr['uri'], { 'Content-Type': TR }, { ...on, id: other, name: 'renamed' }), 204);
    assert.equal((await py.get(tr['uri'], TR))['name'], 'renamed');
    assertStatus(await get(`${api}/traces/${other}`, TR), 404);
  });

  it('scenario 6: ?tenant_id= keeps the requests whose device belongs to the tenant', async () => {
    const tenant = `T-${randomUUID().slice(0, 8)}`;
    const { router, routerPort, bridge } = await topology(tenant, `${tenant}-other`);
    const portTrace = await py.create(app['traceRequests'], TR, newTrace({ name: 'p', deviceType: 'PORT', deviceId: routerPort['id'], condition: {} }));
    const routerTrace = await py.create(app['traceRequests'], TR, newTrace({ name: 'r', deviceType: 'ROUTER', deviceId: router['id'], condition: {} }));
    await py.create(app['traceRequests'], TR, newTrace({ name: 'b', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {} }));
    const res = await rq('GET', `${app['traceRequests']}?tenant_id=${tenant}`, { headers: { Accept: TRS } });
    assertStatus(res, 200);
    assert.deepEqual(res.json.map((x: Json) => x.id).sort(), [portTrace['id'], routerTrace['id']].sort());
    const none = await rq('GET', `${app['traceRequests']}?tenant_id=nobody`, { headers: { Accept: TRS } });
    assert.deepEqual(none.json, []);
  });

  it('deleting the device deletes its trace requests', async () => {
    const { router, routerPort, bridge } = await topology();
    const p = await py.create(app['traceRequests'], TR, newTrace({ name: 'p', deviceType: 'PORT', deviceId: routerPort['id'], condition: {} }));
    const b = await py.create(app['traceRequests'], TR, newTrace({ name: 'b', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {} }));
    const r = await py.create(app['traceRequests'], TR, newTrace({ name: 'r', deviceType: 'ROUTER', deviceId: router['id'], condition: {} }));
    await py.delete(routerPort['uri']);
    assertStatus(await get(p['uri'], TR), 404);
    await py.delete(bridge['uri']);
    assertStatus(await get(b['uri'], TR), 404);
    await py.delete(router['uri']);
    assertStatus(await get(r['uri'], TR), 404);
  });

  it('bad input: missing fields, unknown device type, a bad condition, a bad limit; nothing is written', async () => {
    const { bridge } = await topology();
    const before = await zkCounts(t, ['TraceRequest']);
    const url = app['traceRequests'];
    assertViolations(await post(url, TR, {}), ['condition', 'deviceId', 'deviceType', 'name']);
    // a py TraceRequest on which no condition setter was called has no `condition`
    assertViolations(await post(url, TR, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'] })), ['condition']);
    assertStatus(await post(url, TR, newTrace({ name: 'n', deviceType: 'HOST', deviceId: bridge['id'], condition: {} })), 400);
    const v = assertViolations(
      await post(url, TR, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: { nwSrcAddress: '10.0.0.999', nwDstLength: 40 } })),
      ['condition.nwDstLength', 'condition.nwSrcAddress'],
    );
    assert.equal(v.find((x) => x.property === 'condition.nwSrcAddress')?.message, 'is an invalid IP format');
    assertError(
      await post(
        url,
        TR,
        newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: { tpSrc: { start: 1, end: 2 }, fragmentPolicy: 'any' } }),
      ),
      400,
      "For a rule with tpDst or tpSrc constraints, the fragmentPolicy must be 'header' or 'unfragmented'.",
    );
    assertStatus(await post(url, TR, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: [] })), 400);
    assertStatus(await post(url, TR, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {}, limit: 'lots' })), 400);
    assertStatus(await post(url, TR, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {}, limit: 1.5 })), 400);
    assertStatus(
      await rq('POST', url, {
        headers: { 'Content-Type': TR },
        rawBody: `{"name":"n","deviceType":"BRIDGE","deviceId":"${bridge['id']}","condition":{},"limit":9223372036854775808}`,
      }),
      400,
    );
    assertStatus(await post(url, TR, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: 'not-a-uuid', condition: {} })), 400);
    assertEmpty(await post(url, MT.bridge, newTrace({ name: 'n', deviceType: 'BRIDGE', deviceId: bridge['id'], condition: {} })), 406);
    assert.deepEqual(await zkCounts(t, ['TraceRequest']), before);
    // a negative limit is a Java long: stored in two's complement and read back as sent
    const created = assertCreated(
      await rq('POST', url, {
        headers: { 'Content-Type': TR },
        rawBody: `{"name":"n","deviceType":"BRIDGE","deviceId":"${bridge['id']}","condition":{},"limit":-1}`,
      }),
      `${api}/traces`,
    );
    assert.match((await get(`${api}/traces/${created}`, TR)).text, /"limit":-1[,}]/);
    assert.match(await storedParses(t, 'TraceRequest', created), /limit: 18446744073709551615\n/);
  });
});
