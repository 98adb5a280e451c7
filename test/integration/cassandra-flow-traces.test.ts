/**
 * The flow-trace reader (lib/cassandra) over the real cassandra-driver against the project's CQL
 * protocol test server (test/support/cql-server.ts), holding flow-tracing rows as agents write
 * them. Not a real Cassandra: see docs/decisions/0013-cassandra-flow-traces.md.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, errors as driverErrors, policies, types } from 'cassandra-driver';
import { cassandraConfig } from '../../lib/cassandra/config.js';
import { CassandraFailedError, CassandraNotConfiguredError, CassandraUnavailableError, type CassandraErrorKind } from '../../lib/cassandra/errors.js';
import { FlowTraceArgumentError, FlowTraceReader, type FlowTraceReaderOptions } from '../../lib/cassandra/flow-trace-reader.js';
import { FlowTracingCql } from '../../lib/cassandra/flow-tracing-schema.js';
import { Settings } from '../../lib/conf/settings.js';
import { CqlError, CqlServer, flowTracing, type FlowTracingFixture } from '../support/cql-server.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const HOST_A = '11111111-1111-4111-8111-111111111111';
const HOST_B = '22222222-2222-4222-8222-222222222222';

function timeuuid(ms: number): string {
  return types.TimeUuid.fromDate(new Date(ms)).toString();
}

function uuid(): string {
  return types.Uuid.random().toString();
}

/** A reader over `servers`, with short timeouts, that follows a Settings object the test may replace. */
function readerFor(servers: string, extra: Partial<FlowTraceReaderOptions> = {}): { reader: FlowTraceReader; settings: { current: Settings } } {
  const settings = { current: new Settings({ 'cassandra.servers': servers }) };
  const reader = new FlowTraceReader({ config: () => cassandraConfig(settings.current), connectTimeoutMs: 2000, readTimeoutMs: 2000, ...extra });
  return { reader, settings };
}

/** Listeners that accept connections and never answer (servers that hang), on `hosts` at `port`. */
async function hangingServers(hosts: string[], port: number): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  };
  try {
    for (const host of hosts) {
      const srv = createServer((sock) => {
        sockets.add(sock);
        sock.on('error', () => sock.destroy());
      });
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, host, resolve));
      servers.push(srv);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { close };
}

async function rejectsWith<T extends Error>(p: Promise<unknown>, cls: new (...args: never[]) => T): Promise<T> {
  let caught: unknown;
  await p.then(
    (v) => assert.fail(`expected ${cls.name}, got ${JSON.stringify(v)}`),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  return caught;
}

describe('flow traces from Cassandra', () => {
  const traceA = uuid();
  const traceB = uuid();
  const traceEmpty = uuid();
  // five flows of trace A, one second apart; two of trace B in between
  const flowsA = [0, 1, 2, 3, 4].map((i) => timeuuid(T0 + i * 1000));
  const flowsB = [timeuuid(T0 + 500), timeuuid(T0 + 1500)];
  let fx: FlowTracingFixture;
  let server: CqlServer;

  before(async () => {
    fx = flowTracing();
    flowsA.forEach((id, i) =>
      fx.flows.push({
        traceRequestId: traceA,
        flowTraceId: id,
        ethSrc: 'aa:aa:aa:00:00:01',
        ethDst: 'aa:aa:aa:00:00:02',
        etherType: 0x0800,
        networkSrc: '10.0.0.1',
        networkDst: '10.0.0.2',
        networkProto: 6,
        srcPort: 40000 + i,
        dstPort: 80,
      }),
    );
    // as an agent writes an ARP flow: no network addresses, zeros for the numbers
    for (const id of flowsB)
      fx.flows.push({
        traceRequestId: traceB,
        flowTraceId: id,
        ethSrc: 'bb:bb:bb:00:00:01',
        ethDst: 'ff:ff:ff:ff:ff:ff',
        etherType: 0x0806,
        networkProto: 0,
        srcPort: 0,
        dstPort: 0,
      });
    // events of trace A's third flow on two hosts, inserted out of order; one of another flow
    const flow = flowsA[2];
    const ev = (ms: number, host: string, data: string): void =>
      void fx.events.push({ traceRequestId: traceA, flowTraceId: flow, time: timeuuid(ms), host, data });
    ev(T0 + 2003, HOST_B, 'ingress on host B');
    ev(T0 + 2001, HOST_A, 'simulating on host A');
    ev(T0 + 2002, HOST_A, 'forwarding to host B');
    fx.events.push({ traceRequestId: traceA, flowTraceId: flowsA[0], time: timeuuid(T0 + 10), host: HOST_A, data: 'other flow' });
    server = await CqlServer.start({ fixtures: [fx] });
  });

  after(async () => {
    await server.stop();
  });

  it('connects lazily, on the first read, and then reuses its connection and prepared statements', async () => {
    const { reader } = readerFor(server.address);
    try {
      const before = server.connectionsAccepted;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(server.connectionsAccepted, before, 'no connection before the first read');
      await reader.listFlows(traceA);
      const afterFirst = server.connectionsAccepted;
      assert.ok(afterFirst > before, 'the first read connected');
      await reader.listFlows(traceA, { limit: 2 });
      await reader.listFlows(traceB);
      assert.equal(server.connectionsAccepted, afterFirst, 'later reads reuse the connection');
      assert.equal(server.count('PREPARE', FlowTracingCql.flowsNewestFirst), 1, 'the statement is prepared once');
      assert.ok(server.count('EXECUTE', FlowTracingCql.flowsNewestFirst) >= 3);
      assert.equal(server.count('QUERY', FlowTracingCql.flowsNewestFirst), 0, 'never sent unprepared');
    } finally {
      await reader.close();
    }
  });

  it('makes one connection for concurrent first reads', async () => {
    const { reader } = readerFor(server.address);
    try {
      const before = server.connectionsAccepted;
      const pages = await Promise.all([1, 2, 3, 4, 5].map((limit) => reader.listFlows(traceA, { limit })));
      assert.deepEqual(
        pages.map((p) => p.flows.length),
        [1, 2, 3, 4, 5],
      );
      assert.equal(server.connectionsAccepted - before, 1);
    } finally {
      await reader.close();
    }
  });

  it('lists the flows of a trace request newest first, with their match fields and times', async () => {
    const { reader } = readerFor(server.address);
    try {
      const page = await reader.listFlows(traceA);
      assert.deepEqual(
        page.flows.map((f) => f.flowTraceId),
        [...flowsA].reverse(),
      );
      assert.equal(page.more, false);
      const newest = page.flows[0];
      assert.deepEqual(newest, {
        traceRequestId: traceA,
        flowTraceId: flowsA[4],
        time: new Date(T0 + 4000),
        ethSrc: 'aa:aa:aa:00:00:01',
        ethDst: 'aa:aa:aa:00:00:02',
        etherType: 0x0800,
        networkSrc: '10.0.0.1',
        networkDst: '10.0.0.2',
        networkProto: 6,
        srcPort: 40004,
        dstPort: 80,
      });
      const b = await reader.listFlows(traceB);
      assert.deepEqual(
        b.flows.map((f) => f.flowTraceId),
        [flowsB[1], flowsB[0]],
        'only the flows of the trace asked for',
      );
      assert.equal(b.flows[0].networkSrc, null, 'a match field the agent left out is null');
      assert.equal(b.flows[0].srcPort, 0);
    } finally {
      await reader.close();
    }
  });

  it('applies limit and the time window (both ends inclusive, to the millisecond)', async () => {
    const { reader } = readerFor(server.address);
    try {
      const two = await reader.listFlows(traceA, { limit: 2 });
      assert.deepEqual(
        two.flows.map((f) => f.flowTraceId),
        [flowsA[4], flowsA[3]],
      );
      assert.equal(two.more, true, 'more flows than the limit');
      const five = await reader.listFlows(traceA, { limit: 5 });
      assert.equal(five.more, false, 'exactly the limit: nothing more');

      const window = await reader.listFlows(traceA, { since: new Date(T0 + 1000), until: new Date(T0 + 3000) });
      assert.deepEqual(
        window.flows.map((f) => f.flowTraceId),
        [flowsA[3], flowsA[2], flowsA[1]],
      );
      const narrower = await reader.listFlows(traceA, { since: T0 + 1001, until: T0 + 2999 });
      assert.deepEqual(
        narrower.flows.map((f) => f.flowTraceId),
        [flowsA[2]],
      );
      const windowed = await reader.listFlows(traceA, { since: T0 + 1000, until: T0 + 3000, limit: 1 });
      assert.deepEqual(
        windowed.flows.map((f) => f.flowTraceId),
        [flowsA[3]],
      );
      assert.equal(windowed.more, true);
      const future = await reader.listFlows(traceA, { since: T0 + 3_600_000 });
      assert.deepEqual(future, { flows: [], more: false });
    } finally {
      await reader.close();
    }
  });

  it('gives one flow with its events, oldest first, with the host and time of each', async () => {
    const { reader } = readerFor(server.address);
    try {
      const detail = await reader.getFlow(traceA, flowsA[2]);
      assert.ok(detail);
      assert.equal(detail.flow.flowTraceId, flowsA[2]);
      assert.deepEqual(detail.flow.time, new Date(T0 + 2000));
      assert.equal(detail.flow.srcPort, 40002);
      assert.deepEqual(
        detail.events.map((e) => [e.time.getTime() - T0, e.host, e.data]),
        [
          [2001, HOST_A, 'simulating on host A'],
          [2002, HOST_A, 'forwarding to host B'],
          [2003, HOST_B, 'ingress on host B'],
        ],
      );
      assert.deepEqual(detail.hosts, [HOST_A, HOST_B]);
      assert.equal(detail.moreEvents, false);
      assert.equal(new Set(detail.events.map((e) => e.eventId)).size, 3);

      assert.equal(await reader.getFlow(traceA, timeuuid(T0 + 99_000)), undefined, 'no such flow');
      assert.equal(await reader.getFlow(traceB, flowsA[2]), undefined, 'a flow of another trace request');
      assert.equal(await reader.getFlow(traceA, uuid()), undefined, 'a random (version 4) UUID names no flow');
      const bare = await reader.getFlow(traceA, flowsA[4]);
      assert.deepEqual(bare?.events, [], 'a flow without events');
    } finally {
      await reader.close();
    }
  });

  it('bounds the events of one flow (maxEvents) and says so', async () => {
    const { reader } = readerFor(server.address, { maxEvents: 2 });
    try {
      const detail = await reader.getFlow(traceA, flowsA[2]);
      assert.deepEqual(
        detail?.events.map((e) => e.data),
        ['simulating on host A', 'forwarding to host B'],
      );
      assert.equal(detail?.moreEvents, true);
      assert.deepEqual(detail?.hosts, [HOST_A]);
    } finally {
      await reader.close();
    }
  });

  it('answers a trace request with no flows with an empty list', async () => {
    const { reader } = readerFor(server.address);
    try {
      assert.deepEqual(await reader.listFlows(traceEmpty), { flows: [], more: false });
      assert.equal(await reader.getFlow(traceEmpty, flowsA[0]), undefined);
    } finally {
      await reader.close();
    }
  });

  it('refuses bad queries before asking Cassandra', async () => {
    const { reader } = readerFor(server.address);
    try {
      const before = server.requests.length;
      await rejectsWith(reader.listFlows('not-a-uuid'), FlowTraceArgumentError);
      await rejectsWith(reader.listFlows(traceA, { limit: 0 }), FlowTraceArgumentError);
      await rejectsWith(reader.listFlows(traceA, { limit: 1001 }), FlowTraceArgumentError);
      await rejectsWith(reader.listFlows(traceA, { limit: 1.5 }), FlowTraceArgumentError);
      await rejectsWith(reader.listFlows(traceA, { since: T0 + 2, until: T0 + 1 }), FlowTraceArgumentError);
      await rejectsWith(reader.listFlows(traceA, { since: Number.NaN }), FlowTraceArgumentError);
      await rejectsWith(reader.getFlow(traceA, 'x'), FlowTraceArgumentError);
      assert.equal(server.requests.length, before, 'nothing was sent');
    } finally {
      await reader.close();
    }
  });
});

describe('flow traces before any agent created the keyspace', () => {
  it('lists nothing, then the flows once the keyspace exists', async () => {
    const trace = uuid();
    const flow = timeuuid(T0);
    const fx = flowTracing({ flows: [{ traceRequestId: trace, flowTraceId: flow }] });
    const server = await CqlServer.start({ fixtures: [fx], createKeyspaces: false });
    const { reader } = readerFor(server.address);
    try {
      assert.deepEqual(await reader.listFlows(trace), { flows: [], more: false });
      assert.equal(await reader.getFlow(trace, flow), undefined);
      assert.equal(server.count('PREPARE'), 0, 'no statement sent against a missing keyspace');
      server.createKeyspace('midonetflowtracing');
      const page = await reader.listFlows(trace);
      assert.deepEqual(
        page.flows.map((f) => f.flowTraceId),
        [flow],
      );
      assert.equal(page.flows[0].ethSrc, null);
    } finally {
      await reader.close();
      await server.stop();
    }
  });
});

describe('flow traces when Cassandra is not there', () => {
  it('is "not configured" while cassandra.servers is empty, and follows mn-conf once it is set', async () => {
    const trace = uuid();
    const server = await CqlServer.start({ fixtures: [flowTracing({ flows: [{ traceRequestId: trace, flowTraceId: timeuuid(T0) }] })] });
    const errors: Array<[string, CassandraErrorKind | undefined]> = [];
    const { reader, settings } = readerFor('', { observer: { operation: (op, _s, kind) => errors.push([op, kind]) } });
    settings.current = new Settings();
    try {
      const e = await rejectsWith(reader.listFlows(trace), CassandraNotConfiguredError);
      assert.equal(e.kind, 'not_configured');
      assert.match(e.message, /Cassandra is not configured/);
      await rejectsWith(reader.getFlow(trace, timeuuid(T0)), CassandraNotConfiguredError);
      assert.equal(server.connectionsAccepted, 0);
      settings.current = new Settings({ 'cassandra.servers': server.address });
      assert.equal((await reader.listFlows(trace)).flows.length, 1, 'the next read uses the new configuration');
      assert.deepEqual(errors, [
        ['list_flows', 'not_configured'],
        ['get_flow', 'not_configured'],
        ['list_flows', undefined],
      ]);
    } finally {
      await reader.close();
      await server.stop();
    }
  });

  it('is "unavailable" while the server is down, and reads again once it is back', async () => {
    const trace = uuid();
    const flow = timeuuid(T0);
    const server = await CqlServer.start({ fixtures: [flowTracing({ flows: [{ traceRequestId: trace, flowTraceId: flow }] })] });
    const outcomes: string[] = [];
    const { reader } = readerFor(server.address, { observer: { connection: (o) => outcomes.push(o) } });
    try {
      assert.equal((await reader.listFlows(trace)).flows.length, 1);
      await server.stop();
      const e = await rejectsWith(reader.listFlows(trace), CassandraUnavailableError);
      assert.equal(e.kind, 'unavailable');
      assert.equal(e.retryAfterSeconds, 5);
      // and again, now with no client left: a fresh connection attempt is refused
      await rejectsWith(reader.getFlow(trace, flow), CassandraUnavailableError);
      assert.equal(reader.status().lastError?.kind, 'unavailable');
      await server.restart();
      assert.equal((await reader.listFlows(trace)).flows.length, 1, 'the first read after the server is back succeeds');
      assert.equal((await reader.getFlow(trace, flow))?.flow.flowTraceId, flow);
      assert.deepEqual(outcomes, ['connected', 'failed', 'connected']);
    } finally {
      await reader.close();
      await server.stop();
    }
  });

  it('is "unavailable" within its timeouts when the server accepts connections but never answers', async () => {
    const trace = uuid();
    const server = await CqlServer.start({ fixtures: [flowTracing({ flows: [{ traceRequestId: trace, flowTraceId: timeuuid(T0) }] })] });
    const proxy = await startTcpProxy(server.address);
    const { reader } = readerFor(proxy.address, { connectTimeoutMs: 1500, readTimeoutMs: 1000 });
    try {
      // hung before the first connection
      proxy.setMode('blackhole');
      let t = Date.now();
      await rejectsWith(reader.listFlows(trace), CassandraUnavailableError);
      // the driver's own defaults would wait 12 s for STARTUP (its read timeout)
      assert.ok(Date.now() - t < 6000, `bounded by the connect timeout (took ${Date.now() - t} ms)`);

      proxy.setMode('pass');
      assert.equal((await reader.listFlows(trace)).flows.length, 1);

      // hung while connected
      proxy.setMode('blackhole');
      t = Date.now();
      await rejectsWith(reader.listFlows(trace), CassandraUnavailableError);
      assert.ok(Date.now() - t < 6000, `bounded by the read timeout (took ${Date.now() - t} ms)`);

      proxy.setMode('pass');
      assert.equal((await reader.listFlows(trace)).flows.length, 1, 'reads again once the server answers');
    } finally {
      await reader.close();
      await proxy.close();
      await server.stop();
    }
  });

  it('reads from the server that answers when the others hang, within the connect timeout', async () => {
    const trace = uuid();
    const fx = flowTracing({ flows: [{ traceRequestId: trace, flowTraceId: timeuuid(T0) }] });
    // three hanging servers and one that answers, on one port (cassandra.servers has one port for all)
    let server: CqlServer | undefined;
    let hanging: { close(): Promise<void> } | undefined;
    for (let attempt = 0; !hanging && attempt < 5; attempt++) {
      server = await CqlServer.start({ fixtures: [fx] });
      hanging = await hangingServers(['127.0.0.2', '127.0.0.3', '127.0.0.4'], server.port).catch(async () => {
        await server!.stop();
        return undefined;
      });
    }
    assert.ok(server && hanging, 'a port free on four loopback addresses');
    try {
      // the driver tries the servers in random order: a few fresh readers meet the hanging ones first
      for (let i = 0; i < 3; i++) {
        const { reader } = readerFor(`127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.1:${server.port}`, { connectTimeoutMs: 4000 });
        try {
          assert.equal((await reader.listFlows(trace)).flows.length, 1);
        } finally {
          await reader.close();
        }
      }
    } finally {
      await hanging.close();
      await server.stop();
    }
  });

  it('maps Cassandra\'s own errors: too few replicas is "unavailable", a refused statement is "failed"', async () => {
    const trace = uuid();
    const server = await CqlServer.start({ fixtures: [flowTracing()] });
    const seen: Array<CassandraErrorKind | undefined> = [];
    const { reader } = readerFor(server.address, { observer: { operation: (_op, _s, kind) => seen.push(kind) } });
    try {
      server.failStatements(CqlError.unavailable(0x0001, 1, 0));
      await rejectsWith(reader.listFlows(trace), CassandraUnavailableError);
      server.failStatements(CqlError.readTimeout(0x0001, 0, 1));
      await rejectsWith(reader.listFlows(trace), CassandraUnavailableError);
      server.failStatements(CqlError.invalid('Undefined column name ethsrc'));
      const e = await rejectsWith(reader.listFlows(trace), CassandraFailedError);
      assert.equal(e.kind, 'failed');
      assert.match(e.message, /Undefined column name ethsrc/);
      server.failStatements(undefined);
      assert.deepEqual(await reader.listFlows(trace), { flows: [], more: false });
      assert.deepEqual(seen, ['unavailable', 'unavailable', 'failed', undefined]);
    } finally {
      await reader.close();
      await server.stop();
    }
  });
});

describe('flow traces from a node that reports Cassandra 2.2 (the release the original deployed)', () => {
  it('finds the keyspace through the 2.x schema tables and reads as from 3.11', async () => {
    const trace = uuid();
    const flow = timeuuid(T0);
    const fx = flowTracing({ flows: [{ traceRequestId: trace, flowTraceId: flow, ethSrc: 'aa:aa:aa:00:00:01' }] });
    fx.events.push({ traceRequestId: trace, flowTraceId: flow, time: timeuuid(T0 + 1), host: HOST_A, data: 'on host A' });
    const server = await CqlServer.start({ fixtures: [fx], releaseVersion: '2.2.8', createKeyspaces: false });
    const { reader } = readerFor(server.address);
    try {
      assert.deepEqual(await reader.listFlows(trace), { flows: [], more: false }, 'no keyspace yet');
      server.createKeyspace('midonetflowtracing');
      assert.deepEqual(
        (await reader.listFlows(trace)).flows.map((f) => [f.flowTraceId, f.ethSrc]),
        [[flow, 'aa:aa:aa:00:00:01']],
      );
      assert.deepEqual(
        (await reader.getFlow(trace, flow))?.events.map((e) => [e.host, e.data]),
        [[HOST_A, 'on host A']],
      );
      assert.ok(server.count('QUERY', 'SELECT * FROM system.schema_keyspaces') >= 1, 'the driver read the 2.x schema table');
      assert.equal(server.requests.filter((r) => r.query?.includes('system_schema')).length, 0, 'and never the 3.x ones');
    } finally {
      await reader.close();
      await server.stop();
    }
  });
});

describe('flow traces written as agents write them', () => {
  it('reads back what agents wrote with their own statements (USE, then the two inserts)', async () => {
    const server = await CqlServer.start({ fixtures: [flowTracing()] });
    const agent = new Client({ contactPoints: [server.address], policies: { loadBalancing: new policies.loadBalancing.RoundRobinPolicy() } });
    const { reader } = readerFor(server.address);
    // the agents' statements, laid out as in their source
    const insertFlow = `
        INSERT INTO flows
        (traceRequestId, flowTraceId, ethSrc, ethDst, etherType,
         networkSrc, networkDst, networkProto, srcPort, dstPort)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const insertEvent = `
        INSERT INTO flow_events
        (traceRequestId, flowTraceId, time, host, data)
        VALUES(?,?, now(), ?, ?)`;
    try {
      await agent.connect();
      await assert.rejects(
        agent.execute(insertEvent, [uuid(), uuid(), HOST_A, 'x'], { prepare: true }),
        (e: unknown) => e instanceof driverErrors.ResponseError && /No keyspace has been specified/.test(e.message),
      );
      await agent.execute('USE MidonetFlowTracing;');

      const start = Date.now();
      const trace = uuid();
      const flow = types.TimeUuid.now().toString();
      // an ARP request: no network addresses; the numbers the agent had no value for are 0
      const messages: Array<[string, string]> = [
        [HOST_A, 'bridge: flooding'],
        [HOST_A, 'tunnel to host B'],
        [HOST_B, 'port: delivered'],
      ];
      for (const [host, text] of messages) {
        await agent.execute(insertFlow, [trace, flow, 'aa:aa:aa:00:00:01', 'ff:ff:ff:ff:ff:ff', 0x0806, null, null, 0, 0, 0], { prepare: true });
        await agent.execute(insertEvent, [trace, flow, host, text], { prepare: true });
      }
      const end = Date.now();

      const page = await reader.listFlows(trace);
      assert.equal(page.flows.length, 1, 'one row per flow, however often the agent wrote it');
      const { time, ...fields } = page.flows[0];
      assert.ok(time.getTime() >= start && time.getTime() <= end, 'the time of the flow is that of its id');
      assert.deepEqual(fields, {
        traceRequestId: trace,
        flowTraceId: flow,
        ethSrc: 'aa:aa:aa:00:00:01',
        ethDst: 'ff:ff:ff:ff:ff:ff',
        etherType: 0x0806,
        networkSrc: null,
        networkDst: null,
        networkProto: 0,
        srcPort: 0,
        dstPort: 0,
      });
      const detail = await reader.getFlow(trace, flow);
      assert.deepEqual(
        detail?.events.map((e) => [e.host, e.data]),
        messages,
        'in the order they were written',
      );
      assert.deepEqual(detail?.hosts, [HOST_A, HOST_B]);
      for (const e of detail.events) assert.ok(e.time.getTime() >= start && e.time.getTime() <= end, 'stamped by now() when written');
    } finally {
      await agent.shutdown();
      await reader.close();
      await server.stop();
    }
  });
});
