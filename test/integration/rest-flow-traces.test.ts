/**
 * `GET /traces/{id}/flows` and `GET /traces/{id}/flows/{flowTraceId}` through HTTP, against a node
 * whose mn-conf `cassandra.servers` names the project's CQL protocol test server
 * (test/support/cql-server.ts), read with the real cassandra-driver; and against a node where
 * Cassandra is not configured, or stops answering: 503 with Retry-After, the rest of the API and
 * /readyz unaffected, a metric for the errors. Not a real Cassandra:
 * docs/decisions/0013-cassandra-flow-traces.md.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { types } from 'cassandra-driver';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { CqlError, CqlServer, flowTracing, type FlowTracingFixture } from '../support/cql-server.js';
import { PyClient } from '../support/py-client.js';
import { assertError, assertMediaType, assertStatus, get, MT, rq, type Json } from '../support/rest-helpers.js';

const TR = 'application/vnd.org.midonet.TraceRequest-v1+json';
const FLOW = 'application/vnd.org.midonet.FlowTrace-v1+json';
const FLOWS = 'application/vnd.org.midonet.collection.FlowTrace-v1+json';
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const HOST_A = '11111111-1111-4111-8111-111111111111';
const HOST_B = '22222222-2222-4222-8222-222222222222';

const timeuuid = (ms: number): string => types.TimeUuid.fromDate(new Date(ms)).toString();

let server: CqlServer;
let fx: FlowTracingFixture;
let t: TestNode;
let unconfigured: TestNode;
let traceId: string;
let flows: string[];

async function createTrace(node: TestNode): Promise<string> {
  const py = new PyClient('00000000');
  const bridge = await py.create(`${node.api}/bridges`, MT.bridge, { name: 'traced' });
  const tr = await py.create(`${node.api}/traces`, TR, {
    id: randomUUID(),
    name: 'web',
    deviceType: 'BRIDGE',
    deviceId: bridge['id'],
    condition: { nwProto: 6 },
    enabled: true,
  });
  return tr['id'];
}

async function metricsText(node: TestNode): Promise<string> {
  const res = await rq('GET', `${node.node.httpAddress}/metrics`, { token: null });
  assertStatus(res, 200);
  return res.text;
}

before(async () => {
  fx = flowTracing();
  server = await CqlServer.start({ fixtures: [fx] });
  [t, unconfigured] = await Promise.all([startTestNode({ set: { 'cassandra.servers': server.address } }), startTestNode()]);
  traceId = await createTrace(t);
  // four flows of the trace, one second apart, as agents write them; one of another trace
  flows = [0, 1, 2, 3].map((i) => timeuuid(T0 + i * 1000));
  flows.forEach((flowTraceId, i) =>
    fx.flows.push({
      traceRequestId: traceId,
      flowTraceId,
      ethSrc: '02:00:00:00:00:01',
      ethDst: '02:00:00:00:00:02',
      etherType: 0x0800,
      networkSrc: '10.0.0.1',
      networkDst: '10.0.0.2',
      networkProto: 6,
      srcPort: 40000 + i,
      dstPort: 80,
    }),
  );
  fx.flows.push({ traceRequestId: randomUUID(), flowTraceId: timeuuid(T0 + 1500), etherType: 0x0806, networkProto: 0, srcPort: 0, dstPort: 0 });
  // the third flow crossed two hosts
  fx.events.push(
    { traceRequestId: traceId, flowTraceId: flows[2], time: timeuuid(T0 + 2002), host: HOST_B, data: 'ingress on host B' },
    { traceRequestId: traceId, flowTraceId: flows[2], time: timeuuid(T0 + 2001), host: HOST_A, data: 'simulating on host A' },
  );
});

after(async () => {
  await Promise.all([t?.stop(), unconfigured?.stop()]);
  await server?.stop();
});

describe('flow traces through the REST API', () => {
  it('lists the flows of a trace request newest first, with their own media types', async () => {
    const res = await get(`${t.api}/traces/${traceId}/flows`, FLOWS);
    assertStatus(res, 200);
    assertMediaType(res, FLOWS);
    assert.deepEqual(
      res.json.map((f: Json) => f.flowTraceId),
      [...flows].reverse(),
    );
    assert.deepEqual(res.json[0], {
      uri: `${t.api}/traces/${traceId}/flows/${flows[3]}`,
      traceRequestId: traceId,
      flowTraceId: flows[3],
      time: new Date(T0 + 3000).toISOString(),
      ethSrc: '02:00:00:00:00:01',
      ethDst: '02:00:00:00:00:02',
      etherType: 0x0800,
      networkSrc: '10.0.0.1',
      networkDst: '10.0.0.2',
      networkProto: 6,
      srcPort: 40003,
      dstPort: 80,
      traceRequest: `${t.api}/traces/${traceId}`,
    });
    assert.equal(res.headers.get('link'), null, 'everything fits: no next page');
    // explicit negotiation: no Accept is the first type; application/json is offered too; others 406
    assertMediaType(await get(`${t.api}/traces/${traceId}/flows`), FLOWS);
    assertMediaType(await get(`${t.api}/traces/${traceId}/flows`, 'application/json'), 'application/json');
    assertStatus(await get(`${t.api}/traces/${traceId}/flows`, TR), 406);
    // the trace request links to them
    assert.equal((await get(`${t.api}/traces/${traceId}`, TR)).json.flows, `${t.api}/traces/${traceId}/flows`);
  });

  it('takes a limit (with a next-page link) and a time window in milliseconds or ISO-8601', async () => {
    const two = await get(`${t.api}/traces/${traceId}/flows?limit=2`, FLOWS);
    assert.deepEqual(
      two.json.map((f: Json) => f.flowTraceId),
      [flows[3], flows[2]],
    );
    const link = two.headers.get('link');
    assert.equal(link, `<${t.api}/traces/${traceId}/flows?limit=2&until=${T0 + 2000}>; rel="next"`);
    const next = await get(link.slice(1, link.indexOf('>')), FLOWS);
    assert.deepEqual(
      next.json.map((f: Json) => f.flowTraceId),
      [flows[2], flows[1]],
      'the next page starts at the last one shown',
    );
    const windowMs = await get(`${t.api}/traces/${traceId}/flows?since=${T0 + 1000}&until=${T0 + 2000}`, FLOWS);
    assert.deepEqual(
      windowMs.json.map((f: Json) => f.flowTraceId),
      [flows[2], flows[1]],
    );
    const windowIso = await get(`${t.api}/traces/${traceId}/flows?since=${encodeURIComponent(new Date(T0 + 2500).toISOString())}`, FLOWS);
    assert.deepEqual(
      windowIso.json.map((f: Json) => f.flowTraceId),
      [flows[3]],
    );
    for (const q of ['limit=0', 'limit=1001', 'limit=ten', `since=${T0 + 2000}&until=${T0}`, 'since=yesterday', 'until=-5']) {
      assertError(await get(`${t.api}/traces/${traceId}/flows?${q}`, FLOWS), 400);
    }
  });

  it('shows one flow with its events, the host and time of each', async () => {
    const res = await get(`${t.api}/traces/${traceId}/flows/${flows[2]}`, FLOW);
    assertStatus(res, 200);
    assertMediaType(res, FLOW);
    const body = res.json;
    assert.equal(body.flowTraceId, flows[2]);
    assert.equal(body.srcPort, 40002);
    assert.deepEqual(body.hosts, [HOST_A, HOST_B]);
    assert.deepEqual(
      body.events.map((e: Json) => [e.time, e.host, e.hostUri, e.data]),
      [
        [new Date(T0 + 2001).toISOString(), HOST_A, `${t.api}/hosts/${HOST_A}`, 'simulating on host A'],
        [new Date(T0 + 2002).toISOString(), HOST_B, `${t.api}/hosts/${HOST_B}`, 'ingress on host B'],
      ],
    );
    assert.equal(body.moreEvents, false);
    const quiet = await get(`${t.api}/traces/${traceId}/flows/${flows[0]}`, FLOW);
    assert.deepEqual([quiet.json.events, quiet.json.hosts], [[], []]);
  });

  it('404 for a flow that is not there, and for a trace request that is not there (Cassandra not asked)', async () => {
    const missing = timeuuid(T0 + 99_000);
    assertError(await get(`${t.api}/traces/${traceId}/flows/${missing}`, FLOW), 404, `Trace request ${traceId} has no flow trace ${missing}.`);
    assertError(await get(`${t.api}/traces/${traceId}/flows/${randomUUID()}`, FLOW), 404);
    assertError(await get(`${t.api}/traces/${traceId}/flows/not-a-uuid`, FLOW), 404);
    const asked = server.requests.length;
    const ghost = randomUUID();
    assertError(await get(`${t.api}/traces/${ghost}/flows`, FLOWS), 404, `There is no TraceRequest with ID ${ghost}.`);
    assertError(await get(`${t.api}/traces/${ghost}/flows/${flows[0]}`, FLOW), 404, `There is no TraceRequest with ID ${ghost}.`);
    assert.equal(server.requests.length, asked);
    assertStatus(await rq('POST', `${t.api}/traces/${traceId}/flows`, { body: {}, headers: { 'Content-Type': 'application/json' } }), 405);
  });

  it('Cassandra refusing the read is a 500; unavailable replicas a 503', async () => {
    server.failStatements(CqlError.invalid('unconfigured table flows'));
    try {
      assertError(await get(`${t.api}/traces/${traceId}/flows`, FLOWS), 500, /Cassandra refused the read/);
    } finally {
      server.failStatements(undefined);
    }
    server.failStatements(CqlError.unavailable(1, 1, 0));
    try {
      const res = await get(`${t.api}/traces/${traceId}/flows`, FLOWS);
      assertError(res, 503, /Cassandra/);
      assert.equal(res.headers.get('retry-after'), '5');
    } finally {
      server.failStatements(undefined);
    }
    assertStatus(await get(`${t.api}/traces/${traceId}/flows`, FLOWS), 200);
  });

  it('Cassandra down: 503 with Retry-After; the rest of the API and /readyz are unaffected; counted; back when it is', async () => {
    await server.stop();
    try {
      const res = await get(`${t.api}/traces/${traceId}/flows`, FLOWS);
      assertError(res, 503, /Cassandra/);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.ok(!res.json.message.includes(String(server.port)), 'no server address in the message');
      assertStatus(await get(`${t.api}/traces/${traceId}/flows/${flows[0]}`, FLOW), 503);
      assertStatus(await get(`${t.api}/traces/${traceId}`, TR), 200);
      assertStatus(await get(`${t.api}/bridges`, MT.bridges), 200);
      assertStatus(await rq('GET', `${t.node.httpAddress}/readyz`, { token: null }), 200);
      assert.match(await metricsText(t), /midonet_cluster_cassandra_operation_errors_total\{op="list_flows",kind="unavailable"\} [1-9]/);
    } finally {
      await server.restart();
    }
    assertStatus(await get(`${t.api}/traces/${traceId}/flows`, FLOWS), 200);
    const text = await metricsText(t);
    assert.match(text, /midonet_cluster_cassandra_operation_duration_seconds_count\{op="list_flows"\} [1-9]/);
    assert.match(text, /midonet_cluster_cassandra_connections_total\{outcome="connected"\} [1-9]/);
  });

  it('Cassandra not configured: 503 saying so, with Retry-After; /readyz and the rest unaffected', async () => {
    const trace = await createTrace(unconfigured);
    const res = await get(`${unconfigured.api}/traces/${trace}/flows`, FLOWS);
    assertError(res, 503, 'Flow traces are kept in Cassandra, and Cassandra is not configured (mn-conf cassandra.servers is empty)');
    assert.equal(res.headers.get('retry-after'), '30');
    assert.equal(res.headers.get('retryafter'), '30');
    assertStatus(await get(`${unconfigured.api}/traces/${trace}`, TR), 200);
    assertStatus(await rq('GET', `${unconfigured.node.httpAddress}/readyz`, { token: null }), 200);
    assert.match(await metricsText(unconfigured), /midonet_cluster_cassandra_operation_errors_total\{op="list_flows",kind="not_configured"\} 1/);
  });
});
