/**
 * Failover with real processes (issue 6, tests 1, 2 and 4): three cluster nodes
 * (services/cluster-node/main.ts, each its own process) behind a real HAProxy (Debian's 2.6) kept
 * in line with service discovery by `midonet-cluster haproxy-config --watch`, on the test
 * ZooKeeper; a load generator (test/support/load.ts) doing POST/GET/PUT/DELETE through the VIP.
 *
 *   1. rolling restart of all three (SIGTERM, wait for the exit, start again): 0 failed requests;
 *   2. kill -9 of one node under load: 0 failed idempotent requests, every acknowledged write
 *      there afterwards, failed non-idempotent requests counted (goal 0);
 *   4. kill -9 of the housekeeping leader: another node reports itself leader in /readyz within
 *      the session timeout (plus the server's tick), and never two at once.
 *
 * Nodes use a 4 s ZooKeeper session and a 2 s drain delay; HAProxy checks /readyz every 500 ms
 * (up after 1, down after 2). Each test prints its figures (`[figures]`); docs/reliability.md
 * keeps them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { HAVE_HAPROXY, HaproxyFront, NodeProc, readyz, sleep, until } from '../support/cluster-procs.js';
import { LoadGenerator, summary, type LoadReport } from '../support/load.js';
import { freePort, PROJECT, run } from '../support/mn-conf.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const SESSION_MS = 4000;
const TICK_MS = 500; // the test server's tickTime (.ci/run, test/support/zk.ts)
const NODE_SETTINGS = {
  'zookeeper.session_timeout': String(SESSION_MS),
  'zookeeper.base_retry': '200ms',
  'cluster.drain.delay': '2s',
  'cluster.drain.request_timeout': '10s',
};

const skip = HAVE_HAPROXY ? false : 'haproxy is not installed (apt-get install haproxy)';

let dir: string;
let zkConnect: string;
let rootKey: string;
let admin: ZkClient | undefined;
const nodes: NodeProc[] = [];
let haproxy: HaproxyFront | undefined;

function figures(line: string): void {
  console.log(`[figures] ${line}`);
}

function failuresText(r: LoadReport): string {
  return r.failures
    .slice(0, 20)
    .map((f) => `${new Date(f.t).toISOString()} ${f.method} ${f.status} ${f.source} ${f.detail}`)
    .join('\n');
}

describe('failover: three nodes behind HAProxy', { skip }, () => {
  before(async () => {
    zkConnect = (await getTestZooKeeper()).connectString;
    rootKey = uniqueRootKey();
    dir = mkdtempSync(join(tmpdir(), 'failover-haproxy-'));
    admin = await ZkClient.connect({ connectString: zkConnect });
    for (let i = 1; i <= 3; i++) {
      nodes.push(new NodeProc(`node${i}`, { zk: zkConnect, rootKey, dir: join(dir, `node${i}`), port: await freePort(), set: NODE_SETTINGS }));
    }
    const t0 = Date.now();
    for (const n of nodes) n.start();
    await Promise.all(nodes.map((n) => n.ready()));
    const tNodes = Date.now() - t0;
    haproxy = new HaproxyFront({ zk: zkConnect, rootKey, dir: join(dir, 'haproxy') });
    await haproxy.start(3);
    figures(`setup: 3 node processes ready in ${tNodes} ms, HAProxy with 3 servers UP ${Date.now() - t0 - tNodes} ms later`);
  });

  after(async () => {
    await haproxy?.stop();
    await Promise.all(nodes.map((n) => n.terminate(20_000).catch(() => undefined)));
    await Promise.all(nodes.map((n) => n.cleanup()));
    await admin?.removeRecursive(rootKey).catch(() => undefined);
    await admin?.close();
    if (process.env['KEEP_FAILOVER_DIR']) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });

  test('`midonet-cluster nodes` lists the three live nodes and the housekeeping leader', async () => {
    const env = { ...process.env, MIDO_ZOOKEEPER_HOSTS: zkConnect, MIDO_ZOOKEEPER_ROOT_KEY: rootKey };
    const r = await run(process.execPath, ['--import', 'tsx', join(PROJECT, 'services/cluster-node/main.ts'), 'nodes', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { nodes: { id: string; port: number }[]; leaders: { housekeeping: string | null } };
    assert.deepEqual(out.nodes.map((n) => n.id).sort(), nodes.map((n) => n.hostId).sort());
    assert.deepEqual(out.nodes.map((n) => n.port).sort(), nodes.map((n) => n.port).sort());
    assert.ok(nodes.some((n) => n.hostId === out.leaders.housekeeping));
    const table = await run(process.execPath, ['--import', 'tsx', join(PROJECT, 'services/cluster-node/main.ts'), 'nodes'], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
    assert.match(table.stdout, /housekeeping/);
  });

  test('1. rolling restart of all three under load (SIGTERM, wait, start): 0 failed requests', async () => {
    const h = haproxy as HaproxyFront;
    const load = new LoadGenerator({ base: h.vip, workers: 6, tag: 'roll' });
    load.start();
    try {
      await load.waitRequests(200);
      const cycles: string[] = [];
      for (const n of nodes) {
        const t0 = Date.now();
        const code = await n.terminate();
        const tExit = Date.now() - t0;
        assert.equal(code, 0, `${n.name} exit code after SIGTERM; log:\n${n.tail()}`);
        n.start();
        await n.ready();
        const tReady = Date.now() - t0;
        await h.waitUp(3, 30_000, [n.hostId]);
        cycles.push(`${n.name}: exit 0 after ${tExit} ms (drain), ready ${tReady} ms, back in HAProxy ${Date.now() - t0} ms`);
        await load.waitRequests(100);
      }
      const r = await load.stop();
      const v = await load.verify(`http://127.0.0.1:${nodes[0]?.port}/midonet-api`);
      figures(`rolling restart: ${cycles.join('; ')}`);
      figures(`rolling restart load: ${summary(r)}`);
      figures(
        `rolling restart data: ${v.checked} acknowledged writes checked, ${v.problems.length} problems; uncertain writes applied ${v.uncertainApplied}, not applied ${v.uncertainNotApplied}`,
      );
      assert.equal(r.failed, 0, `failed requests:\n${failuresText(r)}`);
      assert.deepEqual(v.problems, []);
    } finally {
      await load.stop();
    }
  });

  test('2. kill -9 of one node under load: 0 failed idempotent requests, every acknowledged write present', async () => {
    const h = haproxy as HaproxyFront;
    const victim = nodes[1];
    const load = new LoadGenerator({ base: h.vip, workers: 6, tag: 'kill' });
    load.start();
    try {
      await load.waitRequests(200);
      await victim.kill9();
      const t0 = Date.now();
      const victimId = victim.hostId;
      // under load until its session expired and HAProxy dropped it from the configuration
      await until('the killed node gone from HAProxy', async () => !(await h.servers()).some((s) => s.server === victimId), 30_000, 100);
      const tGone = Date.now() - t0;
      await load.waitRequests(100);
      victim.start();
      await victim.ready();
      await h.waitUp(3, 30_000, [victimId]);
      const tBack = Date.now() - t0;
      await load.waitRequests(100);
      const r = await load.stop();
      const v = await load.verify(`http://127.0.0.1:${nodes[0]?.port}/midonet-api`);
      figures(`kill -9: node removed from HAProxy ${tGone} ms after the kill (session ${SESSION_MS} ms), restarted and back ${tBack} ms after`);
      figures(`kill -9 load: ${summary(r)}`);
      figures(
        `kill -9 data: ${v.checked} acknowledged writes checked, ${v.problems.length} problems; failed non-idempotent requests ${r.failedNonIdempotent} (uncertain writes applied ${v.uncertainApplied}, not applied ${v.uncertainNotApplied})`,
      );
      assert.equal(r.failedIdempotent, 0, `failed idempotent requests:\n${failuresText(r)}`);
      assert.deepEqual(v.problems, []);
      // POSTs in flight on the killed node cannot be replayed safely; the goal is 0, reported above
      assert.ok(r.failedNonIdempotent <= 6, `failed POSTs: ${r.failedNonIdempotent} (more than the workers in flight)\n${failuresText(r)}`);
    } finally {
      await load.stop();
    }
  });

  test('4. kill -9 of the housekeeping leader: another node leads within the session timeout, never two at once', async () => {
    const leaderOf = async (): Promise<{ leader: NodeProc; id: string } | undefined> => {
      const rs = await Promise.all(nodes.map((n) => readyz(n.port)));
      const selves = nodes.filter((_, i) => rs[i]?.body?.leaders['housekeeping']?.self);
      const seen = new Set(rs.map((r) => r.body?.leaders['housekeeping']?.leader));
      if (selves.length === 1 && seen.size === 1) return { leader: selves[0], id: String([...seen][0]) };
      return undefined;
    };
    const { leader, id } = await until('one housekeeping leader, agreed by all', leaderOf, 20_000);
    assert.equal(id, leader.hostId);
    const others = nodes.filter((n) => n !== leader);
    await leader.kill9();
    const t0 = Date.now();
    let maxSelves = 0;
    let samples = 0;
    const next = await until(
      'a new housekeeping leader',
      async () => {
        const rs = await Promise.all(others.map((n) => readyz(n.port, 1000)));
        samples++;
        const selves = others.filter((_, i) => rs[i]?.body?.leaders['housekeeping']?.self);
        maxSelves = Math.max(maxSelves, selves.length);
        return selves[0];
      },
      SESSION_MS * 4,
      50,
    );
    const elapsed = Date.now() - t0;
    const seenBy = await until(
      'the others agree',
      async () => {
        const rs = await Promise.all(others.map((n) => readyz(n.port)));
        return rs.every((r) => r.body?.leaders['housekeeping']?.leader === next.hostId) ? rs.length : undefined;
      },
      5000,
    );
    figures(
      `housekeeping leader kill -9: ${next.name} reported itself leader ${elapsed} ms after the kill (session ${SESSION_MS} ms, tick ${TICK_MS} ms; ${samples} /readyz samples, at most ${maxSelves} leader at a time; ${seenBy} nodes agree)`,
    );
    assert.equal(maxSelves, 1);
    // The server expires the dead session its timeout after the last contact (before the kill),
    // checking once per tick: bound = session + tick, plus slack for a busy machine and polling.
    assert.ok(elapsed <= SESSION_MS + TICK_MS + 1500, `takeover took ${elapsed} ms`);
    leader.start();
    await leader.ready();
    await sleep(100);
  });
});
