/**
 * Referential integrity (storage.md §5) against a real ZooKeeper, driven by the binding table
 * itself: for every registered binding, both directions, the back-reference written by the engine
 * and the delete action of each side; then conflicts, missing references, multiset semantics,
 * update diffs and cascade chains.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bindingRows, type DeleteAction } from '../../lib/nsdb/bindings.js';
import type { ModelClass } from '../../lib/models/generated.js';
import { messageType } from '../../lib/models/schema.js';
import type { Msg } from '../../lib/models/types.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { NotFoundError, ObjectReferencedError, ReferenceConflictError } from '../../lib/nsdb/errors.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import type { Transaction } from '../../lib/nsdb/transaction.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { NsdbTestEnv, refs, rejection } from '../support/nsdb-env.js';

const API = ChangeOwner.clusterApi;

let env: NsdbTestEnv;
let storage: NsdbStorage;
let zk: ZkClient;

before(async () => {
  env = await NsdbTestEnv.create();
  storage = await env.storage();
  zk = storage.zookeeper;
});

after(async () => {
  await env.close();
});

function isRepeated(clazz: string, field: string): boolean {
  const f = messageType(clazz).field(field);
  assert.ok(f, `${clazz}.${field} is not a field of the schema`);
  return f.repeated;
}

/** The value of `clazz.field` that references exactly `id`. */
function ref(clazz: string, field: string, id: string): string | string[] {
  return isRepeated(clazz, field) ? [id] : id;
}

function run<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return storage.tryTransaction(API, fn);
}

async function create(clazz: ModelClass, obj: Msg): Promise<void> {
  await run((tx) => tx.create(clazz, obj));
}

async function del(clazz: ModelClass, id: string): Promise<void> {
  await run((tx) => tx.delete(clazz, id));
}

async function version(clazz: string, id: string): Promise<number | undefined> {
  return (await zk.exists(storage.layout.model(clazz, id)))?.version;
}

async function get(clazz: ModelClass, id: string): Promise<Msg> {
  return storage.get(clazz, id);
}

function assertReferenced(e: unknown, clazz: string, id: string, refClass: string, refId: string): void {
  assert.ok(e instanceof ObjectReferencedError, `expected ObjectReferencedError, got ${String(e)}`);
  assert.equal(e.clazz, clazz);
  assert.equal(e.id, id);
  assert.equal(e.referencingClass, refClass);
  assert.equal(e.referencingId, refId);
  assert.equal(e.message, `Cannot delete the ${clazz} with ID ${id} because it is still referenced by the ${refClass} with ID ${refId}.`);
}

/**
 * `holder.field` references `target`, whose `backField` points back; deleting the holder applies
 * `action` to the target.
 */
async function checkDirection(holderClass: ModelClass, field: string, action: DeleteAction, targetClass: ModelClass, backField: string): Promise<void> {
  const holder = randomUuid();
  const target = randomUuid();
  await create(targetClass, { id: target });
  await create(holderClass, { id: holder, [field]: ref(holderClass, field, target) });

  // both sides set after the commit: the forward reference as written, the back-reference by the engine
  assert.deepEqual(await get(holderClass, holder), { id: holder, [field]: ref(holderClass, field, target) });
  assert.deepEqual(await get(targetClass, target), { id: target, [backField]: ref(targetClass, backField, holder) });

  const holderVersion = await version(holderClass, holder);
  const targetVersion = await version(targetClass, target);
  assert.equal(holderVersion, 0);
  assert.equal(targetVersion, 1);

  switch (action) {
    case 'CASCADE':
      await del(holderClass, holder);
      assert.equal(await storage.exists(holderClass, holder), false);
      assert.equal(await storage.exists(targetClass, target), false, `${targetClass} must be deleted by the cascade`);
      assert.equal(await zk.exists(storage.layout.object(targetClass, target)), null);
      break;
    case 'CLEAR': {
      await del(holderClass, holder);
      assert.equal(await storage.exists(holderClass, holder), false);
      const after = await get(targetClass, target);
      assert.deepEqual(refs(after, backField), [], `${targetClass}.${backField} must be cleared`);
      assert.deepEqual(after, { id: target });
      assert.equal(await version(targetClass, target), 2);
      break;
    }
    case 'ERROR': {
      const e = await rejection(del(holderClass, holder));
      assertReferenced(e, holderClass, holder, targetClass, target);
      // nothing changed
      assert.deepEqual(await get(holderClass, holder), { id: holder, [field]: ref(holderClass, field, target) });
      assert.deepEqual(await get(targetClass, target), { id: target, [backField]: ref(targetClass, backField, holder) });
      assert.equal(await version(holderClass, holder), holderVersion);
      assert.equal(await version(targetClass, target), targetVersion);
      break;
    }
  }
}

describe('every registered binding, both directions', () => {
  const rows = bindingRows();

  test('the table has the 61 rows of storage.md §5.3', () => {
    assert.equal(rows.length, 61);
  });

  for (const [left, lf, la, right, rf, ra] of rows) {
    test(`${left}.${lf} -> ${right}.${rf}: delete ${left} => ${la}`, async () => {
      assert.ok(messageType(left).field(lf)?.isUuid, `${left}.${lf} must be a UUID field`);
      assert.ok(messageType(right).field(rf)?.isUuid, `${right}.${rf} must be a UUID field`);
      await checkDirection(left, lf, la, right, rf);
    });
    test(`${right}.${rf} -> ${left}.${lf}: delete ${right} => ${ra}`, async () => {
      await checkDirection(right, rf, ra, left, lf);
    });
  }
});

describe('binding engine', () => {
  test('a scalar back-reference that is already set: ReferenceConflictError, nothing written', async () => {
    const p1 = randomUuid();
    const p2 = randomUuid();
    const p3 = randomUuid();
    await create('Port', { id: p1 });
    await create('Port', { id: p2, peer_id: p1 });
    assert.equal((await get('Port', p1))['peer_id'], p2);

    const extra = randomUuid();
    const e = await rejection(
      run(async (tx) => {
        await tx.create('Router', { id: extra });
        await tx.create('Port', { id: p3, peer_id: p1 });
      }),
    );
    assert.ok(e instanceof ReferenceConflictError, String(e));
    assert.equal(e.clazz, 'Port');
    assert.equal(e.id, p1);
    assert.equal(e.field, 'peer_id');
    assert.equal(e.referencedClass, 'Port');
    assert.equal(e.referencedId, p2);
    assert.equal(
      e.message,
      `Operation failed because the Port with ID ${p1} already references the Port with ID ${p2} via the field peer_id. ` +
        'This field can accommodate only one reference.',
    );
    assert.equal(await storage.exists('Port', p3), false);
    assert.equal(await storage.exists('Router', extra), false);
    assert.deepEqual(await get('Port', p1), { id: p1, peer_id: p2 });
    assert.deepEqual(await get('Port', p2), { id: p2, peer_id: p1 });
    assert.equal(await version('Port', p1), 1);

    // the same through an update of an existing port
    await create('Port', { id: p3 });
    const e2 = await rejection(run(async (tx) => tx.update('Port', { id: p3, peer_id: p1 })));
    assert.ok(e2 instanceof ReferenceConflictError, String(e2));
    assert.deepEqual(await get('Port', p3), { id: p3 });
    assert.equal(await version('Port', p3), 0);

    // and for another scalar pair: two routers on one load balancer
    const lb = randomUuid();
    const r1 = randomUuid();
    await create('LoadBalancer', { id: lb });
    await create('Router', { id: r1, load_balancer_id: lb });
    const r2 = randomUuid();
    const e3 = await rejection(create('Router', { id: r2, load_balancer_id: lb }));
    assert.ok(e3 instanceof ReferenceConflictError, String(e3));
    assert.equal(e3.clazz, 'LoadBalancer');
    assert.equal(e3.field, 'router_id');
    assert.equal(e3.referencedClass, 'Router');
    assert.equal(e3.referencedId, r1);
    assert.equal(await storage.exists('Router', r2), false);
    assert.equal((await get('LoadBalancer', lb))['router_id'], r1);
  });

  test('a reference to an object that does not exist: NotFoundError, nothing written', async () => {
    const missing = randomUuid();
    const port = randomUuid();
    const router = randomUuid();
    const e = await rejection(
      run(async (tx) => {
        await tx.create('Router', { id: router });
        await tx.create('Port', { id: port, router_id: router, network_id: missing });
      }),
    );
    assert.ok(e instanceof NotFoundError, String(e));
    assert.equal(e.clazz, 'Network');
    assert.equal(e.id, missing);
    assert.equal(e.message, `There is no Network with ID ${missing}.`);
    assert.equal(await storage.exists('Router', router), false);
    assert.equal(await storage.exists('Port', port), false);
    assert.equal(await zk.exists(storage.layout.tables('Router', router)), null);

    // the same on update: adding a reference to a missing object
    await create('Port', { id: port });
    const e2 = await rejection(run(async (tx) => tx.update('Port', { id: port, port_group_ids: [missing] })));
    assert.ok(e2 instanceof NotFoundError, String(e2));
    assert.equal(e2.clazz, 'PortGroup');
    assert.deepEqual(await get('Port', port), { id: port });
    assert.equal(await version('Port', port), 0);
  });

  test('a back-reference to an object deleted in the same transaction is skipped', async () => {
    const r = randomUuid();
    const p = randomUuid();
    await create('Router', { id: r });
    await run(async (tx) => {
      await tx.delete('Router', r);
      await tx.create('Port', { id: p, router_id: r });
    });
    assert.equal(await storage.exists('Router', r), false);
    assert.deepEqual(await get('Port', p), { id: p, router_id: r });
  });

  test('ERROR applies to a dangling reference too (the referenced object was deleted earlier)', async () => {
    // storage.md §5.1/§5.2: ERROR fails the delete when the field is non-empty and the referenced
    // object was not deleted in the same transaction; a back-reference to an object deleted in the
    // same transaction is skipped, which is how a dangling reference comes about.
    const lb = randomUuid();
    const r = randomUuid();
    await create('LoadBalancer', { id: lb });
    await run(async (tx) => {
      await tx.delete('LoadBalancer', lb);
      await tx.create('Router', { id: r, load_balancer_id: lb });
    });
    assert.deepEqual(await get('Router', r), { id: r, load_balancer_id: lb });
    assert.equal(await storage.exists('LoadBalancer', lb), false);
    const e = await rejection(del('Router', r));
    assertReferenced(e, 'Router', r, 'LoadBalancer', lb);
    assert.equal(await storage.exists('Router', r), true);
  });

  test('repeated back-references are a multiset', async () => {
    const tz = randomUuid();
    const h = randomUuid();
    const h2 = randomUuid();
    await create('TunnelZone', { id: tz });
    await create('Host', { id: h, tunnel_zone_ids: [tz] });
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h]);
    // a second reference from the same host appends a second back-reference (no de-duplication)
    await run(async (tx) => tx.update('Host', { id: h, tunnel_zone_ids: [tz, tz] }));
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h, h]);
    await create('Host', { id: h2, tunnel_zone_ids: [tz] });
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h, h, h2]);
    // removing one of the two references removes one back-reference (the first equal one)
    await run(async (tx) => tx.update('Host', { id: h, tunnel_zone_ids: [tz] }));
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h, h2]);
    await run(async (tx) => tx.update('Host', { id: h, tunnel_zone_ids: [] }));
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h2]);
    // an unchanged multiset is no change at all to the counterpart
    const before = await version('TunnelZone', tz);
    await run(async (tx) => tx.update('Host', { id: h2, name: 'renamed', tunnel_zone_ids: [tz] }));
    assert.equal(await version('TunnelZone', tz), before);
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h2]);
  });

  test('create: each occurrence of an id in a repeated reference adds a back-reference', async () => {
    // storage.md §5.2: on create every forward id gets its back-reference appended (no
    // de-duplication; only delete iterates over distinct ids), so that create and the multiset
    // update diff agree on how many back-references a reference list stands for.
    const tz = randomUuid();
    const h = randomUuid();
    await create('TunnelZone', { id: tz });
    await create('Host', { id: h, tunnel_zone_ids: [tz, tz] });
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h, h]);
    // dropping one of the two references leaves the host referenced by, and referencing, the zone
    await run(async (tx) => tx.update('Host', { id: h, tunnel_zone_ids: [tz] }));
    assert.deepEqual(refs(await get('Host', h), 'tunnel_zone_ids'), [tz]);
    assert.deepEqual(refs(await get('TunnelZone', tz), 'host_ids'), [h]);
  });

  test('create: a duplicated id whose back-reference is scalar is a ReferenceConflict (even to the same id)', async () => {
    const p = randomUuid();
    const r = randomUuid();
    await create('Port', { id: p });
    const e = await rejection(create('Router', { id: r, port_ids: [p, p] }));
    assert.ok(e instanceof ReferenceConflictError, String(e));
    assert.equal(e.clazz, 'Port');
    assert.equal(e.id, p);
    assert.equal(e.field, 'router_id');
    assert.equal(e.referencedId, r);
    assert.equal(await storage.exists('Router', r), false);
    assert.deepEqual(await get('Port', p), { id: p });
  });

  test('update diffs: removed ids clear the counterpart, added ids set it', async () => {
    const g1 = randomUuid();
    const g2 = randomUuid();
    const g3 = randomUuid();
    const p = randomUuid();
    for (const g of [g1, g2, g3]) await create('PortGroup', { id: g });
    await create('Port', { id: p, port_group_ids: [g1, g2] });
    assert.deepEqual(refs(await get('PortGroup', g1), 'port_ids'), [p]);
    assert.deepEqual(refs(await get('PortGroup', g2), 'port_ids'), [p]);
    const v2 = await version('PortGroup', g2);

    await run(async (tx) => tx.update('Port', { id: p, port_group_ids: [g2, g3] }));
    assert.deepEqual(refs(await get('PortGroup', g1), 'port_ids'), []);
    assert.deepEqual(refs(await get('PortGroup', g2), 'port_ids'), [p]);
    assert.deepEqual(refs(await get('PortGroup', g3), 'port_ids'), [p]);
    assert.equal(await version('PortGroup', g2), v2, 'an id present before and after is not touched');

    // scalar: moving a port from one router to another
    const r1 = randomUuid();
    const r2 = randomUuid();
    const other = randomUuid();
    await create('Router', { id: r1 });
    await create('Router', { id: r2 });
    await create('Port', { id: other, router_id: r1 });
    await run(async (tx) => tx.update('Port', { ...(await tx.get('Port', p)), router_id: r1 }));
    assert.deepEqual(refs(await get('Router', r1), 'port_ids'), [other, p]);
    await run(async (tx) => tx.update('Port', { ...(await tx.get('Port', p)), router_id: r2 }));
    assert.deepEqual(refs(await get('Router', r1), 'port_ids'), [other]);
    assert.deepEqual(refs(await get('Router', r2), 'port_ids'), [p]);

    // updates are whole-object replacements: leaving a reference field out removes the references
    await run(async (tx) => tx.update('Port', { id: p }));
    assert.deepEqual(refs(await get('Router', r2), 'port_ids'), []);
    assert.deepEqual(refs(await get('PortGroup', g2), 'port_ids'), []);
    assert.deepEqual(refs(await get('PortGroup', g3), 'port_ids'), []);
    // and from the other side: a router updated without port_ids releases its ports
    await run(async (tx) => tx.update('Router', { id: r1, name: 'r1' }));
    assert.deepEqual(await get('Port', other), { id: other });
    assert.deepEqual(await get('Router', r1), { id: r1, name: 'r1' });
  });

  test('cascades chain: Router -> Port -> Route, with CLEARs on the way', async () => {
    const r = randomUuid();
    const p = randomUuid();
    const peer = randomUuid();
    const rt1 = randomUuid();
    const rt2 = randomUuid();
    const rt3 = randomUuid();
    const chain = randomUuid();
    const keep = randomUuid();
    await run(async (tx) => {
      await tx.create('Chain', { id: chain });
      await tx.create('Router', { id: r, inbound_filter_id: chain });
      await tx.create('Port', { id: p, router_id: r, inbound_filter_id: chain });
      await tx.create('Port', { id: peer, peer_id: p });
      await tx.create('Port', { id: keep, inbound_filter_id: chain });
      await tx.create('Route', { id: rt1, router_id: r, next_hop_port_id: p }); // both paths lead to it
      await tx.create('Route', { id: rt2, next_hop_port_id: p }); // only through the port
      await tx.create('Route', { id: rt3, router_id: r }); // only through the router
    });
    const router = await get('Router', r);
    assert.deepEqual(refs(router, 'port_ids'), [p]);
    assert.deepEqual(refs(router, 'route_ids'), [rt1, rt3]);
    assert.deepEqual(refs(await get('Port', p), 'route_ids'), [rt1, rt2]);
    assert.equal((await get('Port', p))['peer_id'], peer);
    assert.deepEqual(refs(await get('Chain', chain), 'router_inbound_ids'), [r]);
    assert.deepEqual(refs(await get('Chain', chain), 'port_inbound_ids'), [p, keep]);

    await del('Router', r);
    for (const [c, id] of [
      ['Router', r],
      ['Port', p],
      ['Route', rt1],
      ['Route', rt2],
      ['Route', rt3],
    ] as const) {
      assert.equal(await storage.exists(c, id), false, `${c} ${id} must be gone`);
      assert.equal(await zk.exists(storage.layout.object(c, id)), null, `provenance of ${c} ${id} must be gone`);
    }
    assert.deepEqual(await get('Port', peer), { id: peer });
    assert.deepEqual(await get('Chain', chain), { id: chain, port_inbound_ids: [keep] });
    assert.deepEqual(await get('Port', keep), { id: keep, inbound_filter_id: chain });
  });

  test('an ERROR binding reached through a cascade fails the whole delete', async () => {
    const r = randomUuid();
    const p = randomUuid();
    const v = randomUuid();
    const rt = randomUuid();
    await run(async (tx) => {
      await tx.create('Router', { id: r });
      await tx.create('Port', { id: p, router_id: r });
      await tx.create('Route', { id: rt, next_hop_port_id: p });
      await tx.create('Vip', { id: v, gateway_port_id: p });
    });
    const versions = await Promise.all([version('Router', r), version('Port', p), version('Route', rt), version('Vip', v)]);
    const e = await rejection(del('Router', r));
    assertReferenced(e, 'Port', p, 'Vip', v);
    assert.deepEqual(await Promise.all([version('Router', r), version('Port', p), version('Route', rt), version('Vip', v)]), versions);
    assert.deepEqual(refs(await get('Router', r), 'port_ids'), [p]);

    // the referencing object deleted first in the same transaction: no error
    await run(async (tx) => {
      await tx.delete('Vip', v);
      await tx.delete('Router', r);
    });
    for (const [c, id] of [
      ['Router', r],
      ['Port', p],
      ['Route', rt],
      ['Vip', v],
    ] as const) {
      assert.equal(await storage.exists(c, id), false, `${c} must be gone`);
    }
  });
});
