/**
 * The CQL protocol test server (test/support/cql-server.ts) itself: that the real
 * cassandra-driver connects to it as to a single Cassandra node, and that it checks what it says
 * it checks. The flow-trace reader's own tests are in cassandra-flow-traces.test.ts.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, errors as driverErrors, policies, types } from 'cassandra-driver';
import { FlowTracingCql } from '../../lib/cassandra/flow-tracing-schema.js';
import { CqlServer, flowTracing, type FlowTracingFixture } from '../support/cql-server.js';
import { pollFor } from '../support/wait.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');

function driverFor(server: CqlServer, extra: { fetchSize?: number } = {}): Client {
  return new Client({
    contactPoints: [server.address],
    policies: { loadBalancing: new policies.loadBalancing.RoundRobinPolicy(), reconnection: new policies.reconnection.ConstantReconnectionPolicy(100) },
    socketOptions: { connectTimeout: 2000, readTimeout: 2000 },
    queryOptions: { fetchSize: extra.fetchSize ?? 5000 },
  });
}

async function responseError(p: Promise<unknown>): Promise<driverErrors.ResponseError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof driverErrors.ResponseError) return e;
    throw e;
  }
  assert.fail('expected an ERROR response');
}

/** A bare protocol v4 client: one request, one response frame. */
async function rawExchange(
  server: CqlServer,
  frames: Array<{ version?: number; opcode: number; body: Buffer }>,
): Promise<Array<{ version: number; opcode: number; body: Buffer }>> {
  const socket: Socket = connect(server.port, server.host);
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let buf = Buffer.alloc(0);
  const out: Array<{ version: number; opcode: number; body: Buffer }> = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  try {
    for (const [i, f] of frames.entries()) {
      const header = Buffer.alloc(9);
      header[0] = f.version ?? 4;
      header.writeInt16BE(i, 2);
      header[4] = f.opcode;
      header.writeUInt32BE(f.body.length, 5);
      socket.write(Buffer.concat([header, f.body]));
      const frame = await pollFor(
        `response to frame ${i}`,
        () => {
          if (buf.length < 9 || buf.length < 9 + buf.readUInt32BE(5)) return undefined;
          const len = buf.readUInt32BE(5);
          const r = { version: buf[0], stream: buf.readInt16BE(2), opcode: buf[4], body: buf.subarray(9, 9 + len) };
          buf = buf.subarray(9 + len);
          return r;
        },
        2000,
        5,
      );
      assert.equal(frame.stream, i, 'the response carries the request stream id');
      out.push(frame);
    }
  } finally {
    socket.destroy();
  }
  return out;
}

function stringMap(m: Record<string, string>): Buffer {
  const parts = [Buffer.alloc(2)];
  parts[0].writeUInt16BE(Object.keys(m).length);
  for (const [k, v] of Object.entries(m))
    for (const s of [k, v]) {
      const b = Buffer.from(s);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(b.length);
      parts.push(len, b);
    }
  return Buffer.concat(parts);
}

function longString(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b, Buffer.from([0x00, 0x01, 0x00])]); // consistency ONE, no flags
}

function errorOf(body: Buffer): { code: number; message: string } {
  return { code: body.readInt32BE(0), message: body.subarray(6, 6 + body.readUInt16BE(4)).toString() };
}

describe('CQL protocol test server', () => {
  const trace = types.Uuid.random().toString();
  let fx: FlowTracingFixture;
  let server: CqlServer;
  let client: Client;

  before(async () => {
    fx = flowTracing({ replicationFactor: 2 });
    for (let i = 0; i < 5; i++) fx.flows.push({ traceRequestId: trace, flowTraceId: types.TimeUuid.fromDate(new Date(T0 + i)).toString() });
    server = await CqlServer.start({ fixtures: [fx], clusterName: 'midonet-test' });
    client = driverFor(server);
    await client.connect();
  });

  after(async () => {
    await client.shutdown();
    await server.stop();
  });

  it('lets the driver negotiate down to protocol v4, registers it for events, and shows one node', async () => {
    assert.ok(
      server.requests.some((r) => r.op === 'STARTUP' && r.refusedVersion !== undefined && r.refusedVersion > 4),
      'the driver first tried a newer version and was refused',
    );
    assert.ok(server.count('REGISTER') >= 1);
    assert.equal(client.hosts.length, 1);
    const local = (await client.execute("SELECT * FROM system.local WHERE key='local'")).first();
    assert.equal(local.get('cluster_name'), 'midonet-test');
    assert.equal(local.get('release_version'), '3.11.4');
    assert.equal((await client.execute('SELECT * FROM system.peers')).rowLength, 0);
  });

  it('shows the flow-tracing keyspace and tables as the agents create them', async () => {
    const ks = client.metadata.keyspaces['midonetflowtracing'] as unknown as { strategy: string; strategyOptions: Record<string, string> };
    assert.equal(ks.strategy, 'org.apache.cassandra.locator.SimpleStrategy');
    assert.equal(ks.strategyOptions['replication_factor'], '2');
    const flows = await client.metadata.getTable('midonetflowtracing', 'flows');
    assert.deepEqual(
      flows.partitionKeys.map((c) => c.name),
      ['tracerequestid'],
    );
    assert.deepEqual(
      flows.clusteringKeys.map((c) => [c.name, c.type.code]),
      [['flowtraceid', types.dataTypes.timeuuid]],
    );
    assert.deepEqual(flows.clusteringOrder, ['DESC']);
    const events = await client.metadata.getTable('midonetflowtracing', 'flow_events');
    assert.deepEqual(
      events.partitionKeys.map((c) => c.name),
      ['tracerequestid', 'flowtraceid'],
    );
    assert.deepEqual(
      events.clusteringKeys.map((c) => c.name),
      ['time'],
    );
    assert.deepEqual(events.clusteringOrder, ['DESC']);
  });

  it('answers a statement no fixture knows with an Invalid error naming it', async () => {
    const e = await responseError(client.execute('SELECT * FROM MidonetFlowTracing.flows'));
    assert.equal(e.code, types.responseErrorCodes.invalid);
    assert.match(e.message, /no fixture answers this statement: SELECT \* FROM MidonetFlowTracing\.flows/);
  });

  it('checks bound values as Cassandra does', async () => {
    const notTime = await responseError(client.execute(FlowTracingCql.flow, [trace, types.Uuid.random()], { prepare: true }));
    assert.equal(notTime.code, types.responseErrorCodes.invalid);
    assert.match(notTime.message, /Unsupported UUID version \(4\)/);
    const zero = await responseError(client.execute(FlowTracingCql.flowsNewestFirst, [trace, new Date(0), new Date(), 0], { prepare: true }));
    assert.match(zero.message, /LIMIT must be strictly positive/);
    const nul = await responseError(client.execute(FlowTracingCql.flowsNewestFirst, [null, new Date(0), new Date(), 1], { prepare: true }));
    assert.match(nul.message, /Invalid null value in condition for column tracerequestid/);
  });

  it('pages results by the requested page size', async () => {
    const paging = driverFor(server, { fetchSize: 2 });
    try {
      const ids: string[] = [];
      const before = server.count('EXECUTE', FlowTracingCql.flowsNewestFirst);
      const rs = await paging.execute(FlowTracingCql.flowsNewestFirst, [trace, new Date(0), new Date(), 10], { prepare: true });
      assert.equal(rs.rowLength, 2, 'one page');
      for await (const row of rs) ids.push(String(row.get('flowtraceid')));
      assert.deepEqual(
        ids,
        [...fx.flows].reverse().map((f) => f.flowTraceId),
      );
      assert.equal(server.count('EXECUTE', FlowTracingCql.flowsNewestFirst) - before, 3, 'three pages of 2, 2 and 1 rows');
    } finally {
      await paging.shutdown();
    }
  });

  it('answers Unprepared for a statement it no longer holds, and the driver prepares it again', async () => {
    const args = [trace, new Date(0), new Date(), 10];
    await client.execute(FlowTracingCql.flowsNewestFirst, args, { prepare: true });
    const prepares = server.count('PREPARE', FlowTracingCql.flowsNewestFirst);
    server.forgetPrepared();
    const rs = await client.execute(FlowTracingCql.flowsNewestFirst, args, { prepare: true });
    assert.equal(rs.rowLength, 5);
    assert.equal(server.count('PREPARE', FlowTracingCql.flowsNewestFirst), prepares + 1);
  });

  it('checks the protocol: version, STARTUP first, no compression; OPTIONS answers SUPPORTED', async () => {
    const [v5] = await rawExchange(server, [{ version: 5, opcode: 0x05, body: Buffer.alloc(0) }]);
    assert.equal(v5.version, 0x84, 'answered in the version the server speaks');
    assert.deepEqual(errorOf(v5.body).code, 0x000a);
    assert.match(errorOf(v5.body).message, /Invalid or unsupported protocol version \(5\)/);

    const [early] = await rawExchange(server, [{ opcode: 0x07, body: longString("SELECT * FROM system.local WHERE key='local'") }]);
    assert.equal(early.opcode, 0x00);
    assert.match(errorOf(early.body).message, /Unexpected message QUERY, expecting STARTUP or OPTIONS/);

    const [lz4] = await rawExchange(server, [{ opcode: 0x01, body: stringMap({ CQL_VERSION: '3.0.0', COMPRESSION: 'lz4' }) }]);
    assert.match(errorOf(lz4.body).message, /Unknown compression algorithm: lz4/);

    const [supported, ready, rows] = await rawExchange(server, [
      { opcode: 0x05, body: Buffer.alloc(0) },
      { opcode: 0x01, body: stringMap({ CQL_VERSION: '3.0.0' }) },
      { opcode: 0x07, body: longString("SELECT * FROM system.local WHERE key='local'") },
    ]);
    assert.equal(supported.opcode, 0x06);
    assert.match(supported.body.toString('latin1'), /PROTOCOL_VERSIONS.*4\/v4/s);
    assert.equal(ready.opcode, 0x02);
    assert.equal(rows.opcode, 0x08);
    assert.equal(rows.body.readInt32BE(0), 0x0002, 'a Rows result');
  });

  it('pushes SCHEMA_CHANGE events when a keyspace is created later', async () => {
    const late = await CqlServer.start({ fixtures: [flowTracing()], createKeyspaces: false });
    const c = driverFor(late);
    try {
      await c.connect();
      assert.equal(c.metadata.keyspaces['midonetflowtracing'], undefined);
      const before = late.requests.length;
      late.createKeyspace('midonetflowtracing');
      await pollFor('the driver to learn of the new keyspace', () => c.metadata.keyspaces['midonetflowtracing'] !== undefined, 5000, 20);
      assert.ok(
        late.requests.slice(before).some((r) => r.query?.includes("keyspace_name = 'midonetflowtracing'")),
        'the driver refreshed that keyspace on the event',
      );
    } finally {
      await c.shutdown();
      await late.stop();
    }
  });
});
