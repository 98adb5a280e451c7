/**
 * ClassCache against a scripted ZooKeeper: the orders of answers and events a real session can
 * produce, made to happen on purpose (the integration tests meet them only by chance).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Msg } from '../../lib/models/types.js';
import { ClassCache, type ClassCacheHost } from '../../lib/nsdb/cache/class-cache.js';
import type { ZkStat } from '../../lib/zk/client.js';
import { ZkError, ZK_CODES } from '../../lib/zk/errors.js';

interface Call {
  op: 'getData' | 'getChildren';
  path: string;
  answer(): void;
}

/** A ZooKeeper whose answers are given by hand, each with the state of the data at that moment. */
function scripted() {
  const data = new Map<string, { text: string; mzxid: bigint }>();
  let zxid = 0n;
  const calls: Call[] = [];
  const stat = (mzxid: bigint): ZkStat => ({
    czxid: 0n,
    mzxid,
    pzxid: 0n,
    ctime: 0,
    mtime: 0,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    dataLength: 0,
    numChildren: 0,
  });
  const zk = {
    getData: (path: string) =>
      new Promise<{ data: Buffer; stat: ZkStat }>((resolve, reject) => {
        calls.push({
          op: 'getData',
          path,
          // answered with the data as it is when the server gets to it
          answer: () => {
            const d = data.get(path);
            if (d) resolve({ data: Buffer.from(d.text), stat: stat(d.mzxid) });
            else reject(new ZkError(ZK_CODES.NONODE, path));
          },
        });
      }),
    getChildren: (path: string) =>
      new Promise<{ children: string[]; stat: ZkStat }>((resolve) => {
        calls.push({
          op: 'getChildren',
          path,
          answer: () => resolve({ children: [...data.keys()].map((p) => p.slice(p.lastIndexOf('/') + 1)), stat: stat(0n) }),
        });
      }),
  };
  return {
    zk,
    calls,
    write(id: string, text: string) {
      data.set(`/m/${id}`, { text, mzxid: ++zxid });
    },
    remove(id: string) {
      data.delete(`/m/${id}`);
    },
    /** answers the oldest unanswered call */
    answerNext(): Call {
      const c = calls.shift();
      assert.ok(c, 'a call to answer');
      c.answer();
      return c;
    },
  };
}

function hostOf(zk: ReturnType<typeof scripted>['zk']): ClassCacheHost {
  return {
    zk: () => zk,
    watcher: () => undefined,
    folder: () => '/m',
    path: (_c, id) => `/m/${id}`,
    decode: (_c, id, d): Msg => ({ id, name: d.toString() }),
    makeRoom: () => true,
    account: () => undefined,
    tooBig: () => undefined,
    failed: (_c, e) => assert.fail(String(e)),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

test('an event handled before the answer it follows was stored is not lost: the object is read again', async () => {
  const z = scripted();
  z.write('a', 'v1');
  const cache = new ClassCache('X', hostOf(z.zk));
  z.answerNext(); // the listing
  await flush();
  const load = z.answerNext(); // the first read of a: v1, resolved but not yet stored
  assert.equal(load.op, 'getData');
  // the next change and its event arrive in the same packet batch as that answer
  z.write('a', 'v2');
  cache.dataChanged('a');
  const settled = cache.settle();
  await flush();
  z.answerNext(); // the read again
  assert.equal(await settled, true);
  assert.equal(cache.objects.get('a')?.msg['name'], 'v2');
  await cache.ready;
});

test('a delete whose event comes before the answer of an earlier read was stored does not bring the object back', async () => {
  const z = scripted();
  z.write('a', 'v1');
  const cache = new ClassCache('X', hostOf(z.zk));
  z.answerNext();
  await flush();
  z.answerNext(); // a: v1, not yet stored
  z.remove('a');
  cache.deleted('a');
  const settled = cache.settle();
  await flush();
  z.answerNext(); // read again: no node
  assert.equal(await settled, true);
  assert.equal(cache.objects.has('a'), false);
});

test('an older answer never replaces a newer version', async () => {
  const z = scripted();
  z.write('a', 'v1');
  const cache = new ClassCache('X', hostOf(z.zk));
  z.answerNext();
  await flush();
  z.answerNext();
  await cache.ready;
  z.write('a', 'v2');
  cache.dataChanged('a');
  cache.dataChanged('a'); // a second event while the read is in flight: one more read, not two at once
  assert.equal(z.calls.length, 1);
  z.answerNext();
  await flush();
  z.answerNext();
  assert.equal(await cache.settle(), true);
  assert.equal(cache.objects.get('a')?.msg['name'], 'v2');
});

test('a reader waits for the read that follows its event, not for an object that keeps changing to calm down', async () => {
  const z = scripted();
  z.write('a', 'v1');
  const cache = new ClassCache('X', hostOf(z.zk));
  z.answerNext();
  await flush();
  z.answerNext();
  await cache.ready;
  z.write('a', 'v2');
  cache.dataChanged('a'); // read 1 in flight
  let settled = false;
  void cache.settle().then(() => (settled = true));
  z.write('a', 'v3');
  cache.dataChanged('a'); // comes while read 1 is in flight: read 2 will follow
  z.answerNext(); // read 1, answered with v3
  await flush();
  assert.equal(settled, true, 'the reader that came before the second event is released by read 1');
  assert.equal(cache.objects.get('a')?.msg['name'], 'v3');
  assert.equal(z.calls.length, 1, 'read 2 is on its way');
  let second = false;
  void cache.settle().then(() => (second = true));
  await flush();
  assert.equal(second, false, 'a reader after the second event waits for read 2');
  z.write('a', 'v4');
  z.answerNext();
  await flush();
  assert.equal(second, true);
  assert.equal(cache.objects.get('a')?.msg['name'], 'v4');
});
