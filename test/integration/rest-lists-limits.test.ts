/**
 * Long lists and ZooKeeper's 1 MiB request limit (docs/performance.md): a list larger than one
 * write goes out in pieces (chunked) yet complete and in order, a small one in one piece with a
 * Content-Length; a change whose ZooKeeper request would pass 1 MiB (a bridge with ~15,000 ports)
 * is refused with 507 and a message naming the object, and the node's other requests are not
 * hurt (sent anyway, ZooKeeper would drop the session's connection under all of them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import { printText } from '../../lib/nsdb/codec/text-format.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { MAX_REQUEST_BYTES } from '../../lib/nsdb/transaction.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertCreated, assertError, assertStatus, get, MT, post, zoom } from '../support/rest-helpers.js';

let t: TestNode;

before(async () => {
  t = await startTestNode();
});

after(async () => {
  await t?.stop();
});

async function bridgeWithPorts(n: number): Promise<{ bridge: string; ports: string[] }> {
  const bridge = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: `b${n}` }), `${t.api}/bridges`);
  const ports: string[] = [];
  const storage = t.node.storage;
  for (let done = 0; done < n; done += 100) {
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      for (let i = done; i < Math.min(n, done + 100); i++) {
        const id = randomUuid();
        ports.push(id);
        await tx.create('Port', { id, network_id: bridge, admin_state_up: true, interface_name: `p${i}` });
      }
    });
  }
  return { bridge, ports };
}

describe('lists', () => {
  it('a long list streams (chunked), complete and in the stored order', async () => {
    const { bridge, ports } = await bridgeWithPorts(400);
    const res = await get(`${t.api}/bridges/${bridge}/ports`, MT.ports);
    assertStatus(res, 200);
    assert.equal(res.headers.get('content-length'), null);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(res.headers.get('content-type'), MT.ports.toLowerCase());
    assert.ok(res.text.length > 64 * 1024, `${res.text.length} characters`);
    assert.deepEqual(
      (res.json as { id: string }[]).map((p) => p.id),
      ports,
    );
    // the whole collection too
    const all = await get(`${t.api}/ports`, MT.ports);
    assertStatus(all, 200);
    assert.deepEqual(new Set((all.json as { id: string }[]).map((p) => p.id)), new Set(ports));
  });

  it('a short list is one piece with a Content-Length; an empty one is []', async () => {
    const { bridge, ports } = await bridgeWithPorts(3);
    const res = await get(`${t.api}/bridges/${bridge}/ports`, MT.ports);
    assertStatus(res, 200);
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(res.text)));
    assert.deepEqual(
      (res.json as { id: string }[]).map((p) => p.id),
      ports,
    );
    const empty = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'empty' }), `${t.api}/bridges`);
    const none = await get(`${t.api}/bridges/${empty}/ports`, MT.ports);
    assertStatus(none, 200);
    assert.equal(none.text, '[]');
  });

  it('an item that cannot be read: a 500 before the list has started; after, the connection is cut, never a short list that looks whole', async () => {
    const { bridge, ports } = await bridgeWithPorts(800);
    // a stored port that is not protobuf text: nothing the API anticipates
    const corrupt = (id: string): Promise<unknown> => t.node.zk.setData(`${zoom(t)}/models/Port/${id}`, Buffer.from('interface_name: "unterminated\n'));
    await corrupt(ports[ports.length - 1]);
    await assert.rejects(get(`${t.api}/bridges/${bridge}/ports`, MT.ports), /aborted|socket hang up|ECONNRESET/);
    await corrupt(ports[0]);
    assertError(await get(`${t.api}/bridges/${bridge}/ports`, MT.ports), 500, /^Internal server error \(request id [^)]+\); the node's log has the details\.$/);
  });

  it('a list of a missing parent is still a 404', async () => {
    assertError(await get(`${t.api}/bridges/${randomUuid()}/ports`, MT.ports), 404);
  });
});

describe('the 1 MiB ZooKeeper request limit', () => {
  it('a port more on a bridge whose znode is near 1 MiB: 507 naming the bridge; the node carries on', async () => {
    const bridge = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'full' }), `${t.api}/bridges`);
    // ~15,300 back-references (dangling ones: only the size matters here), written directly
    const path = `${t.node.storage.layout.model('Network', bridge)}`;
    const print = (ids: string[]): string => printText('Network', { id: bridge, name: 'full', admin_state_up: true, port_ids: ids });
    const ids = Array.from({ length: 15_000 }, () => randomUuid());
    while (Buffer.byteLength(print([...ids, randomUuid()])) <= MAX_REQUEST_BYTES - 200) ids.push(...Array.from({ length: 20 }, () => randomUuid()));
    while (Buffer.byteLength(print(ids)) > MAX_REQUEST_BYTES - 200) ids.pop();
    const text = print(ids);
    await t.node.storage.zookeeper.setData(path, Buffer.from(text), -1);
    assert.ok(ids.length > 15_000, `${ids.length} port ids`);

    // the bridge is still readable (a read has no such limit)
    assertStatus(await get(`${t.api}/bridges/${bridge}`, MT.bridge), 200);
    const other = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'other' }), `${t.api}/bridges`);
    const [refused, read] = await Promise.all([
      post(`${t.api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }),
      get(`${t.api}/bridges/${other}`, MT.bridge),
    ]);
    const body = assertError(refused, 507) as { message: string };
    assert.match(body.message, new RegExp(`The Network with ID ${bridge} would take \\d+ bytes in ZooKeeper`));
    assert.match(body.message, /above ZooKeeper's limit of 1048575 bytes per request \(jute\.maxbuffer\)/);
    assert.match(body.message, /it holds too many references \(\d{5} in port_ids, \d+ bytes\)\.$/);
    assertStatus(read, 200);
    // nothing was written, and the node still writes
    assert.equal((await t.node.storage.zookeeper.getData(path)).data.toString(), text);
    assertCreated(await post(`${t.api}/bridges/${other}/ports`, MT.port, { type: 'Bridge' }), `${t.api}/ports`);
  });
});
