/**
 * The ZOOM tree NsdbStorage builds and writes (storage.md §1, §2.3, §4.2 item 5, §9.5), checked
 * node by node against a real ZooKeeper.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { CLUSTER_NAMESPACE, REGISTERED_CLASSES } from '../../lib/nsdb/classes.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { NotFoundError, ServiceUnavailableError } from '../../lib/nsdb/errors.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { NsdbTestEnv, eventually, failure, provenanceOf, rejection } from '../support/nsdb-env.js';

const PRODUCT = { version: '5.0.0-test', commit: 'c0ffee' };

let env: NsdbTestEnv;
let storage: NsdbStorage;
let zk: ZkClient;

before(async () => {
  env = await NsdbTestEnv.create();
  storage = await env.storage({ product: PRODUCT });
  zk = storage.zookeeper;
});

after(async () => {
  await env.close();
});

function structuralPaths(zoom: string, ns: string): string[] {
  const paths: string[] = [];
  for (const c of REGISTERED_CLASSES) {
    paths.push(`${zoom}/models/${c}`, `${zoom}/objects/${c}`, `${zoom}/tables/${c}`, `${zoom}/state/${ns}/${c}`);
  }
  return paths;
}

async function assertTreeComplete(client: ZkClient, rootKey: string): Promise<void> {
  const zoom = `${rootKey}/zoom/0`;
  const paths = structuralPaths(zoom, CLUSTER_NAMESPACE);
  const missing: string[] = [];
  const withData: string[] = [];
  await Promise.all(
    paths.map(async (p) => {
      const stat = await client.exists(p);
      if (!stat) missing.push(p);
      else if (stat.dataLength !== 0) withData.push(p);
    }),
  );
  assert.deepEqual(missing.sort(), [], 'class folders missing after build()');
  assert.deepEqual(withData.sort(), [], 'structural nodes must have empty data');
  // exactly the registered classes, nothing else
  for (const kind of ['models', 'objects', 'tables', `state/${CLUSTER_NAMESPACE}`]) {
    const { children } = await client.getChildren(`${zoom}/${kind}`);
    assert.deepEqual(children.sort(), [...REGISTERED_CLASSES].sort(), `children of ${kind}`);
  }
}

describe('build()', () => {
  test('creates models/objects/tables/state folders of every registered class', async () => {
    assert.equal(REGISTERED_CLASSES.length, 59);
    await assertTreeComplete(zk, env.rootKey);
    assert.equal(storage.layout.zoom, `${env.rootKey}/zoom/0`);
  });

  test('two storages building the same fresh root concurrently both succeed', async () => {
    const other = await NsdbTestEnv.create();
    try {
      const [a, b] = await Promise.all([other.storage({ build: false }), other.storage({ build: false })]);
      assert.equal(a.isBuilt, false);
      await Promise.all([a.build(), b.build()]);
      assert.equal(a.isBuilt, true);
      assert.equal(b.isBuilt, true);
      await assertTreeComplete(a.zookeeper, other.rootKey);
      // building an already complete tree again is fine, too
      const c = await other.storage({ build: false });
      await c.build();
      await assertTreeComplete(c.zookeeper, other.rootKey);
      // and the stores work
      const id = randomUuid();
      await a.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Router', { id, name: 'r' }));
      assert.deepEqual(await b.get('Router', id), { id, name: 'r' });
    } finally {
      await other.close();
    }
  });

  test('data operations before build() fail with ServiceUnavailableError', async () => {
    const other = await NsdbTestEnv.create();
    try {
      const s = await other.storage({ build: false });
      for (const op of [
        () => s.get('Router', randomUuid()),
        () => s.exists('Router', randomUuid()),
        () => s.getAll('Router'),
        () => s.transaction(ChangeOwner.clusterApi),
      ]) {
        const e = await failure(op);
        assert.ok(e instanceof ServiceUnavailableError, String(e));
        assert.equal(e.message, 'Data operation received before setup is complete');
      }
      // nothing at all was written under that root
      assert.equal(await s.zookeeper.exists(other.rootKey), null);
    } finally {
      await other.close();
    }
  });
});

describe('object nodes', () => {
  // storage.md §2.3's example: msb 12345 / lsb 67890 and a port msb 1 / lsb 2
  const netId = '00000000-0000-3039-0000-000000010932';
  const portId = '00000000-0000-0001-0000-000000000002';
  const modelPath = (c: string, id: string): string => `${env.rootKey}/zoom/0/models/${c}/${id}`;
  const objectPath = (c: string, id: string): string => `${env.rootKey}/zoom/0/objects/${c}/${id}`;
  const tablesPath = (c: string, id: string): string => `${env.rootKey}/zoom/0/tables/${c}/${id}`;

  test('create writes protobuf text, a binary provenance and the state-table roots', async () => {
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      await tx.create('Port', { id: portId });
      await tx.create('Network', { id: netId, tenant_id: 't1', name: 'net', admin_state_up: true, port_ids: [portId] });
    });
    const model = await zk.getData(modelPath('Network', netId));
    assert.equal(
      model.data.toString('utf8'),
      'id {\n  msb: 12345\n  lsb: 67890\n}\n' + 'tenant_id: "t1"\n' + 'name: "net"\n' + 'admin_state_up: true\n' + 'port_ids {\n  msb: 1\n  lsb: 2\n}\n',
    );
    assert.equal(model.stat.version, 0);
    assert.equal(model.stat.ephemeralOwner, 0n);

    // the port was created with the back-reference the engine set
    const port = await zk.getData(modelPath('Port', portId));
    assert.equal(port.data.toString('utf8'), 'id {\n  msb: 1\n  lsb: 2\n}\nnetwork_id {\n  msb: 12345\n  lsb: 67890\n}\n');
    assert.equal(port.stat.version, 0);

    for (const [c, id] of [
      ['Network', netId],
      ['Port', portId],
    ] as const) {
      const prov = await provenanceOf(zk, objectPath(c, id));
      assert.deepEqual(
        prov.records,
        [{ productVersion: '5.0.0-test', productCommit: 'c0ffee', changeOwner: 0x101, changeType: 0x1, changeVersion: 0 }],
        `provenance of ${c}`,
      );
      assert.equal(prov.version, 0);
    }
    // exact bytes of the Network's provenance node (protobuf binary, fields in number order)
    const raw = (await zk.getData(objectPath('Network', netId))).data;
    const inner = Buffer.concat([
      Buffer.from([0x0a, 10]),
      Buffer.from('5.0.0-test'),
      Buffer.from([0x12, 6]),
      Buffer.from('c0ffee'),
      Buffer.from([0x18, 0x81, 0x02, 0x20, 0x01, 0x28, 0x00]),
    ]);
    assert.deepEqual(raw, Buffer.concat([Buffer.from([0x0a, inner.length]), inner]));

    assert.deepEqual((await zk.getChildren(tablesPath('Network', netId))).children.sort(), ['ip4_mac_table', 'mac_table']);
    assert.deepEqual((await zk.getChildren(tablesPath('Port', portId))).children, ['peering_table']);
    for (const t of ['mac_table', 'ip4_mac_table']) {
      const st = await zk.exists(`${tablesPath('Network', netId)}/${t}`);
      assert.ok(st, t);
      assert.equal(st.numChildren, 0);
    }
    // plain reads see it
    assert.deepEqual(await storage.get('Network', netId), {
      id: netId,
      tenant_id: 't1',
      name: 'net',
      admin_state_up: true,
      port_ids: [portId],
    });
    assert.equal(await storage.exists('Network', netId), true);
    assert.deepEqual(
      (await storage.getAll('Network')).map((n) => n['id']),
      [netId],
    );
  });

  test('classes without state tables get no tables node', async () => {
    const id = randomUuid();
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Chain', { id, name: 'c' }));
    assert.equal(await zk.exists(tablesPath('Chain', id)), null);
    assert.ok(await zk.exists(objectPath('Chain', id)));
  });

  test('an update by the same owner and build does not rewrite the provenance', async () => {
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      const n = await tx.get('Network', netId);
      await tx.update('Network', { ...n, name: 'net2' });
    });
    const model = await zk.getData(modelPath('Network', netId));
    assert.equal(model.stat.version, 1);
    assert.match(model.data.toString('utf8'), /^name: "net2"$/m);
    const prov = await provenanceOf(zk, objectPath('Network', netId));
    assert.equal(prov.version, 0, 'the data bit is already in the last entry: no write');
    assert.deepEqual(prov.records, [{ productVersion: '5.0.0-test', productCommit: 'c0ffee', changeOwner: 0x101, changeType: 0x1, changeVersion: 0 }]);
  });

  test('a back-reference change by the same owner ORs its bit into the last entry', async () => {
    const port2 = randomUuid();
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Port', { id: port2, network_id: netId }));
    const model = await zk.getData(modelPath('Network', netId));
    assert.equal(model.stat.version, 2);
    const prov = await provenanceOf(zk, objectPath('Network', netId));
    assert.equal(prov.version, 1);
    assert.deepEqual(prov.records, [{ productVersion: '5.0.0-test', productCommit: 'c0ffee', changeOwner: 0x101, changeType: 0x3, changeVersion: 0 }]);
    // and the next back-reference change by the same owner writes nothing to it
    const port3 = randomUuid();
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Port', { id: port3, network_id: netId }));
    assert.equal((await zk.exists(modelPath('Network', netId)))?.version, 3);
    assert.equal((await provenanceOf(zk, objectPath('Network', netId))).version, 1);
    assert.deepEqual((await storage.get('Network', netId))['port_ids'], [portId, port2, port3]);
  });

  test('an update by another owner appends an entry with change_version = new model version', async () => {
    await storage.tryTransaction(ChangeOwner.clusterNeutron, async (tx) => {
      const n = await tx.get('Network', netId);
      await tx.update('Network', { ...n, name: 'net3' });
    });
    assert.equal((await zk.exists(modelPath('Network', netId)))?.version, 4);
    const prov = await provenanceOf(zk, objectPath('Network', netId));
    assert.equal(prov.version, 2);
    assert.deepEqual(prov.records, [
      { productVersion: '5.0.0-test', productCommit: 'c0ffee', changeOwner: 0x101, changeType: 0x3, changeVersion: 0 },
      { productVersion: '5.0.0-test', productCommit: 'c0ffee', changeOwner: 0x102, changeType: 0x1, changeVersion: 4 },
    ]);
  });

  test('an update by another build of the same owner appends an entry', async () => {
    const other = await env.storage({ product: { version: '5.0.1', commit: 'beef' } });
    await other.tryTransaction(ChangeOwner.clusterNeutron, async (tx) => {
      const n = await tx.get('Network', netId);
      await tx.update('Network', { ...n, name: 'net4' });
    });
    const prov = await provenanceOf(zk, objectPath('Network', netId));
    assert.deepEqual(prov.records.slice(2), [{ productVersion: '5.0.1', productCommit: 'beef', changeOwner: 0x102, changeType: 0x1, changeVersion: 5 }]);
    assert.equal(prov.records.length, 3);
    // a plain transaction defaults to owner none (0)
    const tx = await other.transaction();
    const n = await tx.get('Network', netId);
    await tx.update('Network', { ...n, name: 'net5' });
    await tx.commit();
    const after = await provenanceOf(zk, objectPath('Network', netId));
    assert.deepEqual(after.records.slice(3), [{ productVersion: '5.0.1', productCommit: 'beef', changeOwner: 0, changeType: 0x1, changeVersion: 6 }]);
  });

  test('an update of an object without provenance node creates it', async () => {
    const id = randomUuid();
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Router', { id, name: 'a' }));
    await zk.remove(objectPath('Router', id));
    await storage.tryTransaction(ChangeOwner.clusterNeutron, async (tx) => {
      const r = await tx.get('Router', id);
      await tx.update('Router', { ...r, name: 'b' });
    });
    const prov = await provenanceOf(zk, objectPath('Router', id));
    assert.equal(prov.records.length, 1);
    assert.deepEqual(prov.records[0], {
      productVersion: '5.0.0-test',
      productCommit: 'c0ffee',
      changeOwner: 0x102,
      changeType: 0x1,
      changeVersion: 0,
    });
    assert.deepEqual(await storage.get('Router', id), { id, name: 'b' });
  });

  test('delete removes the model and provenance nodes, then the tables subtree', async () => {
    // give the tables subtree some depth, as agents would (a VLAN folder with an entry)
    const macVlan = `${tablesPath('Network', netId)}/mac_table/0`;
    await zk.create(macVlan);
    await zk.create(`${macVlan}/aa:bb:cc:dd:ee:ff,${portId},2147483647`);
    const ports = (await storage.get('Network', netId))['port_ids'] as string[];
    assert.equal(ports.length, 3);

    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.delete('Network', netId));
    assert.equal(await zk.exists(modelPath('Network', netId)), null);
    assert.equal(await zk.exists(objectPath('Network', netId)), null);
    // Network.port_ids is CASCADE: the ports went with it, their nodes and tables too
    for (const p of ports) {
      assert.equal(await zk.exists(modelPath('Port', p)), null);
      assert.equal(await zk.exists(objectPath('Port', p)), null);
    }
    const gone = await eventually(async () => {
      const left = await Promise.all([zk.exists(tablesPath('Network', netId)), ...ports.map((p) => zk.exists(tablesPath('Port', p)))]);
      return left.every((s) => s === null);
    });
    assert.ok(gone, 'tables subtrees of deleted objects are removed after the commit');
    const e = await rejection(storage.get('Network', netId));
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.message, `There is no Network with ID ${netId}.`);
    assert.equal(await storage.exists('Network', netId), false);
  });

  test('delete of an object without provenance node removes the model node only', async () => {
    const id = randomUuid();
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Router', { id }));
    await zk.remove(objectPath('Router', id));
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.delete('Router', id));
    assert.equal(await zk.exists(modelPath('Router', id)), null);
    assert.equal(await zk.exists(objectPath('Router', id)), null);
  });
});
