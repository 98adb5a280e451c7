/**
 * The topology cache (lib/nsdb/cache) on a real ZooKeeper: a store with a cache reads what
 * another session committed just before, whatever it was (create, update, delete, a child added
 * to a parent), from memory; bounds and session changes send reads back to ZooKeeper.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { ClassView } from '../../lib/nsdb/cache/topology-cache.js';
import { NsdbTestEnv } from '../support/nsdb-env.js';

const BIG = { maxObjects: 100_000, maxBytes: 256 * 1024 * 1024, idleEvictionMs: 600_000 };

/** The class as a request arriving now would see it. */
async function viewOf(s: NsdbStorage, clazz: string): Promise<ClassView> {
  const cache = s.cache;
  assert.ok(cache);
  const fresh = await cache.fresh(clazz);
  assert.ok(fresh, 'a fresh point while connected');
  const view = await cache.view(clazz, fresh);
  assert.ok(view, `${clazz} served from the cache`);
  return view;
}

describe('topology cache', () => {
  let env: NsdbTestEnv;
  let writer: NsdbStorage;
  let reader: NsdbStorage;

  before(async () => {
    env = await NsdbTestEnv.create();
    writer = await env.storage();
    reader = await env.storage({ cache: BIG });
  });
  after(async () => {
    reader.cache?.close();
    await env.close();
  });

  test('every write of another session is seen by the next read: 300 creates, updates, deletes, children', async () => {
    const bridge = randomUUID();
    await writer.tryTransaction(0, (tx) => tx.create('Network', { id: bridge, name: 'b' }));
    const live = new Set<string>();
    let stale = 0;
    for (let i = 0; i < 300; i++) {
      const step = i % 3;
      if (step === 0 || live.size === 0) {
        const id = randomUUID();
        await writer.tryTransaction(0, (tx) => tx.create('Port', { id, network_id: bridge, interface_name: `p${i}` }));
        live.add(id);
        const ports = await viewOf(reader, 'Port');
        const bridges = await viewOf(reader, 'Network');
        if (ports.get(id) === undefined) stale++;
        if (!((bridges.get(bridge)?.msg['port_ids'] as string[] | undefined) ?? []).includes(id)) stale++;
      } else if (step === 1) {
        const id = [...live][i % live.size];
        await writer.tryTransaction(0, async (tx) => tx.update('Port', { ...(await tx.get('Port', id)), interface_name: `u${i}` }));
        if ((await viewOf(reader, 'Port')).get(id)?.msg['interface_name'] !== `u${i}`) stale++;
      } else {
        const id = [...live][0];
        await writer.tryTransaction(0, (tx) => tx.delete('Port', id));
        live.delete(id);
        const ports = await viewOf(reader, 'Port');
        if (ports.get(id) !== undefined || ports.ids().includes(id)) stale++;
        if (((await viewOf(reader, 'Network')).get(bridge)?.msg['port_ids'] as string[] | undefined)?.includes(id)) stale++;
      }
    }
    assert.equal(stale, 0);
    assert.deepEqual(new Set((await viewOf(reader, 'Port')).ids()), new Set(await writer.listIds('Port')));
  });

  test('a new session drops the cache; the next read fills it again and sees what was written meanwhile', async () => {
    await viewOf(reader, 'Port');
    const before = reader.cache?.stats();
    assert.ok(before && before.objects > 0);
    const id = randomUUID();
    reader.useClient(await env.client());
    assert.equal(reader.cache?.stats().objects, 0, 'nothing kept from the old session');
    await writer.tryTransaction(0, (tx) => tx.create('Port', { id, interface_name: 'after' }));
    assert.equal((await viewOf(reader, 'Port')).get(id)?.msg['interface_name'], 'after');
    assert.ok((reader.cache?.stats().generation ?? 0) > before.generation);
  });

  test('a read of one object does not wait for its class to be filled; the fill goes on for the next reader', async () => {
    const s = await env.storage({ cache: BIG });
    try {
      const id = randomUUID();
      await writer.tryTransaction(0, (tx) => tx.create('Mirror', { id }));
      const cache = s.cache;
      assert.ok(cache);
      const fresh = await cache.fresh('Mirror');
      assert.ok(fresh);
      assert.equal(await cache.view('Mirror', fresh, false), undefined, 'not filled yet: read ZooKeeper instead');
      assert.ok((await viewOf(s, 'Mirror')).get(id), 'a list waits for the fill');
      const again = await cache.fresh('Mirror');
      assert.ok(again);
      assert.ok((await cache.view('Mirror', again, false))?.get(id), 'filled: served from memory');
    } finally {
      s.cache?.close();
    }
  });

  test('a class over max_objects is not kept; its reads go to ZooKeeper and the bound holds', async () => {
    const small = await env.storage({ cache: { maxObjects: 5, maxBytes: 1024 * 1024, idleEvictionMs: 600_000 } });
    try {
      for (let i = 0; i < 8; i++) await writer.tryTransaction(0, (tx) => tx.create('Chain', { id: randomUUID(), name: `c${i}` }));
      const cache = small.cache;
      assert.ok(cache);
      const fresh = await cache.fresh('Chain');
      assert.ok(fresh);
      assert.equal(await cache.view('Chain', fresh), undefined);
      assert.ok(cache.stats().objects <= 5);
      assert.ok(!cache.stats().classes.includes('Chain'));
      assert.equal((await small.listIds('Chain')).length, 8, 'direct reads still answer');
    } finally {
      small.cache?.close();
    }
  });

  test('the class read least recently is evicted to make room for another', async () => {
    const s = await env.storage({ cache: { maxObjects: 12, maxBytes: 1024 * 1024, idleEvictionMs: 600_000 } });
    try {
      for (let i = 0; i < 6; i++) await writer.tryTransaction(0, (tx) => tx.create('PortGroup', { id: randomUUID(), name: `g${i}` }));
      for (let i = 0; i < 6; i++) await writer.tryTransaction(0, (tx) => tx.create('IPAddrGroup', { id: randomUUID(), name: `a${i}` }));
      for (let i = 0; i < 6; i++) await writer.tryTransaction(0, (tx) => tx.create('Router', { id: randomUUID(), name: `r${i}` }));
      await viewOf(s, 'PortGroup');
      await viewOf(s, 'IPAddrGroup');
      await viewOf(s, 'Router');
      const classes = s.cache?.stats().classes ?? [];
      assert.ok(!classes.includes('PortGroup'), `the oldest class was evicted: ${classes.join(',')}`);
      assert.ok(classes.includes('Router'));
      assert.ok((s.cache?.stats().objects ?? 99) <= 12);
    } finally {
      s.cache?.close();
    }
  });
});
