/**
 * The OVSDB client against a real ovsdb-server serving the hardware_vtep schema (Debian's
 * openvswitch-vtep): RPCs, transactions, monitors fed by vtep-ctl, echo in both directions,
 * reconnecting after a restart with the monitor back, timeouts, close. What the client wrote is
 * checked with ovsdb-client / vtep-ctl, not with the client itself.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setLoggerLevel } from '../../lib/log/logger.js';
import { OvsdbClient, type OvsdbClientState } from '../../lib/ovsdb/client.js';
import { exponentialBackoff } from '../../lib/ovsdb/backoff.js';
import { OvsdbClosedError, OvsdbProtocolError, OvsdbTimeoutError, OvsdbTransactionError, type TableUpdates } from '../../lib/ovsdb/protocol.js';
import { TableReplica, type RowChange } from '../../lib/ovsdb/replica.js';
import { namedUuid, uuid } from '../../lib/ovsdb/values.js';
import { startVtepServer, type VtepServer } from '../support/ovsdb.js';
import { pollFor, sleep, until } from '../support/wait.js';

const DB = 'hardware_vtep';
const quickRetry = () => exponentialBackoff({ baseMs: 50, maxMs: 300 });

setLoggerLevel('org.midonet.cluster.services.vxgw', 'ERROR');

describe('OVSDB client against ovsdb-server (hardware_vtep)', () => {
  let vtep: VtepServer;
  let client: OvsdbClient;

  before(async () => {
    vtep = await startVtepServer();
    client = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, retry: quickRetry() });
  });
  after(async () => {
    await client?.close();
    await vtep?.destroy();
  });

  test('list_dbs and get_schema', async () => {
    const dbs = await client.listDbs();
    assert.ok(dbs.includes(DB), `databases: ${dbs.join(', ')}`);
    const schema = await client.getSchema(DB);
    assert.equal(schema.name, DB);
    assert.match(schema.version, /^\d+\.\d+\.\d+$/);
    for (const t of [
      'Global',
      'Physical_Switch',
      'Physical_Port',
      'Logical_Switch',
      'Ucast_Macs_Local',
      'Mcast_Macs_Remote',
      'Physical_Locator',
      'Physical_Locator_Set',
    ]) {
      assert.ok(schema.tables[t], `table ${t}`);
    }
    assert.ok(schema.tables['Logical_Switch']?.columns['tunnel_key']);
    await assert.rejects(client.getSchema('no_such_db'), /get_schema: unknown database/);
  });

  test('transact: insert, select, update, mutate, named-uuid references, wait, delete — checked with ovsdb-client', async () => {
    const [ins] = await client.transact(DB, [{ op: 'insert', table: 'Logical_Switch', row: { name: 'tx-ls', description: 'd', tunnel_key: 7001 } }]);
    const ls = ins?.uuid?.[1];
    assert.ok(ls);
    // A locator and the MAC row using it in one transaction: the locator is not a root row, so it only survives because the MAC row refers to it.
    const res = await client.transact(DB, [
      { op: 'insert', table: 'Physical_Locator', 'uuid-name': 'loc', row: { encapsulation_type: 'vxlan_over_ipv4', dst_ip: '10.9.9.9' } },
      { op: 'insert', table: 'Ucast_Macs_Remote', row: { MAC: '00:00:00:00:00:01', logical_switch: uuid(ls), locator: namedUuid('loc'), ipaddr: '' } },
      { op: 'update', table: 'Logical_Switch', where: [['_uuid', '==', uuid(ls)]], row: { description: 'updated' } },
      { op: 'mutate', table: 'Logical_Switch', where: [['_uuid', '==', uuid(ls)]], mutations: [['other_config', 'insert', ['map', [['k', 'v']]]]] },
      { op: 'wait', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']], columns: ['tunnel_key'], until: '==', rows: [{ tunnel_key: 7001 }], timeout: 0 },
      { op: 'select', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']], columns: ['description', 'other_config'] },
      { op: 'comment', comment: 'ovsdb client test' },
    ]);
    assert.equal(res[2]?.count, 1);
    assert.equal(res[3]?.count, 1);
    assert.deepEqual(res[5]?.rows, [{ description: 'updated', other_config: ['map', [['k', 'v']]] }]);

    const locs = await vtep.dump('Physical_Locator', 'dst_ip');
    assert.deepEqual(locs, [{ dst_ip: '10.9.9.9' }]);
    const macs = await vtep.dump('Ucast_Macs_Remote', 'MAC', 'logical_switch');
    assert.deepEqual(macs, [{ MAC: '00:00:00:00:00:01', logical_switch: ['uuid', ls] }]);
    assert.match(await vtep.vtepCtl('list-remote-macs', 'tx-ls'), /00:00:00:00:00:01 -> vxlan_over_ipv4\/10\.9\.9\.9/);

    // A wait that does not hold fails the whole transaction: nothing after it is applied.
    await assert.rejects(
      client.transact(DB, [
        { op: 'wait', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']], columns: ['tunnel_key'], until: '==', rows: [{ tunnel_key: 1 }], timeout: 0 },
        { op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'tx-ls']] },
      ]),
      (e: unknown) => e instanceof OvsdbTransactionError && e.index === 0 && e.kind === 'timed out',
    );
    assert.equal((await vtep.dump('Logical_Switch', 'name')).length, 1);

    // Deleting the switch while the MAC row still refers to it: refused at commit.
    await assert.rejects(
      client.transact(DB, [{ op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', uuid(ls)]] }]),
      (e: unknown) => e instanceof OvsdbTransactionError && e.index === 1 && e.kind === 'referential integrity violation',
    );
    const del = await client.transact(DB, [
      { op: 'delete', table: 'Ucast_Macs_Remote', where: [['logical_switch', '==', uuid(ls)]] },
      { op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', uuid(ls)]] },
    ]);
    assert.deepEqual(
      del.map((r) => r.count),
      [1, 1],
    );
    assert.deepEqual(await vtep.dump('Logical_Switch', 'name'), []);
    assert.deepEqual(await vtep.dump('Physical_Locator', 'dst_ip'), [], 'the unreferenced locator is collected');
  });

  test('monitor: the initial contents, then what vtep-ctl changes (add-ps, add-port, add-ls, add-ucast-local)', async () => {
    await vtep.vtepCtl('add-ps', 'mon-sw0');
    const batches: { changes: RowChange[]; initial: boolean }[] = [];
    const replica = new TableReplica((changes, info) => batches.push({ changes, initial: info.initial }));
    const mon = await client.monitor(
      DB,
      {
        Physical_Switch: { columns: ['name', 'ports'] },
        Physical_Port: { columns: ['name', 'vlan_bindings'] },
        Logical_Switch: { columns: ['name'] },
        Ucast_Macs_Local: { columns: ['MAC', 'logical_switch', 'locator'] },
      },
      replica.handler(),
    );
    assert.equal(batches[0]?.initial, true);
    assert.deepEqual(
      batches[0]?.changes.filter((c) => c.table === 'Physical_Switch').map((c) => c.new?.['name']),
      ['mon-sw0'],
    );

    await vtep.vtepCtl('add-ps', 'mon-sw1');
    await vtep.vtepCtl('add-port', 'mon-sw1', 'p1');
    await vtep.vtepCtl('add-ls', 'mon-ls');
    await vtep.vtepCtl('bind-ls', 'mon-sw1', 'p1', '10', 'mon-ls');
    await vtep.vtepCtl('add-ucast-local', 'mon-ls', '00:11:22:33:44:55', '10.0.0.1');
    const names = (t: string) => [...replica.rows(t)].map(([, r]) => r['name']).sort();
    await until(
      'the replica to hold every change',
      () => names('Physical_Switch').length === 2 && replica.size('Ucast_Macs_Local') === 1 && names('Physical_Port').includes('p1'),
      5000,
    );
    assert.deepEqual(names('Physical_Switch'), ['mon-sw0', 'mon-sw1']);
    const [[, port]] = [...replica.rows('Physical_Port')] as [[string, Record<string, unknown>]];
    const [[lsUuid]] = [...replica.rows('Logical_Switch')] as [[string, unknown]];
    await until(
      'the binding to show in the replica',
      () => JSON.stringify([...replica.rows('Physical_Port')][0]?.[1]?.['vlan_bindings']) === JSON.stringify(['map', [[10, ['uuid', lsUuid]]]]),
      5000,
    );
    assert.equal(port['name'], 'p1');
    const insertedPs = batches.flatMap((b) => (b.initial ? [] : b.changes)).filter((c) => c.table === 'Physical_Switch' && !c.old);
    assert.deepEqual(
      insertedPs.map((c) => c.new?.['name']),
      ['mon-sw1'],
      'mon-sw1 arrived as an insert',
    );

    // A delete arrives with the whole old row.
    await vtep.vtepCtl('del-ucast-local', 'mon-ls', '00:11:22:33:44:55');
    const removed = await pollFor('the delete', () => batches.flatMap((b) => b.changes).find((c) => c.table === 'Ucast_Macs_Local' && !c.new), 5000, 20);
    assert.equal(removed.old?.['MAC'], '00:11:22:33:44:55');

    await mon.cancel();
    const count = batches.length;
    await vtep.vtepCtl('add-ps', 'mon-sw2');
    await client.echo(); // a round trip after the change: an update would have come before it
    assert.equal(batches.length, count, 'nothing after monitor_cancel');
  });

  test('answers the server inactivity probe: connected through 12 s idle, while a silent peer is dropped', async () => {
    // Our own probe off, so only the server's echoes cross the idle connection.
    const quiet = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, probeIntervalMs: 0 });
    const states: OvsdbClientState[] = [];
    quiet.on('state', (s) => states.push(s));
    // The control: a raw TCP peer that never answers an echo.
    const raw: Socket = connect({ host: '127.0.0.1', port: vtep.port });
    let rawData = '';
    raw.on('data', (d: Buffer) => (rawData += d.toString()));
    const rawClosed = new Promise<true>((resolve) => raw.on('close', () => resolve(true)));
    try {
      await sleep(12_500);
      assert.deepEqual(states, [], 'the client never lost its connection');
      assert.equal(quiet.state, 'connected');
      assert.deepEqual(await quiet.listDbs().then((d) => d.includes(DB)), true);
      assert.match(rawData, /"method":"echo"/, 'the server did probe');
      // ovsdb-server drops it about 10 s in (5 s idle, 5 s unanswered); allow for a busy machine.
      assert.equal(await Promise.race([rawClosed, sleep(5000).then(() => false)]), true, 'the silent peer was disconnected by the server');
    } finally {
      raw.destroy();
      await quiet.close();
    }
  });

  test('its own echo notices a frozen server; reconnects when it runs again', async () => {
    const c = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, probeIntervalMs: 400, connectTimeoutMs: 500, retry: quickRetry() });
    const states: [OvsdbClientState, string | undefined][] = [];
    c.on('state', (s, e) => states.push([s, e?.message]));
    try {
      vtep.pause();
      await until('the client to give up on the frozen server', () => c.state !== 'connected', 5000);
      assert.match(states.find(([s]) => s === 'waiting')?.[1] ?? '', /did not answer an echo/);
      // Meanwhile a request waits within its timeout, and says so when it runs out.
      await assert.rejects(c.listDbs(300), OvsdbTimeoutError);
      vtep.resume();
      await c.whenConnected(10_000);
      assert.ok((await c.listDbs()).includes(DB));
    } finally {
      vtep.resume();
      await c.close();
    }
  });

  test('a request with no reply in time: OvsdbTimeoutError, the connection stays', async () => {
    const c = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, probeIntervalMs: 0 });
    try {
      vtep.pause();
      await assert.rejects(
        c.transact(DB, [{ op: 'select', table: 'Global', where: [] }], 300),
        (e: unknown) => e instanceof OvsdbTimeoutError && /transact: no reply within 300 ms/.test(e.message),
      );
      vtep.resume();
      const [r] = await c.transact(DB, [{ op: 'select', table: 'Global', where: [], columns: ['_uuid'] }]);
      assert.equal(r?.rows?.length, 1, 'the one Global row');
      assert.equal(c.state, 'connected');
    } finally {
      vtep.resume();
      await c.close();
    }
  });

  test('close(): waiting requests fail with OvsdbClosedError, nothing reconnects', async () => {
    const c = new OvsdbClient({ host: '127.0.0.1', port: 1, connectTimeoutMs: 200, retry: quickRetry() });
    c.start();
    // handled from the start: close() rejects it before its own wait is over
    const pending = assert.rejects(c.listDbs(10_000), OvsdbClosedError);
    await sleep(100);
    await c.close();
    await pending;
    assert.equal(c.state, 'closed');
    await assert.rejects(c.listDbs(), OvsdbClosedError);
  });

  test('gives up when the retry policy says so', async () => {
    const c = new OvsdbClient({ host: '127.0.0.1', port: 1, connectTimeoutMs: 200, retry: exponentialBackoff({ baseMs: 10, maxMs: 20, maxAttempts: 2 }) });
    c.start();
    await assert.rejects(c.whenConnected(5000), OvsdbClosedError);
    assert.equal(c.state, 'failed');
    await c.close();
  });
});

describe('OVSDB client across an ovsdb-server restart', () => {
  let vtep: VtepServer;
  before(async () => {
    vtep = await startVtepServer();
  });
  after(async () => {
    await vtep?.destroy();
  });

  test('reconnects on the same port, the monitor comes back with what changed while down, and updates flow again', async () => {
    const c = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, retry: quickRetry(), probeIntervalMs: 1000 });
    const initials: { reconnect: boolean; names: string[] }[] = [];
    const updates: TableUpdates[] = [];
    const states: OvsdbClientState[] = [];
    c.on('state', (s) => states.push(s));
    try {
      await vtep.vtepCtl('add-ls', 'before-restart');
      const names = (u: TableUpdates) =>
        Object.values(u['Logical_Switch'] ?? {})
          .map((r) => String(r.new?.['name']))
          .sort();
      await c.monitor(
        DB,
        { Logical_Switch: { columns: ['name'] } },
        { initial: (u, i) => initials.push({ reconnect: i.reconnect, names: names(u) }), update: (u) => updates.push(u) },
      );
      assert.deepEqual(initials, [{ reconnect: false, names: ['before-restart'] }]);

      await vtep.stop();
      // Changed while the server is down, straight in its database file.
      const { execFileSync } = await import('node:child_process');
      execFileSync('ovsdb-tool', ['transact', vtep.dbFile, JSON.stringify([DB, { op: 'insert', table: 'Logical_Switch', row: { name: 'while-down' } }])]);
      await until('the client to notice', () => c.state !== 'connected', 5000);
      // A request made while disconnected waits for the connection.
      const waiting = c.transact(DB, [{ op: 'select', table: 'Logical_Switch', where: [['name', '==', 'while-down']], columns: ['name'] }], 15_000);
      await vtep.restart();
      const [r] = await waiting;
      assert.deepEqual(r?.rows, [{ name: 'while-down' }]);
      await until('the monitor to be re-established', () => initials.length === 2, 10_000);
      assert.deepEqual(initials[1], { reconnect: true, names: ['before-restart', 'while-down'] });
      assert.ok(states.includes('waiting') && states.at(-1) === 'connected', `states ${states.join(' ')}`);

      await vtep.vtepCtl('add-ls', 'after-restart');
      await until('the update from the re-established monitor', () => updates.some((u) => names(u).includes('after-restart')), 5000);
    } finally {
      await c.close();
    }
  });
});

describe('OVSDB client against a misbehaving peer', () => {
  // ovsdb-server never sends these; a broken VTEP could.
  let server: Server;
  let port = 0;
  let script: (s: Socket) => void = () => {};
  before(async () => {
    server = createServer((s) => script(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('an update right behind the monitor reply, in the same read, reaches the handler after the initial contents', async () => {
    script = (s) => {
      s.on('data', (d: Buffer) => {
        const req = JSON.parse(d.toString()) as { id: number; method: string; params: unknown[] };
        if (req.method !== 'monitor') return;
        const id = JSON.stringify(req.params[1]);
        s.write(
          `{"id":${req.id},"result":{"T":{"${U}":{"new":{"n":1}}}},"error":null}` +
            `{"id":null,"method":"update","params":[${id},{"T":{"${U}":{"old":{"n":1},"new":{"n":2}}}}]}`,
        );
      });
    };
    const U = '11111111-2222-4333-8444-555555555555';
    const c = await OvsdbClient.connect({ host: '127.0.0.1', port, retry: quickRetry(), probeIntervalMs: 0 });
    const seen: string[] = [];
    try {
      await c.monitor(
        'db',
        { T: {} },
        { initial: (u) => seen.push(`initial n=${String(u['T']?.[U]?.new?.['n'])}`), update: (u) => seen.push(`update n=${String(u['T']?.[U]?.new?.['n'])}`) },
      );
      await until('the update', () => seen.length === 2, 2000);
      assert.deepEqual(seen, ['initial n=1', 'update n=2']);
    } finally {
      await c.close();
    }
  });

  test('odd messages are reported and survived; garbage drops the connection, which is made again', async () => {
    let connections = 0;
    script = (s) => {
      connections++;
      s.on('data', (d: Buffer) => {
        const req = JSON.parse(d.toString()) as { id: number; method: string };
        if (req.method === 'list_dbs') {
          // The reply split in two writes, around an unknown notification, a reply to nothing and a non-object.
          s.write('{"id":null,"method":"stolen","params":["x"]}{"id":999,"result":[],"error":null}[1,2]');
          s.write(`{"id":${req.id},"res`);
          setTimeout(() => s.write('ult":["hardware_vtep"],"error":null}'), 20);
        } else if (req.method === 'echo') {
          s.write('this is not json');
        }
      });
    };
    const c = await OvsdbClient.connect({ host: '127.0.0.1', port, retry: quickRetry(), probeIntervalMs: 0 });
    const oddities: string[] = [];
    const notes: string[] = [];
    c.on('protocolError', (e) => oddities.push(e.message));
    c.on('notification', (m) => notes.push(m));
    try {
      assert.deepEqual(await c.listDbs(), ['hardware_vtep']);
      assert.deepEqual(notes, ['stolen']);
      assert.equal(oddities.length, 2, oddities.join('; '));
      assert.match(oddities.join('; '), /a reply to no pending request \(id 999\)/);
      assert.match(oddities.join('; '), /not a JSON object/);
      await assert.rejects(c.echo(), (e: unknown) => e instanceof OvsdbProtocolError || /connection lost/.test((e as Error).message));
      await until('a new connection', () => connections === 2 && c.state === 'connected', 5000);
    } finally {
      await c.close();
    }
  });
});
