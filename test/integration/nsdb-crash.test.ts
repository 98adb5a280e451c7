/**
 * Atomicity under failure (storage.md §4.2, §12): a writer killed at a random moment, a session
 * closed in the middle of a transaction, and a transaction function that throws must leave
 * ZooKeeper either before or after each whole transaction, never in between.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Msg } from '../../lib/models/types.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { StorageUnavailableError } from '../../lib/nsdb/errors.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { NsdbTestEnv, refs, rejection, sleep } from '../support/nsdb-env.js';

const API = ChangeOwner.clusterApi;
const PORTS_PER_ROUTER = 5;
const WORKER = fileURLToPath(new URL('../support/nsdb-crash-worker.ts', import.meta.url));

let env: NsdbTestEnv;
let storage: NsdbStorage;
let zk: ZkClient;
const mainStorage = (): NsdbStorage => storage;
const children = new Set<ChildProcess>();

before(async () => {
  env = await NsdbTestEnv.create();
  storage = await env.storage();
  zk = storage.zookeeper;
});

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  children.clear();
  await env.close();
});

interface Worker {
  child: ChildProcess;
  committed: string[];
  ready: Promise<void>;
  torn: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function startWorker(chain: string, tag: string, opts: { rootKey?: string; tornAt?: number } = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      NSDB_CRASH_ZK: env.connectString,
      NSDB_CRASH_ROOT: opts.rootKey ?? env.rootKey,
      NSDB_CRASH_CHAIN: chain,
      NSDB_CRASH_TAG: tag,
      ...(opts.tornAt !== undefined ? { NSDB_CRASH_TORN_AT: String(opts.tornAt) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const committed: string[] = [];
  let err = '';
  let buffered = '';
  let onReady: () => void = () => {};
  let onFail: (e: Error) => void = () => {};
  let onTorn: (id: string) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  const torn = new Promise<string>((resolve) => {
    onTorn = resolve;
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') onReady();
      else if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
      else if (line.startsWith('torn ')) onTorn(line.slice('torn '.length));
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close': after the exit AND the end of its stdout, so every acknowledgement has been read
    child.on('close', (code, signal) => {
      children.delete(child);
      onFail(new Error(`worker exited before it was ready (code ${code}, signal ${signal}): ${err}`));
      resolve({ code, signal });
    });
  });
  return { child, committed, ready, torn, exited, stderr: () => err };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function byId(objs: Msg[]): Map<string, Msg> {
  return new Map(objs.map((o) => [String(o['id']), o]));
}

/** Every invariant a sequence of whole router transactions keeps; returns the number of routers. */
async function assertConsistent(chainId: string, storage: NsdbStorage = mainStorage()): Promise<number> {
  const zk = storage.zookeeper;
  const [routers, ports, routes, chain] = await Promise.all([
    storage.getAll('Router'),
    storage.getAll('Port'),
    storage.getAll('Route'),
    storage.get('Chain', chainId),
  ]);
  const R = byId(routers);
  const P = byId(ports);
  const T = byId(routes);
  const problems: string[] = [];
  const check = (ok: boolean, msg: string): void => {
    if (!ok) problems.push(msg);
  };

  for (const [id, r] of R) {
    const pIds = refs(r, 'port_ids');
    const tIds = refs(r, 'route_ids');
    check(pIds.length === PORTS_PER_ROUTER && new Set(pIds).size === PORTS_PER_ROUTER, `router ${id} has ports ${pIds.length}`);
    check(tIds.length === PORTS_PER_ROUTER && new Set(tIds).size === PORTS_PER_ROUTER, `router ${id} has routes ${tIds.length}`);
    for (const p of pIds) check(P.get(p)?.['router_id'] === id, `router ${id} -> port ${p} has no back-reference`);
    for (const t of tIds) check(T.get(t)?.['router_id'] === id, `router ${id} -> route ${t} has no back-reference`);
    check(r['inbound_filter_id'] === chainId, `router ${id} lost its chain`);
  }
  for (const [id, p] of P) {
    const router = String(p['router_id']);
    check(refs(R.get(router) ?? {}, 'port_ids').includes(id), `port ${id} -> router ${router} has no back-reference`);
    const tIds = refs(p, 'route_ids');
    check(tIds.length === 1, `port ${id} has ${tIds.length} routes`);
    for (const t of tIds) check(T.get(t)?.['next_hop_port_id'] === id, `port ${id} -> route ${t} has no back-reference`);
  }
  for (const [id, t] of T) {
    const router = String(t['router_id']);
    const port = String(t['next_hop_port_id']);
    check(refs(R.get(router) ?? {}, 'route_ids').includes(id), `route ${id} -> router ${router} has no back-reference`);
    check(refs(P.get(port) ?? {}, 'route_ids').includes(id), `route ${id} -> port ${port} has no back-reference`);
  }
  const chained = refs(chain, 'router_inbound_ids');
  check(chained.length === R.size, `chain has ${chained.length} router back-references for ${R.size} routers`);
  check([...chained].sort().join() === [...R.keys()].sort().join(), 'chain back-references differ from the routers');
  check(P.size === PORTS_PER_ROUTER * R.size, `${P.size} ports for ${R.size} routers`);
  check(T.size === PORTS_PER_ROUTER * R.size, `${T.size} routes for ${R.size} routers`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} inconsistencies:\n${problems.slice(0, 20).join('\n')}`);

  // every model node has its provenance node and vice versa; every table root is there
  for (const c of ['Router', 'Port', 'Route', 'Chain']) {
    const models = (await zk.getChildren(storage.layout.models(c))).children.sort();
    const objects = (await zk.getChildren(storage.layout.objects(c))).children.sort();
    assert.deepEqual(objects, models, `models/${c} vs objects/${c}`);
  }
  const tableRoots = await Promise.all([
    ...[...R.keys()].map((id) => zk.exists(`${storage.layout.tables('Router', id)}/arp_table`)),
    ...[...P.keys()].map((id) => zk.exists(`${storage.layout.tables('Port', id)}/peering_table`)),
  ]);
  assert.equal(tableRoots.filter((s) => s === null).length, 0, 'state-table roots created with their objects');
  const tableChildren = [
    ...(await zk.getChildren(storage.layout.tables('Router'))).children,
    ...(await zk.getChildren(storage.layout.tables('Port'))).children,
  ].sort();
  assert.deepEqual(tableChildren, [...R.keys(), ...P.keys()].sort(), 'no table roots without objects');
  return R.size;
}

describe('atomicity under failure', () => {
  test('writers killed with SIGKILL at random moments leave only whole transactions', async () => {
    const chain = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Chain', { id: chain, name: 'shared' }));
    const budgetEnds = Date.now() + 20_000;
    const rounds: { committed: number; delayMs: number }[] = [];
    const allCommitted: string[] = [];
    for (let round = 0; round < 5 && Date.now() < budgetEnds - 4000; round++) {
      // two concurrent writers per round, so that they also conflict on the shared chain
      const workers = [startWorker(chain, `r${round}a`), startWorker(chain, `r${round}b`)];
      const delayMs = 150 + Math.floor(Math.random() * 850);
      try {
        await withTimeout(Promise.all(workers.map((w) => w.ready)), 15_000, 'workers ready');
        await sleep(delayMs);
        for (const w of workers) w.child.kill('SIGKILL');
        const exits = await withTimeout(Promise.all(workers.map((w) => w.exited)), 5000, 'workers exit');
        for (const [i, x] of exits.entries()) {
          assert.equal(x.signal, 'SIGKILL', `worker ${i} was not killed but exited (${x.code}): ${workers[i].stderr()}`);
        }
      } finally {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      }
      const committed = workers.reduce((n, w) => n + w.committed.length, 0);
      for (const w of workers) allCommitted.push(...w.committed);
      rounds.push({ committed, delayMs });
      // the tree is consistent after every crash, not only at the end
      await assertConsistent(chain);
    }
    const routers = await assertConsistent(chain);
    console.log(
      `nsdb crash: ${rounds.length} rounds of 2 writers killed with SIGKILL after ` +
        `${rounds.map((r) => `${r.delayMs} ms (${r.committed} acks)`).join(', ')}; ${allCommitted.length} router ` +
        `transactions acknowledged, ${routers} routers stored (${routers * (1 + 2 * PORTS_PER_ROUTER)} objects)`,
    );
    assert.ok(rounds.length >= 2, 'at least two crash rounds');
    assert.ok(allCommitted.length > 0, 'the workers committed something');
    // every acknowledged commit is durable (stored routers >= acknowledged: a commit can land before its ack is printed)
    const stored = new Set((await zk.getChildren(storage.layout.models('Router'))).children);
    assert.deepEqual(
      allCommitted.filter((id) => !stored.has(id)),
      [],
    );
    assert.ok(routers >= allCommitted.length);
    assert.ok(routers <= allCommitted.length + 2 * rounds.length, 'at most one unacknowledged commit per killed worker');

    // the killed writers' transaction probes are ephemeral: they vanish when their sessions expire
    const live = new Set([zk.sessionId]);
    const leftovers = async (): Promise<string[]> => {
      const { children: probes } = await zk.getChildren(storage.layout.zoomLocks);
      const stats = await Promise.all(probes.map((c) => zk.exists(`${storage.layout.zoomLocks}/${c}`)));
      return probes.filter((_, i) => stats[i] !== null && !live.has(stats[i].ephemeralOwner));
    };
    const deadline = Date.now() + 15_000;
    let left = await leftovers();
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(250);
      left = await leftovers();
    }
    assert.deepEqual(left, [], 'zoomlocks probes of dead sessions');
  });

  test('negative control: the checker detects a torn write (router committed without its ports)', async () => {
    const other = await NsdbTestEnv.create();
    try {
      const s = await other.storage();
      const chain = randomUuid();
      await s.tryTransaction(API, (tx) => tx.create('Chain', { id: chain }));
      const w = startWorker(chain, 'torn', { rootKey: other.rootKey, tornAt: 3 });
      let tornId: string;
      try {
        await withTimeout(w.ready, 15_000, 'worker ready');
        tornId = await withTimeout(w.torn, 10_000, 'torn write');
        w.child.kill('SIGKILL');
        await withTimeout(w.exited, 5000, 'worker exit');
      } finally {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      }
      assert.equal(w.committed.length, 3);
      const e = await rejection(assertConsistent(chain, s));
      assert.ok(e instanceof assert.AssertionError, String(e));
      assert.match(e.message, new RegExp(`router ${tornId} has ports 0`));
    } finally {
      await other.close();
    }
  });

  test('a session closed in the middle of a transaction: commit rejects, nothing is written', async () => {
    const r = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: r, name: 'before' }));
    const versionBefore = (await zk.exists(storage.layout.model('Router', r)))?.version;
    const doomed = await env.storage();
    const tx = await doomed.transaction(API);
    const seen = await tx.get('Router', r);
    const port = randomUuid();
    const fresh = randomUuid();
    await tx.create('Port', { id: port, router_id: r });
    await tx.update('Router', { ...(await tx.get('Router', r)), name: 'after', tenant_id: String(seen['name']) });
    await tx.create('Router', { id: fresh });
    await doomed.zookeeper.close();
    const e = await rejection(tx.commit());
    assert.ok(e instanceof StorageUnavailableError, `expected StorageUnavailableError, got ${String(e)}`);
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'before' });
    assert.equal((await zk.exists(storage.layout.model('Router', r)))?.version, versionBefore);
    assert.equal(await storage.exists('Port', port), false);
    assert.equal(await storage.exists('Router', fresh), false);
    assert.equal(await zk.exists(storage.layout.object('Port', port)), null);
    assert.equal(await zk.exists(storage.layout.tables('Port', port)), null);
    // and a new transaction on the closed session cannot even start
    assert.ok((await rejection(doomed.transaction(API))) instanceof StorageUnavailableError);

    // through tryTransaction: a lost session is not a conflict, so it is not retried
    const doomed2 = await env.storage();
    let attempts = 0;
    const e2 = await rejection(
      doomed2.tryTransaction(API, async (t) => {
        attempts++;
        await t.get('Router', r);
        await t.create('Port', { id: randomUuid(), router_id: r });
        await doomed2.zookeeper.close();
      }),
    );
    assert.ok(e2 instanceof StorageUnavailableError, String(e2));
    assert.equal(attempts, 1);
    assert.equal(doomed2.metrics.conflicts, 0);
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'before' });
  });

  test('an error thrown by the transaction function after some creates: nothing is written', async () => {
    const r = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: r }));
    const created: string[] = [];
    const boom = new Error('boom');
    const e = await rejection(
      storage.tryTransaction(API, async (tx) => {
        for (let i = 0; i < 3; i++) {
          const p = randomUuid();
          await tx.create('Port', { id: p, router_id: r });
          created.push(p);
        }
        await tx.update('Router', { ...(await tx.get('Router', r)), name: 'changed' });
        throw boom;
      }),
    );
    assert.equal(e, boom);
    assert.equal(created.length, 3);
    assert.deepEqual(await storage.get('Router', r), { id: r });
    assert.deepEqual(await storage.getExisting('Port', created), []);
    assert.equal((await zk.exists(storage.layout.model('Router', r)))?.version, 0);

    // the same with an explicit transaction that is simply never committed
    const tx = await storage.transaction(API);
    const p = randomUuid();
    await tx.create('Port', { id: p, router_id: r });
    await sleep(50);
    assert.equal(await storage.exists('Port', p), false);
    assert.deepEqual(await storage.get('Router', r), { id: r });
  });
});
