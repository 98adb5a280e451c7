import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncGate } from '../../lib/nsdb/cache/sync-gate.js';

/** A `sync` stand-in answered by hand: `sent` counts them, `answer(i)` settles the i-th. */
function manualSync() {
  const calls: { resolve(): void; reject(e: Error): void }[] = [];
  return {
    calls,
    send: () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject })),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a reader arriving while a sync is in flight waits for the next one, which is sent when the first returns', async () => {
  const s = manualSync();
  const gate = new SyncGate(s.send);
  const order: string[] = [];
  const first = gate.after().then(() => order.push('first'));
  assert.equal(s.calls.length, 1);
  const second = gate.after().then(() => order.push('second'));
  const third = gate.after().then(() => order.push('third'));
  assert.equal(s.calls.length, 1, 'no second sync while one is in flight');
  s.calls[0]?.resolve();
  await first;
  await tick();
  assert.deepEqual(order, ['first'], 'the later readers are not released by the earlier sync');
  assert.equal(s.calls.length, 2, 'the next sync is sent once the first returned');
  s.calls[1]?.resolve();
  await Promise.all([second, third]);
  assert.deepEqual(order, ['first', 'second', 'third']);
  assert.equal(s.calls.length, 2, 'one sync shared by the readers that waited together');
});

test('a failed sync fails its readers only; the next reader gets a new one', async () => {
  const s = manualSync();
  const gate = new SyncGate(s.send);
  const a = gate.after();
  const b = gate.after();
  s.calls[0]?.reject(new Error('connection loss'));
  await assert.rejects(a, /connection loss/);
  await tick();
  assert.equal(s.calls.length, 2);
  s.calls[1]?.resolve();
  await b;
  const c = gate.after();
  assert.equal(s.calls.length, 3);
  s.calls[2]?.resolve();
  await c;
});
