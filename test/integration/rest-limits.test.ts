/**
 * What a node gives clients before it refuses them (issue 18, finding 1; docs/security.md
 * "Limits"), against real node processes over real sockets: a body is not read before its
 * request is authenticated, and the connection goes with the 401; many slow unauthenticated
 * connections leave the node's memory (VmRSS of its process) within a stated bound while
 * authenticated requests keep being served; the in-flight body budget answers 503; bodies,
 * headers and whole requests that come too slowly are cut with 408; a connection beyond the
 * node's cap is refused.
 *
 * Bounds are generous and stated; nothing here asserts a duration.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeProc } from '../support/cluster-procs.js';
import { keystoneSkipReason, startKeystone, type KeystoneServer } from '../support/keystone.js';
import { freePort } from '../support/mn-conf.js';
import { RawHttp, requestHead } from '../support/raw-http.js';
import { basic, MT } from '../support/rest-helpers.js';
import { sleep, until } from '../support/wait.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const KEYSTONE = 'org.midonet.cluster.auth.keystone.KeystoneService';
const PW = 'midonet-pw';
const MiB = 1024 * 1024;

/** The slow unauthenticated connections of the memory test. */
const SLOW_CONNECTIONS = 1000;
/** What those may add to the node's resident memory: generous (each would carry 1 MiB if bodies were read first). */
const SLOW_RSS_BOUND = 64 * MiB;
/** The node's in-flight body budget here, and what that test's held bodies may add to its memory on top. */
const BODY_BUDGET = 8 * MiB;
const BUDGET_RSS_BOUND = BODY_BUDGET + 48 * MiB;

const skip = keystoneSkipReason();

/** Resident memory of a process, in bytes (VmRSS of /proc/<pid>/status). */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's VmRSS until stopped; the highest value seen. */
function sampleRss(pid: number): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      /* the process went: the test fails elsewhere */
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}

const mb = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

async function fetchStatus(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  await res.arrayBuffer();
  return res.status;
}

/** A raw TCP connection that sends nothing (or what the test writes); errors are closes here. */
function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', reject);
  });
}

describe('REST listener limits (issue 18, finding 1)', { skip }, () => {
  let ks: KeystoneServer;
  let dir: string;
  let node: NodeProc;
  let capped: NodeProc;
  let api: string;
  let token: string;

  before(async () => {
    ks = await startKeystone();
    const a = ks.admin;
    const service = await a.createProject('service');
    const user = await a.createUser('midonet', PW);
    await a.grant(service, user, await a.roleId('admin'));
    const { connectString } = await getTestZooKeeper();
    dir = mkdtempSync(join(tmpdir(), 'mido-limits-'));
    node = new NodeProc('limits', {
      zk: connectString,
      rootKey: uniqueRootKey(),
      dir: join(dir, 'node'),
      port: await freePort(),
      set: {
        'cluster.auth.provider_class': KEYSTONE,
        'cluster.auth.keystone.host': '127.0.0.1',
        'cluster.auth.keystone.port': String(ks.port),
        'cluster.auth.keystone.version': '3',
        'cluster.auth.keystone.tenant_name': 'service',
        'cluster.auth.keystone.user_name': 'midonet',
        'cluster.auth.keystone.user_password': PW,
        'cluster.auth.admin_role': 'admin',
        'cluster.rest_api.max_connections': '1100',
        'cluster.rest_api.max_body_bytes_in_flight': String(BODY_BUDGET),
        'cluster.rest_api.headers_timeout': '4s',
        'cluster.rest_api.receive_timeout': '12s',
        'cluster.rest_api.body_idle_timeout': '2s',
        'cluster.loggers.root': 'WARN',
      },
    });
    // the mock provider (no token needed), a cap small enough to reach, headers waited for long
    capped = new NodeProc('capped', {
      zk: connectString,
      rootKey: uniqueRootKey(),
      dir: join(dir, 'capped'),
      port: await freePort(),
      set: {
        'cluster.rest_api.max_connections': '20',
        'cluster.rest_api.headers_timeout': '120s',
        'cluster.rest_api.receive_timeout': '120s',
        'cluster.loggers.root': 'WARN',
      },
    });
    node.start();
    capped.start();
    await Promise.all([node.ready(), capped.ready()]);
    api = `http://127.0.0.1:${node.port}/midonet-api`;
    const login = await fetch(`${api}/login`, { method: 'POST', headers: { Authorization: basic('midonet', PW) } });
    const text = await login.text();
    assert.equal(login.status, 200, text);
    token = (JSON.parse(text) as { key: string }).key;
  });

  after(async () => {
    await node?.cleanup();
    await capped?.cleanup();
    await ks?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a POST without a token: 401 before its body is read, and the connection closed without waiting for the body', async () => {
    const c = await RawHttp.open(api);
    try {
      await c.write(requestHead('POST', `${api}/bridges`, { 'Content-Type': MT.bridge, 'Content-Length': String(900 * 1024) }));
      await c.write('{"name": "never-read');
      const res = await c.response();
      assert.equal(res.status, 401);
      assert.equal((JSON.parse(res.body) as { code: number }).code, 401);
      assert.equal(res.headers['connection'], 'close');
      // the 900 KiB body is never sent: the server closes on its own
      await c.serverClosed();
      assert.ok(c.sent < 1024, `${c.sent} bytes sent`);
    } finally {
      c.destroy();
    }
  });

  it(`${SLOW_CONNECTIONS} slow unauthenticated connections, each sending part of a 1 MiB body: memory growth under ${mb(SLOW_RSS_BOUND)}, authenticated requests served`, async () => {
    // a write and a read of one object, over and over (a growing list would grow the node's memory by itself)
    const auth = { 'X-Auth-Token': token };
    const once = async (i: number): Promise<number[]> => {
      const res = await fetch(`${api}/bridges`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': MT.bridge },
        body: JSON.stringify({ name: `b${i}`, tenantId: 'admin' }),
        signal: AbortSignal.timeout(60_000),
      });
      await res.arrayBuffer();
      const location = res.headers.get('location') ?? `${api}/bridges/none`;
      return [res.status, await fetchStatus(location, { headers: auth }), await fetchStatus(location, { method: 'DELETE', headers: auth })];
    };
    // warm those paths first, so the baseline holds what serving them costs anyway
    for (let i = 0; i < 20; i++) assert.deepEqual(await once(i), [201, 200, 204]);
    const before = rssOf(node.pid);
    const peak = sampleRss(node.pid);
    const piece = Buffer.alloc(4096, 0x61);
    let stop = false;
    const served: number[] = [];
    const steady = (async () => {
      for (let i = 0; !stop; i++) served.push(...(await once(i)));
    })();
    const statuses: number[] = [];
    const closedByServer: boolean[] = [];
    const slow = async (): Promise<void> => {
      const c = await RawHttp.open(api);
      try {
        await c.write(requestHead('POST', `${api}/bridges`, { 'Content-Type': MT.bridge, 'Content-Length': String(MiB) }));
        // a piece, a pause, as long as the server lets the connection be (at most 1 MiB)
        for (let sent = 0; sent < MiB && !c.closed; sent += piece.length) {
          await c.write(piece).catch(() => undefined);
          await sleep(20);
        }
        statuses.push((await c.response(60_000)).status);
        await c.serverClosed(60_000);
        closedByServer.push(true);
      } finally {
        c.destroy();
      }
    };
    // all of them at once, opened 100 at a time
    const running: Promise<void>[] = [];
    for (let i = 0; i < SLOW_CONNECTIONS; i += 100) {
      const batch = Array.from({ length: Math.min(100, SLOW_CONNECTIONS - i) }, () => slow());
      running.push(...batch);
      await Promise.race([Promise.allSettled(batch), sleep(100)]);
    }
    const results = await Promise.allSettled(running);
    stop = true;
    await steady;
    const grown = peak.stop() - before;
    process.stderr.write(
      `# node VmRSS ${mb(before)} before, peak growth ${mb(grown)} over ${SLOW_CONNECTIONS} slow connections; ${served.length} authenticated requests served meanwhile\n`,
    );
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    assert.equal(statuses.length, SLOW_CONNECTIONS);
    assert.deepEqual([...new Set(statuses)], [401]);
    assert.equal(closedByServer.length, SLOW_CONNECTIONS);
    assert.ok(served.length >= 2, 'authenticated requests were made meanwhile');
    assert.deepEqual([...new Set(served)].sort(), [200, 201, 204]);
    assert.ok(grown < SLOW_RSS_BOUND, `VmRSS grew by ${mb(grown)}, bound ${mb(SLOW_RSS_BOUND)}`);
  });

  it(`authenticated slow bodies: ${mb(BODY_BUDGET)} in flight at most, the rest 503 at once; those held cut with 408 when they stall`, async () => {
    const before = rssOf(node.pid);
    const peak = sampleRss(node.pid);
    const declared = 512 * 1024;
    const held = BODY_BUDGET / declared;
    const conns = await Promise.all(Array.from({ length: 40 }, () => RawHttp.open(api)));
    try {
      for (const c of conns) {
        await c.write(requestHead('POST', `${api}/bridges`, { 'X-Auth-Token': token, 'Content-Type': MT.bridge, 'Content-Length': String(declared) }));
        await c.write(Buffer.alloc(1024, 0x20));
      }
      // the bodies that got in keep coming (never idle) until every other one has its 503
      let trickling = true;
      const trickle = (async () => {
        while (trickling) {
          for (const c of conns) if (!c.answered) await c.write(' ').catch(() => undefined);
          await sleep(300);
        }
      })();
      try {
        await until('the bodies beyond the budget refused', () => conns.filter((c) => c.answered).length >= conns.length - held, 60_000, 50);
        // the budget is the node's: a small body is refused too, while a read is served
        const small = await fetchStatus(`${api}/bridges`, {
          method: 'POST',
          headers: { 'X-Auth-Token': token, 'Content-Type': MT.bridge },
          body: '{"name": "small", "tenantId": "admin"}',
        });
        assert.equal(small, 503);
        // a chunked one is refused at its first piece
        const chunked = await RawHttp.open(api);
        try {
          await chunked.write(requestHead('POST', `${api}/bridges`, { 'X-Auth-Token': token, 'Content-Type': MT.bridge, 'Transfer-Encoding': 'chunked' }));
          await chunked.write('10\r\n{"name": "chunk"\r\n');
          const res = await chunked.response();
          assert.equal(res.status, 503);
          assert.equal(res.headers['connection'], 'close');
          await chunked.serverClosed();
        } finally {
          chunked.destroy();
        }
        assert.equal(await fetchStatus(`${api}/bridges`, { headers: { 'X-Auth-Token': token } }), 200);
      } finally {
        trickling = false;
        await trickle;
      }
      // then they stall: cut at body_idle_timeout
      const answers = await Promise.all(conns.map((c) => c.response(60_000)));
      const refused = answers.filter((r) => r.status === 503);
      const cut = answers.filter((r) => r.status === 408);
      assert.equal(refused.length + cut.length, conns.length, `statuses: ${answers.map((r) => r.status).join(',')}`);
      assert.equal(cut.length, held);
      for (const r of refused) {
        assert.equal(r.headers['retry-after'], '3');
        assert.equal(r.headers['connection'], 'close');
        assert.equal((JSON.parse(r.body) as { code: number }).code, 503);
      }
      for (const r of cut) {
        assert.equal(r.headers['connection'], 'close');
        assert.match((JSON.parse(r.body) as { message: string }).message, /stopped arriving/);
      }
      await Promise.all(conns.map((c) => c.serverClosed(60_000)));
      // the budget is given back: a body fits again
      assert.equal(
        await fetchStatus(`${api}/bridges`, {
          method: 'POST',
          headers: { 'X-Auth-Token': token, 'Content-Type': MT.bridge },
          body: '{"name": "after", "tenantId": "admin"}',
        }),
        201,
      );
    } finally {
      for (const c of conns) c.destroy();
    }
    const grown = peak.stop() - before;
    process.stderr.write(`# node VmRSS peak growth ${mb(grown)} with the body budget full\n`);
    assert.ok(grown < BUDGET_RSS_BOUND, `VmRSS grew by ${mb(grown)}, bound ${mb(BUDGET_RSS_BOUND)}`);
  });

  it('a body trickling in too slowly is cut at receive_timeout with 408 in the API format, the connection closed', async () => {
    const c = await RawHttp.open(api);
    try {
      await c.write(requestHead('POST', `${api}/bridges`, { 'X-Auth-Token': token, 'Content-Type': MT.bridge, 'Content-Length': '100000' }));
      // a byte every 500 ms: never idle for body_idle_timeout (2 s), always short of the whole request
      while (!c.closed && c.sent < 100_000) {
        await c.write(' ').catch(() => undefined);
        await sleep(500);
      }
      const res = await c.response();
      assert.equal(res.status, 408);
      assert.equal((JSON.parse(res.body) as { code: number }).code, 408);
      assert.ok(c.closed);
      assert.ok(c.sent < 1000, `${c.sent} bytes sent before the cut`);
    } finally {
      c.destroy();
    }
  });

  it('headers trickling in too slowly are cut at headers_timeout with 408', async () => {
    const c = await RawHttp.open(api);
    try {
      await c.write(`GET /midonet-api/bridges HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: ${token}\r\n`);
      let n = 0;
      while (!c.closed && n < 1000) {
        await c.write(`X-Slow-${n++}: 1\r\n`).catch(() => undefined);
        await sleep(500);
      }
      const res = await c.response();
      assert.equal(res.status, 408);
      assert.ok(c.closed);
      assert.ok(n < 1000, 'the headers were cut before the client gave up');
    } finally {
      c.destroy();
    }
  });

  it('a connection beyond max_connections is closed on accept, unanswered; served again once one goes', async () => {
    const url = `http://127.0.0.1:${capped.port}`;
    assert.equal(await fetchStatus(`${url}/midonet-api/bridges`, { headers: { Connection: 'close' } }), 200);
    const held: Socket[] = [];
    try {
      let answered = true;
      // 20 connections that send nothing fill the cap (again, should one of them have come while
      // the node was still closing an earlier connection: then it was the one refused)
      await until(
        'the cap full with 20 held connections',
        async () => {
          for (const s of held.splice(0)) s.destroy();
          for (let i = 0; i < 20; i++) held.push(await openSocket(capped.port));
          const extra = await RawHttp.open(url);
          try {
            await extra.write(requestHead('GET', `${url}/midonet-api/bridges`, {})).catch(() => undefined);
            await extra.serverClosed(30_000);
            answered = extra.answered;
          } finally {
            extra.destroy();
          }
          return held.every((s) => !s.destroyed);
        },
        60_000,
        200,
      );
      assert.equal(answered, false, 'the connection beyond the cap got no answer');
      await until(
        'the refusal logged',
        () => /connection refused: the node holds cluster\.rest_api\.max_connections \(20\) connections/.test(readFileSync(capped.logFile, 'utf8')),
        10_000,
        100,
      );
      // one of the 20 goes: the next connection is served
      held.pop()?.destroy();
      await until(
        'served below the cap',
        async () => (await fetchStatus(`${url}/midonet-api/bridges`, { headers: { Connection: 'close' } }).catch(() => 0)) === 200,
        30_000,
        100,
      );
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
