/**
 * What the performance work of issue 7 changed in the NSDB layer, held to the same guarantees:
 * sequences served in batches (unique, gap-free values across concurrent callers and nodes), the
 * transaction start by `sync` (a change made after `transaction()` returns is a conflict; one made
 * through another node before it is visible), and the per-node turns of conflicting retries (many
 * writers of one node on one hot object: every commit lands, none is lost).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { ConcurrentModificationError } from '../../lib/nsdb/errors.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import { NsdbTestEnv, failure, refs } from '../support/nsdb-env.js';

const API = ChangeOwner.clusterApi;

let env: NsdbTestEnv;
let storage: NsdbStorage;
let other: NsdbStorage; // a second node

before(async () => {
  env = await NsdbTestEnv.create();
  storage = await env.storage();
  other = await env.storage();
});

after(async () => {
  await env.close();
});

describe('sequences', () => {
  test('the first value follows the seed; sequential calls count up by one', async () => {
    assert.equal(await storage.nextSequenceValue('seq-a', 100), 101);
    assert.equal(await storage.nextSequenceValue('seq-a', 100), 102);
    // another node continues where this one stopped, and this one notices
    assert.equal(await other.nextSequenceValue('seq-a', 100), 103);
    assert.equal(await storage.nextSequenceValue('seq-a', 100), 104);
  });

  test('concurrent callers on two nodes get distinct values with no gap', async () => {
    const calls = [...Array.from({ length: 60 }, () => storage), ...Array.from({ length: 40 }, () => other)].map((s) => s.nextSequenceValue('seq-b', 0));
    const values = await Promise.all(calls);
    assert.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
    // one node's callers of one batch get their values in call order
    const mine = values.slice(0, 60);
    assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
    const { data } = await storage.zookeeper.getData(storage.layout.sequences('seq-b'));
    assert.equal(data.readInt32BE(0), 100);
  });
});

describe('transaction start (sync)', () => {
  test('a change made after transaction() returns is a conflict at read time', async () => {
    const r = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: r, name: 'a' }));
    const tx = await storage.transaction(API);
    await other.tryTransaction(API, (t) => t.update('Router', { id: r, name: 'b' }));
    const e = await failure(() => tx.get('Router', r));
    assert.ok(e instanceof ConcurrentModificationError);
    assert.equal(e.key, `Router/${r}`);
  });

  test('a write committed through another node before the transaction is read by it', async () => {
    for (let i = 0; i < 20; i++) {
      const r = randomUuid();
      await other.tryTransaction(API, (t) => t.create('Router', { id: r, name: `n${i}` }));
      const seen = await storage.tryTransaction(API, (tx) => tx.get('Router', r));
      assert.equal(seen['name'], `n${i}`);
    }
  });

  test('nothing is written to start a transaction (no probe nodes)', async () => {
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: randomUuid() }));
    const { children } = await storage.zookeeper.getChildren(storage.layout.zoomLocks);
    assert.deepEqual(children, []);
  });
});

describe('turns of conflicting retries', () => {
  test('50 writers of one node on one router, plus 10 of another node: all commit, nothing lost', async () => {
    const router = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: router, name: 'hot' }));
    const create = (s: NsdbStorage): Promise<string> => {
      const id = randomUuid();
      return s.tryTransaction(API, (tx) => tx.create('Port', { id, router_id: router })).then(() => id);
    };
    const before = { ...storage.metrics };
    const ids = await Promise.all([...Array.from({ length: 50 }, () => create(storage)), ...Array.from({ length: 10 }, () => create(other))]);
    const stored = refs(await storage.get('Router', router), 'port_ids');
    assert.deepEqual([...stored].sort(), [...ids].sort());
    assert.equal(storage.metrics.exhausted - before.exhausted, 0);
    assert.equal(storage.metrics.commits - before.commits, 50);
  });

  test('a transaction run inside another one does not wait for a turn the outer one holds', async () => {
    const a = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: a, name: 'x' }));
    const rename = (s: NsdbStorage, name: string): Promise<void> =>
      s.tryTransaction(API, async (t) => t.update('Router', { ...(await t.get('Router', a)), name }));
    let outer = 0;
    await storage.tryTransaction(API, async (tx) => {
      outer++;
      const cur = await tx.get('Router', a);
      if (outer === 1) await rename(storage, 'inner1'); // the outer attempt conflicts: it takes the turn on the router
      if (outer === 2) {
        // inside the turn, a nested transaction conflicts on the same router: it must retry, not queue
        let inner = 0;
        await storage.tryTransaction(API, async (t) => {
          inner++;
          const seen = await t.get('Router', a);
          if (inner === 1) await rename(other, 'other');
          await t.update('Router', { ...seen, name: 'inner2' });
        });
        assert.equal(inner, 2);
      }
      await tx.update('Router', { ...cur, tenant_id: 'outer' });
    });
    assert.equal(outer, 3);
    assert.deepEqual(await storage.get('Router', a), { id: a, name: 'inner2', tenant_id: 'outer' });
  });
});
