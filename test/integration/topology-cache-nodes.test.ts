/**
 * The topology cache (lib/nsdb/cache, docs/decisions/0030) with real processes: two cluster
 * nodes on one ZooKeeper, writes through node A, reads through node B, which answers from its
 * cache (on by default):
 *
 *   1. 10,000 iterations of "write through A, then read through B" (create, update, delete, a
 *      port added to and removed from a bridge's nested collection): no stale read;
 *   2. ZooKeeper restarted, then B's session expired, under a read load on B with writes through
 *      A: no read older than a write acknowledged before it started, nothing but 200 and the
 *      documented 503 meanwhile, and B's cache filled again afterwards;
 *   3. a node C with 20,000 cached objects (as many watches) goes through a ZooKeeper restart
 *      on the same session and answers again; then 100,000 writes in a burst straight into
 *      ZooKeeper (a bulk import by another writer) to objects C has cached, and 50,000 creates
 *      that take the class over C's bound: C keeps answering, its cache within its bounds.
 *
 * Each test prints its figures (`[figures]`).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startLocalZooKeeper, type LocalZooKeeper } from '../../lib/zk/local-server.js';
import { ZkClient, type ZkOp } from '../../lib/zk/client.js';
import { zoomLayout } from '../../lib/nsdb/layout.js';
import { printText } from '../../lib/nsdb/codec/text-format.js';
import { NodeProc, sleep, until } from '../support/cluster-procs.js';
import { http, MT, type HttpResult } from '../support/http.js';
import { freePort } from '../support/mn-conf.js';
import { uniqueRootKey } from '../support/zk.js';

const dir = mkdtempSync(join(tmpdir(), 'topology-cache-'));
const MAX_OBJECTS = 60_000;
const MAX_BYTES = 256 * 1024 * 1024;
let zk: LocalZooKeeper | undefined;
let zkPort = 0;
const rootKey = uniqueRootKey();
let a: NodeProc;
let b: NodeProc;
/** nodes started by a test of their own */
const extra: NodeProc[] = [];

function figures(line: string): void {
  console.log(`[figures] ${line}`);
}

const apiOf = (n: NodeProc): string => `http://127.0.0.1:${n.port}/midonet-api`;

async function startZk(): Promise<void> {
  zk = await startLocalZooKeeper({ port: zkPort, dataDir: join(dir, 'zk'), tickTimeMs: 500 });
}

/** A metric of a node's /metrics: the sum of the series whose line starts with `prefix`. */
async function metric(n: NodeProc, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${n.port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(prefix)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

function expectStatus(r: HttpResult, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
}

async function createBridge(n: NodeProc, name: string): Promise<string> {
  const r = await http('POST', `${apiOf(n)}/bridges`, { headers: { 'Content-Type': MT.bridge }, body: { name } });
  expectStatus(r, 201, 'POST /bridges');
  return (r.headers.get('location') ?? '').split('/').pop() as string;
}

before(async () => {
  zkPort = await freePort();
  await startZk();
  const connect = `127.0.0.1:${zkPort}`;
  const common = { 'zookeeper.base_retry': '200ms', 'cluster.drain.delay': '0s' };
  a = new NodeProc('A', { zk: connect, rootKey, dir: join(dir, 'a'), port: await freePort(), set: { ...common, 'cluster.rest_api.cache.enabled': 'false' } });
  b = new NodeProc('B', {
    zk: connect,
    rootKey,
    dir: join(dir, 'b'),
    port: await freePort(),
    set: {
      ...common,
      'zookeeper.session_timeout': '4000',
      'cluster.rest_api.cache.max_objects': String(MAX_OBJECTS),
      'cluster.rest_api.cache.max_bytes': String(MAX_BYTES),
    },
  });
  a.start();
  b.start();
  await Promise.all([a.ready(), b.ready()]);
});

after(async () => {
  await Promise.all([a, b, ...extra].map((n) => n?.cleanup()));
  await zk?.stop();
  if (process.env['KEEP_CACHE_DIR']) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

describe('topology cache across nodes', () => {
  test('1. 10,000 iterations of write through A, read through B: no stale read', async () => {
    const LOOPS = 4;
    const ITERATIONS = 10_000;
    let stale = 0;
    const staleSamples: string[] = [];
    const isStale = (what: string): void => {
      stale++;
      if (staleSamples.length < 10) staleSamples.push(what);
    };
    const t0 = Date.now();
    const loop = async (l: number, count: number): Promise<void> => {
      const bridge = await createBridge(a, `loop${l}`);
      const ports: string[] = [];
      for (let i = 0; i < count; i++) {
        switch (i % 4) {
          case 0: {
            const r = await http('POST', `${apiOf(a)}/bridges/${bridge}/ports`, { headers: { 'Content-Type': MT.port }, body: { type: 'Bridge' } });
            expectStatus(r, 201, 'POST port');
            const id = (r.headers.get('location') ?? '').split('/').pop() as string;
            ports.push(id);
            if ((await http('GET', `${apiOf(b)}/ports/${id}`, { headers: { Accept: MT.port } })).status !== 200) isStale(`port ${id} created, not found`);
            const list = await http('GET', `${apiOf(b)}/bridges/${bridge}/ports`, { headers: { Accept: MT.ports } });
            expectStatus(list, 200, 'GET bridge ports');
            if (!(list.json as { id: string }[]).some((p) => p.id === id)) isStale(`port ${id} created, not listed`);
            break;
          }
          case 1: {
            const name = `l${l}-i${i}`;
            expectStatus(await http('PUT', `${apiOf(a)}/bridges/${bridge}`, { headers: { 'Content-Type': MT.bridge }, body: { name } }), 204, 'PUT bridge');
            const r = await http('GET', `${apiOf(b)}/bridges/${bridge}`, { headers: { Accept: MT.bridge } });
            if ((r.json as { name?: string } | undefined)?.name !== name) isStale(`bridge renamed ${name}, read ${r.text.slice(0, 80)}`);
            break;
          }
          case 2: {
            const id = ports.shift();
            if (!id) break;
            expectStatus(await http('DELETE', `${apiOf(a)}/ports/${id}`), 204, 'DELETE port');
            if ((await http('GET', `${apiOf(b)}/ports/${id}`, { headers: { Accept: MT.port } })).status !== 404) isStale(`port ${id} deleted, still found`);
            const list = await http('GET', `${apiOf(b)}/bridges/${bridge}/ports`, { headers: { Accept: MT.ports } });
            if ((list.json as { id: string }[]).some((p) => p.id === id)) isStale(`port ${id} deleted, still listed`);
            break;
          }
          case 3: {
            const other = await createBridge(a, `tmp${l}-${i}`);
            if ((await http('GET', `${apiOf(b)}/bridges/${other}`, { headers: { Accept: MT.bridge } })).status !== 200)
              isStale(`bridge ${other} created, not found`);
            expectStatus(await http('DELETE', `${apiOf(a)}/bridges/${other}`), 204, 'DELETE bridge');
            if ((await http('GET', `${apiOf(b)}/bridges/${other}`, { headers: { Accept: MT.bridge } })).status !== 404)
              isStale(`bridge ${other} deleted, still found`);
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: LOOPS }, (_x, l) => loop(l, ITERATIONS / LOOPS)));
    const hits = await metric(b, 'midonet_cluster_topology_cache_hits_total');
    const misses = await metric(b, 'midonet_cluster_topology_cache_misses_total');
    figures(`${ITERATIONS} iterations (${LOOPS} loops) in ${Date.now() - t0} ms: ${stale} stale reads; B cache hits ${hits}, misses ${misses}`);
    assert.equal(stale, 0, staleSamples.join('\n'));
    assert.ok(hits >= ITERATIONS, `B answered from its cache (${hits} hits)`);
  });

  test('2. ZooKeeper restarted and the session expired under a read load: no stale read, only 503 meanwhile, cache filled again', async () => {
    const bridge = await createBridge(a, 'w0');
    /** acknowledged writes: the k-th name, and when its 2xx arrived */
    const acked: { k: number; at: number }[] = [{ k: 0, at: performance.now() }];
    let stop = false;
    const statuses = new Map<number, number>();
    let reads = 0;
    let phase = 'before';
    let stale = 0;
    const staleSamples: string[] = [];
    const count = (s: number): void => void statuses.set(s, (statuses.get(s) ?? 0) + 1);
    const writer = async (): Promise<void> => {
      let k = 0;
      while (!stop) {
        k++;
        const r = await http('PUT', `${apiOf(a)}/bridges/${bridge}`, { headers: { 'Content-Type': MT.bridge }, body: { name: `w${k}` } }).catch(
          () => undefined,
        );
        if (r?.status === 204) acked.push({ k, at: performance.now() });
        else await sleep(50);
      }
    };
    const reader = async (): Promise<void> => {
      while (!stop) {
        const started = performance.now();
        // the newest write acknowledged before this read started
        let floor = 0;
        for (let i = acked.length - 1; i >= 0; i--) {
          const w = acked[i];
          if (w.at < started) {
            floor = w.k;
            break;
          }
        }
        const r = await http('GET', `${apiOf(b)}/bridges/${bridge}`, { headers: { Accept: MT.bridge } }).catch(() => undefined);
        reads++;
        count(r?.status ?? 0);
        if (r?.status === 200) {
          const seen = Number(/^w(\d+)$/.exec((r.json as { name: string }).name)?.[1] ?? -1);
          if (seen < floor) {
            stale++;
            if (staleSamples.length < 10) staleSamples.push(`${phase}: read w${seen} after w${floor} was acknowledged`);
          }
        } else if (r?.status !== 503) {
          if (staleSamples.length < 10) staleSamples.push(`status ${r?.status ?? 'none'}: ${r?.text ?? ''}`);
        } else {
          await sleep(20);
        }
      }
    };
    const rebuilds0 = await metric(b, 'midonet_cluster_topology_cache_rebuilds_total{class="Network"}');
    const work = Promise.all([writer(), reader(), reader(), reader()]);
    try {
      await until('reads served', () => reads > 200);
      // 1. a restart shorter than the session: the connection is lost, the session resumes
      phase = 'restart';
      await zk?.stop();
      await sleep(1000);
      await startZk();
      await until(
        'B reads again after the restart',
        async () => (await http('GET', `${apiOf(b)}/bridges/${bridge}`, { headers: { Accept: MT.bridge } })).status === 200,
        60_000,
      );
      phase = 'after restart';
      const readsBetween = reads;
      await until('more reads', () => reads > readsBetween + 200, 60_000);
      // 2. down for longer than B's 4 s session: it expires, B makes a new one
      phase = 'expiry';
      await zk?.stop();
      await sleep(6000);
      await startZk();
      await until(
        'B ready on a new session',
        async () => (await http('GET', `${apiOf(b)}/bridges/${bridge}`, { headers: { Accept: MT.bridge } })).status === 200,
        60_000,
      );
      phase = 'after expiry';
      const readsAfter = reads;
      await until('more reads after the expiry', () => reads > readsAfter + 300, 60_000);
    } finally {
      stop = true;
      await work;
    }
    const rebuilds = (await metric(b, 'midonet_cluster_topology_cache_rebuilds_total{class="Network"}')) - rebuilds0;
    const bad = [...statuses.keys()].filter((s) => s !== 200 && s !== 503);
    figures(
      `ZooKeeper restart + session expiry: ${reads} reads on B, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${acked.length - 1} writes acknowledged through A, ${stale} stale; Network class filled ${rebuilds} times`,
    );
    assert.equal(stale, 0, staleSamples.join('\n'));
    assert.deepEqual(bad, [], staleSamples.join('\n'));
    assert.ok(rebuilds >= 2, `the cache was filled again after the restart and after the expiry (${rebuilds})`);
    // and it serves from memory again
    const hits0 = await metric(b, 'midonet_cluster_topology_cache_hits_total{class="Network"}');
    expectStatus(await http('GET', `${apiOf(b)}/bridges/${bridge}`, { headers: { Accept: MT.bridge } }), 200, 'GET bridge');
    assert.ok((await metric(b, 'midonet_cluster_topology_cache_hits_total{class="Network"}')) > hits0);
  });

  test('3. 20,000 cached objects survive a reconnection; 100,000 writes in a burst from another writer: C keeps answering within its bounds', async () => {
    const PORTS = 20_000;
    const ROUNDS = 5;
    const CREATES = 50_000;
    const layout = zoomLayout(rootKey);
    // a node with the longest session the test server grants (20 ticks): a short restart of
    // ZooKeeper is a reconnection on the same session, not an expiry
    const c = new NodeProc('C', {
      zk: `127.0.0.1:${zkPort}`,
      rootKey,
      dir: join(dir, 'c'),
      port: await freePort(),
      set: {
        'zookeeper.base_retry': '200ms',
        'cluster.drain.delay': '0s',
        'zookeeper.session_timeout': '10000',
        'cluster.rest_api.cache.max_objects': String(MAX_OBJECTS),
        'cluster.rest_api.cache.max_bytes': String(MAX_BYTES),
      },
    });
    extra.push(c);
    c.start();
    await c.ready();
    const client = await ZkClient.connect({ connectString: `127.0.0.1:${zkPort}`, sessionTimeoutMs: 10_000 });
    try {
      const ids = Array.from({ length: PORTS }, () => randomUUID());
      const text = (id: string, tag: string): Buffer => Buffer.from(printText('Port', { id, interface_name: tag }), 'utf8');
      const inBatches = async (ops: ZkOp[]): Promise<void> => {
        for (let i = 0; i < ops.length; i += 1000) await client.multi(ops.slice(i, i + 1000));
      };
      await inBatches(ids.map((id) => ({ op: 'create' as const, path: layout.model('Port', id), data: text(id, 'v0') })));
      // C caches the class: 20,000 watches on its session
      expectStatus(await http('GET', `${apiOf(c)}/ports`, { headers: { Accept: MT.ports } }), 200, 'GET /ports');
      assert.ok((await metric(c, 'midonet_cluster_topology_cache_objects')) >= PORTS);

      // a reconnection on the same session: the library would restore every watch in one request
      // larger than ZooKeeper accepts, and fail the same way on every reconnection
      const expired0 = await metric(c, 'midonet_cluster_zookeeper_session_transitions_total{state="expired"}');
      await client.close();
      await zk?.stop();
      await sleep(500);
      await startZk();
      const t0 = Date.now();
      await until(
        'C answers again after the restart',
        async () => (await http('GET', `${apiOf(c)}/ports/${ids[1] as string}`, { headers: { Accept: MT.port } })).status === 200,
        60_000,
      );
      const back = Date.now() - t0;
      assert.equal(await metric(c, 'midonet_cluster_zookeeper_session_transitions_total{state="expired"}'), expired0, 'the session was resumed, not replaced');
      expectStatus(await http('GET', `${apiOf(c)}/ports`, { headers: { Accept: MT.ports } }), 200, 'GET /ports');
      figures(`ZooKeeper restarted under a node with ${PORTS} cached objects: it answers ${back} ms after ZooKeeper is back, on the same session`);
    } finally {
      await client.close();
    }

    const writer = await ZkClient.connect({ connectString: `127.0.0.1:${zkPort}`, sessionTimeoutMs: 10_000 });
    try {
      // A reconnects on its own schedule after the restart (503 until then): C was the one waited for
      await until(
        'A answers again after the restart',
        async () => (await http('GET', `${apiOf(a)}/bridges`, { headers: { Accept: MT.bridges } })).status === 200,
        60_000,
      );
      const bridge = await createBridge(a, 'burst2');
      const ids = (await writer.getChildren(layout.models('Port'))).children.slice(0, PORTS);
      const text = (id: string, tag: string): Buffer => Buffer.from(printText('Port', { id, interface_name: tag }), 'utf8');
      const inBatches = async (ops: ZkOp[]): Promise<void> => {
        for (let i = 0; i < ops.length; i += 1000) await writer.multi(ops.slice(i, i + 1000));
      };
      expectStatus(await http('GET', `${apiOf(c)}/ports`, { headers: { Accept: MT.ports } }), 200, 'GET /ports');
      const events0 = await metric(c, 'midonet_cluster_topology_cache_watch_events_total');
      let stop = false;
      let answered = 0;
      let maxObjects = 0;
      let maxBytes = 0;
      let maxRss = 0;
      const failures: string[] = [];
      const probe = async (): Promise<void> => {
        while (!stop) {
          const r = await http('GET', `${apiOf(c)}/bridges/${bridge}`, { headers: { Accept: MT.bridge } });
          const p = await http('GET', `${apiOf(c)}/ports/${ids[answered % ids.length]}`, { headers: { Accept: MT.port } });
          if (r.status !== 200 || p.status !== 200) failures.push(`${r.status}/${p.status}`);
          answered++;
          maxObjects = Math.max(maxObjects, await metric(c, 'midonet_cluster_topology_cache_objects'));
          maxBytes = Math.max(maxBytes, await metric(c, 'midonet_cluster_topology_cache_bytes'));
          maxRss = Math.max(maxRss, rssMb(c.pid));
        }
      };
      const probing = probe();
      const t0 = Date.now();
      try {
        for (let round = 1; round <= ROUNDS; round++)
          await inBatches(ids.map((id) => ({ op: 'setData' as const, path: layout.model('Port', id), data: text(id, `v${round}`), version: -1 })));
        const more = Array.from({ length: CREATES }, () => randomUUID());
        await inBatches(more.map((id) => ({ op: 'create' as const, path: layout.model('Port', id), data: text(id, 'new') })));
      } finally {
        await sleep(1000);
        stop = true;
        await probing;
      }
      const burstMs = Date.now() - t0;
      const events = (await metric(c, 'midonet_cluster_topology_cache_watch_events_total')) - events0;
      // what C answers is the last round
      const last = await http('GET', `${apiOf(c)}/ports/${ids[7]}`, { headers: { Accept: MT.port } });
      figures(
        `burst of ${ids.length * ROUNDS} updates + ${CREATES} creates in ${burstMs} ms: C answered ${answered} probe pairs meanwhile (${failures.length} failed), ` +
          `${events} watch events, cache at most ${maxObjects} objects / ${Math.round(maxBytes / 1048576)} MiB (bounds ${MAX_OBJECTS} / ${MAX_BYTES / 1048576} MiB), RSS at most ${maxRss} MiB`,
      );
      assert.deepEqual(failures, []);
      assert.ok(answered > 0);
      assert.ok(maxObjects <= MAX_OBJECTS, `objects ${maxObjects}`);
      assert.ok(maxBytes <= MAX_BYTES, `bytes ${maxBytes}`);
      assert.ok(events >= ids.length, `watch events reached C (${events})`);
      expectStatus(last, 200, 'GET port');
      assert.equal((last.json as { interfaceName?: string }).interfaceName, `v${ROUNDS}`);
    } finally {
      await writer.close();
    }
  });
});
