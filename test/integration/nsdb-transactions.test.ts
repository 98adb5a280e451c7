/**
 * Transactions (storage.md §3, §4) against a real ZooKeeper: per-object op folding, read-your-
 * writes, optimistic concurrency (stale reads, stale writes), tryTransaction's retries, and 20
 * independent writers (20 sessions, like 20 cluster nodes) hammering one router.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Msg } from '../../lib/models/types.js';
import { NsdbStorage, type StorageMetrics } from '../../lib/nsdb/storage.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { ConcurrentModificationError, NotFoundError, ObjectExistsError, StorageNodeExistsError, StorageNodeNotFoundError } from '../../lib/nsdb/errors.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import type { Transaction } from '../../lib/nsdb/transaction.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { NsdbTestEnv, failure, provenanceOf, refs, rejection, sleep } from '../support/nsdb-env.js';

const API = ChangeOwner.clusterApi;

let env: NsdbTestEnv;
let storage: NsdbStorage;
let other: NsdbStorage; // a second node
let zk: ZkClient;

before(async () => {
  env = await NsdbTestEnv.create();
  storage = await env.storage();
  other = await env.storage();
  zk = storage.zookeeper;
});

after(async () => {
  await env.close();
});

function run<T>(fn: (tx: Transaction) => Promise<T>, s: NsdbStorage = storage): Promise<T> {
  return s.tryTransaction(API, fn);
}

async function createRouter(extra: Msg = {}): Promise<string> {
  const id = randomUuid();
  await run((tx) => tx.create('Router', { id, ...extra }));
  return id;
}

async function version(clazz: string, id: string): Promise<number | undefined> {
  return (await zk.exists(storage.layout.model(clazz, id)))?.version;
}

function assertExists(e: unknown, clazz: string, id: string): void {
  assert.ok(e instanceof ObjectExistsError, `expected ObjectExistsError, got ${String(e)}`);
  assert.equal(e.message, `A(n) ${clazz} with ID ${id} already exists.`);
}

function assertNotFound(e: unknown, clazz: string, id: string): void {
  assert.ok(e instanceof NotFoundError, `expected NotFoundError, got ${String(e)}`);
  assert.equal(e.message, `There is no ${clazz} with ID ${id}.`);
}

function assertCme(e: unknown): asserts e is ConcurrentModificationError {
  assert.ok(e instanceof ConcurrentModificationError, `expected ConcurrentModificationError, got ${String(e)}`);
}

describe('op folding (storage.md §4.2 item 3)', () => {
  test('none + create = Create', async () => {
    const id = await createRouter({ name: 'a' });
    assert.deepEqual(await storage.get('Router', id), { id, name: 'a' });
    assert.equal(await version('Router', id), 0);
  });

  test('Create + create = ObjectExists at op time', async () => {
    const id = randomUuid();
    const tx = await storage.transaction(API);
    await tx.create('Router', { id, name: 'a' });
    assertExists(await failure(() => tx.create('Router', { id, name: 'b' })), 'Router', id);
    await tx.commit();
    assert.deepEqual(await storage.get('Router', id), { id, name: 'a' });
  });

  test('Create + update = Create with the new data', async () => {
    const id = randomUuid();
    await run(async (tx) => {
      await tx.create('Router', { id, name: 'a' });
      await tx.update('Router', { id, name: 'b', tenant_id: 't' });
    });
    assert.deepEqual(await storage.get('Router', id), { id, name: 'b', tenant_id: 't' });
    assert.equal(await version('Router', id), 0);
    const prov = await provenanceOf(zk, storage.layout.object('Router', id));
    assert.deepEqual(prov.records, [{ productVersion: '', productCommit: '', changeOwner: API, changeType: 1, changeVersion: 0 }]);
  });

  test('Create + delete = nothing (and the back-references it made are undone)', async () => {
    const r = await createRouter();
    const net = randomUuid();
    const port = randomUuid();
    await run(async (tx) => {
      await tx.create('Network', { id: net });
      await tx.delete('Network', net);
      await tx.create('Port', { id: port, router_id: r });
      assert.deepEqual(refs(await tx.get('Router', r), 'port_ids'), [port]);
      await tx.delete('Port', port);
    });
    for (const [c, id] of [
      ['Network', net],
      ['Port', port],
    ] as const) {
      assert.equal(await zk.exists(storage.layout.model(c, id)), null);
      assert.equal(await zk.exists(storage.layout.object(c, id)), null);
      assert.equal(await zk.exists(storage.layout.tables(c, id)), null);
    }
    assert.deepEqual(await storage.get('Router', r), { id: r });
  });

  test('Update + create = ObjectExists', async () => {
    const id = await createRouter();
    const tx = await storage.transaction(API);
    await tx.update('Router', { id, name: 'x' });
    assertExists(await failure(() => tx.create('Router', { id })), 'Router', id);
  });

  test('Update + update = one Update with the last data', async () => {
    const id = await createRouter({ name: 'a' });
    await run(async (tx) => {
      await tx.update('Router', { id, name: 'b' });
      await tx.update('Router', { ...(await tx.get('Router', id)), tenant_id: 't' });
    });
    assert.deepEqual(await storage.get('Router', id), { id, name: 'b', tenant_id: 't' });
    assert.equal(await version('Router', id), 1);
  });

  test('Update + delete = Delete', async () => {
    const id = await createRouter({ name: 'a' });
    await run(async (tx) => {
      await tx.update('Router', { id, name: 'b' });
      await tx.delete('Router', id);
    });
    assert.equal(await zk.exists(storage.layout.model('Router', id)), null);
    assert.equal(await zk.exists(storage.layout.object('Router', id)), null);
  });

  test('Delete + create = Update (an overwrite; the state tables stay)', async () => {
    const id = randomUuid();
    await run((tx) => tx.create('Network', { id, name: 'a', tenant_id: 't' }));
    await run(async (tx) => {
      await tx.delete('Network', id);
      assert.equal(await tx.exists('Network', id), false);
      await tx.create('Network', { id, name: 'b' });
    });
    assert.deepEqual(await storage.get('Network', id), { id, name: 'b' });
    assert.equal(await version('Network', id), 1, 'written with setData, not delete + create');
    await sleep(200);
    assert.deepEqual((await zk.getChildren(storage.layout.tables('Network', id))).children.sort(), ['ip4_mac_table', 'mac_table']);
  });

  test('Delete + update = NotFound', async () => {
    const id = await createRouter();
    const tx = await storage.transaction(API);
    await tx.delete('Router', id);
    assertNotFound(await failure(() => tx.update('Router', { id, name: 'x' })), 'Router', id);
  });

  test('Delete + delete = NotFound, or a no-op when ignoring missing objects', async () => {
    const id = await createRouter();
    const tx = await storage.transaction(API);
    await tx.delete('Router', id);
    assertNotFound(await failure(() => tx.delete('Router', id)), 'Router', id);
    await tx.delete('Router', id, true);
    await tx.commit();
    assert.equal(await storage.exists('Router', id), false);
  });

  test('create of a stored object: ObjectExists at op time once read, else at commit', async () => {
    const id = await createRouter({ name: 'a' });
    const tx = await storage.transaction(API);
    assert.equal(await tx.exists('Router', id), true);
    assertExists(await failure(() => tx.create('Router', { id })), 'Router', id);

    const fresh = randomUuid();
    const e = await rejection(
      run(async (tx2) => {
        await tx2.create('Router', { id: fresh });
        await tx2.create('Router', { id, name: 'b' });
      }),
    );
    assertExists(e, 'Router', id);
    assert.equal(await storage.exists('Router', fresh), false, 'nothing of the failed commit is written');
    assert.deepEqual(await storage.get('Router', id), { id, name: 'a' });
  });

  test('update/delete of a missing object: NotFound; delete ignoring missing: no-op', async () => {
    const id = randomUuid();
    const tx = await storage.transaction(API);
    assertNotFound(await failure(() => tx.update('Router', { id })), 'Router', id);
    assertNotFound(await failure(() => tx.delete('Router', id)), 'Router', id);
    await tx.delete('Router', id, true);
    assertNotFound(await failure(() => tx.get('Router', id)), 'Router', id);
    assert.equal(await tx.getOrNull('Router', id), null);
    assert.equal(tx.isEmpty, true);
    await tx.commit();
  });
});

describe('reads inside a transaction', () => {
  test('read-your-writes, including back-references and listings', async () => {
    const r = await createRouter({ name: 'r' });
    const gone = await createRouter();
    await run(async (tx) => {
      const p = randomUuid();
      await tx.create('Port', { id: p, router_id: r });
      assert.deepEqual(await tx.get('Port', p), { id: p, router_id: r });
      assert.deepEqual(await tx.get('Router', r), { id: r, name: 'r', port_ids: [p] });
      await tx.update('Router', { ...(await tx.get('Router', r)), name: 'r2' });
      assert.equal((await tx.get('Router', r))['name'], 'r2');
      await tx.delete('Router', gone);
      assert.equal(await tx.exists('Router', gone), false);
      const ids = await tx.listIds('Router');
      assert.ok(ids.includes(r));
      assert.ok(!ids.includes(gone));
      assert.ok((await tx.listIds('Port')).includes(p));
      // a returned object is a copy: changing it changes nothing in the transaction
      const copy = await tx.get('Router', r);
      copy['name'] = 'mutated';
      assert.equal((await tx.get('Router', r))['name'], 'r2');
      // nothing is visible outside before the commit
      assert.equal(await other.exists('Port', p), false);
      assert.equal((await other.get('Router', r))['name'], 'r');
    });
    assert.equal((await other.get('Router', r))['name'], 'r2');
  });

  test('reading an object modified after the transaction started: ConcurrentModification', async () => {
    const r = await createRouter({ name: 'a' });
    const tx = await storage.transaction(API);
    await run((t) => t.update('Router', { id: r, name: 'b' }), other);
    const e = await failure(() => tx.get('Router', r));
    assertCme(e);
    assert.equal(e.message, `Router with ID ${r} was modified during the transaction.`);
  });

  test('a provenance node modified after the start also counts', async () => {
    const r = await createRouter({ name: 'a' });
    const tx = await storage.transaction(API);
    const prov = await other.zookeeper.getData(other.layout.object('Router', r));
    await other.zookeeper.setData(other.layout.object('Router', r), prov.data, prov.stat.version);
    assertCme(await failure(() => tx.get('Router', r)));
  });

  test('reads made before a concurrent change stay consistent (snapshot cache)', async () => {
    const r = await createRouter({ name: 'a' });
    const tx = await storage.transaction(API);
    assert.equal((await tx.get('Router', r))['name'], 'a');
    await run((t) => t.update('Router', { id: r, name: 'b' }), other);
    assert.equal((await tx.get('Router', r))['name'], 'a');
  });
});

describe('optimistic concurrency at commit', () => {
  test('a stale update fails with ConcurrentModification and writes nothing', async () => {
    const r = await createRouter({ name: 'a' });
    const fresh = randomUuid();
    const tx = await storage.transaction(API);
    const seen = await tx.get('Router', r);
    await run((t) => t.update('Router', { id: r, name: 'theirs' }), other);
    await tx.update('Router', { ...seen, name: 'mine' });
    await tx.create('Router', { id: fresh });
    assertCme(await rejection(tx.commit()));
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'theirs' });
    assert.equal(await storage.exists('Router', fresh), false);
    assert.equal(await zk.exists(storage.layout.object('Router', fresh)), null);
    assert.equal(await zk.exists(storage.layout.tables('Router', fresh)), null);
  });

  test('a stale back-reference update fails the same way', async () => {
    const r = await createRouter();
    const port = randomUuid();
    const tx = await storage.transaction(API);
    await tx.create('Port', { id: port, router_id: r }); // reads the router, updates port_ids
    await run((t) => t.update('Router', { id: r, name: 'theirs' }), other);
    assertCme(await rejection(tx.commit()));
    assert.equal(await storage.exists('Port', port), false);
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'theirs' });
  });

  test('provenance writes are conditioned on the provenance read version (storage.md §3)', async () => {
    const r = await createRouter({ name: 'a' });
    const provPath = storage.layout.object('Router', r);
    const touchProvenance = async (): Promise<void> => {
      const cur = await other.zookeeper.getData(provPath);
      await other.zookeeper.setData(provPath, cur.data, cur.stat.version);
    };
    // another owner: the provenance node is written, with its read version -> conflict
    const tx = await storage.transaction(ChangeOwner.clusterNeutron);
    const seen = await tx.get('Router', r);
    await touchProvenance();
    await tx.update('Router', { ...seen, name: 'neutron' });
    assertCme(await rejection(tx.commit()));
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'a' });
    // same owner and build, data bit already recorded: the provenance write is skipped, no conflict
    const tx2 = await storage.transaction(API);
    const seen2 = await tx2.get('Router', r);
    await touchProvenance();
    await tx2.update('Router', { ...seen2, name: 'api' });
    await tx2.commit();
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'api' });
  });

  test('an update of an object deleted concurrently fails with ConcurrentModification', async () => {
    const r = await createRouter({ name: 'a' });
    const tx = await storage.transaction(API);
    const seen = await tx.get('Router', r);
    await run((t) => t.delete('Router', r), other);
    await tx.update('Router', { ...seen, name: 'mine' });
    assertCme(await rejection(tx.commit()));
    assert.equal(await storage.exists('Router', r), false);
  });

  test('a create that loses the race to a concurrent create fails with ObjectExists', async () => {
    const id = randomUuid();
    const tx = await storage.transaction(API);
    await tx.create('Router', { id, name: 'mine' });
    await run((t) => t.create('Router', { id, name: 'theirs' }), other);
    assertExists(await rejection(tx.commit()), 'Router', id);
    assert.deepEqual(await storage.get('Router', id), { id, name: 'theirs' });
  });
});

describe('tryTransaction', () => {
  function delta(before: StorageMetrics, s: NsdbStorage): StorageMetrics {
    const m = s.metrics;
    return {
      transactions: m.transactions - before.transactions,
      commits: m.commits - before.commits,
      conflicts: m.conflicts - before.conflicts,
      retries: m.retries - before.retries,
      exhausted: m.exhausted - before.exhausted,
    };
  }

  test('re-runs the function on a conflict and succeeds', async () => {
    const r = await createRouter({ name: 'a' });
    const s = await env.storage();
    const before = { ...s.metrics };
    let attempts = 0;
    const result = await s.tryTransaction(API, async (tx) => {
      attempts++;
      const seen = await tx.get('Router', r);
      if (attempts === 1) await run((t) => t.update('Router', { ...seen, name: 'theirs' }), other);
      await tx.update('Router', { ...seen, tenant_id: `t${attempts}` });
      return `done after ${attempts}`;
    });
    assert.equal(result, 'done after 2');
    assert.equal(attempts, 2);
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'theirs', tenant_id: 't2' });
    assert.deepEqual(delta(before, s), { transactions: 2, commits: 1, conflicts: 1, retries: 1, exhausted: 0 });
  });

  test('a conflict detected at read time is retried too', async () => {
    const r = await createRouter({ name: 'a' });
    const first = await createRouter({ name: 'read first' });
    const s = await env.storage();
    let attempts = 0;
    await s.tryTransaction(API, async (tx) => {
      attempts++;
      // the transaction starts with its first read; another node's change after it is a conflict
      await tx.get('Router', first);
      if (attempts === 1) await run((t) => t.update('Router', { id: r, name: 'theirs' }), other);
      const seen = await tx.get('Router', r);
      await tx.update('Router', { ...seen, tenant_id: 'x' });
    });
    assert.equal(attempts, 2);
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'theirs', tenant_id: 'x' });
  });

  test('other errors are final: no retry', async () => {
    const s = await env.storage();
    const before = { ...s.metrics };
    let attempts = 0;
    const missing = randomUuid();
    const e = await rejection(
      s.tryTransaction(API, async (tx) => {
        attempts++;
        await tx.get('Router', missing);
      }),
    );
    assertNotFound(e, 'Router', missing);
    assert.equal(attempts, 1);
    assert.deepEqual(delta(before, s), { transactions: 1, commits: 0, conflicts: 0, retries: 0, exhausted: 0 });
  });

  test('gives up after maxAttempts conflicts', async () => {
    const r = await createRouter({ name: 'a' });
    const s = await env.storage({ retry: { maxAttempts: 3, baseMs: 1, capMs: 5 } });
    const before = { ...s.metrics };
    let attempts = 0;
    const e = await rejection(
      s.tryTransaction(API, async (tx) => {
        attempts++;
        const seen = await tx.get('Router', r);
        await run((t) => t.update('Router', { ...seen, name: `theirs${attempts}` }), other);
        await tx.update('Router', { ...seen, tenant_id: 'never' });
      }),
    );
    assertCme(e);
    assert.equal(attempts, 3);
    assert.deepEqual(delta(before, s), { transactions: 3, commits: 0, conflicts: 3, retries: 2, exhausted: 1 });
    assert.deepEqual(await storage.get('Router', r), { id: r, name: 'theirs3' });
  });
});

describe('20 concurrent writers on one router', () => {
  const WRITERS = 20;
  const PORTS_EACH = 10;
  let writers: NsdbStorage[] = [];
  let router: string;
  const portsOf: string[][] = [];

  before(async () => {
    writers = await Promise.all(Array.from({ length: WRITERS }, () => env.storage({ build: false })));
    // 20 nodes starting at once all build the same tree
    await Promise.all(writers.map((w) => w.build()));
    router = await createRouter({ name: 'hot' });
  });

  function sum(pick: (m: StorageMetrics) => number): number {
    return writers.reduce((acc, w) => acc + pick(w.metrics), 0);
  }

  test(`each of ${WRITERS} writers creates ${PORTS_EACH} ports on the router: no failure, no lost update`, async () => {
    const started = Date.now();
    const before = { conflicts: sum((m) => m.conflicts), retries: sum((m) => m.retries), commits: sum((m) => m.commits) };
    const results = await Promise.allSettled(
      writers.map(async (w, i) => {
        portsOf[i] = [];
        for (let k = 0; k < PORTS_EACH; k++) {
          const id = randomUuid();
          await w.tryTransaction(API, (tx) => tx.create('Port', { id, router_id: router, interface_name: `w${i}-p${k}` }));
          portsOf[i].push(id);
        }
      }),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    const elapsed = Date.now() - started;
    const conflicts = sum((m) => m.conflicts) - before.conflicts;
    const retries = sum((m) => m.retries) - before.retries;
    console.log(
      `nsdb concurrency: ${WRITERS} writers x ${PORTS_EACH} port creates on one router: ` +
        `${WRITERS * PORTS_EACH} commits, ${failures.length} failures, ${conflicts} conflicts, ${retries} retries, ` +
        `exhausted ${sum((m) => m.exhausted)}, ${elapsed} ms`,
    );
    assert.deepEqual(
      failures.map((f) => String(f.reason)),
      [],
    );
    assert.equal(sum((m) => m.commits) - before.commits, WRITERS * PORTS_EACH);

    const all = portsOf.flat();
    assert.equal(new Set(all).size, WRITERS * PORTS_EACH);
    const stored = refs(await storage.get('Router', router), 'port_ids');
    assert.equal(stored.length, WRITERS * PORTS_EACH);
    assert.equal(new Set(stored).size, WRITERS * PORTS_EACH);
    assert.deepEqual([...stored].sort(), [...all].sort());
    const ports = await storage.getMany('Port', all);
    for (const p of ports) assert.equal(p['router_id'], router, `port ${String(p['id'])}`);
    // each writer's own ports appear in its commit order
    for (const mine of portsOf) {
      const positions = mine.map((id) => stored.indexOf(id));
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
    }
  });

  test(`the ${WRITERS} writers delete them concurrently: the router ends with no ports`, async () => {
    assert.equal(portsOf.length, WRITERS, 'needs the previous test');
    const started = Date.now();
    const before = { conflicts: sum((m) => m.conflicts), retries: sum((m) => m.retries) };
    const results = await Promise.allSettled(
      writers.map(async (w, i) => {
        for (const id of portsOf[i]) await w.tryTransaction(API, (tx) => tx.delete('Port', id));
      }),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    const elapsed = Date.now() - started;
    console.log(
      `nsdb concurrency: ${WRITERS} writers x ${PORTS_EACH} port deletes on one router: ` +
        `${failures.length} failures, ${sum((m) => m.conflicts) - before.conflicts} conflicts, ` +
        `${sum((m) => m.retries) - before.retries} retries, exhausted ${sum((m) => m.exhausted)}, ${elapsed} ms`,
    );
    assert.deepEqual(
      failures.map((f) => String(f.reason)),
      [],
    );
    assert.deepEqual(await storage.get('Router', router), { id: router, name: 'hot' });
    assert.deepEqual(await storage.getExisting('Port', portsOf.flat()), []);
    assert.equal(
      sum((m) => m.exhausted),
      0,
    );
  });
});

describe('update validators (storage.md §4.1)', () => {
  test('the validator sees the current object (with in-transaction changes) and may replace the new one', async () => {
    const id = await createRouter({ name: 'a' });
    const seen: Msg[] = [];
    await run(async (tx) => {
      await tx.update('Router', { id, name: 'b' });
      await tx.update('Router', { id, name: 'c' }, (current, next) => {
        seen.push(current, next);
        return { ...next, tenant_id: `from-${String(current['name'])}` };
      });
    });
    assert.deepEqual(seen, [
      { id, name: 'b' },
      { id, name: 'c' },
    ]);
    assert.deepEqual(await storage.get('Router', id), { id, name: 'c', tenant_id: 'from-b' });
  });

  test('a validator that throws fails the update; one returning nothing keeps the new object', async () => {
    const id = await createRouter({ name: 'a' });
    const nope = new Error('invalid');
    assert.equal(
      await rejection(
        run((tx) =>
          tx.update('Router', { id, name: 'b' }, () => {
            throw nope;
          }),
        ),
      ),
      nope,
    );
    assert.deepEqual(await storage.get('Router', id), { id, name: 'a' });
    await run((tx) => tx.update('Router', { id, name: 'b' }, () => undefined));
    assert.deepEqual(await storage.get('Router', id), { id, name: 'b' });
  });

  test('a validator may not change the id', async () => {
    const id = await createRouter({ name: 'a' });
    const e = await rejection(run((tx) => tx.update('Router', { id, name: 'b' }, (_c, next) => ({ ...next, id: randomUuid() }))));
    assert.ok(e instanceof Error && !(e instanceof ConcurrentModificationError), String(e));
    assert.deepEqual(await storage.get('Router', id), { id, name: 'a' });
  });
});

describe('node ops (storage.md §4.3, §4.4)', () => {
  const base = (): string => `${env.rootKey}/nodeops`;

  before(async () => {
    await zk.mkdirp(base());
  });

  test('create, update and delete a node, in the same multi as object ops', async () => {
    const p = `${base()}/plain`;
    const r = randomUuid();
    await run(async (tx) => {
      await tx.create('Router', { id: r });
      void tx.createNode(p, Buffer.from('v1'));
    });
    assert.equal((await zk.getData(p)).data.toString(), 'v1');
    assert.equal(await storage.exists('Router', r), true);
    await run(async (tx) => tx.updateNode(p, Buffer.from('v2')));
    assert.equal((await zk.getData(p)).data.toString(), 'v2');
    await run(async (tx) => tx.deleteNode(p));
    assert.equal(await zk.exists(p), null);
  });

  test('folding: create+create fails, create+update stays a create, delete+create becomes an update, delete+update fails', async () => {
    const p = `${base()}/fold`;
    const tx = await storage.transaction(API);
    void tx.createNode(p, Buffer.from('a'));
    const e = await failure(() => tx.createNode(p, Buffer.from('b')));
    assert.ok(e instanceof StorageNodeExistsError, String(e));
    assert.equal(e.message, `There is already a node at ${p}.`);
    tx.updateNode(p, Buffer.from('c'));
    await tx.commit();
    assert.equal((await zk.getData(p)).data.toString(), 'c');

    await run(async (t) => {
      void t.deleteNode(p);
      void t.createNode(p, Buffer.from('d'));
    });
    assert.equal((await zk.getData(p)).data.toString(), 'd');

    const t2 = await storage.transaction(API);
    void t2.deleteNode(p);
    const e2 = await failure(() => t2.updateNode(p, Buffer.from('x')));
    assert.ok(e2 instanceof StorageNodeNotFoundError, String(e2));
    assert.equal(e2.message, `There is no node at ${p}.`);
  });

  test('commit errors: existing node on create, missing node on update; nothing else written', async () => {
    const p = `${base()}/exists`;
    await zk.create(p, Buffer.from('old'));
    const r = randomUuid();
    const e = await rejection(
      run(async (tx) => {
        await tx.create('Router', { id: r });
        void tx.createNode(p, Buffer.from('new'));
      }),
    );
    assert.ok(e instanceof StorageNodeExistsError, String(e));
    assert.equal(e.message, `There is already a node at ${p}.`);
    assert.equal((await zk.getData(p)).data.toString(), 'old');
    assert.equal(await storage.exists('Router', r), false);

    const missing = `${base()}/missing`;
    const e2 = await rejection(run(async (tx) => tx.updateNode(missing, Buffer.from('x'))));
    assert.ok(e2 instanceof StorageNodeNotFoundError, String(e2));
    assert.equal(e2.message, `There is no node at ${missing}.`);
  });

  test('createNode creates missing ancestors', async () => {
    const p = `${base()}/deep/er/leaf`;
    await run(async (tx) => tx.createNode(p, Buffer.from('x')));
    assert.equal((await zk.getData(p)).data.toString(), 'x');
    assert.equal((await zk.getData(`${base()}/deep`)).data.length, 0);
    assert.equal((await zk.getData(`${base()}/deep/er`)).data.length, 0);
  });

  test('an entry in a table of an object created by the same transaction (an L2 gateway port and its peering table)', async () => {
    const port = randomUuid();
    const table = `${storage.layout.tables('Port', port)}/peering_table`;
    await run(async (tx) => {
      await tx.create('Port', { id: port });
      await tx.createNode(`${table}/02:00:00:00:00:01,10.0.0.1,2147483647`);
    });
    assert.deepEqual((await zk.getChildren(table)).children, ['02:00:00:00:00:01,10.0.0.1,2147483647']);
    assert.deepEqual((await zk.getChildren(storage.layout.tables('Port', port))).children, ['peering_table']);
    assert.equal(await storage.exists('Port', port), true);
  });

  test('deleteNode of a missing node is a no-op by default (idempotent)', async () => {
    const r = randomUuid();
    await run(async (tx) => {
      await tx.create('Router', { id: r });
      void tx.deleteNode(`${base()}/never-existed`);
    });
    assert.equal(await storage.exists('Router', r), true);
  });

  test('deleteNode deletes the node with its whole subtree', async () => {
    const p = `${base()}/tree`;
    await zk.create(p);
    await zk.create(`${p}/a`);
    await zk.create(`${p}/a/b`);
    await zk.create(`${p}/c`);
    await run(async (tx) => tx.deleteNode(p));
    assert.equal(await zk.exists(p), null);
  });
});
