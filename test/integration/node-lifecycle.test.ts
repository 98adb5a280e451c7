/**
 * A node's lifecycle against a real ZooKeeper, in process (the failover suites do it with real
 * processes and HAProxy): the health endpoints, the discovery registration, the ZooKeeper
 * connection lost (through a TCP proxy: /readyz 503 at once, API 503 with Retry-After and no
 * hang, back to 200) and the session expired (a new session: the store, the registration and the
 * leader latch carry on on it), the heartbeat, the leader slots, drain() and the drain file.
 * Figures are printed with `[figures]`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Settings } from '../../lib/conf/settings.js';
import { configureLogging } from '../../lib/log/logger.js';
import { ZkClient } from '../../lib/zk/client.js';
import { CLUSTER_SERVICE_NAME, parseInstance } from '../../lib/zk/service-discovery.js';
import { housekeepingLatchPath, type LeaderContext } from '../../services/cluster-node/leader-services.js';
import { startClusterNode, type ClusterNode } from '../../services/cluster-node/node.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const TOKEN = { 'X-Auth-Token': 'any' };
const BRIDGE = 'application/vnd.org.midonet.Bridge-v4+json';

let connectString: string;
let admin: ZkClient;
let dir: string;
const nodes: ClusterNode[] = [];
const proxies: TcpProxy[] = [];

function figures(line: string): void {
  console.log(`[figures] ${line}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> | undefined;
  ms: number;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const t0 = Date.now();
  const res = await fetch(url, {
    ...init,
    headers: { ...TOKEN, ...(init.headers as Record<string, string> | undefined) },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, ms: Date.now() - t0 };
}

async function start(opts: { rootKey: string; zk?: string; set?: Record<string, string> }): Promise<ClusterNode> {
  const node = await startClusterNode({
    zookeeperHosts: opts.zk ?? connectString,
    rootKey: opts.rootKey,
    hostId: randomUUID(),
    settings: new Settings({ 'cluster.rest_api.http_host': '127.0.0.1', 'cluster.rest_api.http_port': '0', ...opts.set }),
  });
  nodes.push(node);
  return node;
}

before(async () => {
  configureLogging({ format: 'text', level: process.env['TEST_LOG'] ? 'debug' : 'error', silent: !process.env['TEST_LOG'] });
  connectString = (await getTestZooKeeper()).connectString;
  admin = await ZkClient.connect({ connectString });
  dir = mkdtempSync(join(tmpdir(), 'node-lifecycle-'));
});

after(async () => {
  for (const n of nodes) await n.stop().catch(() => undefined);
  for (const p of proxies) await p.close();
  await admin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node lifecycle', () => {
  test('/healthz and /readyz: outside the API root, no auth, readiness detail with the housekeeping leader; registered in discovery', async () => {
    const rootKey = uniqueRootKey();
    const node = await start({ rootKey });
    const base = node.httpAddress;
    const live = await fetch(`${base}/healthz`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as { status: string }).status, 'alive');
    const ready = await until('housekeeping leader in /readyz', async () => {
      const r = await call(`${base}/readyz`);
      const hk = (r.json?.['leaders'] as Record<string, { self: boolean; leader: string | null }> | undefined)?.['housekeeping'];
      return r.status === 200 && hk?.self ? r : undefined;
    });
    assert.equal(ready.json?.['status'], 'ready');
    assert.deepEqual(ready.json?.['reasons'], []);
    const checks = ready.json?.['checks'] as Record<string, { ok: boolean; state?: string }>;
    assert.equal(checks['zookeeper']?.state, 'connected');
    const hk = (ready.json?.['leaders'] as Record<string, { path: string; leader: string }>)['housekeeping'];
    assert.equal(hk?.leader, node.hostId);
    assert.equal(hk?.path, housekeepingLatchPath(rootKey));
    // HEAD works, other methods do not, and the API root does not have them
    assert.equal((await fetch(`${base}/readyz`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${base}/readyz`, { method: 'POST' })).status, 405);
    assert.equal((await call(`${node.apiUrl}/readyz`)).status, 404);
    // the Curator x-discovery registration: ephemeral, owned by the node's session
    const path = `${rootKey}/service-discovery/${CLUSTER_SERVICE_NAME}/${node.hostId}`;
    const { data, stat } = await admin.getData(path);
    assert.equal(stat.ephemeralOwner, node.zk.sessionId);
    const inst = parseInstance(data);
    assert.equal(inst.address, '127.0.0.1');
    assert.equal(inst.port, Number(new URL(base).port));
    assert.equal(inst.serviceType, 'DYNAMIC');
    assert.deepEqual(inst.uriSpec, { parts: [{ value: node.apiUrl, variable: false }] });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /midonet_cluster_service_leader\{service="housekeeping"\} 1/);
  });

  test('ZooKeeper connection lost: /readyz 503 at once, API 503 + Retry-After without hanging; back to 200 when it returns', async () => {
    const proxy = await startTcpProxy(connectString);
    proxies.push(proxy);
    const node = await start({
      rootKey: uniqueRootKey(),
      zk: proxy.address,
      set: { 'zookeeper.session_timeout': '8000', 'cluster.rest_api.zookeeper_wait': '700ms' },
    });
    const api = node.apiUrl;
    assert.equal((await call(`${api}/bridges`)).status, 200);
    proxy.setMode('refuse');
    const t0 = Date.now();
    const down = await until('/readyz 503', async () => {
      const r = await call(`${node.httpAddress}/readyz`);
      return r.status === 503 ? r : undefined;
    });
    const tReady = Date.now() - t0;
    assert.match(String((down.json?.['reasons'] as string[])[0]), /ZooKeeper session (disconnected|connecting)/);
    // the first request waits up to zookeeper_wait for the connection, then 503
    const first = await call(`${api}/bridges`);
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('retry-after'), '3');
    await sleep(750);
    // the connection has been away longer than zookeeper_wait: 503 at once
    const later = await call(`${api}/bridges`);
    const write = await call(`${api}/bridges`, { method: 'POST', headers: { 'Content-Type': BRIDGE }, body: JSON.stringify({ name: 'x', tenantId: 't' }) });
    assert.equal(later.status, 503);
    assert.equal(write.status, 503);
    assert.equal(write.headers.get('retry-after'), '3');
    figures(
      `connection lost: /readyz 503 after ${tReady} ms; API 503 after ${first.ms} ms (zookeeper_wait 700 ms), then GET ${later.ms} ms, POST ${write.ms} ms`,
    );
    proxy.setMode('pass');
    const t1 = Date.now();
    await until('/readyz 200 again', async () => (await call(`${node.httpAddress}/readyz`)).status === 200);
    figures(`connection back: /readyz 200 after ${Date.now() - t1} ms`);
    assert.equal((await call(`${api}/bridges`)).status, 200);
    assert.equal(node.session.sessionCount, 1, 'same session');
  });

  test('session expired: a new session; the store, the registration and the leader latch carry on on it', async () => {
    const proxy = await startTcpProxy(connectString);
    proxies.push(proxy);
    const rootKey = uniqueRootKey();
    const node = await start({ rootKey, zk: proxy.address, set: { 'zookeeper.session_timeout': '2000', 'zookeeper.base_retry': '200ms' } });
    const api = node.apiUrl;
    await until('leader', () => node.leaders.isLeader());
    const firstSession = node.zk.sessionId;
    proxy.setMode('blackhole');
    const t0 = Date.now();
    await until('session expired', () => node.session.client?.state === 'expired' || node.session.sessionCount > 1, 10_000);
    const tExpired = Date.now() - t0;
    assert.equal((await call(`${node.httpAddress}/readyz`)).status, 503);
    const during = await call(`${api}/bridges`);
    assert.equal(during.status, 503);
    proxy.setMode('pass');
    proxy.dropAll();
    const t1 = Date.now();
    await until('ready on a new session', async () => (await call(`${node.httpAddress}/readyz`)).status === 200, 15_000);
    const tBack = Date.now() - t1;
    assert.ok(node.session.sessionCount >= 2);
    assert.notEqual(node.zk.sessionId, firstSession);
    // the store writes through the new session
    const created = await call(`${api}/bridges`, {
      method: 'POST',
      headers: { 'Content-Type': BRIDGE },
      body: JSON.stringify({ name: 'after-expiry', tenantId: 't' }),
    });
    assert.equal(created.status, 201);
    // registered again, owned by the new session
    const path = `${rootKey}/service-discovery/${CLUSTER_SERVICE_NAME}/${node.hostId}`;
    await until('registration on the new session', async () => (await admin.exists(path))?.ephemeralOwner === node.zk.sessionId);
    await until('leader again', () => node.leaders.isLeader());
    figures(
      `session expiry (2000 ms requested): expired ${tExpired} ms after the partition, during it API ${during.status} in ${during.ms} ms; ready on a new session ${tBack} ms after it healed`,
    );
  });

  test('heartbeat: a beat per period, logged and counted', async () => {
    const node = await start({ rootKey: uniqueRootKey(), set: { 'cluster.heartbeat.enabled': 'true', 'cluster.heartbeat.period': '100ms' } });
    assert.ok(node.heartbeat);
    await until('3 beats', () => (node.heartbeat?.beats ?? 0) >= 3);
    const text = await (await fetch(`${node.httpAddress}/metrics`)).text();
    const beats = Number(/midonet_cluster_heartbeat_beats_total (\d+)/.exec(text)?.[1]);
    assert.ok(beats >= 3, `metric ${beats}`);
    const off = await start({ rootKey: uniqueRootKey() });
    assert.equal(off.heartbeat, undefined, "off by default (the original's default)");
  });

  test('leader slots: a task runs on one node only, moves when the leader stops, and writes behind the fence', async () => {
    const rootKey = uniqueRootKey();
    const a = await start({ rootKey });
    const b = await start({ rootKey });
    const running = new Map<string, LeaderContext>();
    const marks = `${rootKey}/housekeeping-marks`;
    await admin.mkdirp(marks);
    for (const n of [a, b]) {
      n.leaders.register({
        name: 'test-task',
        start: async (ctx) => {
          running.set(n.hostId, ctx);
          await ctx.fencedMulti([{ op: 'create', path: `${marks}/m-`, data: Buffer.from(n.hostId), mode: 'persistent_sequential' }]);
        },
        stop: () => {
          running.delete(n.hostId);
        },
      });
    }
    await until('one task running', () => running.size === 1);
    const [leaderId] = [...running.keys()];
    const leader = leaderId === a.hostId ? a : b;
    const other = leader === a ? b : a;
    assert.equal((await admin.getChildren(marks)).children.length, 1);
    const t0 = Date.now();
    await leader.stop();
    await until('the task moved', () => running.has(other.hostId) && !running.has(leader.hostId));
    figures(`leader slot hand-over on stop: ${Date.now() - t0} ms`);
    const writers = await Promise.all(
      (await admin.getChildren(marks)).children.sort().map(async (c) => (await admin.getData(`${marks}/${c}`)).data.toString()),
    );
    assert.deepEqual(writers, [leader.hostId, other.hostId]);
  });

  test('drain(): /readyz 503 and out of discovery at once, requests served during the delay, then the listener closes', async () => {
    const rootKey = uniqueRootKey();
    const node = await start({ rootKey });
    const path = `${rootKey}/service-discovery/${CLUSTER_SERVICE_NAME}/${node.hostId}`;
    assert.ok(await admin.exists(path));
    const draining = node.drain({ reason: 'test', delayMs: 600 });
    await until('/readyz 503', async () => (await call(`${node.httpAddress}/readyz`)).status === 503);
    const r = await call(`${node.httpAddress}/readyz`);
    assert.deepEqual(r.json?.['reasons'], ['draining (test)']);
    assert.equal(await admin.exists(path), null, 'unregistered');
    assert.equal((await call(`${node.apiUrl}/bridges`)).status, 200, 'still serving during the delay');
    await draining;
    await node.stopped;
    await assert.rejects(fetch(`${node.httpAddress}/healthz`));
  });

  test('the drain file: touched after the start, the node drains and stops', async () => {
    const file = join(dir, 'drain');
    writeFileSync(file, 'old'); // left from an earlier drain: ignored
    const past = new Date(Date.now() - 60_000);
    utimesSync(file, past, past);
    const node = await start({ rootKey: uniqueRootKey(), set: { 'cluster.drain.file': file, 'cluster.drain.delay': '0ms' } });
    await sleep(700);
    assert.equal((await call(`${node.httpAddress}/readyz`)).status, 200, 'a drain file from before the start is ignored');
    rmSync(file);
    const t0 = Date.now();
    writeFileSync(file, '');
    await node.stopped;
    figures(`drain file: node stopped ${Date.now() - t0} ms after the file appeared (polled every 500 ms)`);
  });
});
