/**
 * The generated HAProxy configuration with the real HAProxy (Debian's 2.6): `haproxy -c` on
 * generated configurations, a real HAProxy in front of small node:http servers on loopback
 * (requests through the VIP, health checks, retries when a node dies), and the discovery-driven
 * watcher rewriting and reloading HAProxy (-sf) while requests keep flowing. Every HAProxy
 * started here is stopped by the pid in its pid file. Figures are printed with `[figures]`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateHaproxyConfig, type HaproxyNode, type HaproxyOptions } from '../../haproxy/generate.js';
import { checkConfigText, readPids, runningPids, serverStatus, startHaproxy, stopHaproxy } from '../../haproxy/process.js';
import { HaproxyWatcher, type ReloadInfo } from '../../haproxy/watch.js';
import { ZkClient } from '../../lib/zk/client.js';
import { ServiceDiscovery, discoveryBasePath } from '../../lib/zk/service-discovery.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const HAVE_HAPROXY = spawnSync('haproxy', ['-v']).status === 0;
const skip = HAVE_HAPROXY ? false : 'haproxy is not installed (apt-get install haproxy)';

let dir: string;
const pidFiles: string[] = [];
const backends: Backend[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** A stand-in cluster node: /readyz (200 or 503), everything else answers who served it. */
class Backend {
  ready = true;
  hits = 0;
  lastHeaders: IncomingHttpHeaders = {};
  port = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(readonly name: string) {
    this.server = createServer((req, res) => {
      if (req.url === '/readyz') {
        res.writeHead(this.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: this.ready }));
        return;
      }
      req.resume();
      req.on('end', () => {
        this.hits++;
        this.lastHeaders = req.headers;
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ server: this.name, method: req.method }));
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this;
  }

  node(): HaproxyNode {
    return { id: this.name, address: '127.0.0.1', port: this.port };
  }

  /** Like kill -9 of the process: connections cut, the port refuses from now on. */
  kill(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

async function backend(name: string): Promise<Backend> {
  const b = await new Backend(name).listen();
  backends.push(b);
  return b;
}

interface Reply {
  status: number;
  server?: string;
}

/** One request on a new connection (no keep-alive), 5 s bound. */
function call(port: number, method = 'GET', path = '/midonet-api/x'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, timeout: 5000, headers: method === 'POST' ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        let server: string | undefined;
        try {
          server = (JSON.parse(body) as { server?: string }).server;
        } catch {
          // HAProxy's own error pages are HTML
        }
        resolve({ status: res.statusCode ?? 0, server });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

function ok(r: Reply): boolean {
  return r.status === 200 || r.status === 201;
}

/** Fast checks so the tests do not wait 2 s per probe; everything else as generated by default. */
function testOptions(extra: HaproxyOptions = {}): HaproxyOptions {
  return { log: null, check: { inter: '200ms', rise: 1, fall: 2 }, statsSocket: join(dir, `admin-${pidFiles.length}.sock`), ...extra };
}

async function runHaproxy(cfg: string): Promise<{ pid: number; pidFile: string }> {
  const n = pidFiles.length;
  const configFile = join(dir, `haproxy-${n}.cfg`);
  const pidFile = join(dir, `haproxy-${n}.pid`);
  pidFiles.push(pidFile);
  writeFileSync(configFile, cfg);
  return { pid: await startHaproxy({ configFile, pidFile }), pidFile };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mido-haproxy-test-'));
});

after(async () => {
  for (const p of pidFiles) await stopHaproxy(p).catch(() => undefined);
  for (const b of backends) b.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('haproxy', { skip }, () => {
  test('haproxy -c accepts every generated variant', async () => {
    const nodes: HaproxyNode[] = [
      { id: 'n1', address: '10.0.0.1', port: 8181, sslPort: 8443 },
      { id: 'n2', address: '10.0.0.2', port: 8181, sslPort: 8443 },
      { id: 'n3', address: 'fd00::3', port: 8181 },
    ];
    const state = join(dir, 'state');
    writeFileSync(state, '1\n');
    const variants: [string, HaproxyOptions, HaproxyNode[]][] = [
      ['defaults', {}, nodes],
      ['no nodes', {}, []],
      ['tls passthrough + stats page + state file', { tlsPort: 8443, statsBind: { address: '127.0.0.1', port: 8404 }, serverStateFile: state }, nodes],
      ['leastconn, no log, custom timeouts', { balance: 'leastconn', log: null, timeouts: { server: 120_000, connect: '1s' }, check: { inter: '1s', rise: 3, fall: 5 } }, nodes],
      ['stdout logging', { log: 'stdout format raw local0 info' }, nodes],
    ];
    for (const [what, options, list] of variants) {
      const r = await checkConfigText(generateHaproxyConfig({ address: '0.0.0.0', port: 8181 }, list, { statsSocket: join(dir, 'c.sock'), ...options }));
      assert.ok(r.ok, `${what}: ${r.output}`);
      assert.doesNotMatch(r.output, /\[ALERT\]/, what);
      assert.deepEqual(r.warnings, [], `${what}: ${r.output}`);
    }
    const broken = await checkConfigText('frontend x\n    bind 127.0.0.1:1\n    no_such_keyword\n');
    assert.equal(broken.ok, false, 'and it does reject a broken one');
  });

  test('through the VIP: round robin, X-Forwarded-*, readiness, retries when a node dies', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const vip = await freePort();
    const opts = testOptions();
    const { pid } = await runHaproxy(generateHaproxyConfig({ address: '127.0.0.1', port: vip }, [a.node(), b.node()], opts));
    assert.ok(pid > 0);
    await until('first answer through the VIP', async () => ok(await call(vip).catch(() => ({ status: 0 }))), 5000);
    const served: string[] = [];
    for (let i = 0; i < 10; i++) served.push((await call(vip)).server ?? '?');
    assert.deepEqual(new Set(served), new Set(['a', 'b']), `round robin over both: ${served.join(',')}`);
    assert.ok(served.every((s, i) => i === 0 || s !== served[i - 1]), `alternating: ${served.join(',')}`);
    assert.equal(a.lastHeaders['x-forwarded-proto'], 'http');
    assert.equal(a.lastHeaders['x-forwarded-for'], '127.0.0.1');

    // Not ready: out of rotation after `fall` failed checks, back after `rise` good ones.
    a.ready = false;
    await until('a marked down', async () => (await serverStatus(opts.statsSocket as string)).some((s) => s.server === 'a' && s.status.startsWith('DOWN')), 5000);
    const hitsA = a.hits;
    for (let i = 0; i < 6; i++) assert.equal((await call(vip)).server, 'b');
    assert.equal(a.hits, hitsA, 'no request reached the node that is not ready');
    a.ready = true;
    await until('a back up', async () => (await serverStatus(opts.statsSocket as string)).some((s) => s.server === 'a' && s.status === 'UP'), 5000);

    // Dies (connections refused) while still UP for HAProxy: every request, POST included,
    // is retried on b (conn-failure + redispatch); none fails.
    a.kill();
    const replies: Reply[] = [];
    for (let i = 0; i < 20; i++) replies.push(await call(vip, i % 2 === 0 ? 'GET' : 'POST'));
    const failed = replies.filter((r) => !ok(r));
    process.stdout.write(`[figures] haproxy: node killed while marked UP: ${replies.length - failed.length}/${replies.length} requests OK (GET+POST), all on b\n`);
    assert.deepEqual(failed, []);
    assert.ok(replies.every((r) => r.server === 'b'));
  });

  test('watch mode: discovery changes rewrite the config and reload (-sf) without a failed request', async (t) => {
    const { connectString } = await getTestZooKeeper();
    const root = uniqueRootKey();
    const zkW = await ZkClient.connect({ connectString, sessionTimeoutMs: 10_000 });
    const zkA = await ZkClient.connect({ connectString, sessionTimeoutMs: 10_000 });
    const zkB = await ZkClient.connect({ connectString, sessionTimeoutMs: 10_000 });
    const base = discoveryBasePath(root);
    const watchDiscovery = new ServiceDiscovery(zkW, { basePath: base });
    const dA = new ServiceDiscovery(zkA, { basePath: base });
    const dB = new ServiceDiscovery(zkB, { basePath: base });
    const [a, b, c] = [await backend('wa'), await backend('wb'), await backend('wc')];
    const vip = await freePort();
    const configFile = join(dir, 'watch.cfg');
    const pidFile = join(dir, 'watch.pid');
    pidFiles.push(pidFile);
    const opts = testOptions({ serverStateFile: join(dir, 'watch.state') });
    const watcher = new HaproxyWatcher({ discovery: watchDiscovery, vip: { address: '127.0.0.1', port: vip }, options: opts, configFile, pidFile, debounceMs: 100 });
    const reloads: ReloadInfo[] = [];
    watcher.on('reloaded', (i) => reloads.push(i));
    const failures: Error[] = [];
    watcher.on('failed', (e) => failures.push(e));
    let stopLoad = false;
    let load: Promise<void> = Promise.resolve();
    t.after(async () => {
      stopLoad = true;
      await load.catch(() => undefined);
      await watcher.stop();
      for (const d of [watchDiscovery, dA, dB]) await d.close();
      await zkW.removeRecursive(root).catch(() => undefined);
      for (const z of [zkW, zkA, zkB]) await z.close();
    });

    await dA.register({ name: 'midonet-cluster', id: 'wa', address: '127.0.0.1', port: a.port });
    await watcher.start();
    assert.equal(reloads.length, 1, 'started HAProxy for the first node');
    const firstPid = reloads[0]!.pid;
    assert.deepEqual(runningPids(pidFile), [firstPid]);
    await until('served through the VIP', async () => (await call(vip).catch((): Reply => ({ status: 0 }))).server === 'wa', 5000);

    // Requests on new connections, back to back, for the rest of the test.
    const stats = { ok: 0, failed: 0, errors: [] as string[], by: new Map<string, number>() };
    load = (async () => {
      const deadline = Date.now() + 30_000;
      while (!stopLoad && Date.now() < deadline) {
        try {
          const r = await call(vip);
          if (ok(r)) {
            stats.ok++;
            stats.by.set(r.server ?? '?', (stats.by.get(r.server ?? '?') ?? 0) + 1);
          } else {
            stats.failed++;
            stats.errors.push(`HTTP ${r.status}`);
          }
        } catch (e) {
          stats.failed++;
          stats.errors.push((e as Error).message);
        }
      }
    })();

    await dB.register({ name: 'midonet-cluster', id: 'wb', address: '127.0.0.1', port: b.port });
    await until('reload for wb', () => reloads.length === 2, 5000);
    await until('wb serves', () => (stats.by.get('wb') ?? 0) > 5, 5000);
    await dB.register({ name: 'midonet-cluster', id: 'wc', address: '127.0.0.1', port: c.port });
    await until('reload for wc', () => reloads.length === 3, 5000);
    await until('wc serves', () => (stats.by.get('wc') ?? 0) > 5, 5000);
    // wa leaves (its session closes): reload, then wa gets nothing more.
    await dA.close();
    await until('reload without wa', () => reloads.length === 4, 5000);
    await sleep(300); // requests already in flight on the old process
    const aHits = a.hits;
    const before = stats.ok;
    await until('more traffic', () => stats.ok > before + 50, 5000);
    stopLoad = true;
    await load;
    assert.equal(a.hits, aHits, 'the removed node got no new request');
    const pids = reloads.map((r) => r.pid);
    assert.equal(new Set(pids).size, 4, `a new process per reload: ${pids.join(',')}`);
    assert.deepEqual(readPids(pidFile), [pids[3]], 'the pid file names the newest process');
    await until('old processes gone', () => pids.slice(0, 3).every((p) => !runningPids(pidFile).includes(p)), 5000);
    assert.deepEqual(failures, []);
    process.stdout.write(
      `[figures] haproxy watch: ${reloads.length - 1} reloads (${reloads
        .slice(1)
        .map((r) => `${r.ms} ms`)
        .join(', ')}), ${stats.ok} requests OK, ${stats.failed} failed during them; per node ${JSON.stringify(Object.fromEntries(stats.by))}\n`,
    );
    assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('; '));
  });
});
