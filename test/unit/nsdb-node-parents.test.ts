/**
 * State-table entries created in a transaction create their missing parents on the way; when
 * another writer creates such a parent first, the transaction is re-run (a conflict), not failed:
 * the first entries of a new table, written at once, must all succeed (lib/nsdb/transaction.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrentModificationError, StorageNodeExistsError } from '../../lib/nsdb/errors.js';
import { zoomLayout } from '../../lib/nsdb/layout.js';
import { Transaction } from '../../lib/nsdb/transaction.js';
import { MemoryZk } from '../support/memory-zk.js';

function open(zk: MemoryZk): Transaction {
  return new Transaction({ zk, layout: zoomLayout('/m'), owner: 0, product: { version: '', commit: '' }, startZxid: async () => zk.zxid });
}

test('a parent created meanwhile makes the commit a conflict; an entry created meanwhile stays an error', async () => {
  const zk = new MemoryZk();
  zk.mkdirp('/m/zoom/0/tables/Network/n/mac_table');
  const a = open(zk);
  const b = open(zk);
  await a.createNode('/m/zoom/0/tables/Network/n/mac_table/0/aa:bb:cc:dd:ee:01,p1,2147483647');
  await b.createNode('/m/zoom/0/tables/Network/n/mac_table/0/aa:bb:cc:dd:ee:02,p2,2147483647');
  await a.commit();
  await assert.rejects(b.commit(), (e: unknown) => e instanceof ConcurrentModificationError && e.key === '/m/zoom/0/tables/Network/n/mac_table/0');
  const again = open(zk);
  await again.createNode('/m/zoom/0/tables/Network/n/mac_table/0/aa:bb:cc:dd:ee:02,p2,2147483647');
  await again.commit();
  assert.deepEqual(zk.paths('/m/zoom/0/tables/Network/n/mac_table/0').length, 3);
  const dup = open(zk);
  await dup.createNode('/m/zoom/0/tables/Network/n/mac_table/0/aa:bb:cc:dd:ee:02,p2,2147483647');
  await assert.rejects(dup.commit(), StorageNodeExistsError);
});
