/**
 * What the performance work of issue 7 changed in the NSDB layer, held to the same guarantees:
 * sequences served in batches (unique, gap-free values across concurrent callers and nodes; with
 * blocks, unique and increasing per node, one write per block), the
 * transaction start by `sync` (a change made after `transaction()` returns is a conflict; one made
 * through another node before it is visible), and the per-node queues of conflicting retries
 * served by group commits (many writers of one node on one hot object: every commit lands, none is
 * lost, a failing member leaves no trace and gets its own error).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { ConcurrentModificationError, StorageNodeExistsError } from '../../lib/nsdb/errors.js';
import type { Transaction } from '../../lib/nsdb/transaction.js';
import { parseText } from '../../lib/nsdb/codec/text-format.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import { NsdbTestEnv, failure, refs, sorted } from '../support/nsdb-env.js';

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
    assert.deepEqual(
      [...values].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    // one node's callers of one batch get their values in call order
    const mine = values.slice(0, 60);
    assert.deepEqual(
      mine,
      [...mine].sort((a, b) => a - b),
    );
    const { data } = await storage.zookeeper.getData(storage.layout.sequences('seq-b'));
    assert.equal(data.readInt32BE(0), 100);
  });
});

/** The sequence's znode as ZooKeeper holds it: the 4-byte value and the version. */
async function sequenceZnode(s: NsdbStorage, name: string): Promise<{ value: number; version: number }> {
  const { data, stat } = await s.zookeeper.getData(s.layout.sequences(name));
  assert.equal(data.length, 4);
  return { value: data.readInt32BE(0), version: stat.version };
}

/** Lets the callers queued so far be batched and sent before the next ones are made. */
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function assertIncreasing(values: number[], what: string): void {
  for (let i = 1; i < values.length; i++) assert.ok(values[i - 1] < values[i], `${what}: ${values.join(',')}`);
}

describe('sequences in blocks', () => {
  test('one node gets consecutive values; the first call advances the znode by the block', async () => {
    assert.equal(await storage.nextSequenceValue('blk-a', 10, { block: 8 }), 11);
    const first = await sequenceZnode(storage, 'blk-a');
    assert.equal(first.value, 18);
    const rest: number[] = [];
    for (let i = 0; i < 7; i++) rest.push(await storage.nextSequenceValue('blk-a', 10, { block: 8 }));
    assert.deepEqual(rest, [12, 13, 14, 15, 16, 17, 18]);
    assert.deepEqual(await sequenceZnode(storage, 'blk-a'), first, 'the rest of the block costs no write');
    // concurrent callers of one node share the block in call order
    const together = await Promise.all(Array.from({ length: 5 }, () => storage.nextSequenceValue('blk-a', 10, { block: 8 })));
    assert.deepEqual(together, [19, 20, 21, 22, 23]);
    assert.equal((await sequenceZnode(storage, 'blk-a')).value, 26);
  });

  test('callers that come while the compare-and-set is out get the rest of its block, in call order', async () => {
    const first = storage.nextSequenceValue('blk-i', 0, { block: 8 });
    await nextTurn(); // its compare-and-set is on the way now, not yet answered
    const later = [1, 2, 3].map(() => storage.nextSequenceValue('blk-i', 0, { block: 8 }));
    assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3, 4]);
    assert.deepEqual(await sequenceZnode(storage, 'blk-i'), { value: 8, version: 1 });
  });

  test('a second block is reserved only when the first is used up', async () => {
    assert.equal(await storage.nextSequenceValue('blk-b', 0), 1);
    const { version: created } = await sequenceZnode(storage, 'blk-b');
    const versions: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < 17; i++) {
      values.push(await storage.nextSequenceValue('blk-b', 0, { block: 8 }));
      versions.push((await sequenceZnode(storage, 'blk-b')).version - created);
    }
    assert.deepEqual(
      values,
      Array.from({ length: 17 }, (_, i) => i + 2),
    );
    // one compare-and-set per block of 8: before the 1st, the 9th and the 17th call
    assert.deepEqual(versions, [...Array<number>(8).fill(1), ...Array<number>(8).fill(2), 3]);
    assert.equal((await sequenceZnode(storage, 'blk-b')).value, 1 + 3 * 8);
  });

  test('two nodes interleaving 100 calls get distinct values, each node increasing', async () => {
    const calls: { node: 0 | 1; value: Promise<number> }[] = [];
    for (let i = 0; i < 100; i++) {
      const node = (i % 2) as 0 | 1;
      calls.push({ node, value: (node === 0 ? storage : other).nextSequenceValue('blk-c', 0, { block: 8 }) });
      // a mix of callers served from a block, queued behind a compare-and-set, and batched
      if (i % 3 === 2) await nextTurn();
    }
    const values = await Promise.all(calls.map((c) => c.value));
    assert.equal(new Set(values).size, 100, `duplicates: ${[...values].sort((a, b) => a - b).join(',')}`);
    for (const n of [0, 1] as const) {
      assertIncreasing(
        values.filter((_, i) => calls[i].node === n),
        `node ${n}`,
      );
    }
    // what is not handed out is at most the rest of one block per node
    const { value: top } = await sequenceZnode(storage, 'blk-c');
    assert.ok(values.every((v) => v >= 1 && v <= top));
    assert.ok(top - 100 >= 0 && top - 100 <= 2 * 7, `znode ${top}`);
  });

  test('a node that takes one value at a time is not held back by another that holds a block', async () => {
    const a = await storage.nextSequenceValue('blk-d', 0, { block: 8 });
    const b = await other.nextSequenceValue('blk-d', 0);
    const c = await storage.nextSequenceValue('blk-d', 0, { block: 8 });
    assert.deepEqual([a, b, c], [1, 9, 2]);
    assert.equal((await sequenceZnode(storage, 'blk-d')).value, 9);
  });

  test('ZooKeeper unreachable: the waiting callers fail, the block already held is still served, nothing is duplicated', async () => {
    const zk = await env.client();
    const s = new NsdbStorage({ zk, rootKey: env.rootKey });
    await s.build();
    assert.equal(await s.nextSequenceValue('blk-e', 0, { block: 4 }), 1);
    await zk.close();
    // reserved by a committed write: no session needed to hand it out
    assert.deepEqual(await Promise.all([2, 3, 4].map(() => s.nextSequenceValue('blk-e', 0, { block: 4 }))), [2, 3, 4]);
    const failed = await Promise.allSettled([1, 2, 3].map(() => s.nextSequenceValue('blk-e', 0, { block: 4 })));
    assert.deepEqual(
      failed.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.equal((await sequenceZnode(storage, 'blk-e')).value, 4, 'nothing reserved by the failed calls');
    // a new session: the node carries on after the last value it handed out
    s.useClient(await env.client());
    assert.equal(await s.nextSequenceValue('blk-e', 0, { block: 4 }), 5);
    assert.equal((await sequenceZnode(storage, 'blk-e')).value, 8);
  });

  test('a session change keeps the block: the values were reserved for good', async () => {
    const s = await env.storage();
    assert.equal(await s.nextSequenceValue('blk-f', 0, { block: 4 }), 1);
    const { version } = await sequenceZnode(storage, 'blk-f');
    s.useClient(await env.client());
    assert.deepEqual([await s.nextSequenceValue('blk-f', 0, { block: 4 }), await s.nextSequenceValue('blk-f', 0, { block: 4 })], [2, 3]);
    assert.equal((await sequenceZnode(storage, 'blk-f')).version, version);
  });

  test('the znode deleted behind the node: it is created again from the seed, as with single values', async () => {
    for (let i = 1; i <= 4; i++) assert.equal(await storage.nextSequenceValue('blk-g', 50, { block: 4 }), 50 + i);
    await storage.zookeeper.remove(storage.layout.sequences('blk-g'));
    assert.equal(await storage.nextSequenceValue('blk-g', 50, { block: 4 }), 51);
    assert.deepEqual(await sequenceZnode(storage, 'blk-g'), { value: 54, version: 1 });
  });

  test('a block that is not a positive integer is refused before anything is sent', async () => {
    for (const block of [0, -1, 1.5, Number.NaN]) {
      const e = await failure(() => storage.nextSequenceValue('blk-h', 0, { block }));
      assert.ok(e instanceof RangeError, String(e));
    }
    assert.equal(await storage.zookeeper.exists(storage.layout.sequences('blk-h')), null);
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

describe('queues of conflicting retries, served by group commits', () => {
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

  /**
   * `n` writers that all read the router before any of them commits (a barrier on the first
   * attempt): writer 0's multi goes first and wins, the others conflict and are re-run from the
   * router's queue, in groups. `body(i, tx)` is each writer's change.
   */
  async function contended(
    router: string,
    n: number,
    body: (i: number, tx: Transaction, attempt: number) => Promise<void>,
  ): Promise<PromiseSettledResult<void>[]> {
    let arrived = 0;
    let open!: () => void;
    const barrier = new Promise<void>((r) => (open = r));
    const attempts = new Array<number>(n).fill(0);
    return Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        storage.tryTransaction(API, async (tx) => {
          const attempt = ++attempts[i];
          await tx.get('Router', router);
          if (attempt === 1) {
            if (++arrived === n) open();
            await barrier;
          }
          await body(i, tx, attempt);
        }),
      ),
    );
  }

  test('40 queued writers commit in a few multis, in order, each seeing the ones before', async () => {
    const router = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: router, name: 'hot' }));
    const before = { ...storage.metrics };
    const ids = Array.from({ length: 40 }, () => randomUuid());
    const seen: number[] = [];
    const results = await contended(router, 40, async (i, tx) => {
      seen[i] = refs(await tx.get('Router', router), 'port_ids').length;
      await tx.create('Port', { id: ids[i], router_id: router });
    });
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    const stored = refs(await storage.get('Router', router), 'port_ids');
    assert.deepEqual(sorted(stored), sorted(ids));
    // every writer saw the ports of those committed (or grouped) before it: all distinct counts
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, k) => k),
    );
    assert.equal(storage.metrics.commits - before.commits, 40);
    // 40 first attempts, then the 39 losers in groups: far fewer transactions than writers
    const groups = storage.metrics.transactions - before.transactions - 40;
    assert.ok(groups >= 1 && groups <= 8, `expected a few group transactions, got ${groups}`);
  });

  test('a member that fails leaves no trace and gets its own error; the others commit', async () => {
    const router = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: router, name: 'hot' }));
    const ids = Array.from({ length: 12 }, () => randomUuid());
    const results = await contended(router, 12, async (i, tx, attempt) => {
      await tx.create('Port', { id: ids[i], router_id: router });
      // writer 5 fails in its group run, after having changed the router (a back-reference)
      if (i === 5 && attempt > 1) throw new Error('writer 5 refuses');
    });
    const five = results[5];
    assert.equal(five?.status, 'rejected');
    assert.match(String(five.reason), /writer 5 refuses/);
    assert.deepEqual(
      results.filter((r, i) => i !== 5 && r.status === 'rejected'),
      [],
    );
    const stored = refs(await storage.get('Router', router), 'port_ids');
    assert.deepEqual(sorted(stored), sorted(ids.filter((_, i) => i !== 5)));
    assert.equal(await storage.exists('Port', ids[5]), false);
  });

  test('a group whose multi fails for another reason than a conflict: each member is re-run alone', async () => {
    const router = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Router', { id: router, name: 'hot' }));
    const taken = `${env.rootKey}/taken-${randomUuid()}`;
    const zk = await env.client();
    await zk.mkdirp(taken);
    const ids = Array.from({ length: 10 }, () => randomUuid());
    const results = await contended(router, 10, async (i, tx, attempt) => {
      await tx.create('Port', { id: ids[i], router_id: router });
      // writer 3, in its group run, also creates a node that exists: the group's multi fails
      if (i === 3 && attempt > 1) await tx.createNode(taken);
    });
    const three = results[3];
    assert.equal(three?.status, 'rejected');
    assert.ok(three.reason instanceof StorageNodeExistsError, String(three.reason));
    assert.deepEqual(
      results.filter((r, i) => i !== 3 && r.status === 'rejected'),
      [],
    );
    const stored = refs(await storage.get('Router', router), 'port_ids');
    assert.deepEqual(sorted(stored), sorted(ids.filter((_, i) => i !== 3)));
    assert.equal(await storage.exists('Port', ids[3]), false);
  });
});

describe('decode cache: parsed objects reused only for the very bytes they came from', () => {
  test('what this node wrote reads back exactly as a parse of the stored bytes, without parsing', async () => {
    const net = randomUuid();
    const ports = [randomUuid(), randomUuid()];
    await storage.tryTransaction(API, async (tx) => {
      await tx.create('Network', { id: net, name: 'cached', admin_state_up: false });
      for (const p of ports) await tx.create('Port', { id: p, network_id: net, tunnel_key: 7n });
    });
    // the last port leaves: port_ids becomes empty, which the text format does not store
    await storage.tryTransaction(API, async (tx) => {
      for (const p of ports) await tx.delete('Port', p);
    });
    const path = storage.layout.model('Network', net);
    const zk = await env.client();
    const fromBytes = parseText('Network', (await zk.getData(path)).data.toString('utf8'));
    const hits = storage.decodeCache.hits;
    const read = await storage.get('Network', net);
    assert.equal(storage.decodeCache.hits, hits + 1, 'served from the cache');
    assert.deepEqual(read, fromBytes);
    // a copy: changing it changes nothing cached
    read['name'] = 'changed';
    assert.equal((await storage.get('Network', net))['name'], 'cached');
  });

  test("another node's write is seen at once: the bytes differ, the cache is not used", async () => {
    const net = randomUuid();
    await storage.tryTransaction(API, (tx) => tx.create('Network', { id: net, name: 'one' }));
    assert.equal((await storage.get('Network', net))['name'], 'one');
    await other.tryTransaction(API, async (tx) => tx.update('Network', { ...(await tx.get('Network', net)), name: 'two' }));
    const misses = storage.decodeCache.misses;
    assert.equal((await storage.get('Network', net))['name'], 'two');
    assert.equal(storage.decodeCache.misses, misses + 1);
    // and inside a transaction too
    await other.tryTransaction(API, async (tx) => tx.update('Network', { ...(await tx.get('Network', net)), name: 'three' }));
    await storage.tryTransaction(API, async (tx) => {
      assert.equal((await tx.get('Network', net))['name'], 'three');
    });
  });
});
