/**
 * The node's hosted services under their one lifecycle (services/cluster-node/service-host.ts),
 * against a real ZooKeeper: a disabled service is never started and shows `disabled`; one that
 * fails to start shows `failed` in /readyz and in `midonet-cluster nodes` while the node serves
 * on (a leader-only one also leaves its latch, so the other node runs it); a stop that hangs is
 * abandoned after the stop timeout; a `restart` service is stopped by a session expiry and
 * started again on the new session; and, with real processes, the leader-only housekeeping
 * service runs on exactly one of two nodes and moves to the other when its leader is killed -9.
 * Services other than the node's own are stand-ins given through `startClusterNode({ services })`,
 * switched by keys of the original's schema for services this node does not implement yet.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Settings } from '../../lib/conf/settings.js';
import { configureLogging } from '../../lib/log/logger.js';
import { ZkClient } from '../../lib/zk/client.js';
import { joinPath } from '../../lib/zk/paths.js';
import { HOUSEKEEPING_SLOT, housekeepingLatchPath } from '../../services/cluster-node/leader-services.js';
import { startClusterNode, type ClusterNode } from '../../services/cluster-node/node.js';
import { nodesCommand } from '../../services/cluster-node/nodes-command.js';
import type { ClusterService, ServiceContext, ServiceHealth } from '../../services/cluster-node/service.js';
import { NodeProc, readyz, until } from '../support/cluster-procs.js';
import { freePort } from '../support/mn-conf.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let connectString: string;
let admin: ZkClient;
let dir: string;
const nodes: ClusterNode[] = [];
const procs: NodeProc[] = [];
const proxies: TcpProxy[] = [];

function figures(line: string): void {
  console.log(`[figures] ${line}`);
}

async function start(opts: { rootKey: string; zk?: string; set?: Record<string, string>; services?: ClusterService[] }): Promise<ClusterNode> {
  const node = await startClusterNode({
    zookeeperHosts: opts.zk ?? connectString,
    rootKey: opts.rootKey,
    hostId: randomUUID(),
    settings: new Settings({ 'cluster.rest_api.http_host': '127.0.0.1', 'cluster.rest_api.http_port': '0', ...opts.set }),
    services: opts.services,
  });
  nodes.push(node);
  return node;
}

interface ReadyBody {
  ready: boolean;
  services: Record<string, ServiceHealth>;
  leaders: Record<string, { self: boolean; leader: string | null }>;
}

async function ready(node: ClusterNode): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${node.httpAddress}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

interface NodesJson {
  nodes: { id: string; services: Record<string, ServiceHealth> | null }[];
  leaders: Record<string, string | null>;
}

/** `midonet-cluster nodes` (the command's code, in this process): its JSON and its table. */
async function nodesOf(rootKey: string): Promise<{ json: NodesJson; table: string }> {
  const run = async (args: string[]): Promise<string> => {
    let out = '';
    let err = '';
    const code = await nodesCommand([...args, '--zookeeper-hosts', connectString, '--root-key', rootKey], {
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
    });
    assert.equal(code, 0, err);
    return out;
  };
  return { json: JSON.parse(await run(['--json'])) as NodesJson, table: await run([]) };
}

/** A stand-in service recording its calls; `behave` decides what start and stop do. */
class StandIn implements ClusterService {
  readonly starts: ServiceContext[] = [];
  stops = 0;
  constructor(
    readonly name: string,
    readonly enabledKey: string,
    readonly runsOn: ClusterService['runsOn'],
    private readonly behave: { start?: (ctx: ServiceContext) => void | Promise<void>; stop?: () => void | Promise<void> } = {},
    readonly onSessionExpiry: 'ignore' | 'restart' = 'ignore',
  ) {}

  start(ctx: ServiceContext): void | Promise<void> {
    this.starts.push(ctx);
    return this.behave.start?.(ctx);
  }

  stop(): void | Promise<void> {
    this.stops++;
    return this.behave.stop?.();
  }
}

before(async () => {
  configureLogging({ format: 'text', level: process.env['TEST_LOG'] ? 'debug' : 'error', silent: !process.env['TEST_LOG'] });
  connectString = (await getTestZooKeeper()).connectString;
  admin = await ZkClient.connect({ connectString });
  dir = mkdtempSync(join(tmpdir(), 'node-services-'));
});

after(async () => {
  for (const n of nodes) await n.stop().catch(() => undefined);
  for (const p of procs) await p.cleanup();
  for (const p of proxies) await p.close();
  await admin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hosted services', () => {
  test('a disabled service is never started, shows `disabled`, and a disabled leader-only one does not join its latch', async () => {
    const rootKey = uniqueRootKey();
    const standIn = new StandIn('topology-api', 'cluster.topology_api.enabled', { kind: 'every-node' });
    const node = await start({ rootKey, set: { 'cluster.housekeeping.enabled': 'false', 'cluster.vxgw.enabled': 'false' }, services: [standIn] });
    const r = await ready(node);
    assert.equal(r.status, 200);
    assert.equal(r.body.services['heartbeat']?.state, 'disabled', 'off by default, as in the original');
    assert.equal(r.body.services['heartbeat']?.detail, 'cluster.heartbeat.enabled is false');
    assert.equal(r.body.services['housekeeping']?.state, 'disabled');
    assert.equal(r.body.services['topology-api']?.state, 'disabled');
    assert.equal(standIn.starts.length, 0, 'never started');
    assert.equal(node.heartbeat, undefined);
    assert.equal(r.body.leaders[HOUSEKEEPING_SLOT], undefined, 'no housekeeping slot');
    assert.equal(await admin.exists(housekeepingLatchPath(rootKey)), null, 'the latch was never joined');
    const { json, table } = await until('the health published', async () => {
      const n = await nodesOf(rootKey);
      return n.json.nodes[0]?.services?.['heartbeat']?.state === 'disabled' ? n : undefined;
    });
    assert.equal(json.nodes[0]?.services?.['housekeeping']?.state, 'disabled');
    assert.equal(json.leaders[HOUSEKEEPING_SLOT], null);
    assert.match(table, /housekeeping:disabled heartbeat:disabled vxgw:disabled topology-api:disabled/);
    await node.stop();
    assert.equal(standIn.stops, 0, 'nothing to stop');
  });

  test('a service that fails to start: `failed` in /readyz and in `midonet-cluster nodes`, the node serves on', async () => {
    const rootKey = uniqueRootKey();
    const broken = new StandIn(
      'containers',
      'cluster.containers.enabled',
      { kind: 'every-node' },
      {
        start: () => {
          throw new Error('no scheduler here (test)');
        },
      },
    );
    const node = await start({ rootKey, set: { 'cluster.heartbeat.enabled': 'true', 'cluster.heartbeat.period': '100ms' }, services: [broken] });
    const r = await ready(node);
    assert.equal(r.status, 200, 'a failed service does not make the node unready');
    assert.equal(r.body.ready, true);
    assert.equal(r.body.services['containers']?.state, 'failed');
    assert.equal(r.body.services['containers']?.detail, 'no scheduler here (test)');
    assert.equal(r.body.services['heartbeat']?.state, 'running', 'the others run');
    assert.equal(broken.stops, 1, 'asked to release what it took');
    const { json, table } = await until('the failure published', async () => {
      const n = await nodesOf(rootKey);
      return n.json.nodes[0]?.services?.['containers']?.state === 'failed' ? n : undefined;
    });
    assert.equal(json.nodes[0]?.id, node.hostId);
    assert.equal(json.nodes[0]?.services?.['containers']?.detail, 'no scheduler here (test)');
    assert.match(table, /containers:failed/);
    assert.match(table, new RegExp(`failed services:\\n  ${node.hostId} containers: no scheduler here \\(test\\)`));
    const api = await fetch(`${node.apiUrl}/bridges`, { headers: { 'X-Auth-Token': 'x' } });
    assert.equal(api.status, 200);
    await api.arrayBuffer();
  });

  test('a start that hangs fails after the start timeout; a stop that hangs is abandoned after the stop timeout', async () => {
    const never = new Promise<void>(() => undefined);
    const slowStart = new StandIn('endpoint', 'cluster.endpoint.enabled', { kind: 'every-node' }, { start: () => never });
    const slowStop = new StandIn('recycler', 'cluster.recycler.enabled', { kind: 'every-node' }, { stop: () => never });
    const node = await start({
      rootKey: uniqueRootKey(),
      set: { 'cluster.services.start_timeout': '300ms', 'cluster.services.stop_timeout': '300ms' },
      services: [slowStart, slowStop],
    });
    const r = await ready(node);
    assert.equal(r.body.services['endpoint']?.state, 'failed');
    assert.equal(r.body.services['endpoint']?.detail, 'did not start within 300 ms');
    assert.equal(r.body.services['recycler']?.state, 'running');
    assert.equal(slowStart.starts[0]?.signal.aborted, true, 'the hung start is told to give up');
    await node.stop(); // would never end if the hung stop were awaited
    const after = node.services.health();
    assert.equal(after['recycler']?.state, 'stopped');
    assert.equal(after['recycler']?.detail, 'abandoned: did not stop within 300 ms');
    assert.equal(slowStop.stops, 1);
    assert.equal(after['housekeeping']?.state, 'stopped');
  });

  test('a leader-only service that fails to start leaves its latch: the other node leads and runs it', async () => {
    const rootKey = uniqueRootKey();
    const latch = joinPath(rootKey, 'test-service', 'leader-latch');
    const runsOn = { kind: 'leader' as const, latchPath: () => latch };
    const a = new StandIn('containers', 'cluster.containers.enabled', runsOn, {
      start: () => {
        throw new Error('cannot reach the VTEPs (test)');
      },
    });
    const b = new StandIn('containers', 'cluster.containers.enabled', runsOn);
    const na = await start({ rootKey, services: [a] });
    await until('a leads and fails', () => a.starts.length === 1 && na.services.health()['containers']?.state === 'failed');
    const nb = await start({ rootKey, services: [b] });
    const rb = await until('b runs it', async () => {
      const r = await ready(nb);
      // /readyz reuses a leaders() answer for up to a second: wait for both views to agree.
      return r.body.services['containers']?.state === 'running' && r.body.leaders['containers']?.self === true ? r : undefined;
    });
    assert.equal(rb.body.leaders['containers']?.self, true);
    assert.equal(rb.body.services['containers']?.latch, latch);
    const ra = await until('a out of the election', async () => {
      const r = await ready(na);
      return r.body.leaders['containers'] === undefined ? r : undefined;
    });
    assert.equal(ra.body.services['containers']?.state, 'failed');
    assert.equal(ra.body.services['containers']?.detail, 'cannot reach the VTEPs (test)');
    assert.equal(ra.body.leaders['containers'], undefined, 'a left the election');
    const { json } = await until('both published', async () => {
      const n = await nodesOf(rootKey);
      // na's health is published once its rewrite (coalesced, retried) lands: wait for it, not for time
      const failed = n.json.nodes.find((x) => x.id === na.hostId)?.services?.['containers']?.state === 'failed';
      return n.json.nodes.length === 2 && n.json.leaders['containers'] === nb.hostId && failed ? n : undefined;
    });
    assert.equal(json.nodes.find((n) => n.id === na.hostId)?.services?.['containers']?.state, 'failed');
    assert.equal(a.starts.length, 1, 'a failed service stays down');
  });

  test('session expiry: a `restart` service is stopped with the session and started again on the new one', async () => {
    const proxy = await startTcpProxy(connectString);
    proxies.push(proxy);
    const sessions: bigint[] = [];
    const svc = new StandIn(
      'state-proxy',
      'cluster.state_proxy.enabled',
      { kind: 'every-node' },
      { start: (ctx) => void sessions.push(ctx.client.sessionId) },
      'restart',
    );
    const hb = new StandIn('topology-cache', 'cluster.topology_cache.enabled', { kind: 'every-node' }, {}, 'ignore');
    const node = await start({
      rootKey: uniqueRootKey(),
      zk: proxy.address,
      set: { 'zookeeper.session_timeout': '2000', 'zookeeper.base_retry': '200ms' },
      services: [svc, hb],
    });
    assert.equal(node.services.health()['state-proxy']?.state, 'running');
    proxy.setMode('blackhole');
    await until('stopped with the session', () => node.services.health()['state-proxy']?.state === 'standby', 15_000);
    assert.equal(svc.stops, 1);
    assert.match(node.services.health()['state-proxy']?.detail ?? '', /session expired/);
    assert.equal(svc.starts[0]?.signal.aborted, true);
    proxy.setMode('pass');
    proxy.dropAll();
    await until('running on the new session', () => node.services.health()['state-proxy']?.state === 'running', 15_000);
    assert.equal(svc.starts.length, 2);
    assert.notEqual(sessions[1], sessions[0], 'started on the new session');
    assert.equal(sessions[1], node.zk.sessionId);
    assert.equal(hb.starts.length, 1, "an 'ignore' service is left alone");
    assert.equal(hb.stops, 0);
  });
});

describe('a leader-only service with real processes', () => {
  test('housekeeping runs on exactly one of two nodes and moves to the other when its leader is killed -9', async () => {
    const rootKey = uniqueRootKey();
    const set = { 'zookeeper.session_timeout': '4000', 'zookeeper.base_retry': '200ms', 'cluster.drain.delay': '0s' };
    for (const name of ['s1', 's2']) procs.push(new NodeProc(name, { zk: connectString, rootKey, dir: join(dir, name), port: await freePort(), set }));
    const [p1, p2] = procs.slice(-2) as [NodeProc, NodeProc];
    p1.start();
    p2.start();
    await Promise.all([p1.ready(), p2.ready()]);
    const states = async (ps: NodeProc[]): Promise<(string | undefined)[]> =>
      Promise.all(
        ps.map(async (p) => ((await readyz(p.port)).body as { services?: Record<string, ServiceHealth> } | undefined)?.services?.['housekeeping']?.state),
      );
    const first = await until('one runs housekeeping, the other stands by', async () => {
      const s = await states([p1, p2]);
      return s.filter((x) => x === 'running').length === 1 && s.filter((x) => x === 'standby').length === 1 ? s : undefined;
    });
    const leader = first[0] === 'running' ? p1 : p2;
    const other = leader === p1 ? p2 : p1;
    const { json } = await until('`midonet-cluster nodes` agrees', async () => {
      const n = await nodesOf(rootKey);
      const byId = new Map(n.json.nodes.map((x) => [x.id, x.services?.['housekeeping']?.state]));
      return byId.get(leader.hostId) === 'running' && byId.get(other.hostId) === 'standby' ? n : undefined;
    });
    assert.equal(json.leaders[HOUSEKEEPING_SLOT], leader.hostId);
    const t0 = Date.now();
    await leader.kill9();
    let samples = 0;
    await until(
      'the survivor runs housekeeping',
      async () => {
        samples++;
        return (await states([other]))[0] === 'running';
      },
      30_000,
    );
    const moved = Date.now() - t0;
    const after = await until(
      '`midonet-cluster nodes` shows the move',
      async () => {
        const n = await nodesOf(rootKey);
        return n.json.nodes.length === 1 && n.json.nodes[0]?.services?.['housekeeping']?.state === 'running' ? n : undefined;
      },
      30_000,
    );
    assert.equal(after.json.nodes[0]?.id, other.hostId);
    assert.equal(after.json.leaders[HOUSEKEEPING_SLOT], other.hostId);
    figures(`housekeeping moved to the other node ${moved} ms after kill -9 of its leader (session 4000 ms; ${samples} samples)`);
    assert.equal(await other.terminate(30_000), 0);
  });
});
