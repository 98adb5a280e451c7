/**
 * ZkClient and the local ZooKeeper runner against a real ZooKeeper (test/support/zk.ts).
 * Connection-failure cases go through a small in-process TCP proxy that can drop connections,
 * refuse them, or silently swallow traffic (a partition).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ZkClient, type ZkClientOptions } from '../../lib/zk/client.js';
import { ZkError, ZkMultiError, ZK_CODES, isBadVersion, isConnectionLoss, isNoNode, isNodeExists } from '../../lib/zk/errors.js';
import { pickFreePort, probeZooKeeper, processExists, startLocalZooKeeper } from '../../lib/zk/local-server.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let connectString: string;
let root: string;
let zk: ZkClient;
const opened: ZkClient[] = [];

async function client(extra: Partial<ZkClientOptions> = {}): Promise<ZkClient> {
  const c = await ZkClient.connect({ connectString, sessionTimeoutMs: 10_000, retry: { baseMs: 100, maxRetries: 3 }, ...extra });
  opened.push(c);
  return c;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function once<T>(emitter: ZkClient, event: 'connected' | 'disconnected' | 'reconnected' | 'expired', timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (arg?: unknown) => {
      clearTimeout(timer);
      resolve(arg as T);
    });
  });
}

async function rejectsWith(p: Promise<unknown>, codeName: string): Promise<ZkError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ZkError, `expected a ZkError, got ${String(e)}`);
    assert.equal(e.codeName, codeName, e.message);
    return e;
  }
  assert.fail(`expected ${codeName}, but it succeeded`);
}

before(async () => {
  ({ connectString } = await getTestZooKeeper());
  root = uniqueRootKey();
  zk = await client();
  await zk.mkdirp(root);
});

after(async () => {
  await zk.removeRecursive(root).catch(() => undefined);
  for (const c of opened) await c.close();
});

describe('basic operations', () => {
  test('create, getData, exists, getChildren, setData with versions', async () => {
    const p = `${root}/basic`;
    assert.equal(await zk.exists(p), null);
    assert.equal(await zk.create(p, Buffer.from('v0')), p);
    const r0 = await zk.getData(p);
    assert.equal(r0.data.toString(), 'v0');
    assert.equal(r0.stat.version, 0);
    assert.equal(typeof r0.stat.czxid, 'bigint');
    assert.ok(r0.stat.czxid > 0n);
    assert.equal(r0.stat.czxid, r0.stat.mzxid);
    assert.equal(r0.stat.ephemeralOwner, 0n);
    assert.equal(r0.stat.dataLength, 2);
    assert.ok(Math.abs(r0.stat.ctime - Date.now()) < 60_000, 'ctime is epoch ms');

    const s1 = await zk.setData(p, Buffer.from('v1'), 0);
    assert.equal(s1.version, 1);
    assert.ok(s1.mzxid > r0.stat.mzxid);
    const s2 = await zk.setData(p, Buffer.from('v2'));
    assert.equal(s2.version, 2);
    assert.equal((await zk.getData(p)).data.toString(), 'v2');

    await zk.create(`${p}/b`);
    await zk.create(`${p}/a`, Buffer.from('x'));
    const kids = await zk.getChildren(p);
    assert.deepEqual([...kids.children].sort(), ['a', 'b']);
    assert.equal(kids.stat.numChildren, 2);
    const st = await zk.exists(p);
    assert.ok(st);
    assert.equal(st.version, 2);
    assert.equal(st.cversion, 2);

    // A node created without data reads back as an empty buffer.
    assert.equal((await zk.getData(`${p}/b`)).data.length, 0);
    await zk.remove(`${p}/a`, 0);
    assert.equal(await zk.exists(`${p}/a`), null);
  });

  test('errors are ZkErrors with code, name and path', async () => {
    const p = `${root}/errors`;
    await zk.create(p, Buffer.from('x'));
    const bad = await rejectsWith(zk.setData(p, Buffer.from('y'), 5), 'BADVERSION');
    assert.equal(bad.code, ZK_CODES.BADVERSION);
    assert.equal(bad.path, p);
    assert.ok(isBadVersion(bad));
    assert.match(bad.message, /BADVERSION/);

    const none = await rejectsWith(zk.getData(`${p}/missing`), 'NONODE');
    assert.equal(none.code, -101);
    assert.equal(none.path, `${p}/missing`);
    assert.ok(isNoNode(none));
    await rejectsWith(zk.remove(`${p}/missing`), 'NONODE');
    await rejectsWith(zk.create(`${p}/no/parent`), 'NONODE');

    assert.ok(isNodeExists(await rejectsWith(zk.create(p), 'NODEEXISTS')));
    await zk.create(`${p}/child`);
    await rejectsWith(zk.remove(p), 'NOTEMPTY');
    await rejectsWith(zk.remove(`${p}/child`, 3), 'BADVERSION');

    // Invalid paths are refused locally, also as ZkError.
    await rejectsWith(zk.getData('no-slash'), 'BAD_ARGUMENTS');
    await rejectsWith(zk.create(`${p}/trailing/`), 'BAD_ARGUMENTS');
  });

  test('sequential nodes get a 10-digit suffix that grows', async () => {
    const p = `${root}/seq`;
    await zk.mkdirp(p);
    const a = await zk.create(`${p}/lock-`, Buffer.alloc(0), 'persistent_sequential');
    const b = await zk.create(`${p}/lock-`, Buffer.alloc(0), 'ephemeral_sequential');
    assert.match(a, new RegExp(`^${p}/lock-\\d{10}$`));
    assert.match(b, new RegExp(`^${p}/lock-\\d{10}$`));
    assert.ok(Number(b.slice(-10)) > Number(a.slice(-10)));
    assert.equal((await zk.exists(b))?.ephemeralOwner, zk.sessionId);
  });

  test('ephemeral nodes vanish when their client closes', async () => {
    const p = `${root}/eph`;
    const other = await client();
    await other.create(p, Buffer.from('mine'), 'ephemeral');
    const st = await zk.exists(p);
    assert.ok(st);
    assert.equal(st.ephemeralOwner, other.sessionId);
    assert.notEqual(other.sessionId, zk.sessionId);
    await other.close();
    assert.equal(other.connected, false);
    assert.equal(await zk.exists(p), null);
    await rejectsWith(other.getData(root), 'CONNECTION_LOSS');
  });

  test('mkdirp is idempotent and tolerates concurrent creators', async () => {
    const deep = `${root}/mk/a/b/c/d/e`;
    const clients = [zk, await client()];
    await Promise.all(Array.from({ length: 10 }, (_, i) => clients[i % 2].mkdirp(deep)));
    assert.ok(await zk.exists(deep));
    await zk.mkdirp(deep);
    await zk.mkdirp('/');
    assert.deepEqual((await zk.getChildren(`${root}/mk`)).children, ['a']);
  });

  test('removeRecursive deletes a subtree and tolerates missing nodes', async () => {
    const p = `${root}/rr`;
    for (const leaf of ['x/1', 'x/2/deep', 'y', 'z/3']) await zk.mkdirp(`${p}/${leaf}`);
    for (let i = 0; i < 50; i++) await zk.create(`${p}/y/n${i}`);
    await Promise.all([zk.removeRecursive(p), zk.removeRecursive(`${p}/x`)]);
    assert.equal(await zk.exists(p), null);
    await zk.removeRecursive(p);
    await rejectsWith(zk.removeRecursive('/'), 'BAD_ARGUMENTS');
  });

  test('sync succeeds on existing and missing paths', async () => {
    await zk.sync(root);
    await zk.sync(`${root}/does-not-exist`);
  });
});

describe('multi', () => {
  test('success: one result per op with created paths and stats', async () => {
    const p = `${root}/multi-ok`;
    await zk.create(p, Buffer.from('x'));
    const results = await zk.multi([
      { op: 'check', path: p, version: 0 },
      { op: 'create', path: `${p}/a`, data: Buffer.from('a') },
      { op: 'create', path: `${p}/s-`, mode: 'persistent_sequential' },
      { op: 'setData', path: p, data: Buffer.from('y'), version: 0 },
      { op: 'create', path: `${p}/gone` },
      { op: 'remove', path: `${p}/gone`, version: 0 },
    ]);
    assert.equal(results.length, 6);
    assert.deepEqual(
      results.map((r) => [r.op, r.code]),
      [
        ['check', 0],
        ['create', 0],
        ['create', 0],
        ['setData', 0],
        ['create', 0],
        ['remove', 0],
      ],
    );
    assert.equal(results[1]?.path, `${p}/a`);
    assert.match(results[2]?.path ?? '', new RegExp(`^${p}/s-\\d{10}$`));
    const stat = results[3]?.stat;
    assert.ok(stat);
    assert.equal(stat.version, 1);
    assert.equal(typeof stat.mzxid, 'bigint');
    // All ops of a multi are one transaction: the same zxid everywhere.
    const a = await zk.getData(`${p}/a`);
    assert.equal(a.stat.czxid, stat.mzxid);
    assert.equal((await zk.getData(p)).data.toString(), 'y');
    assert.equal(await zk.exists(`${p}/gone`), null);
    assert.deepEqual(await zk.multi([]), []);
  });

  test('failure: opIndex names the failing op, per-op results, nothing applied', async () => {
    const p = `${root}/multi-fail`;
    await zk.create(p, Buffer.from('orig'));
    let err: unknown;
    try {
      await zk.multi([
        { op: 'create', path: `${p}/first` },
        { op: 'setData', path: p, data: Buffer.from('new'), version: 7 },
        { op: 'create', path: `${p}/third` },
      ]);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ZkMultiError, String(err));
    assert.ok(err instanceof ZkError);
    assert.equal(err.opIndex, 1);
    assert.equal(err.codeName, 'BADVERSION');
    assert.equal(err.path, p);
    assert.deepEqual(
      err.results.map((r) => [r.op, r.code]),
      [
        ['create', ZK_CODES.OK],
        ['setData', ZK_CODES.BADVERSION],
        ['create', ZK_CODES.RUNTIMEINCONSISTENCY],
      ],
    );
    assert.equal(await zk.exists(`${p}/first`), null);
    assert.equal(await zk.exists(`${p}/third`), null);
    const d = await zk.getData(p);
    assert.equal(d.data.toString(), 'orig');
    assert.equal(d.stat.version, 0);
  });

  test('failure codes per op kind (NODEEXISTS, NONODE, NOTEMPTY) and version 0 is enforced', async () => {
    const p = `${root}/multi-codes`;
    await zk.create(p);
    await zk.create(`${p}/kid`);
    await zk.setData(`${p}/kid`, Buffer.from('v1'));
    const fail = async (ops: Parameters<ZkClient['multi']>[0]): Promise<ZkMultiError> => {
      try {
        await zk.multi(ops);
      } catch (e) {
        assert.ok(e instanceof ZkMultiError, String(e));
        return e;
      }
      assert.fail('multi should have failed');
    };
    let e = await fail([
      { op: 'check', path: p, version: 0 },
      { op: 'create', path: `${p}/kid` },
    ]);
    assert.deepEqual([e.opIndex, e.codeName], [1, 'NODEEXISTS']);
    e = await fail([{ op: 'remove', path: `${p}/nope`, version: -1 }]);
    assert.deepEqual([e.opIndex, e.codeName, e.path], [0, 'NONODE', `${p}/nope`]);
    e = await fail([
      { op: 'check', path: p, version: -1 },
      { op: 'check', path: p, version: 0 },
      { op: 'remove', path: p, version: -1 },
    ]);
    assert.deepEqual([e.opIndex, e.codeName], [2, 'NOTEMPTY']);
    // node-zookeeper-client's own builder would turn version 0 into -1 (match anything).
    e = await fail([{ op: 'check', path: `${p}/kid`, version: 0 }]);
    assert.deepEqual([e.opIndex, e.codeName], [0, 'BADVERSION']);
    e = await fail([{ op: 'setData', path: `${p}/kid`, data: Buffer.from('x'), version: 0 }]);
    assert.equal(e.codeName, 'BADVERSION');
    e = await fail([{ op: 'remove', path: `${p}/kid`, version: 0 }]);
    assert.equal(e.codeName, 'BADVERSION');
  });
});

describe('watches', () => {
  test('data, child and existence watches fire once with type and path', async () => {
    const p = `${root}/watch`;
    await zk.create(p, Buffer.from('0'));
    const events: string[] = [];
    const seen = (tag: string) => (ev: { type: string; path: string }) => events.push(`${tag}:${ev.type}:${ev.path}`);
    const other = await client();

    await zk.getData(p, seen('data'));
    await zk.getChildren(p, seen('children'));
    assert.equal(await zk.exists(`${p}/later`, seen('exists')), null);

    await other.setData(p, Buffer.from('1'));
    await other.create(`${p}/later`);
    await other.setData(p, Buffer.from('2')); // the data watch was one-shot
    await other.sync(p);
    await zk.sync(p);
    const deadline = Date.now() + 5000;
    while (events.length < 3 && Date.now() < deadline) await sleep(20);
    await sleep(100);
    assert.deepEqual([...events].sort(), [`children:NODE_CHILDREN_CHANGED:${p}`, `data:NODE_DATA_CHANGED:${p}`, `exists:NODE_CREATED:${p}/later`]);

    // A watcher that throws does not break the client.
    await zk.getData(`${p}/later`, () => {
      throw new Error('boom');
    });
    await other.remove(`${p}/later`);
    await sleep(100);
    assert.equal((await zk.getData(p)).data.toString(), '2');
  });
});

describe('connection failures', () => {
  test('connecting to a closed port fails within the bound, naming the connect string', async () => {
    const port = await pickFreePort();
    const cs = `127.0.0.1:${port}`;
    const t0 = Date.now();
    const err = await rejectsWith(ZkClient.connect({ connectString: cs, connectTimeoutMs: 300, retry: { baseMs: 50, maxRetries: 2 } }), 'CONNECTION_LOSS');
    const took = Date.now() - t0;
    // 3 attempts x 300 ms + backoff of at most 50 + 150 ms
    assert.ok(took < 2500, `took ${took} ms`);
    assert.ok(took >= 900, `took only ${took} ms`);
    assert.ok(err.message.includes(`'${cs}'`), err.message);
    assert.match(err.message, /3 attempts/);
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('operations while disconnected fail with CONNECTION_LOSS after operationTimeoutMs; the session then resumes', async () => {
    const proxy = await startTcpProxy(connectString);
    try {
      const c = await client({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 8000, operationTimeoutMs: 600 });
      const sid = c.sessionId;
      await c.create(`${root}/resume`, Buffer.alloc(0), 'ephemeral');

      const disconnected = once(c, 'disconnected', 3000);
      proxy.setMode('refuse');
      await disconnected;
      assert.equal(c.connected, false);
      const t0 = Date.now();
      const err = await rejectsWith(c.getData(root), 'CONNECTION_LOSS');
      const took = Date.now() - t0;
      assert.ok(took >= 550 && took < 1500, `took ${took} ms`);
      assert.ok(isConnectionLoss(err));
      assert.match(err.message, /within 600 ms/);

      const reconnected = once<bigint>(c, 'reconnected', 5000);
      proxy.setMode('pass');
      assert.equal(await reconnected, sid);
      assert.equal(c.connected, true);
      assert.equal((await c.exists(`${root}/resume`))?.ephemeralOwner, sid);
    } finally {
      void proxy.close();
    }
  });

  test('a request without an answer fails with CONNECTION_LOSS after operationTimeoutMs', async () => {
    const proxy = await startTcpProxy(connectString);
    try {
      const c = await client({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 9000, operationTimeoutMs: 500 });
      proxy.setMode('blackhole');
      const t0 = Date.now();
      const err = await rejectsWith(c.getData(root), 'CONNECTION_LOSS');
      assert.ok(Date.now() - t0 < 1500);
      assert.match(err.message, /outcome is unknown/);
    } finally {
      void proxy.close();
    }
  });

  test('a read cut off by a dropped connection is sent again on the resumed session; a write is not', async () => {
    const proxy = await startTcpProxy(connectString);
    try {
      const c = await client({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 9000, operationTimeoutMs: 5000 });
      const sid = c.sessionId;
      await c.create(`${root}/cut`, Buffer.from('still here'));
      proxy.setMode('blackhole');
      // both in flight, unanswered, when the connection drops
      const read = c.getData(`${root}/cut`);
      const write = c.create(`${root}/cut-write`, Buffer.alloc(0)).then(
        () => 'resolved',
        (e: unknown) => (e instanceof ZkError ? e.codeName : String(e)),
      );
      await sleep(100);
      const reconnected = once<bigint>(c, 'reconnected', 5000);
      proxy.dropAll();
      proxy.setMode('pass');
      assert.equal(await reconnected, sid);
      assert.equal((await read).data.toString(), 'still here');
      // the write's outcome is unknown to the client: it is not re-sent, the caller hears of it
      assert.equal(await write, 'CONNECTION_LOSS');
    } finally {
      void proxy.close();
    }
  });

  test('a silent partition is detected; after the session timeout the client reports expiry', async () => {
    const proxy = await startTcpProxy(connectString);
    try {
      const c = await client({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 2000, operationTimeoutMs: 10_000 });
      const timeout = c.sessionTimeoutMs;
      assert.ok(timeout >= 1000 && timeout <= 2000, `negotiated ${timeout}`);
      const eph = `${root}/partitioned`;
      await c.create(eph, Buffer.alloc(0), 'ephemeral');

      const disconnected = once(c, 'disconnected', 3 * timeout);
      const expired = once<{ reason: string }>(c, 'expired', 5 * timeout);
      const waiting = c.getData(root).then(
        () => 'resolved',
        (e: unknown) => (e instanceof ZkError ? e.codeName : String(e)),
      );
      const t0 = Date.now();
      proxy.setMode('blackhole');
      await disconnected;
      const tDisc = Date.now() - t0;
      assert.ok(tDisc >= (timeout * 2) / 3 - 50 && tDisc < timeout + 1000, `disconnected after ${tDisc} ms`);
      assert.deepEqual(await expired, { reason: 'client-timeout' });
      const tExp = Date.now() - t0;
      assert.ok(tExp >= timeout, `expired after ${tExp} ms`);
      assert.ok(['CONNECTION_LOSS', 'SESSION_EXPIRED'].includes(await waiting));
      await rejectsWith(c.getData(root), 'SESSION_EXPIRED');
      assert.equal(c.connected, false);
      // The servers agree: the session's ephemeral node is gone.
      const deadline = Date.now() + 3 * timeout;
      while ((await zk.exists(eph)) !== null && Date.now() < deadline) await sleep(50);
      assert.equal(await zk.exists(eph), null);
    } finally {
      void proxy.close();
    }
  });

  test('expiry reported by the server on reconnect is surfaced as expired', async () => {
    const proxy = await startTcpProxy(connectString);
    try {
      const c = await client({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 4000 });
      const timeout = c.sessionTimeoutMs;
      const eph = `${root}/expired-by-server`;
      await c.create(eph, Buffer.alloc(0), 'ephemeral');
      const expired = once<{ reason: string }>(c, 'expired', 3 * timeout);
      const disconnected = once(c, 'disconnected', 2 * timeout);
      proxy.setMode('blackhole');
      await disconnected;
      // Wait until the server has expired the session (its ephemeral node is gone), then heal
      // the partition before the client's own timer runs out.
      while ((await zk.exists(eph)) !== null) await sleep(50);
      proxy.setMode('pass');
      proxy.dropAll();
      assert.deepEqual(await expired, { reason: 'server' });
      await rejectsWith(c.exists(root), 'SESSION_EXPIRED');
    } finally {
      void proxy.close();
    }
  });

  test('a dropped connection is re-established with the same session', async () => {
    const proxy = await startTcpProxy(connectString);
    try {
      const c = await client({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 6000 });
      const sid = c.sessionId;
      const events: string[] = [];
      c.on('disconnected', () => events.push('disconnected'));
      c.on('reconnected', () => events.push('reconnected'));
      const reconnected = once<bigint>(c, 'reconnected', 5000);
      proxy.dropAll();
      assert.equal(await reconnected, sid);
      assert.deepEqual(events, ['disconnected', 'reconnected']);
      await c.getData(root);
    } finally {
      void proxy.close();
    }
  });

  test('a chroot in the connect string is applied', async () => {
    const c = await client({ connectString: `${connectString}${root}` });
    await c.mkdirp('/chrooted/x');
    assert.ok(await zk.exists(`${root}/chrooted/x`));
    const r = await c.multi([{ op: 'create', path: '/chrooted/y' }]);
    assert.equal(r[0]?.path, '/chrooted/y');
    assert.deepEqual((await c.getChildren('/chrooted')).children.sort(), ['x', 'y']);
  });
});

describe('local ZooKeeper server', () => {
  test('starts on a free port, serves, and is gone after stop()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-local-test-'));
    try {
      const server = await startLocalZooKeeper({ dataDir: dir, tickTimeMs: 500 });
      assert.match(server.connectString, /^127\.0\.0\.1:\d+$/);
      assert.ok(processExists(server.pid));
      assert.ok(existsSync(join(dir, 'zookeeper.pid')));
      assert.equal(await probeZooKeeper('127.0.0.1', server.port, 1000), true);
      const c = await ZkClient.connect({ connectString: server.connectString, retry: { baseMs: 100, maxRetries: 2 } });
      await c.create('/hello', Buffer.from('world'));
      assert.equal((await c.getData('/hello')).data.toString(), 'world');
      await c.close();
      const t0 = Date.now();
      await server.stop();
      assert.ok(Date.now() - t0 < 10_000);
      assert.equal(processExists(server.pid), false);
      assert.equal(existsSync(join(dir, 'zookeeper.pid')), false);
      assert.equal(await probeZooKeeper('127.0.0.1', server.port, 500), false);
      await server.stop(); // idempotent
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing java gives a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-local-test-'));
    try {
      await assert.rejects(startLocalZooKeeper({ dataDir: dir, java: '/nonexistent/java' }), /could not run '\/nonexistent\/java' for ZooKeeper/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
